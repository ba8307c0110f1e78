# shellcheck shell=bash
# Start and stop a private client chronyd with N NTP sources on loopback (never
# the host's chronyd), for benchmarks of the per-source reports. Source this file
# (after scripts/lib/chronyd.sh, for _free_udp_port and _chronyd_bin), then:
#   chronyd_sources_start [N]   N server chronyds (default 4), each on its own
#                               address 127.0.0.2, .3, ... (chronyd keys sources by
#                               IP), and a client using all of them; sets
#                               SOURCES_DIR, SOURCES_SOCK, SOURCES_UDP,
#                               SOURCES_CMD_PORT and waits (at most 30 s) until
#                               `chronyc sources` shows N reachable sources.
#   chronyd_sources_stop        kills all and removes SOURCES_DIR (also on EXIT)
# Needs root (chronyd -u root) and Linux (all of 127.0.0.0/8 reaches lo).

_sources_port_on() {
    python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1"
}

chronyd_sources_start() {
    local n=${1:-4} i ip port lines=""
    SOURCES_DIR=$(mktemp -d /tmp/cps.XXXXXX)
    chmod 0755 "$SOURCES_DIR"
    mkdir -m 0750 "$SOURCES_DIR/run"
    SOURCES_SOCK="$SOURCES_DIR/run/chronyd.sock"
    SOURCES_CMD_PORT=$(_free_udp_port)
    SOURCES_UDP="127.0.0.1:$SOURCES_CMD_PORT"
    _SOURCES_PIDS=()
    trap chronyd_sources_stop EXIT
    for i in $(seq 1 "$n"); do
        ip="127.0.0.$((i + 1))"
        port=$(_sources_port_on "$ip")
        mkdir -m 0750 "$SOURCES_DIR/srv$i"
        cat > "$SOURCES_DIR/server$i.conf" <<CONF
port $port
bindaddress $ip
local stratum 3
allow 127.0.0.0/8
cmdport 0
bindcmdaddress $SOURCES_DIR/srv$i/chronyd.sock
pidfile $SOURCES_DIR/server$i.pid
CONF
        "$(_chronyd_bin)" -x -d -u root -f "$SOURCES_DIR/server$i.conf" -l "$SOURCES_DIR/server$i.log" \
            </dev/null >/dev/null 2>"$SOURCES_DIR/server$i.err" &
        _SOURCES_PIDS+=($!)
        lines+="server $ip port $port iburst minpoll -2 maxpoll -2"$'\n'
    done
    cat > "$SOURCES_DIR/client.conf" <<CONF
port 0
${lines}cmdport $SOURCES_CMD_PORT
bindcmdaddress 127.0.0.1
bindcmdaddress $SOURCES_SOCK
pidfile $SOURCES_DIR/client.pid
CONF
    "$(_chronyd_bin)" -x -d -u root -f "$SOURCES_DIR/client.conf" -l "$SOURCES_DIR/client.log" \
        </dev/null >/dev/null 2>"$SOURCES_DIR/client.err" &
    _SOURCES_PIDS+=($!)
    for i in $(seq 1 600); do
        if [ -S "$SOURCES_SOCK" ] &&
            [ "$(chronyc -c -h "$SOURCES_SOCK" sources 2>/dev/null | awk -F, '$6 != "0"' | wc -l)" = "$n" ]; then
            return 0
        fi
        sleep 0.05
    done
    echo "private chronyd with $n sources did not come up; its log:" >&2
    cat "$SOURCES_DIR/client.log" "$SOURCES_DIR/client.err" >&2
    return 1
}

chronyd_sources_stop() {
    local pid
    for pid in "${_SOURCES_PIDS[@]:-}"; do
        [ -n "$pid" ] || continue
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    _SOURCES_PIDS=()
    [ -n "${SOURCES_DIR:-}" ] && rm -rf "$SOURCES_DIR"
    SOURCES_DIR=""
}
