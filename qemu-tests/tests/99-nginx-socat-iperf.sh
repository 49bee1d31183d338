# timeout: 240
# Smoke test of the Debian programs: nginx serves a file on 127.0.0.1:8080,
# fetched with socat and busybox wget; iperf3 server and a 2 s client on
# 127.0.0.1; tcpdump captures on lo.
fail() {
	echo "FAIL: $*"
	[ -f /tmp/nginx-error.log ] && cat /tmp/nginx-error.log
	exit 1
}

mkdir -p /tmp/www
echo "hello from vm$VMID" >/tmp/www/hello.txt
cat >/tmp/nginx.conf <<'CONF'
user www-data;
worker_processes 1;
pid /run/nginx-test.pid;
error_log /tmp/nginx-error.log;
events { worker_connections 64; }
http {
	access_log off;
	server {
		listen 127.0.0.1:8080;
		root /tmp/www;
	}
}
CONF
nginx -t -c /tmp/nginx.conf || fail "nginx -t"
nginx -c /tmp/nginx.conf || fail "nginx did not start"

i=0
until got=$(printf 'GET /hello.txt HTTP/1.0\r\nHost: localhost\r\n\r\n' |
	socat -t 5 - TCP:127.0.0.1:8080 2>&1) && echo "$got" | grep -q "hello from vm$VMID"; do
	i=$((i + 1))
	[ $i -le 20 ] || fail "socat fetch from nginx: $got"
	sleep 0.5
done
echo "$got" | head -n 1
body=$(busybox wget -q -O - http://127.0.0.1:8080/hello.txt) || fail "wget"
[ "$body" = "hello from vm$VMID" ] || fail "wget got '$body'"
nginx -c /tmp/nginx.conf -s stop || fail "nginx -s stop"

tcpdump -i lo -n -c 2 icmp >/tmp/tcpdump.out 2>/tmp/tcpdump.err &
tp=$!
sleep 2
ping -c 3 127.0.0.1 >/dev/null || fail "ping 127.0.0.1"
i=0
while kill -0 $tp 2>/dev/null; do
	i=$((i + 1))
	[ $i -le 20 ] || { kill $tp; fail "tcpdump captured nothing: $(cat /tmp/tcpdump.err)"; }
	sleep 0.5
done
wait $tp || fail "tcpdump failed: $(cat /tmp/tcpdump.err)"
grep -q 'ICMP echo' /tmp/tcpdump.out || fail "tcpdump output: $(cat /tmp/tcpdump.out)"
echo "tcpdump captured $(wc -l </tmp/tcpdump.out) packets"

iperf3 -s -D -B 127.0.0.1 -p 5201 --logfile /tmp/iperf3-server.log || fail "iperf3 -s -D"
i=0
until out=$(iperf3 -c 127.0.0.1 -p 5201 -t 2 2>&1); do
	i=$((i + 1))
	[ $i -le 10 ] || fail "iperf3 client: $out"
	sleep 0.5
done
echo "$out" | grep -q receiver || fail "iperf3 client output: $out"
echo "$out" | grep -E 'sender|receiver'
killall iperf3 2>/dev/null
echo "nginx/socat/wget/tcpdump/iperf3 ok"
