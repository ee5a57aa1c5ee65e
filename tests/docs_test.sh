#!/usr/bin/env bash
# The documentation says what the code does: the frame tables in docs/spec-format.md are the
# ones the schema generates, every example spec in the docs validates, and `pcs --help` names
# every command the README shows.
source "$(dirname "$0")/lib.sh"
check "docs/spec-format.md frame tables are current" docs/update-frames "$PCS" --check
for cmd in run validate list coverage stub schema replay matrix; do
  check "README and --help both name '$cmd'" bash -c "grep -q 'pcs $cmd' README.md && '$PCS' --help | grep -q '^  $cmd '"
done
# every complete spec shown in docs/spec-format.md (a yaml block starting "pcs: 1") validates
python3 - docs/spec-format.md "$TMP/examples" <<'PY'
import os, re, sys
os.makedirs(sys.argv[2], exist_ok=True)
blocks = re.findall(r"```yaml\n(.*?)```", open(sys.argv[1]).read(), re.S)
for i, b in enumerate(x for x in blocks if x.startswith("pcs: 1")):
    open(os.path.join(sys.argv[2], f"example{i}.yaml"), "w").write(b)
PY
n=$(ls "$TMP/examples" | wc -l)
check "docs/spec-format.md has example specs ($n)" [ "$n" -ge 1 ]
check "every example spec in docs/spec-format.md validates" "$PCS" validate "$TMP/examples" --rules specs/rules
finish
