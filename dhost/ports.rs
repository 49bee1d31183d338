// SPDX-License-Identifier: GPL-2.0

//! Ephemeral port slices: the core's policy (`dhost_slice()`, which
//! narrows `inet_sk_get_local_port_range()` for sockets on a distributed
//! address), checked here by KUnit. No `unsafe`.
//!
//! "member N of M" gets slice N (1-based) of M equal slices of the local
//! port range; the last slice also takes the remainder.

#![deny(unsafe_code)]

use crate::sys::slice;

/// The member whose slice of the ephemeral range `lo..=hi` holds `port`,
/// if one does (the leader steers replies to a member's outgoing
/// connections by this alone).
pub(crate) fn slice_owner(port: u16, members: u32, lo: u16, hi: u16) -> Option<u32> {
    if port < lo || port > hi {
        return None;
    }
    (1..=members).find(|&m| slice(m, members, lo, hi).is_some_and(|(a, b)| (a..=b).contains(&port)))
}

#[kernel::prelude::kunit_tests(dhost_ports)]
mod tests {
    use super::slice_owner;
    use crate::sys::slice;

    /// Linux's default `ip_local_port_range`.
    const LO: u16 = 32768;
    const HI: u16 = 60999;

    #[test]
    fn slices_cover_the_range_disjointly() {
        for m in 1..=7u32 {
            let mut next = u32::from(LO);
            for n in 1..=m {
                let (lo, hi) = slice(n, m, LO, HI).unwrap();
                assert_eq!(u32::from(lo), next);
                assert!(lo <= hi);
                next = u32::from(hi) + 1;
            }
            assert_eq!(next, u32::from(HI) + 1);
        }
    }

    #[test]
    fn owner_of_a_port() {
        // 3 members: 32768-42177 / 42178-51587 / 51588-60999.
        let table = [
            (32768, Some(1)),
            (42177, Some(1)),
            (42178, Some(2)),
            (51588, Some(3)),
            (60999, Some(3)),
            (61000, None),
            (80, None),
        ];
        for (port, owner) in table {
            assert_eq!((port, slice_owner(port, 3, LO, HI)), (port, owner));
        }
        assert_eq!(slice_owner(40000, 0, LO, HI), None);
    }

    #[test]
    fn bad_members() {
        assert_eq!(slice(0, 3, LO, HI), None);
        assert_eq!(slice(4, 3, LO, HI), None);
        assert_eq!(slice(1, 0, LO, HI), None);
        assert_eq!(slice(1, 3, 100, 101), None);
        assert_eq!(slice(2, 2, 100, 101), Some((101, 101)));
    }
}
