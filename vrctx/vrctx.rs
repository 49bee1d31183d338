// SPDX-License-Identifier: GPL-2.0

//! Virtual router contexts: the context registry.
//!
//! The kernel patch series puts a context number on every task, socket,
//! packet and IPv4 interface; this module owns the policy: which contexts
//! exist in each network namespace, their routing tables and the control
//! interfaces. It registers with the core through [`sys::OpsRegistration`];
//! until it does, only context 0 can be used.

use kernel::prelude::*;

mod registry;
mod sys;

module! {
    type: VrctxModule,
    name: "vrctx",
    authors: ["vrctx developers"],
    description: "Virtual router contexts: context registry",
    license: "GPL",
}

/// The registry callbacks the core calls.
struct Callbacks;

impl sys::Callbacks for Callbacks {
    fn ctx_valid(ctx: u32) -> Result {
        registry::check_id(ctx)?;
        // Context 0 is answered by the core itself; no other context
        // exists until contexts can be created.
        Err(ENOENT)
    }
}

static OPS: sys::OpsTable = sys::OpsTable::new::<Callbacks>();

struct VrctxModule {
    _ops: sys::OpsRegistration,
}

impl kernel::Module for VrctxModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let ops = sys::OpsRegistration::register(&OPS)?;
        pr_info!("virtual router contexts ready\n");
        Ok(VrctxModule { _ops: ops })
    }
}
