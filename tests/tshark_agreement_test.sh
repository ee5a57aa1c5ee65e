#!/usr/bin/env bash
# pcs decodes real traffic as tshark does: a capture of mosquitto_pub / mosquitto_sub talking
# to Mosquitto (QoS 0/1/2, MQTT 3.1.1 and 5.0, retained, will), replayed by pcs, gives the
# same MQTT packet types as tshark's mqtt.msgtype, frame for frame.
source "$(dirname "$0")/lib.sh"

for tool in tshark mosquitto mosquitto_pub mosquitto_sub; do
  command -v "$tool" >/dev/null || { not_ok "$tool is not installed (run ci/setup)"; finish; exit; }
done
if [ "$(id -u)" -ne 0 ]; then
  echo "live capture needs root or CAP_NET_RAW: this test only runs where it may capture"
  finish; exit
fi

wait_for() { # wait_for SECONDS COMMAND...: polls the condition every 20 ms until the deadline
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  until "$@"; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    python3 -c 'import select; select.select([], [], [], 0.02)'
  done
}
# a free port below the kernel's ephemeral range, so no other connection on lo uses it as its
# client port while we capture (that traffic would be captured too)
port=$(python3 -c '
import random, socket
for p in random.sample(range(20000, 32000), 200):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()')
# capture first, so that every connection is seen from its SYN; the broker's own log says
# when it listens (a probe connection would be traffic of its own)
tshark -i lo -f "tcp port $port" -w "$TMP/real.pcapng" >"$TMP/tshark.out" 2>&1 &
cap=$!
trap 'kill $broker $cap 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
check "tshark captures" wait_for 10 grep -q "Capturing on" "$TMP/tshark.out"
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stdout\n' "$port" >"$TMP/m.conf"
stdbuf -oL mosquitto -c "$TMP/m.conf" >"$TMP/mosquitto.log" 2>&1 &
broker=$!
check "mosquitto listens" wait_for 10 grep -q "listen socket on port $port" "$TMP/mosquitto.log"

pub() { mosquitto_pub -h 127.0.0.1 -p "$port" "$@"; }
for v in mqttv311 mqttv5; do
  # a subscriber (ready once its SUBACK is in), one message per QoS and a retained one
  stdbuf -oL mosquitto_sub -d -h 127.0.0.1 -p "$port" -V "$v" -t "t/$v" -q 2 -C 4 -W 10 \
    >"$TMP/sub-$v.out" &
  sub=$!
  check "$v subscriber ready" wait_for 10 grep -q "received SUBACK" "$TMP/sub-$v.out"
  for q in 0 1 2; do pub -V "$v" -t "t/$v" -m "qos $q" -q "$q"; done
  pub -V "$v" -t "t/$v" -m retained -q 1 -r
  wait "$sub"
  # a client with a will that dies without DISCONNECT
  stdbuf -oL mosquitto_sub -d -h 127.0.0.1 -p "$port" -V "$v" -t "w/$v" --will-topic "w/$v" \
    --will-payload gone -W 10 >"$TMP/will-$v.out" &
  killer=$!
  check "$v will client connected" wait_for 10 grep -q "received SUBACK" "$TMP/will-$v.out"
  kill -9 "$killer" 2>/dev/null; wait "$killer" 2>/dev/null
done
pub -V mqttv311 -t "t/clear" -n -r
kill -INT "$cap"; wait "$cap" 2>/dev/null

tshark -r "$TMP/real.pcapng" -d "tcp.port==$port,mqtt" -Y mqtt -T fields -e frame.number -e mqtt.msgtype \
  2>/dev/null | awk -F'\t' '{n=split($2,t,","); for(i=1;i<=n;i++) print $1, t[i]}' | sort -n -k1 -k2 >"$TMP/tshark.types"
"$PCS" replay "$TMP/real.pcapng" --decode-as "$port=mqtt" >"$TMP/replay.out" 2>&1
python3 - "$TMP/replay.out" <<'PY' | sort -n -k1 -k2 >"$TMP/pcs.types"
import re, sys
codes = {n: i for i, n in enumerate("- CONNECT CONNACK PUBLISH PUBACK PUBREC PUBREL PUBCOMP SUBSCRIBE "
                                    "SUBACK UNSUBSCRIBE UNSUBACK PINGREQ PINGRESP DISCONNECT AUTH".split())}
for line in open(sys.argv[1]):
    m = re.match(r"#(\d+) \S+ f\d+ \S+ > \S+ ([A-Z]+)\b", line)
    if m and m.group(2) in codes:
        print(m.group(1), codes[m.group(2)])
PY
n=$(wc -l <"$TMP/pcs.types")
check "the capture holds MQTT traffic ($n packets)" [ "$n" -ge 20 ]
for t in 1 2 3 4 5 6 7 8 9 14; do   # all but PING (no keep alive here) and UNSUBSCRIBE
  check "packet type $t present" grep -q " $t\$" "$TMP/pcs.types"
done
if diff -u "$TMP/tshark.types" "$TMP/pcs.types" >"$TMP/diff"; then
  ok "pcs and tshark agree on every MQTT packet type, frame for frame"
else
  not_ok "pcs and tshark disagree (- tshark, + pcs)"; head -40 "$TMP/diff"
fi
finish
