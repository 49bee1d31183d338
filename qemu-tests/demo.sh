# make demo: a short narrated session in two VMs on one L2 segment.
say() { printf '\n==> %s\n' "$*"; }
run() {
	echo "\$ $*"
	"$@"
}
ip addr add 192.168.77.$VMID/24 dev eth0
if [ "$VMID" = 2 ]; then
	say "vm2: 192.168.77.2 on eth0, waiting for vm1's pings"
	timeout 300 tcpdump -n -c 4 -i eth0 'icmp[icmptype] = icmp-echo and src host 192.168.77.1' 2>/dev/null
	sleep 3
	exit 0
fi
say "The kernel carries a context on every process, socket, packet and interface"
run cat /proc/self/vrctx
run lsmod
run vrctl --version
say "Two contexts; each gets its own routing table"
run vrctl create 1 name red
run vrctl create 2 name blue
run vrctl list
say "Two private networks with the same addresses: 10.0.0.1 in red and in blue"
for c in red blue; do
	ip netns add p$c
	ip link add v$c type veth peer name v$c-p
	ip link set v$c-p netns p$c
	run vrctl assign v$c $c
	run ip addr add 10.0.0.1/24 dev v$c
	ip link set v$c up
	ip -n p$c addr add 10.0.0.2/24 dev v$c-p
	ip -n p$c link set v$c-p up
done
run ip route show table 0x80000001
say "Each private network reaches only its own context"
run ip netns exec pred ping -c 2 10.0.0.1
run ip netns exec pblue ping -c 2 10.0.0.1
run ip -n pred neigh
run ip -n pblue neigh
echo "(each peer learned a different MAC for 10.0.0.1: its own context's veth)"
say "Two unmodified nginx servers, one per context, both listening on 10.0.0.1:80"
for c in red blue; do
	mkdir -p /tmp/www-$c
	echo "hello from the $c network's web server" >/tmp/www-$c/index.html
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
	run vrctl exec $c -- nginx -c /tmp/nginx-$c.conf
done
# Wait until both answer (TCG guests are slow to start a program).
for c in red blue; do
	i=0
	until timeout 5 ip netns exec p$c busybox wget -q -O /dev/null http://10.0.0.1/ 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || { echo "nginx in $c did not answer"; exit 1; }
		sleep 0.2
	done
done
run ss -tln
echo "(two listening sockets on the same 10.0.0.1:80: one in red, one in blue)"
say "Each private network gets its own page, and pings its own 10.0.0.1"
echo "\$ ip netns exec pred wget -q -O - http://10.0.0.1/"
ip netns exec pred busybox wget -q -O - http://10.0.0.1/
echo "\$ ip netns exec pblue wget -q -O - http://10.0.0.1/"
ip netns exec pblue busybox wget -q -O - http://10.0.0.1/
run ip netns exec pred ping -c 1 10.0.0.1
run ip netns exec pblue ping -c 1 10.0.0.1
echo "(same address, same port, two tenants: the kernel looks every packet up"
echo " in the context of the interface it arrived on, so nothing crosses)"
run vrctl list

say "Programs run unmodified inside a context"
run vrctl exec red -- vrctl identify
run vrctl exec red -- ping -c 1 10.0.0.2
echo "\$ ping -c 1 -W 1 10.0.0.2   # from context 0: no route"
ping -c 1 -W 1 10.0.0.2
run cat /proc/net/vrctx
say "And the two VMs see each other on the test segment"
i=0
until ping -c 1 -W 1 192.168.77.2 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 60 ] || { echo "vm2 did not answer"; exit 1; }
done
run ping -c 3 192.168.77.2
say "Done: see README.md, 'make shell' to try it yourself"
