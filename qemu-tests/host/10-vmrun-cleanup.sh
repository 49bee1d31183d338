#!/bin/sh
# timeout: 400
# Host-side self-test of vmrun (runs on the host with VMRUN, KERNEL, INITRD):
#  1. `vmrun run` exits with the guest script's status (7);
#  2. on SIGTERM mid-run it stops its QEMUs, deletes its network namespace
#     and exits 143.
set -u
fail() {
	echo "FAIL: $*"
	exit 1
}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

echo 'echo status seven; exit 7' >"$d/seven.sh"
"$VMRUN" run -q --kernel "$KERNEL" --initrd "$INITRD" --timeout 150 "$d/seven.sh"
rc=$?
[ $rc = 7 ] || fail "vmrun run returned $rc, want 7"
echo "ok: vmrun returned the script's status 7"

echo 'sleep 100000' >"$d/hang.sh"
"$VMRUN" run -q --kernel "$KERNEL" --initrd "$INITRD" --vms 2 --timeout 300 "$d/hang.sh" &
pid=$!
i=0
until [ "$(ps -o pid= --ppid $pid | wc -l)" -ge 2 ]; do
	i=$((i + 1))
	[ $i -le 60 ] || fail "vmrun did not start 2 QEMUs"
	sleep 1
done
qemus=$(ps -o pid= --ppid $pid)
ns=$(ls /run/netns | grep "^vrctx-vm-$pid-") || fail "no network namespace vrctx-vm-$pid-*"
echo "vmrun $pid: QEMUs $(echo $qemus), netns $ns"
sleep 3
kill -TERM $pid
wait $pid
rc=$?
[ $rc = 143 ] || fail "vmrun exited $rc after SIGTERM, want 143"
for q in $qemus; do
	kill -0 "$q" 2>/dev/null && fail "QEMU $q still running"
done
[ -e "/run/netns/$ns" ] && fail "network namespace $ns still exists"
ip netns list | grep -q "^$ns" && fail "ip netns list still shows $ns"
echo "ok: SIGTERM removed QEMUs and $ns"
