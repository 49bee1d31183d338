# The modules' KUnit suites ran at load time and passed, and so did the
# suites of the kernel crate's networking abstractions the series adds
# (at boot). SUITE:N: the suite runs at least N tests.
. /usr/lib/vrctx/lib.sh
k=/sys/kernel/debug/kunit
[ -d $k ] || fail "no $k (KUnit debugfs missing)"
for s in vrctx_registry:2 dhost_ports:2 dhost_hooks:2 rust_netlink_attr:3 \
	rust_netfilter:1 rust_netfilter_packet:7; do
	suite=${s%:*}
	r=$k/$suite/results
	[ -f $r ] || fail "suite $suite did not run (have: $(ls $k | tr '\n' ' '))"
	cat $r
	grep -q 'not ok' $r && fail "suite $suite has failures"
	grep -Eq "^ok [0-9]+ $suite" $r || fail "suite $suite did not report ok"
	n=$(grep -Ec '^    ok [0-9]+ ' $r)
	[ "$n" -ge "${s#*:}" ] || fail "suite $suite ran only $n tests"
done
echo "KUnit suites passed"
