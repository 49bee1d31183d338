// SPDX-License-Identifier: GPL-2.0-only
//! Errors, their messages and exit statuses (iproute2 conventions: 1 for
//! usage errors, 2 for errors the kernel or the system reported).

use std::fmt;
use std::io;

/// What a request was doing, to pick a hint for an errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Create,
    Delete,
    Show,
    List,
    Assign,
    Exec,
    /// A `dhost` or `lead` command.
    Dhost,
}

#[derive(Debug)]
pub enum Error {
    /// Bad usage noticed after argument parsing (exit status 1).
    Usage(String),
    /// The kernel refused a request with `errno`. Shown as
    /// `WHAT: STRERROR: EXTACK` when the kernel sent a message, else as
    /// `WHAT: STRERROR (HINT)` or `WHAT: STRERROR`.
    Kernel {
        what: String,
        errno: i32,
        /// Our explanation of `errno`, shown only without `extack`.
        hint: Option<&'static str>,
        /// The extended ack message (`NLMSGERR_ATTR_MSG`), if any.
        extack: Option<String>,
    },
    /// A system call failed.
    System {
        what: String,
        err: io::Error,
        hint: Option<&'static str>,
    },
    /// The generic netlink family of a module is not registered.
    ModuleMissing {
        module: &'static str,
        family: &'static str,
    },
    /// The kernel's reply made no sense.
    Protocol { what: String, msg: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The exit status: 1 for usage errors, 2 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 1,
            _ => 2,
        }
    }

    pub fn system(what: impl Into<String>, err: io::Error) -> Self {
        Error::System {
            what: what.into(),
            err,
            hint: None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) => f.write_str(msg),
            Error::Kernel {
                what,
                errno,
                hint,
                extack,
            } => {
                write!(f, "{what}: {}", strerror(*errno))?;
                // The kernel's own words say more than our guess from the
                // errno: the hint only stands in when the kernel gave none.
                match (extack, hint) {
                    (Some(msg), _) => write!(f, ": {msg}"),
                    (None, Some(hint)) => write!(f, " ({hint})"),
                    (None, None) => Ok(()),
                }
            }
            Error::System { what, err, hint } => {
                write!(f, "{what}: {}", io_message(err))?;
                if let Some(hint) = hint {
                    write!(f, " ({hint})")?;
                }
                Ok(())
            }
            Error::ModuleMissing { module, family } => write!(
                f,
                "the {module} kernel module is not loaded (generic netlink family \"{family}\" not found)"
            ),
            Error::Protocol { what, msg } => {
                write!(f, "{what}: unexpected reply from the kernel: {msg}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// The C library's text for `errno` ("File exists"), without the
/// " (os error 17)" that `io::Error` appends.
pub fn strerror(errno: i32) -> String {
    io_message(&io::Error::from_raw_os_error(errno))
}

/// An `io::Error` as text, without the " (os error N)" suffix.
pub fn io_message(err: &io::Error) -> String {
    let s = err.to_string();
    match (err.raw_os_error(), s.rfind(" (os error ")) {
        (Some(_), Some(i)) => s[..i].to_string(),
        _ => s,
    }
}

/// A short explanation of what `errno` means for `op`, if the C library's
/// text alone would be misleading or unhelpful. Printed only when the
/// kernel sent no extended-ack message (e.g. `EPERM` from generic netlink's
/// own permission check, or a refused `/proc` write).
/// The error for a failed netlink request `what` doing `op`;
/// `ctx_is_default` picks the hints about the default context.
pub fn nl_fail(what: String, op: Op, ctx_is_default: bool, e: crate::genl::NlError) -> Error {
    use crate::genl::NlError;
    match e {
        NlError::Kernel { errno, extack } => Error::Kernel {
            hint: hint(op, errno, ctx_is_default),
            what,
            errno,
            extack,
        },
        NlError::Io(err) => Error::system(what, err),
        NlError::Decode(msg) => Error::Protocol { what, msg },
    }
}

pub fn hint(op: Op, errno: i32, ctx_is_default: bool) -> Option<&'static str> {
    match (op, errno) {
        (_, libc::EPERM | libc::EACCES) => Some("CAP_NET_ADMIN is needed"),
        (Op::Delete, libc::EBUSY | libc::EINVAL) if ctx_is_default => {
            Some("context 0 always exists and can never be deleted")
        }
        (Op::Delete, libc::EBUSY) => Some("interfaces, sockets or tasks still use it; use --force"),
        (Op::Delete | Op::Show | Op::Assign | Op::Exec, libc::ENOENT) => Some("no such context"),
        (Op::Assign, libc::ENODEV) => Some("no such interface"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel(what: &str, op: Op, errno: i32, extack: Option<&str>) -> String {
        Error::Kernel {
            what: what.into(),
            errno,
            hint: hint(op, errno, false),
            extack: extack.map(String::from),
        }
        .to_string()
    }

    #[test]
    fn errno_texts() {
        assert_eq!(strerror(libc::EEXIST), "File exists");
        assert_eq!(strerror(libc::ENOENT), "No such file or directory");
        assert_eq!(strerror(libc::EBUSY), "Device or resource busy");
        assert_eq!(strerror(libc::EPERM), "Operation not permitted");
        assert_eq!(
            io_message(&io::Error::other("custom")),
            "custom",
            "non-OS errors are left alone"
        );
    }

    #[test]
    fn kernel_errors() {
        assert_eq!(
            kernel("create context 7", Op::Create, libc::EEXIST, None),
            "create context 7: File exists"
        );
        assert_eq!(
            kernel("delete context 3", Op::Delete, libc::EBUSY, None),
            "delete context 3: Device or resource busy (interfaces, sockets or tasks still use it; use --force)"
        );
        assert_eq!(
            kernel("show context blue", Op::Show, libc::ENOENT, None),
            "show context blue: No such file or directory (no such context)"
        );
        assert_eq!(
            kernel("assign eth1", Op::Assign, libc::ENODEV, None),
            "assign eth1: No such device (no such interface)"
        );
        assert_eq!(
            kernel("create context 7", Op::Create, libc::EPERM, None),
            "create context 7: Operation not permitted (CAP_NET_ADMIN is needed)"
        );
        assert_eq!(
            kernel(
                "create context 8",
                Op::Create,
                libc::EEXIST,
                Some("Another context has this name")
            ),
            "create context 8: File exists: Another context has this name"
        );
        assert_eq!(hint(Op::Create, libc::EEXIST, false), None);
        assert_eq!(hint(Op::List, libc::ENOENT, false), None);
    }

    /// The kernel's message replaces the hint; the hint only stands in
    /// when the kernel sent none.
    #[test]
    fn kernel_message_replaces_the_hint() {
        assert_eq!(
            kernel(
                "show context 6",
                Op::Show,
                libc::ENOENT,
                Some("No such context")
            ),
            "show context 6: No such file or directory: No such context"
        );
        assert_eq!(
            kernel(
                "delete context 3",
                Op::Delete,
                libc::EBUSY,
                Some("Context in use by interfaces, sockets or threads (delete it with force)")
            ),
            "delete context 3: Device or resource busy: Context in use by interfaces, sockets or threads (delete it with force)"
        );
        assert_eq!(
            kernel(
                "assign eth1 to context 7",
                Op::Assign,
                libc::EPERM,
                Some("nope")
            ),
            "assign eth1 to context 7: Operation not permitted: nope"
        );
        assert_eq!(
            Error::Kernel {
                what: "delete context 0".into(),
                errno: libc::EINVAL,
                hint: hint(Op::Delete, libc::EINVAL, true),
                extack: Some("Context 0 is the default context".into()),
            }
            .to_string(),
            "delete context 0: Invalid argument: Context 0 is the default context"
        );
        assert_eq!(
            Error::Kernel {
                what: "delete context 0".into(),
                errno: libc::EBUSY,
                hint: hint(Op::Delete, libc::EBUSY, true),
                extack: None,
            }
            .to_string(),
            "delete context 0: Device or resource busy (context 0 always exists and can never be deleted)"
        );
    }

    #[test]
    fn other_errors_and_exit_codes() {
        let missing = Error::ModuleMissing {
            module: "vrctx",
            family: "vrctx",
        };
        assert_eq!(
            missing.to_string(),
            "the vrctx kernel module is not loaded (generic netlink family \"vrctx\" not found)"
        );
        assert_eq!(missing.exit_code(), 2);
        let usage = Error::Usage("assign eth9: no such interface".into());
        assert_eq!(usage.to_string(), "assign eth9: no such interface");
        assert_eq!(usage.exit_code(), 1);
        let sys = Error::system(
            "exec nosuchprogram",
            io::Error::from_raw_os_error(libc::ENOENT),
        );
        assert_eq!(
            sys.to_string(),
            "exec nosuchprogram: No such file or directory"
        );
        assert_eq!(sys.exit_code(), 2);
        let proto = Error::Protocol {
            what: "list contexts".into(),
            msg: "reply without VRCTX_A_ID".into(),
        };
        assert_eq!(
            proto.to_string(),
            "list contexts: unexpected reply from the kernel: reply without VRCTX_A_ID"
        );
        assert_eq!(proto.exit_code(), 2);
    }
}
