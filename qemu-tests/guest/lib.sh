# The guest test library: installed by scripts/mkinitramfs.sh as
# /usr/lib/vrctx/lib.sh and sourced by every test, right after its header
# comments:
#
#	. /usr/lib/vrctx/lib.sh
#
# For busybox ash (Debian's busybox). It turns on `set -u`: using an unset
# variable ends the test with a nonzero status.
#
# A check either passes silently or ends the test with `FAIL: ...` through
# fail(). Never call fail() or a checking helper inside $(...), a pipeline
# or ( ... ): it would end only that subshell. Commands given to the helpers
# run in the test's own shell (they may be shell functions that set
# variables or call fail), with stdout and stderr captured in a file.
# Internal helpers are named lib_*, local variables _*.
#
#   fail MSG...                 print "FAIL: MSG", dump the registered files, exit 1
#   dump_on_fail FILE...        have fail() print FILE... (captures, logs)
#   on_fail CMD                 have fail() run CMD first, once (it may fetch a
#                               peer's logs and dump_on_fail them)
#   run CMD...                  run CMD: combined output in $OUT, status in $ST; never fails
#   must CMD...                 a setup step: CMD must exit 0, else FAIL with CMD and
#                               its output; prints the output
#   expect STATUS MSG CMD...    CMD exits STATUS and its output contains MSG
#   expect_not MSG CMD...       CMD exits 0 and its output does not contain MSG
#   expect_out WANT CMD...      CMD's whole output is WANT (vrctx-probe's "ok 5",
#                               "EBUSY", or an errno the kernel gave no message for)
#   expect_errno ERRNO MSG CMD... CMD (vrctx-probe genl ...) exits 1 printing
#                               "ERRNO <kernel message containing MSG>"
#   retry SECONDS CMD...        run CMD until it succeeds; status 1 if it has not
#                               within SECONDS
#   wait_for SECONDS CMD...     retry, or FAIL with CMD and its last output
#   alive PID                   PID exists and is not a zombie
#   gone PID...                 none of the PIDs is alive
#   wait_pid SECONDS PID...     wait for PIDs (children) to exit, FAIL after SECONDS;
#                               returns the last one's status
#   comm_is PID NAME            /proc/PID/comm is NAME (`vrctl exec ... -- NAME` has exec'd)
#   icmp_stat FIELD [NS]        an Icmp counter of /proc/net/snmp (in namespace NS)
#   no_routes TABLE             routing table TABLE is empty or does not exist
#   capture_start FILE IF ARGS... tcpdump on IF (ARGS: options, filter) into FILE,
#                               in the background; returns once it is listening
#   capture_stop FILE...        stop those captures once their output is quiet
#   peer_ns NS IF CTX ADDR PEER_ADDR [GW]  a veth pair: IF in context CTX (0: stays
#                               in context 0) with ADDR, IF-p in namespace NS with
#                               PEER_ADDR and a default route via GW; "-": no address
#   two_contexts                contexts red (1) and blue (2), each with 10.0.0.1/24 on
#                               vred/vblue and a peer 10.0.0.2/24 (default route via
#                               10.0.0.1) on vred-p/vblue-p in namespace pred/pblue
#   leak_baseline               start a leak check: clear kmemleak, note the slab size
#   leak_check MAX_KB WHAT      no kmemleak report, slab grew less than MAX_KB
#   ctx_cycles N M ID NAME      create/delete context ID NAME N times over one netlink
#                               socket (vrctx-probe cycle), then M times through vrctl
#   etcd_cluster N              print the --initial-cluster of VMs 1..N: members vm1..vmN
#                               with peers on http://192.168.77.K:2380 (eth0 of VM K)
#   etcd_start NAME IP CLUSTER  start etcd member NAME (peer http://IP:2380, client
#                               http://IP:2379 and http://127.0.0.1:2379) of a new
#                               cluster CLUSTER (NAME=URL,...) in the background: data in
#                               /run/etcd-NAME (tmpfs, fresh), log /tmp/etcd-NAME.log
#                               (shown by fail()); sets $ETCD_PID, $ETCD_START_MS; timeouts
#                               $ETCD_HEARTBEAT_MS/$ETCD_ELECTION_MS (docs/cluster.md)
#   etcd_wait_healthy SECONDS   poll the local member (127.0.0.1:2379) until `etcdctl
#                               endpoint health` is healthy and a put+get of
#                               vrctx/health/NAME round-trips, else FAIL (also if etcd
#                               exits); sets $ETCD_UP_MS (ms from etcd_start to healthy)
#   etcd_stop                   SIGTERM the member (SIGKILL after 5 s) and reap it
#   vm_mac N                    the hardware address of VM N's eth0 (52:54:00:00:00:0N)
#   fetch HOST PORT WORD        the marker service on HOST:PORT answers WORD (a step of
#                               another VM: poll it with wait_for)
#   serve PORT WORD             answer WORD to everyone on PORT, in the background
#   echo_server PORT [OPTS]     a TCP echo service on PORT (socat listen OPTS, e.g.
#                               bind=ADDR), a process per connection, in the background
#   Every socat serving a command here runs with -t 30: after the peer's EOF
#   socat gives the command 30 s (its default: 0.5 s) to write the rest, or
#   a loaded guest answers fetch with nothing and echoes data cut short.
#   sent_by FILE PATTERN        in a `tcpdump -e` capture FILE, who sent the lines matching
#                               PATTERN: "MAC=COUNT " for each source hardware address
#   only_from FILE PATTERN N WHAT  the lines of capture FILE matching PATTERN were all sent
#                               by VM N (at least one), else FAIL naming WHAT
#   serve_done N SECONDS        serve "done" on port 9000 until N distinct peers fetched
#                               it, then stay SECONDS more (for a peer that retries)
#   $NOPRIV                     command prefix: run as nobody without capabilities

set -u

NOPRIV="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
KMEMLEAK=/sys/kernel/debug/kmemleak
OUT=
ST=0
LIB_DUMP=
LIB_DEPTH=0
# fail() writes here: the script's stdout, even while run() redirects.
exec 3>&1

fail() {
	local _f _hook=$LIB_ON_FAIL
	echo "FAIL: $*" >&3
	LIB_ON_FAIL=
	[ -z "$_hook" ] || $_hook
	for _f in $LIB_DUMP; do
		echo "== $_f" >&3
		cat "$_f" >&3 2>&1
	done
	# again after the dumps, for whoever reads the last lines
	[ -z "$LIB_DUMP" ] || echo "FAIL (again): $*" >&3
	exit 1
}

dump_on_fail() {
	LIB_DUMP="$LIB_DUMP $*"
}

LIB_ON_FAIL=
on_fail() {
	LIB_ON_FAIL=$*
}

# The test ended inside run() (fail() in a function, or a shell error such
# as an unset variable): show what the unfinished commands printed.
lib_exit() {
	[ "$LIB_DEPTH" = 0 ] && return
	echo "== output of the unfinished command" >&3
	cat /tmp/.vrctx-lib-out.$$.* >&3 2>&1
}
trap lib_exit EXIT

# Output goes to a file rather than through $(...): a daemon that keeps the
# descriptor open cannot hang the test, and CMD runs in this shell. The
# name is per shell ($$) and per nesting level (CMD may call run too).
run() {
	LIB_DEPTH=$((LIB_DEPTH + 1))
	local _out=/tmp/.vrctx-lib-out.$$.$LIB_DEPTH
	"$@" >"$_out" 2>&1
	ST=$?
	OUT=$(cat "$_out")
	rm -f "$_out"
	LIB_DEPTH=$((LIB_DEPTH - 1))
	return 0
}

must() {
	run "$@"
	[ "$ST" = 0 ] || fail "$*: exit status $ST${OUT:+: $OUT}"
	[ -z "$OUT" ] || printf '%s\n' "$OUT"
}

# An empty expected text matches anything: that is a bug in the test.
lib_want() { # HELPER TEXT
	[ -n "$2" ] || fail "test bug: $1 with an empty expected text"
}

expect() {
	lib_want expect "$2"
	local _st=$1 _msg=$2
	shift 2
	run "$@"
	[ "$ST" = "$_st" ] || fail "$*: exit status $ST, want $_st${OUT:+: $OUT}"
	case "$OUT" in
	*"$_msg"*) ;;
	*) fail "$*: '$OUT' does not say '$_msg'" ;;
	esac
}

expect_not() {
	lib_want expect_not "$1"
	local _msg=$1
	shift
	must "$@" >/dev/null
	case "$OUT" in
	*"$_msg"*) fail "$*: '$OUT' says '$_msg'" ;;
	esac
}

expect_out() {
	lib_want expect_out "$1"
	local _want=$1
	shift
	run "$@"
	[ "$OUT" = "$_want" ] || fail "$*: '$OUT', want '$_want'"
}

expect_errno() {
	lib_want expect_errno "$1"
	lib_want expect_errno "$2"
	local _errno=$1 _msg=$2
	shift 2
	run "$@"
	case "$ST $OUT" in
	"1 $_errno "*"$_msg"*) ;;
	*) fail "$*: exit status $ST, '$OUT'; want status 1 and '$_errno ...$_msg...'" ;;
	esac
}

# LIB_NOW: the guest's uptime in centiseconds.
lib_now() {
	read -r LIB_NOW _ </proc/uptime
	LIB_NOW=${LIB_NOW%.*}${LIB_NOW#*.}
}

retry() {
	local _end
	lib_now
	_end=$((LIB_NOW + $1 * 100))
	shift
	while :; do
		run "$@"
		[ "$ST" = 0 ] && return 0
		lib_now
		[ "$LIB_NOW" -lt "$_end" ] || return 1
		sleep 0.2
	done
}

wait_for() {
	local _s=$1
	shift
	retry "$_s" "$@" || fail "$*: not true within $_s s${OUT:+: $OUT}"
}

alive() {
	local _stat
	_stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	# "pid (comm) state ...": the state follows the last ") ".
	_stat=${_stat##*) }
	[ "${_stat%% *}" != Z ]
}

gone() {
	local _p
	for _p; do
		alive "$_p" && return 1
	done
	return 0
}

wait_pid() {
	local _s=$1 _p _st=0
	shift
	retry "$_s" gone "$@" || fail "still running after $_s s:$(lib_procs "$@")"
	for _p; do
		wait "$_p" 2>/dev/null
		_st=$?
	done
	return $_st
}

lib_procs() { # PID...: " PID (command line)" for each one alive
	local _p
	for _p; do
		alive "$_p" && printf ' %s (%s)' "$_p" "$(tr '\0' ' ' <"/proc/$_p/cmdline")"
	done
}

comm_is() {
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

# Prints nothing if it cannot read the counter (so a numeric test on it fails).
icmp_stat() {
	${2:+ip netns exec "$2"} cat /proc/net/snmp | awk -v f="$1" '
		/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == f) c = i; h = 1 } else print $c }'
}

# ip(8) says "FIB table does not exist" for a table that is gone.
no_routes() {
	run ip route show table "$1"
	case "$ST:$OUT" in
	0: | 2:*"FIB table does not exist"*) return 0 ;;
	esac
	return 1
}

# Immediate mode: tcpdump prints each packet as it arrives, so what the
# kernel captured is in FILE a moment later.
capture_start() {
	local _file=$1 _if=$2
	shift 2
	# A 16 MiB buffer and 256-byte snapshots: a slow TCG guest under load
	# must not drop the packets a test looks for (test 71 once lost half of
	# its frames, its one ARP reply among them, with the 2 MiB default).
	tcpdump -l -n --immediate-mode -B 16384 -s 256 -i "$_if" "$@" >"$_file" 2>"$_file.err" &
	echo $! >"$_file.pid"
	dump_on_fail "$_file" "$_file.err"
	wait_for 10 lib_listening "$_file" $!
}

lib_listening() { # FILE PID
	grep -q 'listening on' "$1.err" && return 0
	alive "$2" || fail "tcpdump for $1 exited: $(cat "$1.err")"
	return 1
}

# Lets tcpdump print what it has read (until its output has not grown for
# one poll, 5 s at most: a flood may never be quiet), then stops it.
capture_stop() {
	local _f _p
	for _f; do
		LIB_SIZE=
		retry 5 lib_quiet "$_f"
		read -r _p <"$_f.pid"
		kill "$_p" 2>/dev/null
		wait_pid 5 "$_p"
	done
}

lib_quiet() { # FILE: true if FILE has not grown since the previous call
	local _n
	_n=$(wc -c <"$1")
	[ "$_n" = "$LIB_SIZE" ] && return 0
	LIB_SIZE=$_n
	return 1
}

# CTX 0 leaves IF in context 0; ADDR or PEER_ADDR "-" means no address.
peer_ns() {
	local _ns=$1 _if=$2 _ctx=$3 _addr=$4 _paddr=$5 _gw=${6:-}
	[ -e "/run/netns/$_ns" ] || must ip netns add "$_ns"
	must ip link add "$_if" type veth peer name "$_if-p"
	must ip link set "$_if-p" netns "$_ns"
	[ "$_ctx" = 0 ] || must vrctl assign "$_if" "$_ctx"
	[ "$_addr" = - ] || must ip addr add "$_addr" dev "$_if"
	must ip link set "$_if" up
	[ "$_paddr" = - ] || must ip -n "$_ns" addr add "$_paddr" dev "$_if-p"
	must ip -n "$_ns" link set "$_if-p" up
	must ip -n "$_ns" link set lo up
	[ -z "$_gw" ] || must ip -n "$_ns" route add default via "$_gw"
}

two_contexts() {
	local _c
	must vrctl create 1 name red
	must vrctl create 2 name blue
	for _c in red blue; do
		peer_ns "p$_c" "v$_c" "$_c" 10.0.0.1/24 10.0.0.2/24 10.0.0.1
	done
}

lib_slab() {
	awk '/^Slab:/ { print $2 }' /proc/meminfo
}

leak_baseline() {
	[ -f $KMEMLEAK ] || fail "no $KMEMLEAK (the test kernel has kmemleak)"
	echo scan >$KMEMLEAK || fail "kmemleak scan"
	echo clear >$KMEMLEAK || fail "kmemleak clear"
	LIB_SLAB=$(lib_slab)
}

# kmemleak reports an unreferenced object only if it did not change since
# the previous scan: scan twice.
leak_check() {
	local _after
	_after=$(lib_slab)
	echo "slab: $LIB_SLAB kB before, $_after kB after $2"
	[ $((_after - LIB_SLAB)) -lt "$1" ] ||
		fail "slab grew by $((_after - LIB_SLAB)) kB over $2 (limit $1 kB)"
	echo scan >$KMEMLEAK || fail "kmemleak scan"
	echo scan >$KMEMLEAK || fail "kmemleak scan"
	if grep -q 'unreferenced object' $KMEMLEAK; then
		cat $KMEMLEAK
		fail "kmemleak reports leaks after $2"
	fi
}

ctx_cycles() {
	local _i=0
	expect_out ok vrctx-probe cycle "$1" "$3" "$4"
	while [ $_i -lt "$2" ]; do
		must vrctl create "$3" name "$4"
		must vrctl delete "$4"
		_i=$((_i + 1))
	done
}

# Checks that count and go on, for tests that report every broken item of a
# list in one run (the seal tests): each prints "PASS: NAME" or
# "FAIL: NAME: expected ..., got ..."; `summary` prints the counts and
# returns nonzero if any check failed (end the test with `summary`).
#
#   check_pass NAME / check_fail MSG / check_skip MSG   count one check
#   check_eq NAME WANT GOT      GOT is exactly WANT
#   check_match NAME PATTERN GOT     GOT matches the shell pattern
#   check_no_match NAME PATTERN GOT  GOT does not match it
#   count_in FILE REGEX         lines of FILE matching the extended regex
#   check_none FILE NAME REGEX  no line of FILE (a capture) matches
#   check_some FILE NAME REGEX  some line of FILE matches
#   summary                     "N passed, M failed, K skipped"; 1 if M > 0
#   stop PID...                 SIGTERM, SIGKILL after 5 s; reaps them
#   now_ms                      guest uptime in milliseconds (10 ms steps)
PASSED=0
FAILED=0
SKIPPED=0

check_pass() {
	echo "PASS: $*"
	PASSED=$((PASSED + 1))
}

check_fail() {
	echo "FAIL: $*"
	FAILED=$((FAILED + 1))
}

check_skip() {
	echo "SKIP: $*"
	SKIPPED=$((SKIPPED + 1))
}

summary() {
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" = 0 ]
}

check_eq() {
	if [ "$3" = "$2" ]; then
		check_pass "$1"
	else
		check_fail "$1: expected '$2', got '$3'"
	fi
}

check_match() {
	case "$3" in
	$2) check_pass "$1" ;;
	*) check_fail "$1: expected '$2', got '$3'" ;;
	esac
}

check_no_match() {
	case "$3" in
	$2) check_fail "$1: expected anything but '$2', got '$3'" ;;
	*) check_pass "$1 (got '$3')" ;;
	esac
}

count_in() {
	grep -c -E "$2" "$1"
}

check_none() {
	_hits=$(grep -E "$3" "$1" | head -n 3)
	if [ -z "$_hits" ]; then
		check_pass "$2"
	else
		check_fail "$2: expected no '$3' in $1, got: $_hits"
	fi
}

check_some() {
	if grep -q -E "$3" "$1"; then
		check_pass "$2"
	else
		check_fail "$2: expected '$3' in $1, got: $(tail -n 5 "$1" | tr '\n' '|')"
	fi
}

now_ms() {
	lib_now
	echo $((LIB_NOW * 10))
}

stop() {
	for _p; do kill "$_p" 2>/dev/null; done
	retry 5 gone "$@" || for _p; do kill -9 "$_p" 2>/dev/null; done
	for _p; do wait "$_p" 2>/dev/null; done
	return 0
}

# etcd (docs/cluster.md): one member per VM, for the distributed-host
# cluster. The timeouts are measured for TCG guests (3 VMs sharing 2 host
# cores): etcd's defaults (100/1000 ms) are for real hardware. A test may
# set these before etcd_start (plain shell variables: etcd would take
# exported ETCD_* variables as its own flags).
ETCD_HEARTBEAT_MS=500
ETCD_ELECTION_MS=5000
ETCD_PID=
ETCD_START_MS=0
ETCD_UP_MS=0
LIB_ETCD_NAME=
LIB_ETCD_LOG=

etcd_cluster() {
	local _i=1 _c=
	while [ $_i -le "$1" ]; do
		_c="$_c${_c:+,}vm$_i=http://192.168.77.$_i:2380"
		_i=$((_i + 1))
	done
	echo "$_c"
}

etcd_start() {
	local _name=$1 _ip=$2 _dir=/run/etcd-$1
	LIB_ETCD_NAME=$_name
	LIB_ETCD_LOG=/tmp/etcd-$_name.log
	[ -z "$ETCD_PID" ] || ! alive "$ETCD_PID" || fail "etcd_start $_name: etcd $ETCD_PID still runs"
	rm -rf "$_dir"
	must mkdir -p "$_dir"
	# The WAL and the boltdb file must be in memory (no disk in the guest;
	# the init mounts /run as tmpfs, but do not rely on it).
	grep -q '^[^ ]* /run tmpfs ' /proc/mounts || must mount -t tmpfs -o mode=0700 tmpfs "$_dir"
	chmod 700 "$_dir"
	dump_on_fail "$LIB_ETCD_LOG"
	lib_now
	ETCD_START_MS=$((LIB_NOW * 10))
	etcd --name "$_name" --data-dir "$_dir" \
		--initial-cluster "$3" --initial-cluster-state new \
		--initial-cluster-token vrctx \
		--initial-advertise-peer-urls "http://$_ip:2380" \
		--listen-peer-urls "http://$_ip:2380" \
		--listen-client-urls "http://$_ip:2379,http://127.0.0.1:2379" \
		--advertise-client-urls "http://$_ip:2379" \
		--heartbeat-interval "$ETCD_HEARTBEAT_MS" --election-timeout "$ETCD_ELECTION_MS" \
		--pre-vote --metrics extensive --logger zap --log-outputs stderr \
		</dev/null >"$LIB_ETCD_LOG" 2>&1 &
	ETCD_PID=$!
}

lib_etcd_healthy() {
	alive "$ETCD_PID" || fail "etcd $LIB_ETCD_NAME (pid $ETCD_PID) exited"
	etcdctl --dial-timeout=5s --command-timeout=20s endpoint health || return 1
	etcdctl --dial-timeout=5s --command-timeout=20s put "vrctx/health/$LIB_ETCD_NAME" "$LIB_NOW" ||
		return 1
	[ "$(etcdctl --dial-timeout=5s --command-timeout=20s get --print-value-only \
		"vrctx/health/$LIB_ETCD_NAME")" = "$LIB_NOW" ]
}

etcd_wait_healthy() {
	[ -n "$ETCD_PID" ] || fail "etcd_wait_healthy before etcd_start"
	wait_for "$1" lib_etcd_healthy
	lib_now
	ETCD_UP_MS=$((LIB_NOW * 10 - ETCD_START_MS))
}

etcd_stop() {
	[ -n "$ETCD_PID" ] || return 0
	stop "$ETCD_PID"
	ETCD_PID=
}

vm_mac() {
	printf '52:54:00:00:00:%02x' "$1"
}

fetch() {
	[ "$(socat -T 15 -t 15 - "TCP:$1:$2,connect-timeout=2" 2>/dev/null </dev/null)" = "$3" ]
}

serve() {
	socat -t 30 "TCP-LISTEN:$1,fork,reuseaddr" "SYSTEM:echo $2" </dev/null >/dev/null 2>&1 &
}

echo_server() {
	socat -t 30 "TCP-LISTEN:$1,${2:+$2,}fork,reuseaddr" EXEC:cat </dev/null >/dev/null 2>&1 &
}

sent_by() {
	grep -E "$2" "$1" | awk '{ print $2 }' | sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' '
}

only_from() {
	local _got
	_got=$(sent_by "$1" "$2")
	case "$_got" in
	"$(vm_mac "$3")="[0-9]*" ") ;;
	*) fail "$4: want packets from $(vm_mac "$3") only, got: $_got" ;;
	esac
}

serve_done() {
	: >/tmp/fetched
	socat -t 30 TCP-LISTEN:9000,fork,reuseaddr 'SYSTEM:echo done; echo $SOCAT_PEERADDR >>/tmp/fetched' \
		</dev/null >/dev/null 2>&1 &
	LIB_PEERS=$1
	wait_for 300 lib_fetched
	sleep "$2"
}

lib_fetched() {
	[ "$(sort -u /tmp/fetched | wc -l)" -ge "$LIB_PEERS" ]
}
