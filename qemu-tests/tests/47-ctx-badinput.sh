# Control-plane bad input: raw genetlink requests with missing, oversized,
# wrongly typed and unknown attributes get a clear error each time; state
# stays unchanged; no kernel warning (the runner watches the console).
fail() {
	echo "FAIL: $*"
	exit 1
}
expect() { # ERRNO MESSAGE-PART genl-args...
	want=$1 msg=$2
	shift 2
	out=$(vrctx-probe genl "$@" 2>&1)
	case "$out" in
	"$want"*) ;;
	*) fail "genl $*: '$out', want '$want'" ;;
	esac
	echo "$out" | grep -q -- "$msg" || fail "genl $*: '$out' does not say '$msg'"
}
vrctl create 5 name red || fail create
state=$(grep -v '^0 ' /proc/net/vrctx)
expect EINVAL 'Missing context id' new
expect EINVAL 'Missing context id or name' del
expect EINVAL 'Missing context id or name' get
expect EINVAL '' new id=u16:6
expect EINVAL '' new id=u64:6
expect EINVAL '' new id=u8:6
expect EINVAL '' new id=u32:6 name=raw:abc
expect EINVAL '' new id=u32:6 name=str:abcdefghijklmnopqrstuvwxyz
expect EINVAL '' new id=u32:6 name=bytes:2000
expect EINVAL '' new id=u32:6 99=u32:1
expect EINVAL '' new id=u32:6 table=u32:1
expect EINVAL 'Bad context name' new id=u32:6 name=str:6six
expect ERANGE 'out of range' new id=u32:4294967295
expect EEXIST 'Context 0' new id=u32:0
expect EEXIST 'exists' new id=u32:5
expect EEXIST 'name' new id=u32:6 name=str:red
expect EINVAL 'not both' del id=u32:5 name=str:red
expect ENOENT 'No such context' del id=u32:6
expect EINVAL 'default context' del id=u32:0
expect ERANGE '' del id=u32:5 force=u32:1
expect EINVAL 'Missing interface index' assign id=u32:5
expect ENODEV 'No such interface' assign id=u32:5 ifindex=u32:999
expect ENODEV '' assign id=u32:5 ifindex=u32:4294967295
expect EINVAL 'loopback' assign id=u32:5 ifindex=u32:1
expect ENOENT 'No such context' assign id=u32:6 ifindex=u32:2
expect EOPNOTSUPP '' 42
[ "$(grep -v '^0 ' /proc/net/vrctx)" = "$state" ] || fail "state changed: $(cat /proc/net/vrctx)"
# Unprivileged requests that change state are refused.
nopriv="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
out=$($nopriv vrctx-probe genl new id=u32:6)
case "$out" in EPERM*) ;; *) fail "unprivileged new: $out" ;; esac
out=$($nopriv vrctx-probe genl get id=u32:5)
[ "$out" = ok ] || fail "unprivileged get: $out"
vrctl delete red || fail delete
echo "bad input ok"
