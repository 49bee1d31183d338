# timeout: 300
# Unmodified programs on the same address and port in two contexts at once:
# busybox httpd, socat (TCP and UDP), nginx and iperf3 run with
# `vrctl exec` in red and in blue, each bound to 10.0.0.1 on the same
# port; each peer reaches its own context's server (a per-context marker
# in the answer), and iperf3 TCP and UDP streams run in both contexts at
# the same time without cross-talk. A listener in context 0 on the
# wildcard address gets nothing from either peer.
. /usr/lib/vrctx/lib.sh

two_contexts
for c in red blue; do
	mkdir -p /tmp/www-$c
	echo "page of $c" >/tmp/www-$c/index.html
	cat >/tmp/nginx-$c.conf <<CONF
user www-data;
worker_processes 1;
pid /run/nginx-$c.pid;
error_log /tmp/nginx-$c.log;
events { worker_connections 64; }
http {
	access_log off;
	server { listen 10.0.0.1:80; root /tmp/www-$c; }
}
CONF
	dump_on_fail /tmp/nginx-$c.log /tmp/iperf-$c.log /tmp/iperfu-$c.log
	must vrctl exec $c -- nginx -c /tmp/nginx-$c.conf
	vrctl exec $c -- busybox httpd -f -p 10.0.0.1:8080 -h /tmp/www-$c &
	vrctl exec $c -- socat -t 30 TCP-LISTEN:7000,bind=10.0.0.1,fork,reuseaddr SYSTEM:"echo tcp-$c" &
	vrctl exec $c -- socat -t 30 UDP-RECVFROM:7001,bind=10.0.0.1,fork SYSTEM:"echo udp-$c" &
	vrctl exec $c -- iperf3 -s -B 10.0.0.1 -p 5201 --forceflush >/tmp/iperfd-$c.log 2>&1 &
done
# Context 0 listens on the wildcard address on the same ports: it must see
# none of the peers' connections.
socat -t 30 TCP-LISTEN:7000,fork,reuseaddr SYSTEM:"echo tcp-zero" &
socat -t 30 UDP-RECVFROM:7001,fork SYSTEM:"echo udp-zero" &

# fetch CTX PORT: the page of CTX's server on 10.0.0.1:PORT, from CTX's peer
fetch() {
	# (busybox wget -T crashes; bound it from outside)
	timeout 5 ip netns exec p$1 busybox wget -q -O - "http://10.0.0.1:$2/"
}
for c in red blue; do
	wait_for 20 fetch $c 80
	expect_out "page of $c" fetch $c 80
	wait_for 20 fetch $c 8080
	expect_out "page of $c" fetch $c 8080
	wait_for 20 ip netns exec p$c socat -T2 - TCP:10.0.0.1:7000
	expect_out "tcp-$c" ip netns exec p$c socat -T2 - TCP:10.0.0.1:7000
	expect_out "udp-$c" sh -c "echo x | ip netns exec p$c socat -T2 - UDP:10.0.0.1:7001"
done
# Two listening sockets on 10.0.0.1:80, one per context.
[ "$(ss -Htln 'sport = :80' | grep -c '10.0.0.1:80')" = 2 ] ||
	fail "want two listeners on 10.0.0.1:80: $(ss -tln)"

# iperf3 TCP and UDP streams in both contexts at the same time.
for c in red blue; do
	wait_for 20 sh -c "ss -Htln 'sport = :5201' | grep -q 10.0.0.1"
done
ip netns exec pred iperf3 -c 10.0.0.1 -t 3 --forceflush >/tmp/iperf-red.log 2>&1 &
r=$!
ip netns exec pblue iperf3 -c 10.0.0.1 -t 3 --forceflush >/tmp/iperf-blue.log 2>&1 &
b=$!
wait_pid 60 $r $b
for c in red blue; do
	grep -q receiver /tmp/iperf-$c.log || fail "iperf3 TCP in $c did not finish"
done
ip netns exec pred iperf3 -u -b 2M -c 10.0.0.1 -t 3 --forceflush >/tmp/iperfu-red.log 2>&1 &
r=$!
ip netns exec pblue iperf3 -u -b 2M -c 10.0.0.1 -t 3 --forceflush >/tmp/iperfu-blue.log 2>&1 &
b=$!
wait_pid 60 $r $b
for c in red blue; do
	grep -q receiver /tmp/iperfu-$c.log || fail "iperf3 UDP in $c did not finish"
done
# Each server saw only its own peer's streams: two sessions each, all
# from 10.0.0.2 through its own context (its log lists them).
for c in red blue; do
	n=$(grep -c 'Accepted connection from 10.0.0.2' /tmp/iperfd-$c.log)
	[ "$n" = 2 ] || fail "iperf3 server in $c accepted $n sessions, want 2: $(cat /tmp/iperfd-$c.log)"
done

# TIME_WAIT: red's client closes a connection 10.0.0.1:40000 -> 10.0.0.2:7002
# first, so red keeps it in TIME_WAIT; blue then uses the very same
# 4-tuple with its own peer, which neither blocks nor answers it.
for c in red blue; do
	ip netns exec p$c socat -t5 TCP-LISTEN:7002,fork,reuseaddr SYSTEM:"sleep 1; echo peer-$c" &
done
wait_for 20 sh -c "ip netns exec pred ss -Htln 'sport = :7002' | grep -q 7002"
wait_for 20 sh -c "ip netns exec pblue ss -Htln 'sport = :7002' | grep -q 7002"
expect_out "peer-red" vrctl exec red -- socat -t5 -T5 - TCP:10.0.0.2:7002,bind=10.0.0.1:40000 </dev/null
wait_for 10 sh -c "ss -Htan state time-wait 'sport = :40000' | grep -q 10.0.0.2:7002"
expect_out "peer-blue" vrctl exec blue -- socat -t5 -T5 - TCP:10.0.0.2:7002,bind=10.0.0.1:40000 </dev/null
echo "apps ok"
