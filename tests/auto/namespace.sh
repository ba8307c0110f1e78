#!/usr/bin/env bash
# Runs inside `unshare -m -n` (see tests/auto.rs): a private mount namespace
# with its own /run, and a private network namespace with its own loopback,
# so a private chronyd can serve exactly where a system chronyd would
# (/run/chrony/chronyd.sock, 127.0.0.1:323) without touching the host's.
# Then every binary runs as `nobody` with the default `-H auto`, the way
# Icinga, Telegraf and collectd run them. Prints each binary's output
# between markers for the test to check.
set -euo pipefail
: "${PLUGIN_BIN_DIR:?}"

mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -m 0750 /run/chrony
ip link set lo up

# The client chronyd exactly where a system one would be.
SOCK=/run/chrony/chronyd.sock
CMD_PORT=323
. "$(dirname "$0")/../../scripts/lib/chronyd.sh"
chronyd_pair_start
DIR="$CHRONY_DIR"

mkdir -m 0755 "$DIR/bin"
for b in chrony-tracking check_chrony_tracking check_chrony_sources telegraf-chrony-tracking collectd-chrony-tracking; do
    install -m 0755 "$PLUGIN_BIN_DIR/$b" "$DIR/bin/$b"
done
# nobody's own group: nogroup on Debian, nobody on Fedora/EL (both gid 65534
# there, but not everywhere).
NOBODY_GID=$(id -g nobody)
nobody() { setpriv --reuid=nobody --regid="$NOBODY_GID" --clear-groups -- "$@"; }
run() { # run NAME CMD...: output and exit status between markers
    local name=$1 rc=0 out
    shift
    out=$("$@" 2>&1) || rc=$?
    printf '=== %s\n%s\n=== exit %s\n' "$name" "$out" "$rc"
}

run tracking nobody "$DIR/bin/chrony-tracking"
run check nobody "$DIR/bin/check_chrony_tracking" -vv
# One source by design, reach registers maybe not full yet: only where the
# sources came from matters here.
SOURCES_OK=(-vv -m 1: --reach-worst-warning '~:' --reach-mean-warning '~:' --reach-mean-critical '~:')
run sources nobody "$DIR/bin/check_chrony_sources" "${SOURCES_OK[@]}"
run telegraf nobody "$DIR/bin/telegraf-chrony-tracking" --once
run collectd nobody env COLLECTD_HOSTNAME=h1 COLLECTD_INTERVAL=10.000 "$DIR/bin/collectd-chrony-tracking" --once
# As root, auto takes the Unix socket.
run tracking-root "$DIR/bin/chrony-tracking"
run sources-root "$DIR/bin/check_chrony_sources" "${SOURCES_OK[@]}"
echo "=== leftovers"
ls -A /run/chrony
