# /proc/<pid>/vrctx: read, inherited by children and threads, written only by
# the thread itself, privileged, bad values refused without a change.
. /usr/lib/vrctx/lib.sh

[ "$(cat /proc/self/vrctx)" = 0 ] || fail "init's children are not in context 0"
[ "$(cat /proc/1/vrctx)" = 0 ] || fail "init is not in context 0"
parent=$(cat /proc/$$/vrctx)
child=$(sh -c 'cat /proc/$$/vrctx')
[ "$child" = "$parent" ] || fail "child has context $child, parent $parent"
for t in /proc/$$/task/*/vrctx; do
	[ "$(cat "$t")" = "$parent" ] || fail "$t differs"
done
# A kernel thread is in context 0.
[ "$(cat /proc/2/vrctx)" = 0 ] || fail "kthreadd not in context 0"

# Writing the current context is a no-op anyone may do.
echo 0 >/proc/self/vrctx || fail "writing 0 to own /proc/self/vrctx"
must $NOPRIV sh -c 'echo 0 > /proc/self/vrctx'

# Unknown, malformed and out-of-range values (each write is the shell's own).
expect 1 'No such file or directory' sh -c 'echo 5 > /proc/self/vrctx'
expect 1 'Invalid argument' sh -c 'echo abc > /proc/self/vrctx'
expect 1 'Invalid argument' sh -c 'echo -1 > /proc/self/vrctx'
expect 1 'Invalid argument' sh -c "echo '' > /proc/self/vrctx"
expect 1 'Invalid argument' sh -c 'echo 0x5 > /proc/self/vrctx'
expect 1 'Invalid argument' sh -c 'echo 12345678901234567 > /proc/self/vrctx'
expect 1 'Numerical result out of range' sh -c 'echo 4294967296 > /proc/self/vrctx'
expect 1 'Numerical result out of range' sh -c 'echo 2147483648 > /proc/self/vrctx'
# Without CAP_NET_ADMIN: EPERM, whatever the context.
expect 1 'Operation not permitted' $NOPRIV sh -c 'echo 5 > /proc/self/vrctx'
# Another thread's file: EPERM, even for root.
sleep 30 &
pid=$!
expect 1 'Operation not permitted' sh -c "echo 0 > /proc/$pid/vrctx"
kill $pid
wait_pid 5 $pid
[ "$(cat /proc/self/vrctx)" = 0 ] || fail "context changed by refused writes"
echo "/proc/<pid>/vrctx ok"
