// SPDX-License-Identifier: GPL-2.0-only
//! `vrctx-probe`: a small test tool for the guest test scripts.
//!
//! It exercises kernel interfaces that no ordinary program reaches with
//! exact control: the IP_VRCTX socket option with arbitrary option lengths
//! and socket states. Every command prints `ok` (plus a value where one is
//! read) and exits 0, or prints the errno's symbolic name (`EBUSY`, ...) and
//! exits 1, so scripts compare one word.
//!
//! ```text
//! vrctx-probe get   [--type T] [--len N]
//! vrctx-probe set CTX [--type T] [--len N] [--after bind|connect|listen]
//! vrctx-probe threads            # a new thread's context, from /proc
//! vrctx-probe genl [--family F] [--dump] [--show] CMD [ATTR=TYPE:VALUE]...
//!                               # see genl.rs
//! vrctx-probe events N          # print the next N vrctx events
//! vrctx-probe cycle N ID NAME   # create and delete a context N times
//! vrctx-probe matrix [OPTIONS] TABLE   # the leak matrix, see matrix/
//! vrctx-probe bind|reuseport|ephemeral ...  # binding per context, see bindtest.rs
//! vrctx-probe seal CMD ...       # the seal tests' socket operations (seal.rs)
//! vrctx-probe icmp send|hold ... # crafted ICMP errors and the sockets they
//!                               # reach (icmperr.rs)
//! vrctx-probe bench CMD ...      # make bench's timers and UDP helpers (bench.rs)
//! vrctx-probe dhost CMD ...      # the distributed-host test's traffic (dhost.rs)
//! ```
//! T is one of tcp, udp, raw, ping (default tcp).

use std::process::ExitCode;
use vrctx_uapi::IP_VRCTX;

mod bench;
mod bindtest;
mod dhost;
mod errno;
mod genl;
mod icmperr;
mod matrix;
mod net;
mod seal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SockType {
    Tcp,
    Udp,
    Raw,
    Ping,
}

impl SockType {
    fn parse(s: &str) -> Result<Self, String> {
        match s {
            "tcp" => Ok(Self::Tcp),
            "udp" => Ok(Self::Udp),
            "raw" => Ok(Self::Raw),
            "ping" => Ok(Self::Ping),
            _ => Err(format!("unknown socket type '{s}' (tcp, udp, raw, ping)")),
        }
    }

    fn socket_args(self) -> (i32, i32) {
        match self {
            Self::Tcp => (libc::SOCK_STREAM, 0),
            Self::Udp => (libc::SOCK_DGRAM, 0),
            Self::Raw => (libc::SOCK_RAW, libc::IPPROTO_UDP),
            Self::Ping => (libc::SOCK_DGRAM, libc::IPPROTO_ICMP),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Nothing,
    Bind,
    Connect,
    Listen,
}

#[derive(Debug, PartialEq, Eq)]
enum Cmd {
    Get {
        ty: SockType,
        len: usize,
    },
    Set {
        ctx: u32,
        ty: SockType,
        len: usize,
        after: After,
    },
}

fn parse(args: &[String]) -> Result<Cmd, String> {
    let mut it = args.iter();
    let verb = it.next().ok_or("missing command (get, set)")?;
    let mut ctx = None;
    let mut ty = SockType::Tcp;
    let mut len = 4;
    let mut after = After::Nothing;
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--type" => ty = SockType::parse(&value("--type")?)?,
            "--len" => len = value("--len")?.parse().map_err(|e| format!("--len: {e}"))?,
            "--after" => {
                after = match value("--after")?.as_str() {
                    "bind" => After::Bind,
                    "connect" => After::Connect,
                    "listen" => After::Listen,
                    o => return Err(format!("--after: unknown step '{o}'")),
                }
            }
            v if ctx.is_none() && verb == "set" => {
                ctx = Some(
                    v.parse::<u32>()
                        .map_err(|e| format!("context '{v}': {e}"))?,
                )
            }
            o => return Err(format!("unexpected argument '{o}'")),
        }
    }
    match verb.as_str() {
        "get" => Ok(Cmd::Get { ty, len }),
        "set" => Ok(Cmd::Set {
            ctx: ctx.ok_or("set needs a context")?,
            ty,
            len,
            after,
        }),
        o => Err(format!("unknown command '{o}'")),
    }
}

/// An IPv4 socket, closed on drop.
struct Socket(i32);

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: `self.0` is a descriptor this process owns.
        unsafe { libc::close(self.0) };
    }
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn check(rc: i32) -> Result<i32, i32> {
    if rc < 0 {
        Err(last_errno())
    } else {
        Ok(rc)
    }
}

fn loopback(port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_be_bytes([127, 0, 0, 1]).to_be(),
        },
        sin_zero: [0; 8],
    }
}

fn open(ty: SockType) -> Result<Socket, i32> {
    let (kind, proto) = ty.socket_args();
    // SAFETY: Plain system call with constant arguments.
    check(unsafe { libc::socket(libc::AF_INET, kind, proto) }).map(Socket)
}

fn prepare(s: &Socket, ty: SockType, after: After) -> Result<(), i32> {
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    match after {
        After::Nothing => Ok(()),
        After::Bind | After::Listen => {
            let a = loopback(0);
            // SAFETY: `a` is a valid sockaddr_in of `len` bytes.
            check(unsafe { libc::bind(s.0, (&raw const a).cast(), len) })?;
            if after == After::Listen && ty == SockType::Tcp {
                // SAFETY: Plain system call on our descriptor.
                check(unsafe { libc::listen(s.0, 1) })?;
            }
            Ok(())
        }
        After::Connect => {
            // UDP/raw/ping connect needs no peer; for TCP, a listener in
            // this process gives connect() something to reach.
            let listener = if ty == SockType::Tcp {
                let l = open(SockType::Tcp)?;
                prepare(&l, SockType::Tcp, After::Listen)?;
                Some(l)
            } else {
                None
            };
            let mut a = loopback(9);
            if let Some(l) = &listener {
                let mut len2 = len;
                // SAFETY: `a` has room for `len2` bytes.
                check(unsafe { libc::getsockname(l.0, (&raw mut a).cast(), &mut len2) })?;
            }
            // SAFETY: `a` is a valid sockaddr_in of `len` bytes.
            check(unsafe { libc::connect(s.0, (&raw const a).cast(), len) })?;
            Ok(())
        }
    }
}

fn run(cmd: &Cmd) -> Result<Option<u32>, i32> {
    match *cmd {
        Cmd::Get { ty, len } => {
            let s = open(ty)?;
            let mut buf = vec![0u8; len.max(1)];
            let mut optlen = len as libc::socklen_t;
            // SAFETY: `buf` has room for `optlen` bytes.
            check(unsafe {
                libc::getsockopt(
                    s.0,
                    libc::SOL_IP,
                    IP_VRCTX,
                    buf.as_mut_ptr().cast(),
                    &mut optlen,
                )
            })?;
            if optlen != 4 {
                eprintln!("vrctx-probe: getsockopt returned {optlen} bytes, not 4");
                return Err(libc::EMSGSIZE);
            }
            Ok(Some(u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]])))
        }
        Cmd::Set {
            ctx,
            ty,
            len,
            after,
        } => {
            let s = open(ty)?;
            prepare(&s, ty, after)?;
            let mut buf = vec![0u8; len.max(4)];
            buf[..4].copy_from_slice(&ctx.to_ne_bytes());
            // SAFETY: `buf` holds at least `len` bytes.
            check(unsafe {
                libc::setsockopt(
                    s.0,
                    libc::SOL_IP,
                    IP_VRCTX,
                    buf.as_ptr().cast(),
                    len as libc::socklen_t,
                )
            })?;
            // Read it back through getsockopt.
            let mut v = 0u32;
            let mut optlen = 4 as libc::socklen_t;
            // SAFETY: `v` has room for 4 bytes.
            check(unsafe {
                libc::getsockopt(
                    s.0,
                    libc::SOL_IP,
                    IP_VRCTX,
                    (&raw mut v).cast(),
                    &mut optlen,
                )
            })?;
            Ok(Some(v))
        }
    }
}

/// Reads the context of a new thread of this process through
/// /proc/thread-self/vrctx, next to the main thread's.
fn threads() -> ExitCode {
    let read = || std::fs::read_to_string("/proc/thread-self/vrctx").map(|s| s.trim().to_string());
    let main = read();
    let child = std::thread::spawn(read).join();
    match (main, child) {
        (Ok(m), Ok(Ok(c))) => {
            println!("main {m} thread {c}");
            ExitCode::SUCCESS
        }
        (m, c) => {
            println!("error: main {m:?} thread {c:?}");
            ExitCode::FAILURE
        }
    }
}

/// Sends a raw generic netlink request to a family (vrctx by default).
fn genl_cmd(args: &[String]) -> ExitCode {
    let mut family = genl::Family::Vrctx;
    let (mut dump, mut show) = (false, false);
    let mut rest = args;
    loop {
        match rest.first().map(String::as_str) {
            Some("--family") => {
                let Some(f) = rest.get(1) else {
                    eprintln!("vrctx-probe: --family needs a value");
                    return ExitCode::from(2);
                };
                family = match genl::Family::parse(f) {
                    Ok(f) => f,
                    Err(e) => {
                        eprintln!("vrctx-probe: {e}");
                        return ExitCode::from(2);
                    }
                };
                rest = &rest[2..];
            }
            Some("--dump") => {
                dump = true;
                rest = &rest[1..];
            }
            Some("--show") => {
                show = true;
                rest = &rest[1..];
            }
            _ => break,
        }
    }
    let Some(cmd) = rest.first() else {
        eprintln!("vrctx-probe: genl needs a command");
        return ExitCode::from(2);
    };
    let cmd = match family.cmd(cmd) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vrctx-probe: {e}");
            return ExitCode::from(2);
        }
    };
    let attrs: Result<Vec<_>, _> = rest[1..]
        .iter()
        .map(|a| genl::parse_family_attr(family, a))
        .collect();
    let attrs = match attrs {
        Ok(a) => a,
        Err(e) => {
            eprintln!("vrctx-probe: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = genl::request(family.name(), cmd, &attrs, dump).map(|(o, replies)| {
        if show {
            for r in &replies {
                println!("{}", r.render(family));
            }
        }
        o
    });
    report(outcome)
}

/// Prints `ok`, or the errno's name followed by the kernel's message if it
/// gave one (`EINVAL Missing context id`, `EOPNOTSUPP`), and exits
/// accordingly.
fn report(outcome: std::io::Result<genl::Outcome>) -> ExitCode {
    match outcome {
        Ok(o) if o.errno == 0 => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Ok(o) => {
            match o.msg.filter(|m| !m.is_empty()) {
                Some(msg) => println!("{} {msg}", errno::name(o.errno)),
                None => println!("{}", errno::name(o.errno)),
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            println!("{}", errno::name(e.raw_os_error().unwrap_or(0)));
            ExitCode::FAILURE
        }
    }
}

/// Prints the next N events of the vrctx family's event group.
fn events_cmd(args: &[String]) -> ExitCode {
    let n = match args.first().map(|a| a.parse::<usize>()) {
        Some(Ok(n)) => n,
        _ => {
            eprintln!("vrctx-probe: events needs a count");
            return ExitCode::from(2);
        }
    };
    let group =
        String::from_utf8_lossy(vrctx_uapi::VRCTX_GENL_MCGRP_EVENTS.as_bytes()).into_owned();
    match genl::events(vrctx_uapi::VRCTX_GENL_NAME, &group, n) {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{}", errno::name(e.raw_os_error().unwrap_or(0)));
            ExitCode::FAILURE
        }
    }
}

/// Creates and deletes one context N times through one netlink socket.
fn cycle_cmd(args: &[String]) -> ExitCode {
    let (Some(n), Some(id), Some(name)) = (
        args.first().and_then(|a| a.parse::<u32>().ok()),
        args.get(1).and_then(|a| a.parse::<u32>().ok()),
        args.get(2),
    ) else {
        eprintln!("vrctx-probe: cycle N ID NAME");
        return ExitCode::from(2);
    };
    report(genl::cycle(vrctx_uapi::VRCTX_GENL_NAME, n, id, name))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("threads") => return threads(),
        Some("genl") => return genl_cmd(&args[1..]),
        Some("events") => return events_cmd(&args[1..]),
        Some("cycle") => return cycle_cmd(&args[1..]),
        Some("matrix") => return matrix::cmd(&args[1..]),
        Some("bind") => return bindtest::bind_cmd(&args[1..]),
        Some("reuseport") => return bindtest::reuseport_cmd(&args[1..]),
        Some("ephemeral") => return bindtest::ephemeral_cmd(&args[1..]),
        Some("seal") => return seal::main(&args[1..]),
        Some("icmp") => return icmperr::main(&args[1..]),
        Some("bench") => return bench::main(&args[1..]),
        Some("dhost") => return dhost::main(&args[1..]),
        _ => {}
    }
    let cmd = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vrctx-probe: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&cmd) {
        Ok(Some(v)) => {
            println!("ok {v}");
            ExitCode::SUCCESS
        }
        Ok(None) => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{}", errno::name(e));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses() {
        assert_eq!(
            parse(&args("get")).unwrap(),
            Cmd::Get {
                ty: SockType::Tcp,
                len: 4
            }
        );
        assert_eq!(
            parse(&args("set 7 --type udp --after bind --len 8")).unwrap(),
            Cmd::Set {
                ctx: 7,
                ty: SockType::Udp,
                len: 8,
                after: After::Bind
            }
        );
        assert!(parse(&args("set")).is_err());
        assert!(parse(&args("set x")).is_err());
        assert!(parse(&args("get --type sctp")).is_err());
        assert!(parse(&args("frob")).is_err());
    }
}
