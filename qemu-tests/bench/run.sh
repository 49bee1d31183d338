# Guest side of `make bench` (scripts/bench.sh): VR contexts against network
# namespaces, Linux VRF and the kernel without the vrctx module, in one boot.
#
# Prints one line per measurement, read by scripts/bench-report.py:
#   @@BENCH sample NAME SIDE VALUE [COUNT]   (raw figure; COUNT objects)
#   @@BENCH info KEY VALUE...
# Parameters come from $VRCTX_FILES/params (written by scripts/bench.sh):
#   BENCH_N            objects per create/delete/memory round
#   BENCH_REPS         create/delete rounds (sides alternate each round)
#   BENCH_LOOKUP       curve points for lookup_N_vs_1 (contexts alive)
#   BENCH_LOOKUP_REPS  alternating request/response runs per point and side
#   BENCH_RR_SECS      seconds per request/response run
#   BENCH_DP_REPS      datapath rounds (udp_rr and tcp_stream, 4 setups each)
#   BENCH_TCP_SECS     seconds per iperf3 run
#   BENCH_SCALE        steps (contexts alive) of the scale phase
#   BENCH_PHASES       which phases to run (create scale datapath lookup)
#   BENCH_SUFFIX       appended to every sample's name: "_icount" when the
#                      guest runs under QEMU's icount, where a guest second is
#                      10^9 instructions (scripts/bench.sh's second boot)
. /usr/lib/vrctx/lib.sh

BENCH_N=1000
BENCH_REPS=3
BENCH_LOOKUP="1 16 256 4096"
BENCH_LOOKUP_REPS=3
BENCH_RR_SECS=2
BENCH_DP_REPS=5
BENCH_TCP_SECS=4
BENCH_SCALE="16384 32768 65536"
BENCH_PHASES="create scale datapath lookup"
BENCH_SUFFIX=
[ -f "$VRCTX_FILES/params" ] && . "$VRCTX_FILES/params"
N=$BENCH_N
P=vrctx-probe
KO=/lib/modules/vrctx

emit() { # sample NAME SIDE VALUE [COUNT] | info KEY VALUE...
	if [ "$1" = sample ]; then
		_n=$2
		shift 2
		echo "@@BENCH sample $_n$BENCH_SUFFIX $*"
	else
		echo "@@BENCH $*"
	fi
}
say() { echo "bench: $*"; }
now() { read -r _up _ </proc/uptime; echo "$_up"; }
T0=$(now)
elapsed() { awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "%d", b - a }'; }

# MemAvailable and Slab (kB) after dropping clean caches, so that page cache
# and reclaimable dentries left by the previous step do not count.
mem() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk '/^MemAvailable:/ { a = $2 } /^Slab:/ { s = $2 } END { print a, s }' /proc/meminfo
}

# Waits (up to 60 s) until MemAvailable moves by less than 1 MB over 2 s:
# the previous step's deferred frees (namespace cleanup, RCU) are done.
settle() {
	_i=0
	_a=$(mem)
	while [ $_i -lt 30 ]; do
		sleep 2
		_b=$(mem)
		_d=$((${_b% *} - ${_a% *}))
		[ ${_d#-} -lt 1024 ] && return 0
		_a=$_b
		_i=$((_i + 1))
	done
	say "memory did not settle within 60 s"
}

# Runs CMD with stdin from FILE (unless empty), then waits for PATH (unless
# empty) to disappear; prints the nanoseconds. CMD's stdout is discarded.
# Use as `x=$(timed ...) || fail ...`.
timed() { # FILE PATH CMD...
	_f=$1 _g=$2
	shift 2
	_opt=
	[ -z "$_f" ] || _opt="--stdin $_f"
	[ -z "$_g" ] || _opt="$_opt --gone $_g"
	$P bench time $_opt -- "$@" || fail "timing $*"
}

# Memory deltas (kB, before - after, so positive = used) of one side.
mem_sample() { # SIDE BEFORE(avail slab) AFTER(avail slab) COUNT [SUFFIX]
	set -- "$1" $2 $3 "$4" "${5:-}"
	emit sample "memory_per_context$7" "$1" $(($2 - $4)) "$6"
	emit sample "slab_per_context$7" "$1" $(($5 - $3)) "$6"
}

emit info N "$N"
emit info kernel "$(uname -r)"
emit info cpus "$(nproc)"
emit info mem_total_kb "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
emit info iproute2 "$(ip -V 2>&1 | tr ' ' _)"

# dhost is a separate feature (counting netfilter hooks): out of the way for
# every measurement, on every side.
[ -d /sys/module/dhost ] && must rmmod dhost
[ -d /sys/module/vrctx ] || must insmod $KO/vrctx.ko
ulimit -n 1048576 || ulimit -n 262144 || fail "ulimit -n"
mkdir -p /run/netns

# --- create, delete, memory_per_context, list (empty contexts) -------------
B=/tmp/batch
mkdir -p $B
seq 1 "$N" | awk '{ print "create " $1 }' >$B/ours-add
seq 1 "$N" | awk '{ print "delete " $1 }' >$B/ours-del
seq 1 "$N" | awk '{ print "netns add bn" $1 }' >$B/netns-add
{ seq 1 "$N" | awk '{ print "netns del bn" $1 }'; echo "netns del bsent"; } >$B/netns-del
seq 1 "$N" | awk '{ print "link add bv" $1 " type vrf table " 100000 + $1 }' >$B/vrf-add
seq 1 "$N" | awk '{ print "link del bv" $1 }' >$B/vrf-del

round_ours() {
	settle
	_m0=$(mem)
	_c=$(timed $B/ours-add "" vrctl -b -) || fail "timing"
	_m1=$(mem)
	_l=$(timed "" "" vrctl list) || fail "timing"
	_d=$(timed $B/ours-del "" vrctl -b -) || fail "timing"
	emit sample create ours "$_c" "$N"
	emit sample delete ours "$_d" "$N"
	emit sample "list_empty_$N" ours "$_l" 1
	mem_sample ours "$_m0" "$_m1" "$N"
	[ "$(vrctl list | wc -l)" = 2 ] || fail "contexts left after the delete batch"
}

# netns: `ip -batch` of `netns add` / `netns del`. Deleting a namespace only
# drops its last reference; the kernel tears it down later in the cleanup
# workqueue (one ordered worker, batches of dead namespaces). The clock stops
# when that teardown is done: the last line deletes a sentinel namespace
# holding one end of a veth whose other end is here, and the clock runs until
# that end disappears, i.e. until the cleanup worker has reached the sentinel
# (queued after all the others) and unregistered its devices.
round_netns() {
	settle
	_m0=$(mem)
	_c=$(timed $B/netns-add "" ip -batch -) || fail "timing"
	_m1=$(mem)
	must ip netns add bsent
	must ip link add bsent0 type veth peer name bsent1 netns bsent
	_d=$(timed $B/netns-del /sys/class/net/bsent0 ip -batch -) || fail "timing"
	emit sample create netns "$_c" "$N"
	emit sample delete netns "$_d" "$N"
	mem_sample netns "$_m0" "$_m1" "$N"
	[ -z "$(ls /run/netns)" ] || fail "namespaces left: $(ls /run/netns | head)"
}

round_vrf() {
	settle
	_m0=$(mem)
	_c=$(timed $B/vrf-add "" ip -batch -) || fail "timing"
	_m1=$(mem)
	_d=$(timed $B/vrf-del "" ip -batch -) || fail "timing"
	emit sample create vrf "$_c" "$N"
	emit sample delete vrf "$_d" "$N"
	mem_sample vrf "$_m0" "$_m1" "$N"
}

phase_create() {
	say "create/delete: $N objects, $BENCH_REPS rounds (t=$(elapsed)s)"
	r=1
	while [ $r -le "$BENCH_REPS" ]; do
		# Rotate the order so that no side always goes first.
		case $((r % 3)) in
		1) order="ours netns vrf" ;;
		2) order="netns vrf ours" ;;
		0) order="vrf ours netns" ;;
		esac
		for s in $order; do
			round_$s
			say "round $r $s done (t=$(elapsed)s)"
		done
		r=$((r + 1))
	done
}

# --- udp_rr, tcp_stream ------------------------------------------------------
# Four setups, each a veth toward its own peer namespace running an echo
# server and iperf3 -s:
#   ours       vc in context 1 (10.9.1.1), the client in context 1
#   ctx0       vn in context 0 (10.9.3.1), the module loaded
#   no_module  vn again, the vrctx module unloaded
#   vrf        vv a port of VRF vrfb (table 100, 10.9.2.1), the client bound
#              to vrfb (SO_BINDTODEVICE / iperf3 --bind-dev); module unloaded
dp_setup() {
	for x in c:1 v:2 n:3; do
		_s=${x%:*} _i=${x#*:}
		must ip netns add "p$_s"
		must ip link add "v$_s" type veth peer name "v$_s-p" netns "p$_s"
		must ip -n "p$_s" addr add "10.9.$_i.2/24" dev "v$_s-p"
		must ip -n "p$_s" link set "v$_s-p" up
		must ip -n "p$_s" link set lo up
		ip netns exec "p$_s" $P bench echo "10.9.$_i.2:7" &
		ip netns exec "p$_s" iperf3 -s -D -B "10.9.$_i.2" >/dev/null 2>&1 || fail "iperf3 -s in p$_s"
	done
	must ip link add vrfb type vrf table 100
	must ip link set vrfb up
	must ip link set vv master vrfb
	must ip addr add 10.9.2.1/24 dev vv
	must ip link set vv up
	must ip addr add 10.9.3.1/24 dev vn
	must ip link set vn up
	must ip link set vc up
	IPERF_DEV=--bind-dev
	iperf3 --help 2>&1 | grep -q -- --bind-dev || IPERF_DEV=
	emit info iperf3_bind_dev "${IPERF_DEV:-missing}"
}

module_on() {
	must insmod $KO/vrctx.ko
	must vrctl create 1 name bench
	must vrctl assign vc 1
	must ip addr add 10.9.1.1/24 dev vc
}

module_off() {
	must vrctl delete 1 --force
	must rmmod vrctx
}

dp_run() { # SIDE
	case $1 in
	ours) _a=10.9.1.2 _o="--ctx 1" _x="vrctl exec 1 --" _b= ;;
	vrf) _a=10.9.2.2 _o="--dev vrfb" _x= _b="$IPERF_DEV vrfb" ;;
	*) _a=10.9.3.2 _o= _x= _b= ;;
	esac
	[ "$1" != vrf ] || [ -n "$IPERF_DEV" ] || _b=
	_rr=$($P bench rr "$_a:7" "$BENCH_RR_SECS" $_o) || fail "udp_rr $1"
	emit sample udp_rr "$1" "${_rr% *}"
	emit sample udp_rr_latency "$1" "${_rr#* }"
	if [ "$1" = vrf ] && [ -z "$_b" ]; then
		return
	fi
	_t=$($_x iperf3 -c "$_a" $_b -t "$BENCH_TCP_SECS" -O 1 -f m 2>&1) || fail "iperf3 $1: $_t"
	_m=$(echo "$_t" | awk '/receiver/ { print $7 }')
	[ -n "$_m" ] || fail "iperf3 $1: no receiver line: $_t"
	emit sample tcp_stream "$1" "$_m"
}

phase_datapath() {
	say "datapath: $BENCH_DP_REPS rounds (t=$(elapsed)s)"
	dp_setup
	must rmmod vrctx
	loaded=0
	r=1
	while [ $r -le "$BENCH_DP_REPS" ]; do
		# Odd rounds: module loaded first; even rounds: unloaded first; the
		# two setups of each half swap their order every round too.
		if [ $((r % 2)) = 1 ]; then
			halves="on off" on="ours ctx0" off="no_module vrf"
		else
			halves="off on" on="ctx0 ours" off="vrf no_module"
		fi
		for h in $halves; do
			if [ $h = on ]; then
				[ $loaded = 1 ] || module_on
				loaded=1
				sides=$on
			else
				[ $loaded = 0 ] || module_off
				loaded=0
				sides=$off
			fi
			for s in $sides; do dp_run "$s"; done
		done
		say "datapath round $r done (t=$(elapsed)s)"
		r=$((r + 1))
	done
	if [ $loaded = 1 ]; then
		must vrctl delete 1 --force
	else
		must insmod $KO/vrctx.ko
	fi
}

# --- lookup_N_vs_1, list_N ---------------------------------------------------
# N contexts, each with a dummy interface holding 10.0.0.1/32 and a UDP socket
# bound to 10.0.0.1:7 (one process holds them). Context 1's socket is an echo
# server; the client in context 1 runs request/response on loopback. The
# "1" side is the same setup with one context in a separate namespace
# (solo), measured alternately at every point.
lookup_grow() { # FROM TO
	_f=$B/lk
	seq "$1" "$2" | awk '{ print "create " $1 }' >$_f.ctx
	seq "$1" "$2" | awk '{ print "link add ld" $1 " type dummy" }' >$_f.add
	seq "$1" "$2" | awk '{ print "assign ld" $1 " " $1 }' >$_f.assign
	seq "$1" "$2" | awk '{ print "address add 10.0.0.1/32 dev ld" $1; print "link set ld" $1 " up" }' >$_f.up
	_a=$(timed $_f.ctx "" vrctl -b -) || fail "timing"
	_b=$(timed $_f.add "" ip -batch -) || fail "timing"
	_c=$(timed $_f.assign "" vrctl -b -) || fail "timing"
	_d=$(timed $_f.up "" ip -batch -) || fail "timing"
	emit info lookup_grow "$1-$2" ctx_ns "$_a" dummy_add_ns "$_b" assign_ns "$_c" addr_up_ns "$_d"
}

phase_lookup() {
	say "lookup: points $BENCH_LOOKUP (t=$(elapsed)s)"
	echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
	echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
	must ip netns add solo
	must ip -n solo link set lo up
	must ip netns exec solo vrctl create 1
	must ip -n solo link add ld1 type dummy
	must ip netns exec solo vrctl assign ld1 1
	must ip -n solo addr add 10.0.0.1/32 dev ld1
	must ip -n solo link set ld1 up
	ip netns exec solo $P bench echo 10.0.0.1:7 --ctx 1 &
	have=0
	settle
	m0=$(mem)
	for pt in $BENCH_LOOKUP; do
		if [ "$have" = 0 ]; then
			lookup_grow 1 1
			$P bench echo 10.0.0.1:7 --ctx 1 &
		elif [ "$pt" -gt "$have" ]; then
			lookup_grow $((have + 1)) "$pt"
			$P bench hold 10.0.0.1:7 $((have + 1)) "$pt" >$B/hold.$pt 2>&1 &
			wait_for 600 grep -q ready $B/hold.$pt
		fi
		have=$pt
		m1=$(mem)
		mem_sample "$pt" "$m0" "$m1" "$pt" _with_iface_socket
		i=1
		while [ $i -le "$BENCH_LOOKUP_REPS" ]; do
			for s in $([ $((i % 2)) = 1 ] && echo "many solo" || echo "solo many"); do
				if [ $s = many ]; then
					_rr=$($P bench rr 10.0.0.1:7 "$BENCH_RR_SECS" --ctx 1) || fail "lookup rr $pt"
				else
					_rr=$(ip netns exec solo $P bench rr 10.0.0.1:7 "$BENCH_RR_SECS" --ctx 1) || fail "lookup rr solo"
				fi
				emit sample "lookup_$pt" "$s" "${_rr#* }"
			done
			i=$((i + 1))
		done
		# vrctl list: skipped once a listing took more than 60 s.
		if [ "${list_slow:-0}" = 0 ]; then
			_l=$(timed "" "" vrctl list) || fail "timing"
			emit sample "list_$pt" ours "$_l" 1
			[ "$_l" -lt 60000000000 ] || list_slow=1
		fi
		say "lookup point $pt done (t=$(elapsed)s)"
	done
}

# --- scale: empty contexts created and deleted in batches -------------------
# Contexts 1..S for each S of BENCH_SCALE in turn, each batch timed, with the
# memory used so far and a listing at every step; then deleted in the same
# batches, newest first.
phase_scale() {
	say "scale: steps $BENCH_SCALE (t=$(elapsed)s)"
	settle
	m0=$(mem)
	have=0
	for st in $BENCH_SCALE; do
		seq $((have + 1)) "$st" | awk '{ print "create " $1 }' >$B/sc.$st
		_c=$(timed $B/sc.$st "" vrctl -b -) || fail "timing"
		emit sample scale_create "$st" "$_c" $((st - have))
		m1=$(mem)
		mem_sample "$st" "$m0" "$m1" "$st" _scale
		_l=$(timed "" "" vrctl list) || fail "timing"
		emit sample "list_empty_$st" ours "$_l" 1
		say "scale: $st contexts (t=$(elapsed)s)"
		eval "prev_$st=$have"
		have=$st
	done
	for st in $(echo $BENCH_SCALE | tr ' ' '\n' | sort -rn); do
		eval "lo=\$((prev_$st + 1))"
		seq "$lo" "$st" | awk '{ print "delete " $1 }' >$B/sd.$st
		_d=$(timed $B/sd.$st "" vrctl -b -) || fail "timing"
		emit sample scale_delete "$st" "$_d" $((st - lo + 1))
	done
	[ "$(vrctl list | wc -l)" = 2 ] || fail "contexts left after the scale phase"
	say "scale done (t=$(elapsed)s)"
}

for ph in $BENCH_PHASES; do
	phase_$ph
done
emit info total_s "$(elapsed)"
say "done (t=$(elapsed)s)"
