# Control-plane bad input: raw genetlink requests with missing, oversized,
# wrongly typed and unknown attributes get a clear error each time; state
# stays unchanged; no kernel warning (the runner watches the console).
# The messages are the module's own (vrctx/netlink.rs, vrctx/registry.rs) or
# the kernel's attribute policy checks (lib/nlattr.c).
. /usr/lib/vrctx/lib.sh
genl() {
	vrctx-probe genl "$@"
}
must vrctl create 5 name red
state=$(grep -v '^0 ' /proc/net/vrctx)
expect_errno EINVAL 'Missing context id' genl new
expect_errno EINVAL 'Missing context id or name' genl del
expect_errno EINVAL 'Missing context id or name' genl get
expect_errno EINVAL 'invalid attribute length' genl new id=u16:6
expect_errno EINVAL 'invalid attribute length' genl new id=u64:6
expect_errno EINVAL 'invalid attribute length' genl new id=u8:6
expect_errno EINVAL 'Attribute failed policy validation' genl new id=u32:6 name=raw:abc
expect_errno EINVAL 'Attribute failed policy validation' genl new id=u32:6 name=str:abcdefghijklmnopqrstuvwxyz
expect_errno EINVAL 'Attribute failed policy validation' genl new id=u32:6 name=bytes:2000
expect_errno EINVAL 'Unknown attribute type' genl new id=u32:6 99=u32:1
expect_errno EINVAL 'Attribute failed policy validation' genl new id=u32:6 table=u32:1
expect_errno EINVAL 'Bad context name' genl new id=u32:6 name=str:6six
expect_errno ERANGE 'Context id out of range' genl new id=u32:4294967295
expect_errno EEXIST 'Context 0 always exists' genl new id=u32:0
expect_errno EEXIST 'Context exists' genl new id=u32:5
expect_errno EEXIST 'Another context has this name' genl new id=u32:6 name=str:red
expect_errno EINVAL 'Name the context by id or by name, not both' genl del id=u32:5 name=str:red
expect_errno ENOENT 'No such context' genl del id=u32:6
expect_errno EINVAL 'Context 0 is the default context' genl del id=u32:0
expect_errno ERANGE 'Attribute failed policy validation' genl del id=u32:5 force=u32:1
expect_errno EINVAL 'Missing interface index' genl assign id=u32:5
expect_errno ENODEV 'No such interface' genl assign id=u32:5 ifindex=u32:999
expect_errno ENODEV 'No such interface' genl assign id=u32:5 ifindex=u32:4294967295
expect_errno EINVAL 'The loopback interface stays in context 0' genl assign id=u32:5 ifindex=u32:1
expect_errno ENOENT 'No such context' genl assign id=u32:6 ifindex=u32:2
# genetlink itself refuses an unknown command, without a message.
expect_out EOPNOTSUPP genl 42
[ "$(grep -v '^0 ' /proc/net/vrctx)" = "$state" ] || fail "state changed: $(cat /proc/net/vrctx)"
# Unprivileged requests that change state are refused (genetlink's
# GENL_ADMIN_PERM check, without a message); reading is allowed.
expect_out EPERM $NOPRIV vrctx-probe genl new id=u32:6
expect_out ok $NOPRIV vrctx-probe genl get id=u32:5
must vrctl delete red
echo "bad input ok"
