#!/usr/bin/env bash
# make check: host checks (fmt, clippy, unit tests, module lint, checkpatch),
# the build, the host tests (qemu-tests/host) and the QEMU suite
# (qemu-tests/tests) on the test kernel. A failing step never stops the
# others that do not depend on it; the last line is always
# "N passed, M failed" over everything that ran, and the exit status is
# non-zero if anything failed.
#
# T=PATTERN (make check T=43) runs only the guest and host tests whose name
# contains PATTERN, after the build, for quick iteration; the host lint steps
# are skipped then (and say so).
. "$(dirname "$0")/common.sh"
set +e
cd "$TOP"
T=${T:-}
JOBS=${VMRUN_JOBS:-$(nproc)}
passed=0 failed=0 failures=()
t0=$(date +%s)

pass() {
	passed=$((passed + 1))
	printf 'PASS %s (%d s)\n' "$1" "$2"
}

fail() {
	failed=$((failed + 1))
	failures+=("$1")
	printf 'FAIL %s\n' "$1"
}

step() { # step NAME CMD...: a host step, counted like a test
	local name=$1 s
	shift
	s=$(date +%s)
	if "$@" >"$BUILD/check-$name.log" 2>&1; then
		pass "host/$name" $(($(date +%s) - s))
	else
		fail "host/$name"
		tail -n 40 "$BUILD/check-$name.log" | sed 's/^/    /'
	fi
}

finish() {
	printf '\ncheck: %d s in all\n' $(($(date +%s) - t0))
	[ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[*]}"
	printf '%d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" = 0 ]
	exit
}

# suite NAME DIR...: run tests through vmrun and add its tally to ours.
suite() {
	local name=$1 out=$BUILD/check-$1.log line n
	shift
	local args=(suite -j "$JOBS" --kernel build/kernel-test/arch/x86/boot/bzImage
		--initrd build/initramfs-test.cpio.gz --log-dir "$BUILD/test-logs")
	[ -n "$T" ] && args+=(--filter "$T")
	target/release/vmrun "${args[@]}" "$@" | tee "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n1)
	if [ -z "$line" ]; then
		fail "$name (the runner did not finish)"
		return
	fi
	passed=$((passed + $(echo "$line" | awk '{print $1}')))
	n=$(echo "$line" | awk '{print $3}')
	failed=$((failed + n))
	[ "$n" = 0 ] || failures+=($(grep -E '^FAIL ' "$out" | awk '{print $2}' | tr -d ':'))
}

mkdir -p "$BUILD"
say "preparing the toolchain (make deps)"
s=$(date +%s)
if make -s deps; then pass host/deps $(($(date +%s) - s)); else fail host/deps; finish; fi

if [ -z "$T" ]; then
	step fmt cargo fmt --all --check
	step clippy cargo clippy -q --locked --workspace --all-targets -- -D warnings
	step unit cargo test -q --locked --workspace
else
	echo "T=$T: host lint steps skipped"
fi

say "building the test kernel, modules, vrctl and the guest"
s=$(date +%s)
if make -s guest KIND=test; then
	pass host/build $(($(date +%s) - s))
else
	fail host/build
	finish
fi
if [ -z "$T" ]; then
	step module-lint scripts/modules.sh test --lint
	step checkpatch scripts/checkpatch.sh
fi

say "running the host tests (qemu-tests/host) and the QEMU suite (qemu-tests/tests), $JOBS VM slots"
suite tests qemu-tests/host qemu-tests/tests
finish
