# Process context: vrctl exec sets it, children and threads inherit it,
# vrctl identify reads it, only CAP_NET_ADMIN may enter or leave a context.
fail() {
	echo "FAIL: $*"
	exit 1
}
nopriv="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
vrctl create 5 name red || fail "create"
[ "$(vrctl exec 5 -- cat /proc/self/vrctx)" = 5 ] || fail "exec 5"
[ "$(vrctl exec red -- cat /proc/self/vrctx)" = 5 ] || fail "exec red"
out=$(vrctl exec red -- sh -c 'cat /proc/self/vrctx; sh -c "cat /proc/self/vrctx"; (cat /proc/self/vrctx)')
[ "$(echo $out)" = "5 5 5" ] || fail "children: $out"
out=$(vrctl exec red -- vrctx-probe threads)
[ "$out" = "main 5 thread 5" ] || fail "threads: $out"
[ "$(vrctl identify)" = 0 ] || fail "identify: $(vrctl identify)"
[ "$(vrctl exec red -- vrctl identify)" = "5 red" ] || fail "identify in red: $(vrctl exec red -- vrctl identify)"
vrctl exec red -- sleep 30 &
pid=$!
sleep 1
[ "$(vrctl identify $pid)" = "5 red" ] || fail "identify $pid: $(vrctl identify $pid)"
[ "$(cat /proc/$pid/task/$pid/vrctx)" = 5 ] || fail "task file"
vrctl -j identify $pid | grep -q '"vrctx":5' || fail "identify -j: $(vrctl -j identify $pid)"
kill $pid
# Root writes /proc/self/vrctx directly.
[ "$(sh -c 'echo 5 > /proc/self/vrctx && cat /proc/self/vrctx')" = 5 ] || fail "proc write 5"
# Without CAP_NET_ADMIN: cannot enter ...
out=$($nopriv vrctl exec red -- cat /proc/self/vrctx 2>&1) && fail "unprivileged exec red: $out"
echo "$out" | grep -q 'not permitted' || fail "unprivileged exec: '$out'"
# ... nor leave; the context stays.
out=$(vrctl exec red -- $nopriv sh -c 'echo 0 > /proc/self/vrctx; cat /proc/self/vrctx' 2>&1)
echo "$out" | grep -q 'not permitted' || fail "unprivileged leave: '$out'"
[ "$(echo "$out" | tail -n1)" = 5 ] || fail "context changed: $out"
# Staying where one is needs nothing.
[ "$(vrctl exec red -- $nopriv sh -c 'echo 5 > /proc/self/vrctx && cat /proc/self/vrctx')" = 5 ] ||
	fail "unprivileged no-op"
# A process in the context keeps it busy.
vrctl exec red -- sleep 30 &
pid=$!
sleep 1
out=$(vrctl delete red 2>&1) && fail "deleted red while a process is in it"
echo "$out" | grep -q busy || fail "delete busy: $out"
kill $pid
wait $pid 2>/dev/null
vrctl delete red || fail "delete red after the process left"
echo "process context ok"
