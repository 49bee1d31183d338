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
# A second registry cannot be installed over the first.
insmod /lib/modules/vrctx/vrctx.ko 2>/dev/null && fail "vrctx loaded twice"
echo "modules load and unload cleanly"
