# timeout: 300
# Seal, lifecycle: a forced delete leaves nothing of the context usable.
# Red (vred) and blue (vblue) have 10.0.0.1/24 toward peers at 10.0.0.2.
# 13. with live sockets in red (TCP listener, established, bound-only; UDP
#     bound and connected; raw; ping; TCP and UDP never bound), `vrctl
#     delete red --force` aborts them all: blocked calls return ECONNABORTED,
#     every later operation fails, IP_VRCTX reads ENOENT, and nothing leaves
#     vred from them; red's peer gets a reset or silence; blue's connection
#     carries on; red is unlisted; the id is refused while a thread has it
#     ("Threads still have ...") or a never-bound socket of it is open
#     ("Sockets of a context deleted ..."), then accepted, and the new red
#     starts empty and gets none of the old sockets' traffic.
#     Also: /proc/net/vrctx counts every socket created in a context.
. /usr/lib/vrctx/lib.sh

must vrctl create 1 name red
must vrctl create 2 name blue
peer_ns pred vred red 10.0.0.1/24 10.0.0.2/24
peer_ns pblue vblue blue 10.0.0.1/24 10.0.0.2/24
must sysctl -qw net.ipv4.ping_group_range="0 2147483647"
for ns in pred pblue; do
	retry 10 ip netns exec $ns ping -c 1 -W 1 10.0.0.1 >/dev/null ||
		fail "peer $ns cannot reach 10.0.0.1"
done
# ctx_field ID FIELD: a column of /proc/net/vrctx (id name table interfaces
# sockets tasks) for context ID.
ctx_field() {
	awk -v id="$1" -v f="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == id { print $c[f] }' /proc/net/vrctx
}
rm -f /tmp/peer-in /tmp/blue-in /tmp/hold-in
mkfifo /tmp/peer-in /tmp/blue-in /tmp/hold-in
# a reader that died makes writes to its FIFO fail, not end the test
trap '' PIPE

# Red's peer: a TCP server on 7002 that sends what we write to /tmp/peer-in.
ip netns exec pred socat -T 120 TCP-LISTEN:7002,reuseaddr - </tmp/peer-in >/tmp/peer-out 2>&1 &
peer_srv=$!
exec 4>/tmp/peer-in
retry 10 sh -c 'ip netns exec pred ss -ltn | grep -q ":7002 "' || fail "red peer's server"
# Blue: an echo server at blue's peer and a connection from blue to it.
ip netns exec pblue socat TCP-LISTEN:6000,reuseaddr EXEC:cat >/dev/null 2>&1 &
blue_srv=$!
retry 10 sh -c 'ip netns exec pblue ss -ltn | grep -q ":6000 "' || fail "blue peer's server"
vrctl exec blue -- socat -T 120 - TCP:10.0.0.2:6000 </tmp/blue-in >/tmp/blue-out 2>&1 &
blue_cli=$!
exec 5>/tmp/blue-in
echo before >&5
retry 10 grep -q before /tmp/blue-out || fail "blue's connection: $(cat /tmp/blue-out)"

# Red: the sockets, held by one process (commands on /tmp/hold-in).
vrctl exec red -- vrctx-probe seal hold --peer 10.0.0.2 --local 10.0.0.1 </tmp/hold-in >/tmp/hold.out 2>&1 &
holder=$!
exec 3>/tmp/hold-in
retry 15 grep -q -E '^(ready|setup)' /tmp/hold.out
[ "$(head -n 1 /tmp/hold.out)" = ready ] || fail "red's sockets: $(cat /tmp/hold.out)"
# hold CMD: send a command to the holder, wait for its `done CMD`.
hold() {
	echo "$1" >&3
	retry 15 grep -q "^done $1\$" /tmp/hold.out || check_fail "13 holder did not finish '$1': $(tail -n 3 /tmp/hold.out)"
}
# 7 bound/connected/listening sockets + 2 never bound
check_eq "13 /proc/net/vrctx counts red's 9 sockets, bound or not" 9 "$(ctx_field 1 sockets)"
tasks=$(ctx_field 1 tasks)
check_no_match "13 /proc/net/vrctx counts the holder's task(s)" "0" "$tasks"

capture_start /tmp/cap-vred vred -e ip
capture_start /tmp/cap-vblue vblue -e ip and not tcp port 6000
out=$(vrctl delete red --force 2>&1)
check_eq "13 vrctl delete red --force" "" "$out"
echo after-delete >&4 # red's peer writes to its old connection
echo after >&5
retry 10 grep -q after /tmp/blue-out
check_eq "13 blue's connection carries on through the delete" "before after" "$(tr '\n' ' ' </tmp/blue-out | sed 's/ $//')"
hold test
# SOCKET OP WANT (a shell pattern). A thread blocked in accept() wakes with
# EINVAL, as after "ss -K": the listener is no longer listening.
while read -r sock op want; do
	got=$(grep "^$sock $op " /tmp/hold.out | head -n 1)
	check_match "13 $sock $op after the delete" "$sock $op $want" "$got"
done <<'TABLE'
listener accept-pending EINVAL
established recv-pending ECONNABORTED
udp-bound recv-pending ECONNABORTED
listener accept E*
listener listen E*
established send E*
established send-again E*
bound listen E*
bound connect E*
udp-bound send E*
udp-bound send-again E*
udp-conn send E*
udp-conn send-again E*
raw send E*
raw send-again E*
ping send E*
ping send-again E*
listener getsockopt-IP_VRCTX ENOENT
established getsockopt-IP_VRCTX ENOENT
bound getsockopt-IP_VRCTX ENOENT
udp-bound getsockopt-IP_VRCTX ENOENT
udp-conn getsockopt-IP_VRCTX ENOENT
raw getsockopt-IP_VRCTX ENOENT
ping getsockopt-IP_VRCTX ENOENT
unbound-tcp getsockopt-IP_VRCTX ENOENT
unbound-udp getsockopt-IP_VRCTX ENOENT
new-socket inet ENOENT
new-socket inet6 ENOENT
TABLE
check_eq "13 /proc/net/vrctx no longer lists red" "" "$(awk '$1 == 1' /proc/net/vrctx)"
# the peer's connection: reset, or no answer at all (vred has no address)
# (give the peer's data 5 s to be answered by anything but a reset)
retry 5 grep -q 'Flags \[R' /tmp/cap-vred
capture_stop /tmp/cap-vred /tmp/cap-vblue
check_none /tmp/cap-vred "13 after the delete nothing but resets leaves vred from 10.0.0.1" \
	"10\.0\.0\.1(\.[0-9]+)? > [^:]*: (Flags \[[^R]|UDP|ICMP)"
check_none /tmp/cap-vblue "13 nothing of red's sockets on vblue" "10\.0\.0\.1"
echo "peer: $(grep -c 'Flags \[R' /tmp/cap-vred) resets seen; $(ip netns exec pred ss -tn | grep -c ':7002 ') connection(s) left"

echo "== 13: re-creating the id"
out=$(vrctl create 1 name red 2>&1)
check_match "13 re-create while the holder has red as its default" "*Device or resource busy*Threads still have this id*" "$out"
hold leave
check_eq "13 the holder leaves red" "leave ok" "$(grep '^leave ' /tmp/hold.out)"
out=$(vrctl create 1 name red 2>&1)
check_match "13 re-create while a never-bound socket of red is open" \
	"*Device or resource busy*Sockets of a context deleted with this id are still open*" "$out"
hold close-unbound
out=$(vrctl create 1 name red 2>&1)
check_eq "13 re-create once those are gone" "" "$out"
out=$(vrctl -j show red 2>&1)
check_match "13 the new red is empty" '*"interfaces":0,"sockets":0,"tasks":0*' "$(echo "$out" | tr -d ' ')"
# The old UDP socket was bound to 10.0.0.1:7004 in red; the new red gets a
# datagram there.
must vrctl assign vred red
must ip addr add 10.0.0.1/24 dev vred
must ip link set vred up
retry 10 ip netns exec pred ping -c 1 -W 1 10.0.0.1 >/dev/null || check_fail "13 new red unreachable"
capture_start /tmp/cap-vred vred -e udp port 7004 or icmp
echo to-new-red | ip netns exec pred socat - UDP:10.0.0.1:7004 2>/dev/null
hold "recv 2000"
capture_stop /tmp/cap-vred
check_eq "13 the old UDP socket gets nothing in the new red" "udp-bound recv nothing" "$(grep '^udp-bound recv ' /tmp/hold.out)"
check_some /tmp/cap-vred "13 the datagram reached the new red (control)" "10\.0\.0\.2\.[0-9]+ > 10\.0\.0\.1\.7004: "
check_some /tmp/cap-vred "13 the new red answers it as unbound" "10\.0\.0\.1 > 10\.0\.0\.2: ICMP 10\.0\.0\.1 udp port 7004 unreachable"
# The old TCP sockets were on 10.0.0.1:7001 (listener) and :7003 (bound):
# whatever was done to them, the new red's peer must not reach them.
for port in 7001 7003; do
	out=$(ip netns exec pred vrctx-probe seal connect 10.0.0.1 $port --timeout 3)
	check_eq "13 new red's peer cannot reach old red's TCP socket on :$port" "ECONNREFUSED (connect)" "$out"
done
hold exit
exec 3>&- 4>&- 5>&-
stop $holder $peer_srv $blue_cli $blue_srv
summary
