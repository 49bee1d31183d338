# Two private networks with the same addresses, one kernel: contexts red and
# blue each own 10.0.0.1/24 on their own veth toward a peer namespace at
# 10.0.0.2. Each peer's ping is answered from its own context, ARP is
# answered on each veth independently, and nothing leaks: captures on both
# veths show each echo reply only where it must leave.
. /usr/lib/vrctx/lib.sh
two_contexts
must ip -br addr
# Each context's table holds its own connected and local routes; main and
# local hold neither.
for c in red blue; do
	t=$((0x80000000 + $([ $c = red ] && echo 1 || echo 2)))
	expect 0 "10.0.0.0/24 dev v$c proto kernel" ip route show table $t
	expect 0 "local 10.0.0.1 dev v$c" ip route show table $t type local
done
expect_not 10.0.0.0 ip route show table main
expect_not 10.0.0.1 ip route show table local

capture_start /tmp/cap-vred vred -e icmp or arp
capture_start /tmp/cap-vblue vblue -e icmp or arp
must ip netns exec pred ping -c 3 -W 2 10.0.0.1
must ip netns exec pblue ping -c 2 -W 2 -s 77 10.0.0.1
capture_stop /tmp/cap-vred /tmp/cap-vblue
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
expect 0 "$red_mac" ip -n pred neigh show 10.0.0.1
expect 0 "$blue_mac" ip -n pblue neigh show 10.0.0.1
# A TCP service reached from each side answers in its own context: nobody
# listens, so each peer gets its own RST from its own 10.0.0.1 (no leak).
expect 1 'Connection refused' ip netns exec pred socat -T2 - TCP:10.0.0.1:9,connect-timeout=3
expect 1 'Connection refused' ip netns exec pblue socat -T2 - TCP:10.0.0.1:9,connect-timeout=3
# Context 0 has no route to either network.
expect 1 'Network is unreachable' ping -c 1 -W 1 10.0.0.2
# Each context reaches its own peer.
must vrctl exec red -- ping -c 1 -W 2 10.0.0.2
must vrctl exec blue -- ping -c 1 -W 2 10.0.0.2
# And 127.0.0.1 works inside a context.
must vrctl exec red -- ping -c 1 -W 2 127.0.0.1
echo "overlapping networks ok"
