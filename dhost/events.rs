// SPDX-License-Identifier: GPL-2.0

//! Socket events on distributed addresses, multicast to the `events`
//! group of the `dhost` family. No `unsafe`.
//!
//! The core calls [`send`] under RCU, sometimes with a socket lock held:
//! nothing here may sleep, so the message is allocated with `GFP_ATOMIC`.
//! An event nobody listens for is not sent; one that cannot be allocated
//! or delivered is counted (`DHOST_STAT_EVENTS_LOST`), never lost silently.

#![deny(unsafe_code)]

use kernel::{
    net::{
        netlink::{GenlMsg, NetlinkSkBuff},
        Namespace,
    },
    prelude::*,
    uapi,
};

use crate::{
    netlink::{self, FAMILY},
    sys::{Core, SockEvent},
};

/// The group's index in the family.
const GROUP: u32 = 0;

/// Room for one event: the header and nine small attributes.
const EVENT_SIZE: usize = 256;

fn message(ev: &SockEvent) -> Result<GenlMsg> {
    let mut msg = NetlinkSkBuff::new(EVENT_SIZE, GFP_ATOMIC)?.genlmsg_put(
        0,
        0,
        &FAMILY,
        netlink::CMD_EVENT,
    )?;
    let mut a = msg.attrs();
    a.put(netlink::EVENT, ev.event)?;
    a.put(netlink::PROTO, u32::from(ev.protocol))?;
    a.put(netlink::CTX, ev.ctx)?;
    a.put(netlink::LADDR, ev.laddr)?;
    a.put(netlink::LPORT, ev.lport)?;
    a.put(netlink::RADDR, ev.raddr)?;
    a.put(netlink::RPORT, ev.rport)?;
    a.put(netlink::MEMBER, u32::from(ev.member))?;
    Ok(msg)
}

/// Sends `ev` to the listeners of the group in `net`.
pub(crate) fn send(net: &Namespace, ev: &SockEvent) {
    if !FAMILY.has_listeners_netns(net, GROUP) {
        return;
    }
    let stat = match message(ev).and_then(|m| m.multicast_netns(&FAMILY, net, 0, GROUP, GFP_ATOMIC))
    {
        Ok(()) => uapi::dhost_stat_DHOST_STAT_EVENTS,
        // The last listener left meanwhile.
        Err(e) if e == ESRCH => return,
        Err(_) => uapi::dhost_stat_DHOST_STAT_EVENTS_LOST,
    };
    net.count(stat);
}
