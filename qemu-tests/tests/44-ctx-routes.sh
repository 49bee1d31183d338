# Route placement: a context's addresses put their routes only in its table;
# a route in a context's table steers only that context; a route through
# another context's interface is refused; moving an interface with addresses
# moves its routes both ways.
. /usr/lib/vrctx/lib.sh
RED=2147483649
must vrctl create 1 name red
must vrctl create 2 name blue
# va and vb start in context 0 with their addresses; both peers in "peer".
peer_ns peer va 0 10.0.0.1/24 10.0.0.2/24
peer_ns peer vb 0 10.2.0.1/24 -
# In context 0 the routes are in main/local.
expect 0 '10.0.0.0/24 dev va' ip route show table main
must vrctl assign va red
must vrctl assign vb blue
expect 0 '10.0.0.0/24 dev va proto kernel' ip route show table $RED
expect 0 'local 10.0.0.1 dev va' ip route show table $RED type local
expect 0 '10.0.0.255 dev va' ip route show table $RED type broadcast
expect_not 10.0.0.0 ip route show table main
expect_not 'local 10.0.0.1 ' ip route show table local
# Only red's interfaces in red's table; only context 0's in the others.
expect 2 'another virtual router context' ip route add 192.168.51.0/24 dev vb table $RED
expect 2 'another virtual router context' ip route add 192.168.52.0/24 dev va
expect 2 'another virtual router context' ip route add 192.168.53.0/24 dev va table 100
must ip route add 10.9.9.0/24 via 10.0.0.2 dev va table $RED
expect 0 '10.9.9.0/24 via 10.0.0.2 dev va' ip route show table $RED
# It steers red's traffic, and only red's: the peer does not forward, so
# red's pings go out of va unanswered; context 0 has no route at all.
capture_start /tmp/cap-va va icmp
expect 1 '2 packets transmitted, 0 packets received' vrctl exec red -- ping -c 2 -W 1 10.9.9.1
expect 1 'Network is unreachable' ping -c 1 -W 1 10.9.9.1
capture_stop /tmp/cap-va
n=$(grep -c '10.0.0.1 > 10.9.9.1: ICMP echo request' /tmp/cap-va)
[ "$n" = 2 ] || fail "$n echo requests to 10.9.9.1 left va, want 2 (red's only)"
# Moving back to context 0 moves the address routes back, and the other way.
must vrctl assign va 0
expect 0 '10.0.0.0/24 dev va proto kernel' ip route show table main
expect 0 'local 10.0.0.1 dev va' ip route show table local
expect_not 10.0.0 ip route show table $RED
expect_not 10.9.9.0 ip route show table $RED
must ping -c 1 -W 2 10.0.0.2
must vrctl assign va red
expect 0 '10.0.0.0/24 dev va' ip route show table $RED
# lo stays in context 0.
expect 2 'assign lo to context red: Invalid argument' vrctl assign lo red
echo "route placement ok"
