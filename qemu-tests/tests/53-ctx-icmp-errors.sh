# timeout: 180
# ICMP errors reach only the socket, and change only the route cache, of
# the context they belong to. Contexts red and blue and context 0 each
# have 10.0.0.1/24 toward their own peer namespace at 10.0.0.2 (pred,
# pblue, pzero), and one connected UDP socket with the same 4-tuple
# 10.0.0.1:5300 -> 10.0.0.2:5400 (IP_PMTUDISC_DO, IP_RECVERR; all held by
# one `vrctx-probe icmp hold`). Each peer in turn sends a crafted ICMP
# error quoting that datagram (`vrctx-probe icmp send`, raw socket):
# "fragmentation needed, MTU 1280" from pred, "port unreachable" from
# pblue, "fragmentation needed, MTU 1400" from pzero; then pblue's
# "fragmentation needed, MTU 1300" for a flow no socket has (to 10.0.0.3).
# After each, only its own context's socket has the error queued and the
# new IP_MTU, only its own table's route cache holds the PMTU, and large
# sends fail with EMSGSIZE only where the PMTU shrank. Every check runs;
# the test fails at the end if any did.
. /usr/lib/vrctx/lib.sh

FLOW=10.0.0.1:5300,10.0.0.2:5400
RED_T=0x80000001
BLUE_T=0x80000002

two_contexts
peer_ns pzero vzero 0 10.0.0.1/24 10.0.0.2/24 10.0.0.1
# Neighbours resolved both ways before anything is measured.
for p in pred pblue pzero; do
	must ip netns exec $p ping -c 1 -W 2 10.0.0.1
done

rm -f /tmp/icmp-in /tmp/icmp.out
mkfifo /tmp/icmp-in
dump_on_fail /tmp/icmp.out
vrctx-probe icmp hold --flow $FLOW 1 2 0 </tmp/icmp-in >/tmp/icmp.out 2>&1 &
holder=$!
exec 4>/tmp/icmp-in
wait_for 10 grep -q -E '^(ready|setup)' /tmp/icmp.out
[ "$(head -n 1 /tmp/icmp.out)" = ready ] || fail "the sockets: $(cat /tmp/icmp.out)"

# hold CMD...: run CMD in the holder; its answer (without the tag) in $ANS.
n=0
hold() {
	n=$((n + 1))
	echo "$n $*" >&4
	retry 15 grep -q "^$n done\$" /tmp/icmp.out ||
		fail "the holder did not finish '$*': $(tail -n 3 /tmp/icmp.out)"
	ANS=$(grep "^$n " /tmp/icmp.out | grep -v "^$n done\$" | sed "s/^$n //")
}
# sock CTX: the state line of context CTX's socket in $ANS.
sock() {
	echo "$ANS" | grep "^ctx $1 "
}
# cache TABLE: the route cache (PMTU exceptions) of TABLE, on one line.
cache() {
	ip route show cache table "$1" 2>&1 | tr '\n' ' '
}
# send PEER KIND [MTU [FLOW]]: PEER sends an ICMP error about FLOW (default
# the sockets' flow) to 10.0.0.1.
send() {
	run ip netns exec "$1" vrctx-probe icmp send --to 10.0.0.1 --kind "$2" \
		${3:+--mtu "$3"} --flow "${4:-$FLOW}"
	check_eq "$1 sends the crafted ICMP $2${3:+ $3}${4:+ about $4}" ok "$OUT"
}
ICMP_FRAG='EMSGSIZE(icmp 3/4 info'
ICMP_PORT='ECONNREFUSED(icmp 3/3 info 0 from 10.0.0.2)'

echo "== before any ICMP error"
hold state
for c in 1 2 0; do
	check_eq "context $c: path MTU 1500, nothing queued" "ctx $c mtu 1500 errors -" "$(sock $c)"
done

echo "== pred: fragmentation needed, MTU 1280"
send pred frag 1280
hold wait 1 5
check_eq "red's socket gets the error" "ctx 1 wait ok" "$ANS"
hold state
check_eq "red: path MTU 1280, EMSGSIZE queued" \
	"ctx 1 mtu 1280 errors $ICMP_FRAG 1280 from 10.0.0.2)" "$(sock 1)"
check_eq "blue: untouched" "ctx 2 mtu 1500 errors -" "$(sock 2)"
check_eq "context 0: untouched" "ctx 0 mtu 1500 errors -" "$(sock 0)"
check_match "red's table caches MTU 1280 toward 10.0.0.2" "*10.0.0.2 dev vred*mtu 1280*" "$(cache $RED_T)"
check_no_match "blue's table caches no MTU" "*mtu*" "$(cache $BLUE_T)"
check_no_match "main caches no MTU" "*mtu*" "$(cache main)"

echo "== pblue: port unreachable"
send pblue port
hold wait 2 5
check_eq "blue's socket gets the error" "ctx 2 wait ok" "$ANS"
hold state
check_eq "red: nothing more queued, MTU still 1280" "ctx 1 mtu 1280 errors -" "$(sock 1)"
check_eq "blue: ECONNREFUSED queued, MTU still 1500" "ctx 2 mtu 1500 errors $ICMP_PORT" "$(sock 2)"
check_eq "context 0: untouched" "ctx 0 mtu 1500 errors -" "$(sock 0)"

echo "== pzero: fragmentation needed, MTU 1400"
send pzero frag 1400
hold wait 0 5
check_eq "context 0's socket gets the error" "ctx 0 wait ok" "$ANS"
hold state
check_eq "red: untouched, MTU still 1280" "ctx 1 mtu 1280 errors -" "$(sock 1)"
check_eq "blue: untouched, MTU still 1500" "ctx 2 mtu 1500 errors -" "$(sock 2)"
check_eq "context 0: path MTU 1400, EMSGSIZE queued" \
	"ctx 0 mtu 1400 errors $ICMP_FRAG 1400 from 10.0.0.2)" "$(sock 0)"
check_match "main caches MTU 1400 toward 10.0.0.2" "*10.0.0.2 dev vzero*mtu 1400*" "$(cache main)"
check_match "red's table still caches MTU 1280" "*10.0.0.2 dev vred*mtu 1280*" "$(cache $RED_T)"
check_no_match "blue's table still caches no MTU" "*mtu*" "$(cache $BLUE_T)"

# No socket has the flow 10.0.0.1:5300 -> 10.0.0.3:5400: the PMTU still
# goes only to the route cache of the context the ICMP arrived in (blue's).
# A route dump shows only exceptions that a route was made from, and `ip
# route get` asks context 0 only: new sockets toward 10.0.0.3 in each
# context read it instead (`vrctx-probe icmp mtu`, IP_MTU after connect).
echo "== pblue: fragmentation needed, MTU 1300, for a flow without a socket"
send pblue frag 1300 10.0.0.1:5300,10.0.0.3:5400
MTU3="vrctx-probe icmp mtu --flow 10.0.0.1:5301,10.0.0.3:5400"
blue_has_1300() {
	[ "$($MTU3 2)" = "ctx 2 mtu 1300" ]
}
retry 5 blue_has_1300 # the checks below say if it never came
ANS=$($MTU3 1 2 0 2>&1)
check_eq "red's route toward 10.0.0.3: MTU 1500" "ctx 1 mtu 1500" "$(sock 1)"
check_eq "blue's route toward 10.0.0.3: MTU 1300" "ctx 2 mtu 1300" "$(sock 2)"
check_eq "context 0's route toward 10.0.0.3: MTU 1500" "ctx 0 mtu 1500" "$(sock 0)"
check_no_match "ip route get 10.0.0.3 (context 0): no MTU" "*mtu*" "$(ip route get 10.0.0.3 2>&1 | tr "\n" " ")"
check_match "ip route get 10.0.0.2 (context 0): MTU 1400 from pzero" "*dev vzero*mtu 1400*" "$(ip route get 10.0.0.2 2>&1)"
hold state
for c in 1 2 0; do
	check_match "context $c's held socket: nothing queued" "ctx $c mtu * errors -" "$(sock $c)"
done

# The PMTU each socket now has decides what it can send with DF: 1300
# bytes of payload (1328 on the wire) are too big for red only.
echo "== 1300-byte datagrams"
hold send 1300
check_eq "red cannot send 1328 bytes (PMTU 1280)" "ctx 1 send 1300 EMSGSIZE" "$(sock 1)"
check_eq "blue can (PMTU 1500)" "ctx 2 send 1300 ok" "$(sock 2)"
check_eq "context 0 can (PMTU 1400)" "ctx 0 send 1300 ok" "$(sock 0)"

exec 4>&-
wait_pid 10 $holder
summary
