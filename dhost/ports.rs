// SPDX-License-Identifier: GPL-2.0

//! Ephemeral port slices: the core's policy (`dhost_slice()`, which
//! narrows `inet_sk_get_local_port_range()` for sockets on a distributed
//! address), checked here by KUnit. No `unsafe`.
//!
//! "member N of M" gets slice N (1-based) of M equal slices of the local
//! port range; the last slice also takes the remainder.

#![deny(unsafe_code)]

#[kernel::prelude::kunit_tests(dhost_ports)]
mod tests {
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
    fn bad_members() {
        assert_eq!(slice(0, 3, LO, HI), None);
        assert_eq!(slice(4, 3, LO, HI), None);
        assert_eq!(slice(1, 0, LO, HI), None);
        assert_eq!(slice(1, 3, 100, 101), None);
        assert_eq!(slice(2, 2, 100, 101), Some((101, 101)));
    }
}
