# timeout: 180
# Binding per context: a socket binds its own context's addresses only
# (EADDRNOTAVAIL for another context's); the same address and port twice
# in one context is EADDRINUSE, in two contexts fine; SO_REUSEPORT groups
# do not span contexts; ephemeral ports of two contexts never collide (each
# context has its own port space). Every check runs; the test fails at the
# end if any did.
. /usr/lib/vrctx/lib.sh

bad=
check_fail() { # a failed check: reported now, the test fails at the end
	echo "FAIL: $*"
	bad="$bad
$*"
}
probe_is() { # WANT ARGS...: vrctx-probe ARGS must print WANT
	want=$1
	shift
	got=$(vrctx-probe "$@" 2>&1)
	if [ "$got" = "$want" ]; then
		echo "ok: $* -> $got"
	else
		check_fail "vrctx-probe $*: '$got', want '$want'"
	fi
}
vrctl create 1 name red || fail "create red"
vrctl create 2 name blue || fail "create blue"
for c in red blue; do
	ip netns add p$c || fail "netns p$c"
	ip link add v$c type veth peer name v$c-p || fail "veth v$c"
	ip link set v$c-p netns p$c
	vrctl assign v$c $c || fail "assign v$c"
	ip addr add 10.0.0.1/24 dev v$c || fail "address on v$c"
	ip link set v$c up
	ip -n p$c addr add 10.0.0.2/24 dev v$c-p
	ip -n p$c link set v$c-p up
	ip -n p$c link set lo up
	ip netns exec p$c ping -c 1 -W 2 10.0.0.1 >/dev/null || fail "p$c cannot ping 10.0.0.1"
done
# An address only red has, one only blue has, one only context 0 has.
ip link add dred type dummy && vrctl assign dred red || fail "dummy dred"
ip addr add 10.1.0.1/24 dev dred && ip link set dred up || fail "address on dred"
ip link add dblue type dummy && vrctl assign dblue blue || fail "dummy dblue"
ip addr add 10.2.0.1/24 dev dblue && ip link set dblue up || fail "address on dblue"
ip link add dzero type dummy || fail "dummy dzero"
ip addr add 10.9.0.1/24 dev dzero && ip link set dzero up || fail "address on dzero"
echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range

p=5000
for t in tcp udp; do
	# A context's own addresses work, another context's do not.
	probe_is "ok" bind --type $t 1:10.1.0.1:$p
	probe_is "EADDRNOTAVAIL" bind --type $t 2:10.1.0.1:$p
	probe_is "EADDRNOTAVAIL" bind --type $t 0:10.1.0.1:$p
	probe_is "ok" bind --type $t 2:10.2.0.1:$p
	probe_is "EADDRNOTAVAIL" bind --type $t 1:10.2.0.1:$p
	probe_is "ok" bind --type $t 0:10.9.0.1:$p
	probe_is "EADDRNOTAVAIL" bind --type $t 1:10.9.0.1:$p
	# A context's broadcast address is its own too.
	probe_is "ok ok EADDRNOTAVAIL" bind --type $t 1:10.0.0.255:$((p + 1)) 2:10.0.0.255:$((p + 1)) 0:10.0.0.255:$((p + 1))
	# Twice in one context: EADDRINUSE (an address under a wildcard too).
	probe_is "ok EADDRINUSE" bind --type $t 1:10.0.0.1:$((p + 2)) 1:10.0.0.1:$((p + 2))
	probe_is "ok EADDRINUSE" bind --type $t 1:0.0.0.0:$((p + 3)) 1:10.0.0.1:$((p + 3))
	probe_is "ok EADDRINUSE" bind --type $t 2:10.0.0.1:$((p + 4)) 2:0.0.0.0:$((p + 4))
	probe_is "ok EADDRINUSE" bind --type $t 1:127.0.0.1:$((p + 5)) 1:127.0.0.1:$((p + 5))
	probe_is "ok EADDRINUSE" bind --type $t 0:0.0.0.0:$((p + 6)) 0:127.0.0.1:$((p + 6))
	# The same address and port in two or three contexts: fine.
	probe_is "ok ok" bind --type $t 1:10.0.0.1:$((p + 7)) 2:10.0.0.1:$((p + 7))
	probe_is "ok ok ok" bind --type $t 1:127.0.0.1:$((p + 8)) 2:127.0.0.1:$((p + 8)) 0:127.0.0.1:$((p + 8))
	probe_is "ok ok ok" bind --type $t 1:0.0.0.0:$((p + 9)) 2:0.0.0.0:$((p + 9)) 0:0.0.0.0:$((p + 9))
	# A context-0 wildcard takes the port in context 0 only.
	probe_is "ok ok ok" bind --type $t 0:0.0.0.0:$((p + 10)) 1:10.0.0.1:$((p + 10)) 2:0.0.0.0:$((p + 10))
	probe_is "ok ok ok EADDRINUSE" bind --type $t 1:10.0.0.1:$((p + 11)) 2:10.0.0.1:$((p + 11)) 0:0.0.0.0:$((p + 11)) 0:10.9.0.1:$((p + 11))
	p=$((p + 100))
done
# Listening sockets likewise.
probe_is "ok ok ok" bind --type tcp --listen 1:10.0.0.1:5300 2:10.0.0.1:5300 0:0.0.0.0:5300
probe_is "ok EADDRINUSE" bind --type tcp --listen 1:10.0.0.1:5301 1:0.0.0.0:5301
# Ping idents: an address of another context is not available.
probe_is "ok" bind --type ping 1:10.1.0.1:77
probe_is "EADDRNOTAVAIL" bind --type ping 2:10.1.0.1:77
probe_is "ok ok ok" bind --type ping 1:0.0.0.0:78 2:0.0.0.0:78 0:0.0.0.0:78

# SO_REUSEPORT: two listeners in red and two in blue on 10.0.0.1:P; 20
# connections (datagrams) from each peer; each context's pair gets exactly
# its own.
p=6000
for t in tcp udp; do
	echo "== SO_REUSEPORT per context ($t)"
	opt=
	[ $t = udp ] && opt=--udp
	if out=$(vrctx-probe reuseport $opt --addr 10.0.0.1 --port $p --count 20 --listeners 2 1:pred 2:pblue 2>&1); then
		echo "$out"
	else
		echo "$out"
		check_fail "$t SO_REUSEPORT sockets in red and blue: $(echo "$out" | tail -n 1)"
	fi
	p=$((p + 1))
done

# Ephemeral ports: 200 connects in red and 200 in blue at once, to
# 127.0.0.1:P of their own context, all kept open. First with a local port
# range of 300 ports, which only works if each context has its own port
# space; then with the default range. TCP, then connected UDP.
range=$(cat /proc/sys/net/ipv4/ip_local_port_range)
for t in tcp udp; do
	opt=
	[ $t = udp ] && opt=--udp
	echo "== 200 + 200 $t ephemeral connects, 300 local ports"
	echo "40000 40299" >/proc/sys/net/ipv4/ip_local_port_range
	if out=$(vrctx-probe ephemeral $opt --port $p --count 200 1 2 2>&1); then
		echo "$out"
	else
		echo "$out"
		check_fail "200 + 200 $t ephemeral connects in 300 local ports (a port space per context): $(echo "$out" | tail -n 1)"
	fi
	echo "$range" >/proc/sys/net/ipv4/ip_local_port_range
	echo "== 200 + 200 $t ephemeral connects, default port range ($range)"
	if out=$(vrctx-probe ephemeral $opt --port $((p + 1)) --count 200 1 2 2>&1); then
		echo "$out"
	else
		echo "$out"
		check_fail "200 + 200 $t ephemeral connects: $(echo "$out" | tail -n 1)"
	fi
	p=$((p + 2))
done

if [ -n "$bad" ]; then
	echo "FAIL: binding per context:$bad"
	exit 1
fi
echo "binding per context ok"
