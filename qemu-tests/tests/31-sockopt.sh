# IP_VRCTX: sockets start in their creator's context (0 here); the option
# reads back, is fixed once bound or connected (EBUSY), needs an exact
# 4-byte buffer, CAP_NET_ADMIN to change, and an existing context.
. /usr/lib/vrctx/lib.sh
echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range || fail "ping_group_range"
for t in tcp udp raw ping; do
	expect_out "ok 0" vrctx-probe get --type $t
	expect_out "ok 0" vrctx-probe set 0 --type $t
	expect_out ENOENT vrctx-probe set 5 --type $t
	expect_out ERANGE vrctx-probe set 2147483648 --type $t
	expect_out EINVAL vrctx-probe set 0 --type $t --len 2
	expect_out EINVAL vrctx-probe set 0 --type $t --len 8
	expect_out EINVAL vrctx-probe get --type $t --len 2
	expect_out "ok 0" vrctx-probe get --type $t --len 8
	expect_out EBUSY vrctx-probe set 0 --type $t --after connect
done
for t in tcp udp ping; do
	expect_out EBUSY vrctx-probe set 0 --type $t --after bind
	# EBUSY wins over every other errno.
	expect_out EBUSY vrctx-probe set 5 --type $t --after bind
	expect_out EBUSY vrctx-probe set 0 --type $t --after bind --len 2
done
expect_out EBUSY vrctx-probe set 0 --type tcp --after listen
expect_out EPERM $NOPRIV vrctx-probe set 5
expect_out "ok 0" $NOPRIV vrctx-probe set 0
echo "IP_VRCTX ok"
