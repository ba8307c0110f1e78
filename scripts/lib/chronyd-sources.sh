# shellcheck shell=bash
# A private chronyd with several NTP sources on loopback (never the host's
# chronyd), for benchmarks of check_chrony_sources. Source this file, then:
#   chronyd_sources_start N   starts N servers (`local stratum 3`) bound to
#                             127.0.0.2 .. 127.0.0.(N+1) and a client polling all
#                             of them every 0.25 s; sets CHRONY_DIR, SOCK (the
#                             client's Unix socket), UDP (127.0.0.1:port) and
#                             CMD_PORT, and waits (at most 30 s) until every
#                             source has answered its last 8 polls. SOCK, when set
#                             beforehand, chooses the client's socket (its
#                             directory must exist with mode 0750).
#   chronyd_sources_stop      kills them all and removes CHRONY_DIR (also on EXIT)
# Needs root (chronyd -u root).

_cs_free_udp_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

_cs_chronyd() {
    for p in /usr/sbin/chronyd /sbin/chronyd /usr/local/sbin/chronyd; do
        [ -x "$p" ] && { echo "$p"; return 0; }
    done
    echo "chronyd not installed: run scripts/setup" >&2
    return 1
}

_CS_PIDS=()

chronyd_sources_start() {
    local n="$1" i ip port
    CHRONY_DIR=$(mktemp -d /tmp/cps.XXXXXX)
    chmod 0755 "$CHRONY_DIR"
    mkdir -m 0750 "$CHRONY_DIR/run"
    SOCK="${SOCK:-$CHRONY_DIR/run/chronyd.sock}"
    CMD_PORT="$(_cs_free_udp_port)"
    UDP="127.0.0.1:$CMD_PORT"
    trap chronyd_sources_stop EXIT
    port="$(_cs_free_udp_port)"
    local servers=""
    for i in $(seq 1 "$n"); do
        ip="127.0.0.$((i + 1))"
        mkdir -m 0750 "$CHRONY_DIR/srv$i"
        cat > "$CHRONY_DIR/srv$i.conf" <<CONF
port $port
bindaddress $ip
local stratum 3
allow 127.0.0.0/8
cmdport 0
bindcmdaddress $CHRONY_DIR/srv$i/chronyd.sock
pidfile $CHRONY_DIR/srv$i.pid
CONF
        "$(_cs_chronyd)" -x -d -u root -f "$CHRONY_DIR/srv$i.conf" -l "$CHRONY_DIR/srv$i.log" \
            </dev/null >/dev/null 2>"$CHRONY_DIR/srv$i.err" &
        _CS_PIDS+=("$!")
        servers+="server $ip port $port iburst minpoll -2 maxpoll -2"$'\n'
    done
    cat > "$CHRONY_DIR/client.conf" <<CONF
port 0
${servers}cmdport $CMD_PORT
bindcmdaddress 127.0.0.1
bindcmdaddress $SOCK
pidfile $CHRONY_DIR/client.pid
CONF
    "$(_cs_chronyd)" -x -d -u root -f "$CHRONY_DIR/client.conf" -l "$CHRONY_DIR/client.log" \
        </dev/null >/dev/null 2>"$CHRONY_DIR/client.err" &
    _CS_PIDS+=("$!")
    for i in $(seq 1 600); do
        if [ -S "$SOCK" ] && [ "$(chronyc -c -n -h "$SOCK" sources 2>/dev/null | awk -F, '$6 == 377' | wc -l)" = "$n" ]; then
            return 0
        fi
        sleep 0.05
    done
    echo "private chronyd did not reach its $n sources; its log:" >&2
    cat "$CHRONY_DIR/client.log" "$CHRONY_DIR/client.err" >&2
    chronyc -n -h "$SOCK" sources >&2 || true
    return 1
}

chronyd_sources_stop() {
    local pid
    for pid in "${_CS_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    _CS_PIDS=()
    [ -n "${CHRONY_DIR:-}" ] && rm -rf "$CHRONY_DIR"
    CHRONY_DIR=""
}
