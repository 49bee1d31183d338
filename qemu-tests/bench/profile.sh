# Guest side of `BENCH_PROFILE=1 make bench` (scripts/bench.sh): where the
# kernel spends the time of creating and deleting contexts. The guest boots
# with profile=2 (CONFIG_PROFILING: the timer interrupt counts the kernel
# address it interrupted, in 4-byte buckets); /proc/profile is reset before
# each batch and printed after it, gzip'd and base64'd between
# @@PROF-BEGIN NAME and @@PROF-END NAME, for scripts/bench-profile.py.
# Also prints @@BENCH sample lines with the batch times.
#
# Only the kernel image is counted: the vrctx module's own code (outside the
# kernel text) and user space are not, and time spent with interrupts off
# is counted where they are enabled again (spin_unlock_irqrestore and the
# like), as the timer interrupt waits until then.
. /usr/lib/vrctx/lib.sh

BENCH_N=30000
[ -f "$VRCTX_FILES/params" ] && . "$VRCTX_FILES/params"
N=$BENCH_N
KO=/lib/modules/vrctx
[ -r /proc/profile ] || fail "no /proc/profile: boot with profile=2 on a kernel with CONFIG_PROFILING"
[ -d /sys/module/dhost ] && must rmmod dhost
[ -d /sys/module/vrctx ] || must insmod $KO/vrctx.ko
seq 1 "$N" | awk '{ print "create " $1 }' >/tmp/add
seq 1 "$N" | awk '{ print "delete " $1 }' >/tmp/del

dump() { # NAME
	echo "@@PROF-BEGIN $1"
	gzip -c /proc/profile | base64
	echo "@@PROF-END $1"
}

# Warm up the caches and the slab.
seq 1 1000 | awk '{ print "create " $1 }' | vrctl -b - || fail "warm-up create"
seq 1 1000 | awk '{ print "delete " $1 }' | vrctl -b - || fail "warm-up delete"
for step in create:add delete:del; do
	name=${step%%:*}
	echo 0 >/proc/profile
	ns=$(vrctx-probe bench time --stdin /tmp/${step#*:} -- vrctl -b -) || fail "$name batch"
	dump "$name"
	echo "@@BENCH sample profile_$name ours $ns $N"
done
echo "profile done"
