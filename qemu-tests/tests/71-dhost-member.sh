# vms: 4
# timeout: 900
# mem: 640
# The member kernel (docs/design.md §5, docs/dhost.md): VM 1 is the client,
# VMs 2-4 are members 1-3 of the distributed address 10.9.0.1 (member 1,
# VM 2, leads it). As a network processor that cannot tell the owner would,
# the client sends every frame for 10.9.0.1 to the link broadcast address
# (a permanent neighbour entry), so every member sees every frame and
# decides alone. The client captures its link with hardware addresses
# (VM N is 52:54:00:00:00:0N) and checks who sent what:
#   - an ARP request for 10.9.0.1: exactly one reply, the leader's;
#   - ping: one echo reply per request, from the leader (no DUP!);
#   - TCP on the leader (7001), TCP on member 2 (7002) and UDP on member 3
#     (7003), 300 KB each, byte-exact, with no packet from another member;
#   - SYN and UDP to ports nobody bound: nothing back from anyone;
#   - member 2 sends 339 KB through a 1000-byte-MTU hop the client routes for
#     (netns cl behind veth vcl): the hop's "fragmentation needed" reaches
#     every member, only member 2 acts on it (its route cache has mtu 1000,
#     the others' not);
#   - 200 connections from 10.9.0.1 on each member at once: 600 accepted,
#     no two with the same port, each member's ports in its slice.
# Each member then checks its counters, its `vrctl dhost monitor` output
# (member 2: bind, listen, accept, close of the 7002 session and bind,
# connect, close of a socat client), bad input (clear errors, nothing
# changed), a second leader (accepted: documented), and unloads dhost under
# a ping flood (the runner fails the test on any kernel warning).
# Coordination: members serve "ready" on 192.168.77.N:9001 once set up; the
# client serves "go" on 192.168.77.1:9002 once its listener is up and
# "done" on 192.168.77.1:9000 at the end, and waits for all three to fetch it.
. /usr/lib/vrctx/lib.sh

SHARED=10.9.0.1
CLIENT=10.9.0.100
MEMBERS=3
LEADER_VM=2
KB=300


must ip addr add "192.168.77.$VMID/24" dev eth0
must ip link set eth0 up

if [ "$VMID" = 1 ]; then
	# ---------------------------------------------------------- the client
	must ip addr add $CLIENT/24 dev eth0
	must ip neigh replace $SHARED lladdr ff:ff:ff:ff:ff:ff dev eth0 nud permanent
	# The small-MTU hop: netns cl (10.9.1.2) behind vcl, MTU 1000 this side.
	must sysctl -qw net.ipv4.ip_forward=1
	peer_ns cl vcl 0 10.9.1.1/24 10.9.1.2/24 10.9.1.1
	must ip link set vcl mtu 1000
	capture_start /tmp/wire eth0 -e

	# The members' 600 connections, and one socat session of member 2.
	vrctx-probe dhost accept --listen $CLIENT:8000 --count 600 --timeout 400 >/tmp/accept 2>&1 &
	acc=$!
	wait_for 20 grep -q listening /tmp/accept
	echo_server 8001 bind=$CLIENT
	serve 9002 go
	for vm in 2 3 4; do
		wait_for 400 fetch 192.168.77.$vm 9001 ready
	done
	echo "client: every member is ready"

	# ARP: exactly one reply, from the leader.
	must arping -c 1 -w 3 -I eth0 $SHARED
	# Ping: one reply per request, from the leader.
	must ping -c 5 -i 0.3 -W 2 $SHARED
	case "$OUT" in *DUP*) fail "ping got duplicate replies: $OUT" ;; esac
	case "$OUT" in *"5 packets received"*) ;; *) fail "ping: $OUT" ;; esac

	# Byte-exact services on three members.
	must dd if=/dev/urandom of=/tmp/data bs=1024 count=$KB
	for port in 7001 7002; do
		socat -T 30 -t 30 -b 8192 - TCP:$SHARED:$port </tmp/data >/tmp/back.$port 2>/tmp/err ||
			fail "TCP $port: $(cat /tmp/err)"
		cmp /tmp/data /tmp/back.$port || fail "TCP $port: data came back changed"
	done
	must vrctx-probe dhost udp --to $SHARED:7003 --bytes $((KB * 1024))

	# Ports nobody bound: no RST, no ICMP, from anyone.
	run socat -T 3 - TCP:$SHARED:7999,connect-timeout=3 </dev/null
	[ "$ST" != 0 ] || fail "a connection to port 7999, which nobody bound: $OUT"
	echo probe | socat -T 1 - UDP:$SHARED:7998 >/dev/null 2>&1
	# Member 2's segments through the 1000-byte hop.
	# (member 2 serves `seq 1 60000`, 339 KB, on 7004)
	seq 1 60000 >/tmp/seq
	ip netns exec cl socat -T 30 -u TCP:$SHARED:7004 - >/tmp/back.cl 2>/tmp/err ||
		fail "TCP 7004 through the small-MTU hop: $(cat /tmp/err)"
	cmp /tmp/seq /tmp/back.cl || fail "TCP 7004 through the small-MTU hop: data changed"
	sleep 3

	wait_pid 400 $acc
	must tail -n 1 /tmp/accept
	[ "$OUT" = "ok 600 distinct 600" ] || fail "600 connections from 3 members: $OUT"
	capture_stop /tmp/wire

	# Who sent what, by hardware address.
	leader=$(vm_mac $LEADER_VM)
	got=$(sent_by /tmp/wire "Reply $SHARED is-at")
	[ "$got" = "$leader=1 " ] || fail "ARP replies for $SHARED: want one from $leader, got: $got"
	got=$(sent_by /tmp/wire "$SHARED > $CLIENT: ICMP echo reply")
	[ "$got" = "$leader=5 " ] || fail "echo replies: want 5 from $leader, got: $got"
	for svc in "7001 tcp 2" "7002 tcp 3" "7003 udp 4" "7004 tcp 3"; do
		set -- $svc
		only_from /tmp/wire "$SHARED\.$1 > " $3 "$2 $1"
	done
	got=$(sent_by /tmp/wire "$SHARED\.799[89] > |ICMP $SHARED (tcp|udp) port 799")
	[ -z "$got" ] || fail "answers for ports nobody bound: $got"
	only_from /tmp/wire "> $SHARED: ICMP 10\.9\.1\.2 unreachable - need to frag \(mtu 1000\)" 1 \
		"the hop's fragmentation-needed to $SHARED"
	echo "client: one ARP reply and 5 echo replies from the leader, each port served by its owner only, no answer for unbound ports"

	# Each member fetches "done" once; the service notes who did.
	# (a member whose answer got lost on the way retries meanwhile)
	serve_done 3 10
	echo "client: done"
	exit 0
fi

# -------------------------------------------------------------- a member
member=$((VMID - 1))
must ip addr add $SHARED/24 dev eth0
must ip route add 10.9.1.0/24 via $CLIENT
must vrctl dhost add $SHARED dev eth0 member $member of $MEMBERS
[ "$VMID" = $LEADER_VM ] && must vrctl lead $SHARED on
expect 0 "$SHARED dev eth0 ctx 0 member $member of $MEMBERS" vrctl dhost show
# This host's own traffic to the address is not subject to the rules.
must ping -c 1 -W 2 $SHARED
vrctl dhost monitor >/tmp/events 2>&1 &
mon=$!
case $VMID in
2) echo_server 7001 bind=$SHARED ;;
3)
	echo_server 7002 bind=$SHARED
	socat -t 30 TCP-LISTEN:7004,bind=$SHARED,fork,reuseaddr 'SYSTEM:seq 1 60000' </dev/null >/dev/null 2>&1 &
	;;
4) vrctx-probe bench echo $SHARED:7003 >/dev/null 2>&1 & ;;
esac
serve 9001 ready
echo "member $member of $MEMBERS: ready"

# 200 connections from the shared address, while the other members do the same.
wait_for 300 fetch 192.168.77.1 9002 go
must vrctx-probe dhost conns --from $SHARED --to $CLIENT:8000 --count 200
printf '%s\n' "$OUT" | grep '^port ' | awk '{ print $2 }' >/tmp/ports
[ "$(wc -l </tmp/ports)" = 200 ] || fail "200 connections: $OUT"
# This member's slice of the local port range (member N of M: slice N).
# (busybox's read mangles this /proc file: split its text instead)
set -- $(cat /proc/sys/net/ipv4/ip_local_port_range)
lo=$1 hi=$2
size=$(((hi - lo + 1) / MEMBERS))
slo=$((lo + (member - 1) * size))
shi=$((slo + size - 1))
[ $member = $MEMBERS ] && shi=$hi
out=$(awk -v lo=$slo -v hi=$shi '$1 < lo || $1 > hi' /tmp/ports | head -n 3)
[ -z "$out" ] || fail "ports outside the slice $slo-$shi: $out"
expect 0 "ports $slo-$shi" vrctl dhost show
echo "member $member: 200 connections, every port in $slo-$shi"
if [ $VMID = 3 ]; then
	# A socat client session from the shared address (its events below).
	must sh -c "echo hello | socat -d -d -T 10 - TCP:$CLIENT:8001,bind=$SHARED"
	case "$OUT" in *"exiting with status 0"*) ;; *) fail "socat session to the client: $OUT" ;; esac
fi

wait_for 600 fetch 192.168.77.1 9000 done
echo "member $member: the client is done"

# The decisions each member counted.
stat() {
	vrctl -j dhost stats | tr -d '{}"' | tr ',' '\n' | awk -F: -v k="$1" '$1 == k { print $2 }'
}
at_least() { # NAME MIN
	v=$(stat "$1")
	[ -n "$v" ] && [ "$v" -ge "$2" ] || fail "member $member: counter $1 is '$v', want at least $2 ($(vrctl dhost stats | tr '\n' ' '))"
}
at_least marked_host 10
at_least rst_suppressed 1
at_least icmp_suppressed 1
at_least events 1
at_least port_sliced 200
if [ $VMID = $LEADER_VM ]; then
	at_least arp_leader 1
	at_least icmp_leader 5
else
	at_least arp_not_leader 1
	at_least icmp_not_leader 5
	at_least arp_src_replaced 1
fi
if [ $VMID = 3 ]; then
	at_least icmp_err_owned 1
	expect 0 "mtu 1000" ip route get 10.9.1.2
else
	at_least icmp_err_not_owned 1
	expect_not "mtu 1000" ip route get 10.9.1.2
fi

# Events, in order, with their fields. Closing the 7002 service (listener
# and any connection still open) must show as close events first.
if [ $VMID = 3 ]; then
	for p in /proc/[0-9]*; do
		case "$(tr '\0' ' ' <$p/cmdline 2>/dev/null)" in
		*TCP-LISTEN:7002*) echo "closing the 7002 service: ${p#/proc/}" && kill ${p#/proc/} ;;
		esac
	done
	wait_for 10 grep -q "^close tcp $SHARED:7002 0.0.0.0:0 " /tmp/events
fi
kill $mon
if [ $VMID = 3 ]; then
	dump_on_fail /tmp/events
	line_of() { grep -n -E "$1" /tmp/events | head -n 1 | cut -d: -f1; }
	b=$(line_of "^bind tcp $SHARED:7002 0.0.0.0:0 ctx 0 member 2$")
	l=$(line_of "^listen tcp $SHARED:7002 0.0.0.0:0 ctx 0 member 2$")
	a=$(line_of "^accept tcp $SHARED:7002 $CLIENT:[0-9]+ ctx 0 member 2$")
	c=$(line_of "^close tcp $SHARED:7002 $CLIENT:[0-9]+ ctx 0 member 2$")
	[ -n "$b" ] && [ -n "$l" ] && [ -n "$a" ] && [ -n "$c" ] && [ "$b" -lt "$l" ] &&
		[ "$l" -lt "$a" ] && [ "$a" -lt "$c" ] || fail "7002 events: bind $b listen $l accept $a close $c"
	p=$(grep -E "^connect tcp $SHARED:[0-9]+ $CLIENT:8001 " /tmp/events | head -n 1 | awk '{ print $3 }')
	[ -n "$p" ] || fail "no connect event for the socat session to $CLIENT:8001"
	b=$(line_of "^bind tcp $p 0.0.0.0:0 ")
	n=$(line_of "^connect tcp $p $CLIENT:8001 ")
	c=$(line_of "^close tcp $p $CLIENT:8001 ")
	[ -n "$b" ] && [ -n "$c" ] && [ "$b" -lt "$n" ] && [ "$n" -lt "$c" ] ||
		fail "socat session events: bind $b connect $n close $c"
	echo "member 2: bind, listen, accept, close and bind, connect, close, in order"
fi

# Bad input: a clear error, nothing changed.
before=$(vrctl dhost show)
ifindex=$(cat /sys/class/net/eth0/ifindex)
expect 2 "no such IPv4 address" vrctl dhost add 10.9.0.77 dev eth0 member 1 of 3
expect 1 "no such interface" vrctl dhost add $SHARED dev nosuch0 member 1 of 3
expect 1 "member 4 is out of range (1..=3)" vrctl dhost add $SHARED dev eth0 member 4 of 3
expect 1 "member count 0 is out of range" vrctl dhost add $SHARED dev eth0 member 1 of 0
expect 1 "usage: dhost add" vrctl dhost add $SHARED eth0 member 1 of 3
expect 1 "not an IPv4 address" vrctl dhost add 10.9.0.300 dev eth0 member 1 of 3
expect 2 "10.9.0.77 is not a distributed address" vrctl dhost del 10.9.0.77
expect 2 "10.9.0.77 is not a distributed address" vrctl lead 10.9.0.77 on
expect 2 "no distributed address" vrctl lead lo on
expect 1 "expected on or off" vrctl lead $SHARED maybe
expect 2 "Operation not permitted" $NOPRIV vrctl dhost add $SHARED dev eth0 member 1 of 3
dg() { vrctx-probe genl --family dhost "$@"; }
set_attrs="addr=ip:$SHARED ifindex=u32:$ifindex"
expect_errno ERANGE "Member number must be 1..member count" dg addr-set $set_attrs member=u32:4 members=u32:3
expect_errno ERANGE "Member count out of range" dg addr-set $set_attrs member=u32:1 members=u32:256
expect_errno EINVAL "Missing member count" dg addr-set $set_attrs member=u32:1
expect_errno EINVAL "Missing address" dg addr-set ifindex=u32:$ifindex member=u32:1 members=u32:3
expect_errno EINVAL "The lead flag is 0 or 1" dg lead $set_attrs lead=u32:2
expect_errno EINVAL "invalid attribute length" dg addr-set addr=u16:1 ifindex=u32:$ifindex member=u32:1 members=u32:3
expect_errno EINVAL "Unknown attribute type" dg addr-set $set_attrs member=u32:1 members=u32:3 99=u32:1
expect_errno EINVAL "The port slice follows from the member number" dg addr-set $set_attrs member=u32:1 members=u32:3 8=u16:1
expect_errno ENODEV "No such interface" dg addr-set addr=ip:$SHARED ifindex=u32:999 member=u32:1 members=u32:3
expect_out EPERM $NOPRIV vrctx-probe genl --family dhost addr-set $set_attrs member=u32:1 members=u32:3
[ "$(vrctl dhost show)" = "$before" ] || fail "bad input changed the addresses: $before -> $(vrctl dhost show)"
# Nobody may change them, anybody may read them.
expect 0 "$SHARED dev eth0" $NOPRIV vrctl dhost show

# A second leader: the kernel of one member cannot know; accepted (both
# would answer ARP and echo; the cluster daemon prevents it, part 2).
if [ $VMID = 4 ]; then
	must vrctl lead $SHARED on
	expect 0 "lead on" vrctl dhost show
	must vrctl lead eth0 off
	expect 0 "lead off" vrctl dhost show
fi

# Unload under traffic: a ping flood from the shared address, still
# marked distributed. No warning (the runner watches the console), the
# address is ordinary afterwards, the module loads again.
ping -i 0.02 -I $SHARED $CLIENT >/dev/null 2>&1 &
flood=$!
sleep 1
must rmmod dhost
alive $flood || fail "the ping flood stopped with the module"
expect 2 "dhost" vrctl dhost show
kill $flood
wait_pid 5 $flood
must insmod /lib/modules/vrctx/dhost.ko
must vrctl dhost show
[ -z "$OUT" ] || fail "addresses still distributed after reload: $OUT"
echo "member $member: counters, events, bad input and unload checked"
