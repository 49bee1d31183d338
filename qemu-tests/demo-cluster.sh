# make demo, second scene: one address, three machines (docs/cluster.md).
# VM 1 is a client; VMs 2-4 are members 1-3 of 10.9.0.1, each with an etcd
# member and dhostd; member 1 leads. nginx on member 2 (port 80), an iperf3
# server on member 3 (5201), a UDP echo on member 1 (7003).
. /usr/lib/vrctx/lib.sh
set +u

SHARED=10.9.0.1
CLIENT=10.9.0.100
CLUSTER=vm2=http://192.168.77.2:2380,vm3=http://192.168.77.3:2380,vm4=http://192.168.77.4:2380
ENDPOINTS=http://192.168.77.2:2379,http://192.168.77.3:2379,http://192.168.77.4:2379
say() { printf '\n==> %s\n' "$*"; }
show() {
	echo "\$ $*"
	"$@"
}
# serve PORT COMMAND: lib.sh's serve, but any command, and on the
# management address only (not a port of the shared address)
serve() {
	socat -t 30 "TCP-LISTEN:$1,bind=192.168.77.$VMID,fork,reuseaddr" "SYSTEM:$2" </dev/null >/dev/null 2>&1 &
}

ip addr add 192.168.77.$VMID/24 dev eth0
ip link set eth0 up

if [ "$VMID" = 1 ]; then
	ip addr add $CLIENT/24 dev eth0
	say "One address, three machines: 10.9.0.1 is served by members 1-3 (VMs 2-4)"
	echo "(each member runs an etcd member and dhostd; waiting for them)"
	for vm in 2 3 4; do
		wait_for 900 fetch 192.168.77.$vm 9001 ready
	done
	say "This client knows nothing of the cluster: an ordinary ARP entry"
	show ping -c 2 $SHARED
	show ip neigh show $SHARED
	echo "(52:54:00:00:00:02 is member 1, the leader: the only one that answers ARP)"
	say "nginx runs on member 2"
	show busybox wget -q -O - http://$SHARED/
	say "an iperf3 server runs on member 3"
	echo "\$ iperf3 -c $SHARED -t 2 -f m"
	iperf3 -c $SHARED -t 2 -f m --forceflush 2>&1
	say "a UDP echo runs on member 1, the leader itself"
	echo "\$ echo hello | socat -t 3 - UDP:$SHARED:7003"
	echo hello | socat -t 3 - UDP:$SHARED:7003
	say "A port nobody serves: the leader answers once, as one host would"
	show socat -T 3 - TCP:$SHARED:7999,connect-timeout=3
	say "What the cluster's database says (vrctl dhost ports on the leader)"
	# (-u: no EOF sent, so the leader's socat lets the commands finish)
	socat -u -T 30 TCP:192.168.77.2:9005,connect-timeout=5 -
	echo
	echo "(the leader's kernel sent every frame for port 80 on to member 2 and for"
	echo " 5201 to member 3, rewriting only the destination MAC: 'bridged'; it kept"
	echo " 7003's for itself: 'bridge_local'; it answered 7999 itself: 'answered';"
	echo " the members replied to this client directly)"
	say "Done: docs/cluster.md explains the database and the bridge"
	serve 9000 "echo done"
	sleep 20
	exit 0
fi

member=$((VMID - 1))
ip addr add $SHARED/24 dev eth0
vrctl dhost add $SHARED dev eth0 member $member of 3
[ "$VMID" = 2 ] && vrctl lead $SHARED on
etcd_start vm$VMID 192.168.77.$VMID $CLUSTER
etcd_wait_healthy 600
dhostd --addr $SHARED --member $member --etcd $ENDPOINTS </dev/null >/tmp/dhostd.log 2>&1 &
case $VMID in
2)
	vrctx-probe bench echo 0.0.0.0:7003 >/dev/null 2>&1 &
	# (a script: socat would parse the '|' and ':' of a SYSTEM command)
	cat >/tmp/show.sh <<'SH'
echo "$ vrctl dhost ports"
vrctl dhost ports
echo "$ vrctl dhost stats | grep -E '^(bridged|bridge_local|answered|flooded) '"
vrctl dhost stats | grep -E '^(bridged|bridge_local|answered|flooded) '
SH
	serve 9005 "sh /tmp/show.sh"
	;;
3)
	mkdir -p /tmp/www
	echo "hello from nginx on member 2 ($(hostname 2>/dev/null || echo vm3)), behind 10.9.0.1" >/tmp/www/index.html
	cat >/tmp/nginx.conf <<CONF
user www-data;
worker_processes 1;
pid /run/nginx.pid;
error_log /tmp/nginx.log;
events { worker_connections 64; }
http {
	access_log off;
	server { listen 80; root /tmp/www; }
}
CONF
	nginx -c /tmp/nginx.conf
	;;
4) iperf3 -s -D >/dev/null 2>&1 ;;
esac
has() { vrctl dhost ports | grep -qx "$1"; }
case $VMID in
2) wait_for 300 has "udp 7003 member 1" ;;
3) wait_for 300 has "tcp 80 member 2" ;;
4) wait_for 300 has "tcp 5201 member 3" ;;
esac
wait_for 300 has "$SHARED member $member of 3 lead $([ $VMID = 2 ] && echo on || echo off) authoritative $([ $VMID = 2 ] && echo yes || echo no)"
echo "member $member: etcd up, dhostd running, service published"
serve 9001 "echo ready"
wait_for 900 fetch 192.168.77.1 9000 done
exit 0
