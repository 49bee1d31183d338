# The vrctx and dhost modules are loaded at boot, unload and reload cleanly
# (the runner fails the test on any kernel warning, lockdep report or oops).
. /usr/lib/vrctx/lib.sh
M=/lib/modules/vrctx

for m in vrctx dhost; do
	[ -d /sys/module/$m ] || fail "module $m is not loaded"
done
dmesg | grep -q 'vrctx: virtual router contexts ready' || fail "vrctx did not announce itself"
dmesg | grep -q 'dhost: distributed host ready' || fail "dhost did not announce itself"
for round in 1 2 3; do
	must rmmod dhost
	must rmmod vrctx
	[ ! -d /sys/module/vrctx ] || fail "vrctx still loaded after rmmod (round $round)"
	# Without the registry only context 0 exists, and it still works.
	expect_out 0 cat /proc/self/vrctx
	must insmod $M/vrctx.ko
	must insmod $M/dhost.ko
done
# Unloading the registry deletes its contexts: the interface goes back to
# context 0 without addresses and the table goes away.
must vrctl create 3 name gone
must ip link add d0 type dummy
must vrctl assign d0 gone
must ip addr add 10.3.0.1/24 dev d0
must ip link set d0 up
expect 0 10.3.0.0/24 ip route show table 2147483651
must rmmod dhost
must rmmod vrctx
no_routes 2147483651 || fail "the table survived the module: $OUT"
expect_not inet ip -4 addr show dev d0
must insmod $M/vrctx.ko
must insmod $M/dhost.ko
expect_not gone vrctl list
# Loading vrctx.ko again is refused by the module loader (a live module has
# that name: EEXIST) before any of its code runs, so this cannot show that
# the module refuses a second registry; it shows that the refused load
# leaves the loaded registry alone: not initialised again, its contexts
# still there, still answering. (busybox insmod exits with the errno:
# 17, EEXIST.)
must vrctl create 4 name kept
ready=$(dmesg | grep -c 'vrctx: virtual router contexts ready')
expect 17 "can't insert '$M/vrctx.ko': File exists" insmod $M/vrctx.ko
[ "$(dmesg | grep -c 'vrctx: virtual router contexts ready')" = "$ready" ] ||
	fail "vrctx initialised again on a refused load"
grep -q '^4 kept 2147483652 0 0 0$' /proc/net/vrctx || fail "context 4 lost: $(cat /proc/net/vrctx)"
must vrctl delete kept
echo "modules load and unload cleanly"
