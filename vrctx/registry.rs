// SPDX-License-Identifier: GPL-2.0

//! The context registry: ids, names, tables. Pure policy, no `unsafe`.
//!
//! Contexts are per network namespace. The registry keys them by an opaque
//! namespace identity ([`NetKey`]); the kernel side of a context (its table,
//! its place in the stack's context map) is managed by the caller.

#![deny(unsafe_code)]

use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};
use kernel::uapi;

/// The default context; it always exists and cannot be created or deleted.
pub(crate) const DEFAULT: u32 = uapi::VRCTX_DEFAULT;

/// Longest name, in bytes.
pub(crate) const NAME_MAX: usize = uapi::VRCTX_NAME_MAX as usize - 1;

/// Why a request was refused: the errno and a message for the requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) errno: Error,
    pub(crate) msg: &'static CStr,
}

impl Refusal {
    /// A refusal with `errno`, explained by `msg`.
    pub(crate) const fn new(errno: Error, msg: &'static CStr) -> Self {
        Refusal { errno, msg }
    }
}

/// An id past [`uapi::VRCTX_ID_MAX`].
pub(crate) const RANGE: Refusal =
    Refusal::new(ERANGE, c"Context id out of range (0 to 2147483647)");

/// An allocation failed.
pub(crate) const NOMEM: Refusal = Refusal::new(ENOMEM, c"Out of memory");

/// Checks that `ctx` can name a context at all.
pub(crate) fn check_id(ctx: u32) -> Result<(), Refusal> {
    if ctx > uapi::VRCTX_ID_MAX {
        return Err(RANGE);
    }
    Ok(())
}

/// The routing table of context `ctx`, or `None` for the default context,
/// which keeps the normal rule engine and tables.
pub(crate) fn table_of(ctx: u32) -> Option<u32> {
    if ctx == DEFAULT || ctx > uapi::VRCTX_ID_MAX {
        return None;
    }
    Some(uapi::VRCTX_TABLE_BASE + ctx)
}

/// The context that owns routing table `table`, if it is a context table.
// The inverse of `table_of`, checked by KUnit; the packet rules of the
// distributed-host stage need it.
#[cfg_attr(not(CONFIG_KUNIT = "y"), expect(dead_code))]
pub(crate) fn ctx_of_table(table: u32) -> Option<u32> {
    match table.checked_sub(uapi::VRCTX_TABLE_BASE) {
        Some(ctx) if ctx != DEFAULT => Some(ctx),
        _ => None,
    }
}

/// Checks a context name: 1 to [`NAME_MAX`] bytes of ASCII letters, digits,
/// `_`, `-` and `.`, not starting with a digit (so that a name never reads
/// as an id).
pub(crate) fn check_name(name: &[u8]) -> Result<(), Refusal> {
    const BAD: Refusal = Refusal::new(
        EINVAL,
        c"Bad context name (1-15 of A-Z a-z 0-9 _ - ., not starting with a digit)",
    );
    if name.is_empty() || name.len() > NAME_MAX || name[0].is_ascii_digit() {
        return Err(BAD);
    }
    if !name
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
    {
        return Err(BAD);
    }
    Ok(())
}

/// A context name, stored inline. Ordered by its bytes (those after the
/// name are zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Name {
    bytes: [u8; NAME_MAX + 1],
    len: u8,
}

impl Name {
    /// A checked name.
    pub(crate) fn new(name: &[u8]) -> Result<Self, Refusal> {
        check_name(name)?;
        let mut bytes = [0; NAME_MAX + 1];
        bytes[..name.len()].copy_from_slice(name);
        Ok(Name {
            bytes,
            // NO-OVERFLOW: `check_name` bounds the length by `NAME_MAX`.
            len: name.len() as u8,
        })
    }

    /// The name's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The name as a NUL-terminated C string.
    pub(crate) fn as_cstr(&self) -> &CStr {
        // The bytes after `len` are zero and `check_name` allows no NUL.
        CStr::from_bytes_with_nul(&self.bytes[..=usize::from(self.len)]).unwrap_or(c"")
    }
}

/// The identity of a network namespace, only ever compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct NetKey(pub(crate) u64);

/// One context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Context {
    pub(crate) net: NetKey,
    pub(crate) id: u32,
    pub(crate) name: Option<Name>,
}

impl Context {
    /// Its routing table.
    pub(crate) fn table(&self) -> u32 {
        table_of(self.id).unwrap_or(0)
    }
}

/// How a request names a context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Selector<'a> {
    Id(u32),
    Name(&'a [u8]),
}

/// The registry's indexes: contexts by namespace and id, and the ids of
/// named contexts by namespace and name. Red-black trees, so that creating,
/// finding and deleting a context costs O(log n) whatever the order, and a
/// dump page starts at its id without a scan.
struct Trees {
    contexts: RBTree<(NetKey, u32), Context>,
    names: RBTree<(NetKey, Name), u32>,
}

/// Every context of every network namespace, ordered by namespace and id.
pub(crate) struct Registry {
    // `None` until the first insertion: the registry lives in a static,
    // whose initialiser must be `const`, and `RBTree::new` is not.
    trees: Option<Trees>,
}

impl Registry {
    /// An empty registry.
    pub(crate) const fn new() -> Self {
        Registry { trees: None }
    }

    fn get(&self, net: NetKey, id: u32) -> Option<&Context> {
        self.trees.as_ref()?.contexts.get(&(net, id))
    }

    /// The context `sel` names in `net`.
    pub(crate) fn find(&self, net: NetKey, sel: Selector<'_>) -> Result<&Context, Refusal> {
        let found = match sel {
            Selector::Id(DEFAULT) => {
                return Err(Refusal::new(EINVAL, c"Context 0 is the default context"))
            }
            Selector::Id(id) => {
                check_id(id)?;
                self.get(net, id)
            }
            Selector::Name(name) => {
                let name = Name::new(name)?;
                self.trees
                    .as_ref()
                    .and_then(|t| t.names.get(&(net, name)))
                    .and_then(|&id| self.get(net, id))
            }
        };
        found.ok_or(Refusal::new(ENOENT, c"No such context"))
    }

    /// Checks that context `id` named `name` may be created in `net`.
    pub(crate) fn check_new(
        &self,
        net: NetKey,
        id: u32,
        name: Option<&[u8]>,
    ) -> Result<Option<Name>, Refusal> {
        if id == DEFAULT {
            return Err(Refusal::new(EEXIST, c"Context 0 always exists"));
        }
        check_id(id)?;
        let name = name.map(Name::new).transpose()?;
        if self.get(net, id).is_some() {
            return Err(Refusal::new(EEXIST, c"Context exists"));
        }
        if let Some(n) = name {
            if self.find(net, Selector::Name(n.as_bytes())).is_ok() {
                return Err(Refusal::new(EEXIST, c"Another context has this name"));
            }
        }
        Ok(name)
    }

    /// Adds a context checked with [`Registry::check_new`].
    pub(crate) fn insert(&mut self, ctx: Context) -> Result<(), Refusal> {
        if self.get(ctx.net, ctx.id).is_some() {
            return Err(Refusal::new(EEXIST, c"Context exists"));
        }
        // Every allocation first, so that a failure changes nothing.
        let node = RBTreeNode::new((ctx.net, ctx.id), ctx, GFP_KERNEL).map_err(|_| NOMEM)?;
        let name_node = ctx
            .name
            .map(|n| RBTreeNode::new((ctx.net, n), ctx.id, GFP_KERNEL))
            .transpose()
            .map_err(|_| NOMEM)?;
        let trees = self.trees.get_or_insert_with(|| Trees {
            contexts: RBTree::new(),
            names: RBTree::new(),
        });
        trees.contexts.insert(node);
        if let Some(n) = name_node {
            trees.names.insert(n);
        }
        Ok(())
    }

    /// Removes context `id` of `net`.
    pub(crate) fn remove(&mut self, net: NetKey, id: u32) -> Option<Context> {
        let trees = self.trees.as_mut()?;
        let ctx = trees.contexts.remove(&(net, id))?;
        if let Some(n) = ctx.name {
            trees.names.remove(&(net, n));
        }
        Some(ctx)
    }

    /// The first context of `net` with an id of at least `from`.
    fn next_of(&self, net: NetKey, from: u32) -> Option<&Context> {
        let trees = self.trees.as_ref()?;
        let key = *trees.contexts.cursor_lower_bound(&(net, from))?.current().0;
        if key.0 != net {
            return None;
        }
        trees.contexts.get(&key)
    }

    /// The contexts of `net`, by id.
    #[cfg_attr(not(CONFIG_KUNIT = "y"), expect(dead_code))]
    pub(crate) fn of_net(&self, net: NetKey) -> impl Iterator<Item = &Context> {
        self.of_net_from(net, 0)
    }

    /// The contexts of `net` with ids from `from` on, by id: O(log n) each.
    pub(crate) fn of_net_from(&self, net: NetKey, from: u32) -> impl Iterator<Item = &Context> {
        let mut next = Some(from);
        core::iter::from_fn(move || {
            let c = self.next_of(net, next?)?;
            next = c.id.checked_add(1);
            Some(c)
        })
    }

    /// The lowest id of the contexts of `net`, if it has any.
    pub(crate) fn first_of(&self, net: NetKey) -> Option<u32> {
        self.next_of(net, 0).map(|c| c.id)
    }
}

#[kunit_tests(vrctx_registry)]
mod tests {
    use super::*;

    const A: NetKey = NetKey(1);
    const B: NetKey = NetKey(2);

    fn add(r: &mut Registry, net: NetKey, id: u32, name: Option<&[u8]>) -> Result<(), Refusal> {
        let name = r.check_new(net, id, name)?;
        r.insert(Context { net, id, name })
    }

    #[test]
    fn ids() {
        assert!(check_id(0).is_ok());
        assert!(check_id(1).is_ok());
        assert!(check_id(uapi::VRCTX_ID_MAX).is_ok());
        assert_eq!(check_id(uapi::VRCTX_ID_MAX + 1).unwrap_err().errno, ERANGE);
        assert_eq!(check_id(u32::MAX).unwrap_err().errno, ERANGE);
    }

    #[test]
    fn tables() {
        assert_eq!(table_of(0), None);
        assert_eq!(table_of(1), Some(0x8000_0001));
        assert_eq!(table_of(uapi::VRCTX_ID_MAX), Some(u32::MAX));
        assert_eq!(table_of(uapi::VRCTX_ID_MAX + 1), None);
        // The reserved range never meets the kernel's own tables.
        for ctx in [1, 2, 1000, uapi::VRCTX_ID_MAX] {
            let t = table_of(ctx).unwrap();
            assert!(t > 255);
            assert_eq!(ctx_of_table(t), Some(ctx));
        }
        assert_eq!(ctx_of_table(254), None);
        assert_eq!(ctx_of_table(uapi::VRCTX_TABLE_BASE), None);
    }

    #[test]
    fn names() {
        assert!(check_name(b"red").is_ok());
        assert!(check_name(b"a").is_ok());
        assert!(check_name(b"cust-42_v1.0").is_ok());
        assert!(check_name(b"abcdefghijklmno").is_ok());
        assert_eq!(check_name(b"abcdefghijklmnop").unwrap_err().errno, EINVAL);
        assert_eq!(check_name(b"").unwrap_err().errno, EINVAL);
        assert_eq!(check_name(b"7up").unwrap_err().errno, EINVAL);
        assert_eq!(check_name(b"has space").unwrap_err().errno, EINVAL);
        assert_eq!(check_name(b"slash/").unwrap_err().errno, EINVAL);
        assert_eq!(check_name(b"nul\0").unwrap_err().errno, EINVAL);
        let n = Name::new(b"blue").unwrap();
        assert_eq!(n.as_bytes(), b"blue");
        assert_eq!(n.as_cstr(), c"blue");
    }

    #[test]
    fn registry() {
        let mut r = Registry::new();
        assert!(add(&mut r, A, 5, Some(b"red")).is_ok());
        assert!(add(&mut r, A, 3, None).is_ok());
        // Namespaces are separate.
        assert!(add(&mut r, B, 5, Some(b"red")).is_ok());
        assert_eq!(add(&mut r, A, 5, None).unwrap_err().errno, EEXIST);
        assert_eq!(add(&mut r, A, 6, Some(b"red")).unwrap_err().errno, EEXIST);
        assert_eq!(add(&mut r, A, 0, None).unwrap_err().errno, EEXIST);
        assert_eq!(add(&mut r, A, u32::MAX, None).unwrap_err().errno, ERANGE);
        assert_eq!(
            add(&mut r, A, 7, Some(b"9lives")).unwrap_err().errno,
            EINVAL
        );
        assert_eq!(r.of_net(A).count() + r.of_net(B).count(), 3);

        assert_eq!(r.find(A, Selector::Name(b"red")).unwrap().id, 5);
        assert_eq!(r.find(A, Selector::Id(3)).unwrap().name, None);
        assert_eq!(r.find(A, Selector::Id(4)).unwrap_err().errno, ENOENT);
        assert_eq!(r.find(A, Selector::Id(0)).unwrap_err().errno, EINVAL);
        assert_eq!(
            r.find(A, Selector::Name(b"blue")).unwrap_err().errno,
            ENOENT
        );

        let ids: KVec<u32> = {
            let mut v = KVec::new();
            for c in r.of_net(A) {
                v.push(c.id, GFP_KERNEL).unwrap();
            }
            v
        };
        // Ordered by id.
        assert_eq!(&ids[..], &[3, 5]);

        assert_eq!(r.remove(A, 5).unwrap().id, 5);
        assert!(r.remove(A, 5).is_none());
        assert_eq!(r.first_of(B), Some(5));
        assert_eq!(r.first_of(A), Some(3));
        assert!(r.remove(B, 5).is_some());
        assert_eq!(r.first_of(B), None);
        assert_eq!(r.of_net(A).count(), 1);
        // A removed context's name is free again.
        assert!(add(&mut r, A, 9, Some(b"red")).is_ok());
        assert_eq!(r.find(A, Selector::Name(b"red")).unwrap().id, 9);
    }

    #[test]
    fn pages() {
        let mut r = Registry::new();
        assert_eq!(r.first_of(A), None);
        assert_eq!(r.of_net_from(A, 0).count(), 0);
        // Out of order, across namespaces.
        for id in [40, 7, 1000, 1, 8, 0x7fff_ffff] {
            assert!(add(&mut r, A, id, None).is_ok());
            assert!(add(&mut r, B, id / 2 + 1, None).is_ok());
        }
        let from = |f: u32, n: usize| {
            let mut v = KVec::new();
            for c in r.of_net_from(A, f).take(n) {
                v.push(c.id, GFP_KERNEL).unwrap();
            }
            v
        };
        assert_eq!(&from(0, 100)[..], &[1, 7, 8, 40, 1000, 0x7fff_ffff]);
        assert_eq!(&from(8, 2)[..], &[8, 40]);
        assert_eq!(&from(41, 100)[..], &[1000, 0x7fff_ffff]);
        assert_eq!(from(0x7fff_ffff, 100).len(), 1);
        assert_eq!(r.first_of(B), Some(1));
        assert!(r.remove(A, 1).is_some());
        assert_eq!(r.first_of(A), Some(7));
    }
}
