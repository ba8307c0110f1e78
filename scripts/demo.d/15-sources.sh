# check_chrony_sources: the Nagios/Icinga check of chronyd's sources (sourced
# by scripts/demo). Needs $BIN (release binaries), $UDP and $SOCK of the
# private chronyd pair, whose client has one source, 127.0.0.1.
demo_sources() {
    local rc=0
    echo "\$ check_chrony_sources $*"
    "$BIN/check_chrony_sources" "$@" || rc=$?
    echo "(exit $rc)"
    echo
}
# Reachability counts the last 8 polls (0.25 s apart here): let them fill.
sleep 2
echo "== check_chrony_sources: WARNING with the defaults, one usable source is fewer than 3"
demo_sources -H "$UDP"
echo "== OK for a host with one server by design (-m 1:), the source required, a line per source (-v, selectdata over the socket)"
demo_sources -H "$SOCK" -m 1: --require 127.0.0.1 -v
echo "== CRITICAL: a required source that is not configured"
demo_sources -H "$UDP" -m 1: --require 192.0.2.1
