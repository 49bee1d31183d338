# The guest contract (DESIGN.md section 6): eth0 on the test segment, up,
# MAC 52:54:00:00:00:01, no address; lo up; both modules loaded; vrctl, ip,
# socat, tcpdump, setpriv, iperf3, nginx on PATH from /usr/local/bin, ahead
# of busybox; VMID and VMS set.
fail() {
	echo "FAIL: $*"
	exit 1
}

[ "$VMID" = 1 ] || fail "VMID='$VMID', want 1"
[ "$VMS" = 1 ] || fail "VMS='$VMS', want 1"
[ "$(hostname)" = vm1 ] || fail "hostname '$(hostname)', want vm1"

mac=$(cat /sys/class/net/eth0/address) || fail "no eth0"
[ "$mac" = 52:54:00:00:00:01 ] || fail "eth0 MAC $mac, want 52:54:00:00:00:01"
ip -o link show dev eth0 | grep -q '[<,]UP[,>]' || fail "eth0 not up: $(ip -o link show dev eth0)"
[ "$(cat /sys/class/net/eth0/operstate)" = up ] || fail "eth0 operstate $(cat /sys/class/net/eth0/operstate), want up"
addrs=$(ip -o addr show dev eth0)
[ -z "$addrs" ] || fail "eth0 has addresses: $addrs"
ip -o link show dev lo | grep -q '[<,]UP[,>]' || fail "lo not up"
ip -o -4 addr show dev lo | grep -q 'inet 127.0.0.1/8' || fail "lo has no 127.0.0.1"

for m in vrctx dhost; do
	[ -d /sys/module/$m ] || fail "module $m not loaded (have: $(ls /lib/modules/vrctx 2>/dev/null | tr '\n' ' '))"
done

for t in vrctl ip socat tcpdump setpriv iperf3 nginx; do
	p=$(command -v $t)
	[ "$p" = /usr/local/bin/$t ] || fail "$t resolves to '$p', want /usr/local/bin/$t"
done
ip -V || fail "ip -V"
socat -V | grep -q 'socat version' || fail "socat -V"
tcpdump --version || fail "tcpdump --version"
setpriv --version || fail "setpriv --version"
iperf3 --version || fail "iperf3 --version"
nginx -v || fail "nginx -v"
vrctl --version || fail "vrctl --version"
# setpriv really drops privileges
[ "$(setpriv --reuid=65534 --regid=65534 --clear-groups id -u)" = 65534 ] || fail "setpriv --reuid"
echo "boot contract ok"
