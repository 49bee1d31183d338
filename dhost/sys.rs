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
    net::{netlink::ExtAck, Namespace},
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
}

/// Member `member`'s slice of `members` of the port range `lo..=hi`
/// (`dhost_slice()`), if there is one.
#[cfg(CONFIG_KUNIT = "y")]
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
