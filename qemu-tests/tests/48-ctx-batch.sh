# timeout: 300
# vrctl -batch and the range requests behind it (VRCTX_A_COUNT). A run of
# plain `create`/`delete` lines with consecutive ids goes to the kernel as one
# request, which creates or deletes all of the range or none of it; a range
# that fails is replayed line by line. So a batch behaves exactly as one
# request per line would: the lines before a failing line take effect, the
# failing line is named with its own error, the lines after it run only
# with -force. Bad ranges get a clear error and change nothing; each context
# of a range gets its own event; range cycles leak nothing.
. /usr/lib/vrctx/lib.sh
genl() {
	vrctx-probe genl "$@"
}
# The contexts other than 0, by id, on one line.
ids() {
	awk 'NR > 1 && $1 != 0 { printf "%s%s", s, $1; s = " " }' /proc/net/vrctx
}
# lines WORDS FIRST LAST: "WORDS I" for I from FIRST to LAST.
lines() {
	seq "$2" "$3" | awk -v w="$1" '{ print w " " $1 }'
}
# batch NAME WANT_STATUS WANT_IDS [OPTION]: runs /tmp/NAME with vrctl
# [OPTION] -batch; checks its exit status, that each line of /tmp/NAME.err
# (if any) appears in its stderr and that no other error does, and the
# contexts left.
batch() {
	_n=$1 _st=$2 _ids=$3
	shift 3
	vrctl "$@" -batch /tmp/$_n >/tmp/$_n.out 2>&1
	check_eq "$_n: exit status" "$_st" "$?"
	check_eq "$_n: contexts afterwards" "$_ids" "$(ids)"
	_want=0
	if [ -f /tmp/$_n.err ]; then
		while read -r _e; do
			_want=$((_want + 1))
			check_match "$_n: stderr names '$_e'" "*$_e*" "$(cat /tmp/$_n.out)"
		done </tmp/$_n.err
	fi
	check_eq "$_n: error lines" "$_want" "$(grep -c '^vrctl:' /tmp/$_n.out)"
}

echo "== batches of more than one range"
lines create 1 2100 >/tmp/many
batch many 0 "$(seq -s ' ' 1 2100)"
check_eq "many: context 2100 routes with its table" 2147485748 \
	"$(awk '$1 == 2100 { print $3 }' /proc/net/vrctx)"
lines delete 1 2100 >/tmp/unmany
batch unmany 0 ""

echo "== a failing line inside a range"
must vrctl create 5
lines create 1 10 >/tmp/dup
echo '/tmp/dup:5: create context 5: File exists: Context exists' >/tmp/dup.err
batch dup 2 "1 2 3 4 5"
cp /tmp/dup /tmp/dupf
sed 's|/tmp/dup:|/tmp/dupf:|' /tmp/dup.err >/tmp/dupf.err
lines delete 1 5 >/tmp/undup
must vrctl -batch /tmp/undup
must vrctl create 5
batch dupf 2 "1 2 3 4 5 6 7 8 9 10" -force

echo "== a context in use inside a range"
must ip link add d0 type dummy
must vrctl assign d0 3
lines delete 1 10 >/tmp/busy
echo '/tmp/busy:3: delete context 3: Device or resource busy' >/tmp/busy.err
batch busy 2 "3 4 5 6 7 8 9 10"
cp /tmp/busy /tmp/busyf
sed 's|/tmp/busy:|/tmp/busyf:|' /tmp/busy.err >/tmp/busyf.err
echo '/tmp/busyf:1: delete context 1: No such file or directory' >>/tmp/busyf.err
echo '/tmp/busyf:2: delete context 2: No such file or directory' >>/tmp/busyf.err
batch busyf 2 "3" -force
must vrctl delete 3 --force
must ip link del d0

echo "== the lines before a bad line run first"
printf 'create 1\ncreate 2\nbogus\ncreate 3\n' >/tmp/bad
echo "/tmp/bad:3: unrecognized subcommand 'bogus'" >/tmp/bad.err
batch bad 1 "1 2"
must vrctl delete 1
must vrctl delete 2

echo "== range requests: all or none, bad ones refused"
must vrctl create 5
must vrctl create 12
# A thread keeps context 7 as its default after a forced delete.
must vrctl create 7
vrctl exec 7 -- sleep 120 &
sleeper=$!
retry 20 grep -q '^7 .* 1$' /proc/net/vrctx
must vrctl delete 7 --force
state=$(ids)
# ERRNO MESSAGE ATTRIBUTES...: the request NEW or DEL with the attributes.
while read -r errno msg attrs; do
	[ -n "$errno" ] || continue
	msg=$(echo "$msg" | tr _ ' ')
	run genl $attrs
	check_match "genl $attrs" "1 $errno *$msg*" "$ST $OUT"
	check_eq "genl $attrs: contexts unchanged" "$state" "$(ids)"
done <<'EOF'
EEXIST Context_exists                        new id=u32:1 count=u32:10
EEXIST Context_0_always_exists               new id=u32:0 count=u32:3
EBUSY  Threads_still_have_an_id_of_the_range new id=u32:6 count=u32:3
EINVAL Count_out_of_range_(1_to_1024)        new id=u32:20 count=u32:0
EINVAL Count_out_of_range_(1_to_1024)        new id=u32:20 count=u32:1025
EINVAL Count_out_of_range_(1_to_1024)        del id=u32:5 count=u32:4294967295
ERANGE Context_id_out_of_range               new id=u32:2147483647 count=u32:2
ERANGE Context_id_out_of_range               new id=u32:4294967295 count=u32:2
EINVAL A_range_of_contexts_is_named_by_ids   new id=u32:20 count=u32:2 name=str:x
EINVAL A_range_of_contexts_is_named_by_ids   del id=u32:5 count=u32:1 name=str:x
EINVAL Missing_context_id                    new count=u32:2
EINVAL Missing_context_id                    del name=str:x count=u32:2
EINVAL invalid_attribute_length              new id=u32:20 count=u16:2
ENOENT No_such_context                       del id=u32:4 count=u32:3
ENOENT No_such_context                       del id=u32:5 count=u32:8
EINVAL Context_0_is_the_default_context      del id=u32:0 count=u32:6
EOF
# A never-bound socket of context 30 outlives its forced delete (the
# process holding it runs in context 0): creating 28..31 fails at 30, after 28 and
# 29 were made, and takes them back.
must vrctl create 30
socat -u EXEC:"sleep 300" UDP4-DATAGRAM:127.0.0.1:9,setsockopt-int=0:90:30 &
holder=$!
retry 20 grep -q '^30 .* 1 0$' /proc/net/vrctx
must vrctl delete 30 --force
run genl new id=u32:28 count=u32:4
check_match "range over a deleted context's open socket" \
	"1 EBUSY *Sockets of a context deleted with an id of the range are still open*" "$ST $OUT"
check_eq "range over a deleted context's open socket: 28 and 29 taken back" "$state" "$(ids)"
stop $holder
run $NOPRIV vrctx-probe genl new id=u32:20 count=u32:2
check_eq "unprivileged range" "EPERM" "$OUT"
stop $sleeper
must ip link add d1 type dummy
in0=$(awk '$1 == 0 { print $4 }' /proc/net/vrctx)
must vrctl assign d1 12
run genl del id=u32:12 count=u32:1
check_match "range with a context in use" "1 EBUSY *A context of the range is in use*" "$ST $OUT"
run genl del id=u32:12 count=u32:1 force=flag
check_eq "forced range delete" "0 ok" "$ST $OUT"
check_eq "forced range delete: the interface is back in context 0" "$in0" \
	"$(awk '$1 == 0 { print $4 }' /proc/net/vrctx)"
must ip link del d1
run genl del id=u32:5 count=u32:1
check_eq "range 5..5 deleted" "0 ok" "$ST $OUT"
check_eq "no context left" "" "$(ids)"

echo "== one event per context of a range"
vrctx-probe events 6 >/tmp/events 2>&1 &
ev=$!
dump_on_fail /tmp/events
wait_for 10 grep -qx listening /tmp/events
run genl new id=u32:20 count=u32:3
check_eq "range 20..22 created" "0 ok" "$ST $OUT"
check_eq "contexts 20..22" "20 21 22" "$(ids)"
run genl del id=u32:20 count=u32:3
check_eq "range 20..22 deleted" "0 ok" "$ST $OUT"
wait_pid 10 $ev || check_fail "the event listener failed"
for c in 1 2; do
	for i in 20 21 22; do
		check_eq "event cmd=$c for $i" 1 "$(grep -c "^cmd=$c 1=$i 3=$((2147483648 + i))\$" /tmp/events)"
	done
done

echo "== range cycles leak nothing"
lines create 1 1024 >/tmp/cyc-add
lines delete 1 1024 >/tmp/cyc-del
must vrctl -batch /tmp/cyc-add
must vrctl -batch /tmp/cyc-del
leak_baseline
for i in 1 2 3; do
	must vrctl -batch /tmp/cyc-add
	must vrctl -batch /tmp/cyc-del
done
leak_check 512 "3 cycles of 1,024 contexts by range"
summary
