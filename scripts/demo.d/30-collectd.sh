# collectd-chrony-tracking: the lines collectd's exec plugin reads (tracking, then eight per source).
echo "== collectd-chrony-tracking --once -H $UDP (environment as collectd sets it)"
COLLECTD_HOSTNAME=demo-host COLLECTD_INTERVAL=10.000 "$BIN/collectd-chrony-tracking" --once -H "$UDP"
echo "== the same over the Unix socket, with a plugin instance, only the built-in plugin's values (ten for tracking, eight per source)"
"$BIN/collectd-chrony-tracking" --once -H "$SOCK" --hostname demo-host --plugin-instance local --builtin-only
echo "== chronyd not answering: a failure notification on stdout, one line on stderr, exit status 1"
"$BIN/collectd-chrony-tracking" --once -H 127.0.0.1:1 --hostname demo-host || echo "(exit status $?)"
