# timeout: 240
# Seal, netfilter: packets that netfilter re-routes or answers stay in their
# context. Three networks share 10.0.0.0/24: context 0 (v0), red (vred) and
# blue (vblue), each with a peer namespace at 10.0.0.2, so a packet routed in
# the wrong context leaves through the wrong veth, where a capture sees it.
#  1. an nft route chain (mark set) in context 0's rule set re-routes red's
#     packets in red: they leave through vred only (ICMP and TCP);
#     `reject with tcp reset` for red's traffic: the RST leaves vred only;
#  2. SYN cookies (tcp_syncookies=2): red's peer connects to a server in red
#     and exchanges data; the connection leaves through vred only.
. /usr/lib/vrctx/lib.sh

must vrctl create 1 name red
must vrctl create 2 name blue
peer_ns p0 v0 0 10.0.0.1/24 10.0.0.2/24
peer_ns pred vred red 10.0.0.1/24 10.0.0.2/24
peer_ns pblue vblue blue 10.0.0.1/24 10.0.0.2/24
red_mac=$(cat /sys/class/net/vred/address)
ALL="v0 vred vblue"
CAPS="/tmp/cap-v0 /tmp/cap-vred /tmp/cap-vblue"
# wait until each peer answers, so ARP and routes are in place
for ns in p0 pred pblue; do
	retry 10 ip netns exec $ns ping -c 1 -W 1 10.0.0.1 >/dev/null ||
		fail "peer $ns cannot reach 10.0.0.1"
done

# tcpext KEY: a TcpExt counter of /proc/net/netstat.
tcpext() {
	awk -v k="$1" '/^TcpExt:/ { if (!c) { for (i = 1; i <= NF; i++) if ($i == k) c = i } else print $c }' /proc/net/netstat
}

echo "== 1a: nft route chain in context 0's rule set"
must nft add table ip t
must nft add chain ip t out '{ type route hook output priority mangle; }'
must nft add rule ip t out meta mark set 1
# a TCP server at red's peer, for red's connection through the chain
ip netns exec pred socat TCP-LISTEN:7100,reuseaddr EXEC:cat >/dev/null 2>&1 &
srv=$!
retry 10 sh -c 'ip netns exec pred ss -ltn | grep -q ":7100 "' || fail "red peer's server"
for i in $ALL; do capture_start /tmp/cap-$i $i -e icmp or tcp port 7100; done
out=$(vrctl exec red -- ping -c 2 -W 2 -s 111 10.0.0.2 2>&1)
check_match "1a red pings its peer through the route chain" "*2 packets received*" "$out"
out=$(vrctl exec red -- vrctx-probe seal connect 10.0.0.2 7100 --send rerouted --timeout 5)
check_eq "1a red's TCP connection through the route chain" "ok rerouted" "$out"
capture_stop $CAPS
n=$(count_in /tmp/cap-vred "$red_mac > .*10.0.0.1 > 10.0.0.2: ICMP echo request.*length 119")
check_eq "1a red's echo requests leave through vred" 2 "$n"
check_some /tmp/cap-vred "1a red's TCP SYN leaves through vred" "10.0.0.1\.[0-9]+ > 10.0.0.2\.7100: Flags \[S\]"
for i in v0 vblue; do
	check_none /tmp/cap-$i "1a none of red's echo requests on $i" "ICMP echo request.*length 119"
	check_none /tmp/cap-$i "1a none of red's TCP on $i" "\.7100[: ]"
done
stop $srv
must nft delete table ip t

echo "== 1b: nft reject with tcp reset for red's traffic"
must nft add table ip f
must nft add chain ip f in '{ type filter hook input priority 0; }'
must nft add rule ip f in iifname vred tcp dport 7777 reject with tcp reset
for i in $ALL; do capture_start /tmp/cap-$i $i -e tcp port 7777; done
out=$(ip netns exec pred vrctx-probe seal connect 10.0.0.1 7777 --timeout 5)
check_eq "1b red's peer is refused by the nft reset" "ECONNREFUSED (connect)" "$out"
capture_stop $CAPS
check_some /tmp/cap-vred "1b the RST leaves through vred to red's peer" \
	"$red_mac > .*10.0.0.1\.7777 > 10.0.0.2\.[0-9]+: Flags \[R"
for i in v0 vblue; do
	check_none /tmp/cap-$i "1b no RST on $i" "Flags \[R"
done
must nft delete table ip f

echo "== 2: SYN cookies"
must sysctl -qw net.ipv4.tcp_syncookies=2
sent=$(tcpext SyncookiesSent)
recv=$(tcpext SyncookiesRecv)
vrctl exec red -- socat TCP-LISTEN:8000,bind=10.0.0.1,reuseaddr EXEC:cat >/tmp/socat-red.log 2>&1 &
srv=$!
if retry 10 sh -c 'ss -ltn | grep -q "10.0.0.1:8000 "'; then
	for i in $ALL; do capture_start /tmp/cap-$i $i -e tcp port 8000; done
	out=$(ip netns exec pred vrctx-probe seal connect 10.0.0.1 8000 --send cookie-data --timeout 5)
	check_eq "2 red's peer exchanges data with red's server through a SYN cookie" "ok cookie-data" "$out"
	capture_stop $CAPS
	check_no_match "2 SYN cookies were sent" "$sent" "$(tcpext SyncookiesSent)"
	check_no_match "2 a SYN cookie was accepted" "$recv" "$(tcpext SyncookiesRecv)"
	check_some /tmp/cap-vred "2 red's server answers through vred" "10.0.0.1\.8000 > 10.0.0.2\.[0-9]+: Flags \[P"
	for i in v0 vblue; do
		check_none /tmp/cap-$i "2 nothing of red's connection on $i" "\.8000[: ]"
	done
else
	check_fail "2 server in red on 10.0.0.1:8000: not listening: $(cat /tmp/socat-red.log)"
fi
stop $srv
must sysctl -qw net.ipv4.tcp_syncookies=1
summary
