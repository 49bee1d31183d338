# /proc/<pid>/vrctx: read, inherited by children and threads, written only by
# the thread itself, privileged, bad values refused without a change.
fail() {
	echo "FAIL: $*"
	exit 1
}
expect_write_error() { # VALUE FILE MESSAGE-PART [setpriv...]
	v=$1 f=$2 want=$3
	shift 3
	out=$("$@" sh -c "echo '$v' > $f" 2>&1) && fail "writing '$v' to $f succeeded"
	echo "$out" | grep -q "$want" || fail "writing '$v' to $f: '$out', want '$want'"
}

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
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
	sh -c 'echo 0 > /proc/self/vrctx' || fail "unprivileged no-op write refused"

# Unknown, malformed and out-of-range values.
expect_write_error 5 /proc/self/vrctx 'No such file'
expect_write_error abc /proc/self/vrctx 'Invalid argument'
expect_write_error -1 /proc/self/vrctx 'Invalid argument'
expect_write_error '' /proc/self/vrctx 'Invalid argument'
expect_write_error 0x5 /proc/self/vrctx 'Invalid argument'
expect_write_error 12345678901234567 /proc/self/vrctx 'Invalid argument'
expect_write_error 4294967296 /proc/self/vrctx 'out of range'
expect_write_error 2147483648 /proc/self/vrctx 'out of range'
# Without CAP_NET_ADMIN: EPERM, whatever the context.
expect_write_error 5 /proc/self/vrctx 'Operation not permitted' \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all
# Another thread's file: EPERM, even for root.
sleep 30 &
pid=$!
expect_write_error 0 /proc/$pid/vrctx 'Operation not permitted'
kill $pid
[ "$(cat /proc/self/vrctx)" = 0 ] || fail "context changed by refused writes"
echo "/proc/<pid>/vrctx ok"
