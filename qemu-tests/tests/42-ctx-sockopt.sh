# IP_VRCTX with real contexts: a socket starts in its creator's context,
# moves to an existing context with CAP_NET_ADMIN, never after bind/connect.
fail() {
	echo "FAIL: $*"
	exit 1
}
expect() {
	want=$1
	shift
	got=$("$@" 2>&1)
	[ "$got" = "$want" ] || fail "$*: '$got', want '$want'"
}
nopriv="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range
vrctl create 5 name red || fail create
vrctl create 6 || fail create
for t in tcp udp raw ping; do
	expect "ok 5" vrctx-probe set 5 --type $t
	expect "ok 5" vrctl exec red -- vrctx-probe get --type $t
	expect "ok 6" vrctl exec red -- vrctx-probe set 6 --type $t
	expect "ok 0" vrctl exec red -- vrctx-probe set 0 --type $t
	expect ENOENT vrctx-probe set 9 --type $t
	expect EBUSY vrctx-probe set 5 --type $t --after connect
done
expect EBUSY vrctx-probe set 5 --type udp --after bind
expect EBUSY vrctx-probe set 5 --type tcp --after listen
expect EPERM $nopriv vrctx-probe set 5
expect "ok 5" vrctl exec red -- $nopriv vrctx-probe set 5
expect EPERM vrctl exec red -- $nopriv vrctx-probe set 0
vrctl delete red && vrctl delete 6 || fail delete
echo "IP_VRCTX with contexts ok"
