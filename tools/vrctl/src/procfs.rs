// SPDX-License-Identifier: GPL-2.0-only
//! `/proc/<pid>/vrctx`: read a task's default context, switch our own.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use crate::error::{hint, Error, Op, Result};

const NO_SUPPORT: &str = "the kernel has no vrctx support";

/// Parses the file's content: a decimal id and a newline.
pub fn parse_vrctx(content: &str) -> Result<u32, String> {
    let t = content.trim();
    t.parse::<u32>()
        .map_err(|_| format!("unexpected content {t:?}"))
}

/// The default context of `pid`, or of the calling process.
pub fn read_vrctx(pid: Option<u32>) -> Result<u32> {
    let (what, dir) = match pid {
        Some(pid) => (format!("identify {pid}"), format!("/proc/{pid}")),
        None => ("identify".to_string(), "/proc/self".to_string()),
    };
    let path = format!("{dir}/vrctx");
    let content = fs::read_to_string(&path).map_err(|err| {
        let missing = err.kind() == io::ErrorKind::NotFound;
        if missing && !Path::new(&dir).exists() {
            match pid {
                Some(_) => Error::system(what.clone(), io::Error::from_raw_os_error(libc::ESRCH)),
                None => Error::System {
                    what: format!("{what}: {path}"),
                    err,
                    hint: Some("is /proc mounted?"),
                },
            }
        } else {
            Error::System {
                what: format!("{what}: {path}"),
                err,
                hint: missing.then_some(NO_SUPPORT),
            }
        }
    })?;
    parse_vrctx(&content).map_err(|msg| Error::Protocol {
        what: format!("{what}: {path}"),
        msg,
    })
}

/// Switches the calling thread's default context (vrctl is single-threaded,
/// so /proc/self is this thread). Switching to context 0 on a kernel
/// without vrctx support is a no-op: 0 is the only context there.
pub fn switch_self(id: u32, what: &str) -> Result<()> {
    let path = "/proc/self/vrctx";
    let mut file = match OpenOptions::new().write(true).open(path) {
        Ok(file) => file,
        Err(err) if id == 0 && err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => {
            let missing = err.kind() == io::ErrorKind::NotFound;
            return Err(Error::System {
                what: format!("{what}: {path}"),
                err,
                hint: missing.then_some(NO_SUPPORT),
            });
        }
    };
    // One write(2) of the whole number: the kernel parses it at once.
    file.write_all(id.to_string().as_bytes())
        .map_err(|err| match err.raw_os_error() {
            Some(errno) => Error::Kernel {
                what: what.to_string(),
                errno,
                hint: hint(Op::Exec, errno, id == 0),
                extack: None,
            },
            None => Error::system(what, err),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse() {
        assert_eq!(parse_vrctx("0\n"), Ok(0));
        assert_eq!(parse_vrctx("2147483647\n"), Ok(2_147_483_647));
        assert!(parse_vrctx("").is_err());
        assert!(parse_vrctx("x\n").is_err());
    }

    #[test]
    fn context_0_without_kernel_support_is_a_no_op() {
        if !Path::new("/proc/self/vrctx").exists() {
            assert!(switch_self(0, "exec context 0").is_ok());
            let e = switch_self(3, "exec context 3").unwrap_err();
            assert_eq!(
                e.to_string(),
                "exec context 3: /proc/self/vrctx: No such file or directory (the kernel has no vrctx support)"
            );
        }
    }

    #[test]
    fn unknown_process() {
        // PIDs are at most 2^22 on Linux.
        let e = read_vrctx(Some(i32::MAX as u32)).unwrap_err();
        assert_eq!(e.to_string(), "identify 2147483647: No such process");
        assert_eq!(e.exit_code(), 2);
    }
}
