# The modules' KUnit suites ran at load time and passed.
. /usr/lib/vrctx/lib.sh
k=/sys/kernel/debug/kunit
[ -d $k ] || fail "no $k (KUnit debugfs missing)"
for suite in vrctx_registry dhost_ports; do
	r=$k/$suite/results
	[ -f $r ] || fail "suite $suite did not run (have: $(ls $k | tr '\n' ' '))"
	cat $r
	grep -q 'not ok' $r && fail "suite $suite has failures"
	grep -Eq "^ok [0-9]+ $suite" $r || fail "suite $suite did not report ok"
	n=$(grep -Ec '^    ok [0-9]+ ' $r)
	[ "$n" -ge 2 ] || fail "suite $suite ran only $n tests"
done
echo "KUnit suites passed"
