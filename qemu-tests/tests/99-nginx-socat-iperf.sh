# timeout: 240
# Smoke test of the Debian programs: nginx serves a file on 127.0.0.1:8080,
# fetched with socat and busybox wget; iperf3 server and a 2 s client on
# 127.0.0.1; tcpdump captures on lo.
. /usr/lib/vrctx/lib.sh
dump_on_fail /tmp/nginx-error.log

mkdir -p /tmp/www || fail "mkdir /tmp/www"
echo "hello from vm$VMID" >/tmp/www/hello.txt || fail "writing hello.txt"
cat >/tmp/nginx.conf <<'CONF' || fail "writing nginx.conf"
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
must nginx -t -c /tmp/nginx.conf
must nginx -c /tmp/nginx.conf

# nginx serves the file (once it listens).
fetch() {
	printf 'GET /hello.txt HTTP/1.0\r\nHost: localhost\r\n\r\n' |
		socat -t 5 - TCP:127.0.0.1:8080 | tee /tmp/fetch.out
	grep -q "hello from vm$VMID" /tmp/fetch.out
}
wait_for 10 fetch
echo "$OUT" | head -n 1
expect_out "hello from vm$VMID" busybox wget -q -O - http://127.0.0.1:8080/hello.txt
must nginx -c /tmp/nginx.conf -s stop

capture_start /tmp/cap-lo lo -c 2 icmp
must ping -c 3 127.0.0.1
wait_pid 10 "$(cat /tmp/cap-lo.pid)" || fail "tcpdump -c 2 failed"
grep -q 'ICMP echo' /tmp/cap-lo || fail "tcpdump captured no echo"
echo "tcpdump captured $(wc -l </tmp/cap-lo) packets"

must iperf3 -s -D -B 127.0.0.1 -p 5201 --logfile /tmp/iperf3-server.log
dump_on_fail /tmp/iperf3-server.log
wait_for 10 iperf3 -c 127.0.0.1 -p 5201 -t 2
case "$OUT" in
*receiver*) ;;
*) fail "iperf3 client output: $OUT" ;;
esac
echo "$OUT" | grep -E 'sender|receiver'
must killall iperf3
echo "nginx/socat/wget/tcpdump/iperf3 ok"
