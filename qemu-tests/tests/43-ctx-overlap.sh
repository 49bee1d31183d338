# Two private networks with the same addresses, one kernel: contexts red and
# blue each own 10.0.0.1/24 on their own veth toward a peer namespace at
# 10.0.0.2. Each peer's ping is answered from its own context, ARP is
# answered on each veth independently, and nothing leaks: captures on both
# veths show each echo reply only where it must leave.
fail() {
	echo "FAIL: $*"
	for f in /tmp/cap-*; do echo "== $f"; cat "$f"; done
	exit 1
}
vrctl create 1 name red || fail "create red"
vrctl create 2 name blue || fail "create blue"
for c in red blue; do
	ip netns add p$c || fail "netns $c"
	ip link add v$c type veth peer name v$c-p || fail "veth $c"
	ip link set v$c-p netns p$c
	vrctl assign v$c $c || fail "assign v$c $c"
	ip addr add 10.0.0.1/24 dev v$c || fail "address on v$c"
	ip link set v$c up
	ip -n p$c addr add 10.0.0.2/24 dev v$c-p
	ip -n p$c link set v$c-p up
	ip -n p$c link set lo up
done
ip -br addr
# Each context's table holds its own connected and local routes; main and
# local hold neither.
for c in red blue; do
	t=$((0x80000000 + $([ $c = red ] && echo 1 || echo 2)))
	ip route show table $t | grep -q "10.0.0.0/24 dev v$c proto kernel" ||
		fail "table $t lacks the connected route: $(ip route show table $t)"
	ip route show table $t type local | grep -q "local 10.0.0.1 dev v$c" ||
		fail "table $t lacks the local route: $(ip route show table $t type local)"
done
ip route show table main | grep -q 10.0.0.0 && fail "main table has 10.0.0.0/24"
ip route show table local | grep -q 10.0.0.1 && fail "local table has 10.0.0.1"

tcpdump -l -n -i vred -e icmp or arp >/tmp/cap-vred 2>/dev/null &
t1=$!
tcpdump -l -n -i vblue -e icmp or arp >/tmp/cap-vblue 2>/dev/null &
t2=$!
sleep 2
ip netns exec pred ping -c 3 -W 2 10.0.0.1 || fail "red peer cannot ping 10.0.0.1"
sleep 1
ip netns exec pblue ping -c 2 -W 2 -s 77 10.0.0.1 || fail "blue peer cannot ping 10.0.0.1"
sleep 2
kill $t1 $t2
wait $t1 $t2 2>/dev/null
cat /tmp/cap-vred
cat /tmp/cap-vblue
red_mac=$(cat /sys/class/net/vred/address)
blue_mac=$(cat /sys/class/net/vblue/address)
# Echo replies: 3 out of vred (from red's MAC), 2 out of vblue, none crossed.
n=$(grep -c "$red_mac > .*10.0.0.1 > 10.0.0.2: ICMP echo reply" /tmp/cap-vred)
[ "$n" = 3 ] || fail "vred carried $n echo replies, want 3"
n=$(grep -c "$blue_mac > .*10.0.0.1 > 10.0.0.2: ICMP echo reply" /tmp/cap-vblue)
[ "$n" = 2 ] || fail "vblue carried $n echo replies, want 2"
grep -q 'length 85' /tmp/cap-vred && fail "blue's pings (size 77) showed up on vred"
grep -q 'length 64' /tmp/cap-vblue && fail "red's pings showed up on vblue"
# ARP for 10.0.0.1 was answered on each veth with that veth's MAC.
grep -q "$red_mac > .*Reply 10.0.0.1 is-at $red_mac" /tmp/cap-vred || fail "no ARP reply on vred"
grep -q "$blue_mac > .*Reply 10.0.0.1 is-at $blue_mac" /tmp/cap-vblue || fail "no ARP reply on vblue"
ip -n pred neigh show 10.0.0.1 | grep -q "$red_mac" || fail "red peer's ARP cache: $(ip -n pred neigh)"
ip -n pblue neigh show 10.0.0.1 | grep -q "$blue_mac" || fail "blue peer's ARP cache: $(ip -n pblue neigh)"
# A TCP service reached from each side answers in its own context: nobody
# listens, so each peer gets its own RST from its own 10.0.0.1 (no leak).
ip netns exec pred socat -T2 - TCP:10.0.0.1:9,connect-timeout=3 </dev/null 2>&1 | grep -q -i refused ||
	fail "red peer: no RST from 10.0.0.1"
ip netns exec pblue socat -T2 - TCP:10.0.0.1:9,connect-timeout=3 </dev/null 2>&1 | grep -q -i refused ||
	fail "blue peer: no RST from 10.0.0.1"
# Context 0 does not reach either network.
ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1 && fail "context 0 reached 10.0.0.2"
# Each context reaches its own peer.
vrctl exec red -- ping -c 1 -W 2 10.0.0.2 || fail "red cannot reach its peer"
vrctl exec blue -- ping -c 1 -W 2 10.0.0.2 || fail "blue cannot reach its peer"
# And 127.0.0.1 works inside a context.
vrctl exec red -- ping -c 1 -W 2 127.0.0.1 || fail "127.0.0.1 from red"
echo "overlapping networks ok"
