# lib.sh — shared by the shell tests: a scratch folder, assertions, a closing count line.
# Usage: source it with the pcs binary as $1 and the source tree as $2.
set -u
PCS=${1:?pcs binary}
SRC=${2:?source tree}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pcs-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$SRC"
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $*"; }
not_ok() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # check "description" command...
  local what=$1; shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
# Validates a JUnit file against the schema when PCS_JUNIT_XSD names it.
junit_valid() {
  [ -z "${PCS_JUNIT_XSD:-}" ] && return 0
  xmllint --noout --schema "$PCS_JUNIT_XSD" "$1" 2>"$TMP/xmllint.err" || { cat "$TMP/xmllint.err"; return 1; }
}
# Starts a TCP server on a free loopback port that accepts connections and never answers (for
# 30 s at most): a silent target. Sets $silent_port and $silent_pid.
silent_server() {
  python3 - "$TMP/silent.port" <<'PY' &
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(50)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
s.settimeout(30)
try:
    while True:
        conns.append(s.accept()[0])
except Exception:
    pass
PY
  silent_pid=$!
  for _ in $(seq 200); do   # its port is known within 4 s
    [ -s "$TMP/silent.port" ] && break
    python3 -c 'import select; select.select([], [], [], 0.02)'
  done
  silent_port=$(cat "$TMP/silent.port")
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
