# vms: 2
# timeout: 240
# Each VM N takes 192.168.77.N/24 on eth0 and pings every other VM, retrying
# for up to 60 s (there is no barrier between VMs). A VM then stays up until
# every peer has pinged it and it has answered, so no one powers off under
# a peer's ping.
. /usr/lib/vrctx/lib.sh

must ip addr add "192.168.77.$VMID/24" dev eth0
peer=1
while [ "$peer" -le "$VMS" ]; do
	if [ "$peer" != "$VMID" ]; then
		wait_for 60 ping -c 1 -W 1 "192.168.77.$peer"
		echo "vm$VMID reached 192.168.77.$peer"
	fi
	peer=$((peer + 1))
done

# ICMP echo requests received and replies sent (Icmp in /proc/net/snmp).
pinged_by_all() {
	[ "$(icmp_stat InEchos)" -ge $((VMS - 1)) ]
}
answered_all() {
	[ "$(icmp_stat OutEchoReps)" -ge $((VMS - 1)) ]
}
retry 60 pinged_by_all || fail "vm$VMID was not pinged by its $((VMS - 1)) peer(s) within 60 s"
wait_for 10 answered_all
echo "vm$VMID: pinged and was pinged ($(icmp_stat InEchos) echo requests received)"
