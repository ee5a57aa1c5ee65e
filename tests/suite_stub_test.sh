#!/usr/bin/env bash
# Every spec passes against the built-in stub, at -j1 and -j2, and the JUnit and JSON written
# are complete (and the JUnit valid against the Jenkins schema when PCS_JUNIT_XSD is set).
source "$(dirname "$0")/lib.sh"

# pcaps written from the peers' own bytes: the round trip below tests replay, not the kernel
PCS_CAPTURE=synth "$PCS" run specs/ -j2 --junit "$TMP/j2.xml" --json "$TMP/j2.json" --capture-dir "$TMP/cap" \
  >"$TMP/j2.out" 2>&1
rc=$?
check "pcs run specs/ -j2 on the stub exits 0 (got $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || tail -60 "$TMP/j2.out"
check "JUnit written and valid" junit_valid "$TMP/j2.xml"
check "console closes with a count line" grep -qE '^pcs: [0-9]+ passed, 0 failed' "$TMP/j2.out"
n_specs=$("$PCS" list specs/ | wc -l)
n_cases=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["cases"]))' "$TMP/j2.json")
check "JSON has one case per spec ($n_cases of $n_specs)" [ "$n_cases" -eq "$n_specs" ]

"$PCS" run specs/mqtt -j1 --no-capture >"$TMP/j1.out" 2>&1
check "pcs run specs/mqtt -j1 exits 0" [ $? -eq 0 ]

# Round trip: each capture, replayed with its spec, gives the verdict of the live run.
python3 - "$TMP/j2.json" >"$TMP/pairs" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["cases"]:
    if c["verdict"] != "skip" and c.get("pcap"):
        print(c["pcap"], c["file"], c["verdict"])
PY
bad=0
while read -r pcap file verdict; do
  "$PCS" replay "$pcap" --spec "$file" --json "$TMP/r.json" >"$TMP/r.out" 2>&1
  got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cases"][0]["verdict"])' "$TMP/r.json" 2>/dev/null)
  if [ "$got" != "$verdict" ]; then
    bad=$((bad + 1)); echo "replay of $pcap with $file: $got, live run: $verdict"; tail -25 "$TMP/r.out"
  fi
done <"$TMP/pairs"
check "every capture replays to its live verdict ($(wc -l <"$TMP/pairs") specs)" [ "$bad" -eq 0 ]

# --peer maps peers to connections explicitly: right, it passes; swapped, it does not.
spec=specs/mqtt/v3/4.1/session-keeps-qos2-state.yaml
pcap="$TMP/cap/mqtt3-4.1-session-keeps-qos2-state.pcap"
ends=$("$PCS" replay "$pcap" --decode-as 1=mqtt | awk '/ CONNECT /{print $4}' | head -2)
c2=$(echo "$ends" | sed -n 1p); c1=$(echo "$ends" | sed -n 2p)
"$PCS" replay "$pcap" --spec "$spec" --peer "c1=$c1" --peer "c2=$c2" >/dev/null 2>&1
check "replay --peer with the right connections passes" [ $? -eq 0 ]
"$PCS" replay "$pcap" --spec "$spec" --peer "c1=$c2" --peer "c2=$c1" >/dev/null 2>&1
check "replay --peer with swapped connections fails" [ $? -eq 1 ]
finish
