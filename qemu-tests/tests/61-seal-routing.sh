# timeout: 400
# Seal, routing and addresses: no route, address, rule or control packet
# reaches into or out of a context. Context 0 (v0), red (vred) and blue
# (vblue) each have 10.0.0.1/24 toward a peer namespace at 10.0.0.2.
#  3. nexthop objects: through another context's interface refused in a
#     context's table; through its own accepted and used (and refused in
#     main, and not movable to another context's interface); `vrctl assign`
#     deletes the nexthops (and their routes) through the moved interface;
#  4. a context-0 multipath route loses its leg through an interface moved
#     to red for good (not revived by down/up);
#  5. rp_filter=0: a source that is local in another context is no martian;
#  6. deleting red's copy of an address keeps context 0's `src` routes;
#  7. source addresses: neither context 0 nor red binds or sends from the
#     other's addresses;
#  8. the reserved tables (0x80000000 + N) are closed to rules and VRFs while
#     context N exists, a rule made before is inert, and without the module
#     they are ordinary tables;
#  9. ARP: arp_filter=1 and arp_ignore=3 on red's interface;
# 10. IGMP: a context-0 raw IGMP socket cannot send out of red's interface,
#     the kernel's own reports for red's groups still go out;
# 11. ICMP extended echo (PROBE) sees only the context's interfaces.
. /usr/lib/vrctx/lib.sh

must vrctl create 1 name red
must vrctl create 2 name blue
peer_ns p0 v0 0 10.0.0.1/24 10.0.0.2/24
peer_ns pred vred red 10.0.0.1/24 10.0.0.2/24
peer_ns pblue vblue blue 10.0.0.1/24 10.0.0.2/24
for ns in p0 pred pblue; do
	retry 10 ip netns exec $ns ping -c 1 -W 1 10.0.0.1 >/dev/null ||
		fail "peer $ns cannot reach 10.0.0.1"
done
RED=2147483649
must sysctl -qw net.ipv4.ping_group_range="0 2147483647"
red_mac=$(cat /sys/class/net/vred/address)

echo "== 3: nexthop objects"
# Blue's interface in a nexthop object, then that object in red's table.
# (A nexthop object has no table: its gateway must be checked in its
# device's context; `onlink` skips that check, to test the rest anyway.)
out=$(ip nexthop add id 7 via 10.0.0.2 dev vblue 2>&1)
check_eq "3 nexthop object via 10.0.0.2 dev vblue (blue's gateway)" "" "$out"
[ -z "$out" ] || must ip nexthop add id 7 via 10.0.0.2 dev vblue onlink
out=$(ip route add 10.99.0.0/24 nhid 7 table $RED 2>&1)
check_match "3 a nexthop through blue's interface is refused in red's table" \
	"*Nexthop device is in another virtual router context*" "$out"
out=$(ip route show table $RED 10.99.0.0/24)
check_eq "3 red's table has no route through blue's nexthop" "" "$out"
# Red's own interface: accepted, and it carries red's traffic.
must ip -n pred addr add 10.98.0.5/32 dev lo
out=$(ip nexthop add id 8 via 10.0.0.2 dev vred 2>&1)
check_eq "3 nexthop object via 10.0.0.2 dev vred (red's gateway)" "" "$out"
[ -z "$out" ] || must ip nexthop add id 8 via 10.0.0.2 dev vred onlink
out=$(ip route add 10.98.0.0/24 nhid 8 table $RED 2>&1)
check_eq "3 red's nexthop in red's table" "" "$out"
out=$(vrctl exec red -- ping -c 1 -W 2 10.98.0.5 2>&1)
check_match "3 red reaches 10.98.0.5 through its nexthop" "*1 packets received*" "$out"
out=$(ip route add 10.94.0.0/24 nhid 8 2>&1)
check_match "3 red's nexthop is refused in context 0's main table" \
	"*Nexthop device is in another virtual router context*" "$out"
out=$(ip nexthop replace id 8 via 10.0.0.2 dev vblue onlink 2>&1)
check_match "3 red's nexthop (used in red's table) cannot be moved to blue's interface" \
	"*Nexthop device is in another virtual router context*" "$out"
check_match "3 ... it still goes through vred" "*dev vred*" "$(ip nexthop show id 8)"
# Moving an interface deletes the nexthop objects through it, and routes.
must ip link add nhd type dummy
must ip addr add 10.97.0.1/24 dev nhd
must ip link set nhd up
must ip nexthop add id 9 via 10.97.0.2 dev nhd
must ip nexthop add id 10 group 9
must ip route add 10.96.0.0/24 nhid 9
must ip route add 10.95.0.0/24 nhid 10
must vrctl assign nhd red
check_eq "3 assign deletes the nexthop through the moved interface" "" \
	"$(ip nexthop show id 9 2>/dev/null)"
check_eq "3 ... and the routes using it" "" "$(ip route show 10.96.0.0/24)"
check_eq "3 ... and the group's route" "" "$(ip route show 10.95.0.0/24; ip nexthop show id 10 2>/dev/null | grep 'id 9')"
check_eq "3 nothing through nhd in any table" "" "$(ip route show table all | grep 'dev nhd' | grep -v 'proto kernel')"

echo "== 4: multipath"
for d in d0 d1; do must ip link add $d type dummy; done
must ip addr add 10.20.0.1/24 dev d0
must ip addr add 10.21.0.1/24 dev d1
must ip link set d0 up
must ip link set d1 up
must ip route add 10.30.0.0/24 nexthop via 10.20.0.2 dev d0 nexthop via 10.21.0.2 dev d1
out=$(ip route show 10.30.0.0/24 | tr -s ' \n\t' ' ')
check_match "4 the multipath route has a leg through d1" "*via 10.21.0.2 dev d1*" "$out"
must vrctl assign d1 red
check_eq "4 after assigning d1 to red the route is gone" "" "$(ip route show table all 10.30.0.0/24)"
must ip link set d1 down
must ip link set d1 up
check_eq "4 ... and d1 down/up revives nothing" "" "$(ip route show table all 10.30.0.0/24)"
out=$(ip route get 10.30.0.5 2>&1)
check_no_match "4 context 0 does not route 10.30.0.5 through d1" "*dev d1*" "$out"

echo "== 5: rp_filter=0, source local in another context"
must vrctl create 3 name green
must ip link add dg type dummy
must vrctl assign dg green
must ip addr add 10.0.0.2/32 dev dg
must ip link set dg up
for c in all default vred; do must sysctl -qw net.ipv4.conf.$c.rp_filter=0; done
out=$(ip netns exec pred ping -c 2 -W 2 10.0.0.1 2>&1)
check_match "5 red's peer 10.0.0.2 reaches red while green has 10.0.0.2" "*2 packets received*" "$out"
must ip addr del 10.0.0.2/32 dev dg

echo "== 6: deleting red's copy of an address keeps context 0's src routes"
must ip link add s0 type dummy
must ip addr add 10.5.0.1/24 dev s0
must ip link set s0 up
must ip -n p0 addr add 10.6.0.5/32 dev lo
must ip -n p0 route add 10.5.0.0/24 via 10.0.0.1
must ip route add 10.6.0.0/24 via 10.0.0.2 dev v0 src 10.5.0.1
before=$(ip route show 10.6.0.0/24)
out=$(ping -c 1 -W 2 10.6.0.5 2>&1)
check_match "6 context 0 reaches 10.6.0.5 from 10.5.0.1" "*1 packets received*" "$out"
must ip addr add 10.5.0.1/24 dev vred
must ip addr del 10.5.0.1/24 dev vred
check_eq "6 the src route is unchanged after red's 10.5.0.1 is deleted" "$before" "$(ip route show 10.6.0.0/24)"
out=$(ping -c 1 -W 2 10.6.0.5 2>&1)
check_match "6 ... and still carries traffic" "*1 packets received*" "$out"

echo "== 7: source addresses"
must ip addr add 10.40.0.1/32 dev vred # red only
must ip addr add 10.41.0.1/32 dev v0   # context 0 only
for i in v0 vred vblue; do capture_start /tmp/cap-$i $i -e udp port 9 or icmp; done
# CTX ADDR KIND WANT: bind in CTX
while read -r ctx addr kind want; do
	out=$(vrctl exec $ctx -- vrctx-probe seal bind $addr 0 $kind)
	check_eq "7 $ctx binds $kind to $addr" "$want" "$out"
done <<TABLE
0 10.40.0.1 tcp EADDRNOTAVAIL (bind)
0 10.40.0.1 udp EADDRNOTAVAIL (bind)
0 10.40.0.1 raw EADDRNOTAVAIL (bind)
0 10.40.0.1 ping EADDRNOTAVAIL (bind)
red 10.41.0.1 tcp EADDRNOTAVAIL (bind)
red 10.41.0.1 udp EADDRNOTAVAIL (bind)
red 10.41.0.1 raw EADDRNOTAVAIL (bind)
red 10.41.0.1 ping EADDRNOTAVAIL (bind)
0 10.41.0.1 udp ok
red 10.40.0.1 udp ok
red 10.40.0.1 raw ok
TABLE
# CTX ARGS WANT (ok or not-ok): send to 10.0.0.2:9 with IP_PKTINFO
vred_ix=$(cat /sys/class/net/vred/ifindex)
v0_ix=$(cat /sys/class/net/v0/ifindex)
while read -r ctx want args; do
	out=$(vrctl exec $ctx -- vrctx-probe seal udpsend 10.0.0.2 9 $args)
	if [ $want = ok ]; then
		check_eq "7 $ctx sends with $args" ok "$out"
	else
		check_no_match "7 $ctx cannot send with $args" "ok*" "$out"
	fi
done <<TABLE
0 not-ok --spec-dst 10.40.0.1
0 not-ok --spec-dst 10.40.0.1 --ifindex $vred_ix
0 not-ok --spec-dst 10.40.0.1 --ifindex $v0_ix
0 not-ok --bind 10.40.0.1
0 not-ok --bind 10.40.0.1 --freebind yes
0 not-ok --dev vred
red not-ok --spec-dst 10.41.0.1
red not-ok --spec-dst 10.41.0.1 --ifindex $v0_ix
red not-ok --spec-dst 10.41.0.1 --ifindex $vred_ix
red not-ok --bind 10.41.0.1
red not-ok --bind 10.41.0.1 --freebind yes
red not-ok --dev v0
red ok --spec-dst 10.40.0.1
0 ok --spec-dst 10.41.0.1
TABLE
capture_stop /tmp/cap-v0 /tmp/cap-vred /tmp/cap-vblue
for i in v0 vblue; do
	check_none /tmp/cap-$i "7 nothing from red's 10.40.0.1 on $i" '10\.40\.0\.1[. ]'
done
for i in vred vblue; do
	check_none /tmp/cap-$i "7 nothing from context 0's 10.41.0.1 on $i" '10\.41\.0\.1[. ]'
done
n=$(count_in /tmp/cap-vred "10\.40\.0\.1\.[0-9]+ > 10\.0\.0\.2\.9: UDP")
check_eq "7 red's own send from 10.40.0.1 left through vred (control)" 1 "$n"
n=$(count_in /tmp/cap-v0 "10\.41\.0\.1\.[0-9]+ > 10\.0\.0\.2\.9: UDP")
check_eq "7 context 0's own send from 10.41.0.1 left through v0 (control)" 1 "$n"
# Nothing red-sourced left through vred from context 0's sends: every UDP
# packet to port 9 on vred is red's single control datagram.
check_eq "7 exactly one datagram to port 9 on vred" 1 "$(count_in /tmp/cap-vred '> 10\.0\.0\.2\.9: UDP')"

echo "== 8: reserved tables"
out=$(ip rule add to 10.1.0.0/24 lookup $RED 2>&1)
check_match "8 context 0 rule into red's table refused" "*Table belongs to a virtual router context*" "$out"
ip rule show | grep -q "lookup $RED" && check_fail "8 the refused rule is listed: $(ip rule show)"
if ip link add vtest type vrf table 100 2>/dev/null; then
	ip link del vtest
	out=$(ip link add vx type vrf table $RED 2>&1)
	check_match "8 a VRF on red's table refused" "*Table belongs to a virtual router context*" "$out"
	must ip link add vrf9 type vrf table 900
	out=$(ip link set vred master vrf9 2>&1)
	check_no_match "8 enslaving red's interface to a VRF refused" "" "$out"
	check_eq "8 vred has no master" "" "$(ip -o link show vred | grep -o 'master [^ ]*')"
else
	check_skip "8 VRF checks: the kernel has no VRF driver (CONFIG_NET_VRF): $(ip link add vtest type vrf table 100 2>&1)"
fi
# A rule made before its context existed is inert once it exists.
out=$(ip rule add to 10.1.0.0/24 lookup 2147483653 2>&1)
check_eq "8 rule into table 0x80000005 before context 5 exists" "" "$out"
must vrctx-probe genl new id=u32:5
must ip link add d5 type dummy
must vrctl assign d5 5
must ip addr add 10.1.0.1/24 dev d5
must ip link set d5 up
ip route show table 2147483653 | grep -q '10.1.0.0/24 dev d5' ||
	check_fail "8 context 5's table lacks its connected route: $(ip route show table 2147483653)"
out=$(ip route get 10.1.0.5 2>&1)
check_no_match "8 context 0 does not resolve 10.1.0.5 through context 5's d5" "*dev d5*" "$out"
# the unload part (8c) runs last, below

echo "== 9: ARP"
# arp_probe ADDR: red's peer resolves ADDR on its veth (an on-link route
# and one ping); prints the MAC it learnt, or nothing.
arp_probe() {
	ip -n pred neigh flush dev vred-p
	ip -n pred route replace $1/32 dev vred-p
	ip netns exec pred ping -c 1 -W 2 $1 >/dev/null 2>&1
	ip -n pred neigh show $1 dev vred-p | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p'
}
must sysctl -qw net.ipv4.conf.vred.arp_filter=1
out=$(arp_probe 10.0.0.1)
check_eq "9 arp_filter=1: red's peer gets an ARP reply for 10.0.0.1" "$red_mac" "$out"
ip -n pred neigh flush dev vred-p
ip -n pred route del 10.0.0.1/32 dev vred-p
out=$(ip netns exec pred ping -c 1 -W 2 10.0.0.1 2>&1)
check_match "9 arp_filter=1: red's peer pings 10.0.0.1" "*1 packets received*" "$out"
must sysctl -qw net.ipv4.conf.vred.arp_filter=0
must sysctl -qw net.ipv4.conf.vred.arp_ignore=3
# red: 10.62.0.1 scope host on vred (no replies under arp_ignore=3);
# context 0: 10.62.0.1 scope global on v0; blue: 10.63.0.1 on vblue.
must ip addr add 10.62.0.1/32 dev vred scope host
must ip addr add 10.62.0.1/32 dev v0
must ip addr add 10.63.0.1/32 dev vblue
check_eq "9 arp_ignore=3: reply for red's own 10.0.0.1" "$red_mac" "$(arp_probe 10.0.0.1)"
check_eq "9 arp_ignore=3: no reply for 10.62.0.1 (scope host in red, global in context 0)" "" "$(arp_probe 10.62.0.1)"
check_eq "9 arp_ignore=3: no reply for blue's 10.63.0.1" "" "$(arp_probe 10.63.0.1)"
check_eq "9 arp_ignore=3: no reply for context 0's 10.41.0.1" "" "$(arp_probe 10.41.0.1)"
must sysctl -qw net.ipv4.conf.vred.arp_ignore=0

echo "== 10: IGMP"
for i in v0 vred vblue; do capture_start /tmp/cap-$i $i -e -v igmp; done
# --hdr proto: IP_HDRINCL with an IP_PROTOCOL control message (IGMP), so
# the route lookup sees an IGMP flow; kernel: the kernel writes the header.
for via in bind mcif; do
	for hdr in proto plain kernel; do
		out=$(vrctx-probe seal igmp 239.7.7.7 --dev vred --via $via --hdr $hdr)
		check_no_match "10 context 0's raw IGMP socket cannot send out of vred ($via, $hdr)" "ok*" "$out"
		out=$(vrctx-probe seal igmp 239.7.7.8 --dev v0 --via $via --hdr $hdr)
		check_eq "10 context 0's raw IGMP socket sends out of v0 ($via, $hdr; control)" ok "$out"
	done
done
vrctl exec red -- vrctx-probe seal join 239.1.1.1 --dev vred --secs 3 >/tmp/join.out 2>&1 &
joiner=$!
retry 10 grep -q 239.1.1.1 /tmp/cap-vred
capture_stop /tmp/cap-v0 /tmp/cap-vred /tmp/cap-vblue
stop $joiner
check_match "10 red joins 239.1.1.1 on vred" "joined*" "$(cat /tmp/join.out)"
check_some /tmp/cap-vred "10 the kernel's IGMP report for red's group leaves through vred" "239\.1\.1\.1"
check_none /tmp/cap-vred "10 nothing of context 0's raw IGMP on vred" "239\.7\.7\.7"
check_some /tmp/cap-v0 "10 context 0's raw IGMP left through v0 (control)" "239\.7\.7\.8"
for i in v0 vblue; do
	check_none /tmp/cap-$i "10 no IGMP for red's group on $i" "239\.1\.1\.1"
	check_none /tmp/cap-$i "10 no raw IGMP meant for vred on $i" "239\.7\.7\.7"
done

echo "== 11: ICMP extended echo (PROBE)"
must sysctl -qw net.ipv4.icmp_echo_enable_probe=1
# WHAT ARGS WANT
while read -r what want args; do
	out=$(ip netns exec pred vrctx-probe seal probe 10.0.0.1 $args)
	check_match "11 red's peer probes $what ($args)" "$want" "$out"
done <<TABLE
blue's-interface ok?code?2?* --name vblue
blue's-interface ok?code?2?* --index $(cat /sys/class/net/vblue/ifindex)
context-0's-interface ok?code?2?* --name v0
context-0's-interface ok?code?2?* --index $(cat /sys/class/net/v0/ifindex)
red's-interface ok?code?0?state?[67] --name vred
red's-interface ok?code?0?state?[67] --index $vred_ix
TABLE

echo "== 8c: without the module, the reserved tables are ordinary tables"
must vrctl delete 5 --force
ip rule del to 10.1.0.0/24 lookup 2147483653 2>/dev/null
for c in red blue green; do vrctl delete $c --force >/dev/null 2>&1; done
out=$( (rmmod dhost && rmmod vrctx) 2>&1)
check_eq "8c rmmod dhost vrctx" "" "$out"
out=$(ip route add 10.77.0.0/24 via 10.0.0.2 dev v0 table 2147483653 2>&1)
check_eq "8c a route through v0 into table 2147483653 is accepted" "" "$out"
check_match "8c ... and listed" "10.77.0.0/24 via 10.0.0.2 dev v0*" "$(ip route show table 2147483653)"
out=$(ip rule add to 10.1.0.0/24 lookup 2147483649 2>&1)
check_eq "8c a rule into table 2147483649 is accepted" "" "$out"
summary
