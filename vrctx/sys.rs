// SPDX-License-Identifier: GPL-2.0

//! The only place this crate touches raw kernel bindings.
//!
//! Safe wrappers over the vrctx core's registration API
//! (`include/net/vrctx.h`).

use kernel::{bindings, error::from_result, prelude::*};

/// What the core asks the registry.
pub(crate) trait Callbacks {
    /// Returns `Ok(())` if context `ctx` exists, else the errno to report
    /// (`ENOENT` for an unknown context). Called under RCU, must not sleep.
    fn ctx_valid(ctx: u32) -> Result;
}

/// A C ops table shared with the core, built in const context.
#[repr(transparent)]
pub(crate) struct OpsTable(bindings::vrctx_ops);

// SAFETY: The table is immutable after construction and only holds function
// pointers, which may be called from any thread.
unsafe impl Sync for OpsTable {}

impl OpsTable {
    /// Builds the table whose callbacks are `T`'s.
    pub(crate) const fn new<T: Callbacks>() -> Self {
        Self(bindings::vrctx_ops {
            ctx_valid: Some(ctx_valid_callback::<T>),
        })
    }
}

/// # Safety
///
/// Called by the vrctx core only, with a valid `net` under RCU.
unsafe extern "C" fn ctx_valid_callback<T: Callbacks>(
    _net: *const bindings::net,
    ctx: u32,
) -> c_int {
    from_result(|| {
        T::ctx_valid(ctx)?;
        Ok(0)
    })
}

/// The registration of the registry's callbacks with the core.
///
/// # Invariants
///
/// `ops` is registered with the core until `drop`.
pub(crate) struct OpsRegistration {
    ops: &'static OpsTable,
}

impl OpsRegistration {
    /// Registers the callbacks in `ops`; `EBUSY` if another registry is
    /// installed.
    pub(crate) fn register(ops: &'static OpsTable) -> Result<Self> {
        // SAFETY: `ops` is a `'static` table whose callbacks stay valid while
        // this module is loaded; `drop` unregisters it before unload.
        kernel::error::to_result(unsafe { bindings::vrctx_register_ops(&ops.0) })?;
        // INVARIANT: registered just above.
        Ok(Self { ops })
    }
}

impl Drop for OpsRegistration {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the table is registered. The core
        // waits for RCU readers before returning, so no callback runs after.
        unsafe { bindings::vrctx_unregister_ops(&self.ops.0) };
    }
}
