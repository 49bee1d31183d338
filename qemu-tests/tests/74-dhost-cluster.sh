# vms: 4
# timeout: 1500
# mem: 768
# The cluster (docs/cluster.md): VM 1 is the client, with an ordinary ARP
# entry for the distributed address 10.9.0.1; VMs 2-4 are members 1-3, each
# running an etcd member (192.168.77.N) and dhostd; member 1 (VM 2) leads,
# and its daemon programs its kernel's bridge from the database. Nothing is
# programmed by hand. The client captures its link with hardware addresses.
#   - the daemons' view: `vrctl dhost ports` on every member lists every
#     member's ports, the leader's table is authoritative;
#   - through the bridge: TCP 7001 (leader), 7002 (member 2), UDP 7003
#     (member 3) byte-exact, each answered by its owner only;
#   - ports nobody owns: exactly one RST and one port unreachable, from the
#     leader;
#   - bind-to-reachable: member 3 opens 50 ports one at a time (asked over
#     its control service), the client connects as soon as it can; p50 and
#     p99 printed ("cluster: bind-to-reachable");
#   - a session on member 2 (7002) survives member 3 closing those ports,
#     member 3's daemon restarting and the leader's daemon restarting; after
#     each restart every member's `dhost ports -j` matches its sockets;
#   - outgoing connections from every member at once (50 each) reach the
#     client, replies steered by slice;
#   - 1,000 short connections through the leader to ports on all three
#     members, none lost; connections per second through the bridge and
#     direct to a member's own address, in the same run ("cluster: load");
#   - bad input: a daemon with a wrong member id, an unreachable etcd, a
#     second daemon for a member id already claimed, garbage under the
#     prefix: clear errors, the leader's table unchanged;
#   - member 3 dies (its daemon and etcd killed, its link down): once its
#     lease (15 s here) expires its ports leave the table and a SYN to 7003's TCP twin
#     7013 is answered by the leader with one RST; member 2's session is
#     untouched.
# Coordination: markers on 192.168.77.N:9001 (members: ready), the client's
# steps on 192.168.77.1:9002..9009, "done" on :9000.
. /usr/lib/vrctx/lib.sh

SHARED=10.9.0.1
CLIENT=10.9.0.100
MEMBERS=3
LEADER_VM=2
KB=200
CLUSTER=vm2=http://192.168.77.2:2380,vm3=http://192.168.77.3:2380,vm4=http://192.168.77.4:2380
ENDPOINTS=http://192.168.77.2:2379,http://192.168.77.3:2379,http://192.168.77.4:2379

# step N WORD: the client announces step WORD on port 9000+N; members wait.
step() { serve $((9000 + $1)) "$2"; }
wait_step() { wait_for 900 fetch 192.168.77.1 $((9000 + $1)) "$2"; }

must ip addr add "192.168.77.$VMID/24" dev eth0
must ip link set eth0 up

if [ "$VMID" = 1 ]; then
	# ---------------------------------------------------------- the client
	must ip addr add $CLIENT/24 dev eth0
	vrctx-probe dhost accept --listen $CLIENT:8000 --count 150 --timeout 900 >/tmp/accept 2>&1 &
	acc=$!
	wait_for 20 grep -q listening /tmp/accept
	for vm in 2 3 4; do
		wait_for 900 fetch 192.168.77.$vm 9001 ready
	done
	echo "client: every member is ready"
	# From here, a failure shows every member's daemon log and counters.
	member_logs() {
		for vm in 2 3 4; do
			socat -u -T 30 TCP:192.168.77.$vm:9020,connect-timeout=3 - >/tmp/member$vm.log 2>&1
			dump_on_fail /tmp/member$vm.log
		done
	}
	on_fail member_logs
	capture_start /tmp/wire eth0 -e

	# Through the bridge, byte-exact, each port served by its owner.
	must ping -c 3 -i 0.3 -W 2 $SHARED
	case "$OUT" in *DUP*) fail "ping got duplicate replies: $OUT" ;; esac
	must dd if=/dev/urandom of=/tmp/data bs=1024 count=$KB
	for port in 7001 7002; do
		socat -T 30 -t 30 -b 8192 - TCP:$SHARED:$port </tmp/data >/tmp/back.$port 2>/tmp/err ||
			fail "TCP $port: $(cat /tmp/err)"
		cmp /tmp/data /tmp/back.$port || fail "TCP $port: data came back changed"
	done
	must vrctx-probe dhost udp --to $SHARED:7003 --bytes $((KB * 1024))
	expect 1 "Connection refused" socat -T 5 - TCP:$SHARED:7999,connect-timeout=5
	echo probe | socat -T 1 - UDP:$SHARED:7998 >/dev/null 2>&1
	sleep 2
	capture_stop /tmp/wire
	leader=$(vm_mac $LEADER_VM)
	for svc in "7001 tcp 2" "7002 tcp 3" "7003 udp 4"; do
		set -- $svc
		only_from /tmp/wire "$SHARED\.$1 > " $3 "$2 $1"
	done
	got=$(sent_by /tmp/wire "$SHARED\.799[89] > |ICMP $SHARED (tcp|udp) port 799")
	[ "$got" = "$leader=2 " ] || fail "answers for 7998/7999: want one RST and one port unreachable from $leader, got: $got"
	echo "client: each port served by its owner through the leader; one RST, one port unreachable"

	# A long session on member 2, checked after every change below.
	rm -f /tmp/s.in /tmp/s.out
	mkfifo /tmp/s.in
	socat -T 900 -b 8192 - TCP:$SHARED:7002 </tmp/s.in >/tmp/s.out 2>/tmp/s.err &
	sess=$!
	exec 7>/tmp/s.in
	n=0
	session_ok() { # WHAT
		n=$((n + 1))
		echo "line $n" >&7
		wait_for 120 grep -qx "line $n" /tmp/s.out
		alive $sess || fail "the session on member 2 ended ($1): $(cat /tmp/s.err)"
	}
	session_ok "start"

	# Bind-to-reachable, 50 ports on member 3. The latency is reported, not
	# asserted (make bench territory): the timeout only catches a port that
	# never becomes reachable. 20 s was hit once in a slow make check run
	# (p99 up to 13.9 s in earlier runs on this shared 2-core host).
	: >/tmp/reach
	: >/tmp/asked
	i=0
	while [ $i -lt 50 ]; do
		must vrctx-probe dhost reach --to $SHARED:$((7100 + i)) --timeout 120 --ask 192.168.77.4:9010
		set -- $OUT
		[ "$1" = reached ] || fail "port $((7100 + i)): $OUT"
		echo "$2" >>/tmp/reach
		echo "$4" >>/tmp/asked
		i=$((i + 1))
	done
	sort -n /tmp/reach >/tmp/reach.s
	p50=$(sed -n 25p /tmp/reach.s)
	p99=$(sed -n 50p /tmp/reach.s)
	sort -n /tmp/asked >/tmp/asked.s
	echo "cluster: bind-to-reachable over 50 ports: p50 $p50 ms, p99 $p99 ms, min $(head -n 1 /tmp/reach.s) ms (of which asking member 3 to bind: p50 $(sed -n 25p /tmp/asked.s) ms)"
	session_ok "member 3 bound 50 ports"

	step 2 unbind
	wait_for 300 fetch 192.168.77.4 9011 unbound
	session_ok "member 3 closed its 50 ports"
	step 3 restart3
	wait_for 300 fetch 192.168.77.4 9012 restarted
	session_ok "member 3's daemon restarted"
	step 4 restart1
	wait_for 300 fetch 192.168.77.2 9013 restarted
	session_ok "the leader's daemon restarted"

	# Outgoing connections from every member at once.
	step 5 connect
	wait_pid 600 $acc
	must tail -n 1 /tmp/accept
	[ "$OUT" = "ok 150 distinct 150" ] || fail "150 connections from 3 members: $OUT"
	echo "client: 150 connections from the members, replies steered through the leader"
	session_ok "outgoing connections"

	# Load: 1,000 short connections through the leader, and direct.
	for p in 7011 7012 7013; do
		wait_for 60 vrctx-probe dhost short --to $SHARED:$p --count 1
	done
	total=0
	for p in 7011 7012 7013; do
		run vrctx-probe dhost short --to $SHARED:$p --count 334
		[ "$ST" = 0 ] || fail "short connections to $p: $OUT"
		set -- $OUT
		[ "$4" = 0 ] || fail "short connections to $p: $OUT"
		total=$((total + $2))
		echo "cluster: load: port $p through the leader: $OUT"
	done
	[ $total -ge 1000 ] || fail "load: $total connections"
	must vrctx-probe dhost short --to 192.168.77.3:7012 --count 334
	echo "cluster: load: port 7012 direct to member 2 (192.168.77.3): $OUT"
	session_ok "load"

	# Bad input on the members, then member 3 dies.
	step 6 badinput
	wait_for 300 fetch 192.168.77.2 9016 checked
	step 7 die
	wait_for 300 fetch 192.168.77.2 9017 gone
	# 7013 was member 3's: now nobody's, answered once by the leader.
	capture_start /tmp/wire2 eth0 -e
	expect 1 "Connection refused" socat -T 5 - TCP:$SHARED:7013,connect-timeout=5
	sleep 1
	capture_stop /tmp/wire2
	got=$(sent_by /tmp/wire2 "$SHARED\.7013 > ")
	[ "$got" = "$leader=1 " ] || fail "7013 after member 3 died: want one RST from $leader, got: $got"
	session_ok "member 3 died"
	echo "client: member 3's ports answered as unowned after its lease expired; the session on member 2 survived"
	exec 7>&-

	step 8 done
	serve_done 2 5
	echo "client: done"
	exit 0
fi

# -------------------------------------------------------------- a member
member=$((VMID - 1))
must ip addr add $SHARED/24 dev eth0
must vrctl dhost add $SHARED dev eth0 member $member of $MEMBERS
[ "$VMID" = $LEADER_VM ] && must vrctl lead $SHARED on

etcd_start vm$VMID 192.168.77.$VMID $CLUSTER
etcd_wait_healthy 600
echo "member $member: etcd healthy after $ETCD_UP_MS ms"

# A 15 s lease (the default is 5 s): four TCG guests on a loaded 2-core
# host have left etcd unable to answer keepalives for longer than 5 s,
# and every expiry makes the leader answer RST for that member's ports
# until its daemon registers again.
DHOSTD_PID=
dhostd_start() {
	dhostd --addr $SHARED --member $member --etcd $ENDPOINTS --ttl 15 </dev/null >>/tmp/dhostd.log 2>&1 &
	DHOSTD_PID=$!
	wait_for 60 vrctl dhost ports
}
dump_on_fail /tmp/dhostd.log
dhostd_start
# (for the client, when it fails: this member's daemon log and counters)
cat >/tmp/logs.sh <<SH
echo "member $member at \$(date +%T) (uptime \$(cut -d' ' -f1 /proc/uptime) s):"
cat /tmp/dhostd.log; vrctl dhost stats | grep -v ' 0\$'; vrctl dhost ports
grep -E 'lease|took too long|leader' $LIB_ETCD_LOG | tail -n 20 | cut -c1-220
SH
socat -t 30 TCP-LISTEN:9020,bind=192.168.77.$VMID,fork,reuseaddr 'SYSTEM:sh /tmp/logs.sh' </dev/null >/dev/null 2>&1 &

case $VMID in
2) echo_server 7001 ;;
3) echo_server 7002 ;;
4)
	vrctx-probe bench echo 0.0.0.0:7003 >/dev/null 2>&1 &
	# The control service of the bind-to-reachable trials: opens the port it
	# is told (a script: socat would parse the ':' of a SYSTEM command).
	cat >/tmp/open.sh <<'SH'
read p
vrctx-probe dhost serve --listen 0.0.0.0:$p </dev/null >/dev/null 2>&1 &
echo bound
SH
	socat -t 30 TCP-LISTEN:9010,bind=192.168.77.4,fork,reuseaddr 'SYSTEM:sh /tmp/open.sh' \
		</dev/null >/dev/null 2>&1 &
	;;
esac
vrctx-probe dhost serve --listen 0.0.0.0:$((7010 + member)) >/dev/null 2>&1 &

# Every member's view: all three services, the leader authoritative.
has() { vrctl dhost ports | grep -qx "$1"; }
wait_for 120 has "tcp 7001 member 1"
wait_for 120 has "tcp 7002 member 2"
wait_for 120 has "udp 7003 member 3"
if [ "$VMID" = $LEADER_VM ]; then
	wait_for 120 has "$SHARED member 1 of 3 lead on authoritative yes"
	must vrctx-probe genl --family dhost --dump --show fwd-get
	echo "leader's table: $OUT"
fi
must vrctl dhost ports
echo "member $member: $OUT"
serve 9001 ready

# ports_match: `dhost ports` of this member lists exactly its sockets on
# the address (or the wildcard): TCP listeners and bound UDP sockets (the
# test's own marker and control services, 9000 and up, left out).
ports_match() {
	want=$(ss -Htlnu | awk '{ split($5, a, ":"); p = a[length(a)]; if ($5 ~ /^(0\.0\.0\.0|\*|10\.9\.0\.1|\[::\]):/ && p < 9000) print $1 " " p }' | sort -u)
	got=$(vrctl dhost ports | awk -v m=$member '$3 == "member" && $4 == m && NF == 4 && $2 < 9000 { print $1 " " $2 }' | sort -u)
	[ "$want" = "$got" ] || { echo "sockets: $want / database: $got"; return 1; }
}

if [ $VMID = 4 ]; then
	wait_step 2 unbind
	for p in /proc/[0-9]*; do
		case "$(tr '\0' ' ' <$p/cmdline 2>/dev/null)" in
		*"dhost serve --listen 0.0.0.0:71"*) kill ${p#/proc/} ;;
		esac
	done
	wait_for 60 ports_match
	serve 9011 unbound
	wait_step 3 restart3
	kill $DHOSTD_PID
	wait_pid 30 $DHOSTD_PID
	dhostd_start
	wait_for 60 ports_match
	serve 9012 restarted
fi
if [ $VMID = $LEADER_VM ]; then
	wait_step 4 restart1
	before=$(vrctx-probe genl --family dhost --dump --show fwd-get | grep -v ' 20=')
	kill $DHOSTD_PID
	wait_pid 30 $DHOSTD_PID
	dhostd_start
	wait_for 60 has "$SHARED member 1 of 3 lead on authoritative yes"
	wait_for 60 ports_match
	after=$(vrctx-probe genl --family dhost --dump --show fwd-get | grep -v ' 20=')
	[ "$before" = "$after" ] || fail "the table changed across a daemon restart: $before / $after"
	serve 9013 restarted
fi

wait_step 5 connect
must vrctx-probe dhost conns --from $SHARED --to $CLIENT:8000 --count 50
printf '%s\n' "$OUT" | grep -c '^port ' | grep -qx 50 || fail "50 connections: $OUT"
wait_for 60 ports_match
echo "member $member: database matches the sockets ($(vrctl dhost ports | wc -l) lines)"

if [ $VMID = $LEADER_VM ]; then
	wait_step 6 badinput
	table() { vrctx-probe genl --family dhost --dump --show fwd-get | grep -v ' 20=' | sort; }
	before=$(table)
	expect 1 "the kernel says this host is member 1 of 3" dhostd --addr $SHARED --member 2 --etcd $ENDPOINTS --socket /run/x.sock
	expect 1 "etcd" dhostd --addr $SHARED --member 1 --etcd http://192.168.77.9:2379 --socket /run/x.sock
	expect 1 "already claimed" dhostd --addr $SHARED --member 1 --etcd $ENDPOINTS --socket /run/x.sock
	expect 1 "not a distributed address" dhostd --addr 10.9.0.77 --member 1 --etcd $ENDPOINTS --socket /run/x.sock
	expect 1 "bogus" dhostd --addr $SHARED --member 1 --etcd bogus --socket /run/x.sock
	E="etcdctl --dial-timeout=5s --command-timeout=30s"
	must $E put /dhost/$SHARED/ports/tcp/abc '{"member":2}'
	must $E put /dhost/$SHARED/ports/tcp/7777 'garbage'
	must $E put /dhost/$SHARED/ports/tcp/7778 '{"member":9}'
	must $E put /dhost/$SHARED/ports/udp/0 '{"member":2}'
	must $E put /dhost/$SHARED/members/7 '{"mac":"zz"}'
	wait_for 30 grep -q "ports/tcp/abc" /tmp/dhostd.log
	wait_for 30 grep -q "ports/tcp/7777" /tmp/dhostd.log
	sleep 3
	alive $DHOSTD_PID || fail "the leader's daemon died on garbage"
	after=$(table)
	[ "$before" = "$after" ] || fail "garbage changed the table: $before / $after"
	must $E del --prefix /dhost/$SHARED/ports/tcp/abc
	must $E del /dhost/$SHARED/ports/tcp/7777
	must $E del /dhost/$SHARED/ports/tcp/7778
	must $E del /dhost/$SHARED/ports/udp/0
	must $E del /dhost/$SHARED/members/7
	grep -E "ports/tcp/(abc|7777)|members/7" /tmp/dhostd.log | head -n 5
	echo "leader: bad input refused, garbage ignored, table unchanged"
	serve 9016 checked

	wait_step 7 die
	# Member 3's entries go once its lease expires.
	gone3() { ! vrctl dhost ports | grep -q "member 3"; }
	wait_for 120 gone3
	wait_for 30 has "$SHARED member 1 of 3 lead on authoritative yes"
	serve 9017 gone
	echo "leader: member 3's entries expired with its lease"
fi
if [ $VMID = 4 ]; then
	wait_step 7 die
	kill -9 $DHOSTD_PID
	etcd_stop
	must ip link set eth0 down
	echo "member 3: dead to the cluster"
	# (kept alive for the runner: it waits for every VM)
	sleep 60
	exit 0
fi

wait_for 900 fetch 192.168.77.1 9000 done
kill $DHOSTD_PID
wait_pid 30 $DHOSTD_PID
echo "member $member: daemon stopped ($(grep -c . /tmp/dhostd.log) log lines)"
exit 0
