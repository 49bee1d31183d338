# timeout: 240
# Seal, IPv6: IPv6 stays in context 0. Context 0 (v0), red (vred) and blue
# (vblue) each have 10.0.0.1/24 toward a peer namespace at 10.0.0.2.
# 12. red's interface carries no IPv6 (no address, nothing sent, nothing
#     answered); AF_INET6 sockets work in red for IPv4 only: a `[::]`
#     listener in red gets red's peer (v4-mapped), not blue's or context 0's
#     connections; native IPv6 destinations are unreachable from red; after
#     a forced delete a process left in red gets no AF_INET/AF_INET6 socket.
# ---- local helpers: names and arguments as in qemu-tests/guest/lib.sh where
# it has the same helper (must, retry, alive, gone, capture_start,
# capture_stop, peer_ns), so that file can replace this block; the checks
# here count failures and go on, so one run shows every broken item.
PASSED=0
FAILED=0
SKIPPED=0
pass() { echo "PASS: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
skip() { echo "SKIP: $*"; SKIPPED=$((SKIPPED + 1)); }
summary() {
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" = 0 ]
}
# die WHAT: a setup step failed; nothing after it can be trusted.
die() {
	fail "setup: $*"
	summary
	exit 1
}
# must CMD...: a setup step.
must() {
	_out=$("$@" 2>&1) || die "$* -> $_out"
}
# check_eq NAME WANT GOT
check_eq() {
	if [ "$3" = "$2" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}
# check_match NAME PATTERN GOT: GOT matches the shell pattern.
check_match() {
	case "$3" in
	$2) pass "$1" ;;
	*) fail "$1: expected '$2', got '$3'" ;;
	esac
}
# check_no_match NAME PATTERN GOT
check_no_match() {
	case "$3" in
	$2) fail "$1: expected anything but '$2', got '$3'" ;;
	*) pass "$1 (got '$3')" ;;
	esac
}
now_ms() {
	read -r _up _ </proc/uptime
	echo $((${_up%.*} * 1000 + 1${_up#*.}0 - 1000))
}
# retry SECONDS CMD...: run CMD every 0.1 s until it succeeds; 1 on timeout.
retry() {
	_end=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt $_end ] || return 1
		sleep 0.1
	done
}
alive() {
	_st=$(cat /proc/$1/stat 2>/dev/null) || return 1
	_st=${_st##*) }
	[ "${_st%% *}" != Z ]
}
gone() {
	for _p; do alive $_p && return 1; done
	return 0
}
# stop PID...: SIGTERM, at most 5 s, then SIGKILL; reaps them.
stop() {
	for _p; do kill $_p 2>/dev/null; done
	retry 5 gone "$@" || for _p; do kill -9 $_p 2>/dev/null; done
	for _p; do wait $_p 2>/dev/null; done
	return 0
}
# capture_start FILE IF ARGS...: tcpdump (ARGS: options, filter) into FILE;
# returns once it is listening.
capture_start() {
	_f=$1 _if=$2
	shift 2
	tcpdump -l -n -e --immediate-mode -i "$_if" "$@" >"$_f" 2>"$_f.err" &
	echo $! >"$_f.pid"
	retry 10 grep -q 'listening on' "$_f.err" || die "tcpdump on $_if: $(cat "$_f.err")"
}
# capture_stop FILE...: once the captures stop growing (5 s at most), stop them.
capture_stop() {
	_end=$(($(now_ms) + 5000))
	_last=
	while [ "$(now_ms)" -lt $_end ]; do
		_now=$(cat "$@" | wc -c)
		[ "$_now" = "$_last" ] && break
		_last=$_now
		sleep 0.3
	done
	for _f; do stop $(cat "$_f.pid"); done
}
# count_in FILE REGEX: lines of FILE matching the extended regex.
count_in() {
	grep -c -E "$2" "$1"
}
# check_none FILE NAME REGEX: no line of the capture matches.
check_none() {
	_hits=$(grep -E "$3" "$1" | head -n 3)
	if [ -z "$_hits" ]; then pass "$2"; else fail "$2: expected no '$3' in $1, got: $_hits"; fi
}
# check_some FILE NAME REGEX: some line of the capture matches.
check_some() {
	if grep -q -E "$3" "$1"; then
		pass "$2"
	else
		fail "$2: expected '$3' in $1, got: $(tail -n 5 "$1" | tr '\n' '|')"
	fi
}
# peer_ns NS IF CTX ADDR PEER_ADDR: veth IF in context CTX (0: stays in
# context 0) with ADDR, IF-p in namespace NS with PEER_ADDR.
peer_ns() {
	must ip netns add $1
	must ip link add $2 type veth peer name $2-p
	must ip link set $2-p netns $1
	[ "$3" = 0 ] || must vrctl assign $2 $3
	must ip addr add $4 dev $2
	must ip link set $2 up
	must ip -n $1 addr add $5 dev $2-p
	must ip -n $1 link set $2-p up
	must ip -n $1 link set lo up
}
# ---- end of helpers ----
must vrctl create 1 name red
must vrctl create 2 name blue
peer_ns p0 v0 0 10.0.0.1/24 10.0.0.2/24
# red: the peer end captures from before vred comes up, so that whatever
# vred sends when it comes up (MLD, router solicitations) is seen
must ip netns add pred
must ip link add vred type veth peer name vred-p
must ip link set vred-p netns pred
must ip -n pred addr add 10.0.0.2/24 dev vred-p
must ip -n pred link set vred-p up
must ip -n pred link set lo up
ip netns exec pred tcpdump -l -n -e --immediate-mode -i vred-p ip6 >/tmp/cap-pred 2>/tmp/cap-pred.err &
echo $! >/tmp/cap-pred.pid
retry 10 grep -q 'listening on' /tmp/cap-pred.err || die "tcpdump in pred: $(cat /tmp/cap-pred.err)"
must vrctl assign vred red
must ip addr add 10.0.0.1/24 dev vred
must ip link set vred up
peer_ns pblue vblue blue 10.0.0.1/24 10.0.0.2/24
for ns in p0 pred pblue; do
	retry 10 ip netns exec $ns ping -c 1 -W 1 10.0.0.1 >/dev/null ||
		die "peer $ns cannot reach 10.0.0.1"
done
must ip -6 addr add fd00::1/64 dev v0 nodad
must ip -n p0 -6 addr add fd00::2/64 dev v0-p nodad

# lladdr IF: the EUI-64 link-local address the kernel would give IF.
lladdr() {
	IFS=: read -r a b c d e f </sys/class/net/$1/address
	printf 'fe80::%x:%x:%x:%x\n' $(((0x$a ^ 2) << 8 | 0x$b)) $((0x${c}ff)) \
		$((0xfe00 | 0x$d)) $((0x$e << 8 | 0x$f))
}
red_mac=$(cat /sys/class/net/vred/address)
red_ll=$(lladdr vred)
v0_ll=$(lladdr v0)
# context 0's v0 got its link-local address (DAD done): the control case
retry 10 sh -c "ip -6 addr show dev v0 | grep -q '$v0_ll.*scope link' && ! ip -6 addr show dev v0 | grep -q tentative" ||
	fail "12 v0 has no link-local $v0_ll (control): $(ip -6 addr show dev v0)"

echo "== 12a: red's interface carries no IPv6"
for i in vred vblue v0; do capture_start /tmp/cap-$i $i ip6; done
check_eq "12a vred has no IPv6 address" "" "$(ip -6 addr show dev vred)"
out=$(ip -6 addr add fd01::1/64 dev vred 2>&1)
check_no_match "12a adding an IPv6 address to vred is refused" "" "$out"
ip -6 addr del fd01::1/64 dev vred 2>/dev/null
out=$(ping -6 -c 1 -W 2 $v0_ll%v0 2>&1)
check_match "12a context 0 pings v0's link-local (control)" "*1 packets received*" "$out"
out=$(ping -6 -c 1 -W 2 $red_ll%vred 2>&1)
check_no_match "12a context 0 cannot ping vred's link-local $red_ll" "*1 packets received*" "$out"
out=$(ip netns exec pred ping -6 -c 2 -W 2 $red_ll%vred-p 2>&1)
check_no_match "12a red's peer gets no answer from $red_ll" "*[12] packets received*" "$out"
out=$(ip netns exec pred ping -6 -c 2 -W 2 ff02::1%vred-p 2>&1)
check_no_match "12a red's peer: no answer to ff02::1 from $red_ll" "*from $red_ll*" "$out"
capture_stop /tmp/cap-vred /tmp/cap-vblue /tmp/cap-v0 /tmp/cap-pred
check_none /tmp/cap-pred "12a nothing IPv6 reached red's peer from vred since vred came up" "^[^ ]+ $red_mac > "
check_none /tmp/cap-vred "12a nothing IPv6 leaves vred" "^[^ ]+ $red_mac > "
check_some /tmp/cap-vred "12a the peer's IPv6 arrived on vred (control)" "> .*IPv6"
ip -6 route show table all | grep -q 'dev vred' &&
	fail "12a IPv6 routes through vred: $(ip -6 route show table all | grep 'dev vred')"

echo "== 12b: AF_INET6 sockets in red"
for k in tcp udp; do
	check_eq "12b red creates an AF_INET6 $k socket" ok "$(vrctl exec red -- vrctx-probe seal socket inet6 $k)"
done
ip netns exec pred vrctx-probe seal accept6 9100 --secs 60 >/tmp/peer6.out 2>&1 &
peer6=$!
vrctl exec red -- vrctx-probe seal accept6 9000 --secs 60 >/tmp/red6.out 2>&1 &
red6=$!
retry 10 grep -q listening /tmp/red6.out || die "red's [::] listener: $(cat /tmp/red6.out)"
retry 10 grep -q listening /tmp/peer6.out || die "peer's [::] listener: $(cat /tmp/peer6.out)"
# WHO (a namespace or a context) WANT
while read -r who want; do
	case $who in
	p*) out=$(ip netns exec $who vrctx-probe seal connect 10.0.0.1 9000 --timeout 3) ;;
	*) out=$(vrctl exec $who -- vrctx-probe seal connect 10.0.0.1 9000 --timeout 3) ;;
	esac
	check_eq "12b $who connects to 10.0.0.1:9000" "$want" "$out"
done <<TABLE
pblue ECONNREFUSED (connect)
p0 ECONNREFUSED (connect)
0 ECONNREFUSED (connect)
blue ECONNREFUSED (connect)
pred ok
red ok
TABLE
retry 5 sh -c '[ $(grep -c "^from" /tmp/red6.out) -ge 2 ]'
check_eq "12b red's [::] listener accepted red's peer and red, v4-mapped" \
	"from ::ffff:10.0.0.2 from ::ffff:10.0.0.1" "$(grep '^from' /tmp/red6.out | tr '\n' ' ' | sed 's/ $//')"
# CTX DEST WANT
while read -r ctx dest want; do
	out=$(vrctl exec $ctx -- vrctx-probe seal connect $dest 9100 --timeout 3)
	check_eq "12b $ctx connects to [$dest]:9100" "$want" "$out"
done <<TABLE
red ::ffff:10.0.0.2 ok
red ::1 ENETUNREACH (connect)
red fd00::2 ENETUNREACH (connect)
red fd00::1 ENETUNREACH (connect)
0 ::1 ECONNREFUSED (connect)
0 fd00::2 ECONNREFUSED (connect)
TABLE
check_eq "12b the peer's listener saw red's v4-mapped connection" \
	"from ::ffff:10.0.0.1" "$(grep '^from' /tmp/peer6.out | tr '\n' ' ' | sed 's/ $//')"
stop $peer6

echo "== 12c: a process left in a deleted context gets no socket"
rm -f /tmp/go
vrctl exec red -- sh -c 'while [ ! -e /tmp/go ]; do sleep 0.1; done
	for f in inet inet6; do for k in tcp udp; do
		echo "$f $k $(vrctx-probe seal socket $f $k)"
	done; done' >/tmp/orphan.out 2>&1 &
orphan=$!
must vrctl delete red --force
touch /tmp/go
retry 10 sh -c '[ $(wc -l </tmp/orphan.out) -ge 4 ]'
for s in "inet tcp" "inet udp" "inet6 tcp" "inet6 udp"; do
	check_eq "12c $s socket in deleted red" "$s ENOENT (socket)" "$(grep "^$s " /tmp/orphan.out)"
done
stop $orphan $red6
summary
