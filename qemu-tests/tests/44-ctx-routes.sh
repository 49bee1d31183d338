# Route placement: a context's addresses put their routes only in its table;
# a route in a context's table steers only that context; a route through
# another context's interface is refused; moving an interface with addresses
# moves its routes both ways.
fail() {
	echo "FAIL: $*"
	[ -f /tmp/cap ] && cat /tmp/cap
	exit 1
}
RED=2147483649
vrctl create 1 name red || fail create
vrctl create 2 name blue || fail create
ip netns add peer
ip link add va type veth peer name va-p
ip link set va-p netns peer
ip link add vb type veth peer name vb-p
ip link set vb-p netns peer
ip addr add 10.0.0.1/24 dev va
ip addr add 10.2.0.1/24 dev vb
ip link set va up
ip link set vb up
ip -n peer addr add 10.0.0.2/24 dev va-p
ip -n peer link set va-p up
ip -n peer link set vb-p up
# In context 0 the routes are in main/local.
ip route show table main | grep -q '10.0.0.0/24 dev va' || fail "main lacks 10.0.0.0/24 before the move"
vrctl assign va red || fail "assign va red"
vrctl assign vb blue || fail "assign vb blue"
ip route show table $RED | grep -q '10.0.0.0/24 dev va proto kernel' || fail "red table lacks 10.0.0.0/24"
ip route show table $RED type local | grep -q 'local 10.0.0.1 dev va' || fail "red table lacks local 10.0.0.1"
ip route show table $RED type broadcast | grep -q '10.0.0.255 dev va' || fail "red table lacks broadcast"
ip route show table main | grep -q 10.0.0.0 && fail "main still has 10.0.0.0/24"
ip route show table local | grep -q 'local 10.0.0.1 ' && fail "local still has 10.0.0.1"
# Only red's interfaces in red's table; only context 0's in the others.
out=$(ip route add 192.168.51.0/24 dev vb table $RED 2>&1) && fail "route via blue's vb in red's table accepted"
echo "$out" | grep -q 'another virtual router context' || fail "refusal message: $out"
ip route add 192.168.52.0/24 dev va 2>/dev/null && fail "route via red's va in main accepted"
ip route add 192.168.53.0/24 dev va table 100 2>/dev/null && fail "route via red's va in table 100 accepted"
ip route add 10.9.9.0/24 via 10.0.0.2 dev va table $RED || fail "route in red's table refused"
ip route show table $RED | grep -q '10.9.9.0/24 via 10.0.0.2 dev va' || fail "route not in red's table"
# It steers red's traffic, and only red's.
tcpdump -l -n -i va icmp >/tmp/cap 2>/dev/null &
t=$!
sleep 2
vrctl exec red -- ping -c 2 -W 1 10.9.9.1 >/dev/null 2>&1
out=$(ping -c 1 -W 1 10.9.9.1 2>&1) && fail "context 0 reached 10.9.9.1: $out"
sleep 1
kill $t
wait $t 2>/dev/null
n=$(grep -c '10.0.0.1 > 10.9.9.1: ICMP echo request' /tmp/cap)
[ "$n" = 2 ] || fail "$n echo requests to 10.9.9.1 left va, want 2 (red's only)"
# Moving back to context 0 moves the address routes back, and the other way.
vrctl assign va 0 || fail "assign va 0"
ip route show table main | grep -q '10.0.0.0/24 dev va proto kernel' || fail "main lacks 10.0.0.0/24 after the move back"
ip route show table local | grep -q 'local 10.0.0.1 dev va' || fail "local lacks 10.0.0.1 after the move back"
ip route show table $RED | grep -q '10.0.0' && fail "red's table kept 10.0.0.x routes"
ip route show table $RED | grep -q 10.9.9.0 && fail "red's route via va survived the move"
ping -c 1 -W 2 10.0.0.2 >/dev/null || fail "context 0 cannot reach the peer after the move back"
vrctl assign va red || fail "assign va red again"
ip route show table $RED | grep -q '10.0.0.0/24 dev va' || fail "red's table lacks 10.0.0.0/24 after moving again"
# lo stays in context 0.
vrctl assign lo red 2>/dev/null && fail "lo moved into a context"
echo "route placement ok"
