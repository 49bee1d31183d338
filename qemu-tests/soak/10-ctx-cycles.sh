# timeout: 600
# Soak: 1050 context create/delete cycles leak nothing. 1000 go over one
# netlink socket (vrctx-probe cycle: a process per request is slow under
# TCG), then 50 through vrctl itself; kmemleak and the slab size are checked
# around them. The normal suite runs 60 (tests/46-ctx-lifecycle.sh).
. /usr/lib/vrctx/lib.sh
leak_baseline
ctx_cycles 1000 50 77 loop
leak_check 512 "1050 create/delete cycles"
expect_not loop vrctl list
echo "1050 create/delete cycles ok"
