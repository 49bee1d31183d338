# Forwarding: a context forwards between its own two interfaces, never into
# another context (even with a matching route there), and answers with ICMP
# errors (net unreachable, TTL exceeded) through the context the packet came
# in on.
. /usr/lib/vrctx/lib.sh
echo 1 >/proc/sys/net/ipv4/ip_forward || fail "ip_forward"
# red: vred toward pred (10.0.0.2) and vc toward pc (10.1.0.2); blue: vblue
# toward pblue, which has the same address and gateway as pred.
two_contexts
peer_ns pc vc red 10.1.0.1/24 10.1.0.2/24 10.1.0.1
for i in vred vc vblue; do
	echo 1 >/proc/sys/net/ipv4/conf/$i/forwarding || fail "forwarding on $i"
done
capture_start /tmp/cap-vc vc icmp
capture_start /tmp/cap-vred vred icmp
capture_start /tmp/cap-vblue vblue icmp
# red forwards between its peers.
must ip netns exec pred ping -c 2 -W 2 10.1.0.2
# blue has no route to 10.1.0.0/24 (red's table has one): nothing may come
# out of vc; blue answers pblue with net unreachable, through vblue.
unreach0=$(icmp_stat InDestUnreachs pblue)
expect 1 '2 packets transmitted, 0 packets received' ip netns exec pblue ping -c 2 -s 99 -W 1 10.1.0.2
wait_for 5 grep -q '10.0.0.1 > 10.0.0.2: ICMP net 10.1.0.2 unreachable' /tmp/cap-vblue
[ "$(icmp_stat InDestUnreachs pblue)" -gt "$unreach0" ] || fail "pblue received no destination unreachable"
# TTL exceeded goes back to pred through red (the ICMP error rate limit
# allows a burst of several errors per destination).
expect 1 '1 packets transmitted, 0 packets received' ip netns exec pred ping -c 1 -t 1 -W 1 10.1.0.2
wait_for 5 grep -q '10.0.0.1 > 10.0.0.2: ICMP time exceeded' /tmp/cap-vred
capture_stop /tmp/cap-vc /tmp/cap-vred /tmp/cap-vblue
n=$(grep -c '10.0.0.2 > 10.1.0.2: ICMP echo request' /tmp/cap-vc)
[ "$n" = 2 ] || fail "$n forwarded echo requests on vc, want 2 (pred's only)"
grep -q 'length 107' /tmp/cap-vc && fail "pblue's pings were forwarded out of red's vc"
n=$(grep -c 'time exceeded' /tmp/cap-vred)
[ "$n" = 1 ] || fail "$n time exceeded on vred, want 1"
grep -q 'time exceeded' /tmp/cap-vblue && fail "time exceeded leaked out of vblue"
grep -q 'unreachable' /tmp/cap-vred && fail "blue's net unreachable leaked out of vred"
echo "forwarding ok"
