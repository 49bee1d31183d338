// SPDX-License-Identifier: GPL-2.0

//! The generic netlink family `dhost`: the hooks' packet counters. No
//! `unsafe`.

#![deny(unsafe_code)]

use kernel::{
    module::this_module,
    net::netlink::{
        attr::{Uint, U32},
        Attr, Attrs, Commands, Dump, Family, MulticastGroup, Operation, Policy, Request,
    },
    prelude::*,
    sync::Arc,
    uapi,
};

use crate::{
    hooks::{Counters, POINTS},
    NAMESPACES,
};

// CAST: Command numbers fit in a byte.
const CMD_GET_STATS: u8 = uapi::dhost_cmd_DHOST_CMD_GET_STATS as u8;

/// `DHOST_A_HOOK`: an `enum dhost_hook`.
const HOOK: Attr<U32> = Attr::new(uapi::dhost_attr_DHOST_A_HOOK);
/// `DHOST_A_PACKETS`: a hook's packet counter, in replies only.
const PACKETS: Attr<Uint> =
    Attr::new(uapi::dhost_attr_DHOST_A_PACKETS).read_only_msg(c"Packet counters are read-only");

static POLICY: Policy<{ uapi::dhost_attr___DHOST_A_MAX as usize }> =
    Policy::new(&[HOOK.entry(), PACKETS.entry()]);

/// `GET_STATS` answers one hook, or dumps them all; anybody may read them.
static OPS: [Operation; 1] = [Operation::doit_and_dumpit::<Dhost>(CMD_GET_STATS)];

/// The multicast group `events` (bind, listen, accept, ... on distributed
/// addresses: a later stage).
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

fn put_stats(a: &mut Attrs<'_>, counters: &Counters, hook: usize) -> Result {
    let packets = counters.packets(hook).ok_or(EINVAL)?;
    a.put(HOOK, u32::try_from(hook)?)?;
    a.put(PACKETS, packets)
}

/// The counters of the requester's namespace.
fn counters(net: &kernel::net::Namespace) -> Result<Arc<Counters>> {
    NAMESPACES.lock().get(net.cookie()).ok_or(ENOENT)
}

fn get_stats(req: &Request<'_>) -> Result {
    let hook = req.get(HOOK).ok_or_else(|| {
        refuse(
            req,
            EINVAL,
            c"Missing hook (DHOST_A_HOOK), or ask for a dump of every hook",
        )
    })?;
    let hook = usize::try_from(hook)
        .ok()
        .filter(|&h| h < POINTS.len())
        .ok_or_else(|| refuse(req, ERANGE, c"No such hook (see enum dhost_hook)"))?;
    let counters = counters(req.net())?;
    let mut msg = req.new_reply(CMD_GET_STATS)?;
    put_stats(&mut msg.attrs(), &counters, hook)?;
    msg.reply(req)
}

impl Commands for Dhost {
    fn doit(req: &Request<'_>) -> Result {
        match req.cmd() {
            CMD_GET_STATS => get_stats(req),
            _ => Err(EOPNOTSUPP),
        }
    }

    fn dumpit(dump: &mut Dump<'_>) -> Result {
        if dump.cmd() != CMD_GET_STATS {
            return Err(EOPNOTSUPP);
        }
        // The cursor is the next hook to report.
        let counters = counters(dump.net())?;
        for hook in dump.cursor()..POINTS.len() {
            if !dump.entry(CMD_GET_STATS, |a| put_stats(a, &counters, hook))? {
                break;
            }
            dump.set_cursor(hook + 1);
        }
        Ok(())
    }
}
