// SPDX-License-Identifier: GPL-2.0

//! Virtual router contexts: the context registry.
//!
//! The kernel patch series puts a context number on every task, socket,
//! packet and IPv4 interface and routes each context with its own table.
//! This module owns the policy: which contexts exist in each network
//! namespace, their names, and the control interfaces (the generic netlink
//! family `vrctx` and `/proc/net/vrctx`). It publishes every context it
//! creates to the stack; until it does, only context 0 exists.

use kernel::prelude::*;

mod netlink;
mod registry;
mod sys;

module! {
    type: VrctxModule,
    name: "vrctx",
    authors: ["vrctx developers"],
    description: "Virtual router contexts: context registry",
    license: "GPL",
}

kernel::sync::global_lock! {
    // SAFETY: `VrctxModule::init` initialises it before anything uses it.
    unsafe(uninit) static REGISTRY: Mutex<registry::Registry> = registry::Registry::new();
}

struct VrctxModule {
    // Dropped in this order: no new requests, then every namespace's
    // contexts are deleted.
    _genl: kernel::net::netlink::Registration,
    _pernet: kernel::net::pernet::Registration<netlink::Vrctx>,
}

impl kernel::Module for VrctxModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Module init runs once, before anything can use the lock.
        unsafe { REGISTRY.init() };
        let pernet = kernel::net::pernet::Registration::register()?;
        let genl = netlink::FAMILY.register()?;
        pr_info!("virtual router contexts ready\n");
        Ok(VrctxModule {
            _genl: genl,
            _pernet: pernet,
        })
    }
}
