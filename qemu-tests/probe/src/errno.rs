// SPDX-License-Identifier: GPL-2.0-only
//! Symbolic names of the errnos the tests compare.

/// The symbolic name of `e`, or `E<number>` for one the tests never expect.
pub(crate) fn name(e: i32) -> String {
    let n = match e {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EINVAL => "EINVAL",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ERANGE => "ERANGE",
        libc::EFAULT => "EFAULT",
        libc::EACCES => "EACCES",
        libc::ENOPROTOOPT => "ENOPROTOOPT",
        libc::EADDRINUSE => "EADDRINUSE",
        libc::ECONNREFUSED => "ECONNREFUSED",
        libc::EMSGSIZE => "EMSGSIZE",
        libc::ENODEV => "ENODEV",
        libc::ENETUNREACH => "ENETUNREACH",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        _ => return format!("E{e}"),
    };
    n.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(super::name(libc::EBUSY), "EBUSY");
        assert_eq!(super::name(9999), "E9999");
    }
}
