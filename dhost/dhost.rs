// SPDX-License-Identifier: GPL-2.0

//! Distributed host: one IPv4 address served by several machines.
//!
//! The member kernel's side (docs/design.md §5): in every network
//! namespace, netfilter hooks at IPv4 pre-routing and local-in and at ARP
//! in and out apply the distributed-host rules to distributed addresses;
//! the core (`net/ipv4/dhost.c`) keeps members without the socket silent
//! and gives each member its slice of the ephemeral ports; the generic
//! netlink family `dhost` marks addresses distributed, sets the lead flag,
//! reports every decision's counter, and multicasts socket events.

use kernel::prelude::*;

mod events;
mod hooks;
mod netlink;
mod ports;
mod sys;

module! {
    type: DhostModule,
    name: "dhost",
    authors: ["vrctx developers"],
    description: "Distributed host: one IP address served by several machines",
    license: "GPL",
}

kernel::sync::global_lock! {
    // SAFETY: `DhostModule::init` initialises it before anything uses it.
    unsafe(uninit) static NAMESPACES: Mutex<hooks::Namespaces> = hooks::Namespaces::new();
}

struct DhostModule {
    // Dropped in this order: the core stops calling us (once no call is
    // running), no new requests, then the hooks leave every namespace (once
    // no packet is in flight through them) and its addresses become
    // ordinary again.
    _events: sys::Events,
    _genl: kernel::net::netlink::Registration,
    _hooks: kernel::net::netfilter::Registration<hooks::Counters>,
}

impl kernel::Module for DhostModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Module init runs once, before anything can use the lock.
        unsafe { NAMESPACES.init() };
        let hooks = hooks::HOOKS.register()?;
        let genl = netlink::FAMILY.register()?;
        let events = sys::Events::register()?;
        pr_info!("distributed host ready\n");
        Ok(DhostModule {
            _events: events,
            _genl: genl,
            _hooks: hooks,
        })
    }
}
