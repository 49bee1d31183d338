// SPDX-License-Identifier: GPL-2.0-only
//! Symbolic names of the errnos the tests compare, both ways.

/// The errnos the tests name, with their symbolic names.
const NAMES: &[(i32, &str)] = &[
    (libc::EPERM, "EPERM"),
    (libc::ENOENT, "ENOENT"),
    (libc::EINTR, "EINTR"),
    (libc::EAGAIN, "EAGAIN"),
    (libc::EACCES, "EACCES"),
    (libc::EFAULT, "EFAULT"),
    (libc::EBUSY, "EBUSY"),
    (libc::EEXIST, "EEXIST"),
    (libc::ENODEV, "ENODEV"),
    (libc::EINVAL, "EINVAL"),
    (libc::EPIPE, "EPIPE"),
    (libc::ERANGE, "ERANGE"),
    (libc::EMSGSIZE, "EMSGSIZE"),
    (libc::ENOPROTOOPT, "ENOPROTOOPT"),
    (libc::EPROTONOSUPPORT, "EPROTONOSUPPORT"),
    (libc::EOPNOTSUPP, "EOPNOTSUPP"),
    (libc::EAFNOSUPPORT, "EAFNOSUPPORT"),
    (libc::EADDRINUSE, "EADDRINUSE"),
    (libc::EADDRNOTAVAIL, "EADDRNOTAVAIL"),
    (libc::ENETDOWN, "ENETDOWN"),
    (libc::ENETUNREACH, "ENETUNREACH"),
    (libc::ECONNABORTED, "ECONNABORTED"),
    (libc::ECONNRESET, "ECONNRESET"),
    (libc::ENOTCONN, "ENOTCONN"),
    (libc::ETIMEDOUT, "ETIMEDOUT"),
    (libc::ECONNREFUSED, "ECONNREFUSED"),
    (libc::EHOSTUNREACH, "EHOSTUNREACH"),
    (libc::EINPROGRESS, "EINPROGRESS"),
];

/// The symbolic name of `e`, or `E<number>` for one the tests never expect.
pub(crate) fn name(e: i32) -> String {
    match NAMES.iter().find(|(n, _)| *n == e) {
        Some((_, s)) => (*s).to_string(),
        None => format!("E{e}"),
    }
}

/// The errno named `s` (`ECONNREFUSED`, ...), or `E<number>`.
pub(crate) fn parse(s: &str) -> Option<i32> {
    if let Some((n, _)) = NAMES.iter().find(|(_, name)| *name == s) {
        return Some(*n);
    }
    s.strip_prefix('E')?.parse().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(super::name(libc::EBUSY), "EBUSY");
        assert_eq!(super::name(9999), "E9999");
    }

    #[test]
    fn parses_back() {
        for (n, s) in super::NAMES {
            assert_eq!(super::parse(s), Some(*n), "{s}");
            assert_eq!(super::name(*n), *s);
        }
        assert_eq!(super::parse("E9999"), Some(9999));
        assert_eq!(super::parse("ECONNREFUSE"), None);
        assert_eq!(super::parse("E0"), None);
        assert_eq!(super::parse("red"), None);
    }
}
