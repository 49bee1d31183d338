// SPDX-License-Identifier: GPL-2.0

//! The only place this crate touches raw kernel bindings: the calls into
//! the distributed-host core (`include/net/dhost.h`, `net/ipv4/dhost.c`),
//! behind safe methods of [`Namespace`], and the registration of the
//! socket-event callback ([`Events`]). Generic netlink, the per-namespace
//! hooks and the packet view come from the kernel crate (`kernel::net`).

use core::net::Ipv4Addr;

use kernel::{
    bindings,
    error::to_result,
    net::{netfilter::Packet, netlink::ExtAck, Namespace},
    prelude::*,
    sync::rcu,
};

/// An IPv4 address as the core takes it: network byte order in memory.
fn be32(addr: Ipv4Addr) -> u32 {
    u32::from_ne_bytes(addr.octets())
}

/// An IPv4 address the core gave in network byte order.
fn addr_of(be: u32) -> Ipv4Addr {
    Ipv4Addr::from(be.to_ne_bytes())
}

/// The `DHOST_IFA_*` flags of a local address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Flags(u8);

impl Flags {
    // CAST: The flags are small constants.
    const DISTRIBUTED: u8 = bindings::DHOST_IFA_DISTRIBUTED as u8;
    const LEAD: u8 = bindings::DHOST_IFA_LEAD as u8;

    /// A distributed address, which this member leads or not.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) const fn distributed(lead: bool) -> Self {
        Flags(Self::DISTRIBUTED | if lead { Self::LEAD } else { 0 })
    }

    /// Whether the address is distributed.
    pub(crate) fn is_distributed(self) -> bool {
        self.0 & Self::DISTRIBUTED != 0
    }

    /// Whether this member leads the (distributed) address.
    pub(crate) fn is_lead(self) -> bool {
        self.0 & Self::LEAD != 0
    }
}

/// What the core reports of a distributed address.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AddrInfo {
    pub(crate) addr: Ipv4Addr,
    pub(crate) ifindex: i32,
    pub(crate) ctx: u32,
    pub(crate) member: u32,
    pub(crate) members: u32,
    pub(crate) lead: bool,
    pub(crate) port_lo: u16,
    pub(crate) port_hi: u16,
}

/// A socket event on a distributed address (or the wildcard address).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SockEvent {
    pub(crate) event: u32,
    pub(crate) protocol: u8,
    pub(crate) ctx: u32,
    pub(crate) laddr: Ipv4Addr,
    pub(crate) lport: u16,
    pub(crate) raddr: Ipv4Addr,
    pub(crate) rport: u16,
    pub(crate) member: u16,
}

/// One side of a TCP or UDP flow, in host byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flow {
    pub(crate) ctx: u32,
    pub(crate) protocol: u8,
    pub(crate) laddr: Ipv4Addr,
    pub(crate) lport: u16,
    pub(crate) raddr: Ipv4Addr,
    pub(crate) rport: u16,
    pub(crate) ifindex: i32,
}

/// The key of a forwarding-table entry: a port, or one connection to it
/// (host byte order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FwdKey {
    pub(crate) proto: u8,
    pub(crate) lport: u16,
    /// For a connection: its remote address and port.
    pub(crate) remote: Option<(Ipv4Addr, u16)>,
}

/// One item of a forwarding table, as a dump reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FwdItem {
    /// The table: authoritative for so many more milliseconds (0: not).
    Table { auth_ms: u32 },
    /// Member `member` is at hardware address `mac`.
    Peer { member: u32, mac: [u8; 6] },
    /// `key` is owned by `member`.
    Entry { key: FwdKey, member: u32 },
}

/// What the forwarding table of a distributed address says of a packet's
/// flow (see `dhost_fwd_query()`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FwdView {
    pub(crate) lead: bool,
    /// The address has a table (bridging is on).
    pub(crate) bridge: bool,
    /// The table is authoritative.
    pub(crate) auth: bool,
    /// The frame came from a member (never forwarded again).
    pub(crate) from_peer: bool,
    pub(crate) member: u32,
    pub(crate) members: u32,
    /// The owner of the flow, if the table knows it.
    pub(crate) owner: Option<u32>,
    /// The whole ephemeral port range, before slicing.
    pub(crate) port_lo: u16,
    pub(crate) port_hi: u16,
}

/// The distributed-host core's view of a network namespace.
pub(crate) trait Core {
    /// Marks `addr` of interface `ifindex` distributed: this is member
    /// `member` of `members`, leading it or not.
    fn addr_set(
        &self,
        ifindex: i32,
        addr: Ipv4Addr,
        member: u32,
        members: u32,
        lead: bool,
        ack: &ExtAck<'_>,
    ) -> Result;
    /// Makes distributed address `addr` of `ifindex` ordinary again.
    fn addr_clear(&self, ifindex: i32, addr: Ipv4Addr, ack: &ExtAck<'_>) -> Result;
    /// Sets or clears the lead flag of `addr`, or of every distributed
    /// address of `ifindex`.
    fn addr_lead(
        &self,
        ifindex: i32,
        addr: Option<Ipv4Addr>,
        lead: bool,
        ack: &ExtAck<'_>,
    ) -> Result;
    /// The `n`-th distributed address (from 0), if there are more than `n`.
    fn addr_nth(&self, n: usize) -> Option<AddrInfo>;
    /// Makes every distributed address of the namespace ordinary.
    fn clear_all(&self);
    /// The flags of `addr`, local in context `ctx` (none if not local).
    fn addr_flags(&self, addr: Ipv4Addr, ctx: u32) -> Flags;
    /// The flags of `addr`, local in the context of interface `ifindex`.
    fn dev_addr_flags(&self, ifindex: i32, addr: Ipv4Addr) -> Flags;
    /// Whether a socket here owns `flow`.
    fn flow_local(&self, flow: &Flow) -> bool;
    /// Counts a decision (`enum dhost_stat`).
    fn count(&self, stat: u32);
    /// A decision counter (`enum dhost_stat`).
    fn stat(&self, stat: u32) -> u64;
    /// Enters `key` into the forwarding table of `addr`, owned by `member`,
    /// or removes it (`member` 0).
    fn fwd_set(
        &self,
        ifindex: i32,
        addr: Ipv4Addr,
        key: &FwdKey,
        member: u32,
        ack: &ExtAck<'_>,
    ) -> Result;
    /// Sets (or, without `mac`, forgets) member `member`'s hardware address.
    fn peer_set(
        &self,
        ifindex: i32,
        addr: Ipv4Addr,
        member: u32,
        mac: Option<[u8; 6]>,
        ack: &ExtAck<'_>,
    ) -> Result;
    /// Makes the table of `addr` authoritative for `msecs` ms (0: not).
    fn fwd_auth(&self, ifindex: i32, addr: Ipv4Addr, msecs: u32, ack: &ExtAck<'_>) -> Result;
    /// Drops the table of `addr`.
    fn fwd_flush(&self, ifindex: i32, addr: Ipv4Addr, ack: &ExtAck<'_>) -> Result;
    /// The `n`-th item of the table of `addr`, if there are more than `n`.
    fn fwd_nth(&self, ifindex: i32, addr: Ipv4Addr, n: usize) -> Option<FwdItem>;
    /// What the table of `addr` (local in `ctx`) says of `pkt`'s flow; none
    /// if `addr` is not distributed.
    fn fwd_query(&self, pkt: &Packet, addr: Ipv4Addr, ctx: u32, key: &FwdKey) -> Option<FwdView>;
    /// Sends a copy of `pkt` on to member `member` of `addr`.
    fn bridge_copy(&self, pkt: &Packet, addr: Ipv4Addr, ctx: u32, member: u32) -> Result;
}

impl Core for Namespace {
    fn addr_set(
        &self,
        ifindex: i32,
        addr: Ipv4Addr,
        member: u32,
        members: u32,
        lead: bool,
        ack: &ExtAck<'_>,
    ) -> Result {
        // SAFETY: `self` is a live namespace; `ack` is the extack of the
        // request being handled; we run in process context.
        to_result(unsafe {
            bindings::dhost_addr_set(
                self.as_raw(),
                ifindex,
                be32(addr),
                member,
                members,
                lead,
                ack.as_raw(),
            )
        })
    }

    fn addr_clear(&self, ifindex: i32, addr: Ipv4Addr, ack: &ExtAck<'_>) -> Result {
        // SAFETY: As in `addr_set`.
        to_result(unsafe {
            bindings::dhost_addr_clear(self.as_raw(), ifindex, be32(addr), ack.as_raw())
        })
    }

    fn addr_lead(
        &self,
        ifindex: i32,
        addr: Option<Ipv4Addr>,
        lead: bool,
        ack: &ExtAck<'_>,
    ) -> Result {
        let addr = addr.map_or(0, be32);
        // SAFETY: As in `addr_set`.
        to_result(unsafe {
            bindings::dhost_addr_lead(self.as_raw(), ifindex, addr, lead, ack.as_raw())
        })
    }

    fn addr_nth(&self, n: usize) -> Option<AddrInfo> {
        let n = u32::try_from(n).ok()?;
        let mut info = bindings::dhost_addr_info::default();
        // SAFETY: `self` is a live namespace and `info` is ours to fill; we
        // run in process context.
        to_result(unsafe { bindings::dhost_addr_nth(self.as_raw(), n, &mut info) }).ok()?;
        Some(AddrInfo {
            addr: addr_of(info.addr),
            ifindex: info.ifindex,
            ctx: info.ctx,
            member: info.member,
            members: info.members,
            lead: info.lead,
            port_lo: u16::try_from(info.port_lo).ok()?,
            port_hi: u16::try_from(info.port_hi).ok()?,
        })
    }

    fn clear_all(&self) {
        // SAFETY: `self` is a live namespace; we run in process context.
        unsafe { bindings::dhost_net_clear(self.as_raw()) };
    }

    fn addr_flags(&self, addr: Ipv4Addr, ctx: u32) -> Flags {
        let _rcu = rcu::read_lock();
        // SAFETY: `self` is a live namespace and we hold the RCU read lock.
        Flags(unsafe { bindings::dhost_addr_flags(self.as_raw(), be32(addr), ctx) })
    }

    fn dev_addr_flags(&self, ifindex: i32, addr: Ipv4Addr) -> Flags {
        let _rcu = rcu::read_lock();
        // SAFETY: `self` is a live namespace and we hold the RCU read lock.
        Flags(unsafe { bindings::dhost_dev_addr_flags(self.as_raw(), ifindex, be32(addr)) })
    }

    fn flow_local(&self, flow: &Flow) -> bool {
        let _rcu = rcu::read_lock();
        // SAFETY: `self` is a live namespace and we hold the RCU read lock;
        // the lookups take and drop their own socket references.
        unsafe {
            bindings::dhost_flow_local(
                self.as_raw(),
                flow.ctx,
                flow.protocol,
                be32(flow.laddr),
                flow.lport.to_be(),
                be32(flow.raddr),
                flow.rport.to_be(),
                flow.ifindex,
            )
        }
    }

    fn count(&self, stat: u32) {
        // SAFETY: `self` is a live namespace; the core ignores an unknown
        // `stat`.
        unsafe { bindings::dhost_count(self.as_raw(), stat) };
    }

    fn stat(&self, stat: u32) -> u64 {
        // SAFETY: As in `count`.
        unsafe { bindings::dhost_stat(self.as_raw(), stat) }
    }

    fn fwd_set(
        &self,
        ifindex: i32,
        addr: Ipv4Addr,
        key: &FwdKey,
        member: u32,
        ack: &ExtAck<'_>,
    ) -> Result {
        let (raddr, rport) = key.remote.unwrap_or((Ipv4Addr::UNSPECIFIED, 0));
        // SAFETY: As in `addr_set`.
        to_result(unsafe {
            bindings::dhost_fwd_set(
                self.as_raw(),
                ifindex,
                be32(addr),
                key.proto,
                key.lport.to_be(),
                be32(raddr),
                rport.to_be(),
                member,
                ack.as_raw(),
            )
        })
    }

    fn peer_set(
        &self,
        ifindex: i32,
        addr: Ipv4Addr,
        member: u32,
        mac: Option<[u8; 6]>,
        ack: &ExtAck<'_>,
    ) -> Result {
        let mac_ptr = mac.as_ref().map_or(core::ptr::null(), |m| m.as_ptr());
        // SAFETY: As in `addr_set`; `mac_ptr` is null or points at six
        // bytes that outlive the call.
        to_result(unsafe {
            bindings::dhost_peer_set(
                self.as_raw(),
                ifindex,
                be32(addr),
                member,
                mac_ptr,
                ack.as_raw(),
            )
        })
    }

    fn fwd_auth(&self, ifindex: i32, addr: Ipv4Addr, msecs: u32, ack: &ExtAck<'_>) -> Result {
        // SAFETY: As in `addr_set`.
        to_result(unsafe {
            bindings::dhost_fwd_auth(self.as_raw(), ifindex, be32(addr), msecs, ack.as_raw())
        })
    }

    fn fwd_flush(&self, ifindex: i32, addr: Ipv4Addr, ack: &ExtAck<'_>) -> Result {
        // SAFETY: As in `addr_set`.
        to_result(unsafe {
            bindings::dhost_fwd_flush(self.as_raw(), ifindex, be32(addr), ack.as_raw())
        })
    }

    fn fwd_nth(&self, ifindex: i32, addr: Ipv4Addr, n: usize) -> Option<FwdItem> {
        let n = u32::try_from(n).ok()?;
        let mut item = bindings::dhost_fwd_item::default();
        // SAFETY: `self` is a live namespace and `item` is ours to fill; we
        // run in process context.
        to_result(unsafe {
            bindings::dhost_fwd_nth(self.as_raw(), ifindex, be32(addr), n, &mut item)
        })
        .ok()?;
        Some(match item.kind {
            bindings::dhost_fwd_item_kind_DHOST_FWD_ITEM_TABLE => FwdItem::Table {
                auth_ms: item.auth_ms,
            },
            bindings::dhost_fwd_item_kind_DHOST_FWD_ITEM_PEER => FwdItem::Peer {
                member: item.member,
                mac: item.mac,
            },
            _ => FwdItem::Entry {
                key: FwdKey {
                    proto: item.proto,
                    lport: u16::from_be(item.lport),
                    remote: (item.raddr != 0)
                        .then(|| (addr_of(item.raddr), u16::from_be(item.rport))),
                },
                member: item.member,
            },
        })
    }

    fn fwd_query(&self, pkt: &Packet, addr: Ipv4Addr, ctx: u32, key: &FwdKey) -> Option<FwdView> {
        let (raddr, rport) = key.remote.unwrap_or((Ipv4Addr::UNSPECIFIED, 0));
        let mut q = bindings::dhost_fwd_query {
            addr: be32(addr),
            ctx,
            skb: pkt.as_raw(),
            raddr: be32(raddr),
            lport: key.lport.to_be(),
            rport: rport.to_be(),
            proto: key.proto,
            ..Default::default()
        };
        let _rcu = rcu::read_lock();
        // SAFETY: `self` is a live namespace and we hold the RCU read lock;
        // `pkt` is the hook's packet, valid for the call, which the core
        // only reads; `q` is ours.
        if !unsafe { bindings::dhost_fwd_query(self.as_raw(), &mut q) } {
            return None;
        }
        Some(FwdView {
            lead: q.lead,
            bridge: q.bridge,
            auth: q.auth,
            from_peer: q.from_peer,
            member: q.member,
            members: q.members,
            owner: (q.owner != 0).then_some(q.owner),
            port_lo: u16::try_from(q.port_lo).unwrap_or(0),
            port_hi: u16::try_from(q.port_hi).unwrap_or(0),
        })
    }

    fn bridge_copy(&self, pkt: &Packet, addr: Ipv4Addr, ctx: u32, member: u32) -> Result {
        // SAFETY: `self` is a live namespace; `pkt` is the hook's packet,
        // valid for the call; with `copy` the core sends a copy of it and
        // neither keeps nor frees it.
        to_result(unsafe {
            bindings::dhost_bridge_send(self.as_raw(), pkt.as_raw(), be32(addr), ctx, member, true)
        })
    }
}

/// Member `member`'s slice of `members` of the port range `lo..=hi`
/// (`dhost_slice()`), if there is one.
pub(crate) fn slice(member: u32, members: u32, lo: u16, hi: u16) -> Option<(u16, u16)> {
    let (member, members) = (i32::try_from(member).ok()?, i32::try_from(members).ok()?);
    let (mut lo, mut hi) = (i32::from(lo), i32::from(hi));
    // SAFETY: `dhost_slice()` only reads and writes the two integers.
    if !unsafe { bindings::dhost_slice(member, members, &mut lo, &mut hi) } {
        return None;
    }
    Some((u16::try_from(lo).ok()?, u16::try_from(hi).ok()?))
}

/// The core's callbacks into this module.
static OPS: bindings::dhost_ops = bindings::dhost_ops {
    sock_event: Some(sock_event),
};

/// Called by the core, under RCU, for a socket event on a distributed
/// address.
///
/// # Safety
///
/// `net` is a live namespace and `ev` a valid event, both for the call.
unsafe extern "C" fn sock_event(net: *mut bindings::net, ev: *const bindings::dhost_sock_event) {
    // SAFETY: By the safety requirements, `net` is live for the call.
    let net = unsafe { Namespace::from_raw(net) };
    // SAFETY: By the safety requirements, `ev` is valid for the call.
    let ev = unsafe { &*ev };
    crate::events::send(
        net,
        &SockEvent {
            event: u32::from(ev.event),
            protocol: ev.protocol,
            ctx: ev.ctx,
            laddr: addr_of(ev.laddr),
            lport: u16::from_be(ev.lport),
            raddr: addr_of(ev.raddr),
            rport: u16::from_be(ev.rport),
            member: ev.member,
        },
    );
}

/// The socket-event callback registered with the core; while it is, the
/// core's distributed-host branches are live (`dhost_active`).
///
/// # Invariants
///
/// [`OPS`] is registered with the core.
pub(crate) struct Events(());

impl Events {
    /// Registers [`OPS`]; `EBUSY` if another module did.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: `OPS` is static, so it stays valid until `drop`
        // unregisters it.
        to_result(unsafe { bindings::dhost_ops_register(&OPS) })?;
        // INVARIANT: Registered just above.
        Ok(Events(()))
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        // SAFETY: By the type invariants `OPS` is registered; this waits
        // until no callback runs any more.
        unsafe { bindings::dhost_ops_unregister(&OPS) };
    }
}
