#!/usr/bin/env bash
# The suite against real implementations that pcs starts itself (ci/targets.yaml): Mosquitto
# and aedes as servers, mosquitto_pub / mosquitto_sub and mqtt.js as clients under test (against
# pcs's virtual broker, and observed while mosquitto_pub talks to a real Mosquitto). Every spec that
# does not pass there must be listed in docs/results/<target>.md with its verdict — and every
# listed one must still not pass — so a change in behaviour (ours or theirs) fails this test.
source "$(dirname "$0")/lib.sh"

expected() { # results file -> "id verdict" lines from its table rows "| `id` | verdict | ..."
  sed -n 's/^| `\([^`]*\)` | \([a-z]*\) |.*/\1 \2/p' "$1" | sort
}
observed() { # json -> "id verdict" lines for every case that did not pass
  python3 - "$1" <<'PY' | sort
import json, sys
for c in json.load(open(sys.argv[1]))["cases"]:
    if c["verdict"] not in ("pass", "skip"):
        print(c["id"], c["verdict"])
PY
}

run_target() { # target specs results-file
  local t=$1 specs=$2 results=$3
  if ! command -v "$(sed -n "/^  $t:/,/^  [a-z]/p" ci/targets.yaml | grep -m1 -oE 'start: \[[^,]*|publish: \[[^,]*|subscribe: \[[^,]*' | sed 's/.*\[//')" >/dev/null 2>&1; then
    not_ok "$t: not installed (run ci/setup)"
    return
  fi
  # Keep-alive specs run on their own afterwards: how late a broker enforces keep alive can
  # depend on how busy it is, and the verdict recorded in docs/results is the idle one.
  "$PCS" run $specs --targets ci/targets.yaml --target "$t" -j2 --no-color --skip '*keepalive*' \
    --json "$TMP/$t.json" --junit "$TMP/$t.xml" >"$TMP/$t.out" 2>&1
  local rc=$?
  "$PCS" run $specs --targets ci/targets.yaml --target "$t" -j2 --no-color --only '*keepalive*' \
    --json "$TMP/$t-ka.json" >>"$TMP/$t.out" 2>&1
  [ $? -le 1 ] || rc=3
  check "$t: run completes (exit $rc)" [ "$rc" -le 1 ]
  check "$t: JUnit valid" junit_valid "$TMP/$t.xml"
  # `flaky` rows: the implementation fails that spec in some runs only; either verdict is fine
  expected "$results" | grep -v ' flaky$' >"$TMP/$t.expected"
  expected "$results" | sed -n 's/ flaky$//p' >"$TMP/$t.flaky"
  { observed "$TMP/$t.json"; observed "$TMP/$t-ka.json"; } | grep -vwFf <(cat "$TMP/$t.flaky"; echo '//none//') \
    | sort >"$TMP/$t.observed"
  if diff -u "$TMP/$t.expected" "$TMP/$t.observed" >"$TMP/$t.diff"; then
    ok "$t: non-passing specs are exactly those in $results"
  else
    not_ok "$t: non-passing specs differ from $results (- listed, + observed)"
    cat "$TMP/$t.diff"
    grep -A25 -E '^(FAIL|ERROR|WARN) ' "$TMP/$t.out" | head -150
  fi
  grep -E '^pcs: ' "$TMP/$t.out"
}

node_modules_ok() { # every npm package ci/node/package.json pins is installed at that version
  (cd ci/node && node -e 'const deps = require("./package.json").dependencies
    for (const d in deps) if (require(`./node_modules/${d}/package.json`).version !== deps[d]) throw d'
  ) >/dev/null 2>&1
}
if command -v node >/dev/null 2>&1 && ! node_modules_ok; then
  (cd ci/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1)
fi
run_target mosquitto specs/mqtt docs/results/mosquitto.md
run_target aedes specs/mqtt docs/results/aedes.md
run_target mosquitto_pub specs/mqtt-client docs/results/mosquitto_pub.md
run_target mosquitto_sub specs/mqtt-client docs/results/mosquitto_sub.md
# mqtt.js: a Node script on the pinned npm package (ci/setup installs it where Node.js is)
if command -v node >/dev/null 2>&1 && node_modules_ok; then
  run_target mqttjs specs/mqtt-client docs/results/mqttjs.md
else
  echo "Node.js or the npm packages of ci/node are missing (run ci/setup): mqttjs not run"
fi
# observed: mosquitto_pub talks to a real Mosquitto; pcs judges the live capture
if [ "$(id -u)" -eq 0 ]; then
  run_target mosquitto_pub-via-mosquitto specs/mqtt-client docs/results/mosquitto_pub-via-mosquitto.md
else
  echo "observing a client needs live capture (root or CAP_NET_RAW): mosquitto_pub-via-mosquitto not run"
fi
finish
