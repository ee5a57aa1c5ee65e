#!/usr/bin/env bash
# Every spec run writes a pcap that Wireshark can open: runs the MQTT 5 section 3.2 specs with
# --capture-dir, live (libpcap; needs root or CAP_NET_RAW) and synthesized (PCS_CAPTURE=synth),
# and asks tshark for the MQTT packets in each file. Also: one file per spec, named after its
# id; -j2 runs each capture only their own server port; synthesized TCP raises no analysis flags.
source "$(dirname "$0")/lib.sh"

if ! command -v tshark >/dev/null 2>&1; then
    not_ok "tshark is installed (ci/setup installs it)"
    finish
    exit
fi

# The server ports of a pcap: where its SYNs (without ACK) go.
server_ports() {
    tshark -r "$1" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields -e tcp.dstport \
        2>/dev/null | sort -u
}

# tshark run on a pcap with every server port decoded as MQTT: stub ports are random, and one
# that some other protocol registered would otherwise be decoded (and found malformed) as that.
tshark_mqtt() {
    local f=$1 args=() p
    shift
    for p in $(server_ports "$f"); do args+=(-d "tcp.port==$p,mqtt"); done
    tshark -r "$f" "${args[@]}" "$@" 2>/dev/null
}

# The MQTT message types tshark decodes from a pcap, one per line.
mqtt_types() {
    tshark_mqtt "$1" -o tcp.desegment_tcp_streams:TRUE -Y mqtt -T fields -e mqtt.msgtype |
        tr ',' '\n'
}

# Runs the section 3.2 specs with the capture mode in $1 and checks every pcap written.
check_mode() {
    local mode=$1 jobs=$2 dir="$TMP/cap-$1-j$2" rc f types n
    PCS_CAPTURE=$mode "$PCS" run specs/mqtt/v5 --only 'mqtt5/3.2/*' -j "$jobs" \
        --capture-dir "$dir" >"$TMP/out" 2>&1
    rc=$?
    n=$(ls "$dir"/*.pcap 2>/dev/null | wc -l)
    if [ "$rc" -gt 1 ] || [ "$n" -eq 0 ]; then
        not_ok "$mode -j$jobs: capture integration not present yet (pcs run --capture-dir exited $rc, wrote no pcap)"
        sed 's/^/     /' "$TMP/out" | head -5
        return
    fi
    ok "$mode -j$jobs: pcs run --capture-dir wrote $n pcaps (exit $rc)"
    check "$mode -j$jobs: file named after the spec id" \
        test -s "$dir/mqtt5-3.2-connack-first.pcap"
    for f in "$dir"/*.pcap; do
        types=$(mqtt_types "$f" | sort -u | tr '\n' ' ')
        check "$mode -j$jobs: $(basename "$f") decodes as MQTT (types: $types)" [ -n "$types" ]
        check "$mode -j$jobs: $(basename "$f") holds one server port only" \
            [ "$(server_ports "$f" | wc -l)" -eq 1 ]
        check "$mode -j$jobs: $(basename "$f") has nothing malformed" \
            [ -z "$(tshark_mqtt "$f" -Y '_ws.malformed')" ]
        if [ "$mode" = synth ]; then
            check "$mode -j$jobs: $(basename "$f") has valid checksums and no TCP analysis flags" \
                [ -z "$(tshark_mqtt "$f" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
                    -Y 'tcp.analysis.flags || tcp.checksum.status == 0 || ip.checksum.status == 0')" ]
        fi
    done
    # connack-first: the client's CONNECT (1) and the server's CONNACK (2), in that order
    check "$mode -j$jobs: connack-first shows CONNECT then CONNACK" \
        [ "$(mqtt_types "$dir/mqtt5-3.2-connack-first.pcap" | head -2 | tr '\n' ' ')" = "1 2 " ]
}

if [ "$(id -u)" -eq 0 ] || [ "${PCS_CAPTURE_TEST_LIVE:-}" = 1 ]; then
    check_mode live 1
    check_mode live 2
else
    echo "skip live: not root (set PCS_CAPTURE_TEST_LIVE=1 when pcs has CAP_NET_RAW)"
fi
check_mode synth 1
check_mode synth 2

# --no-capture writes nothing
if "$PCS" run --help 2>&1 | grep -q -- --no-capture || "$PCS" --help 2>&1 | grep -q -- --no-capture; then
    "$PCS" run specs/mqtt/v5 --only 'mqtt5/3.2/connack-first' --capture-dir "$TMP/none" \
        --no-capture >/dev/null 2>&1
    check "--no-capture writes no pcap" [ -z "$(ls "$TMP/none" 2>/dev/null)" ]
fi

finish
