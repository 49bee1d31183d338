#!/usr/bin/env bash
# make compat: the patched kernel must leave stock behaviour alone. Linux's
# own VRF selftest, tools/testing/selftests/net/fcnal-test.sh, with `nettest`
# built from nettest.c of the same tree, runs on the test kernel twice, each
# time in a fresh VM: once with vrctx.ko and dhost.ko unloaded (run
# "without": the kernel with our patches but without our modules) and once
# with them loaded (run "with", the guest as /init sets it up). The target
# passes when every test gives the same result in both runs (and neither VM
# reports a kernel problem); a test that fails in both is not a difference.
#
# Steps:
#  1. build/compat/files/selftest/: fcnal-test.sh, lib.sh and lib/sh/*.sh
#     copied from the kernel tree the build uses ($COMPAT_LINUX_SRC, default
#     build/linux-src; nothing is committed), and nettest compiled from its
#     nettest.c with the host's gcc (dynamically linked against libc only,
#     which the guest has); copies of the kernel and initramfs, so that both
#     runs boot the same ones even if the build is redone meanwhile;
#  2. one `vmrun run --files build/compat/files qemu-tests/compat/run.sh`
#     per run, consoles in build/compat/<run>/vm1.log;
#  3. the per-test results (build/compat/<run>.results), per-section counts,
#     and every test whose result differs, with its output from both runs.
#
# Sections: the requirement names ipv4_ping ipv4_tcp ipv4_udp ipv4_bind and
# ipv4_runtime (COMPAT_SECTIONS=full). Under TCG on the 2-core build machine
# (test kernel, one VM at a time) one run of those five, 421 tests, took
# 30-31 min (ipv4_ping 4 min, ipv4_tcp 8-10, ipv4_udp 6, ipv4_bind 1,
# ipv4_runtime 10), both runs 61 min. The default leaves out ipv4_runtime:
# 19-21 min a run, about 40 min in all. Its 31 tests delete the VRF under
# traffic and log a pass whatever happens
# (log_test_addr $a 0 0), so they can never give a different result,
# only a kernel problem (vmrun's check). Add it (COMPAT_SECTIONS=full) for
# the requirement's sign-off and whenever teardown paths change.
#
# Environment:
#   COMPAT_SECTIONS  fcnal-test.sh sections (-t names), or "full" for the five
#                    above (default: ipv4_ping ipv4_tcp ipv4_udp ipv4_bind)
#   COMPAT_RUNS      default "without with"
#   COMPAT_TIMEOUT   seconds per VM (default 5400)
#   COMPAT_MEM       guest memory in MB (default 2048)
#   COMPAT_VERBOSE=1 stream the whole consoles (default: progress lines only)
#   KIND             test (default) or lean: which kernel, initramfs, modules
#   COMPAT_REPORT_ONLY=1  no VM: print the report of the last runs again
# Only the results are compared; the complete output is in the logs.
. "$(dirname "$0")/common.sh"
cd "$TOP"

FULL="ipv4_ping ipv4_tcp ipv4_udp ipv4_bind ipv4_runtime"
SECTIONS=${COMPAT_SECTIONS:-ipv4_ping ipv4_tcp ipv4_udp ipv4_bind}
[ "$SECTIONS" != full ] || SECTIONS=$FULL
RUNS=${COMPAT_RUNS:-without with}
TIMEOUT=${COMPAT_TIMEOUT:-5400}
MEM=${COMPAT_MEM:-2048}
KIND=${KIND:-test}
KERNEL=$BUILD/kernel-$KIND/arch/x86/boot/bzImage
INITRD=$BUILD/initramfs-$KIND.cpio.gz
VMRUN=$TOP/target/release/vmrun
LINUX_SRC=${COMPAT_LINUX_SRC:-$BUILD/linux-src}
ST=$LINUX_SRC/tools/testing/selftests/net
OUT=$BUILD/compat
FILES=$OUT/files
NETTEST=$OUT/nettest
GUEST_LIBS=$BUILD/guest-userland/lib/x86_64-linux-gnu

# 1. The selftest, from the kernel tree, and nettest.
prepare() {
	local f s lib
	for f in "$KERNEL" "$INITRD" "$VMRUN"; do
		[ -f "$f" ] || die "missing $f (make guest KIND=$KIND)"
	done
	for f in fcnal-test.sh lib.sh nettest.c; do
		[ -f "$ST/$f" ] || die "missing $ST/$f (COMPAT_LINUX_SRC=/path/to/linux)"
	done
	for s in $SECTIONS; do
		case "$s" in ipv4 | ipv6 | other) continue ;; esac # fcnal-test.sh's groups
		grep -Eq "^[[:space:]]+([[:alnum:]_]+\|)*$s(\|[[:alnum:]_]+)*\)" "$ST/fcnal-test.sh" ||
			die "COMPAT_SECTIONS: fcnal-test.sh has no section '$s'"
	done
	command -v gcc >/dev/null || die "gcc not found (build-essential)"

	say "compat: fcnal-test.sh and nettest from $(readlink -f "$ST")"
	rm -rf "$FILES"
	mkdir -p "$FILES/selftest/lib/sh"
	install -m 755 "$ST/fcnal-test.sh" "$FILES/selftest/"
	install -m 644 "$ST/lib.sh" "$FILES/selftest/"
	install -m 644 "$ST"/lib/sh/*.sh "$FILES/selftest/lib/sh/"
	if [ ! -x "$NETTEST" ] || [ "$ST/nettest.c" -nt "$NETTEST" ] || [ "$0" -nt "$NETTEST" ]; then
		gcc -O2 -Wall -o "$NETTEST.tmp" "$ST/nettest.c" >"$OUT/nettest-build.log" 2>&1 ||
			{ cat "$OUT/nettest-build.log" >&2; die "building nettest failed"; }
		mv "$NETTEST.tmp" "$NETTEST"
	fi
	# The guest has only the libraries of its own programs: nettest's must be there.
	while read -r lib _; do
		case "$lib" in linux-vdso* | /*) continue ;; esac
		[ -e "$GUEST_LIBS/$lib" ] || die "nettest needs $lib, which the guest does not have"
	done < <(ldd "$NETTEST")
	install -m 755 "$NETTEST" "$FILES/selftest/nettest"
	echo "$SECTIONS" >"$FILES/sections"

	# Both runs must boot the same kernel and modules, even if the build is
	# redone meanwhile: take copies.
	cp "$KERNEL" "$OUT/bzImage"
	cp "$INITRD" "$OUT/initramfs.cpio.gz"
	{
		echo "kernel $(readlink -f "$KERNEL") $(sha256sum <"$OUT/bzImage" | cut -c1-16)"
		echo "initramfs $(readlink -f "$INITRD") $(sha256sum <"$OUT/initramfs.cpio.gz" | cut -c1-16)"
	} >"$OUT/images"
	[ ! "$INITRD" -ot "$KERNEL" ] ||
		warn "$INITRD is older than $KERNEL: are its modules this kernel's? (make guest)"
}

# 2. The runs, one VM each, one after the other.
run_vms() {
	local r t0 what
	local args=(run --kernel "$OUT/bzImage" --initrd "$OUT/initramfs.cpio.gz" --mem "$MEM" --timeout "$TIMEOUT"
		--files "$FILES")
	for r in $RUNS; do
		what="vrctx.ko, dhost.ko unloaded"
		[ "$r" = without ] || what="vrctx.ko, dhost.ko loaded"
		say "compat: run '$r' ($what): sections $SECTIONS"
		echo "$r" >"$FILES/run"
		rm -rf "${OUT:?}/$r"
		mkdir -p "$OUT/$r"
		t0=$(date +%s)
		set +e
		if [ "${COMPAT_VERBOSE:-0}" = 1 ]; then
			"$VMRUN" "${args[@]}" --log-dir "$OUT/$r" qemu-tests/compat/run.sh
			vmst[$r]=$?
		else
			"$VMRUN" "${args[@]}" --log-dir "$OUT/$r" qemu-tests/compat/run.sh |
				grep --line-buffered -E '^\[vm1\] (compat:|FAIL:|vrctx-init: FAILED)'
			vmst[$r]=${PIPESTATUS[0]}
		fi
		set -e
		secs[$r]=$(($(date +%s) - t0))
		echo "${vmst[$r]} ${secs[$r]}" >"$OUT/$r/status"
		echo "compat: run '$r': vmrun status ${vmst[$r]} after ${secs[$r]} s" >&2
	done
}

for r in $RUNS; do
	case "$r" in with | without) ;; *) die "COMPAT_RUNS: unknown run '$r'" ;; esac
done
declare -A vmst=() secs=()
if [ "${COMPAT_REPORT_ONLY:-0}" = 1 ]; then
	for r in $RUNS; do
		[ -f "$OUT/$r/status" ] || die "no run '$r' in $OUT to report on"
		read -r "vmst[$r]" "secs[$r]" <"$OUT/$r/status"
	done
	SECTIONS=$(cat "$FILES/sections")
else
	prepare
	run_vms
fi

# 3. Results. parse LOG RUN > TSV: one line per test,
#    section <TAB> subsection: name[ (#n)] <TAB> OK|FAIL
# and one line per section: section <TAB> @status <TAB> complete|ended early...|missing
parse() {
	awk -v run="$2" -v sections="$SECTIONS" '
	{ sub(/\r$/, "") }
	function trim(s) { sub(/[ \t]+$/, "", s); return s }
	match($0, /@@COMPAT-BEGIN [^ ]+ [^ @]+@@/) {
		split(substr($0, RSTART + 2, RLENGTH - 4), a, " ")
		if (a[2] == run) {
			sec = a[3]; sub_ = "-"; done_ = 0; began[sec] = 1
			okc = failc = 0; sp = sf = -1
		}
		next
	}
	match($0, /@@COMPAT-END [^ ]+ [^ ]+ [0-9]+ [0-9]+@@/) {
		split(substr($0, RSTART + 2, RLENGTH - 4), a, " ")
		if (a[2] == run && a[3] == sec) {
			st = done_ ? "complete" : "ended early (exit " a[4] ")"
			# A TEST line garbled on the console would go unnoticed.
			if (done_ && (sp != okc || sf != failc))
				st = "garbled: its summary says " sp " passed, " sf \
					" failed; parsed " okc " and " failc
			print sec "\t@status\t" st " in " a[5] " s"
			ended[sec] = 1
			sec = ""
		}
		next
	}
	sec == "" { next }
	/^#################################################################$/ { bar = 1; next }
	bar { bar = 0; if ($0 != "") sub_ = $0; next }
	/^Tests passed: *[0-9]+$/ { done_ = 1; sp = $3 + 0; next }
	/^Tests failed: *[0-9]+$/ { sf = $3 + 0; next }
	/^TEST: .*  \[( OK |FAIL)\]$/ {
		name = $0
		sub(/^TEST: /, "", name)
		res = (name ~ /\[FAIL\]$/) ? "FAIL" : "OK"
		if (res == "OK") okc++; else failc++
		sub(/  \[( OK |FAIL)\]$/, "", name)
		key = sub_ ": " trim(name)
		n = ++seen[sec SUBSEP key]
		if (n > 1) key = key " (#" n ")"
		print sec "\t" key "\t" res
	}
	END {
		ns = split(sections, s, " ")
		for (i = 1; i <= ns; i++) {
			if (!began[s[i]]) print s[i] "\t@status\tmissing (never started)"
			else if (!ended[s[i]]) print s[i] "\t@status\tinterrupted (no end marker)"
		}
	}' "$1"
}

# block LOG RUN SECTION KEY: the console lines of that test (from the end
# of the previous test to its result line, plus the "expected rc" line).
block() {
	awk -v run="$2" -v want_sec="$3" -v want="$4" '
	{ sub(/\r$/, "") }
	function trim(s) { sub(/[ \t]+$/, "", s); return s }
	index($0, "@@COMPAT-BEGIN " run " " want_sec "@@") { on = 1; sub_ = "-"; nb = 0; next }
	!on { next }
	index($0, "@@COMPAT-END " run " ") { exit }
	/^#################################################################$/ { bar = 1 }
	bar && !/^#+$/ { bar = 0; if ($0 != "") sub_ = $0 }
	printing {
		if ($0 ~ /^    expected rc/) print "    | " $0
		exit
	}
	{ buf[++nb] = $0 }
	/^TEST: .*  \[( OK |FAIL)\]$/ {
		name = $0
		sub(/^TEST: /, "", name)
		sub(/  \[( OK |FAIL)\]$/, "", name)
		key = sub_ ": " trim(name)
		n = ++seen[key]
		if (n > 1) key = key " (#" n ")"
		if (key == want) {
			for (i = 1; i <= nb; i++) if (buf[i] != "") print "    | " buf[i]
			printing = 1
			next
		}
		nb = 0
	}' "$1"
}

declare -A res=() stat=()
keys=()
for r in $RUNS; do
	log=$OUT/$r/vm1.log
	[ -f "$log" ] || : >"$log"
	parse "$log" "$r" >"$OUT/$r.results"
	while IFS=$'\t' read -r sec key val; do
		if [ "$key" = @status ]; then
			stat[$r/$sec]=$val
			continue
		fi
		[ -n "${res[with/$sec/$key]+x}${res[without/$sec/$key]+x}" ] || keys+=("$sec"$'\t'"$key")
		res[$r/$sec/$key]=$val
	done <"$OUT/$r.results"
done

echo
echo "compat: fcnal-test.sh sections: $SECTIONS"
sed 's/^/  /' "$OUT/images" 2>/dev/null || true
for r in $RUNS; do
	printf '  run %-8s %5d s, vmrun status %s, log %s\n' "$r" "${secs[$r]}" "${vmst[$r]}" \
		"${OUT#"$TOP"/}/$r/vm1.log"
	f=$(tr -d '\r' <"$OUT/$r/vm1.log" | grep -m1 -o 'kernel features: .*' || true)
	[ -z "$f" ] || printf '  run %-8s %s\n' "$r" "$f"
done
f=$(cat "$OUT"/*/vm1.log | tr -d '\r' | grep -o 'kernel features: .*' | sort -u | head -n1 || true)
case "$f" in *vrf=no*) echo "  note: no VRF device (CONFIG_NET_VRF): every section ends at its first 'With VRF' setup" ;; esac
case "$f" in *ipv6=no*) echo "  note: no IPv6: every section ends at its first setup" ;; esac
case "$f" in *cgroup2=no*) echo "  note: no cgroup2 (CONFIG_CGROUPS): 'ip vrf exec' fails, so do the tests using it" ;; esac
case "$f" in *tcp-md5=no*) echo "  note: no CONFIG_TCP_MD5SIG: nettest -M/-X fail, so do the MD5 tests" ;; esac
echo
printf '%-14s' section
for r in $RUNS; do printf ' | %-7s %5s %5s %7s' "$r" pass fail "not run"; done
printf ' | %6s %6s\n' same differ
declare -A cnt=()
diffs=() both_fail=()
for k in "${keys[@]}"; do
	sec=${k%%$'\t'*}
	key=${k#*$'\t'}
	vals=()
	for r in $RUNS; do
		v=${res[$r/$sec/$key]:-}
		case "$v" in
		OK) cnt[$r/$sec/pass]=$((${cnt[$r/$sec/pass]:-0} + 1)) ;;
		FAIL) cnt[$r/$sec/fail]=$((${cnt[$r/$sec/fail]:-0} + 1)) ;;
		*) cnt[$r/$sec/notrun]=$((${cnt[$r/$sec/notrun]:-0} + 1)) v="not run" ;;
		esac
		vals+=("$v")
	done
	same=1
	for v in "${vals[@]}"; do [ "$v" = "${vals[0]}" ] || same=0; done
	if [ $same = 1 ]; then
		cnt[$sec/same]=$((${cnt[$sec/same]:-0} + 1))
		[ "${vals[0]}" != FAIL ] || both_fail+=("$sec: $key")
	else
		cnt[$sec/differ]=$((${cnt[$sec/differ]:-0} + 1))
		diffs+=("$k")
	fi
done
for sec in $SECTIONS; do
	printf '%-14s' "$sec"
	for r in $RUNS; do
		printf ' | %-7s %5d %5d %7d' "" "${cnt[$r/$sec/pass]:-0}" "${cnt[$r/$sec/fail]:-0}" \
			"${cnt[$r/$sec/notrun]:-0}"
	done
	printf ' | %6d %6d\n' "${cnt[$sec/same]:-0}" "${cnt[$sec/differ]:-0}"
done
echo
# last_words LOG RUN SECTION: the last two lines a section printed (not
# counting procps pgrep's warning about lib.sh's pattern), joined.
last_words() {
	awk -v b="@@COMPAT-BEGIN $2 $3@@" -v e="@@COMPAT-END $2 $3 " '
		{ sub(/\r$/, "") }
		index($0, b) { on = 1; n = 0; next }
		on && index($0, e) { exit }
		on && $0 != "" && !/^(pgrep: pattern|Try `pgrep)/ { l[++n] = $0 }
		END { if (n > 1) printf "%s / ", l[n - 1]; if (n) print l[n] }
	' "$1"
}

echo "How each section ended:"
status_differs=0 incomplete=0 early=()
for sec in $SECTIONS; do
	line="  $sec:"
	first=
	for r in $RUNS; do
		s=${stat[$r/$sec]:-missing}
		line+=" $r: $s;"
		s=${s% in * s}
		[ -n "$first" ] || first=$s
		[ "$s" = "$first" ] || status_differs=1
		case "$s" in
		complete) ;;
		missing* | interrupted* | garbled*) incomplete=1 ;;
		*) [[ " ${early[*]} " == *" $sec "* ]] || early+=("$sec") ;;
		esac
	done
	echo "${line%;}"
	[[ " ${early[*]} " == *" $sec "* ]] || continue
	words=()
	for r in $RUNS; do words+=("$(last_words "$OUT/$r/vm1.log" "$r" "$sec")"); done
	if [ "$(printf '%s\n' "${words[@]}" | sort -u | wc -l)" = 1 ]; then
		echo "    stopped (in every run) after: ${words[0]}"
	else
		i=0
		for r in $RUNS; do
			echo "    stopped (run $r) after: ${words[$i]}"
			i=$((i + 1))
		done
	fi
done

if [ ${#both_fail[@]} -gt 0 ]; then
	echo
	echo "Failed in every run (${#both_fail[@]}; not differences):"
	printf '  %s\n' "${both_fail[@]}"
fi

echo
ok=1
if [ ${#diffs[@]} -gt 0 ]; then
	ok=0
	echo "DIFFERENT RESULTS (${#diffs[@]}):"
	for k in "${diffs[@]}"; do
		sec=${k%%$'\t'*}
		key=${k#*$'\t'}
		echo "  $sec: $key"
		for r in $RUNS; do
			echo "   run $r: ${res[$r/$sec/$key]:-not run}"
			block "$OUT/$r/vm1.log" "$r" "$sec" "$key"
		done
	done
	echo
fi
[ $status_differs = 0 ] || { ok=0; echo "compat: sections ended differently in the two runs (above)"; }
[ $incomplete = 0 ] || { ok=0; echo "compat: a section never started, was cut off or could not be read (above)"; }
for r in $RUNS; do
	if [ "${vmst[$r]}" != 0 ]; then
		ok=0
		echo "compat: run '$r': vmrun exited ${vmst[$r]} (kernel problem, timeout or guest script failure); last lines of its console:"
		grep -v '^$' "$OUT/$r/vm1.log" | tail -n 25 | sed 's/^/    | /'
	fi
done
total=${#keys[@]}
if [ $ok = 1 ]; then
	echo "compat: PASS: all $total tests give the same result with and without vrctx.ko/dhost.ko (${#both_fail[@]} fail in both)"
	[ ${#early[@]} = 0 ] ||
		echo "compat: but ${early[*]} ended early, the same way in both runs: the tests after that point did not run"
	exit 0
fi
echo "compat: FAIL: ${#diffs[@]} of $total tests differ between the runs"
exit 1
