#!/usr/bin/env bash
# The command line as a user meets it: help and version, usage errors (exit 2), malformed specs
# reported as file:line:col (exit 2, nothing run), a dead target and a silent target (error
# verdicts, the run goes on and ends), and Ctrl-C (the JUnit of what finished is written).
source "$(dirname "$0")/lib.sh"

"$PCS" --help >"$TMP/help" 2>&1
check "--help exits 0 and lists run" grep -q '^  run SPECS' "$TMP/help"
check "--version" "$PCS" --version
"$PCS" frobnicate >/dev/null 2>&1
check "unknown command exits 2" [ $? -eq 2 ]
"$PCS" run specs/ -j 0 >/dev/null 2>&1
check "bad -j exits 2" [ $? -eq 2 ]
"$PCS" run specs/ --fault no-such-fault >"$TMP/out" 2>&1
check "unknown fault exits 2" [ $? -eq 2 ]

mkdir -p "$TMP/bad"
cat >"$TMP/bad/bad.yaml" <<'YAML'
pcs: 1
id: mqtt5/x/bad
protocol: mqtt
version: "5.0"
title: a spec with an unknown frame type
steps:
  - send: CONNECTT
YAML
"$PCS" run "$TMP/bad/bad.yaml" --rules specs/rules >"$TMP/out" 2>&1
rc=$?
check "malformed spec exits 2" [ "$rc" -eq 2 ]
check "malformed spec reported as file:line:col" grep -q "bad.yaml:7:[0-9]*: " "$TMP/out"
"$PCS" validate specs/ >"$TMP/out" 2>&1
check "pcs validate specs/ exits 0" [ $? -eq 0 ]

# --shard K/N: the shards are disjoint, stable, and together the whole suite.
"$PCS" list specs/ | awk '{print $1}' | sort >"$TMP/all"
for k in 1 2 3; do "$PCS" list specs/ --shard "$k/3" | awk '{print $1}'; done | sort >"$TMP/shards"
check "--shard 1/3..3/3 partition the suite" cmp -s "$TMP/all" "$TMP/shards"
"$PCS" list specs/ --shard 2/3 >"$TMP/s1"; "$PCS" list specs/ --shard 2/3 >"$TMP/s2"
check "--shard is stable" cmp -s "$TMP/s1" "$TMP/s2"
"$PCS" list specs/ --only 'mqtt5/3.2/*' --skip '*/connack-first' | awk '{print $1}' >"$TMP/only"
check "--only/--skip select by id glob" bash -c "grep -q '^mqtt5/3.2/' '$TMP/only' && ! grep -qv '^mqtt5/3.2/' '$TMP/only' && ! grep -q connack-first '$TMP/only'"

# A dead target: nothing listens there. Every spec errors, quickly, and the run ends.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PCS" run specs/mqtt/v5 --only 'mqtt5/3.2/*' --target "127.0.0.1:$port" --json "$TMP/dead.json" >"$TMP/out" 2>&1
rc=$?
check "dead target: exit 1" [ "$rc" -eq 1 ]
check "dead target: every case is an error" python3 - "$TMP/dead.json" <<'PY'
import json, sys
cases = json.load(open(sys.argv[1]))["cases"]
sys.exit(0 if cases and all(c["verdict"] == "error" for c in cases) else 1)
PY

# A silent target: accepts connections and never answers. Specs fail on their deadlines.
silent_server
silent=$silent_pid
"$PCS" run specs/mqtt/v3 --only 'mqtt3/3.12/*' --target "127.0.0.1:$silent_port" --json "$TMP/silent.json" >"$TMP/out" 2>&1
rc=$?
check "silent target: exit 1" [ "$rc" -eq 1 ]
check "silent target: cases fail with 'nothing arrived'" grep -q 'nothing arrived' "$TMP/out"

# Ctrl-C: JUnit of what finished is written.
"$PCS" run specs/mqtt -j1 --target "127.0.0.1:$silent_port" --junit "$TMP/int.xml" >"$TMP/int.out" 2>&1 &
pid=$!
for _ in $(seq 500); do grep -qE '^(FAIL|ERROR|PASS)' "$TMP/int.out" 2>/dev/null && break; python3 -c 'import select; select.select([],[],[],0.02)'; done
kill -INT "$pid"
wait "$pid"
check "Ctrl-C: JUnit written" grep -q '<testsuites' "$TMP/int.xml"
check "Ctrl-C: JUnit valid" junit_valid "$TMP/int.xml"
kill "$silent" 2>/dev/null

# An always-on check and the failing step that cite the same rule make one finding: the
# check's message, the step's place.
PCS_CAPTURE=off "$PCS" run specs/mqtt-client --only mqtt5-client/3.2/maximum-qos \
  --fault client-publish-above-max-qos-v5 --json "$TMP/merged.json" >/dev/null 2>&1
check "one finding per rule when a check and a step agree" python3 - "$TMP/merged.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["cases"][0]["findings"]
assert [x["rule"] for x in f] == ["MQTT-3.2.2-11"], f
assert f[0]["line"] > 0 and "Maximum QoS" in f[0]["message"], f[0]
PY
finish
