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

DIR=$(mktemp -d /tmp/cpa.XXXXXX)
chmod 0755 "$DIR"
mkdir -m 0750 "$DIR/srv"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$DIR"
}
trap cleanup EXIT

CHRONYD=$(command -v chronyd || echo /usr/sbin/chronyd)
cat > "$DIR/server.conf" <<CONF
port 11123
local stratum 3
allow 127.0.0.1
cmdport 0
bindcmdaddress $DIR/srv/chronyd.sock
pidfile $DIR/server.pid
CONF
cat > "$DIR/client.conf" <<CONF
port 0
server 127.0.0.1 port 11123 iburst minpoll -2 maxpoll -2
cmdport 323
bindcmdaddress 127.0.0.1
bindcmdaddress /run/chrony/chronyd.sock
pidfile $DIR/client.pid
CONF
"$CHRONYD" -x -d -u root -f "$DIR/server.conf" -l "$DIR/server.log" </dev/null >/dev/null 2>&1 &
PIDS+=($!)
"$CHRONYD" -x -d -u root -f "$DIR/client.conf" -l "$DIR/client.log" </dev/null >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 1 400); do
    if [ -S /run/chrony/chronyd.sock ] && grep -q "Selected source" "$DIR/client.log"; then
        break
    fi
    sleep 0.05
done
grep -q "Selected source" "$DIR/client.log" || { echo "chronyd did not synchronise:"; cat "$DIR"/*.log; exit 1; }
sleep 0.6

mkdir -m 0755 "$DIR/bin"
for b in chrony-tracking check_chrony_tracking telegraf-chrony-tracking collectd-chrony-tracking; do
    install -m 0755 "$PLUGIN_BIN_DIR/$b" "$DIR/bin/$b"
done
nobody() { setpriv --reuid=nobody --regid=65534 --clear-groups -- "$@"; }
run() { # run NAME CMD...: output and exit status between markers
    local name=$1 rc=0 out
    shift
    out=$("$@" 2>&1) || rc=$?
    printf '=== %s\n%s\n=== exit %s\n' "$name" "$out" "$rc"
}

run tracking nobody "$DIR/bin/chrony-tracking"
run check nobody "$DIR/bin/check_chrony_tracking" -vv
run telegraf nobody "$DIR/bin/telegraf-chrony-tracking" --once
run collectd nobody env COLLECTD_HOSTNAME=h1 COLLECTD_INTERVAL=10.000 "$DIR/bin/collectd-chrony-tracking" --once
# As root, auto takes the Unix socket.
run tracking-root "$DIR/bin/chrony-tracking"
echo "=== leftovers"
ls -A /run/chrony
