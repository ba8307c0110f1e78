# shellcheck shell=bash
# Start and stop a private chronyd pair on loopback (never the host's chronyd).
# Source this file, then:
#   chronyd_pair_start [OFFSET]   sets CHRONY_DIR, SOCK (Unix socket), UDP (127.0.0.1:port),
#                                  CMD_PORT, and waits (at most 30 s) until the client is
#                                  synchronised. SOCK and CMD_PORT, when set beforehand,
#                                  choose the client's places (e.g. /run/chrony/chronyd.sock
#                                  and 323 in a private namespace); its directory must exist
#                                  with mode 0750. CHRONY_DIR is 0755: files a caller puts
#                                  there are removed with it.
#   chronyd_pair_offset OFFSET    restarts the client with `offset OFFSET` on its server line
#   chronyd_pair_stop             kills both and removes CHRONY_DIR (also run on EXIT)
# The same layout as the test harness (tests/support/mod.rs): a server with
# `local stratum 3` and a client syncing from it every 0.25 s, with its command
# socket in a 0750 directory and a UDP command port. Needs root (chronyd -u root).

_free_udp_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

_chronyd_bin() {
    for p in /usr/sbin/chronyd /sbin/chronyd /usr/local/sbin/chronyd; do
        [ -x "$p" ] && { echo "$p"; return 0; }
    done
    echo "chronyd not installed: run scripts/setup" >&2
    return 1
}

_chronyd_client_start() {
    local offset=${1:-}
    local extra=""
    [ -n "$offset" ] && extra=" offset $offset"
    cat > "$CHRONY_DIR/client.conf" <<CONF
port 0
server 127.0.0.1 port $_CHRONY_SERVER_PORT iburst minpoll -2 maxpoll -2$extra
cmdport ${UDP##*:}
bindcmdaddress 127.0.0.1
bindcmdaddress $SOCK
pidfile $CHRONY_DIR/client.pid
CONF
    : > "$CHRONY_DIR/client.log"
    "$(_chronyd_bin)" -x -d -u root -f "$CHRONY_DIR/client.conf" -l "$CHRONY_DIR/client.log" \
        </dev/null >/dev/null 2>"$CHRONY_DIR/client.err" &
    _CHRONY_CLIENT_PID=$!
    local i
    for i in $(seq 1 600); do
        if [ -S "$SOCK" ] && grep -q "Selected source" "$CHRONY_DIR/client.log"; then
            sleep 0.6
            return 0
        fi
        kill -0 "$_CHRONY_CLIENT_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "private chronyd did not synchronise; its log:" >&2
    cat "$CHRONY_DIR/client.log" "$CHRONY_DIR/client.err" >&2
    return 1
}

_chronyd_client_stop() {
    [ -n "${_CHRONY_CLIENT_PID:-}" ] || return 0
    kill -CONT "$_CHRONY_CLIENT_PID" 2>/dev/null || true
    kill -TERM "$_CHRONY_CLIENT_PID" 2>/dev/null || true
    wait "$_CHRONY_CLIENT_PID" 2>/dev/null || true
    _CHRONY_CLIENT_PID=""
}

chronyd_pair_start() {
    CHRONY_DIR=$(mktemp -d /tmp/cpd.XXXXXX)
    chmod 0755 "$CHRONY_DIR"
    mkdir -m 0750 "$CHRONY_DIR/srv" "$CHRONY_DIR/run"
    SOCK="${SOCK:-$CHRONY_DIR/run/chronyd.sock}"
    _CHRONY_SERVER_PORT=$(_free_udp_port)
    CMD_PORT="${CMD_PORT:-$(_free_udp_port)}"
    UDP="127.0.0.1:$CMD_PORT"
    cat > "$CHRONY_DIR/server.conf" <<CONF
port $_CHRONY_SERVER_PORT
local stratum 3
allow 127.0.0.1
cmdport 0
bindcmdaddress $CHRONY_DIR/srv/chronyd.sock
pidfile $CHRONY_DIR/server.pid
CONF
    "$(_chronyd_bin)" -x -d -u root -f "$CHRONY_DIR/server.conf" -l "$CHRONY_DIR/server.log" \
        </dev/null >/dev/null 2>"$CHRONY_DIR/server.err" &
    _CHRONY_SERVER_PID=$!
    trap chronyd_pair_stop EXIT
    _chronyd_client_start "${1:-}"
}

chronyd_pair_offset() {
    _chronyd_client_stop
    _chronyd_client_start "$1"
}

chronyd_pair_stop() {
    _chronyd_client_stop
    if [ -n "${_CHRONY_SERVER_PID:-}" ]; then
        kill -TERM "$_CHRONY_SERVER_PID" 2>/dev/null || true
        wait "$_CHRONY_SERVER_PID" 2>/dev/null || true
        _CHRONY_SERVER_PID=""
    fi
    [ -n "${CHRONY_DIR:-}" ] && rm -rf "$CHRONY_DIR"
    CHRONY_DIR=""
}
