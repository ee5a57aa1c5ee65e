#!/usr/bin/env bash
# Every spec can fail: tests/negative-controls.tsv names, for each rule a spec cites (its
# `rules` and its steps' `rule`), a stub fault that breaks it — a broker fault for server
# specs, a client-* fault of the stub's client for client specs. Each row must give a failing
# verdict that cites that rule — live, and again when its capture is replayed with the spec;
# in a spec citing several rules, from a step or always-on check that names it — and no cited
# rule may be without a row (a mutation score of 100%, rule by rule).
source "$(dirname "$0")/lib.sh"
table=tests/negative-controls.tsv

dirs="specs/mqtt specs/mqtt-client"
# "id rule" for every rule each spec cites (pcs list ends a line with "[rule, rule]")
"$PCS" list $dirs | sed -n 's/^\([^ ]*\) .*\[\(.*\)\]$/\1 \2/p' |
  awk '{for (i = 2; i <= NF; i++) { r = $i; sub(/,$/, "", r); print $1, r }}' | sort -u >"$TMP/cited"
"$PCS" list $dirs | awk '{print $1}' | sort -u >"$TMP/ids"
grep -v '^#' "$table" | awk -F'\t' 'NF>=3 {print $1, $3}' | sort -u >"$TMP/proven"
missing=$(comm -23 "$TMP/cited" "$TMP/proven")
check "every rule a spec cites has a negative control" [ -z "$missing" ]
[ -z "$missing" ] || echo "cited without a fault that fails it: $missing"
unknown=$(awk '{print $1}' "$TMP/proven" | sort -u | comm -13 "$TMP/ids" -)
check "every negative control names an existing spec" [ -z "$unknown" ]
[ -z "$unknown" ] || echo "unknown spec ids: $unknown"

# One pair: the spec must fail and cite the rule. Prints one "ok"/"FAIL" line.
run_one() { # id fault rule
  local out="$TMP/$(echo "$1-$2-$3" | tr '/' '_')"   # a pair may stand twice, with two rules
  PCS_CAPTURE=synth "$PCS" run $dirs --only "$1" --fault "$2" --json "$out.json" --capture-dir "$out.cap" \
    >"$out.log" 2>&1
  local rc=$?
  # the capture, replayed with the spec, must fail in the same way (round trip)
  local pcap file
  pcap=$(ls "$out.cap"/*.pcap 2>/dev/null | head -1)
  file=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cases"][0]["file"])' "$out.json" 2>/dev/null)
  if [ -n "$pcap" ] && [ -n "$file" ]; then
    "$PCS" replay "$pcap" --spec "$file" --json "$out.replay.json" >"$out.replay.log" 2>&1
  fi
  if [ "$rc" -eq 1 ] && python3 - "$3" "$out.json" "$out.replay.json" >"$out.why" 2>&1 <<'PY'
import json, sys
for what, path in (("live run", sys.argv[2]), ("replay of its capture", sys.argv[3])):
    case = json.load(open(path))["cases"][0]
    # in a spec citing several rules, a step that names none cites the first by default: that
    # proves nothing about the rule, so the finding must name it (a step's rule, or a check)
    several = len(case.get("rules", [])) > 1
    rules = [f.get("rule") for f in case.get("findings", [])
             if not (several and f.get("rule_inherited"))]
    if case["verdict"] != "fail" or sys.argv[1] not in rules:
        print(what, "verdict", case["verdict"], "rules", rules, "reason", case.get("reason"))
        sys.exit(1)
PY
  then echo "ok   $1 fails with --fault $2 citing $3"
  else echo "FAIL $1 fails with --fault $2 citing $3 (exit $rc)"; cat "$out.why"; tail -30 "$out.log"
  fi
}
export -f run_one
export PCS TMP dirs
# The pairs are independent: run four at a time (most of their time is spent waiting).
grep -v '^#' "$table" | awk -F'\t' 'NF>=3' |
  xargs -P4 -L1 -d '\n' bash -c 'IFS=$'"'"'\t'"'"' read -r id fault rule <<<"$0"; run_one "$id" "$fault" "$rule"' \
  >"$TMP/results"
cat "$TMP/results"
passed=$((passed + $(grep -c '^ok ' "$TMP/results")))
failed=$((failed + $(grep -c '^FAIL ' "$TMP/results")))
finish
