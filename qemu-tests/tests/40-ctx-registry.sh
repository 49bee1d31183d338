# Contexts: create, list, show, delete through vrctl (genetlink), names and
# ids, /proc/net/vrctx, exit statuses and messages, events.
. /usr/lib/vrctx/lib.sh
must vrctl create 5 name red
must vrctl create 7
must vrctl create 0x10 name blue
must vrctl list
expect 0 red vrctl list
expect 0 2147483653 vrctl show red
expect 0 blue vrctl show 16
expect 0 '"id":5' vrctl -j list
expect 0 '"table":2147483655' vrctl -j show 7
cat /proc/net/vrctx
head -n1 /proc/net/vrctx | grep -q '^id name table interfaces sockets tasks$' || fail "/proc/net/vrctx header"
grep -q '^0 - 254 ' /proc/net/vrctx || fail "/proc/net/vrctx lacks context 0"
grep -q '^5 red 2147483653 0 0 0$' /proc/net/vrctx || fail "/proc/net/vrctx lacks red"
grep -q '^7 - 2147483655 ' /proc/net/vrctx || fail "/proc/net/vrctx lacks 7"
# The contexts share one loopback table (43 and 50 use 127.0.0.1 in contexts).
expect 0 '127.0.0.0/8 dev lo' ip route show table 2147483648 type local
no_routes 2147483653 || fail "a new context's table is not empty: $OUT"

# Kernel refusals exit 2 with the C library's text for the errno and the
# kernel's extended-ack message (vrctl's own hint only when the kernel sent
# none); usage errors exit 1 with vrctl's own message, before any request.
expect 2 'create context 5: File exists' vrctl create 5
expect 2 'create context 8: File exists' vrctl create 8 name red
expect 2 'create context 0: File exists' vrctl create 0
expect 1 'context id 2147483648 is out of range' vrctl create 2147483648
expect 1 'context id 99999999999 is out of range' vrctl create 99999999999
expect 1 'context name must not start with a digit' vrctl create 9 name 9lives
expect 1 'context name is 17 bytes long (at most 15 allowed)' vrctl create 9 name waytoolongname123
expect 1 "context name contains '/'" vrctl create 9 name 'bad/name'
expect 2 'show context 6: No such file or directory: No such context' vrctl show 6
expect 2 'show context green: No such file or directory: No such context' vrctl show green
expect 2 'delete context 6: No such file or directory: No such context' vrctl delete 6
expect 1 'the following required arguments were not provided' vrctl delete
expect 1 "unrecognized subcommand 'frobnicate'" vrctl frobnicate
expect 1 'assign nosuch0: no such interface' vrctl assign nosuch0 5
expect 2 'delete context 0: Invalid argument: Context 0 is the default context' vrctl delete 0
# Nothing changed.
[ "$(vrctl list | grep -c -E 'red|blue')" = 2 ] || fail "list changed: $(vrctl list)"
must vrctl delete red
must vrctl delete 7
must vrctl delete blue
grep -q '^5 ' /proc/net/vrctx && fail "red still in /proc/net/vrctx"
no_routes 2147483653 || fail "table of red still has routes: $OUT"
no_routes 2147483648 || fail "the loopback table outlived the contexts: $OUT"
# The event group tells listeners about creations and deletions.
vrctx-probe events 2 >/tmp/events 2>&1 &
ev=$!
dump_on_fail /tmp/events
wait_for 10 grep -qx listening /tmp/events
must vrctl create 9 name ev
must vrctl delete ev
wait_pid 10 $ev || fail "the event listener failed"
cat /tmp/events
grep -q '^cmd=1 1=9 2=ev 3=2147483657$' /tmp/events || fail "no creation event"
grep -q '^cmd=2 1=9 2=ev 3=2147483657$' /tmp/events || fail "no deletion event"
# Ids and names can be used again.
must vrctl create 5 name red
must vrctl delete 5
echo "registry ok"
