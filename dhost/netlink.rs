// SPDX-License-Identifier: GPL-2.0

//! The generic netlink family `dhost`: distributed addresses (set, clear,
//! lead, dump), the leader's forwarding table (owners, members' hardware
//! addresses, authority, dump, flush), the decision and hook counters, and
//! the `events` group (see `events.rs`). No `unsafe`.

#![deny(unsafe_code)]

use core::net::Ipv4Addr;

use kernel::{
    module::this_module,
    net::{
        netlink::{
            attr::{EthAddr, InAddr, Uint, U16, U32},
            Attr, Attrs, Commands, Dump, Family, MulticastGroup, Operation, Policy, Request,
        },
        Namespace,
    },
    prelude::*,
    sync::Arc,
    uapi,
};

use crate::{
    hooks::{Counters, POINTS},
    sys::{AddrInfo, Core, FwdItem, FwdKey},
    NAMESPACES,
};

// CAST: Command numbers fit in a byte.
const CMD_GET_STATS: u8 = uapi::dhost_cmd_DHOST_CMD_GET_STATS as u8;
const CMD_ADDR_SET: u8 = uapi::dhost_cmd_DHOST_CMD_ADDR_SET as u8;
const CMD_ADDR_DEL: u8 = uapi::dhost_cmd_DHOST_CMD_ADDR_DEL as u8;
const CMD_LEAD: u8 = uapi::dhost_cmd_DHOST_CMD_LEAD as u8;
const CMD_ADDR_GET: u8 = uapi::dhost_cmd_DHOST_CMD_ADDR_GET as u8;
pub(crate) const CMD_EVENT: u8 = uapi::dhost_cmd_DHOST_CMD_EVENT as u8;
const CMD_FWD_SET: u8 = uapi::dhost_cmd_DHOST_CMD_FWD_SET as u8;
const CMD_FWD_DEL: u8 = uapi::dhost_cmd_DHOST_CMD_FWD_DEL as u8;
const CMD_PEER_SET: u8 = uapi::dhost_cmd_DHOST_CMD_PEER_SET as u8;
const CMD_PEER_DEL: u8 = uapi::dhost_cmd_DHOST_CMD_PEER_DEL as u8;
const CMD_AUTH: u8 = uapi::dhost_cmd_DHOST_CMD_AUTH as u8;
const CMD_FWD_GET: u8 = uapi::dhost_cmd_DHOST_CMD_FWD_GET as u8;
const CMD_FWD_FLUSH: u8 = uapi::dhost_cmd_DHOST_CMD_FWD_FLUSH as u8;

/// The number of `enum dhost_stat` counters.
const STATS: usize = uapi::dhost_stat___DHOST_STAT_MAX as usize;

/// `DHOST_A_HOOK`: an `enum dhost_hook`.
const HOOK: Attr<U32> = Attr::new(uapi::dhost_attr_DHOST_A_HOOK);
/// `DHOST_A_PACKETS`: a hook's packet counter, in replies only.
const PACKETS: Attr<Uint> =
    Attr::new(uapi::dhost_attr_DHOST_A_PACKETS).read_only_msg(c"Packet counters are read-only");
const ADDR: Attr<InAddr> = Attr::new(uapi::dhost_attr_DHOST_A_ADDR);
const IFINDEX: Attr<U32> = Attr::new(uapi::dhost_attr_DHOST_A_IFINDEX);
pub(crate) const MEMBER: Attr<U32> = Attr::new(uapi::dhost_attr_DHOST_A_MEMBER);
const MEMBERS: Attr<U32> = Attr::new(uapi::dhost_attr_DHOST_A_MEMBERS);
const LEAD: Attr<U32> = Attr::new(uapi::dhost_attr_DHOST_A_LEAD);
const PORT_LO: Attr<U16> = Attr::new(uapi::dhost_attr_DHOST_A_PORT_LO)
    .read_only_msg(c"The port slice follows from the member number");
const PORT_HI: Attr<U16> = Attr::new(uapi::dhost_attr_DHOST_A_PORT_HI)
    .read_only_msg(c"The port slice follows from the member number");
const STAT: Attr<U32> = Attr::new(uapi::dhost_attr_DHOST_A_STAT);
const COUNT: Attr<Uint> =
    Attr::new(uapi::dhost_attr_DHOST_A_COUNT).read_only_msg(c"Counters are read-only");
pub(crate) const EVENT: Attr<U32> =
    Attr::new(uapi::dhost_attr_DHOST_A_EVENT).read_only_msg(c"Events come from the kernel");
// PROTO, LPORT, RADDR and RPORT describe events and key forwarding entries.
pub(crate) const PROTO: Attr<U32> = Attr::new(uapi::dhost_attr_DHOST_A_PROTO);
pub(crate) const LADDR: Attr<InAddr> =
    Attr::new(uapi::dhost_attr_DHOST_A_LADDR).read_only_msg(c"Events come from the kernel");
pub(crate) const LPORT: Attr<U16> = Attr::new(uapi::dhost_attr_DHOST_A_LPORT);
pub(crate) const RADDR: Attr<InAddr> = Attr::new(uapi::dhost_attr_DHOST_A_RADDR);
pub(crate) const RPORT: Attr<U16> = Attr::new(uapi::dhost_attr_DHOST_A_RPORT);
pub(crate) const CTX: Attr<U32> =
    Attr::new(uapi::dhost_attr_DHOST_A_CTX).read_only_msg(c"The context is the interface's");
const MAC: Attr<EthAddr> = Attr::new(uapi::dhost_attr_DHOST_A_MAC);
const AUTH_MS: Attr<U32> = Attr::new(uapi::dhost_attr_DHOST_A_AUTH_MS);

static POLICY: Policy<{ uapi::dhost_attr___DHOST_A_MAX as usize }> = Policy::new(&[
    HOOK.entry(),
    PACKETS.entry(),
    ADDR.entry(),
    IFINDEX.entry(),
    MEMBER.entry(),
    MEMBERS.entry(),
    LEAD.entry(),
    PORT_LO.entry(),
    PORT_HI.entry(),
    STAT.entry(),
    COUNT.entry(),
    EVENT.entry(),
    PROTO.entry(),
    LADDR.entry(),
    LPORT.entry(),
    RADDR.entry(),
    RPORT.entry(),
    CTX.entry(),
    MAC.entry(),
    AUTH_MS.entry(),
]);

/// Anybody may read; changing an address takes `CAP_NET_ADMIN` in the
/// namespace.
static OPS: [Operation; 12] = [
    Operation::doit_and_dumpit::<Dhost>(CMD_GET_STATS),
    Operation::doit::<Dhost>(CMD_ADDR_SET).uns_admin_perm(),
    Operation::doit::<Dhost>(CMD_ADDR_DEL).uns_admin_perm(),
    Operation::doit::<Dhost>(CMD_LEAD).uns_admin_perm(),
    Operation::dumpit::<Dhost>(CMD_ADDR_GET),
    Operation::doit::<Dhost>(CMD_FWD_SET).uns_admin_perm(),
    Operation::doit::<Dhost>(CMD_FWD_DEL).uns_admin_perm(),
    Operation::doit::<Dhost>(CMD_PEER_SET).uns_admin_perm(),
    Operation::doit::<Dhost>(CMD_PEER_DEL).uns_admin_perm(),
    Operation::doit::<Dhost>(CMD_AUTH).uns_admin_perm(),
    Operation::dumpit::<Dhost>(CMD_FWD_GET),
    Operation::doit::<Dhost>(CMD_FWD_FLUSH).uns_admin_perm(),
];

/// The multicast group `events`: bind, listen, accept, connect and close
/// on distributed addresses.
static MCGRPS: [MulticastGroup; 1] = [MulticastGroup::const_new(
    match CStr::from_bytes_with_nul(uapi::DHOST_GENL_MCGRP_EVENTS) {
        Ok(name) => name,
        Err(_) => panic!("group name not NUL-terminated"),
    },
)];

/// The generic netlink family `dhost`.
pub(crate) static FAMILY: Family = Family::const_new_with_ops(
    this_module::<crate::LocalModule>(),
    uapi::DHOST_GENL_NAME,
    uapi::DHOST_GENL_VERSION,
    &MCGRPS,
    &POLICY,
    &OPS,
);

/// The commands of the family.
struct Dhost;

/// Refuses `req` with `errno`, telling the requester why.
fn refuse(req: &Request<'_>, errno: Error, msg: &'static CStr) -> Error {
    req.ext_ack().set_msg(msg);
    errno
}

/// The interface index of `req` (required), for the core.
fn ifindex(req: &Request<'_>) -> Result<i32> {
    let i = req
        .get(IFINDEX)
        .ok_or_else(|| refuse(req, EINVAL, c"Missing interface (DHOST_A_IFINDEX)"))?;
    i32::try_from(i).map_err(|_| refuse(req, ENODEV, c"No such interface"))
}

/// The address of `req` (required).
fn addr(req: &Request<'_>) -> Result<Ipv4Addr> {
    req.get(ADDR)
        .ok_or_else(|| refuse(req, EINVAL, c"Missing address (DHOST_A_ADDR)"))
}

/// The lead flag of `req`: 0 or 1.
fn lead(req: &Request<'_>, required: bool) -> Result<bool> {
    match req.get(LEAD) {
        None if required => Err(refuse(req, EINVAL, c"Missing lead flag (DHOST_A_LEAD)")),
        None | Some(0) => Ok(false),
        Some(1) => Ok(true),
        Some(_) => Err(refuse(req, EINVAL, c"The lead flag is 0 or 1")),
    }
}

fn addr_set(req: &Request<'_>) -> Result {
    let addr = addr(req)?;
    let ifindex = ifindex(req)?;
    let member = req
        .get(MEMBER)
        .ok_or_else(|| refuse(req, EINVAL, c"Missing member number (DHOST_A_MEMBER)"))?;
    let members = req
        .get(MEMBERS)
        .ok_or_else(|| refuse(req, EINVAL, c"Missing member count (DHOST_A_MEMBERS)"))?;
    let lead = lead(req, false)?;
    req.net()
        .addr_set(ifindex, addr, member, members, lead, &req.ext_ack())
}

fn addr_del(req: &Request<'_>) -> Result {
    let addr = addr(req)?;
    let ifindex = ifindex(req)?;
    req.net().addr_clear(ifindex, addr, &req.ext_ack())
}

fn set_lead(req: &Request<'_>) -> Result {
    let ifindex = ifindex(req)?;
    let lead = lead(req, true)?;
    req.net()
        .addr_lead(ifindex, req.get(ADDR), lead, &req.ext_ack())
}

/// The member number of `req` (required).
fn member(req: &Request<'_>) -> Result<u32> {
    req.get(MEMBER)
        .ok_or_else(|| refuse(req, EINVAL, c"Missing member number (DHOST_A_MEMBER)"))
}

/// The forwarding-table key of `req`: PROTO and LPORT, and for one
/// connection RADDR and RPORT (the core checks the values).
fn fwd_key(req: &Request<'_>) -> Result<FwdKey> {
    let proto = req
        .get(PROTO)
        .ok_or_else(|| refuse(req, EINVAL, c"Missing protocol (DHOST_A_PROTO)"))?;
    let proto = u8::try_from(proto)
        .map_err(|_| refuse(req, EPROTONOSUPPORT, c"Protocol must be TCP or UDP"))?;
    let lport = req
        .get(LPORT)
        .ok_or_else(|| refuse(req, EINVAL, c"Missing port (DHOST_A_LPORT)"))?;
    let remote = match (req.get(RADDR), req.get(RPORT)) {
        (Some(a), Some(p)) => Some((a, p)),
        (None, None) => None,
        _ => {
            return Err(refuse(
                req,
                EINVAL,
                c"A connection needs both DHOST_A_RADDR and DHOST_A_RPORT",
            ))
        }
    };
    Ok(FwdKey {
        proto,
        lport,
        remote,
    })
}

fn fwd_set(req: &Request<'_>, set: bool) -> Result {
    let addr = addr(req)?;
    let ifindex = ifindex(req)?;
    let key = fwd_key(req)?;
    let member = if set {
        let m = member(req)?;
        if m == 0 {
            return Err(refuse(
                req,
                ERANGE,
                c"Member number must be 1..member count",
            ));
        }
        m
    } else {
        0
    };
    req.net()
        .fwd_set(ifindex, addr, &key, member, &req.ext_ack())
}

fn peer_set(req: &Request<'_>, set: bool) -> Result {
    let addr = addr(req)?;
    let ifindex = ifindex(req)?;
    let member = member(req)?;
    let mac = if set {
        Some(req.get(MAC).ok_or_else(|| {
            refuse(
                req,
                EINVAL,
                c"Missing hardware address (DHOST_A_MAC, 6 bytes)",
            )
        })?)
    } else {
        None
    };
    req.net()
        .peer_set(ifindex, addr, member, mac, &req.ext_ack())
}

fn auth(req: &Request<'_>) -> Result {
    let addr = addr(req)?;
    let ifindex = ifindex(req)?;
    let ms = req
        .get(AUTH_MS)
        .ok_or_else(|| refuse(req, EINVAL, c"Missing duration (DHOST_A_AUTH_MS)"))?;
    req.net().fwd_auth(ifindex, addr, ms, &req.ext_ack())
}

fn fwd_flush(req: &Request<'_>) -> Result {
    let addr = addr(req)?;
    let ifindex = ifindex(req)?;
    req.net().fwd_flush(ifindex, addr, &req.ext_ack())
}

/// One item of the table of `info`'s address.
fn put_item(a: &mut Attrs<'_>, info: &AddrInfo, item: &FwdItem) -> Result {
    a.put(ADDR, info.addr)?;
    a.put(IFINDEX, u32::try_from(info.ifindex)?)?;
    match *item {
        FwdItem::Table { auth_ms } => a.put(AUTH_MS, auth_ms),
        FwdItem::Peer { member, mac } => {
            a.put(MEMBER, member)?;
            a.put(MAC, mac)
        }
        FwdItem::Entry { key, member } => {
            a.put(PROTO, u32::from(key.proto))?;
            a.put(LPORT, key.lport)?;
            if let Some((raddr, rport)) = key.remote {
                a.put(RADDR, raddr)?;
                a.put(RPORT, rport)?;
            }
            a.put(MEMBER, member)
        }
    }
}

/// The dump cursor of `FWD_GET`: the address (in `addr_nth()` order) in
/// the high half, the item of its table in the low half.
const ITEM_BITS: u32 = 32;

fn put_hook(a: &mut Attrs<'_>, counters: &Counters, hook: usize) -> Result {
    let packets = counters.packets(hook).ok_or(EINVAL)?;
    a.put(HOOK, u32::try_from(hook)?)?;
    a.put(PACKETS, packets)
}

fn put_stat(a: &mut Attrs<'_>, net: &Namespace, stat: usize) -> Result {
    let stat = u32::try_from(stat)?;
    a.put(STAT, stat)?;
    a.put(COUNT, net.stat(stat))
}

fn put_addr(a: &mut Attrs<'_>, info: &AddrInfo) -> Result {
    a.put(ADDR, info.addr)?;
    a.put(IFINDEX, u32::try_from(info.ifindex)?)?;
    a.put(CTX, info.ctx)?;
    a.put(MEMBER, info.member)?;
    a.put(MEMBERS, info.members)?;
    a.put(LEAD, u32::from(info.lead))?;
    a.put(PORT_LO, info.port_lo)?;
    a.put(PORT_HI, info.port_hi)
}

/// The hook counters of the requester's namespace.
fn counters(net: &Namespace) -> Result<Arc<Counters>> {
    NAMESPACES.lock().get(net.cookie()).ok_or(ENOENT)
}

/// `GET_STATS` with `HOOK`: that hook's packets; with `STAT`: that counter.
fn get_stats(req: &Request<'_>) -> Result {
    let mut msg = req.new_reply(CMD_GET_STATS)?;
    if let Some(stat) = req.get(STAT) {
        let stat = usize::try_from(stat)
            .ok()
            .filter(|&s| s < STATS)
            .ok_or_else(|| refuse(req, ERANGE, c"No such counter (see enum dhost_stat)"))?;
        put_stat(&mut msg.attrs(), req.net(), stat)?;
        return msg.reply(req);
    }
    let hook = req.get(HOOK).ok_or_else(|| {
        refuse(
            req,
            EINVAL,
            c"Missing hook (DHOST_A_HOOK) or counter (DHOST_A_STAT), or ask for a dump",
        )
    })?;
    let hook = usize::try_from(hook)
        .ok()
        .filter(|&h| h < POINTS.len())
        .ok_or_else(|| refuse(req, ERANGE, c"No such hook (see enum dhost_hook)"))?;
    let counters = counters(req.net())?;
    put_hook(&mut msg.attrs(), &counters, hook)?;
    msg.reply(req)
}

impl Commands for Dhost {
    fn doit(req: &Request<'_>) -> Result {
        match req.cmd() {
            CMD_GET_STATS => get_stats(req),
            CMD_ADDR_SET => addr_set(req),
            CMD_ADDR_DEL => addr_del(req),
            CMD_LEAD => set_lead(req),
            CMD_FWD_SET => fwd_set(req, true),
            CMD_FWD_DEL => fwd_set(req, false),
            CMD_PEER_SET => peer_set(req, true),
            CMD_PEER_DEL => peer_set(req, false),
            CMD_AUTH => auth(req),
            CMD_FWD_FLUSH => fwd_flush(req),
            _ => Err(EOPNOTSUPP),
        }
    }

    fn dumpit(dump: &mut Dump<'_>) -> Result {
        let net = dump.net();
        match dump.cmd() {
            // The cursor: the hooks first, then the decision counters.
            CMD_GET_STATS => {
                let counters = counters(net)?;
                for i in dump.cursor()..POINTS.len() + STATS {
                    let more = if i < POINTS.len() {
                        dump.entry(CMD_GET_STATS, |a| put_hook(a, &counters, i))?
                    } else {
                        dump.entry(CMD_GET_STATS, |a| put_stat(a, net, i - POINTS.len()))?
                    };
                    if !more {
                        break;
                    }
                    dump.set_cursor(i + 1);
                }
                Ok(())
            }
            // The cursor: the next address, in interface order.
            CMD_ADDR_GET => {
                let mut n = dump.cursor();
                while let Some(info) = net.addr_nth(n) {
                    if !dump.entry(CMD_ADDR_GET, |a| put_addr(a, &info))? {
                        break;
                    }
                    n += 1;
                    dump.set_cursor(n);
                }
                Ok(())
            }
            // Every distributed address's table: the table itself, its
            // peers, its entries.
            CMD_FWD_GET => {
                let mut cursor = dump.cursor();
                while let Some(info) = net.addr_nth(cursor >> ITEM_BITS) {
                    let item = cursor & ((1 << ITEM_BITS) - 1);
                    match net.fwd_nth(info.ifindex, info.addr, item) {
                        Some(it) => {
                            if !dump.entry(CMD_FWD_GET, |a| put_item(a, &info, &it))? {
                                break;
                            }
                            cursor += 1;
                        }
                        None => cursor = ((cursor >> ITEM_BITS) + 1) << ITEM_BITS,
                    }
                    dump.set_cursor(cursor);
                }
                Ok(())
            }
            _ => Err(EOPNOTSUPP),
        }
    }
}
