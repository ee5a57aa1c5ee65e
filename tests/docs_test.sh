#!/usr/bin/env bash
# The documentation says what the code does: the frame tables in docs/spec-format.md are the
# ones the schema generates, every example spec in the docs validates, and `pcs --help` names
# every command the README shows.
source "$(dirname "$0")/lib.sh"
check "docs/spec-format.md frame tables are current" docs/update-frames "$PCS" --check
for cmd in run validate list coverage stub schema; do
  check "README and --help both name '$cmd'" bash -c "grep -q 'pcs $cmd' README.md && '$PCS' --help | grep -q '^  $cmd '"
done
finish
