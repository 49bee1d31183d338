# Forwarding: a context forwards between its own two interfaces, never into
# another context (even with a matching route there), and answers TTL
# exceeded through the context the packet came in on.
fail() {
	echo "FAIL: $*"
	for f in /tmp/cap-*; do echo "== $f"; cat "$f"; done
	exit 1
}
echo 1 >/proc/sys/net/ipv4/ip_forward
vrctl create 1 name red || fail create
vrctl create 2 name blue || fail create
peer() { # NAME IF CTX ADDR/LEN GW
	ip netns add $1
	ip link add $2 type veth peer name $2-p
	ip link set $2-p netns $1
	vrctl assign $2 $3 || fail "assign $2 $3"
	ip link set $2 up
	ip -n $1 addr add $4 dev $2-p
	ip -n $1 link set $2-p up
	ip -n $1 link set lo up
	ip -n $1 route add default via $5
}
peer pa va red 10.0.0.2/24 10.0.0.1
peer pc vc red 10.1.0.2/24 10.1.0.1
peer pb vb blue 10.0.0.2/24 10.0.0.1
ip addr add 10.0.0.1/24 dev va
ip addr add 10.1.0.1/24 dev vc
ip addr add 10.0.0.1/24 dev vb
for i in va vc vb; do echo 1 >/proc/sys/net/ipv4/conf/$i/forwarding; done
tcpdump -l -n -i vc icmp >/tmp/cap-vc 2>/dev/null &
t1=$!
tcpdump -l -n -i va icmp >/tmp/cap-va 2>/dev/null &
t2=$!
tcpdump -l -n -i vb icmp >/tmp/cap-vb 2>/dev/null &
t3=$!
sleep 2
# red forwards between its peers.
ip netns exec pa ping -c 2 -W 2 10.1.0.2 || fail "pa cannot reach pc through red"
# blue's peer has the same address and gateway; blue has no route to
# 10.1.0.0/24 (red's table has one): nothing may come out of vc.
ip netns exec pb ping -c 2 -s 99 -W 1 10.1.0.2 && fail "pb reached pc across contexts"
# TTL exceeded goes back to pa through red (after the ICMP rate limit).
sleep 1
ip netns exec pa ping -c 1 -t 1 -W 2 10.1.0.2 >/dev/null 2>&1
sleep 2
kill $t1 $t2 $t3
wait $t1 $t2 $t3 2>/dev/null
n=$(grep -c '10.0.0.2 > 10.1.0.2: ICMP echo request' /tmp/cap-vc)
[ "$n" = 2 ] || fail "$n forwarded echo requests on vc, want 2 (pa's only)"
grep -q 'length 107' /tmp/cap-vc && fail "pb's pings were forwarded out of red's vc"
grep -q '10.0.0.1 > 10.0.0.2: ICMP time exceeded' /tmp/cap-va || fail "no time exceeded back on va"
grep -q 'time exceeded' /tmp/cap-vb && fail "time exceeded leaked out of vb"
grep -q '10.0.0.1 > 10.0.0.2: ICMP net 10.1.0.2 unreachable' /tmp/cap-vb ||
	echo "note: blue sent no net unreachable to pb"
echo "forwarding ok"
