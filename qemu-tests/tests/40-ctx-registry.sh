# Contexts: create, list, show, delete through vrctl (genetlink), names and
# ids, /proc/net/vrctx, exit statuses and messages.
fail() {
	echo "FAIL: $*"
	exit 1
}
# expect STATUS MESSAGE-PART CMD...: CMD exits STATUS and says MESSAGE-PART
expect() {
	want=$1 msg=$2
	shift 2
	out=$("$@" 2>&1)
	st=$?
	[ "$st" = "$want" ] || fail "$*: exit $st, want $want ($out)"
	echo "$out" | grep -q -- "$msg" || fail "$*: '$out' does not say '$msg'"
}
vrctl create 5 name red || fail "create 5 red"
vrctl create 7 || fail "create 7"
vrctl create 0x10 name blue || fail "create 0x10 (hex) blue"
vrctl list
vrctl list | grep -q red || fail "list lacks red"
vrctl show red | grep -q 2147483653 || fail "show red lacks table 2147483653: $(vrctl show red)"
vrctl show 16 | grep -q blue || fail "show 16 lacks its name"
vrctl -j list | grep -q '"id":5' || fail "JSON list lacks id 5: $(vrctl -j list)"
vrctl -j show 7 | grep -q '"table":2147483655' || fail "JSON show 7: $(vrctl -j show 7)"
cat /proc/net/vrctx
head -n1 /proc/net/vrctx | grep -q '^id name table interfaces sockets tasks$' || fail "/proc/net/vrctx header"
grep -q '^0 - 254 ' /proc/net/vrctx || fail "/proc/net/vrctx lacks context 0"
grep -q '^5 red 2147483653 0 0 0$' /proc/net/vrctx || fail "/proc/net/vrctx lacks red"
grep -q '^7 - 2147483655 ' /proc/net/vrctx || fail "/proc/net/vrctx lacks 7"
# The table exists and holds the loopback route.
ip route show table 2147483653 type local | grep -q '127.0.0.0/8 dev lo' ||
	fail "table of red lacks 127/8: $(ip route show table all | grep 2147483653)"

expect 2 'File exists' vrctl create 5
expect 2 'File exists' vrctl create 8 name red
expect 2 'File exists' vrctl create 0
expect 1 'out of range' vrctl create 2147483648
expect 1 'out of range' vrctl create 99999999999
expect 1 'name' vrctl create 9 name 9lives
expect 1 'name' vrctl create 9 name waytoolongname123
expect 1 'name' vrctl create 9 name 'bad/name'
expect 2 'No such' vrctl show 6
expect 2 'No such' vrctl show green
expect 2 'No such' vrctl delete 6
expect 1 '' vrctl delete
expect 1 '' vrctl frobnicate
expect 1 'no such interface' vrctl assign nosuch0 5
expect 2 '' vrctl delete 0
# Nothing changed.
[ "$(vrctl list | grep -c -E 'red|blue')" = 2 ] || fail "list changed"
vrctl delete red || fail "delete red"
vrctl delete 7 || fail "delete 7"
vrctl delete blue || fail "delete blue"
grep -q '^5 ' /proc/net/vrctx && fail "red still in /proc/net/vrctx"
ip route show table 2147483653 2>/dev/null | grep -q . && fail "table of red still has routes"
# The event group tells listeners about creations and deletions.
vrctx-probe events 2 >/tmp/events &
ev=$!
i=0
until grep -q listening /tmp/events 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "event listener did not start"
	sleep 0.1
done
vrctl create 9 name ev && vrctl delete ev || fail "create/delete ev"
wait $ev
cat /tmp/events
grep -q '^cmd=1 1=9 2=ev 3=2147483657$' /tmp/events || fail "no creation event"
grep -q '^cmd=2 1=9 2=ev 3=2147483657$' /tmp/events || fail "no deletion event"
# Ids and names can be used again.
vrctl create 5 name red && vrctl delete 5 || fail "re-create red"
echo "registry ok"
