# IP_VRCTX: sockets start in their creator's context (0 here); the option
# reads back, is fixed once bound or connected (EBUSY), needs an exact
# 4-byte buffer, CAP_NET_ADMIN to change, and an existing context.
fail() {
	echo "FAIL: $*"
	exit 1
}
expect() { # WANT ARGS...: vrctx-probe ARGS must print WANT
	want=$1
	shift
	got=$(vrctx-probe "$@" 2>&1)
	[ "$got" = "$want" ] || fail "vrctx-probe $*: '$got', want '$want'"
}
echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range
for t in tcp udp raw ping; do
	expect "ok 0" get --type $t
	expect "ok 0" set 0 --type $t
	expect ENOENT set 5 --type $t
	expect ERANGE set 2147483648 --type $t
	expect EINVAL set 0 --type $t --len 2
	expect EINVAL set 0 --type $t --len 8
	expect EINVAL get --type $t --len 2
	expect "ok 0" get --type $t --len 8
	expect EBUSY set 0 --type $t --after connect
done
for t in tcp udp ping; do
	expect EBUSY set 0 --type $t --after bind
	# EBUSY wins over every other errno.
	expect EBUSY set 5 --type $t --after bind
	expect EBUSY set 0 --type $t --after bind --len 2
done
expect EBUSY set 0 --type tcp --after listen
nopriv="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
got=$($nopriv vrctx-probe set 5 2>&1)
[ "$got" = EPERM ] || fail "unprivileged set 5: '$got', want EPERM"
got=$($nopriv vrctx-probe set 0 2>&1)
[ "$got" = "ok 0" ] || fail "unprivileged no-op set 0: '$got'"
echo "IP_VRCTX ok"
