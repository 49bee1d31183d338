# vms: 4
# timeout: 900
# mem: 640
# The leader's bridge (docs/dhost.md, "Bridge mode"), programmed by hand
# over the dhost family (the cluster daemon does it: 74-dhost-cluster): VM 1 is the
# client, with an ordinary ARP entry for the distributed address 10.9.0.1;
# VMs 2-4 are members 1-3, member 1 (VM 2) leads and bridges. Its table:
# every member's hardware address, tcp 7001 -> 1, tcp 7002 -> 2,
# udp 7003 -> 3. The client captures its link with hardware addresses
# (VM N is 52:54:00:00:00:0N); member 2 captures what reaches it.
#   phase 1, table authoritative:
#   - ARP replies only from the leader, one echo reply per request, from it;
#   - every frame the client sends to 10.9.0.1 goes to the leader's MAC;
#   - TCP 7001 (the leader's own), 7002 (member 2) and UDP 7003 (member 3),
#     300 KB byte-exact, answered by the owner only; member 2 receives the
#     client's segments from the leader's MAC with their TTL untouched (64);
#   - 50 connections from 10.9.0.1 on members 2 and 3 each: the replies are
#     steered by each member's ephemeral slice alone (no entry for them);
#   - a SYN to 7999 and a datagram to 7998, ports nobody owns: exactly one
#     RST and one port unreachable, from the leader, and nothing else;
#   phase 2, table no longer authoritative:
#   - SYN to 7999 and datagram to 7998: nothing back from anyone;
#   - 7005, which member 3 serves but the table does not know: the leader
#     floods the frames to every member, member 3 answers;
#   - 7002 still goes to member 2 only.
# The leader then checks its counters and bad requests (clear errors,
# table unchanged), and that `dhost del` drops the table.
# Coordination: members serve "ready" on 192.168.77.N:9001; the client
# serves "go" on :9002 (connect, once its transfers are over), "unauth" on
# :9004 (the leader answers "unauthed" on :9005) and "done" on :9000.
. /usr/lib/vrctx/lib.sh

SHARED=10.9.0.1
CLIENT=10.9.0.100
MEMBERS=3
LEADER_VM=2
KB=300

dg() { vrctx-probe genl --family dhost "$@"; }

must ip addr add "192.168.77.$VMID/24" dev eth0
must ip link set eth0 up

if [ "$VMID" = 1 ]; then
	# ---------------------------------------------------------- the client
	must ip addr add $CLIENT/24 dev eth0
	capture_start /tmp/wire1 eth0 -e
	vrctx-probe dhost accept --listen $CLIENT:8000 --count 100 --timeout 400 >/tmp/accept 2>&1 &
	acc=$!
	wait_for 20 grep -q listening /tmp/accept
	for vm in 2 3 4; do
		wait_for 400 fetch 192.168.77.$vm 9001 ready
	done
	echo "client: every member is ready"

	must arping -c 1 -w 3 -I eth0 $SHARED
	must ping -c 5 -i 0.3 -W 2 $SHARED
	case "$OUT" in *DUP*) fail "ping got duplicate replies: $OUT" ;; esac
	case "$OUT" in *"5 packets received"*) ;; *) fail "ping: $OUT" ;; esac

	must dd if=/dev/urandom of=/tmp/data bs=1024 count=$KB
	for port in 7001 7002; do
		socat -T 30 -t 30 -b 8192 - TCP:$SHARED:$port </tmp/data >/tmp/back.$port 2>/tmp/err ||
			fail "TCP $port: $(cat /tmp/err)"
		cmp /tmp/data /tmp/back.$port || fail "TCP $port: data came back changed"
	done
	must vrctx-probe dhost udp --to $SHARED:7003 --bytes $((KB * 1024))

	# Ports nobody owns: answered once, by the leader.
	expect 1 "Connection refused" socat -T 5 - TCP:$SHARED:7999,connect-timeout=5
	echo probe | socat -T 1 - UDP:$SHARED:7998 >/dev/null 2>&1
	# The members' outgoing connections, once the transfers are over.
	serve 9002 go
	wait_pid 400 $acc
	must tail -n 1 /tmp/accept
	[ "$OUT" = "ok 100 distinct 100" ] || fail "100 connections from 2 members: $OUT"
	sleep 2
	capture_stop /tmp/wire1

	# Phase 2: the leader's table is not authoritative any more.
	serve 9004 unauth
	wait_for 120 fetch 192.168.77.$LEADER_VM 9005 unauthed
	capture_start /tmp/wire2 eth0 -e
	run socat -T 3 - TCP:$SHARED:7999,connect-timeout=3 </dev/null
	[ "$ST" != 0 ] || fail "a connection to port 7999, which nobody owns: $OUT"
	case "$OUT" in *refused*) fail "7999 was refused without an authoritative table: $OUT" ;; esac
	echo probe | socat -T 1 - UDP:$SHARED:7998 >/dev/null 2>&1
	echo flood | socat -T 10 -t 10 - TCP:$SHARED:7005,connect-timeout=5 >/tmp/back.7005 2>/tmp/err ||
		fail "TCP 7005 (unknown to the table, flooded): $(cat /tmp/err)"
	[ "$(cat /tmp/back.7005)" = flood ] || fail "TCP 7005: got '$(cat /tmp/back.7005)'"
	socat -T 30 -t 30 -b 8192 - TCP:$SHARED:7002 </tmp/data >/tmp/back.7002b 2>/tmp/err ||
		fail "TCP 7002 (phase 2): $(cat /tmp/err)"
	cmp /tmp/data /tmp/back.7002b || fail "TCP 7002 (phase 2): data came back changed"
	sleep 2
	capture_stop /tmp/wire2

	# Who sent what, by hardware address (tcpdump -e: "SRC > DST, ...").
	leader=$(vm_mac $LEADER_VM)
	# (arping asks once, the client's own resolution may ask again)
	got=$(sent_by /tmp/wire1 "Reply $SHARED is-at")
	case "$got" in
	"$leader="[0-9]*" ") ;;
	*) fail "ARP replies for $SHARED: want them from $leader only, got: $got" ;;
	esac
	got=$(sent_by /tmp/wire1 "$SHARED > $CLIENT: ICMP echo reply")
	[ "$got" = "$leader=5 " ] || fail "echo replies: want 5 from $leader, got: $got"
	# Every frame to the address went to the leader's MAC.
	got=$(grep -E "> $SHARED(\.[0-9]+)?: " /tmp/wire1 /tmp/wire2 | awk '{ print $4 }' | sort | uniq -c | tr '\n' ' ')
	case "$got" in
	*" $leader,"*) ;;
	*) fail "frames to $SHARED: want all to $leader, got: $got" ;;
	esac
	[ "$(echo "$got" | wc -w)" = 2 ] || fail "frames to $SHARED went to several MACs: $got"
	for svc in "7001 tcp 2" "7002 tcp 3" "7003 udp 4"; do
		set -- $svc
		only_from /tmp/wire1 "$SHARED\.$1 > " $3 "$2 $1"
	done
	got=$(sent_by /tmp/wire1 "$SHARED\.7999 > $CLIENT\.[0-9]+: Flags \[R")
	[ "$got" = "$leader=1 " ] || fail "RST for port 7999: want one from $leader, got: $got"
	got=$(sent_by /tmp/wire1 "ICMP $SHARED udp port 7998 unreachable")
	[ "$got" = "$leader=1 " ] || fail "port unreachable for 7998: want one from $leader, got: $got"
	got=$(sent_by /tmp/wire1 "$SHARED\.799[89] > |ICMP $SHARED (tcp|udp) port 799")
	[ "$got" = "$leader=2 " ] || fail "answers for 7998/7999: want 2 from $leader, got: $got"
	echo "client: phase 1: ARP and echo replies, one RST and one port unreachable from the leader; each port served by its owner"
	got=$(sent_by /tmp/wire2 "$SHARED\.799[89] > |ICMP $SHARED (tcp|udp) port 799")
	[ -z "$got" ] || fail "answers for 7998/7999 without an authoritative table: $got"
	only_from /tmp/wire2 "$SHARED\.7005 > " 4 "tcp 7005 (flooded)"
	only_from /tmp/wire2 "$SHARED\.7002 > " 3 "tcp 7002 (phase 2)"
	echo "client: phase 2: nothing answers unowned ports; flooded 7005 answered by member 3 only"

	serve_done 3 10
	echo "client: done"
	exit 0
fi

# -------------------------------------------------------------- a member
member=$((VMID - 1))
must ip addr add $SHARED/24 dev eth0
must vrctl dhost add $SHARED dev eth0 member $member of $MEMBERS
ifindex=$(cat /sys/class/net/eth0/ifindex)
A="addr=ip:$SHARED ifindex=u32:$ifindex"
if [ "$VMID" = $LEADER_VM ]; then
	must vrctl lead $SHARED on
	for m in 1 2 3; do
		must dg peer-set $A member=u32:$m mac=mac:$(vm_mac $((m + 1)))
	done
	must dg fwd-set $A proto=u32:6 lport=u16:7001 member=u32:1
	must dg fwd-set $A proto=u32:6 lport=u16:7002 member=u32:2
	must dg fwd-set $A proto=u32:17 lport=u16:7003 member=u32:3
	must dg auth $A auth_ms=u32:600000
	must dg --dump --show fwd-get
	echo "$OUT"
fi
case $VMID in
2) echo_server 7001 bind=$SHARED ;;
3)
	echo_server 7002 bind=$SHARED
	capture_start /tmp/in2 eth0 -e -v -n "ip src $CLIENT and tcp port 7002"
	;;
4)
	vrctx-probe bench echo $SHARED:7003 >/dev/null 2>&1 &
	echo_server 7005 bind=$SHARED
	;;
esac
serve 9001 ready
echo "member $member: ready"

wait_for 300 fetch 192.168.77.1 9002 go
if [ $VMID != $LEADER_VM ]; then
	must vrctx-probe dhost conns --from $SHARED --to $CLIENT:8000 --count 50
	printf '%s\n' "$OUT" | grep -c '^port ' | grep -qx 50 || fail "50 connections: $OUT"
fi

if [ $VMID = $LEADER_VM ]; then
	wait_for 600 fetch 192.168.77.1 9004 unauth
	must dg auth $A auth_ms=u32:0
	serve 9005 unauthed
fi

wait_for 600 fetch 192.168.77.1 9000 done
echo "member $member: the client is done"

stat() {
	vrctl -j dhost stats | tr -d '{}"' | tr ',' '\n' | awk -F: -v k="$1" '$1 == k { print $2 }'
}
at_least() { # NAME MIN
	v=$(stat "$1")
	[ -n "$v" ] && [ "$v" -ge "$2" ] || fail "member $member: counter $1 is '$v', want at least $2 ($(vrctl dhost stats | tr '\n' ' '))"
}
if [ $VMID = 3 ]; then
	capture_stop /tmp/in2
	dump_on_fail /tmp/in2
	# The client's segments reach member 2 from the leader, TTL untouched
	# (tcpdump -e -v: "TIME SRC > DST, ethertype IPv4 ...: (tos 0x0, ttl 64, ...").
	grep -E "[0-9a-f:]{17} > [0-9a-f:]{17}, " /tmp/in2 >/tmp/in2.frames
	n=$(grep -c " $(vm_mac $LEADER_VM) > $(vm_mac 3), .*ttl 64," /tmp/in2.frames)
	[ "$n" -ge 100 ] || fail "member 2: $n segments of the client from the leader with ttl 64"
	got=$(grep -v " $(vm_mac $LEADER_VM) > $(vm_mac 3), .*ttl 64," /tmp/in2.frames | head -n 3)
	[ -z "$got" ] || fail "member 2: segments not from the leader or with another TTL: $got"
	echo "member 2: $n of the client's segments, all from the leader with ttl 64"
fi
if [ $VMID = $LEADER_VM ]; then
	at_least bridged 100
	at_least bridge_local 50
	at_least answered 2
	at_least flooded 1
	echo "leader: $(vrctl dhost stats | grep -E '^(bridged|bridge_local|answered|flooded|bridge_dropped) ' | tr '\n' ' ')"

	# Bad requests: a clear error each, the table unchanged.
	before=$(dg --dump --show fwd-get)
	C="proto=u32:6 lport=u16:7010"
	expect_errno EINVAL "Missing protocol" dg fwd-set $A lport=u16:7010 member=u32:2
	expect_errno EINVAL "Missing port" dg fwd-set $A proto=u32:6 member=u32:2
	expect_errno EINVAL "Missing member number" dg fwd-set $A $C
	expect_errno EPROTONOSUPPORT "Protocol must be TCP or UDP" dg fwd-set $A proto=u32:1 lport=u16:7010 member=u32:2
	expect_errno EPROTONOSUPPORT "Protocol must be TCP or UDP" dg fwd-set $A proto=u32:300 lport=u16:7010 member=u32:2
	expect_errno EINVAL "Port 0 cannot be owned" dg fwd-set $A proto=u32:6 lport=u16:0 member=u32:2
	expect_errno ERANGE "Member number must be 1..member count" dg fwd-set $A $C member=u32:4
	expect_errno ERANGE "Member number must be 1..member count" dg fwd-set $A $C member=u32:0
	expect_errno EINVAL "needs both" dg fwd-set $A $C raddr=ip:$CLIENT member=u32:2
	expect_errno ENOENT "No such forwarding entry" dg fwd-del $A $C
	expect_errno ENOENT "not distributed" dg fwd-set addr=ip:192.168.77.2 ifindex=u32:$ifindex $C member=u32:2
	expect_errno EADDRNOTAVAIL "no such IPv4 address" dg fwd-set addr=ip:10.9.0.77 ifindex=u32:$ifindex $C member=u32:2
	expect_errno ENODEV "No such interface" dg fwd-set addr=ip:$SHARED ifindex=u32:999 $C member=u32:2
	expect_errno EINVAL "must be unicast" dg peer-set $A member=u32:2 mac=mac:ff:ff:ff:ff:ff:ff
	expect_errno EINVAL "must be unicast" dg peer-set $A member=u32:2 mac=mac:00:00:00:00:00:00
	expect_errno EINVAL "Missing hardware address" dg peer-set $A member=u32:2 mac=bytes:4
	expect_errno ERANGE "Member number must be 1..member count" dg peer-set $A member=u32:9 mac=mac:02:00:00:00:00:09
	expect_errno ERANGE "At most an hour" dg auth $A auth_ms=u32:3600001
	expect_errno EINVAL "Missing duration" dg auth $A
	expect_out EPERM $NOPRIV vrctx-probe genl --family dhost fwd-set $A $C member=u32:2
	expect_out EPERM $NOPRIV vrctx-probe genl --family dhost fwd-flush $A
	after=$(dg --dump --show fwd-get)
	[ "$before" = "$after" ] || fail "bad requests changed the table: before: $before after: $after"
	echo "leader: bad requests refused, table unchanged"

	# A connection entry, removed again; then `dhost del` drops the table.
	must dg fwd-set $A $C raddr=ip:$CLIENT rport=u16:40000 member=u32:3
	must dg --dump --show fwd-get
	# (RPORT is attribute 17)
	case "$OUT" in *" 17=40000 "*) ;; *) fail "the connection entry is not in the dump: $OUT" ;; esac
	must dg fwd-del $A $C raddr=ip:$CLIENT rport=u16:40000
	must vrctl dhost del $SHARED
	must dg --dump --show fwd-get
	case "$OUT" in *cmd=*) fail "the table outlived dhost del: $OUT" ;; esac
	echo "leader: dhost del dropped the table"
fi
exit 0
