// SPDX-License-Identifier: GPL-2.0

//! The only place this crate touches raw kernel bindings.
//!
//! Safe wrappers over the vrctx core (`include/net/vrctx.h`), generic
//! netlink commands (the kernel crate only offers multicast families in
//! 7.3), per-namespace registration and `/proc/net` files. Written so that
//! they could move to `rust/kernel/net/` unchanged.

use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    bindings,
    error::{from_result, to_result},
    prelude::*,
    seq_file::SeqFile,
    types::Opaque,
    uapi,
};

use crate::registry::NetKey;

/// Commands and attributes of `include/uapi/linux/vrctx.h` (bindgen names
/// enum members after their enum).
pub(crate) mod uapi_enum {
    use kernel::bindings;

    pub(crate) const CMD_NEW: u32 = bindings::vrctx_cmd_VRCTX_CMD_NEW;
    pub(crate) const CMD_DEL: u32 = bindings::vrctx_cmd_VRCTX_CMD_DEL;
    pub(crate) const CMD_GET: u32 = bindings::vrctx_cmd_VRCTX_CMD_GET;
    pub(crate) const CMD_ASSIGN: u32 = bindings::vrctx_cmd_VRCTX_CMD_ASSIGN;
    pub(crate) const CMD_MAX: u32 = bindings::vrctx_cmd___VRCTX_CMD_MAX - 1;

    pub(crate) const A_ID: u32 = bindings::vrctx_attr_VRCTX_A_ID;
    pub(crate) const A_NAME: u32 = bindings::vrctx_attr_VRCTX_A_NAME;
    pub(crate) const A_TABLE: u32 = bindings::vrctx_attr_VRCTX_A_TABLE;
    pub(crate) const A_FORCE: u32 = bindings::vrctx_attr_VRCTX_A_FORCE;
    pub(crate) const A_IFINDEX: u32 = bindings::vrctx_attr_VRCTX_A_IFINDEX;
    pub(crate) const A_N_IFACES: u32 = bindings::vrctx_attr_VRCTX_A_N_IFACES;
    pub(crate) const A_N_SOCKETS: u32 = bindings::vrctx_attr_VRCTX_A_N_SOCKETS;
    pub(crate) const A_N_TASKS: u32 = bindings::vrctx_attr_VRCTX_A_N_TASKS;
    pub(crate) const A_MAX: u32 = bindings::vrctx_attr___VRCTX_A_MAX - 1;
}
use uapi_enum::*;

/// A network namespace, borrowed for the duration of a callback.
///
/// # Invariants
///
/// `ptr` points at a live `struct net` for the lifetime `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Net<'a> {
    ptr: NonNull<bindings::net>,
    _p: PhantomData<&'a bindings::net>,
}

/// What still uses a context.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Users {
    pub(crate) ifaces: u32,
    pub(crate) tasks: u32,
    pub(crate) sockets: u32,
}

impl Users {
    /// Whether anything uses the context.
    pub(crate) fn any(&self) -> bool {
        self.ifaces != 0 || self.tasks != 0 || self.sockets != 0
    }
}

impl<'a> Net<'a> {
    /// # Safety
    ///
    /// `ptr` must point at a `struct net` that stays alive for `'a`.
    unsafe fn from_raw(ptr: *mut bindings::net) -> Option<Self> {
        // INVARIANT: The caller guarantees liveness for `'a`.
        NonNull::new(ptr).map(|ptr| Net {
            ptr,
            _p: PhantomData,
        })
    }

    /// The namespace's identity in the registry.
    pub(crate) fn key(self) -> NetKey {
        NetKey(self.ptr.as_ptr() as usize)
    }

    /// Makes context `ctx` exist for the stack, with its routing table.
    pub(crate) fn publish(self, ctx: u32) -> Result {
        // SAFETY: By the type invariant `self.ptr` is a live namespace.
        to_result(unsafe { bindings::vrctx_ctx_publish(self.ptr.as_ptr(), ctx) })
    }

    /// Makes context `ctx` cease to exist for the stack; frees its table.
    pub(crate) fn unpublish(self, ctx: u32) {
        // SAFETY: By the type invariant `self.ptr` is a live namespace.
        unsafe { bindings::vrctx_ctx_unpublish(self.ptr.as_ptr(), ctx) };
    }

    /// Moves interface `ifindex` into context `ctx`.
    pub(crate) fn assign(self, ifindex: i32, ctx: u32, ack: &ExtAck<'_>) -> Result {
        // SAFETY: By the type invariant `self.ptr` is a live namespace;
        // `ack.ptr` is null or the request's extack.
        to_result(unsafe { bindings::vrctx_dev_assign(self.ptr.as_ptr(), ifindex, ctx, ack.ptr) })
    }

    /// Aborts every socket of `ctx` (ECONNABORTED). May sleep.
    pub(crate) fn abort_sockets(self, ctx: u32) {
        // SAFETY: By the type invariant `self.ptr` is a live namespace; we
        // run in process context.
        unsafe { bindings::vrctx_ctx_abort_sockets(self.ptr.as_ptr(), ctx) };
    }

    /// Sends every interface of `ctx` back to context 0, addresses flushed.
    pub(crate) fn evict(self, ctx: u32) -> u32 {
        // SAFETY: By the type invariant `self.ptr` is a live namespace.
        unsafe { bindings::vrctx_ctx_evict(self.ptr.as_ptr(), ctx) }
    }

    /// What still uses context `ctx`.
    pub(crate) fn users(self, ctx: u32) -> Result<Users> {
        let mut u = KVec::new();
        self.users_of(&[ctx], &mut u)?;
        u.first().copied().ok_or(EINVAL)
    }

    /// What still uses each of the contexts `ids` (in ascending order),
    /// into `out`: one walk over the threads answers for all of them. May
    /// sleep.
    pub(crate) fn users_of(self, ids: &[u32], out: &mut KVec<Users>) -> Result {
        let n = u32::try_from(ids.len()).map_err(|_| EINVAL)?;
        let mut raw = KVec::<bindings::vrctx_users>::with_capacity(ids.len(), GFP_KERNEL)?;
        raw.resize(ids.len(), bindings::vrctx_users::default(), GFP_KERNEL)?;
        // SAFETY: By the type invariant `self.ptr` is a live namespace;
        // `ids` and `raw` both hold `n` elements; we run in process context.
        to_result(unsafe {
            bindings::vrctx_ctx_users(self.ptr.as_ptr(), ids.as_ptr(), raw.as_mut_ptr(), n)
        })?;
        out.clear();
        out.reserve(raw.len(), GFP_KERNEL)?;
        for u in raw.iter() {
            out.push(
                Users {
                    ifaces: u.ifaces,
                    tasks: u.tasks,
                    sockets: u.sockets,
                },
                GFP_KERNEL,
            )?;
        }
        Ok(())
    }
}

/// Where a netlink request's error message goes.
pub(crate) struct ExtAck<'a> {
    ptr: *mut bindings::netlink_ext_ack,
    _p: PhantomData<&'a mut bindings::netlink_ext_ack>,
}

impl ExtAck<'_> {
    /// Sets the message the requester sees with the errno.
    pub(crate) fn set_msg(&self, msg: &'static CStr) {
        if !self.ptr.is_null() {
            // SAFETY: A non-null `ptr` is the request's extack, which the
            // netlink core owns for the duration of the request.
            unsafe { (*self.ptr)._msg = msg.as_char_ptr() };
        }
    }
}

/// The generic netlink family `vrctx`: attributes, commands, events.
pub(crate) mod genl {
    use super::*;

    /// The commands of the family, implemented by the policy code.
    pub(crate) trait Commands {
        /// Handles a command other than a dump; `Ok(Some(msg))` is sent as
        /// the reply.
        fn doit(cmd: u32, req: &Request<'_>) -> Result<Option<Msg>>;
        /// Fills one part of a dump of command `cmd`.
        fn dumpit(cmd: u32, dump: &mut Dump<'_>) -> Result;
    }

    const MAXATTR: usize = A_MAX as usize;

    /// Attribute policy: strict types and lengths; read-only attributes
    /// are rejected in requests.
    #[repr(transparent)]
    struct Policy([bindings::nla_policy; MAXATTR + 1]);

    // SAFETY: Immutable after construction; only read by the netlink core.
    unsafe impl Sync for Policy {}

    const fn policy(type_: u32, len: u16) -> bindings::nla_policy {
        // SAFETY: `nla_policy` is plain data; all zeroes is a valid value.
        let mut p: bindings::nla_policy = unsafe { core::mem::zeroed() };
        // CAST: The netlink attribute types fit in a byte.
        p.type_ = type_ as u8;
        p.len = len;
        p
    }

    static POLICY: Policy = {
        let mut p = [policy(0, 0); MAXATTR + 1];
        p[A_ID as usize] = policy(bindings::NLA_U32, 0);
        p[A_NAME as usize] = policy(bindings::NLA_NUL_STRING, uapi::VRCTX_NAME_MAX as u16 - 1);
        p[A_TABLE as usize] = policy(bindings::NLA_REJECT, 0);
        p[A_FORCE as usize] = policy(bindings::NLA_FLAG, 0);
        p[A_IFINDEX as usize] = policy(bindings::NLA_U32, 0);
        p[A_N_IFACES as usize] = policy(bindings::NLA_REJECT, 0);
        p[A_N_SOCKETS as usize] = policy(bindings::NLA_REJECT, 0);
        p[A_N_TASKS as usize] = policy(bindings::NLA_REJECT, 0);
        Policy(p)
    };

    #[repr(transparent)]
    struct McGroups([bindings::genl_multicast_group; 1]);

    // SAFETY: Immutable after construction; only read by the netlink core.
    unsafe impl Sync for McGroups {}

    const fn name16(s: &[u8]) -> [c_char; 16] {
        let mut out = [0; 16];
        let mut i = 0;
        while i < s.len() && i < 15 {
            // CAST: ASCII.
            out[i] = s[i] as c_char;
            i += 1;
        }
        out
    }

    static MCGROUPS: McGroups = McGroups([bindings::genl_multicast_group {
        name: name16(uapi::VRCTX_GENL_MCGRP_EVENTS),
        flags: 0,
    }]);

    /// The family itself. The netlink core writes to it while registered.
    ///
    /// # Invariants
    ///
    /// `raw` is only written by [`Registration::register`] before the family
    /// is registered, and by the netlink core.
    pub(crate) struct Family {
        raw: Opaque<bindings::genl_family>,
        ops: Opaque<[bindings::genl_small_ops; 4]>,
    }

    // SAFETY: After registration only the netlink core touches the family,
    // under its own locking.
    unsafe impl Sync for Family {}

    impl Family {
        /// An unregistered family, zeroed.
        pub(crate) const fn new() -> Self {
            Family {
                raw: Opaque::zeroed(),
                ops: Opaque::zeroed(),
            }
        }
    }

    /// A registered family; unregisters on drop.
    pub(crate) struct Registration {
        family: &'static Family,
    }

    /// The family's `doit` for every command.
    ///
    /// # Safety
    ///
    /// Called by the generic netlink core only, with a valid request.
    unsafe extern "C" fn doit_callback<T: Commands>(
        _skb: *mut bindings::sk_buff,
        info: *mut bindings::genl_info,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The netlink core passes a valid `info` that lives
            // until we return.
            let info = unsafe { &*info };
            // SAFETY: `genlhdr` of a validated request is valid.
            let cmd = unsafe { (*info.genlhdr).cmd };
            let req = Request { info };
            if let Some(msg) = T::doit(u32::from(cmd), &req)? {
                msg.reply(&req)?;
            }
            Ok(0)
        })
    }

    /// The family's `dumpit`.
    ///
    /// # Safety
    ///
    /// Called by the generic netlink core only, with a valid dump buffer
    /// and callback state.
    unsafe extern "C" fn dumpit_callback<T: Commands>(
        skb: *mut bindings::sk_buff,
        cb: *mut bindings::netlink_callback,
    ) -> c_int {
        from_result(|| {
            // SAFETY: `cb` is the dump's callback state, valid for the call;
            // `genl_info_dump` returns its embedded request info.
            let info = unsafe { &*bindings::genl_info_dump(cb) };
            // SAFETY: As above, `genlhdr` is valid.
            let cmd = unsafe { (*info.genlhdr).cmd };
            let mut dump = Dump {
                skb,
                cb,
                info,
                _p: PhantomData,
            };
            T::dumpit(u32::from(cmd), &mut dump)?;
            // SAFETY: `skb` is the dump's message buffer, valid for the call.
            // CAST: A netlink message is far below `c_int::MAX` bytes.
            Ok(unsafe { (*skb).len } as c_int)
        })
    }

    const fn small_op<T: Commands>(cmd: u32, dump: bool, admin: bool) -> bindings::genl_small_ops {
        bindings::genl_small_ops {
            doit: if dump { None } else { Some(doit_callback::<T>) },
            dumpit: if dump {
                Some(dumpit_callback::<T>)
            } else {
                None
            },
            // CAST: Command numbers and flags fit in a byte.
            cmd: cmd as u8,
            internal_flags: 0,
            flags: if admin {
                bindings::GENL_UNS_ADMIN_PERM as u8
            } else {
                0
            },
            // Strict validation: unknown attributes, wrong types and
            // lengths are refused.
            validate: 0,
        }
    }

    impl Registration {
        /// Fills in `family` and registers it; its commands are `T`'s.
        pub(crate) fn register<T: Commands>(
            family: &'static Family,
            module: &'static ThisModule,
        ) -> Result<Self> {
            let ops = [
                small_op::<T>(CMD_NEW, false, true),
                small_op::<T>(CMD_DEL, false, true),
                // GET answers single requests with doit and NLM_F_DUMP
                // requests with dumpit: one entry with both.
                bindings::genl_small_ops {
                    doit: Some(doit_callback::<T>),
                    ..small_op::<T>(CMD_GET, true, false)
                },
                small_op::<T>(CMD_ASSIGN, false, true),
            ];
            // SAFETY: By the type invariant nobody else writes the family
            // before it is registered, and module init runs once.
            unsafe {
                family.ops.get().write(ops);
                let f = &mut *family.raw.get();
                f.name = name16(uapi::VRCTX_GENL_NAME);
                f.version = uapi::VRCTX_GENL_VERSION;
                f.maxattr = A_MAX;
                f.policy = POLICY.0.as_ptr();
                f.set_netnsok(1);
                f.small_ops = family.ops.get().cast();
                f.n_small_ops = 4;
                // CAST: Command numbers fit in a byte.
                f.resv_start_op = CMD_MAX as u8 + 1;
                f.mcgrps = MCGROUPS.0.as_ptr();
                f.n_mcgrps = 1;
                f.module = module.as_ptr();
            }
            // SAFETY: The family is fully set up and `'static`.
            to_result(unsafe { bindings::genl_register_family(family.raw.get()) })?;
            Ok(Registration { family })
        }
    }

    impl Family {
        /// Starts an event message for command `cmd` in `net`, unless nobody
        /// listens there.
        pub(crate) fn new_event(&'static self, net: Net<'_>, cmd: u32) -> Option<Msg> {
            // SAFETY: The family is registered (events are only sent by
            // commands and hooks that run while it is); `net` is live.
            let listening =
                unsafe { bindings::genl_has_listeners(self.raw.get(), net.ptr.as_ptr(), 0) };
            if listening == 0 {
                return None;
            }
            Msg::new(self.raw.get(), 0, 0, cmd).ok()
        }

        /// Multicasts `msg` to the event group's listeners in `net`.
        pub(crate) fn send_event(&'static self, net: Net<'_>, msg: Msg) {
            msg.multicast(self, net);
        }
    }

    impl Drop for Registration {
        fn drop(&mut self) {
            // SAFETY: The family was registered by `register`. The netlink
            // core waits for running commands and dumps before it returns.
            unsafe { bindings::genl_unregister_family(self.family.raw.get()) };
        }
    }

    /// A request being handled.
    pub(crate) struct Request<'a> {
        info: &'a bindings::genl_info,
    }

    impl<'a> Request<'a> {
        fn attr(&self, attr: u32) -> Option<*mut bindings::nlattr> {
            if attr as usize > MAXATTR || self.info.attrs.is_null() {
                return None;
            }
            // SAFETY: The netlink core parsed the request into `attrs`, an
            // array of `maxattr + 1` entries valid for the request.
            let a = unsafe { *self.info.attrs.add(attr as usize) };
            (!a.is_null()).then_some(a)
        }

        /// The value of u32 attribute `attr`, if present.
        pub(crate) fn u32(&self, attr: u32) -> Option<u32> {
            // SAFETY: The policy made `attr` a valid NLA_U32 attribute.
            self.attr(attr).map(|a| unsafe { bindings::nla_get_u32(a) })
        }

        /// The bytes of string attribute `attr` without the NUL, if present.
        pub(crate) fn string(&self, attr: u32) -> Option<&'a [u8]> {
            let a = self.attr(attr)?;
            // SAFETY: The policy made `attr` a valid NUL-terminated string
            // attribute; its payload lives as long as the request.
            let bytes = unsafe {
                core::slice::from_raw_parts(
                    bindings::nla_data(a).cast::<u8>(),
                    usize::try_from(bindings::nla_len(a)).unwrap_or(0),
                )
            };
            Some(bytes.split(|&b| b == 0).next().unwrap_or(&[]))
        }

        /// Whether flag attribute `attr` is present.
        pub(crate) fn flag(&self, attr: u32) -> bool {
            self.attr(attr).is_some()
        }

        /// The namespace the request came from.
        pub(crate) fn net(&self) -> Result<Net<'a>> {
            // SAFETY: `info` is valid; the namespace outlives the request.
            unsafe { Net::from_raw(bindings::genl_info_net(self.info)) }.ok_or(EINVAL)
        }

        /// Where to say why the request was refused.
        pub(crate) fn ack(&self) -> ExtAck<'a> {
            ExtAck {
                ptr: self.info.extack,
                _p: PhantomData,
            }
        }
    }

    /// A message being built: a reply or an event.
    ///
    /// # Invariants
    ///
    /// `skb` is an allocated netlink message owned by this value, with a
    /// generic netlink header at `hdr`.
    pub(crate) struct Msg {
        skb: NonNull<bindings::sk_buff>,
        hdr: *mut c_void,
    }

    impl Msg {
        fn new(
            family: *mut bindings::genl_family,
            portid: u32,
            seq: u32,
            cmd: u32,
        ) -> Result<Self> {
            // SAFETY: Plain allocation.
            let skb = unsafe {
                bindings::genlmsg_new(bindings::GENLMSG_DEFAULT_SIZE, bindings::GFP_KERNEL)
            };
            let skb = NonNull::new(skb).ok_or(ENOMEM)?;
            // SAFETY: `skb` is a fresh message; the family is registered.
            // CAST: Command numbers fit in a byte.
            let hdr =
                unsafe { bindings::genlmsg_put(skb.as_ptr(), portid, seq, family, 0, cmd as u8) };
            if hdr.is_null() {
                // SAFETY: We own `skb`.
                unsafe { bindings::nlmsg_free(skb.as_ptr()) };
                return Err(EMSGSIZE);
            }
            // INVARIANT: `skb` is ours with a header at `hdr`.
            Ok(Msg { skb, hdr })
        }

        /// Starts the reply to `req`.
        pub(crate) fn reply_to(req: &Request<'_>, cmd: u32) -> Result<Self> {
            Self::new(
                req.info.family.cast_mut(),
                req.info.snd_portid,
                req.info.snd_seq,
                cmd,
            )
        }

        /// The attributes of the message.
        pub(crate) fn attrs(&mut self) -> Attrs<'_> {
            Attrs {
                skb: self.skb.as_ptr(),
                _p: PhantomData,
            }
        }

        fn finish(self) -> *mut bindings::sk_buff {
            let me = core::mem::ManuallyDrop::new(self);
            // SAFETY: By the type invariant `hdr` is the header in `skb`.
            unsafe { bindings::genlmsg_end(me.skb.as_ptr(), me.hdr) };
            me.skb.as_ptr()
        }

        fn reply(self, req: &Request<'_>) -> Result {
            let skb = self.finish();
            // SAFETY: `genlmsg_reply` consumes `skb`; `info` is valid.
            to_result(unsafe {
                bindings::genlmsg_reply(skb, core::ptr::from_ref(req.info).cast_mut())
            })
        }

        fn multicast(self, family: &'static Family, net: Net<'_>) {
            let skb = self.finish();
            // SAFETY: `genlmsg_multicast_netns` consumes `skb`; the family is
            // registered and `net` is live. Nobody listening is not an error.
            unsafe {
                bindings::genlmsg_multicast_netns(
                    family.raw.get(),
                    net.ptr.as_ptr(),
                    skb,
                    0,
                    0,
                    bindings::GFP_KERNEL,
                )
            };
        }
    }

    impl Drop for Msg {
        fn drop(&mut self) {
            // SAFETY: By the type invariant we own `skb`.
            unsafe { bindings::nlmsg_free(self.skb.as_ptr()) };
        }
    }

    /// Attribute writer for a message or a dump entry.
    pub(crate) struct Attrs<'a> {
        skb: *mut bindings::sk_buff,
        _p: PhantomData<&'a mut bindings::sk_buff>,
    }

    impl Attrs<'_> {
        /// Adds a u32 attribute; `EMSGSIZE` if the message is full.
        pub(crate) fn u32(&mut self, attr: u32, v: u32) -> Result {
            // SAFETY: `skb` is a message being built that we may write.
            // CAST: Attribute numbers fit in a c_int.
            to_result(unsafe { bindings::nla_put_u32(self.skb, attr as c_int, v) })
        }

        /// Adds a string attribute; `EMSGSIZE` if the message is full.
        pub(crate) fn string(&mut self, attr: u32, s: &CStr) -> Result {
            // SAFETY: As above; `s` is NUL-terminated.
            to_result(unsafe { bindings::nla_put_string(self.skb, attr as c_int, s.as_char_ptr()) })
        }
    }

    /// One part of a dump.
    pub(crate) struct Dump<'a> {
        skb: *mut bindings::sk_buff,
        cb: *mut bindings::netlink_callback,
        info: &'a bindings::genl_info,
        _p: PhantomData<&'a mut bindings::netlink_callback>,
    }

    impl<'a> Dump<'a> {
        /// The namespace of the requester.
        pub(crate) fn net(&self) -> Result<Net<'a>> {
            // SAFETY: `info` is valid; the namespace outlives the dump.
            unsafe { Net::from_raw(bindings::genl_info_net(self.info)) }.ok_or(EINVAL)
        }

        /// How many entries earlier parts of the dump sent.
        pub(crate) fn cursor(&self) -> usize {
            // SAFETY: `cb` is valid for the call; `args` is ours to use.
            let v = unsafe { (*self.cb).__bindgen_anon_1.args[0] };
            usize::try_from(v).unwrap_or(0)
        }

        /// Sets where the next part of the dump starts.
        pub(crate) fn set_cursor(&mut self, n: usize) {
            // SAFETY: As above.
            unsafe { (*self.cb).__bindgen_anon_1.args[0] = n as c_long };
        }

        /// Adds one entry with command `cmd`, its attributes written by
        /// `fill`; returns `false` (and adds nothing) once the part is full.
        /// The caller moves the cursor.
        pub(crate) fn entry(
            &mut self,
            cmd: u32,
            fill: impl FnOnce(&mut Attrs<'_>) -> Result,
        ) -> Result<bool> {
            // SAFETY: `skb` is the dump's buffer; `info.family` is ours.
            // CAST: Command numbers fit in a byte.
            let hdr = unsafe {
                bindings::genlmsg_put(
                    self.skb,
                    self.info.snd_portid,
                    self.info.snd_seq,
                    self.info.family.cast_mut(),
                    bindings::NLM_F_MULTI as c_int,
                    cmd as u8,
                )
            };
            if hdr.is_null() {
                return Ok(false);
            }
            let mut attrs = Attrs {
                skb: self.skb,
                _p: PhantomData,
            };
            match fill(&mut attrs) {
                Ok(()) => {
                    // SAFETY: `hdr` was just put into `skb`.
                    unsafe { bindings::genlmsg_end(self.skb, hdr) };
                    Ok(true)
                }
                Err(e) => {
                    // SAFETY: `hdr` was just put into `skb`.
                    unsafe { bindings::genlmsg_cancel(self.skb, hdr) };
                    if e == EMSGSIZE {
                        Ok(false)
                    } else {
                        Err(e)
                    }
                }
            }
        }
    }
}

/// Per network namespace setup: a `/proc/net` file and cleanup hooks.
pub(crate) mod pernet {
    use super::*;

    /// What the policy code does per namespace.
    pub(crate) trait Hooks {
        /// Name of the file in `/proc/net`.
        const PROC_NAME: &'static CStr;
        /// Prints the file.
        fn show(net: Net<'_>, m: &SeqFile);
        /// The namespace goes away (or the module does).
        fn exit(net: Net<'_>);
    }

    /// A `pernet_operations`, registered while this value lives.
    pub(crate) struct Ops {
        raw: Opaque<bindings::pernet_operations>,
    }

    // SAFETY: Only the network namespace core touches it after registration,
    // under `pernet_ops_rwsem`.
    unsafe impl Sync for Ops {}

    impl Ops {
        /// Unregistered operations.
        pub(crate) const fn new() -> Self {
            Ops {
                raw: Opaque::zeroed(),
            }
        }
    }

    /// Prints the `/proc/net` file.
    ///
    /// # Safety
    ///
    /// Called by the seq_file core only, with a `single_open_net` file.
    unsafe extern "C" fn show_callback<T: Hooks>(
        seq: *mut bindings::seq_file,
        _v: *mut c_void,
    ) -> c_int {
        // SAFETY: `seq` is the file being read, opened by
        // `proc_create_net_single`, which keeps a reference to its namespace.
        let net = unsafe { Net::from_raw(bindings::seq_file_single_net(seq)) };
        if let Some(net) = net {
            // SAFETY: `seq` is valid and only used by this thread for the call.
            T::show(net, unsafe { SeqFile::from_raw(seq) });
        }
        0
    }

    /// A namespace appears (or the module arrives).
    ///
    /// # Safety
    ///
    /// Called by the pernet core only, with a live namespace.
    unsafe extern "C" fn init_callback<T: Hooks>(net: *mut bindings::net) -> c_int {
        // SAFETY: The namespace core passes a live namespace.
        let entry = unsafe {
            bindings::proc_create_net_single(
                T::PROC_NAME.as_char_ptr(),
                0o444,
                (*net).proc_net,
                Some(show_callback::<T>),
                core::ptr::null_mut(),
            )
        };
        if entry.is_null() {
            return ENOMEM.to_errno();
        }
        0
    }

    /// A namespace goes away (or the module does).
    ///
    /// # Safety
    ///
    /// Called by the pernet core only, with a namespace still alive.
    unsafe extern "C" fn exit_callback<T: Hooks>(net: *mut bindings::net) {
        // SAFETY: The namespace core passes a live namespace.
        if let Some(n) = unsafe { Net::from_raw(net) } {
            T::exit(n);
        }
        // SAFETY: `init_callback` created the entry in this namespace.
        unsafe { bindings::remove_proc_entry(T::PROC_NAME.as_char_ptr(), (*net).proc_net) };
    }

    /// Registered per-namespace hooks; unregistered (running `exit` for
    /// every namespace) on drop.
    pub(crate) struct Registration {
        ops: &'static Ops,
    }

    impl Registration {
        /// Registers `T`'s hooks in `ops` and runs them for every namespace.
        pub(crate) fn register<T: Hooks>(ops: &'static Ops) -> Result<Self> {
            // SAFETY: Not yet registered: nobody else reads `ops`.
            unsafe {
                let o = &mut *ops.raw.get();
                o.init = Some(init_callback::<T>);
                o.exit = Some(exit_callback::<T>);
            }
            // SAFETY: `ops` is `'static` and set up.
            to_result(unsafe { bindings::register_pernet_subsys(ops.raw.get()) })?;
            Ok(Registration { ops })
        }
    }

    impl Drop for Registration {
        fn drop(&mut self) {
            // SAFETY: Registered in `register`.
            unsafe { bindings::unregister_pernet_subsys(self.ops.raw.get()) };
        }
    }
}
