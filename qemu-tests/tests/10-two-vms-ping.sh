# vms: 2
# timeout: 240
# Each VM N takes 192.168.77.N/24 on eth0 and pings every other VM, retrying
# for up to 60 s (there is no barrier between VMs). A VM then stays up until
# every peer has pinged it too, so no one powers off under a peer's ping.
fail() {
	echo "FAIL: $*"
	exit 1
}
# ICMP echo requests received so far (Icmp InEchos in /proc/net/snmp).
in_echos() {
	awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "InEchos") c = i; h = 1 } else print $c }' /proc/net/snmp
}

ip addr add "192.168.77.$VMID/24" dev eth0 || fail "ip addr add"
peer=1
while [ "$peer" -le "$VMS" ]; do
	if [ "$peer" != "$VMID" ]; then
		ok=
		i=0
		while [ $i -lt 60 ]; do
			if ping -c 1 -W 1 "192.168.77.$peer" >/dev/null 2>&1; then
				ok=1
				break
			fi
			i=$((i + 1))
			sleep 1
		done
		[ -n "$ok" ] || fail "vm$VMID could not reach 192.168.77.$peer in 60 s"
		echo "vm$VMID reached 192.168.77.$peer after $i retries"
	fi
	peer=$((peer + 1))
done

i=0
while [ "$(in_echos)" -lt $((VMS - 1)) ]; do
	i=$((i + 1))
	[ $i -le 60 ] || fail "vm$VMID was not pinged by its $((VMS - 1)) peer(s) within 60 s"
	sleep 1
done
sleep 1
echo "vm$VMID: pinged and was pinged ($(in_echos) echo requests received)"
