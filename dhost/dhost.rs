// SPDX-License-Identifier: GPL-2.0

//! Distributed host: one IPv4 address served by several machines.
//!
//! This stage holds the pure policy the packet rules will use (the
//! per-member ephemeral port slices); the netfilter rules, the generic
//! netlink family `dhost` and the bind/accept events arrive with the
//! distributed-host stages (see docs/design.md §5).

use kernel::prelude::*;

mod ports;

module! {
    type: DhostModule,
    name: "dhost",
    authors: ["vrctx developers"],
    description: "Distributed host: one IP address served by several machines",
    license: "GPL",
}

struct DhostModule;

impl kernel::Module for DhostModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("distributed host ready\n");
        Ok(DhostModule)
    }
}
