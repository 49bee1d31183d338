# The vrctx and dhost modules are loaded at boot, unload and reload cleanly
# (the runner fails the test on any kernel warning, lockdep report or oops).
fail() {
	echo "FAIL: $*"
	exit 1
}
for m in vrctx dhost; do
	[ -d /sys/module/$m ] || fail "module $m is not loaded"
done
dmesg | grep -q 'vrctx: virtual router contexts ready' || fail "vrctx did not announce itself"
dmesg | grep -q 'dhost: distributed host ready' || fail "dhost did not announce itself"
for round in 1 2 3; do
	rmmod dhost || fail "rmmod dhost (round $round)"
	rmmod vrctx || fail "rmmod vrctx (round $round)"
	[ ! -d /sys/module/vrctx ] || fail "vrctx still loaded after rmmod"
	# Without the registry only context 0 exists, and it still works.
	[ "$(cat /proc/self/vrctx)" = 0 ] || fail "context without the module"
	insmod /lib/modules/vrctx/vrctx.ko || fail "insmod vrctx (round $round)"
	insmod /lib/modules/vrctx/dhost.ko || fail "insmod dhost (round $round)"
done
# Unloading the registry deletes its contexts: the interface goes back to
# context 0 without addresses and the table goes away.
vrctl create 3 name gone || fail "create"
ip link add d0 type dummy
vrctl assign d0 gone || fail "assign"
ip addr add 10.3.0.1/24 dev d0
ip link set d0 up
ip route show table 2147483651 | grep -q 10.3.0.0/24 || fail "no route in the context's table"
rmmod dhost && rmmod vrctx || fail "rmmod with a context"
ip route show table 2147483651 2>/dev/null | grep -q . && fail "the table survived the module"
ip -4 addr show dev d0 | grep -q inet && fail "d0 kept its address"
insmod /lib/modules/vrctx/vrctx.ko && insmod /lib/modules/vrctx/dhost.ko || fail "reload"
vrctl list | grep -q gone && fail "the context survived the module"
# A second registry cannot be installed over the first.
insmod /lib/modules/vrctx/vrctx.ko 2>/dev/null && fail "vrctx loaded twice"
echo "modules load and unload cleanly"
