# timeout: 300
# Lifecycle: a context in use cannot be deleted (EBUSY) unless forced; a
# forced delete under a ping flood and a TCP stream neither hangs nor warns,
# and returns the interfaces to context 0 without addresses; its id is not
# reused while a process still has it; create/delete 1050 times leaks nothing.
fail() {
	echo "FAIL: $*"
	exit 1
}
vrctl create 1 name red || fail create
ip netns add peer
ip link add va type veth peer name va-p
ip link set va-p netns peer
vrctl assign va red || fail assign
ip addr add 10.0.0.1/24 dev va
ip link set va up
ip -n peer addr add 10.0.0.2/24 dev va-p
ip -n peer link set va-p up
ip -n peer link set lo up
out=$(vrctl delete red 2>&1) && fail "deleted a context with an interface"
echo "$out" | grep -q busy || fail "delete with an interface: $out"
grep -q '^1 red 2147483649 1 ' /proc/net/vrctx || fail "/proc/net/vrctx: $(cat /proc/net/vrctx)"

# A listener in the context: one socket, one task.
vrctl exec red -- socat TCP-LISTEN:8080 - >/dev/null 2>&1 &
listener=$!
sleep 2
grep -q '^1 red 2147483649 1 1 1$' /proc/net/vrctx || fail "counts with a listener: $(cat /proc/net/vrctx)"

# Traffic through the context: a ping flood from the peer and a TCP stream
# from a process in the context to a server in the peer.
ip netns exec peer iperf3 -s -1 -D -B 10.0.0.2 >/dev/null 2>&1
sleep 1
vrctl exec red -- iperf3 -c 10.0.0.2 -t 20 >/tmp/iperf.log 2>&1 &
client=$!
ip netns exec peer ping -i 0.01 -W 1 10.0.0.1 >/dev/null 2>&1 &
flood=$!
sleep 4
vrctl delete red --force || fail "forced delete"
sleep 3
# The context's sockets were aborted: the stream and the listener end.
kill -0 $client 2>/dev/null && fail "the TCP stream survived the forced delete"
kill -0 $listener 2>/dev/null && fail "the listener survived the forced delete"
kill $flood 2>/dev/null
wait $flood $client $listener 2>/dev/null
tail -n 3 /tmp/iperf.log
grep -q 'Connecting to host 10.0.0.2' /tmp/iperf.log || fail "the TCP stream never started: $(cat /tmp/iperf.log)"
ip -4 addr show dev va | grep -q inet && fail "va kept an address: $(ip -4 addr show dev va)"
ip link show va >/dev/null || fail "va is gone"
grep -q '^1 ' /proc/net/vrctx && fail "red still listed"
ip route show table 2147483649 2>/dev/null | grep -q . && fail "red's table still has routes"
# va is back in context 0: an address there routes in main.
ip addr add 10.0.0.1/24 dev va
ip route show table main | grep -q '10.0.0.0/24 dev va' || fail "va not back in context 0"
ping -c 1 -W 2 10.0.0.2 >/dev/null || fail "context 0 cannot use va"
ip addr flush dev va

# A process keeps the id from being reused after a forced delete, and
# gets no new sockets.
vrctl create 3 || fail "create 3"
vrctl exec 3 -- sh -c 'sleep 3; echo x | socat - UDP:127.0.0.1:9 2>&1; sleep 30' >/tmp/orphan.log 2>&1 &
orphan=$!
sleep 1
vrctl delete 3 --force || fail "forced delete of 3"
out=$(vrctl create 3 2>&1) && fail "id 3 reused while a process has it"
echo "$out" | grep -q busy || fail "create 3: $out"
sleep 4
grep -q 'No such file' /tmp/orphan.log || fail "orphan got a socket: $(cat /tmp/orphan.log)"
kill $orphan
wait $orphan 2>/dev/null
vrctl create 3 || fail "id 3 not reusable after the process left"
vrctl delete 3 || fail "delete 3"

# 1050 create/delete cycles leak nothing.
km=/sys/kernel/debug/kmemleak
[ -f $km ] || fail "no kmemleak"
echo scan >$km
echo clear >$km
before=$(awk '/^Slab:/ {print $2}' /proc/meminfo)
# 1000 cycles over one netlink socket (a process per request is slow under
# TCG), then 50 more through vrctl itself.
out=$(vrctx-probe cycle 1000 77 loop)
[ "$out" = ok ] || fail "1000 create/delete cycles: $out"
i=0
while [ $i -lt 50 ]; do
	vrctl create 77 name loop || fail "create (cycle $i)"
	vrctl delete loop || fail "delete (cycle $i)"
	i=$((i + 1))
done
after=$(awk '/^Slab:/ {print $2}' /proc/meminfo)
echo "slab: $before kB before, $after kB after"
[ $((after - before)) -lt 512 ] || fail "slab grew by $((after - before)) kB over 1050 cycles"
vrctl list | grep -q loop && fail "the loop context is still there"
echo scan >$km
sleep 1
echo scan >$km
if grep -q 'unreferenced object' $km; then
	cat $km
	fail "kmemleak reports leaks"
fi
echo "lifecycle ok"
