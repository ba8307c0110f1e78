# telegraf-chrony (old name telegraf-chrony-tracking): Telegraf execd input (drop-in for inputs.chrony).
# Two gathers triggered the way Telegraf's execd (signal = "STDIN") does: one newline each;
# then stdin closes, which ends the plugin with status 0. Status lines (I!/E!) go to stderr.
echo "== telegraf-chrony-tracking -H $SOCK   (two newlines on stdin = two gathers)"
{ echo; sleep 0.3; echo; } | "$BIN/telegraf-chrony-tracking" -H "$SOCK"
echo "   exit status $? after stdin EOF"
echo "== telegraf-chrony-tracking -H $UDP --extra-fields all --stratum-leap-as-fields   (opt-in variant)"
echo | "$BIN/telegraf-chrony-tracking" -H "$UDP" --extra-fields all --stratum-leap-as-fields
echo "== telegraf-chrony-tracking --once -H $UDP   (for inputs.exec)"
"$BIN/telegraf-chrony-tracking" --once -H "$UDP"
echo "== unreachable chronyd: one E! line on stderr, no metric, the process keeps running"
printf '\n\n' | "$BIN/telegraf-chrony-tracking" -H 127.0.0.1:9 --timeout 1s
echo "   exit status $? after stdin EOF"
echo "== telegraf-chrony --once -H $SOCK --metrics tracking,sources,sourcestats,activity,serverstats   (inputs.chrony's five)"
"$BIN/telegraf-chrony" --once -H "$SOCK" --metrics tracking,sources,sourcestats,activity,serverstats
echo "== the same over UDP: chronyd refuses serverstats there; one E! line, the other reports written"
echo | "$BIN/telegraf-chrony" -H "$UDP" --metrics tracking,sources,sourcestats,activity,serverstats
echo "   exit status $? after stdin EOF"
echo "== telegraf-chrony --once -H $SOCK --metrics selectdata,ntpdata,authdata   (beyond inputs.chrony)"
"$BIN/telegraf-chrony" --once -H "$SOCK" --metrics selectdata,ntpdata,authdata
