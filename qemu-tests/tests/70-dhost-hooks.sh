# The dhost skeleton: in every network namespace, netfilter hooks at IPv4
# pre-routing and local-in and at ARP in and out count the packets they see
# and accept them all; the family dhost reports the counters
# (DHOST_CMD_GET_STATS, one hook or a dump) and refuses malformed and
# unknown attributes with a message; unloading dhost under a ping flood
# leaves no warning (the runner watches the console), traffic goes on, and
# the module loads again with fresh counters.
. /usr/lib/vrctx/lib.sh
M=/lib/modules/vrctx

dgenl() {
	vrctx-probe genl --family dhost "$@"
}

# stats [NS]: the counters of namespace NS (the initial one by default)
# from a dump of every hook, into PRE IN ARPIN ARPOUT (enum dhost_hook 0 to
# 3). A dump line is "cmd=1 1=HOOK 2=PACKETS".
stats() {
	run ${1:+ip netns exec "$1"} vrctx-probe genl --family dhost --dump --show stats
	[ "$ST" = 0 ] || fail "dhost stats${1:+ in $1}: $OUT"
	PRE=$(hook_count 0)
	IN=$(hook_count 1)
	ARPIN=$(hook_count 2)
	ARPOUT=$(hook_count 3)
	[ -n "$PRE" ] && [ -n "$IN" ] && [ -n "$ARPIN" ] && [ -n "$ARPOUT" ] ||
		fail "dhost stats${1:+ in $1}: not every hook: $OUT"
}

hook_count() {
	printf '%s\n' "$OUT" | awk -v h="1=$1" '$1 == "cmd=1" && $2 == h { sub("^2=", "", $3); print $3 }'
}

# grew WHAT BEFORE AFTER MIN: AFTER is at least BEFORE + MIN.
grew() {
	[ "$3" -ge $(($2 + $4)) ] || fail "$1: $2 before, $3 after, want at least $4 more"
}

# count_is_above NS HOOK MIN: hook HOOK of namespace NS ("": the initial
# one) saw more than MIN packets.
count_is_above() {
	run ${1:+ip netns exec "$1"} vrctx-probe genl --family dhost --show stats hook=u32:$2
	[ "$ST" = 0 ] || return 1
	[ "$(hook_count "$2")" -gt "$3" ]
}

# A peer namespace on a veth pair, both in context 0.
peer_ns pdh vdh 0 10.9.0.1/24 10.9.0.2/24
stats
h_pre=$PRE h_in=$IN h_arpin=$ARPIN h_arpout=$ARPOUT
stats pdh
p_pre=$PRE p_in=$IN p_arpin=$ARPIN p_arpout=$ARPOUT
must ip neigh flush dev vdh
must ping -c 3 -W 2 10.9.0.2
# Here: the ARP request goes out, the reply and three echo replies come in.
stats
grew "pre-routing" "$h_pre" "$PRE" 3
grew "local-in" "$h_in" "$IN" 3
grew "ARP in" "$h_arpin" "$ARPIN" 1
grew "ARP out" "$h_arpout" "$ARPOUT" 1
# The peer: the ARP request comes in, its reply goes out, three echo
# requests come in.
stats pdh
grew "pre-routing in pdh" "$p_pre" "$PRE" 3
grew "local-in in pdh" "$p_in" "$IN" 3
grew "ARP in in pdh" "$p_arpin" "$ARPIN" 1
grew "ARP out in pdh" "$p_arpout" "$ARPOUT" 1

# A namespace created after the module: its own counters, still at 0.
must ip netns add pnew
stats pnew
[ "$PRE $IN $ARPIN $ARPOUT" = "0 0 0 0" ] || fail "pnew counts packets it never saw: $OUT"

# One hook, without a dump; reading needs no privilege.
expect 0 'cmd=1 1=1 2=' dgenl --show stats hook=u32:1
expect_out ok $NOPRIV vrctx-probe genl --family dhost stats hook=u32:0

# Bad requests: the module's messages and the attribute policy's.
expect_errno EINVAL 'Missing hook' dgenl stats
expect_errno ERANGE 'No such hook' dgenl stats hook=u32:4
expect_errno ERANGE 'No such hook' dgenl stats hook=u32:4294967295
expect_errno EINVAL 'invalid attribute length' dgenl stats hook=u16:1
expect_errno EINVAL 'invalid attribute length' dgenl stats hook=u64:1
expect_errno EINVAL 'Unknown attribute type' dgenl stats hook=u32:1 99=u32:1
expect_errno EINVAL 'Packet counters are read-only' dgenl stats hook=u32:1 packets=u64:5
# genetlink refuses an unknown command, without a message.
expect_out EOPNOTSUPP dgenl 42

# Unloading under a ping flood in both directions: the hooks leave every
# namespace, packets in flight through them finish first.
ping -i 0.01 -W 1 10.9.0.2 >/dev/null 2>&1 &
flood=$!
ip netns exec pdh ping -i 0.01 -W 1 10.9.0.1 >/dev/null 2>&1 &
flood_p=$!
stats
wait_for 10 count_is_above "" 0 $((PRE + 50))
ready=$(dmesg | grep -c 'dhost: distributed host ready')
must rmmod dhost
[ ! -d /sys/module/dhost ] || fail "dhost still loaded after rmmod"
alive $flood || fail "the ping flood stopped with the module"
alive $flood_p || fail "the peer's ping flood stopped with the module"
expect_out ENOENT dgenl stats hook=u32:0
# Traffic still flows without the hooks.
must ping -c 1 -W 2 10.9.0.2

# Reload under the same flood: fresh counters that move again, in the
# namespaces that existed before.
must insmod $M/dhost.ko
[ "$(dmesg | grep -c 'dhost: distributed host ready')" = $((ready + 1)) ] ||
	fail "dhost did not announce itself again"
wait_for 10 count_is_above "" 0 20
wait_for 10 count_is_above pdh 1 20
kill $flood $flood_p
wait_pid 5 $flood $flood_p
stats pnew
[ "$PRE $IN $ARPIN $ARPOUT" = "0 0 0 0" ] || fail "pnew after reload: $OUT"
must ip netns del pnew
echo "dhost hooks count, refuse bad input, unload and reload cleanly"
