# chrony-report: any report, like chronyc (sourced by scripts/demo).
# Needs $BIN (release binaries), $UDP (127.0.0.1:port) and $SOCK (socket path)
# of a synchronised private chronyd; `show` from scripts/demo.
section "chrony-report: the sources report over the UDP command port"
show "$BIN/chrony-report" sources -H "$UDP"
section "sourcestats as JSON"
show "$BIN/chrony-report" sourcestats -H "$UDP" --json
section "selectdata over the Unix socket (root), and refused over UDP with the fix named"
show "$BIN/chrony-report" selectdata -H "$SOCK"
show "$BIN/chrony-report" selectdata -H "$UDP"
