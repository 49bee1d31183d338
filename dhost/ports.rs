// SPDX-License-Identifier: GPL-2.0

//! Ephemeral port slices: pure policy, no `unsafe`.
//!
//! Members of a distributed address pick ephemeral ports from disjoint
//! slices of the local port range, so they never collide and the leader can
//! steer replies by port alone. "member N of M" gets slice N (1-based) of M
//! equal slices; the last slice also takes the remainder.

#![deny(unsafe_code)]

use kernel::prelude::*;

/// An inclusive port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PortRange {
    pub(crate) lo: u16,
    pub(crate) hi: u16,
}

// Used by the distributed-host packet rules (a later stage); KUnit checks it.
#[cfg_attr(not(CONFIG_KUNIT = "y"), expect(dead_code))]
impl PortRange {
    /// Returns member `n`'s slice (1-based) of `self` split among `m`
    /// members; `EINVAL` if `n` is not in `1..=m` or the range is too small
    /// to give every member a port.
    pub(crate) fn slice(self, n: u32, m: u32) -> Result<PortRange> {
        if self.lo > self.hi || m == 0 || n == 0 || n > m {
            return Err(EINVAL);
        }
        let len = u32::from(self.hi) - u32::from(self.lo) + 1;
        let size = len / m;
        if size == 0 {
            return Err(EINVAL);
        }
        let lo = u32::from(self.lo) + (n - 1) * size;
        let hi = if n == m {
            u32::from(self.hi)
        } else {
            lo + size - 1
        };
        Ok(PortRange {
            lo: u16::try_from(lo)?,
            hi: u16::try_from(hi)?,
        })
    }

    /// Whether `port` lies in the range.
    pub(crate) fn contains(self, port: u16) -> bool {
        (self.lo..=self.hi).contains(&port)
    }
}

#[kunit_tests(dhost_ports)]
mod tests {
    use super::*;

    const LINUX_DEFAULT: PortRange = PortRange {
        lo: 32768,
        hi: 60999,
    };

    #[test]
    fn slices_cover_the_range_disjointly() {
        for m in 1..=7u32 {
            let mut next = u32::from(LINUX_DEFAULT.lo);
            for n in 1..=m {
                let s = LINUX_DEFAULT.slice(n, m).unwrap();
                assert_eq!(u32::from(s.lo), next);
                assert!(s.lo <= s.hi);
                next = u32::from(s.hi) + 1;
            }
            assert_eq!(next, u32::from(LINUX_DEFAULT.hi) + 1);
        }
    }

    #[test]
    fn bad_members() {
        assert_eq!(LINUX_DEFAULT.slice(0, 3), Err(EINVAL));
        assert_eq!(LINUX_DEFAULT.slice(4, 3), Err(EINVAL));
        assert_eq!(LINUX_DEFAULT.slice(1, 0), Err(EINVAL));
        let tiny = PortRange { lo: 100, hi: 101 };
        assert_eq!(tiny.slice(1, 3), Err(EINVAL));
        assert_eq!(tiny.slice(2, 2), Ok(PortRange { lo: 101, hi: 101 }));
    }

    #[test]
    fn contains() {
        let s = LINUX_DEFAULT.slice(2, 2).unwrap();
        assert!(s.contains(60999));
        assert!(!s.contains(32768));
        assert!(s.contains(s.lo));
    }
}
