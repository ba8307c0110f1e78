# check_chrony_tracking against real offsets: the private client restarted
# with `offset` on its server line reports that correction and never removes
# it (chronyd -x may not touch the clock).
for offset in 0.05 0.5; do
    echo "== private chronyd with a +$offset s offset: check_chrony_tracking -w 0.01 -c 0.1"
    chronyd_pair_offset "$offset"
    sleep 2 # a few clock updates at 0.25 s, so the correction reaches the offset
    demo_check -H "$UDP" -w 0.01 -c 0.1
done
