// SPDX-License-Identifier: GPL-2.0

//! Context ids, names and routing tables: pure policy, no `unsafe`.

#![deny(unsafe_code)]

use kernel::prelude::*;
use kernel::uapi;

/// The default context; it always exists and cannot be deleted.
pub(crate) const DEFAULT: u32 = uapi::VRCTX_DEFAULT;

/// Checks that `ctx` can name a context at all.
///
/// Returns `ERANGE` for numbers above `VRCTX_ID_MAX`.
pub(crate) fn check_id(ctx: u32) -> Result {
    if ctx > uapi::VRCTX_ID_MAX {
        return Err(ERANGE);
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
pub(crate) fn ctx_of_table(table: u32) -> Option<u32> {
    match table.checked_sub(uapi::VRCTX_TABLE_BASE) {
        Some(ctx) if ctx != DEFAULT => Some(ctx),
        _ => None,
    }
}

/// Checks a context name: 1 to `VRCTX_NAME_MAX - 1` bytes of ASCII letters,
/// digits, `_`, `-` and `.`, not starting with a digit (so that a name never
/// reads as an id).
pub(crate) fn check_name(name: &[u8]) -> Result {
    let max = uapi::VRCTX_NAME_MAX as usize - 1;
    if name.is_empty() || name.len() > max {
        return Err(EINVAL);
    }
    if name[0].is_ascii_digit() {
        return Err(EINVAL);
    }
    if !name
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
    {
        return Err(EINVAL);
    }
    Ok(())
}

#[kunit_tests(vrctx_registry)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(check_id(0).is_ok());
        assert!(check_id(1).is_ok());
        assert!(check_id(uapi::VRCTX_ID_MAX).is_ok());
        assert_eq!(check_id(uapi::VRCTX_ID_MAX + 1), Err(ERANGE));
        assert_eq!(check_id(u32::MAX), Err(ERANGE));
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
        assert_eq!(check_name(b"abcdefghijklmnop"), Err(EINVAL));
        assert_eq!(check_name(b""), Err(EINVAL));
        assert_eq!(check_name(b"7up"), Err(EINVAL));
        assert_eq!(check_name(b"has space"), Err(EINVAL));
        assert_eq!(check_name(b"slash/"), Err(EINVAL));
        assert_eq!(check_name(b"nul\0"), Err(EINVAL));
    }
}
