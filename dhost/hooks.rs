// SPDX-License-Identifier: GPL-2.0

//! The netfilter hooks: in every network namespace, the distributed-host
//! rules at IPv4 pre-routing and local-in and at ARP in and out (see
//! docs/design.md §5), each decision counted. No `unsafe`.
//!
//! The hook functions run in softirq context on every CPU: they read the
//! packet through the bounds-checked view, ask the core about addresses and
//! flows, and add to atomic counters. Process context (namespace setup,
//! netlink) keeps the namespaces' packet counters in [`Namespaces`], under
//! a mutex.

#![deny(unsafe_code)]

use core::net::Ipv4Addr;

use kernel::{
    net::{
        netfilter::{
            packet::{ArpIpv4, IcmpHeader, Ipv4Header, PacketType, TcpFlags, Transport},
            HookOps, HookPoint, Hooks, Packet, PernetHooks, Priority, State, Verdict,
        },
        Namespace,
    },
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
    uapi,
};

use crate::{
    ports::slice_owner,
    sys::{Core, Flags, Flow, FwdKey, FwdView},
    NAMESPACES,
};

/// The hook points, indexed by `enum dhost_hook`.
pub(crate) const POINTS: [HookPoint; uapi::dhost_hook___DHOST_HOOK_MAX as usize] = {
    let mut p = [HookPoint::Ipv4PreRouting; uapi::dhost_hook___DHOST_HOOK_MAX as usize];
    p[uapi::dhost_hook_DHOST_HOOK_IPV4_PRE_ROUTING as usize] = HookPoint::Ipv4PreRouting;
    p[uapi::dhost_hook_DHOST_HOOK_IPV4_LOCAL_IN as usize] = HookPoint::Ipv4LocalIn;
    p[uapi::dhost_hook_DHOST_HOOK_ARP_IN as usize] = HookPoint::ArpIn;
    p[uapi::dhost_hook_DHOST_HOOK_ARP_OUT as usize] = HookPoint::ArpOut;
    p
};

/// The `enum dhost_hook` value of hook point `point`.
pub(crate) fn index_of(point: HookPoint) -> Option<usize> {
    POINTS.iter().position(|&p| p == point)
}

/// The packet counters of one namespace, which its hooks see.
pub(crate) struct Counters {
    packets: [Atomic<u64>; POINTS.len()],
}

impl Counters {
    fn new() -> Self {
        Counters {
            packets: [const { Atomic::new(0) }; POINTS.len()],
        }
    }

    /// The packets the hook `enum dhost_hook` `hook` saw.
    pub(crate) fn packets(&self, hook: usize) -> Option<u64> {
        self.packets.get(hook).map(|c| c.load(Relaxed))
    }
}

/// The registration of the hooks in every namespace.
pub(crate) static HOOKS: PernetHooks<Counters> = PernetHooks::new();

impl Hooks for Counters {
    // At the filter priority, after conntrack's defragmentation: local-in
    // sees whole datagrams.
    const OPS: &'static [HookOps] = &[
        HookOps::new(HookPoint::Ipv4PreRouting, Priority::FILTER),
        HookOps::new(HookPoint::Ipv4LocalIn, Priority::FILTER),
        HookOps::new(HookPoint::ArpIn, Priority::FILTER),
        HookOps::new(HookPoint::ArpOut, Priority::FILTER),
    ];

    fn pernet_hooks() -> &'static PernetHooks<Self> {
        &HOOKS
    }

    fn init(net: &Namespace) -> Result<Arc<Self>> {
        let counters = Arc::new(Counters::new(), GFP_KERNEL)?;
        NAMESPACES.lock().insert(net.cookie(), counters.clone())?;
        Ok(counters)
    }

    fn exit(net: &Namespace, _this: Arc<Self>) {
        // Without the module no address is distributed: on unload every
        // namespace's addresses become ordinary again.
        net.clear_all();
        NAMESPACES.lock().remove(net.cookie());
    }

    fn hook(&self, pkt: &Packet, state: &State) -> Verdict {
        let Some(point) = state.hook() else {
            return Verdict::Accept;
        };
        if let Some(c) = index_of(point).and_then(|i| self.packets.get(i)) {
            c.add(1, Relaxed);
        }
        let net = state.net();
        let decision = match point {
            HookPoint::Ipv4PreRouting => pre_routing(net, pkt, state),
            HookPoint::Ipv4LocalIn => local_in(net, pkt, state),
            HookPoint::ArpIn => arp_in(net, pkt, state),
            HookPoint::ArpOut => arp_out(net, pkt, state),
            _ => Decision::PASS,
        };
        if let Some(stat) = decision.stat {
            net.count(stat);
        }
        decision.verdict
    }
}

/// A hook's verdict and the counter (`enum dhost_stat`) it adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decision {
    verdict: Verdict,
    stat: Option<u32>,
}

impl Decision {
    /// Not ours to decide: accepted, not counted.
    const PASS: Decision = Decision {
        verdict: Verdict::Accept,
        stat: None,
    };

    fn accept(stat: u32) -> Self {
        Decision {
            verdict: Verdict::Accept,
            stat: Some(stat),
        }
    }

    fn drop(stat: u32) -> Self {
        Decision {
            verdict: Verdict::Drop,
            stat: Some(stat),
        }
    }

    /// Accepted on the leader only.
    fn leader_only(flags: Flags, leader: u32, other: u32) -> Self {
        if flags.is_lead() {
            Self::accept(leader)
        } else {
            Self::drop(other)
        }
    }
}

/// `IPPROTO_ICMP`.
const PROTO_ICMP: u8 = 1;
/// `IPPROTO_TCP`.
const PROTO_TCP: u8 = 6;
/// `IPPROTO_UDP`.
const PROTO_UDP: u8 = 17;
/// `ICMP_ECHOREPLY`: the answer to a ping a socket here sent; nothing
/// answers it, so every member may take it.
const ICMP_ECHOREPLY: u8 = 0;

/// At pre-routing, for a distributed destination: a frame sent to the
/// link broadcast (or a multicast) address (a network processor that cannot
/// tell the owner, or the test's neighbour entry) is ours to take, as if it
/// were addressed to us, or TCP and ICMP would drop it; a frame addressed
/// to the leader that bridges (it has a forwarding table) goes on to its
/// owner ([`bridge`]).
fn pre_routing(net: &Namespace, pkt: &Packet, state: &State) -> Decision {
    let (Some(ip), Some(ifindex)) = (pkt.ipv4(), state.in_ifindex()) else {
        return Decision::PASS;
    };
    match pkt.pkt_type() {
        PacketType::Broadcast | PacketType::Multicast => {
            if !net.dev_addr_flags(ifindex, ip.daddr).is_distributed() {
                return Decision::PASS;
            }
            pkt.set_pkt_type(PacketType::Host);
            Decision::accept(uapi::dhost_stat_DHOST_STAT_MARKED_HOST)
        }
        PacketType::Host if ifindex != LOOPBACK_IFINDEX => bridge(net, pkt, &ip),
        _ => Decision::PASS,
    }
}

/// The flow of a packet to a distributed address, as the forwarding table
/// keys it, and whether it opens a connection (a TCP SYN without ACK): TCP
/// and UDP by their ports, an ICMP error by the flow it quotes (which this
/// host sent); none for anything else (the leader's own business) and for
/// fragments other than the first.
fn flow_key(ip: &Ipv4Header, transport: Option<&Transport>) -> Option<(FwdKey, bool)> {
    match transport? {
        Transport::Tcp(tcp) => Some((
            FwdKey {
                proto: PROTO_TCP,
                lport: tcp.dport,
                remote: Some((ip.saddr, tcp.sport)),
            },
            tcp.flags.contains(TcpFlags::SYN) && !tcp.flags.contains(TcpFlags::ACK),
        )),
        Transport::Udp(udp) => Some((
            FwdKey {
                proto: PROTO_UDP,
                lport: udp.dport,
                remote: Some((ip.saddr, udp.sport)),
            },
            false,
        )),
        Transport::Icmp(icmp) if icmp.is_error() => {
            let q = icmp.quoted?;
            let ports = q.ports?;
            matches!(q.ip.protocol, PROTO_TCP | PROTO_UDP).then_some((
                FwdKey {
                    proto: q.ip.protocol,
                    lport: ports.sport,
                    remote: Some((q.ip.daddr, ports.dport)),
                },
                false,
            ))
        }
        Transport::Icmp(_) => None,
    }
}

/// What the leader does with a frame for a distributed address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bridge {
    /// Not the bridge's business: the local rules decide.
    Pass,
    /// For this member's own stack (counted as `stat`).
    Local(u32),
    /// On to member N, and not here.
    Forward(u32),
    /// Copied to every member, and here too.
    Flood,
}

/// The bridge rule, for a frame whose flow the table describes as `v`:
/// only the leader with a table bridges; a frame from a member is never
/// forwarded again; the owner is the table's (connection, then port) or,
/// for a packet that does not open a connection, the member whose slice of
/// the ephemeral ports holds the port (replies to its outgoing
/// connections, before any entry exists); unknown with an authoritative
/// table: nobody owns it, and the leader's stack answers once; unknown
/// otherwise: every member gets a copy, and nobody answers.
fn bridge_rule(v: &FwdView, lport: u16, opens: bool) -> Bridge {
    if !v.lead || !v.bridge {
        return Bridge::Pass;
    }
    if v.from_peer {
        return Bridge::Local(uapi::dhost_stat_DHOST_STAT_BRIDGE_LOOP);
    }
    let owner = v.owner.or_else(|| {
        (!opens)
            .then(|| slice_owner(lport, v.members, v.port_lo, v.port_hi))
            .flatten()
    });
    match owner {
        Some(m) if m == v.member => Bridge::Local(uapi::dhost_stat_DHOST_STAT_BRIDGE_LOCAL),
        Some(m) => Bridge::Forward(m),
        None if v.auth => Bridge::Pass,
        None => Bridge::Flood,
    }
}

/// Bridge mode on the leader (see [`bridge_rule`]). A forwarded frame is a
/// copy; the original is then dropped here.
fn bridge(net: &Namespace, pkt: &Packet, ip: &Ipv4Header) -> Decision {
    let ctx = pkt.vrctx();
    let transport = pkt.transport(ip);
    let (key, opens) = match flow_key(ip, transport.as_ref()) {
        Some(k) => k,
        // Fragments after the first cannot be told apart: every member
        // gets them (the owner reassembles, the others let them expire).
        None if ip.fragment_offset() != 0 => (
            FwdKey {
                proto: ip.protocol,
                lport: 0,
                remote: None,
            },
            false,
        ),
        None => return Decision::PASS,
    };
    let Some(view) = net.fwd_query(pkt, ip.daddr, ctx, &key) else {
        return Decision::PASS;
    };
    let rule = if key.lport == 0 {
        if view.lead && view.bridge && !view.from_peer {
            Bridge::Flood
        } else {
            Bridge::Pass
        }
    } else {
        bridge_rule(&view, key.lport, opens)
    };
    match rule {
        Bridge::Pass => Decision::PASS,
        Bridge::Local(stat) => Decision::accept(stat),
        Bridge::Forward(m) => match net.bridge_copy(pkt, ip.daddr, ctx, m) {
            Ok(()) => Decision::drop(uapi::dhost_stat_DHOST_STAT_BRIDGED),
            // The owner's hardware address is not known (yet): as if the
            // owner were.
            Err(_) => flood(net, pkt, ip.daddr, ctx, &view),
        },
        Bridge::Flood => flood(net, pkt, ip.daddr, ctx, &view),
    }
}

/// A copy of `pkt` to every other member whose address the table knows;
/// the frame itself stays here.
fn flood(net: &Namespace, pkt: &Packet, addr: Ipv4Addr, ctx: u32, v: &FwdView) -> Decision {
    for m in (1..=v.members).filter(|&m| m != v.member) {
        // A member not known yet cannot be reached; a failed copy is
        // counted by the core.
        let _ = net.bridge_copy(pkt, addr, ctx, m);
    }
    Decision::accept(uapi::dhost_stat_DHOST_STAT_FLOODED)
}

/// `LOOPBACK_IFINDEX`: `lo` is interface 1 in every namespace.
const LOOPBACK_IFINDEX: i32 = 1;

/// What reaches the stack for a distributed address from the network
/// (this host's own traffic to it, through `lo`, is not another member's
/// business: a member may ping or connect to the address locally).
fn local_in(net: &Namespace, pkt: &Packet, state: &State) -> Decision {
    if state.in_ifindex() == Some(LOOPBACK_IFINDEX) {
        return Decision::PASS;
    }
    let Some(ip) = pkt.ipv4() else {
        return Decision::PASS;
    };
    let ctx = pkt.vrctx();
    let flags = net.addr_flags(ip.daddr, ctx);
    if !flags.is_distributed() {
        return Decision::PASS;
    }
    let transport = pkt.transport(&ip);
    let ifindex = state.in_ifindex().unwrap_or(0);
    local_in_rule(flags, ip.protocol, transport.as_ref(), |q| {
        net.flow_local(&Flow { ctx, ifindex, ..q })
    })
}

/// The local-in rule for a packet to a distributed address with `flags`:
/// TCP and UDP go on (the core keeps a member without the socket silent);
/// an ICMP error quoting a TCP or UDP flow goes to the member that owns the
/// flow (`owns`, asked about the flow as this host sent it); echo replies
/// go on; other ICMP and other protocols reach the leader only.
fn local_in_rule(
    flags: Flags,
    protocol: u8,
    transport: Option<&Transport>,
    owns: impl FnOnce(Flow) -> bool,
) -> Decision {
    match (protocol, transport) {
        (PROTO_TCP | PROTO_UDP, _) => Decision::PASS,
        (PROTO_ICMP, Some(Transport::Icmp(icmp))) => icmp_rule(flags, icmp, owns),
        (PROTO_ICMP, _) => Decision::leader_only(
            flags,
            uapi::dhost_stat_DHOST_STAT_ICMP_LEADER,
            uapi::dhost_stat_DHOST_STAT_ICMP_NOT_LEADER,
        ),
        _ if flags.is_lead() => Decision::PASS,
        _ => Decision::drop(uapi::dhost_stat_DHOST_STAT_OTHER_NOT_LEADER),
    }
}

fn icmp_rule(flags: Flags, icmp: &IcmpHeader, owns: impl FnOnce(Flow) -> bool) -> Decision {
    if icmp.icmp_type == ICMP_ECHOREPLY {
        return Decision::PASS;
    }
    let quoted_flow = icmp.quoted.as_ref().and_then(|q| {
        let ports = q.ports?;
        matches!(q.ip.protocol, PROTO_TCP | PROTO_UDP).then_some(Flow {
            ctx: 0,
            protocol: q.ip.protocol,
            laddr: q.ip.saddr,
            lport: ports.sport,
            raddr: q.ip.daddr,
            rport: ports.dport,
            ifindex: 0,
        })
    });
    match quoted_flow {
        Some(flow) if icmp.is_error() => {
            if owns(flow) {
                Decision::accept(uapi::dhost_stat_DHOST_STAT_ICMP_ERR_OWNED)
            } else {
                Decision::drop(uapi::dhost_stat_DHOST_STAT_ICMP_ERR_NOT_OWNED)
            }
        }
        _ => Decision::leader_only(
            flags,
            uapi::dhost_stat_DHOST_STAT_ICMP_LEADER,
            uapi::dhost_stat_DHOST_STAT_ICMP_NOT_LEADER,
        ),
    }
}

/// ARP requests for a distributed address: the leader answers.
fn arp_in(net: &Namespace, pkt: &Packet, state: &State) -> Decision {
    let (Some(arp), Some(ifindex)) = (pkt.arp_ipv4(), state.in_ifindex()) else {
        return Decision::PASS;
    };
    arp_in_rule(&arp, |a| net.dev_addr_flags(ifindex, a))
}

fn arp_in_rule(arp: &ArpIpv4, flags_of: impl FnOnce(Ipv4Addr) -> Flags) -> Decision {
    if arp.op != ArpIpv4::REQUEST {
        return Decision::PASS;
    }
    let flags = flags_of(arp.tip);
    if !flags.is_distributed() {
        return Decision::PASS;
    }
    Decision::leader_only(
        flags,
        uapi::dhost_stat_DHOST_STAT_ARP_LEADER,
        uapi::dhost_stat_DHOST_STAT_ARP_NOT_LEADER,
    )
}

/// A non-leader never names a distributed address as the sender of an ARP
/// packet (the core already asks from another address; this catches the
/// rest: replies, announcements).
fn arp_out(net: &Namespace, pkt: &Packet, state: &State) -> Decision {
    let (Some(arp), Some(ifindex)) = (pkt.arp_ipv4(), state.out_ifindex()) else {
        return Decision::PASS;
    };
    arp_out_rule(net.dev_addr_flags(ifindex, arp.sip))
}

fn arp_out_rule(sender: Flags) -> Decision {
    if sender.is_distributed() && !sender.is_lead() {
        Decision::drop(uapi::dhost_stat_DHOST_STAT_ARP_OUT_DROPPED)
    } else {
        Decision::PASS
    }
}

/// The counters of every namespace, by namespace cookie.
pub(crate) struct Namespaces {
    all: KVec<(u64, Arc<Counters>)>,
}

impl Namespaces {
    /// No namespace yet.
    pub(crate) const fn new() -> Self {
        Namespaces { all: KVec::new() }
    }

    /// Records the counters of namespace `net`.
    fn insert(&mut self, net: u64, counters: Arc<Counters>) -> Result {
        self.all.push((net, counters), GFP_KERNEL)?;
        Ok(())
    }

    /// Forgets the counters of namespace `net`.
    fn remove(&mut self, net: u64) {
        if let Some(i) = self.all.iter().position(|(n, _)| *n == net) {
            // In range: `position` found it.
            let _ = self.all.remove(i);
        }
    }

    /// The counters of namespace `net`.
    pub(crate) fn get(&self, net: u64) -> Option<Arc<Counters>> {
        self.all
            .iter()
            .find(|(n, _)| *n == net)
            .map(|(_, c)| c.clone())
    }
}

#[kunit_tests(dhost_hooks)]
mod tests {
    use super::*;
    use kernel::net::netfilter::packet::{Ipv4Header, Ports, Quoted};

    #[test]
    fn hook_numbers() {
        assert_eq!(
            index_of(HookPoint::Ipv4PreRouting),
            Some(uapi::dhost_hook_DHOST_HOOK_IPV4_PRE_ROUTING as usize)
        );
        assert_eq!(
            index_of(HookPoint::Ipv4LocalIn),
            Some(uapi::dhost_hook_DHOST_HOOK_IPV4_LOCAL_IN as usize)
        );
        assert_eq!(
            index_of(HookPoint::ArpIn),
            Some(uapi::dhost_hook_DHOST_HOOK_ARP_IN as usize)
        );
        assert_eq!(
            index_of(HookPoint::ArpOut),
            Some(uapi::dhost_hook_DHOST_HOOK_ARP_OUT as usize)
        );
        assert_eq!(index_of(HookPoint::Ipv4Forward), None);
        // Every hook point is registered once.
        assert_eq!(Counters::OPS.len(), POINTS.len());
    }

    const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 9, 0, 100);
    const SHARED: Ipv4Addr = Ipv4Addr::new(10, 9, 0, 1);
    const LEAD: Flags = Flags::distributed(true);
    const MEMBER: Flags = Flags::distributed(false);

    fn icmp(icmp_type: u8, quoted_protocol: Option<u8>) -> Transport {
        let quoted = quoted_protocol.map(|protocol| Quoted {
            ip: Ipv4Header {
                header_len: 20,
                tos: 0,
                total_len: 1500,
                id: 0,
                frag_off: 0,
                ttl: 64,
                protocol,
                saddr: SHARED,
                daddr: CLIENT,
            },
            ports: Some(Ports {
                sport: 80,
                dport: 40000,
            }),
        });
        Transport::Icmp(IcmpHeader {
            icmp_type,
            code: 4,
            quoted,
        })
    }

    #[test]
    fn bridge_rules() {
        use uapi::*;
        // Member 1 of 3 leads; the default ephemeral range.
        let lead = FwdView {
            lead: true,
            bridge: true,
            auth: true,
            from_peer: false,
            member: 1,
            members: 3,
            owner: None,
            port_lo: 32768,
            port_hi: 60999,
        };
        let local = Bridge::Local(dhost_stat_DHOST_STAT_BRIDGE_LOCAL);
        // (view, port, opens a connection, rule)
        let table = [
            // The table's owner, whatever else.
            (
                FwdView {
                    owner: Some(2),
                    ..lead
                },
                80,
                true,
                Bridge::Forward(2),
            ),
            (
                FwdView {
                    owner: Some(1),
                    ..lead
                },
                80,
                true,
                local,
            ),
            (
                FwdView {
                    owner: Some(3),
                    auth: false,
                    ..lead
                },
                80,
                false,
                Bridge::Forward(3),
            ),
            // Unknown: answered here (authoritative) or flooded.
            (lead, 80, true, Bridge::Pass),
            (
                FwdView {
                    auth: false,
                    ..lead
                },
                80,
                true,
                Bridge::Flood,
            ),
            // Unknown, in member 2's slice: a reply to its connection...
            (lead, 45000, false, Bridge::Forward(2)),
            (lead, 33000, false, local),
            // ... but a SYN is a new connection: nobody's.
            (lead, 45000, true, Bridge::Pass),
            (
                FwdView {
                    auth: false,
                    ..lead
                },
                45000,
                true,
                Bridge::Flood,
            ),
            // A frame from a member is never forwarded again.
            (
                FwdView {
                    from_peer: true,
                    owner: Some(2),
                    ..lead
                },
                80,
                false,
                Bridge::Local(dhost_stat_DHOST_STAT_BRIDGE_LOOP),
            ),
            // Only the leader with a table bridges.
            (
                FwdView {
                    lead: false,
                    owner: Some(2),
                    ..lead
                },
                80,
                false,
                Bridge::Pass,
            ),
            (
                FwdView {
                    bridge: false,
                    ..lead
                },
                45000,
                false,
                Bridge::Pass,
            ),
        ];
        for (i, (view, port, opens, want)) in table.into_iter().enumerate() {
            let got = bridge_rule(&view, port, opens);
            if got != want {
                pr_err!("bridge_rules: case {i}: {got:?}, want {want:?}\n");
            }
            assert_eq!(got, want);
        }
    }

    #[test]
    fn flow_keys() {
        let ip = Ipv4Header {
            header_len: 20,
            tos: 0,
            total_len: 60,
            id: 0,
            frag_off: 0,
            ttl: 64,
            protocol: PROTO_TCP,
            saddr: CLIENT,
            daddr: SHARED,
        };
        let tcp = |flags| {
            Transport::Tcp(kernel::net::netfilter::packet::TcpHeader {
                sport: 40000,
                dport: 80,
                seq: 0,
                ack_seq: 0,
                header_len: 20,
                flags,
            })
        };
        let key = |proto| FwdKey {
            proto,
            lport: 80,
            remote: Some((CLIENT, 40000)),
        };
        assert_eq!(
            flow_key(&ip, Some(&tcp(TcpFlags::SYN))),
            Some((key(PROTO_TCP), true))
        );
        assert_eq!(
            flow_key(&ip, Some(&tcp(TcpFlags::ACK))),
            Some((key(PROTO_TCP), false))
        );
        // An ICMP error: the flow it quotes, as this host sent it.
        assert_eq!(
            flow_key(&ip, Some(&icmp(3, Some(PROTO_UDP)))),
            Some((key(PROTO_UDP), false))
        );
        assert_eq!(flow_key(&ip, Some(&icmp(8, None))), None);
        assert_eq!(flow_key(&ip, None), None);
    }

    #[test]
    fn local_in_rules() {
        use uapi::*;
        let never = |_: Flow| -> bool { panic!("no flow to look up") };
        let pass = Decision::PASS;
        // TCP and UDP: the core keeps the members without a socket silent.
        for flags in [LEAD, MEMBER] {
            assert_eq!(local_in_rule(flags, PROTO_TCP, None, never), pass);
            assert_eq!(local_in_rule(flags, PROTO_UDP, None, never), pass);
        }
        // Echo requests (type 8): the leader only.
        let echo = icmp(8, None);
        assert_eq!(
            local_in_rule(LEAD, PROTO_ICMP, Some(&echo), never),
            Decision::accept(dhost_stat_DHOST_STAT_ICMP_LEADER)
        );
        assert_eq!(
            local_in_rule(MEMBER, PROTO_ICMP, Some(&echo), never),
            Decision::drop(dhost_stat_DHOST_STAT_ICMP_NOT_LEADER)
        );
        // Echo replies: whoever sent the ping.
        let reply = icmp(0, None);
        assert_eq!(local_in_rule(MEMBER, PROTO_ICMP, Some(&reply), never), pass);
        // A fragmentation-needed quoting our TCP flow: its owner only,
        // leader or not; the flow is looked up as this host sent it.
        let frag = icmp(3, Some(PROTO_TCP));
        for flags in [LEAD, MEMBER] {
            let mut asked = None;
            let d = local_in_rule(flags, PROTO_ICMP, Some(&frag), |f| {
                asked = Some(f);
                false
            });
            assert_eq!(d, Decision::drop(dhost_stat_DHOST_STAT_ICMP_ERR_NOT_OWNED));
            let f = asked.unwrap();
            assert_eq!((f.protocol, f.laddr, f.lport), (PROTO_TCP, SHARED, 80));
            assert_eq!((f.raddr, f.rport), (CLIENT, 40000));
            assert_eq!(
                local_in_rule(flags, PROTO_ICMP, Some(&frag), |_| true),
                Decision::accept(dhost_stat_DHOST_STAT_ICMP_ERR_OWNED)
            );
        }
        // An error quoting something other than TCP or UDP: the leader.
        let about_gre = icmp(3, Some(47));
        assert_eq!(
            local_in_rule(MEMBER, PROTO_ICMP, Some(&about_gre), never),
            Decision::drop(dhost_stat_DHOST_STAT_ICMP_NOT_LEADER)
        );
        // ICMP too short to parse, and other protocols: the leader.
        assert_eq!(
            local_in_rule(MEMBER, PROTO_ICMP, None, never),
            Decision::drop(dhost_stat_DHOST_STAT_ICMP_NOT_LEADER)
        );
        assert_eq!(local_in_rule(LEAD, 47, None, never), pass);
        assert_eq!(
            local_in_rule(MEMBER, 47, None, never),
            Decision::drop(dhost_stat_DHOST_STAT_OTHER_NOT_LEADER)
        );
    }

    #[test]
    fn arp_rules() {
        use uapi::*;
        let arp = |op| ArpIpv4 {
            hardware: 1,
            op,
            sha: [2, 0, 0, 0, 0, 1],
            sip: CLIENT,
            tha: [0; 6],
            tip: SHARED,
        };
        let request = arp(ArpIpv4::REQUEST);
        assert_eq!(
            arp_in_rule(&request, |a| {
                assert_eq!(a, SHARED);
                LEAD
            }),
            Decision::accept(dhost_stat_DHOST_STAT_ARP_LEADER)
        );
        assert_eq!(
            arp_in_rule(&request, |_| MEMBER),
            Decision::drop(dhost_stat_DHOST_STAT_ARP_NOT_LEADER)
        );
        assert_eq!(arp_in_rule(&request, |_| Flags::default()), Decision::PASS);
        assert_eq!(
            arp_in_rule(&arp(ArpIpv4::REPLY), |_| MEMBER),
            Decision::PASS
        );
        assert_eq!(
            arp_out_rule(MEMBER),
            Decision::drop(dhost_stat_DHOST_STAT_ARP_OUT_DROPPED)
        );
        assert_eq!(arp_out_rule(LEAD), Decision::PASS);
        assert_eq!(arp_out_rule(Flags::default()), Decision::PASS);
    }

    #[test]
    fn namespaces() {
        let mut ns = Namespaces::new();
        let a = Arc::new(Counters::new(), GFP_KERNEL).unwrap();
        a.packets[1].add(3, Relaxed);
        ns.insert(7, a).unwrap();
        ns.insert(9, Arc::new(Counters::new(), GFP_KERNEL).unwrap())
            .unwrap();
        assert_eq!(ns.get(7).unwrap().packets(1), Some(3));
        assert_eq!(ns.get(9).unwrap().packets(1), Some(0));
        assert_eq!(ns.get(7).unwrap().packets(POINTS.len()), None);
        ns.remove(7);
        assert!(ns.get(7).is_none());
        assert!(ns.get(9).is_some());
    }
}
