// SPDX-License-Identifier: GPL-2.0

//! The generic netlink family `vrctx` and `/proc/net/vrctx`: requests in,
//! registry changes and replies out. No `unsafe`.

#![deny(unsafe_code)]

use kernel::{
    module::this_module,
    net::{
        netlink::{
            self,
            attr::{Flag, NulString, U32},
            Attr, Attrs, Commands, Dump, Family, GenlMsg, MulticastGroup, Operation, Policy,
            Request,
        },
        pernet, Namespace,
    },
    prelude::*,
    seq_file::SeqFile,
    seq_print, uapi,
};

use crate::{
    registry::{check_id, Context, Refusal, Registry, Selector, DEFAULT, NAME_MAX, NOMEM, RANGE},
    sys::{Core, Users},
    REGISTRY,
};

// Commands and attributes of `include/uapi/linux/vrctx.h` (bindgen names
// enum members after their enum).
// CAST: Command numbers fit in a byte.
const CMD_NEW: u8 = uapi::vrctx_cmd_VRCTX_CMD_NEW as u8;
const CMD_DEL: u8 = uapi::vrctx_cmd_VRCTX_CMD_DEL as u8;
const CMD_GET: u8 = uapi::vrctx_cmd_VRCTX_CMD_GET as u8;
const CMD_ASSIGN: u8 = uapi::vrctx_cmd_VRCTX_CMD_ASSIGN as u8;

/// `VRCTX_A_ID`: a context id.
const ID: Attr<U32> = Attr::new(uapi::vrctx_attr_VRCTX_A_ID);
/// `VRCTX_A_NAME`: a context name.
// CAST: `NAME_MAX` is 15.
const NAME: Attr<NulString<{ NAME_MAX as u16 }>> = Attr::new(uapi::vrctx_attr_VRCTX_A_NAME);
/// `VRCTX_A_TABLE`: a context's routing table, in replies only.
const TABLE: Attr<U32> = Attr::new(uapi::vrctx_attr_VRCTX_A_TABLE).read_only();
/// `VRCTX_A_FORCE`: delete even a context in use.
const FORCE: Attr<Flag> = Attr::new(uapi::vrctx_attr_VRCTX_A_FORCE);
/// `VRCTX_A_IFINDEX`: the interface to move.
const IFINDEX: Attr<U32> = Attr::new(uapi::vrctx_attr_VRCTX_A_IFINDEX);
/// `VRCTX_A_N_IFACES`, `VRCTX_A_N_SOCKETS`, `VRCTX_A_N_TASKS`: what uses a
/// context, in replies only.
const N_IFACES: Attr<U32> = Attr::new(uapi::vrctx_attr_VRCTX_A_N_IFACES).read_only();
const N_SOCKETS: Attr<U32> = Attr::new(uapi::vrctx_attr_VRCTX_A_N_SOCKETS).read_only();
const N_TASKS: Attr<U32> = Attr::new(uapi::vrctx_attr_VRCTX_A_N_TASKS).read_only();
/// `VRCTX_A_COUNT`: `NEW` and `DEL` act on contexts `ID` to
/// `ID + COUNT - 1`, all or none of them.
const COUNT: Attr<U32> = Attr::new(uapi::vrctx_attr_VRCTX_A_COUNT);

/// Strict types and lengths; the read-only attributes are refused in
/// requests.
static POLICY: Policy<{ uapi::vrctx_attr___VRCTX_A_MAX as usize }> = Policy::new(&[
    ID.entry(),
    NAME.entry(),
    TABLE.entry(),
    FORCE.entry(),
    IFINDEX.entry(),
    N_IFACES.entry(),
    N_SOCKETS.entry(),
    N_TASKS.entry(),
    COUNT.entry(),
]);

/// `NEW`, `DEL` and `ASSIGN` need `CAP_NET_ADMIN` over the namespace; `GET`
/// answers one context or dumps them all.
static OPS: [Operation; 4] = [
    Operation::doit::<Vrctx>(CMD_NEW).uns_admin_perm(),
    Operation::doit::<Vrctx>(CMD_DEL).uns_admin_perm(),
    Operation::doit_and_dumpit::<Vrctx>(CMD_GET),
    Operation::doit::<Vrctx>(CMD_ASSIGN).uns_admin_perm(),
];

/// The multicast group `events`: contexts created and deleted.
static MCGRPS: [MulticastGroup; 1] = [MulticastGroup::const_new(
    match CStr::from_bytes_with_nul(uapi::VRCTX_GENL_MCGRP_EVENTS) {
        Ok(name) => name,
        Err(_) => panic!("group name not NUL-terminated"),
    },
)];
const EVENTS: u32 = 0;

/// The generic netlink family `vrctx`.
pub(crate) static FAMILY: Family = Family::const_new_with_ops(
    this_module::<crate::LocalModule>(),
    uapi::VRCTX_GENL_NAME,
    uapi::VRCTX_GENL_VERSION,
    &MCGRPS,
    &POLICY,
    &OPS,
);

/// The policy behind the family and the per-namespace operations.
pub(crate) struct Vrctx;

/// Reports `r` to the requester and returns its errno.
fn refuse(req: &Request<'_>, r: Refusal) -> Error {
    req.ext_ack().set_msg(r.msg);
    r.errno
}

/// The context a request names, by `VRCTX_A_ID` or `VRCTX_A_NAME`.
fn selector<'a>(req: &Request<'a>) -> Result<Selector<'a>, Refusal> {
    match (req.get(ID), req.get(NAME).map(CStr::to_bytes)) {
        (Some(id), None) => Ok(Selector::Id(id)),
        (None, Some(name)) => Ok(Selector::Name(name)),
        (Some(_), Some(_)) => Err(Refusal::new(
            EINVAL,
            c"Name the context by id or by name, not both",
        )),
        (None, None) => Err(Refusal::new(EINVAL, c"Missing context id or name")),
    }
}

fn put_context(a: &mut Attrs<'_>, c: &Context, users: Option<Users>) -> Result {
    a.put(ID, c.id)?;
    if let Some(name) = &c.name {
        a.put(NAME, name.as_cstr())?;
    }
    // Context 0 has no table of its own: it uses the normal rules.
    if c.id != DEFAULT {
        a.put(TABLE, c.table())?;
    }
    if let Some(u) = users {
        a.put(N_IFACES, u.ifaces)?;
        a.put(N_SOCKETS, u.sockets)?;
        a.put(N_TASKS, u.tasks)?;
    }
    Ok(())
}

/// Tells the event group of `net` that `c` was created or deleted. Called
/// with the registry held, so that events leave in the order of the
/// changes (commands run in parallel).
fn event(_reg: &Registry, net: &Namespace, cmd: u8, c: &Context) {
    if !FAMILY.has_listeners_netns(net, EVENTS) {
        return;
    }
    let Ok(skb) = netlink::NetlinkSkBuff::new(netlink::GENLMSG_DEFAULT_SIZE, GFP_KERNEL) else {
        return;
    };
    let Ok(mut msg) = skb.genlmsg_put(0, 0, &FAMILY, cmd) else {
        return;
    };
    if put_context(&mut msg.attrs(), c, None).is_ok() {
        // Nobody listening any more is not an error.
        let _ = msg.multicast_netns(&FAMILY, net, 0, EVENTS, GFP_KERNEL);
    }
}

/// Contexts copied out of the registry, with their ids.
#[derive(Default)]
struct Page {
    contexts: KVec<Context>,
    ids: KVec<u32>,
}

/// Copies up to `max` contexts of `net` with ids from `from` on into `page`.
fn copy_contexts(net: &Namespace, from: u32, max: usize, page: &mut Page) -> Result {
    let reg = REGISTRY.lock();
    for ctx in reg.of_net_from(net.key(), from).take(max) {
        page.contexts.push(*ctx, GFP_KERNEL)?;
        page.ids.push(ctx.id, GFP_KERNEL)?;
    }
    Ok(())
}

/// Contexts per page of a dump: a context takes at most 68 bytes in a
/// dump, and a part holds about 4 KiB (up to 32 KiB for a large receive
/// buffer), so a page fills most of a small part.
const PAGE: usize = 64;

/// At most [`PAGE`] contexts of `net`, from id `from` on; a dump starts
/// with context 0.
fn page_of(net: &Namespace, from: u32) -> Result<Page> {
    let mut page = Page::default();
    if from == DEFAULT {
        page.contexts.push(
            Context {
                net: net.key(),
                id: DEFAULT,
                name: None,
            },
            GFP_KERNEL,
        )?;
        page.ids.push(DEFAULT, GFP_KERNEL)?;
    }
    copy_contexts(net, from, PAGE, &mut page)?;
    Ok(page)
}

// The message below names the limit.
const _: () = assert!(uapi::VRCTX_COUNT_MAX == 1024);

/// The contexts a request with `VRCTX_A_COUNT` names: `ID` to
/// `ID + COUNT - 1`, without a name.
fn range(req: &Request<'_>, count: u32) -> Result<KVec<u32>, Refusal> {
    let id = req
        .get(ID)
        .ok_or(Refusal::new(EINVAL, c"Missing context id"))?;
    if req.get(NAME).is_some() {
        return Err(Refusal::new(
            EINVAL,
            c"A range of contexts is named by ids only",
        ));
    }
    if count == 0 || count > uapi::VRCTX_COUNT_MAX {
        return Err(Refusal::new(EINVAL, c"Count out of range (1 to 1024)"));
    }
    // The last id of the range must be a valid one; 0 and ids past
    // `VRCTX_ID_MAX` are refused as for one context.
    check_id(id.checked_add(count - 1).ok_or(RANGE)?)?;
    // CAST: `count` is at most 1024.
    let mut ids = KVec::with_capacity(count as usize, GFP_KERNEL).map_err(|_| NOMEM)?;
    for i in 0..count {
        ids.push(id + i, GFP_KERNEL).map_err(|_| NOMEM)?;
    }
    Ok(ids)
}

/// Why [`Namespace::publish`] failed with `e` for a new context; `stale`
/// says whose sockets are in the way (EBUSY).
fn publish_refusal(e: Error, stale: &'static CStr) -> Refusal {
    if e == EBUSY {
        Refusal::new(e, stale)
    } else {
        Refusal::new(e, c"Cannot set up the context's routing table")
    }
}

/// Creates contexts `ids` (ascending, without names), all or none: every
/// check first, then each is published; a failure takes back those
/// already made. A caller whose range fails can replay it one context at
/// a time to learn which one failed and why.
fn create_range(req: &Request<'_>, net: &Namespace, ids: &[u32]) -> Result {
    let mut reg = REGISTRY.lock();
    for &id in ids {
        reg.check_new(net.key(), id, None)
            .map_err(|r| refuse(req, r))?;
    }
    let mut users = KVec::new();
    net.users_of(ids, &mut users)?;
    if users.iter().any(|u| u.tasks != 0) {
        return Err(refuse(
            req,
            Refusal::new(
                EBUSY,
                c"Threads still have an id of the range as their default context",
            ),
        ));
    }
    let undo = |reg: &mut Registry, made: &[u32]| {
        for &id in made {
            reg.remove(net.key(), id);
            net.unpublish(id);
        }
    };
    let unnamed = |id| Context {
        net: net.key(),
        id,
        name: None,
    };
    for (i, &id) in ids.iter().enumerate() {
        let made = net.publish(id).map_err(|e| {
            publish_refusal(
                e,
                c"Sockets of a context deleted with an id of the range are still open",
            )
        });
        if let Err(r) =
            made.and_then(|()| reg.insert(unnamed(id)).inspect_err(|_| net.unpublish(id)))
        {
            undo(&mut reg, &ids[..i]);
            return Err(refuse(req, r));
        }
    }
    // Only once all are made: a taken-back context was never announced.
    for &id in ids {
        event(&reg, net, CMD_NEW, &unnamed(id));
    }
    Ok(())
}

fn create(req: &Request<'_>, net: &Namespace) -> Result {
    if let Some(count) = req.get(COUNT) {
        let ids = range(req, count).map_err(|r| refuse(req, r))?;
        return create_range(req, net, &ids);
    }
    let id = req
        .get(ID)
        .ok_or_else(|| refuse(req, Refusal::new(EINVAL, c"Missing context id")))?;
    let mut reg = REGISTRY.lock();
    let name = reg
        .check_new(net.key(), id, req.get(NAME).map(CStr::to_bytes))
        .map_err(|r| refuse(req, r))?;
    // The id of a context deleted by force is not reused while threads
    // still have it as their default, or sockets still carry it.
    if net.users(id)?.tasks != 0 {
        return Err(refuse(
            req,
            Refusal::new(
                EBUSY,
                c"Threads still have this id as their default context",
            ),
        ));
    }
    net.publish(id).map_err(|e| {
        refuse(
            req,
            publish_refusal(
                e,
                c"Sockets of a context deleted with this id are still open",
            ),
        )
    })?;
    let ctx = Context {
        net: net.key(),
        id,
        name,
    };
    if let Err(r) = reg.insert(ctx) {
        net.unpublish(id);
        return Err(refuse(req, r));
    }
    event(&reg, net, CMD_NEW, &ctx);
    Ok(())
}

/// Deletes `c`, which the registry no longer holds afterwards: its sockets
/// are aborted, its interfaces return to context 0 without addresses, its
/// table goes. `users`, when the caller just counted them under the
/// registry lock, spares the walks over sockets and interfaces that have
/// nothing to find: no interface can join meanwhile (assigning holds the
/// registry), and a socket joining after the count is no different from
/// one joining after the abort walk.
fn destroy(net: &Namespace, c: &Context, users: Option<Users>) {
    if users.is_none_or(|u| u.sockets != 0) {
        net.abort_sockets(c.id);
    }
    if users.is_none_or(|u| u.ifaces != 0) {
        net.evict(c.id);
    }
    net.unpublish(c.id);
}

/// Deletes contexts `ids` (ascending), all or none: each must exist and,
/// without `VRCTX_A_FORCE`, be unused.
fn delete_range(req: &Request<'_>, net: &Namespace, ids: &[u32]) -> Result {
    let mut reg = REGISTRY.lock();
    for &id in ids {
        reg.find(net.key(), Selector::Id(id))
            .map_err(|r| refuse(req, r))?;
    }
    let mut users = KVec::new();
    net.users_of(ids, &mut users)?;
    if users.iter().any(|u| u.any()) && req.get(FORCE).is_none() {
        return Err(refuse(
            req,
            Refusal::new(
                EBUSY,
                c"A context of the range is in use by interfaces, sockets or threads (delete it with force)",
            ),
        ));
    }
    for (&id, u) in ids.iter().zip(users.iter()) {
        if let Some(ctx) = reg.remove(net.key(), id) {
            destroy(net, &ctx, Some(*u));
            event(&reg, net, CMD_DEL, &ctx);
        }
    }
    Ok(())
}

fn delete(req: &Request<'_>, net: &Namespace) -> Result {
    if let Some(count) = req.get(COUNT) {
        let ids = range(req, count).map_err(|r| refuse(req, r))?;
        return delete_range(req, net, &ids);
    }
    let sel = selector(req).map_err(|r| refuse(req, r))?;
    let mut reg = REGISTRY.lock();
    let ctx = *reg.find(net.key(), sel).map_err(|r| refuse(req, r))?;
    let users = net.users(ctx.id)?;
    if users.any() && req.get(FORCE).is_none() {
        return Err(refuse(
            req,
            Refusal::new(
                EBUSY,
                c"Context in use by interfaces, sockets or threads (delete it with force)",
            ),
        ));
    }
    destroy(net, &ctx, Some(users));
    reg.remove(net.key(), ctx.id);
    event(&reg, net, CMD_DEL, &ctx);
    Ok(())
}

fn get(req: &Request<'_>, net: &Namespace) -> Result {
    let sel = selector(req).map_err(|r| refuse(req, r))?;
    let ctx = *REGISTRY
        .lock()
        .find(net.key(), sel)
        .map_err(|r| refuse(req, r))?;
    let users = net.users(ctx.id)?;
    let mut msg: GenlMsg = req.new_reply(CMD_GET)?;
    put_context(&mut msg.attrs(), &ctx, Some(users))?;
    msg.reply(req)
}

fn assign(req: &Request<'_>, net: &Namespace) -> Result {
    let ifindex = req
        .get(IFINDEX)
        .ok_or_else(|| refuse(req, Refusal::new(EINVAL, c"Missing interface index")))?;
    let ifindex = i32::try_from(ifindex)
        .map_err(|_| refuse(req, Refusal::new(ENODEV, c"No such interface")))?;
    let sel = selector(req).map_err(|r| refuse(req, r))?;
    // Hold the registry so that the context cannot go away meanwhile.
    let reg = REGISTRY.lock();
    let ctx = match sel {
        Selector::Id(DEFAULT) => DEFAULT,
        sel => reg.find(net.key(), sel).map_err(|r| refuse(req, r))?.id,
    };
    net.assign(ifindex, ctx, &req.ext_ack())
}

impl Commands for Vrctx {
    fn doit(req: &Request<'_>) -> Result {
        let net = req.net();
        match req.cmd() {
            CMD_NEW => create(req, net),
            CMD_DEL => delete(req, net),
            CMD_GET => get(req, net),
            CMD_ASSIGN => assign(req, net),
            _ => Err(EOPNOTSUPP),
        }
    }

    fn dumpit(dump: &mut Dump<'_>) -> Result {
        if dump.cmd() != CMD_GET {
            return Err(EOPNOTSUPP);
        }
        let net = dump.net();
        // The cursor is the next id to dump. Take a page of contexts from
        // the registry and count their users without holding it, so that
        // listing never stalls creating or deleting; pages follow each
        // other until the part is full, so a page is about what one part
        // holds whatever the requester's buffer, and little is counted
        // for nothing.
        loop {
            let from = u32::try_from(dump.cursor()).map_err(|_| EINVAL)?;
            let page = page_of(net, from)?;
            if page.ids.is_empty() {
                break;
            }
            let mut users = KVec::new();
            net.users_of(&page.ids, &mut users)?;
            for (ctx, u) in page.contexts.iter().zip(users.iter()) {
                if !dump.entry(CMD_GET, |a| put_context(a, ctx, Some(*u)))? {
                    return Ok(());
                }
                // CAST: Context ids fit in a `usize`.
                dump.set_cursor(ctx.id as usize + 1);
            }
            // A short page is the last one.
            if page.ids.len() < PAGE {
                break;
            }
        }
        Ok(())
    }
}

#[vtable]
impl pernet::Operations for Vrctx {
    const PROC_NET_SINGLE: Option<&'static CStr> = Some(c"vrctx");

    fn show(net: &Namespace, m: &SeqFile) {
        seq_print!(m, "id name table interfaces sockets tasks\n");
        // Context 0 first, then every context of the namespace, by id;
        // one walk over the threads counts for all of them.
        let mut page = Page::default();
        let mut users = KVec::new();
        if page.ids.push(DEFAULT, GFP_KERNEL).is_err()
            || copy_contexts(net, 0, usize::MAX, &mut page).is_err()
            || net.users_of(&page.ids, &mut users).is_err()
        {
            seq_print!(m, "# out of memory\n");
            return;
        }
        let Some(u) = users.first().copied() else {
            return;
        };
        seq_print!(m, "0 - 254 {} {} {}\n", u.ifaces, u.sockets, u.tasks);
        for (ctx, u) in page.contexts.iter().zip(users.iter().skip(1)) {
            let name = ctx.name.as_ref().map_or(c"-", |n| n.as_cstr());
            seq_print!(
                m,
                "{} {} {} {} {} {}\n",
                ctx.id,
                name.to_str().unwrap_or("-"),
                ctx.table(),
                u.ifaces,
                u.sockets,
                u.tasks
            );
        }
    }

    fn exit(net: &Namespace) {
        // The namespace (or this module) goes away: delete its contexts.
        let mut reg = REGISTRY.lock();
        while let Some(id) = reg.first_of(net.key()) {
            if let Some(ctx) = reg.remove(net.key(), id) {
                destroy(net, &ctx, None);
            }
        }
    }
}
