# timeout: 300
# Seal, listing cost: with 500 contexts and 6000 sockets, listing
# contexts (/proc/net/vrctx, `vrctl -j list`) stays quick (< 2 s in the TCG
# guest), also for an unprivileged reader.
# 14. listing 500 contexts: quick, complete, readable by nobody.
# Also the `sockets` column: every IPv4/IPv6 socket created in (or moved
# to) a context counts, bound or not; in context 0 only hashed ones.
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
# timed OUTFILE CMD...: run CMD into OUTFILE; prints the milliseconds taken.
timed() {
	_f=$1
	shift
	_t0=$(now_ms)
	"$@" >"$_f" 2>&1
	echo $(($(now_ms) - _t0))
}
# ctx_field ID FIELD: a column of /proc/net/vrctx for context ID.
ctx_field() {
	awk -v id="$1" -v f="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == id { print $c[f] }' /proc/net/vrctx
}
# hold_sockets CTX ARGS...: a process in CTX holding `seal many ARGS`;
# returns once they are open (pid in $held).
hold_sockets() {
	_c=$1
	shift
	vrctl exec $_c -- vrctx-probe seal many "$@" --secs 120 >/tmp/many-$_c.out 2>&1 &
	held="$held $!"
	retry 20 grep -q -E '^(open|E)' /tmp/many-$_c.out
	grep -q '^open' /tmp/many-$_c.out || fail "14 sockets ($*) in context $_c: $(cat /tmp/many-$_c.out)"
}

echo "== socket counts"
must vrctl create 1 name red
held=
zero=$(ctx_field 0 sockets)
hold_sockets 0 40 --bound no
check_eq "14 context 0 counts hashed sockets only (40 unbound ones added)" "$zero" "$(ctx_field 0 sockets)"
hold_sockets red 3 --bound no
hold_sockets red 2 --bound no --family inet6
hold_sockets red 6
hold_sockets 0 5 --bound no --ctx 1
check_eq "14 red counts its IPv4 and IPv6 sockets, bound or not, and those moved to it" 16 "$(ctx_field 1 sockets)"
stop $held
check_eq "14 red counts none once they are closed" 0 "$(ctx_field 1 sockets)"
must vrctl delete red

echo "== listing cost"
out=$(vrctl -j list)
check_match "14 vrctl -j list shows context 0, as docs/vrctl.md says (no other context yet)" '\[{"id":0,*' "$out"
# Sockets make a per-context walk of the socket tables expensive: 6000
# bound UDP sockets, in two processes (the descriptor limit is 4096).
vrctx-probe seal many 3000 --secs 300 >/tmp/many1.out 2>&1 &
many1=$!
vrctx-probe seal many 3000 --secs 300 >/tmp/many2.out 2>&1 &
many2=$!
for f in /tmp/many1.out /tmp/many2.out; do
	retry 120 grep -q -E '^(open|E)' $f
	grep -q '^open' $f || die "3000 sockets: $(cat $f)"
done
ms=$(timed /tmp/mk.out vrctx-probe seal mkctx 1000 500)
check_eq "14 create 500 contexts" ok "$(cat /tmp/mk.out)"
echo "creating 500 contexts took $ms ms"
while read -r who cmd; do
	case $who in
	root) ms=$(timed /tmp/list.out $cmd) ;;
	nobody) ms=$(timed /tmp/list.out setpriv --reuid=65534 --regid=65534 --clear-groups $cmd) ;;
	esac
	# ids other than 0 (context 0's presence in vrctl list is checked above)
	case $cmd in
	*-j*) ids=$(grep -o '"id":[0-9]*' /tmp/list.out | cut -d: -f2) ;;
	*) ids=$(awk '/^[0-9]/ { print $1 }' /tmp/list.out) ;;
	esac
	n=$(echo "$ids" | grep -c -v '^0$')
	check_eq "14 $who: $cmd lists the 500 contexts" 500 "$n"
	if [ "$ms" -lt 2000 ]; then
		pass "14 $who: $cmd takes $ms ms (< 2000)"
	else
		fail "14 $who: $cmd: expected < 2000 ms, took $ms ms"
	fi
done <<'TABLE'
root cat /proc/net/vrctx
nobody cat /proc/net/vrctx
root vrctl -j list
nobody vrctl -j list
root vrctl list
TABLE
stop $many1 $many2
summary
