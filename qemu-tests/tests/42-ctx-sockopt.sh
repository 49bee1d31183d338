# IP_VRCTX with real contexts: a socket starts in its creator's context,
# moves to an existing context with CAP_NET_ADMIN, never after bind/connect.
. /usr/lib/vrctx/lib.sh
echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range || fail "ping_group_range"
must vrctl create 5 name red
must vrctl create 6
for t in tcp udp raw ping; do
	expect_out "ok 5" vrctx-probe set 5 --type $t
	expect_out "ok 5" vrctl exec red -- vrctx-probe get --type $t
	expect_out "ok 6" vrctl exec red -- vrctx-probe set 6 --type $t
	expect_out "ok 0" vrctl exec red -- vrctx-probe set 0 --type $t
	expect_out ENOENT vrctx-probe set 9 --type $t
	expect_out EBUSY vrctx-probe set 5 --type $t --after connect
done
expect_out EBUSY vrctx-probe set 5 --type udp --after bind
expect_out EBUSY vrctx-probe set 5 --type tcp --after listen
expect_out EPERM $NOPRIV vrctx-probe set 5
expect_out "ok 5" vrctl exec red -- $NOPRIV vrctx-probe set 5
expect_out EPERM vrctl exec red -- $NOPRIV vrctx-probe set 0
must vrctl delete red
must vrctl delete 6
echo "IP_VRCTX with contexts ok"
