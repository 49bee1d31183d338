#!/usr/bin/env bash
# make check: host checks (fmt, clippy, unit tests, checkpatch), the build,
# then the QEMU suite on the test kernel. Ends with "N passed, M failed".
. "$(dirname "$0")/common.sh"
cd "$TOP"
passed=0 failed=0 failures=()
t0=$(date +%s)

step() { # step NAME CMD...: a host check, counted like a test
	local name=$1 s
	shift
	s=$(date +%s)
	if "$@" >"$BUILD/check-$name.log" 2>&1; then
		passed=$((passed + 1))
		printf 'PASS host/%s (%d s)\n' "$name" $(($(date +%s) - s))
	else
		failed=$((failed + 1))
		failures+=("host/$name")
		printf 'FAIL host/%s\n' "$name"
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

mkdir -p "$BUILD"
say "preparing the toolchain (make deps)"
make -s deps || { failed=$((failed + 1)); failures+=(deps); finish; }

step fmt cargo fmt --all --check
step clippy cargo clippy -q --locked --workspace --all-targets -- -D warnings
step unit cargo test -q --locked --workspace

say "building the test kernel, modules, vrctl and the guest"
s=$(date +%s)
if make -s guest KIND=test; then
	passed=$((passed + 1))
	printf 'PASS host/build (%d s)\n' $(($(date +%s) - s))
else
	failed=$((failed + 1)); failures+=(host/build)
	printf 'FAIL host/build\n'
	finish
fi
step checkpatch scripts/checkpatch.sh

say "running the QEMU suite (qemu-tests/tests)"
out=$BUILD/check-suite.log
target/release/vmrun suite --kernel build/kernel-test/arch/x86/boot/bzImage \
	--initrd build/initramfs-test.cpio.gz --log-dir "$BUILD/test-logs" qemu-tests/tests | tee "$out"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n1 || true)
if [ -z "$line" ]; then
	failed=$((failed + 1)); failures+=(suite)
else
	passed=$((passed + $(echo "$line" | awk '{print $1}')))
	n=$(echo "$line" | awk '{print $3}')
	failed=$((failed + n))
	[ "$n" = 0 ] || failures+=("$(grep -E '^FAIL ' "$out" | awk '{print $2}' | tr -d ':' | tr '\n' ' ')")
fi
finish
