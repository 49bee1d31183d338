# make compat, guest side (scripts/compat.sh boots one VM per run and ships
# this script with `vmrun run --files`): runs sections of Linux's VRF
# selftest tools/testing/selftests/net/fcnal-test.sh, either with vrctx.ko
# and dhost.ko loaded (run "with": as /init loaded them) or without them
# (run "without": `rmmod dhost; rmmod vrctx` first, so the kernel has our
# patches but none of our modules).
#
# $VRCTX_FILES/run        "with" or "without"
# $VRCTX_FILES/sections   fcnal-test.sh sections (-t names), one run each
# $VRCTX_FILES/selftest/  fcnal-test.sh, lib.sh, lib/sh/*.sh, nettest
#
# Each section runs as its own `bash fcnal-test.sh -v -t SECTION`, so a
# section whose setup fails (fcnal-test.sh exits at once then) does not take
# the others with it. Its output goes to the console between markers that
# scripts/compat.sh parses:
#   @@COMPAT-BEGIN <run> <section>@@
#   ... fcnal-test.sh output (TEST: ... [ OK ] / [FAIL] lines) ...
#   @@COMPAT-END <run> <section> <exit status> <seconds>@@
# The script exits 0 when every section ran, whatever the tests said: the
# comparison of the two runs is made on the host.
. /usr/lib/vrctx/lib.sh

F=${VRCTX_FILES:-/vrctx/files}
RUN=$(cat "$F/run")
SECTIONS=$(cat "$F/sections")
# bash, iputils ping, procps pgrep/sysctl, coreutils readlink/date
# (scripts/guest-userland.sh), kept off the guest's usual PATH.
export PATH=/usr/lib/vrctx/compat/bin:$PATH

loaded() { grep -q "^$1 " /proc/modules; }

case "$RUN" in
with)
	for m in vrctx dhost; do
		loaded $m || fail "$m.ko is not loaded"
	done
	;;
without)
	must rmmod dhost
	must rmmod vrctx
	for m in vrctx dhost; do
		! loaded $m || fail "$m.ko is still loaded"
	done
	;;
*) fail "unknown run '$RUN' in $F/run" ;;
esac
mods=$(cut -d' ' -f1 /proc/modules | tr '\n' ' ')
echo "compat: run '$RUN': kernel $(uname -r), modules loaded: ${mods:-none}"

for t in bash ping sysctl pgrep readlink date awk ip; do
	command -v $t >/dev/null || fail "$t not found in PATH=$PATH"
done
[ -x "$F/selftest/nettest" ] || fail "missing $F/selftest/nettest"
[ -f "$F/selftest/fcnal-test.sh" ] || fail "missing $F/selftest/fcnal-test.sh"
case "$(command -v ping)" in
/usr/lib/vrctx/compat/bin/*) ;;
*) fail "ping is $(command -v ping), not iputils' ping" ;;
esac

# What the kernel offers that fcnal-test.sh uses; without it tests fail (the
# same way in both runs), and without a VRF device or IPv6 a section ends at
# its setup. Printed for the report.
yesno() { if "$@" >/dev/null 2>&1; then echo yes; else echo no; fi; }
vrf_dev() {
	ip netns add compat-probe || return 1
	ip -n compat-probe link add vrf-probe type vrf table 1
	_rc=$?
	ip netns del compat-probe
	return $_rc
}
echo "compat: run '$RUN': kernel features:" \
	"vrf=$(yesno vrf_dev)" \
	"ipv6=$(yesno test -e /proc/net/if_inet6)" \
	"cgroup2=$(yesno grep -qw cgroup2 /proc/filesystems)" \
	"tcp-md5=$(yesno grep -qw tcp_md5_do_add /proc/kallsyms)"

cd "$F/selftest" || fail "cd $F/selftest"
for s in $SECTIONS; do
	echo "compat: run '$RUN': section $s starts"
	echo "@@COMPAT-BEGIN $RUN $s@@"
	t0=$(date +%s)
	bash ./fcnal-test.sh -v -t "$s" </dev/null 2>&1
	rc=$?
	t=$(($(date +%s) - t0))
	echo "@@COMPAT-END $RUN $s $rc $t@@"
	echo "compat: run '$RUN': section $s ended (status $rc) after $t s"
	# fcnal-test.sh removes its namespaces, unless it exited early (a
	# failed setup): remove what is left so the next section starts clean.
	for ns in $(ip netns list 2>/dev/null | cut -d' ' -f1); do
		echo "compat: run '$RUN': removing namespace $ns left by $s"
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns"
	done
done
exit 0
