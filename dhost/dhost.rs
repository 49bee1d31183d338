// SPDX-License-Identifier: GPL-2.0

//! Distributed host: one IPv4 address served by several machines.
//!
//! This stage is the skeleton the distributed-host rules grow on: in every
//! network namespace, netfilter hooks at IPv4 pre-routing and local-in and
//! at ARP in and out count the packets they see and accept them all, and
//! the generic netlink family `dhost` reports the counters
//! (`DHOST_CMD_GET_STATS`). It also holds the per-member port-slice policy
//! the packet rules will use. See docs/design.md §5.

use kernel::prelude::*;

mod hooks;
mod netlink;
mod ports;

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
    // Dropped in this order: no new requests, then the hooks leave every
    // namespace (once no packet is in flight through them).
    _genl: kernel::net::netlink::Registration,
    _hooks: kernel::net::netfilter::Registration<hooks::Counters>,
}

impl kernel::Module for DhostModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Module init runs once, before anything can use the lock.
        unsafe { NAMESPACES.init() };
        let hooks = hooks::HOOKS.register()?;
        let genl = netlink::FAMILY.register()?;
        pr_info!("distributed host ready\n");
        Ok(DhostModule {
            _genl: genl,
            _hooks: hooks,
        })
    }
}
