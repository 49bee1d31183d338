# Process context: vrctl exec sets it, children and threads inherit it,
# vrctl identify reads it, only CAP_NET_ADMIN may enter or leave a context.
. /usr/lib/vrctx/lib.sh
must vrctl create 5 name red
expect_out 5 vrctl exec 5 -- cat /proc/self/vrctx
expect_out 5 vrctl exec red -- cat /proc/self/vrctx
must vrctl exec red -- sh -c 'cat /proc/self/vrctx; sh -c "cat /proc/self/vrctx"; (cat /proc/self/vrctx)'
[ "$(echo $OUT)" = "5 5 5" ] || fail "children: $OUT"
expect_out "main 5 thread 5" vrctl exec red -- vrctx-probe threads
expect_out 0 vrctl identify
expect_out "5 red" vrctl exec red -- vrctl identify
vrctl exec red -- sleep 30 &
pid=$!
# vrctl has switched to red and exec'd sleep.
wait_for 10 comm_is $pid sleep
expect_out "5 red" vrctl identify $pid
expect_out 5 cat /proc/$pid/task/$pid/vrctx
expect 0 '"vrctx":5' vrctl -j identify $pid
kill $pid
wait_pid 5 $pid
# Root writes /proc/self/vrctx directly.
expect_out 5 sh -c 'echo 5 > /proc/self/vrctx && cat /proc/self/vrctx'
# Without CAP_NET_ADMIN: cannot enter ...
expect 2 'Operation not permitted' $NOPRIV vrctl exec red -- cat /proc/self/vrctx
# ... nor leave; the context stays.
expect 0 'Operation not permitted' vrctl exec red -- $NOPRIV sh -c 'echo 0 > /proc/self/vrctx; cat /proc/self/vrctx'
[ "$(echo "$OUT" | tail -n1)" = 5 ] || fail "context changed: $OUT"
# Staying where one is needs nothing.
expect_out 5 vrctl exec red -- $NOPRIV sh -c 'echo 5 > /proc/self/vrctx && cat /proc/self/vrctx'
# A process in the context keeps it busy.
vrctl exec red -- sleep 30 &
pid=$!
wait_for 10 comm_is $pid sleep
expect 2 'delete context red: Device or resource busy: Context in use' vrctl delete red
kill $pid
wait_pid 5 $pid
must vrctl delete red
echo "process context ok"
