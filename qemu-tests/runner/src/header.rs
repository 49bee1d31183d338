//! Test-file headers: `# key: value` lines in the comment block at the top of
//! a test script (a `#!` line and blank lines may come first; the block ends
//! at the first line that is not a comment). Keys:
//!
//! - `vms: N`       number of VMs on the test segment (default 1)
//! - `timeout: S`   seconds before the run is killed (default: suite's)
//! - `expect: pass | fail | timeout`  (default pass; `fail` and `timeout` are
//!   self-tests of the runner)
//! - `mem: MB`      guest memory (default 512)
//! - `append: ...`  extra kernel command line
//! - `runs-on: guest | host`  host tests run on the host with VMRUN, KERNEL
//!   and INITRD set (files in a directory named `host` default to host)
//!
//! Other comments are ignored, including `# foo: bar` with an unknown key.

use anyhow::{bail, Context, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Pass,
    Fail,
    Timeout,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub vms: u32,
    pub timeout: Option<u64>,
    pub expect: Expect,
    pub mem: Option<u32>,
    pub append: Option<String>,
    pub host: Option<bool>,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            vms: 1,
            timeout: None,
            expect: Expect::Pass,
            mem: None,
            append: None,
            host: None,
        }
    }
}

pub const MAX_VMS: u32 = 64;

pub fn parse(text: &str) -> Result<Header> {
    let mut h = Header::default();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("#!") {
            continue;
        }
        let Some(body) = t.strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = body.split_once(':') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        let ctx = || format!("line {}: bad header {t:?}", n + 1);
        match key.as_str() {
            "vms" => {
                let v: u32 = value.parse().with_context(ctx)?;
                if !(1..=MAX_VMS).contains(&v) {
                    bail!("line {}: vms must be 1..={MAX_VMS}", n + 1);
                }
                h.vms = v;
            }
            "timeout" => {
                let v: u64 = value.parse().with_context(ctx)?;
                if v == 0 {
                    bail!("line {}: timeout must be > 0", n + 1);
                }
                h.timeout = Some(v);
            }
            "expect" => {
                h.expect = match value.to_ascii_lowercase().as_str() {
                    "pass" => Expect::Pass,
                    "fail" => Expect::Fail,
                    "timeout" => Expect::Timeout,
                    _ => bail!("line {}: expect must be pass, fail or timeout", n + 1),
                }
            }
            "mem" => h.mem = Some(value.parse().with_context(ctx)?),
            "append" => h.append = Some(value.to_string()),
            "runs-on" => {
                h.host = Some(match value.to_ascii_lowercase().as_str() {
                    "host" => true,
                    "guest" => false,
                    _ => bail!("line {}: runs-on must be guest or host", n + 1),
                })
            }
            _ => {}
        }
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        assert_eq!(parse("").unwrap(), Header::default());
        assert_eq!(parse("echo hi\n# vms: 2\n").unwrap(), Header::default());
    }

    #[test]
    fn all_keys() {
        let h = parse(
            "#!/bin/sh\n\n# Two VMs ping each other.\n# vms: 2\n#timeout:120\n# Expect: FAIL\n\
             # mem: 768\n# append: foo=1 bar\n# note: ignored\nset -e\n# vms: 9\n",
        )
        .unwrap();
        assert_eq!(h.vms, 2);
        assert_eq!(h.timeout, Some(120));
        assert_eq!(h.expect, Expect::Fail);
        assert_eq!(h.mem, Some(768));
        assert_eq!(h.append.as_deref(), Some("foo=1 bar"));
        assert_eq!(h.host, None);
        assert_eq!(parse("# expect: timeout").unwrap().expect, Expect::Timeout);
        assert_eq!(parse("# runs-on: host").unwrap().host, Some(true));
    }

    #[test]
    fn errors() {
        assert!(parse("# vms: 0").is_err());
        assert!(parse("# vms: two").is_err());
        assert!(parse("# vms: 65").is_err());
        assert!(parse("# timeout: 0").is_err());
        assert!(parse("# expect: maybe").is_err());
        assert!(parse("# runs-on: moon").is_err());
    }
}
