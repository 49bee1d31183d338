// SPDX-License-Identifier: GPL-2.0

//! The generic netlink family `vrctx` and `/proc/net/vrctx`: requests in,
//! registry changes and replies out. No `unsafe`.

#![deny(unsafe_code)]

use kernel::{prelude::*, seq_file::SeqFile, seq_print};

use crate::{
    registry::{Context, Refusal, Selector, DEFAULT},
    sys::{
        genl::{Attrs, Commands, Dump, Msg, Request},
        pernet::Hooks,
        uapi_enum::*,
        Net, Users,
    },
    FAMILY, REGISTRY,
};

/// The policy behind the family and the per-namespace hooks.
pub(crate) struct Vrctx;

/// Reports `r` to the requester and returns its errno.
fn refuse(req: &Request<'_>, r: Refusal) -> Error {
    req.ack().set_msg(r.msg);
    r.errno
}

/// The context a request names, by `VRCTX_A_ID` or `VRCTX_A_NAME`.
fn selector<'a>(req: &Request<'a>) -> Result<Selector<'a>, Refusal> {
    match (req.u32(A_ID), req.string(A_NAME)) {
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
    a.u32(A_ID, c.id)?;
    if let Some(name) = &c.name {
        a.string(A_NAME, name.as_cstr())?;
    }
    // Context 0 has no table of its own: it uses the normal rules.
    if c.id != DEFAULT {
        a.u32(A_TABLE, c.table())?;
    }
    if let Some(u) = users {
        a.u32(A_N_IFACES, u.ifaces)?;
        a.u32(A_N_SOCKETS, u.sockets)?;
        a.u32(A_N_TASKS, u.tasks)?;
    }
    Ok(())
}

/// Tells the event group of `net` that `c` was created or deleted.
fn event(net: Net<'_>, cmd: u32, c: &Context) {
    if let Some(mut msg) = FAMILY.new_event(net, cmd) {
        if put_context(&mut msg.attrs(), c, None).is_ok() {
            FAMILY.send_event(net, msg);
        }
    }
}

/// Contexts copied out of the registry, with their ids.
#[derive(Default)]
struct Page {
    contexts: KVec<Context>,
    ids: KVec<u32>,
}

/// Copies up to `max` contexts of `net` with ids from `from` on into `page`.
fn copy_contexts(net: Net<'_>, from: u32, max: usize, page: &mut Page) -> Result {
    let reg = REGISTRY.lock();
    for ctx in reg.of_net_from(net.key(), from).take(max) {
        page.contexts.push(*ctx, GFP_KERNEL)?;
        page.ids.push(ctx.id, GFP_KERNEL)?;
    }
    Ok(())
}

/// At most one dump part's worth of contexts of `net`, from id `from` on;
/// a dump starts with context 0.
fn page_of(net: Net<'_>, from: u32) -> Result<Page> {
    // A context takes at most 68 bytes in a dump; a part holds about 4 KiB
    // or more.
    const PAGE: usize = 256;
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

fn create(req: &Request<'_>, net: Net<'_>) -> Result {
    let id = req
        .u32(A_ID)
        .ok_or_else(|| refuse(req, Refusal::new(EINVAL, c"Missing context id")))?;
    let mut reg = REGISTRY.lock();
    let name = reg
        .check_new(net.key(), id, req.string(A_NAME))
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
        let msg = if e == EBUSY {
            c"Sockets of a context deleted with this id are still open"
        } else {
            c"Cannot set up the context's routing table"
        };
        refuse(req, Refusal::new(e, msg))
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
    drop(reg);
    event(net, CMD_NEW, &ctx);
    Ok(())
}

/// Deletes `c`, which the registry no longer holds afterwards: its sockets
/// are aborted, its interfaces return to context 0 without addresses, its
/// table goes.
fn destroy(net: Net<'_>, c: &Context) {
    net.abort_sockets(c.id);
    net.evict(c.id);
    net.unpublish(c.id);
}

fn delete(req: &Request<'_>, net: Net<'_>) -> Result {
    let sel = selector(req).map_err(|r| refuse(req, r))?;
    let mut reg = REGISTRY.lock();
    let ctx = *reg.find(net.key(), sel).map_err(|r| refuse(req, r))?;
    if net.users(ctx.id)?.any() && !req.flag(A_FORCE) {
        return Err(refuse(
            req,
            Refusal::new(
                EBUSY,
                c"Context in use by interfaces, sockets or threads (delete it with force)",
            ),
        ));
    }
    destroy(net, &ctx);
    reg.remove(net.key(), ctx.id);
    drop(reg);
    event(net, CMD_DEL, &ctx);
    Ok(())
}

fn get(req: &Request<'_>, net: Net<'_>) -> Result<Option<Msg>> {
    let sel = selector(req).map_err(|r| refuse(req, r))?;
    let ctx = *REGISTRY
        .lock()
        .find(net.key(), sel)
        .map_err(|r| refuse(req, r))?;
    let users = net.users(ctx.id)?;
    let mut msg = Msg::reply_to(req, CMD_GET)?;
    put_context(&mut msg.attrs(), &ctx, Some(users))?;
    Ok(Some(msg))
}

fn assign(req: &Request<'_>, net: Net<'_>) -> Result {
    let ifindex = req
        .u32(A_IFINDEX)
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
    net.assign(ifindex, ctx, &req.ack())
}

impl Commands for Vrctx {
    fn doit(cmd: u32, req: &Request<'_>) -> Result<Option<Msg>> {
        let net = req.net()?;
        match cmd {
            CMD_NEW => create(req, net).map(|()| None),
            CMD_DEL => delete(req, net).map(|()| None),
            CMD_GET => get(req, net),
            CMD_ASSIGN => assign(req, net).map(|()| None),
            _ => Err(EOPNOTSUPP),
        }
    }

    fn dumpit(cmd: u32, dump: &mut Dump<'_>) -> Result {
        if cmd != CMD_GET {
            return Err(EOPNOTSUPP);
        }
        let net = dump.net()?;
        // The cursor is the next id to dump. Take a page of contexts from
        // the registry and count their users without holding it, so that
        // listing never stalls creating or deleting.
        let from = u32::try_from(dump.cursor()).map_err(|_| EINVAL)?;
        let page = page_of(net, from)?;
        let mut users = KVec::new();
        net.users_of(&page.ids, &mut users)?;
        for (ctx, u) in page.contexts.iter().zip(users.iter()) {
            if !dump.entry(CMD_GET, |a| put_context(a, ctx, Some(*u)))? {
                break;
            }
            dump.set_cursor(ctx.id as usize + 1);
        }
        Ok(())
    }
}

impl Hooks for Vrctx {
    const PROC_NAME: &'static CStr = c"vrctx";

    fn show(net: Net<'_>, m: &SeqFile) {
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

    fn exit(net: Net<'_>) {
        // The namespace (or this module) goes away: delete its contexts.
        let mut reg = REGISTRY.lock();
        while let Some(id) = reg.first_of(net.key()) {
            if let Some(ctx) = reg.remove(net.key(), id) {
                destroy(net, &ctx);
            }
        }
    }
}
