# timeout: 300
# Lifecycle: a context in use cannot be deleted (EBUSY) unless forced; a
# forced delete under a ping flood and a TCP stream neither hangs nor warns,
# and returns the interfaces to context 0 without addresses; its id is not
# reused while a process still has it; 60 create/delete cycles leak nothing
# (the 1050-cycle soak is qemu-tests/soak/10-ctx-cycles.sh).
. /usr/lib/vrctx/lib.sh
must vrctl create 1 name red
peer_ns peer va red 10.0.0.1/24 10.0.0.2/24
expect 2 'delete context red: Device or resource busy: Context in use' vrctl delete red
grep -q '^1 red 2147483649 1 ' /proc/net/vrctx || fail "/proc/net/vrctx: $(cat /proc/net/vrctx)"

# /proc/net/vrctx shows red's counts "interfaces sockets tasks".
red_counts() {
	grep -qx "1 red 2147483649 $1" /proc/net/vrctx
}
# A listener in the context: one socket, one task.
vrctl exec red -- socat TCP-LISTEN:8080 - >/dev/null 2>&1 &
listener=$!
wait_for 10 red_counts '1 1 1'

# Traffic through the context: a ping flood from the peer and a TCP stream
# from a process in the context to a server in the peer.
iperf_server_up() {
	ip netns exec peer ss -Hltn | grep -q '10.0.0.2:5201 '
}
must ip netns exec peer iperf3 -s -1 -D -B 10.0.0.2
wait_for 10 iperf_server_up
vrctl exec red -- iperf3 -c 10.0.0.2 -t 20 --forceflush >/tmp/iperf.log 2>&1 &
client=$!
dump_on_fail /tmp/iperf.log
ip netns exec peer ping -i 0.01 -W 1 10.0.0.1 >/dev/null 2>&1 &
flood=$!
# The stream has reported its first second.
wait_for 15 grep -q ' 0\.00-[0-9.]* *sec ' /tmp/iperf.log
alive $flood || fail "the ping flood is not running"
must vrctl delete red --force
# The context's sockets were aborted: the stream and the listener end.
retry 10 gone $client || fail "the TCP stream survived the forced delete"
retry 10 gone $listener || fail "the listener survived the forced delete"
kill $flood
wait_pid 5 $flood $client $listener
tail -n 3 /tmp/iperf.log
grep -q 'Connecting to host 10.0.0.2' /tmp/iperf.log || fail "the TCP stream never started"
expect_not inet ip -4 addr show dev va
grep -q '^1 ' /proc/net/vrctx && fail "red still listed"
no_routes 2147483649 || fail "red's table still has routes: $OUT"
# va is back in context 0: an address there routes in main.
must ip addr add 10.0.0.1/24 dev va
expect 0 '10.0.0.0/24 dev va' ip route show table main
must ping -c 1 -W 2 10.0.0.2
must ip addr flush dev va

# A process keeps the id from being reused after a forced delete, and
# gets no new sockets: it opens one only once /tmp/go exists.
must vrctl create 3
rm -f /tmp/go
vrctl exec 3 -- sh -c '. /usr/lib/vrctx/lib.sh; wait_for 30 test -e /tmp/go
	echo x | socat - UDP:127.0.0.1:9; echo done; exec sleep 60' >/tmp/orphan.log 2>&1 &
orphan=$!
dump_on_fail /tmp/orphan.log
wait_for 10 comm_is $orphan sh
must vrctl delete 3 --force
expect 2 'create context 3: Device or resource busy' vrctl create 3
must touch /tmp/go
wait_for 30 grep -qx done /tmp/orphan.log
grep -q 'No such file' /tmp/orphan.log || fail "the orphan got a socket"
kill $orphan
wait_pid 5 $orphan
must vrctl create 3
must vrctl delete 3

# Create/delete cycles leak nothing: 50 over one netlink socket, 10 through
# vrctl itself.
leak_baseline
ctx_cycles 50 10 77 loop
leak_check 512 "60 create/delete cycles"
expect_not loop vrctl list
echo "lifecycle ok"
