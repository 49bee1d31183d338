# timeout: 300
# Seal, listing cost: with 500 contexts and 6000 sockets, listing
# contexts (/proc/net/vrctx, `vrctl -j list`) stays quick (< 2 s in the TCG
# guest), also for an unprivileged reader.
# 14. listing 500 contexts: quick, complete, readable by nobody.
# Also the `sockets` column: every IPv4/IPv6 socket created in (or moved
# to) a context counts, bound or not; in context 0 only hashed ones.
. /usr/lib/vrctx/lib.sh

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
	grep -q '^open' /tmp/many-$_c.out || check_fail "14 sockets ($*) in context $_c: $(cat /tmp/many-$_c.out)"
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
	grep -q '^open' $f || fail "3000 sockets: $(cat $f)"
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
		check_pass "14 $who: $cmd takes $ms ms (< 2000)"
	else
		check_fail "14 $who: $cmd: expected < 2000 ms, took $ms ms"
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
