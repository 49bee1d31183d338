#!/usr/bin/env bash
# make bench: VR contexts against network namespaces, Linux VRF and the
# kernel without the vrctx module, measured in one guest in one boot.
#
# Builds the lean kernel (no debugging aids; NET_NS and NET_VRF as the
# baselines), its modules, vrctl/vrctx-probe and the lean initramfs; boots
# one VM (BENCH_MEM MB, one vCPU under TCG) running qemu-tests/bench/run.sh;
# then, when the datapath (or lookup) phase runs, boots a second guest under
# QEMU's icount (every guest instruction is one nanosecond of guest time)
# for the phases of BENCH_ICOUNT_PHASES alone: their figures count
# instructions, so they do not move with the host's load as TCG's timings
# do. scripts/bench-report.py turns both consoles' @@BENCH lines into
# build/bench/results.json, results.md and *.svg.
#
# Knobs (environment), defaults sized so that the first guest stays within
# about 20 minutes under TCG on the reference machine, and the icount guest
# (slower, about 20 minutes for the datapath and lookup phases) too:
#   BENCH_N=10000          objects per create/delete/memory round
#   BENCH_REPS=3           create/delete rounds (order of the sides rotates)
#   BENCH_LOOKUP="1 16 256 4096 65536"  contexts alive at each lookup point
#   BENCH_LOOKUP_REPS=3    alternating request/response runs per point
#   BENCH_RR_SECS=2        seconds per request/response run
#   BENCH_DP_REPS=5        datapath rounds (4 setups each, order alternating)
#   BENCH_TCP_SECS=4       seconds per iperf3 run
#   BENCH_ICOUNT_PHASES="datapath lookup"  phases run again in the icount guest (those
#                          BENCH_PHASES has; "": no second guest)
#   BENCH_ICOUNT_REPS=3    datapath rounds of the icount guest
#   BENCH_SCALE="16384 32768 65536"  scale phase: empty contexts alive at each step
#   BENCH_PHASES="create scale datapath lookup"
#   BENCH_MEM=6144         guest memory, MB
#   BENCH_TIMEOUT=2400     seconds for the whole guest run
#   BENCH_REPORT_ONLY=1    only rerun the report on build/bench/console.log
#   BENCH_PROFILE=1        instead, profile the kernel while BENCH_PROFILE_N
#                          (30000) contexts are created and deleted (boots
#                          with profile=2); writes build/bench-profile/profile.txt
#   KBUILD_LOCK=FILE       hold flock(FILE) while the kernel is (re)built
. "$(dirname "$0")/common.sh"
OUT=$BUILD/bench
: "${BENCH_N:=10000}" "${BENCH_REPS:=3}" "${BENCH_LOOKUP:=1 16 256 4096 65536}"
: "${BENCH_LOOKUP_REPS:=3}" "${BENCH_RR_SECS:=2}" "${BENCH_DP_REPS:=5}" "${BENCH_TCP_SECS:=4}"
: "${BENCH_ICOUNT_REPS:=3}" "${BENCH_ICOUNT_PHASES=datapath lookup}"
: "${BENCH_SCALE:=16384 32768 65536}" "${BENCH_PHASES:=create scale datapath lookup}" "${BENCH_MEM:=6144}" "${BENCH_TIMEOUT:=2400}"

if [ -z "${BENCH_REPORT_ONLY:-}" ]; then
	start=$(date +%s)
	"$TOP/scripts/deps.sh" >/dev/null
	if [ -n "${KBUILD_LOCK:-}" ]; then
		flock "$KBUILD_LOCK" "$TOP/scripts/kernel.sh" lean
	else
		"$TOP/scripts/kernel.sh" lean
	fi
	"$TOP/scripts/modules.sh" lean
	(cd "$TOP" && RUSTFLAGS='-C target-feature=+crt-static' cargo build -q --release --locked \
		--target x86_64-unknown-linux-gnu -p vrctl -p vrctx-probe)
	(cd "$TOP" && cargo build -q --release --locked -p vrctx-qemu-runner)
	"$TOP/scripts/guest-userland.sh"
	"$TOP/scripts/mkinitramfs.sh" lean
	built=$(date +%s)
	echo "bench: build steps took $((built - start)) s"

	if [ -n "${BENCH_PROFILE:-}" ]; then
		P=$BUILD/bench-profile
		rm -rf "$P" && mkdir -p "$P/files"
		echo "BENCH_N=\"${BENCH_PROFILE_N:-30000}\"" >"$P/files/params"
		"$TOP/target/release/vmrun" run --kernel "$BUILD/kernel-lean/arch/x86/boot/bzImage" \
			--initrd "$BUILD/initramfs-lean.cpio.gz" --mem 2048 --append profile=2 --timeout 900 \
			--files "$P/files" "$TOP/qemu-tests/bench/profile.sh" >"$P/console.log" 2>&1 ||
			die "the profile run failed (console: $P/console.log)"
		python3 "$TOP/scripts/bench-profile.py" "$P/console.log" "$BUILD/kernel-lean/System.map" \
			"$P/profile.txt"
		exit 0
	fi

	rm -rf "$OUT" && mkdir -p "$OUT/files"
	for v in BENCH_N BENCH_REPS BENCH_LOOKUP BENCH_LOOKUP_REPS BENCH_RR_SECS BENCH_DP_REPS \
		BENCH_TCP_SECS BENCH_SCALE BENCH_PHASES; do
		printf '%s="%s"\n' "$v" "${!v}"
	done >"$OUT/files/params"
	echo "bench: booting one guest (${BENCH_MEM} MB); parameters:"
	sed 's/^/bench:   /' "$OUT/files/params"
	set +e
	"$TOP/target/release/vmrun" run --kernel "$BUILD/kernel-lean/arch/x86/boot/bzImage" \
		--initrd "$BUILD/initramfs-lean.cpio.gz" --mem "$BENCH_MEM" --timeout "$BENCH_TIMEOUT" \
		--files "$OUT/files" "$TOP/qemu-tests/bench/run.sh" 2>&1 | tee "$OUT/console.log"
	st=${PIPESTATUS[0]}
	set -e
	echo "bench: guest run took $(($(date +%s) - built)) s, vmrun status $st"

	rm -f "$OUT/console-icount.log"
	phases=
	for p in $BENCH_ICOUNT_PHASES; do
		if [[ " $BENCH_PHASES " == *" $p "* ]]; then phases="$phases $p"; fi
	done
	if [ "$st" = 0 ] && [ -n "$phases" ]; then
		mkdir -p "$OUT/files-icount"
		for v in BENCH_LOOKUP BENCH_LOOKUP_REPS BENCH_RR_SECS BENCH_TCP_SECS; do
			printf '%s="%s"\n' "$v" "${!v}"
		done >"$OUT/files-icount/params"
		printf 'BENCH_PHASES="%s"\nBENCH_DP_REPS="%s"\nBENCH_SUFFIX="_icount"\n' \
			"${phases# }" "$BENCH_ICOUNT_REPS" >>"$OUT/files-icount/params"
		echo "bench:${phases} again, counting instructions (QEMU icount)"
		second=$(date +%s)
		set +e
		"$TOP/target/release/vmrun" run --kernel "$BUILD/kernel-lean/arch/x86/boot/bzImage" \
			--initrd "$BUILD/initramfs-lean.cpio.gz" --mem "$BENCH_MEM" --timeout "$BENCH_TIMEOUT" \
			--icount 0 --files "$OUT/files-icount" "$TOP/qemu-tests/bench/run.sh" 2>&1 |
			tee "$OUT/console-icount.log"
		st=${PIPESTATUS[0]}
		set -e
		echo "bench: icount guest run took $(($(date +%s) - second)) s, vmrun status $st"
	fi
fi
logs=("$OUT/console.log")
[ -f "$OUT/console-icount.log" ] && logs+=("$OUT/console-icount.log")
python3 "$TOP/scripts/bench-report.py" "${logs[@]}" "$OUT"
[ "${st:-0}" = 0 ] || die "a guest run failed (vmrun status $st; consoles: ${logs[*]}); the report has what was measured"
