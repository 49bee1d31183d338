# timeout: 240
# The leak matrix: nothing crosses between contexts. Contexts red (1) and
# blue (2) each own 10.0.0.1/24 on a veth toward a peer namespace (pred,
# pblue) at 10.0.0.2; context 0 owns 10.9.0.1/24 toward pzero (10.9.0.2).
# vrctx-probe runs the table below in one process: every row creates its
# servers in contexts (IP_VRCTX before bind), clients in a context or in a
# peer namespace, and checks which server answered (or which errno each
# client got) and that every other server received nothing. Beyond the
# protocol x server set x client x address grid: the same 4-tuple in two
# contexts at once (established and TIME_WAIT), ICMP errors for twin
# sockets, interleaved IP fragments with one IP id, SO_BINDTODEVICE to
# another context's interface, multicast joins by address. The TCP rows
# run a second time with tcp_syncookies=2. Each row prints inputs,
# expected, got and PASS/FAIL; the test fails if any row does.
. /usr/lib/vrctx/lib.sh

must vrctl create 1 name red
must vrctl create 2 name blue
peer() { # NETNS IF CTX ADDR/LEN PEERADDR/LEN GATEWAY
	peer_ns "$@"
	# Peer clients of the raw rows ping with ping sockets; the peers'
	# port unreachables are not rate limited either (see below).
	must ip netns exec $1 sh -c 'echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range
		echo 0 >/proc/sys/net/ipv4/icmp_ratemask'
}
peer pred vred red 10.0.0.1/24 10.0.0.2/24 10.0.0.1
peer pblue vblue blue 10.0.0.1/24 10.0.0.2/24 10.0.0.1
peer pzero vzero 0 10.9.0.1/24 10.9.0.2/24 10.9.0.1
echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range
# ICMP rate limits are kept per destination address and context; no rate
# limit at all here, so that every "refused" row is deterministic however
# fast the rows run.
echo 0 >/proc/sys/net/ipv4/icmp_ratemask
echo 1 >/proc/sys/net/ipv4/tcp_syncookies
ip -br addr
# The topology itself works (and ARP is resolved before the first row).
for p in pred pblue; do
	ip netns exec $p ping -c 1 -W 2 10.0.0.1 >/dev/null || fail "$p cannot ping 10.0.0.1"
done
ip netns exec pzero ping -c 1 -W 2 10.9.0.1 >/dev/null || fail "pzero cannot ping 10.9.0.1"

# The table (format: qemu-tests/probe/src/matrix/table.rs). Server tokens:
# NAME = bound to DST in context NAME, NAME* = 0.0.0.0 (a raw one unbound),
# NAME6 = [::] dual stack; each answers with its token. A row names at most
# one server per context (a wildcard and an address conflict within one
# context, as in stock Linux). The client's socket comes first, then the
# servers in the listed order: the one that must answer is listed first, so
# a lookup that ignored contexts would meet a later (newer) one first.
cat >/tmp/matrix.tab <<'EOF'
ctx red  1 vred
ctx blue 2 vblue
ctx zero 0 vzero

# proto   client dst        servers            expect        [seen]
# TCP and connected UDP to 10.0.0.1 from red's peer: only red's server
# answers; without one, red itself refuses (RST, ICMP port unreachable)
tcp,udp   pred   10.0.0.1   red                red
tcp,udp   pred   10.0.0.1   red,blue,zero*     red
tcp,udp   pred   10.0.0.1   red*,blue*,zero6   red*
tcp,udp   pred   10.0.0.1   blue               ECONNREFUSED
tcp,udp   pred   10.0.0.1   blue*              ECONNREFUSED
tcp,udp   pred   10.0.0.1   zero*              ECONNREFUSED
tcp,udp   pred   10.0.0.1   zero6              ECONNREFUSED
tcp,udp   pred   10.0.0.1   -                  ECONNREFUSED
# the same from blue's peer
tcp,udp   pblue  10.0.0.1   blue               blue
tcp,udp   pblue  10.0.0.1   blue,red,zero*     blue
tcp,udp   pblue  10.0.0.1   blue*,red*,zero6   blue*
tcp,udp   pblue  10.0.0.1   red                ECONNREFUSED
tcp,udp   pblue  10.0.0.1   red*               ECONNREFUSED
tcp,udp   pblue  10.0.0.1   zero*              ECONNREFUSED
tcp,udp   pblue  10.0.0.1   zero6              ECONNREFUSED
tcp,udp   pblue  10.0.0.1   -                  ECONNREFUSED
# local processes in red and blue to their own 10.0.0.1 (through lo)
tcp,udp   red    10.0.0.1   red                red
tcp,udp   red    10.0.0.1   red,blue,zero*     red
tcp,udp   red    10.0.0.1   red*,blue*,zero6   red*
tcp,udp   red    10.0.0.1   blue               ECONNREFUSED
tcp,udp   red    10.0.0.1   blue*,zero*        ECONNREFUSED
tcp,udp   red    10.0.0.1   zero6              ECONNREFUSED
tcp,udp   red    10.0.0.1   -                  ECONNREFUSED
tcp,udp   blue   10.0.0.1   blue,red,zero*     blue
tcp,udp   blue   10.0.0.1   blue*,red*,zero6   blue*
tcp,udp   blue   10.0.0.1   red,zero6          ECONNREFUSED
tcp,udp   blue   10.0.0.1   red*,zero*         ECONNREFUSED
# 127.0.0.1 is private to each context
tcp,udp   red    127.0.0.1  red                red
tcp,udp   red    127.0.0.1  red,blue,zero      red
tcp,udp   red    127.0.0.1  red*,blue*,zero6   red*
tcp,udp   red    127.0.0.1  blue,zero          ECONNREFUSED
tcp,udp   red    127.0.0.1  blue*,zero*        ECONNREFUSED
tcp,udp   red    127.0.0.1  zero6              ECONNREFUSED
tcp,udp   red    127.0.0.1  -                  ECONNREFUSED
tcp,udp   blue   127.0.0.1  blue,red,zero      blue
tcp,udp   blue   127.0.0.1  blue*,red*,zero6   blue*
tcp,udp   blue   127.0.0.1  red,zero           ECONNREFUSED
tcp,udp   blue   127.0.0.1  red*,zero6         ECONNREFUSED
tcp,udp   zero   127.0.0.1  zero               zero
tcp,udp   zero   127.0.0.1  zero,red,blue      zero
tcp,udp   zero   127.0.0.1  zero6,red*,blue*   zero6
tcp,udp   zero   127.0.0.1  red,blue           ECONNREFUSED
tcp,udp   zero   127.0.0.1  red*,blue*         ECONNREFUSED
tcp,udp   zero   127.0.0.1  -                  ECONNREFUSED
# context 0 has no route to the contexts' network, nor they to 0's
tcp,udp   zero   10.0.0.1   red,blue,zero*     ENETUNREACH
tcp,udp   zero   10.0.0.1   zero6              ENETUNREACH
tcp,udp   red    10.9.0.1   zero,red*          ENETUNREACH
tcp,udp   blue   10.9.0.1   zero,blue*         ENETUNREACH
# context 0's own network: its peer reaches context 0's servers only
tcp,udp   pzero  10.9.0.1   zero               zero
tcp,udp   pzero  10.9.0.1   zero,red*,blue*    zero
tcp,udp   pzero  10.9.0.1   zero6,red*,blue*   zero6
tcp,udp   pzero  10.9.0.1   red*,blue*         ECONNREFUSED
tcp,udp   pzero  10.9.0.1   -                  ECONNREFUSED
# dual-stack [::] sockets in a context (what an unmodified dual-stack
# program started with vrctl exec gets): their IPv4 is that context's
tcp,udp   pred   10.0.0.1   red6,blue6,zero*   red6
tcp,udp   pblue  10.0.0.1   blue6,red6         blue6
tcp,udp   red    127.0.0.1  red6,blue6,zero    red6
tcp,udp   zero   127.0.0.1  red6,blue6         ECONNREFUSED
tcp,udp   pzero  10.9.0.1   red6,blue6         ECONNREFUSED

# UDP broadcast from a peer: only sockets of the peer's context (bound to
# the broadcast address or 0.0.0.0) get it; the servers answer unicast
bcast     pred   10.0.0.255 red                red
bcast     pred   10.0.0.255 red*               red*
bcast     pred   10.0.0.255 red,blue,zero*     red
bcast     pred   10.0.0.255 red*,blue*,zero6   red*
bcast     pred   10.0.0.255 blue               ETIMEDOUT
bcast     pred   10.0.0.255 blue*              ETIMEDOUT
bcast     pred   10.0.0.255 zero*              ETIMEDOUT
bcast     pred   10.0.0.255 zero6              ETIMEDOUT
bcast     pred   10.0.0.255 -                  ETIMEDOUT
bcast     pblue  10.0.0.255 blue,red,zero*     blue
bcast     pblue  10.0.0.255 blue*,red*,zero6   blue*
bcast     pblue  10.0.0.255 red*,zero*         ETIMEDOUT
bcast     pzero  10.9.0.255 zero*,red*,blue*   zero*
bcast     pzero  10.9.0.255 red*,blue*         ETIMEDOUT
# a local broadcast loops back in the sender's context only
bcast     red    10.0.0.255 red*,blue*,zero*   red*
bcast     red    10.0.0.255 blue*,zero6        ETIMEDOUT
bcast     zero   10.9.0.255 zero*,red*,blue*   zero*
# the limited broadcast 255.255.255.255 too (routed by no table at all)
bcast     pred   255.255.255.255 red*,blue*,zero*   red*
bcast     pblue  255.255.255.255 blue*,red*,zero6   blue*
bcast     pred   255.255.255.255 blue*,zero*        ETIMEDOUT

# UDP multicast to 239.1.1.1: servers join it on their own context's
# interface; only the sender's context's members get it
mcast     pred   239.1.1.1  red                red
mcast     pred   239.1.1.1  red*               red*
mcast     pred   239.1.1.1  red,blue           red
mcast     pred   239.1.1.1  red,blue*,zero*    red
mcast     pred   239.1.1.1  red*,zero6         red*
mcast     pred   239.1.1.1  blue,zero*         ETIMEDOUT
mcast     pred   239.1.1.1  -                  ETIMEDOUT
mcast     pblue  239.1.1.1  blue,red*,zero*    blue
mcast     pblue  239.1.1.1  blue*,zero6        blue*
mcast     pzero  239.1.1.1  zero,red*,blue*    zero
# multicast loop: a local sender's copy stays in its context
mcast     red    239.1.1.1  red,blue*,zero*    red
mcast     red    239.1.1.1  red*,zero6         red*
mcast     zero   239.1.1.1  zero,red*,blue*    zero
mcast     zero   239.1.1.1  red,blue           ETIMEDOUT

# Raw ICMP sockets (NAME* unbound, NAME bound to DST) see the echo requests
# of their own context only; the client, a ping socket, gets the kernel's
# echo reply from its own context either way
raw       pred   10.0.0.1   red*,blue*,zero*   reply         red*
raw       pred   10.0.0.1   red,blue           reply         red
raw       pred   10.0.0.1   blue*,zero*        reply         -
raw       pblue  10.0.0.1   blue*,red*,zero*   reply         blue*
raw       pblue  10.0.0.1   blue,red           reply         blue
raw       red    10.0.0.1   red*,blue*,zero*   reply         red*
raw       red    127.0.0.1  red*,blue*,zero*   reply         red*
raw       red    127.0.0.1  red,blue,zero      reply         red
raw       blue   127.0.0.1  blue*,red*,zero*   reply         blue*
raw       zero   127.0.0.1  zero*,red*,blue*   reply         zero*
raw       zero   127.0.0.1  zero,red,blue      reply         zero
raw       pzero  10.9.0.1   zero*,red*,blue*   reply         zero*
raw       zero   10.0.0.1   red*,zero*         ENETUNREACH

# Ping sockets: the echo reply comes back to the client, never to a ping
# socket of another context bound to the same ident (the decoys)
ping      red    10.0.0.2   -                  reply
ping      red    10.0.0.2   blue*,zero*        reply
ping      blue   10.0.0.2   red*,zero*         reply
ping      red    10.0.0.1   blue*,zero*        reply
ping      red    10.0.0.1   blue               reply
ping      red    127.0.0.1  blue*,zero*        reply
ping      blue   127.0.0.1  red*,zero*         reply
ping      zero   127.0.0.1  red*,blue*         reply
ping      zero   10.9.0.2   red*,blue*         reply
ping      zero   10.0.0.2   -                  ENETUNREACH
ping      red    10.9.0.2   -                  ENETUNREACH

# The same 4-tuple in two contexts at once: both peers are 10.0.0.2, so
# pred and pblue connect from the same source port (as do local clients
# in red and blue). The first connection stays open, or with ! the server
# closes it first (its side in TIME_WAIT), when the second one starts.
tcp,udp   pred@4000+pblue@4000   10.0.0.1   red,blue     red/blue
tcp,udp   pblue@4001+pred@4001   10.0.0.1   red,blue     blue/red
tcp       pred@4002!+pblue@4002  10.0.0.1   red,blue     red/blue
tcp       pblue@4003!+pred@4003  10.0.0.1   red,blue     blue/red
tcp       pred@4004+pblue@4004   10.0.0.1   red          red/ECONNREFUSED
tcp       pred@4005!+pblue@4005  10.0.0.1   red          red/ECONNREFUSED
tcp,udp   red@4006+blue@4006     10.0.0.1   red,blue     red/blue
tcp,udp   red@4007+blue@4007     127.0.0.1  red,blue     red/blue
tcp       red@4008!+blue@4008    127.0.0.1  red,blue     red/blue
tcp       red@4009+blue@4009     127.0.0.1  red          red/ECONNREFUSED
tcp       red@4010!+blue@4010    127.0.0.1  red          red/ECONNREFUSED
ping      red+blue               127.0.0.1  -            reply/reply
ping      red+blue               10.0.0.2   -            reply/reply

# ICMP errors reach the socket of their own context: twin UDP sockets,
# connected from the same port to the same address and port before either
# sends; each gets its own refusal and only its own
udp       red@5000+blue@5000     10.0.0.2   -            ECONNREFUSED/ECONNREFUSED
udp       blue@5001+red@5001     10.0.0.2   -            ECONNREFUSED/ECONNREFUSED
udp       red@5002+blue@5002     10.0.0.1   blue         ECONNREFUSED/blue
udp       red@5003+blue@5003     127.0.0.1  blue         ECONNREFUSED/blue
udp       blue@5004+red@5004     127.0.0.1  red          ECONNREFUSED/red

# IP fragments are reassembled per context: two clients send datagrams
# with the same IP id from the same address and port at once (both first
# fragments before either second one); each reaches its own context
frag      pred                   10.0.0.1   red,blue          red
frag      pred@6000+pblue@6000   10.0.0.1   red,blue          red/blue
frag      pblue@6001+pred@6001   10.0.0.1   blue*,red*,zero*  blue*/red*
frag      pred@6002+pblue@6002   10.0.0.1   red               red/ECONNREFUSED
frag      red@6003+blue@6003     127.0.0.1  red,blue          red/blue
frag      pzero                  10.9.0.1   zero,red*,blue*   zero

# SO_BINDTODEVICE to another context's interface (or lo) does not let a
# socket receive that context's packets
tcp,udp   pblue  10.0.0.1   red%vblue          ECONNREFUSED
tcp,udp   pblue  10.0.0.1   blue,red*%vblue    blue
tcp,udp   pred   10.0.0.1   zero*%vred         ECONNREFUSED
tcp,udp   pred   10.0.0.1   red%vred,blue%vred red%vred
tcp,udp   red    127.0.0.1  blue%lo,zero%lo    ECONNREFUSED
tcp,udp   red    127.0.0.1  red%lo,blue%lo     red%lo

# Joining a group by interface address: 10.0.0.1 is both vred's and
# vblue's; the join picks the socket's own context's interface
mcast     pred   239.1.1.1  red@10.0.0.1       red@10.0.0.1
mcast     pblue  239.1.1.1  blue@10.0.0.1      blue@10.0.0.1
mcast     pred   239.1.1.1  red,blue*@10.0.0.1 red
EOF

echo "== leak matrix, every row (tcp_syncookies=1)"
vrctx-probe matrix /tmp/matrix.tab
rc1=$?
echo "== the TCP rows again with tcp_syncookies=2 (every SYN gets a cookie)"
echo 2 >/proc/sys/net/ipv4/tcp_syncookies
vrctx-probe matrix --only tcp --port-base 25000 /tmp/matrix.tab
rc2=$?
echo 1 >/proc/sys/net/ipv4/tcp_syncookies
[ $rc1 = 0 ] || fail "leak matrix: rows failed (see above)"
[ $rc2 = 0 ] || fail "leak matrix with tcp_syncookies=2: rows failed (see above)"
echo "leak matrix ok"
