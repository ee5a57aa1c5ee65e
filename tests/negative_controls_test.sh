#!/usr/bin/env bash
# Every server spec can fail: tests/negative-controls.tsv names, for each spec, a stub fault
# that breaks the rule it checks. Each pair must give a failing verdict that cites that rule,
# and no server spec may be without a pair (a mutation score of 100%).
source "$(dirname "$0")/lib.sh"
table=tests/negative-controls.tsv

"$PCS" list specs/mqtt | awk '{print $1}' | sort -u >"$TMP/ids"
grep -v '^#' "$table" | awk -F'\t' 'NF>=3 {print $1}' | sort -u >"$TMP/covered"
missing=$(comm -23 "$TMP/ids" "$TMP/covered")
check "every spec has a negative control" [ -z "$missing" ]
[ -z "$missing" ] || echo "specs without a fault: $missing"
unknown=$(comm -13 "$TMP/ids" "$TMP/covered")
check "every negative control names an existing spec" [ -z "$unknown" ]
[ -z "$unknown" ] || echo "unknown spec ids: $unknown"

run_one() { # id fault rule
  local out="$TMP/$(echo "$1-$2" | tr '/' '_')"
  "$PCS" run specs/mqtt --only "$1" --fault "$2" --json "$out.json" >"$out.log" 2>&1
  local rc=$?
  if [ "$rc" -ne 1 ]; then echo "exit $rc"; tail -30 "$out.log"; return 1; fi
  python3 - "$out.json" "$3" <<'PY' || { tail -30 "$out.log"; return 1; }
import json, sys
doc = json.load(open(sys.argv[1]))
case = doc["cases"][0]
rules = [f.get("rule") for f in case.get("findings", [])]
if case["verdict"] != "fail" or sys.argv[2] not in rules:
    print("verdict", case["verdict"], "rules", rules, "reason", case.get("reason"))
    sys.exit(1)
PY
}
while IFS=$'\t' read -r id fault rule; do
  case "$id" in ''|'#'*) continue ;; esac
  check "$id fails with --fault $fault citing $rule" run_one "$id" "$fault" "$rule"
done <"$table"
finish
