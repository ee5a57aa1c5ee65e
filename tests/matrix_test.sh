#!/usr/bin/env bash
# `pcs matrix`: the same specs against the built-in stub and a dead HOST:PORT (every case an
# error) — the console matrix, the Markdown table and the JSON document agree with `pcs list`,
# exit 1; stub alone exits 0; bad --target lists exit 2; Ctrl-C still writes what finished.
# (docs/results/update needs real brokers and is not run here.)
source "$(dirname "$0")/lib.sh"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dead="127.0.0.1:$(free_port)"
only='mqtt5/3.2/*'
"$PCS" list specs/mqtt/v5 --only "$only" | awk '{print $1}' >"$TMP/ids"
n=$(wc -l <"$TMP/ids")

NO_COLOR=1 "$PCS" matrix specs/mqtt/v5 --only "$only" --target "stub,$dead" --no-capture \
  --md "$TMP/m.md" --json "$TMP/m.json" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "stub + dead target: exit 1" [ "$rc" -eq 1 ]
check "one line per turn" grep -q "^\[2/2\] $dead: $n specs, $n not passing" "$TMP/out"
check "console: header names both targets" grep -qE "^spec +stub +$dead\$" "$TMP/out"
rows=$(grep -cE '^mqtt5/3\.2/[^ ]+ +pass +ERROR$' "$TMP/out")
check "console: one row per spec, pass | ERROR ($rows of $n)" [ "$rows" -eq "$n" ]
check "console: count rows per target" grep -qE "^error +0 +$n\$" "$TMP/out"
check "console: legend" grep -q '^legend: ' "$TMP/out"
check "console: failures as 'id  target  rule: message'" \
  grep -qE "^mqtt5/3\.2/connack-first +$dead +error: .*refused" "$TMP/out"
check "console: closing totals" grep -q "^pcs matrix: 2 targets x $n specs: $n pass, 0 fail, 0 warn, 0 skip, $n error" "$TMP/out"
check "console: no colours when NO_COLOR is set" bash -c "! grep -q $'\033' '$TMP/out'"

check "markdown: table header" grep -qF "| spec | stub | $dead |" "$TMP/m.md"
mdrows=$(grep -cE '^\| `mqtt5/3\.2/[^`]+` \| pass \| \*\*error\*\* \|$' "$TMP/m.md")
check "markdown: one row per spec ($mdrows of $n)" [ "$mdrows" -eq "$n" ]
check "markdown: a section per target listing what did not pass" \
  bash -c "sed -n '/^## $dead\$/,\$p' '$TMP/m.md' | grep -c '^- \`mqtt5/3.2/.*\` — error' | grep -qx $n"
check "json: targets, specs in order, a result per cell" python3 - "$TMP/m.json" "$TMP/ids" "$dead" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = open(sys.argv[2]).read().split()
dead = sys.argv[3]
assert d["targets"] == ["stub", dead], d["targets"]
assert [s["id"] for s in d["specs"]] == ids
for s in d["specs"]:
    assert s["title"] and s["rules"], s
    assert s["results"]["stub"] == {"verdict": "pass", "rules": [], "message": None}, s
    r = s["results"][dead]
    assert r["verdict"] == "error" and "refused" in r["message"], r
assert d["interrupted"] is False
PY

"$PCS" matrix specs/mqtt/v5 --only "$only" --target stub --no-capture >"$TMP/out" 2>&1
check "stub alone: exit 0" [ $? -eq 0 ]
for bad in "stub,stub" "stub," "stub,no-such-target"; do
  "$PCS" matrix specs/mqtt/v5 --only "$only" --target "$bad" --no-capture >"$TMP/out" 2>&1
  check "--target '$bad': exit 2" [ $? -eq 2 ]
done
"$PCS" matrix specs/mqtt/v5 --target stub --md >"$TMP/out" 2>&1
check "--md without PATH: exit 2" [ $? -eq 2 ]
"$PCS" --help | grep -q '^  matrix SPECS'
check "--help names matrix" [ $? -eq 0 ]

# Ctrl-C during the second target's turn (a silent target: every spec waits for its deadline):
# the matrix of what finished is still printed and written, exit 1.
silent_server
silent=$silent_pid
"$PCS" matrix specs/mqtt/v5 --only "$only" --target "stub,127.0.0.1:$silent_port" -j1 \
  --no-capture --json "$TMP/int.json" --md "$TMP/int.md" >"$TMP/int.out" 2>&1 &
pid=$!
for _ in $(seq 500); do grep -q '^\[1/2\] stub' "$TMP/int.out" 2>/dev/null && break; python3 -c 'import select; select.select([],[],[],0.02)'; done
python3 -c 'import select; select.select([],[],[],0.3)'
kill -INT "$pid"
wait "$pid"
rc=$?
check "Ctrl-C: exit 1" [ "$rc" -eq 1 ]
check "Ctrl-C: console says interrupted" grep -q '^interrupted: ' "$TMP/int.out"
check "Ctrl-C: Markdown written" grep -qF '| spec | stub |' "$TMP/int.md"
check "Ctrl-C: JSON has every stub result and is marked interrupted" python3 - "$TMP/int.json" "$n" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["interrupted"] is True
assert len(d["specs"]) == int(sys.argv[2])
assert all(s["results"]["stub"]["verdict"] == "pass" for s in d["specs"])
PY
kill "$silent" 2>/dev/null
finish
