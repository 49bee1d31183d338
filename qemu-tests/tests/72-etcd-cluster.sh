# vms: 3
# timeout: 600
# mem: 640
# etcd in the guest (docs/cluster.md): a three-member cluster, one member per
# VM (vmN on 192.168.77.N), started with lib.sh's etcd_start and
# etcd_wait_healthy. Checks, and the measurements printed as "etcd: ..."
# lines:
#   - every member reaches health (time from its start to healthy);
#   - a key put on VM 1 is read on VM 3; VM 1 times 20 puts (etcdctl wall
#     time and the server's own Put latency) and etcdctl's start-up;
#   - VM 1: a lease (TTL 10 s, or etcd's minimum) kept alive outlives its
#     TTL; once keep-alive stops, the key goes in about the remaining TTL;
#   - VM 3 takes the leadership (move-leader), then kills its etcd with
#     SIGKILL: VMs 1 and 2 (2 of 3, a quorum) still put and read each
#     other's keys; VM 3 times the election through VM 1's member;
#   - each member's leader changes, heartbeat warnings and peer round trip.
# Coordination: each VM serves "healthy" on 192.168.77.N:9001; VM 1 serves
# "put" on 192.168.77.1:9002 once the key and the lease checks are done;
# VM 3 serves "killed" on 192.168.77.3:9003 once its etcd is dead and a new
# leader accepts puts; VMs 1 and 2 serve "done" on 9004; VM 3 then serves
# "bye" on 9005 and waits for both to fetch it before anyone stops.
. /usr/lib/vrctx/lib.sh

N=3
IP=192.168.77.$VMID
ALL=http://192.168.77.1:2379,http://192.168.77.2:2379,http://192.168.77.3:2379
# etcdctl against the local member (127.0.0.1:2379) unless --endpoints says otherwise.
ec() { etcdctl --dial-timeout=5s --command-timeout=30s "$@"; }


# p50 of the numbers in FILE (one a line).
p50() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# Millisecond wall time of each of COUNT runs of CMD into FILE (must succeed).
timed() { # FILE COUNT CMD...
	local _f=$1 _n=$2 _i=0 _t0
	shift 2
	: >"$_f"
	while [ $_i -lt "$_n" ]; do
		_t0=$(now_ms)
		must "$@" >/dev/null
		echo $(($(now_ms) - _t0)) >>"$_f"
		_i=$((_i + 1))
	done
}

# The local member's metrics (Prometheus text) into /tmp/metrics (a busy
# member may be slow to answer: a few tries; empty if it never does).
metrics_once() {
	printf 'GET /metrics HTTP/1.0\r\n\r\n' |
		socat -T 30 - TCP:127.0.0.1:2379 2>/dev/null | tr -d '\r' >/tmp/metrics
	grep -q '^etcd_server_leader_changes_seen_total ' /tmp/metrics
}
metrics() {
	retry 60 metrics_once || : >/tmp/metrics
}

# histo NAME FILTER: "mean M ms, p50 <= P ms, n C" of a histogram in
# /tmp/metrics over its series whose labels contain FILTER.
histo() {
	awk -v n="$1" -v f="$2" '
		index($0, n "_") == 1 && (f == "" || index($0, f)) {
			if (index($0, n "_sum")) s += $2
			else if (index($0, n "_count")) c += $2
			else if (index($0, n "_bucket")) {
				le = $1; sub(/.*le="/, "", le); sub(/".*/, "", le)
				b[le] += $2; if (!(le in seen)) { seen[le] = 1; ord[++k] = le }
			}
		}
		END {
			if (!c) { print "none"; exit }
			p = "inf"
			for (i = 1; i <= k; i++)
				if (ord[i] != "+Inf" && b[ord[i]] >= c / 2 && (p == "inf" || ord[i] + 0 < p + 0)) p = ord[i]
			printf "mean %.1f ms, p50 <= %s ms, n %d\n", s / c * 1000, (p == "inf" ? p : p * 1000), c
		}' /tmp/metrics
}

# What this member saw: leader changes, late heartbeats, peer round trips.
report() {
	metrics
	echo "etcd: vm$VMID: leader changes seen $(awk '/^etcd_server_leader_changes_seen_total /{ print $2 }' /tmp/metrics)," \
		"heartbeats late $(grep -c 'failed to send out heartbeat on time' /tmp/etcd-vm$VMID.log)" \
		"(worst exceeded by $(grep -o '"exceeded-duration":"[^"]*"' /tmp/etcd-vm$VMID.log | cut -d'"' -f4 |
			awk '{ v = $1; ms = v; if (v ~ /ms$/) ms = v + 0; else if (v ~ /µs$/) ms = 0; else if (v ~ /s$/) ms = v * 1000; if (ms > m) m = ms } END { print m + 0 }') ms)," \
		"elections started $(grep -c 'is starting a new election' /tmp/etcd-vm$VMID.log)," \
		"slow applies $(grep -c 'apply request took too long' /tmp/etcd-vm$VMID.log)"
	echo "etcd: vm$VMID: peer round trip $(histo etcd_network_peer_round_trip_time_seconds To=);" \
		"WAL fsync $(histo etcd_disk_wal_fsync_duration_seconds '')"
	# Raft's view: when this member started elections and who won.
	sed -n 's/.*"ts":"[^T]*T\([^"]*\)".*"msg":"\([^"]*\(elected leader\|starting a new election\|lost leader\)[^"]*\)".*/\1 \2/p' \
		/tmp/etcd-vm$VMID.log | sed "s/^/etcd: vm$VMID: raft: /"
}

must ip addr add "$IP/24" dev eth0
must ip link set eth0 up

# --------------------------------------------------------------- start
must etcdctl version
timed /tmp/t.version 5 etcdctl version
echo "etcd: vm$VMID: etcdctl start-up (etcdctl version) p50 $(p50 /tmp/t.version) ms"
etcd_start "vm$VMID" "$IP" "$(etcd_cluster $N)"
etcd_wait_healthy 300
echo "etcd: vm$VMID: healthy $ETCD_UP_MS ms after its start (heartbeat $ETCD_HEARTBEAT_MS ms, election $ETCD_ELECTION_MS ms)"
df -k /run | tail -n 1 | awk -v v="$VMID" '{ print "etcd: vm" v ": /run uses " int($3 / 1024) " MB (WAL segments are preallocated)" }'
serve 9001 healthy
for vm in 1 2 3; do
	wait_for 300 fetch 192.168.77.$vm 9001 healthy
done
must ec member list
[ "$(printf '%s\n' "$OUT" | grep -c ', started, vm[123], ')" = 3 ] || fail "member list: $OUT"
echo "etcd: vm$VMID: every member is healthy"

if [ "$VMID" = 1 ]; then
	# ------------------------------------------------- put, latency, lease
	must ec put vrctx/test/from-vm1 "hello from vm1"
	metrics
	before=$(awk '/^grpc_server_handled_total.*grpc_method="Put"/ { s += $2 } END { print s + 0 }' /tmp/metrics)
	timed /tmp/t.put 20 ec put vrctx/test/latency x
	timed /tmp/t.health 5 ec endpoint health
	echo "etcd: vm1: 20 puts: etcdctl wall time p50 $(p50 /tmp/t.put) ms, max $(sort -n /tmp/t.put | tail -n 1) ms"
	metrics
	echo "etcd: vm1: server Put latency (grpc, all puts so far) $(histo grpc_server_handling_seconds 'grpc_method="Put"')"
	run ec endpoint health
	echo "etcd: vm1: endpoint health (etcdctl wall p50 $(p50 /tmp/t.health) ms): $OUT"
	after=$(awk '/^grpc_server_handled_total.*grpc_method="Put"/ { s += $2 } END { print s + 0 }' /tmp/metrics)
	[ $((after - before)) -ge 20 ] || fail "the server counted $((after - before)) puts, want 20"

	must ec lease grant 10
	set -- $OUT
	lease=$2
	ttl=${5#TTL(}
	ttl=${ttl%s)}
	[ -n "$lease" ] && [ "$ttl" -ge 10 ] || fail "lease grant: $OUT"
	echo "etcd: vm1: lease $lease granted with TTL $ttl s (asked 10)"
	etcdctl lease keep-alive "$lease" >/tmp/keepalive 2>&1 &
	ka=$!
	must ec put --lease="$lease" vrctx/test/leased alive
	t0=$(now_ms)
	# Kept alive beyond its TTL.
	while [ $(($(now_ms) - t0)) -lt $((ttl * 1000 + 3000)) ]; do
		alive $ka || fail "lease keep-alive exited: $(cat /tmp/keepalive)"
		expect_out alive ec get --print-value-only vrctx/test/leased
		sleep 1
	done
	grep -q "keepalived with TTL" /tmp/keepalive || fail "keep-alive: $(cat /tmp/keepalive)"
	kill $ka
	wait_pid 10 $ka
	t0=$(now_ms)
	must ec lease timetolive "$lease"
	echo "etcd: vm1: keep-alive stopped: $OUT"
	left=$(printf '%s\n' "$OUT" | sed -n 's/.*remaining(\([0-9-]*\)s).*/\1/p')
	gone_key() { [ -z "$(ec get --print-value-only vrctx/test/leased)" ]; }
	wait_for $((ttl * 3 + 30)) gone_key
	took=$(($(now_ms) - t0))
	echo "etcd: vm1: the leased key went $took ms after keep-alive stopped (remaining TTL then ${left}s, TTL ${ttl}s)"
	[ -n "$left" ] && [ "$took" -ge $(((left - 2) * 1000)) ] ||
		fail "the leased key went after $took ms, before its remaining TTL ${left}s"
	[ "$took" -le $(((ttl + 15) * 1000)) ] ||
		fail "the leased key went only after $took ms, TTL ${ttl}s"
	expect 0 "lease $lease already expired" ec lease timetolive "$lease"
	serve 9002 put
fi

if [ "$VMID" = 3 ]; then
	# ----------------------------------------- read VM 1's key, kill leader
	wait_for 300 fetch 192.168.77.1 9002 put
	expect_out "hello from vm1" ec get --print-value-only vrctx/test/from-vm1
	echo "etcd: vm3: read VM 1's key"
	must ec endpoint status
	id=$(printf '%s\n' "$OUT" | awk -F', ' '{ print $2 }')
	must ec --endpoints=$ALL move-leader "$id"
	echo "etcd: vm3: $OUT"
	must ec endpoint status
	case "$OUT" in *", true, false, "*) ;; *) fail "vm3 is not the leader after move-leader: $OUT" ;; esac
	term=$(printf '%s\n' "$OUT" | awk -F', ' '{ print $7 }')
	report
	kill -9 "$ETCD_PID"
	t0=$(now_ms)
	wait_pid 10 "$ETCD_PID"
	ETCD_PID=
	put_via1() { ec --endpoints=http://192.168.77.1:2379 --command-timeout=10s put vrctx/test/after-kill vm3; }
	wait_for 120 put_via1
	took=$(($(now_ms) - t0))
	must ec --endpoints=http://192.168.77.1:2379 endpoint status
	nterm=$(printf '%s\n' "$OUT" | awk -F', ' '{ print $7 }')
	echo "etcd: vm3: killed the leader (term $term): VM 1's member took a put $took ms later (term $nterm)"
	[ "$nterm" -gt "$term" ] || fail "no new term after the leader died: $term -> $nterm"
	serve 9003 killed
	for vm in 1 2; do
		wait_for 300 fetch 192.168.77.$vm 9004 done
	done
	: >/tmp/fetched
	socat -t 30 TCP-LISTEN:9005,fork,reuseaddr 'SYSTEM:echo bye; echo $SOCAT_PEERADDR >>/tmp/fetched' \
		</dev/null >/dev/null 2>&1 &
	fetched() { [ "$(sort -u /tmp/fetched | wc -l)" -ge 2 ]; }
	wait_for 300 fetched
	sleep 5
	echo "etcd: vm3: done"
	exit 0
fi

# ------------------------------------- VMs 1 and 2: quorum of 2 after the kill
wait_for 400 fetch 192.168.77.3 9003 killed
other=$((3 - VMID))
t0=$(now_ms)
must ec put "vrctx/test/quorum-vm$VMID" "vm$VMID"
echo "etcd: vm$VMID: put with 2 of 3 members: $(($(now_ms) - t0)) ms"
other_key() { [ "$(ec get --print-value-only "vrctx/test/quorum-vm$other")" = "vm$other" ]; }
wait_for 120 other_key
expect_out vm3 ec get --print-value-only vrctx/test/after-kill
run ec --endpoints=$ALL --command-timeout=10s endpoint status
echo "etcd: vm$VMID: status with VM 3 dead: $(printf '%s\n' "$OUT" | grep '^http' | tr '\n' '|')"
report
serve 9004 done
wait_for 300 fetch 192.168.77.3 9005 bye
etcd_stop
echo "etcd: vm$VMID: done"
