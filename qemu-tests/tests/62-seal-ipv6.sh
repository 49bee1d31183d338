# timeout: 240
# Seal, IPv6: IPv6 stays in context 0. Context 0 (v0), red (vred) and blue
# (vblue) each have 10.0.0.1/24 toward a peer namespace at 10.0.0.2.
# 12. red's interface carries no IPv6 (no address, nothing sent, nothing
#     answered); AF_INET6 sockets work in red for IPv4 only: a `[::]`
#     listener in red gets red's peer (v4-mapped), not blue's or context 0's
#     connections; native IPv6 destinations are unreachable from red; after
#     a forced delete a process left in red gets no AF_INET/AF_INET6 socket.
. /usr/lib/vrctx/lib.sh

must vrctl create 1 name red
must vrctl create 2 name blue
peer_ns p0 v0 0 10.0.0.1/24 10.0.0.2/24
# red: the peer end captures from before vred comes up, so that whatever
# vred sends when it comes up (MLD, router solicitations) is seen
must ip netns add pred
must ip link add vred type veth peer name vred-p
must ip link set vred-p netns pred
must ip -n pred addr add 10.0.0.2/24 dev vred-p
must ip -n pred link set vred-p up
must ip -n pred link set lo up
ip netns exec pred tcpdump -l -n -e --immediate-mode -i vred-p ip6 >/tmp/cap-pred 2>/tmp/cap-pred.err &
echo $! >/tmp/cap-pred.pid
retry 10 grep -q 'listening on' /tmp/cap-pred.err || fail "tcpdump in pred: $(cat /tmp/cap-pred.err)"
must vrctl assign vred red
must ip addr add 10.0.0.1/24 dev vred
must ip link set vred up
peer_ns pblue vblue blue 10.0.0.1/24 10.0.0.2/24
for ns in p0 pred pblue; do
	retry 10 ip netns exec $ns ping -c 1 -W 1 10.0.0.1 >/dev/null ||
		fail "peer $ns cannot reach 10.0.0.1"
done
must ip -6 addr add fd00::1/64 dev v0 nodad
must ip -n p0 -6 addr add fd00::2/64 dev v0-p nodad

# lladdr IF: the EUI-64 link-local address the kernel would give IF.
lladdr() {
	IFS=: read -r a b c d e f </sys/class/net/$1/address
	printf 'fe80::%x:%x:%x:%x\n' $(((0x$a ^ 2) << 8 | 0x$b)) $((0x${c}ff)) \
		$((0xfe00 | 0x$d)) $((0x$e << 8 | 0x$f))
}
red_mac=$(cat /sys/class/net/vred/address)
red_ll=$(lladdr vred)
v0_ll=$(lladdr v0)
# context 0's v0 got its link-local address (DAD done): the control case
retry 10 sh -c "ip -6 addr show dev v0 | grep -q '$v0_ll.*scope link' && ! ip -6 addr show dev v0 | grep -q tentative" ||
	check_fail "12 v0 has no link-local $v0_ll (control): $(ip -6 addr show dev v0)"

echo "== 12a: red's interface carries no IPv6"
for i in vred vblue v0; do capture_start /tmp/cap-$i $i -e ip6; done
check_eq "12a vred has no IPv6 address" "" "$(ip -6 addr show dev vred)"
out=$(ip -6 addr add fd01::1/64 dev vred 2>&1)
check_no_match "12a adding an IPv6 address to vred is refused" "" "$out"
ip -6 addr del fd01::1/64 dev vred 2>/dev/null
out=$(ping -6 -c 1 -W 2 $v0_ll%v0 2>&1)
check_match "12a context 0 pings v0's link-local (control)" "*1 packets received*" "$out"
out=$(ping -6 -c 1 -W 2 $red_ll%vred 2>&1)
check_no_match "12a context 0 cannot ping vred's link-local $red_ll" "*1 packets received*" "$out"
out=$(ip netns exec pred ping -6 -c 2 -W 2 $red_ll%vred-p 2>&1)
check_no_match "12a red's peer gets no answer from $red_ll" "*[12] packets received*" "$out"
out=$(ip netns exec pred ping -6 -c 2 -W 2 ff02::1%vred-p 2>&1)
check_no_match "12a red's peer: no answer to ff02::1 from $red_ll" "*from $red_ll*" "$out"
capture_stop /tmp/cap-vred /tmp/cap-vblue /tmp/cap-v0 /tmp/cap-pred
check_none /tmp/cap-pred "12a nothing IPv6 reached red's peer from vred since vred came up" "^[^ ]+ $red_mac > "
check_none /tmp/cap-vred "12a nothing IPv6 leaves vred" "^[^ ]+ $red_mac > "
check_some /tmp/cap-vred "12a the peer's IPv6 arrived on vred (control)" "> .*IPv6"
ip -6 route show table all | grep -q 'dev vred' &&
	check_fail "12a IPv6 routes through vred: $(ip -6 route show table all | grep 'dev vred')"

echo "== 12b: AF_INET6 sockets in red"
for k in tcp udp; do
	check_eq "12b red creates an AF_INET6 $k socket" ok "$(vrctl exec red -- vrctx-probe seal socket inet6 $k)"
done
ip netns exec pred vrctx-probe seal accept6 9100 --secs 60 >/tmp/peer6.out 2>&1 &
peer6=$!
vrctl exec red -- vrctx-probe seal accept6 9000 --secs 60 >/tmp/red6.out 2>&1 &
red6=$!
retry 10 grep -q listening /tmp/red6.out || fail "red's [::] listener: $(cat /tmp/red6.out)"
retry 10 grep -q listening /tmp/peer6.out || fail "peer's [::] listener: $(cat /tmp/peer6.out)"
# WHO (a namespace or a context) WANT
while read -r who want; do
	case $who in
	p*) out=$(ip netns exec $who vrctx-probe seal connect 10.0.0.1 9000 --timeout 3) ;;
	*) out=$(vrctl exec $who -- vrctx-probe seal connect 10.0.0.1 9000 --timeout 3) ;;
	esac
	check_eq "12b $who connects to 10.0.0.1:9000" "$want" "$out"
done <<TABLE
pblue ECONNREFUSED (connect)
p0 ECONNREFUSED (connect)
0 ECONNREFUSED (connect)
blue ECONNREFUSED (connect)
pred ok
red ok
TABLE
retry 5 sh -c '[ $(grep -c "^from" /tmp/red6.out) -ge 2 ]'
check_eq "12b red's [::] listener accepted red's peer and red, v4-mapped" \
	"from ::ffff:10.0.0.2 from ::ffff:10.0.0.1" "$(grep '^from' /tmp/red6.out | tr '\n' ' ' | sed 's/ $//')"
# CTX DEST WANT
while read -r ctx dest want; do
	out=$(vrctl exec $ctx -- vrctx-probe seal connect $dest 9100 --timeout 3)
	check_eq "12b $ctx connects to [$dest]:9100" "$want" "$out"
done <<TABLE
red ::ffff:10.0.0.2 ok
red ::1 ENETUNREACH (connect)
red fd00::2 ENETUNREACH (connect)
red fd00::1 ENETUNREACH (connect)
0 ::1 ECONNREFUSED (connect)
0 fd00::2 ECONNREFUSED (connect)
TABLE
check_eq "12b the peer's listener saw red's v4-mapped connection" \
	"from ::ffff:10.0.0.1" "$(grep '^from' /tmp/peer6.out | tr '\n' ' ' | sed 's/ $//')"
stop $peer6

echo "== 12c: a process left in a deleted context gets no socket"
rm -f /tmp/go
vrctl exec red -- sh -c 'echo started; while [ ! -e /tmp/go ]; do sleep 0.1; done
	for f in inet inet6; do for k in tcp udp; do
		echo "$f $k $(vrctx-probe seal socket $f $k)"
	done; done' >/tmp/orphan.out 2>&1 &
orphan=$!
# (only once the shell runs in red: vrctl exec needs red to exist)
retry 10 grep -q started /tmp/orphan.out
must vrctl delete red --force
touch /tmp/go
retry 10 sh -c '[ $(wc -l </tmp/orphan.out) -ge 4 ]'
for s in "inet tcp" "inet udp" "inet6 tcp" "inet6 udp"; do
	check_eq "12c $s socket in deleted red" "$s ENOENT (socket)" "$(grep "^$s " /tmp/orphan.out)"
done
stop $orphan $red6
summary
