// SPDX-License-Identifier: GPL-2.0

//! The only place this crate touches raw kernel bindings: the calls into
//! the vrctx core (`include/net/vrctx.h`, `net/ipv4/vrctx.c`), behind safe
//! methods of [`Namespace`]. Generic netlink, the per-namespace operations
//! and `/proc/net` come from the kernel crate (`kernel::net`).

use kernel::{
    bindings,
    error::to_result,
    net::{netlink::ExtAck, Namespace},
    prelude::*,
};

use crate::registry::NetKey;

/// What still uses a context.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Users {
    pub(crate) ifaces: u32,
    pub(crate) tasks: u32,
    pub(crate) sockets: u32,
}

impl Users {
    fn from_raw(u: &bindings::vrctx_users) -> Self {
        Users {
            ifaces: u.ifaces,
            tasks: u.tasks,
            sockets: u.sockets,
        }
    }

    /// Whether anything uses the context.
    pub(crate) fn any(&self) -> bool {
        self.ifaces != 0 || self.tasks != 0 || self.sockets != 0
    }
}

/// The vrctx core's view of a network namespace.
pub(crate) trait Core {
    /// The namespace's identity in the registry.
    fn key(&self) -> NetKey;
    /// Makes context `ctx` exist for the stack, with its routing table.
    fn publish(&self, ctx: u32) -> Result;
    /// Makes context `ctx` cease to exist for the stack; frees its table.
    fn unpublish(&self, ctx: u32);
    /// Moves interface `ifindex` into context `ctx`; the core explains a
    /// refusal in `ack`.
    fn assign(&self, ifindex: i32, ctx: u32, ack: &ExtAck<'_>) -> Result;
    /// Aborts every socket of `ctx` (ECONNABORTED). May sleep.
    fn abort_sockets(&self, ctx: u32);
    /// Sends every interface of `ctx` back to context 0, addresses flushed.
    fn evict(&self, ctx: u32) -> u32;
    /// What still uses context `ctx`. May sleep.
    fn users(&self, ctx: u32) -> Result<Users>;
    /// What still uses each of the contexts `ids` (in ascending order),
    /// into `out`: one walk over the threads answers for all of them. May
    /// sleep.
    fn users_of(&self, ids: &[u32], out: &mut KVec<Users>) -> Result;
}

impl Core for Namespace {
    fn key(&self) -> NetKey {
        NetKey(self.cookie())
    }

    fn publish(&self, ctx: u32) -> Result {
        // SAFETY: `self` is a live namespace.
        to_result(unsafe { bindings::vrctx_ctx_publish(self.as_raw(), ctx) })
    }

    fn unpublish(&self, ctx: u32) {
        // SAFETY: `self` is a live namespace.
        unsafe { bindings::vrctx_ctx_unpublish(self.as_raw(), ctx) };
    }

    fn assign(&self, ifindex: i32, ctx: u32, ack: &ExtAck<'_>) -> Result {
        // SAFETY: `self` is a live namespace; `ack` is null or the extack
        // of the request being handled.
        to_result(unsafe { bindings::vrctx_dev_assign(self.as_raw(), ifindex, ctx, ack.as_raw()) })
    }

    fn abort_sockets(&self, ctx: u32) {
        // SAFETY: `self` is a live namespace; we run in process context.
        unsafe { bindings::vrctx_ctx_abort_sockets(self.as_raw(), ctx) };
    }

    fn evict(&self, ctx: u32) -> u32 {
        // SAFETY: `self` is a live namespace.
        unsafe { bindings::vrctx_ctx_evict(self.as_raw(), ctx) }
    }

    fn users(&self, ctx: u32) -> Result<Users> {
        let ids = [ctx];
        let mut raw = [bindings::vrctx_users::default()];
        // SAFETY: `self` is a live namespace; `ids` and `raw` both hold one
        // element; we run in process context.
        to_result(unsafe {
            bindings::vrctx_ctx_users(self.as_raw(), ids.as_ptr(), raw.as_mut_ptr(), 1)
        })?;
        Ok(Users::from_raw(&raw[0]))
    }

    fn users_of(&self, ids: &[u32], out: &mut KVec<Users>) -> Result {
        let n = u32::try_from(ids.len()).map_err(|_| EINVAL)?;
        let mut raw = KVec::<bindings::vrctx_users>::with_capacity(ids.len(), GFP_KERNEL)?;
        raw.resize(ids.len(), bindings::vrctx_users::default(), GFP_KERNEL)?;
        // SAFETY: `self` is a live namespace; `ids` and `raw` both hold
        // `n` elements; we run in process context.
        to_result(unsafe {
            bindings::vrctx_ctx_users(self.as_raw(), ids.as_ptr(), raw.as_mut_ptr(), n)
        })?;
        out.clear();
        out.reserve(raw.len(), GFP_KERNEL)?;
        for u in raw.iter() {
            out.push(Users::from_raw(u), GFP_KERNEL)?;
        }
        Ok(())
    }
}
