# The guest contract (docs/design.md §6; qemu-tests/README.md, "The
# guest"): eth0 on the test segment, up, MAC 52:54:00:00:00:01, no
# address; lo up; both modules loaded; vrctl, ip, socat, tcpdump, setpriv,
# iperf3, nginx on PATH from /usr/local/bin, ahead of busybox; VMID and VMS
# set.
. /usr/lib/vrctx/lib.sh

[ "$VMID" = 1 ] || fail "VMID='$VMID', want 1"
[ "$VMS" = 1 ] || fail "VMS='$VMS', want 1"
[ "$(hostname)" = vm1 ] || fail "hostname '$(hostname)', want vm1"

mac=$(cat /sys/class/net/eth0/address) || fail "no eth0"
[ "$mac" = 52:54:00:00:00:01 ] || fail "eth0 MAC $mac, want 52:54:00:00:00:01"
ip -o link show dev eth0 | grep -q '[<,]UP[,>]' || fail "eth0 not up: $(ip -o link show dev eth0)"
[ "$(cat /sys/class/net/eth0/operstate)" = up ] || fail "eth0 operstate $(cat /sys/class/net/eth0/operstate), want up"
must ip -o addr show dev eth0
[ -z "$OUT" ] || fail "eth0 has addresses: $OUT"
ip -o link show dev lo | grep -q '[<,]UP[,>]' || fail "lo not up"
expect 0 'inet 127.0.0.1/8' ip -o -4 addr show dev lo

for m in vrctx dhost; do
	[ -d /sys/module/$m ] || fail "module $m not loaded (have: $(ls /lib/modules/vrctx 2>/dev/null | tr '\n' ' '))"
done

for t in vrctl ip socat tcpdump setpriv iperf3 nginx; do
	p=$(command -v $t)
	[ "$p" = /usr/local/bin/$t ] || fail "$t resolves to '$p', want /usr/local/bin/$t"
done
must ip -V
expect 0 'socat version' socat -V
must tcpdump --version
must setpriv --version
must iperf3 --version
must nginx -v
must vrctl --version
# $NOPRIV really drops the user and every capability.
expect_out 65534 $NOPRIV id -u
expect 0 'CapEff:	0000000000000000' $NOPRIV cat /proc/self/status
echo "boot contract ok"
