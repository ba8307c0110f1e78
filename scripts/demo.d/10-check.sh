# check_chrony_tracking: the Nagios/Icinga check (sourced by scripts/demo; the
# offset-driven WARNING/CRITICAL runs are in 90-check-offsets.sh).
# Needs $BIN (release binaries), $UDP (127.0.0.1:port) and $SOCK (socket path)
# of a synchronised private chronyd (stratum 4, reference 127.0.0.1).
demo_check() {
    local rc=0
    echo "\$ check_chrony_tracking $*"
    "$BIN/check_chrony_tracking" "$@" || rc=$?
    echo "(exit $rc)"
    echo
}
echo "== check_chrony_tracking: OK with the defaults (|offset| 0.1 s / 1 s, last update 1 h / 4 h)"
demo_check -H "$UDP"
echo "== WARNING: the stratum (4) is outside -W 1:3"
demo_check -H "$UDP" -W 1:3 -C 1:10
echo "== CRITICAL: the stratum is outside -C 1:3 too, read over the Unix socket, one line per metric (-v)"
demo_check -H "$SOCK" -W 1:2 -C 1:3 -v
echo "== UNKNOWN: a range with start > end is a usage error"
demo_check -H "$UDP" -w 1:0
