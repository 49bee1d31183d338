// SPDX-License-Identifier: GPL-2.0-only
//! `vrctx-probe icmp ...`: ICMP errors and the sockets they must (or must
//! not) reach, for qemu-tests/tests/53-ctx-icmp-errors.sh.
//!
//! ```text
//! icmp send --to ADDR --kind frag|port [--mtu N] [--len N] --flow L:P,R:Q
//!     # one ICMP "destination unreachable" to ADDR through a raw ICMP
//!     # socket, quoting an IPv4 + UDP header of the datagram L:P -> R:Q
//!     # (total length --len, default 1500, DF set): `frag` is
//!     # "fragmentation needed" (code 4) with next-hop MTU --mtu (default
//!     # 1280), `port` is "port unreachable" (code 3). Prints `ok` or the
//!     # errno's name.
//! icmp hold --flow L:P,R:Q CTX...
//!     # one UDP socket per context CTX (IP_VRCTX), each bound to L:P and
//!     # connected to R:Q, with IP_MTU_DISCOVER=IP_PMTUDISC_DO and
//!     # IP_RECVERR; prints `ready` (or `setup CTX ERRNO (step)` and exits
//!     # 1), then runs the commands read from stdin, one per line, until
//!     # end of file:
//!     #   TAG state       `TAG ctx C mtu M errors E` per socket: IP_MTU and
//!     #                   the errors drained from the error queue, `-` for
//!     #                   none, else `; `-separated `ERRNO(ORIGIN T/C info
//!     #                   I from ADDR)` (`EMSGSIZE(icmp 3/4 info 1280 from
//!     #                   10.0.0.2)`)
//!     #   TAG wait C S    `TAG ctx C wait ok` once C's socket has an error
//!     #                   pending (POLLERR), `... wait ETIMEDOUT` after S s
//!     #   TAG send N      `TAG ctx C send N ok|ERRNO` per socket: send() of
//!     #                   N bytes
//!     # and then `TAG done`.
//! icmp mtu --flow L:P,R:Q CTX...
//!     # `ctx C mtu M` per context: IP_MTU of a new socket of context C
//!     # bound to L:P and connected to R:Q, i.e. the path MTU C's route
//!     # cache has for R (or `ctx C setup ERRNO (step)`). Exits 0 if every
//!     # socket answered.
//! ```

use std::io::BufRead;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::ExitCode;
use std::time::Duration;

use crate::errno;
use crate::matrix::packet::{checksum, ipv4_header, IPPROTO_UDP};
use crate::net;

const ICMP_DEST_UNREACH: u8 = 3;
const ICMP_PORT_UNREACH: u8 = 3;
const ICMP_FRAG_NEEDED: u8 = 4;
/// "Don't fragment" in the IPv4 flags/fragment-offset field.
const IP_DF: u16 = 0x4000;

/// The datagram an ICMP error quotes: local (source) -> peer (destination).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Flow {
    local: SocketAddrV4,
    peer: SocketAddrV4,
}

impl Flow {
    /// `L:P,R:Q`.
    fn parse(s: &str) -> Result<Self, String> {
        let (l, r) = s
            .split_once(',')
            .ok_or_else(|| format!("flow '{s}': want LOCAL:PORT,PEER:PORT"))?;
        let addr = |a: &str| {
            a.parse::<SocketAddrV4>()
                .map_err(|e| format!("flow '{s}': '{a}': {e}"))
        };
        Ok(Self {
            local: addr(l)?,
            peer: addr(r)?,
        })
    }
}

/// Which "destination unreachable".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Fragmentation needed and DF set, with the next-hop MTU.
    Frag(u16),
    /// Port unreachable.
    Port,
}

/// What an ICMP error quotes of the UDP datagram `flow` of `len` bytes (IP
/// header included): its IPv4 header and the UDP header (RFC 792's "first
/// 64 bits"; the UDP checksum is left zero, as "none").
fn quote(flow: Flow, len: u16) -> Vec<u8> {
    let mut q = ipv4_header(
        *flow.local.ip(),
        *flow.peer.ip(),
        IPPROTO_UDP,
        len,
        1,
        IP_DF,
    )
    .to_vec();
    q.extend_from_slice(&flow.local.port().to_be_bytes());
    q.extend_from_slice(&flow.peer.port().to_be_bytes());
    q.extend_from_slice(&len.saturating_sub(20).to_be_bytes());
    q.extend_from_slice(&[0, 0]);
    q
}

/// An ICMP "destination unreachable" message (header and `quoted`), with
/// its checksum: what a raw ICMP socket sends after the IP header.
fn icmp_unreach(kind: Kind, quoted: &[u8]) -> Vec<u8> {
    let (code, mtu) = match kind {
        Kind::Frag(mtu) => (ICMP_FRAG_NEEDED, mtu),
        Kind::Port => (ICMP_PORT_UNREACH, 0),
    };
    let mut m = vec![ICMP_DEST_UNREACH, code, 0, 0, 0, 0];
    m.extend_from_slice(&mtu.to_be_bytes());
    m.extend_from_slice(quoted);
    let c = checksum(&m);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("vrctx-probe icmp: {msg}");
    ExitCode::from(2)
}

/// `--name value` options, as (name, value).
type Named<'a> = Vec<(&'a str, &'a str)>;

/// `--name value` options and positional arguments.
fn options(args: &[String]) -> Result<(Named<'_>, Vec<&str>), String> {
    let (mut named, mut pos) = (Vec::new(), Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.strip_prefix("--") {
            Some(n) => {
                let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
                named.push((n, v.as_str()));
            }
            None => pos.push(a.as_str()),
        }
    }
    Ok((named, pos))
}

fn get<'a>(named: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
    named.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

fn number<T: std::str::FromStr>(named: &[(&str, &str)], name: &str, default: T) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    match get(named, name) {
        Some(v) => v.parse().map_err(|e| format!("--{name} '{v}': {e}")),
        None => Ok(default),
    }
}

pub(crate) fn main(args: &[String]) -> ExitCode {
    let r = match args.first().map(String::as_str) {
        Some("send") => send_cmd(&args[1..]),
        Some("hold") => hold_cmd(&args[1..]),
        Some("mtu") => mtu_cmd(&args[1..]),
        _ => Err("usage: icmp send|hold|mtu ...".to_string()),
    };
    r.unwrap_or_else(|e| usage(&e))
}

/// The ICMP message `icmp send ARGS` sends, and where to.
fn parse_send(args: &[String]) -> Result<(Ipv4Addr, Vec<u8>), String> {
    let (named, pos) = options(args)?;
    if let Some(p) = pos.first() {
        return Err(format!("unexpected argument '{p}'"));
    }
    let to: Ipv4Addr = get(&named, "to")
        .ok_or("--to is needed")?
        .parse()
        .map_err(|e| format!("--to: {e}"))?;
    let flow = Flow::parse(get(&named, "flow").ok_or("--flow is needed")?)?;
    let kind = match get(&named, "kind") {
        Some("frag") => Kind::Frag(number(&named, "mtu", 1280)?),
        Some("port") => Kind::Port,
        Some(k) => return Err(format!("--kind '{k}': frag or port")),
        None => return Err("--kind is needed".to_string()),
    };
    let len = number(&named, "len", 1500u16)?;
    if len < 28 {
        return Err("--len: at least 28 (IPv4 and UDP headers)".to_string());
    }
    Ok((to, icmp_unreach(kind, &quote(flow, len))))
}

fn send_cmd(args: &[String]) -> Result<ExitCode, String> {
    let (to, msg) = parse_send(args)?;
    let sent = net::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_ICMP)
        .and_then(|s| net::send_to(&s, &msg, SocketAddr::V4(SocketAddrV4::new(to, 0))));
    Ok(match sent {
        Ok(_) => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{}", errno::name(e));
            ExitCode::FAILURE
        }
    })
}

/// One connected UDP socket of the holder.
struct Held {
    ctx: u32,
    fd: OwnedFd,
}

/// The holder's socket in context `ctx`; `Err` names the failed step.
fn held_socket(ctx: u32, flow: Flow) -> Result<OwnedFd, (i32, &'static str)> {
    let fd = net::socket(libc::AF_INET, libc::SOCK_DGRAM, 0).map_err(|e| (e, "socket"))?;
    net::set_ctx(&fd, ctx).map_err(|e| (e, "IP_VRCTX"))?;
    net::set_int(
        &fd,
        libc::SOL_IP,
        libc::IP_MTU_DISCOVER,
        libc::IP_PMTUDISC_DO,
    )
    .map_err(|e| (e, "IP_MTU_DISCOVER"))?;
    net::set_int(&fd, libc::SOL_IP, libc::IP_RECVERR, 1).map_err(|e| (e, "IP_RECVERR"))?;
    net::bind(&fd, SocketAddr::V4(flow.local)).map_err(|e| (e, "bind"))?;
    net::connect(&fd, SocketAddr::V4(flow.peer)).map_err(|e| (e, "connect"))?;
    Ok(fd)
}

/// `--flow L:P,R:Q CTX...`: the flow and the contexts (at least one).
fn flow_and_contexts(args: &[String]) -> Result<(Flow, Vec<u32>), String> {
    let (named, pos) = options(args)?;
    let flow = Flow::parse(get(&named, "flow").ok_or("--flow is needed")?)?;
    let ctxs = pos
        .iter()
        .map(|c| c.parse::<u32>().map_err(|e| format!("context '{c}': {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    if ctxs.is_empty() {
        return Err("at least one context is needed".to_string());
    }
    Ok((flow, ctxs))
}

fn mtu_cmd(args: &[String]) -> Result<ExitCode, String> {
    let (flow, ctxs) = flow_and_contexts(args)?;
    let mut code = ExitCode::SUCCESS;
    for ctx in ctxs {
        let mtu = held_socket(ctx, flow)
            .map_err(|(e, step)| format!("setup {} ({step})", errno::name(e)))
            .and_then(|fd| ip_mtu(&fd).map_err(|e| format!("{} (IP_MTU)", errno::name(e))));
        match mtu {
            Ok(m) => println!("ctx {ctx} mtu {m}"),
            Err(e) => {
                println!("ctx {ctx} {e}");
                code = ExitCode::FAILURE;
            }
        }
    }
    Ok(code)
}

fn hold_cmd(args: &[String]) -> Result<ExitCode, String> {
    let (flow, ctxs) = flow_and_contexts(args)?;
    let mut held = Vec::new();
    for ctx in ctxs {
        match held_socket(ctx, flow) {
            Ok(fd) => held.push(Held { ctx, fd }),
            Err((e, step)) => {
                println!("setup {ctx} {} ({step})", errno::name(e));
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    println!("ready");
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| format!("stdin: {e}"))?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((tag, cmd)) = words.split_first() else {
            continue;
        };
        for out in command(&held, cmd) {
            println!("{tag} {out}");
        }
        println!("{tag} done");
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs one holder command; its output lines, without the tag.
fn command(held: &[Held], cmd: &[&str]) -> Vec<String> {
    match cmd {
        ["state"] => held
            .iter()
            .map(|h| {
                let mtu = ip_mtu(&h.fd).map_or_else(errno::name, |m| m.to_string());
                format!(
                    "ctx {} mtu {mtu} errors {}",
                    h.ctx,
                    render(&drain_errors(&h.fd))
                )
            })
            .collect(),
        ["wait", ctx, secs] => {
            let (Ok(c), Ok(s)) = (ctx.parse::<u32>(), secs.parse::<f64>()) else {
                return vec![format!("error: wait CTX SECONDS, not '{ctx} {secs}'")];
            };
            let Some(h) = held.iter().find(|h| h.ctx == c) else {
                return vec![format!("error: no socket in context {c}")];
            };
            // POLLERR needs no asking: an error pending or queued.
            let r = net::wait_for(&h.fd, 0, Duration::from_secs_f64(s));
            let got = match r {
                Ok(ev) if ev & libc::POLLERR != 0 => "ok".to_string(),
                Ok(ev) => format!("revents {ev:#x}"),
                Err(e) => errno::name(e),
            };
            vec![format!("ctx {c} wait {got}")]
        }
        ["send", n] => {
            let Ok(n) = n.parse::<usize>() else {
                return vec![format!("error: send N, not '{n}'")];
            };
            let payload = vec![b'x'; n];
            held.iter()
                .map(|h| {
                    let r = net::send(&h.fd, &payload).map_or_else(errno::name, |_| "ok".into());
                    format!("ctx {} send {n} {r}", h.ctx)
                })
                .collect()
        }
        _ => vec![format!("error: unknown command '{}'", cmd.join(" "))],
    }
}

/// `getsockopt(IP_MTU)`: the path MTU of a connected socket's route.
fn ip_mtu(fd: &OwnedFd) -> Result<i32, i32> {
    net::get_int(fd, libc::SOL_IP, libc::IP_MTU)
}

/// One error read from a socket's error queue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct QueuedError {
    errno: u32,
    origin: u8,
    icmp_type: u8,
    icmp_code: u8,
    info: u32,
    offender: Option<Ipv4Addr>,
}

impl std::fmt::Display for QueuedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let origin = match self.origin {
            libc::SO_EE_ORIGIN_LOCAL => "local".to_string(),
            libc::SO_EE_ORIGIN_ICMP => "icmp".to_string(),
            o => format!("origin{o}"),
        };
        write!(
            f,
            "{}({origin} {}/{} info {}",
            errno::name(self.errno as i32),
            self.icmp_type,
            self.icmp_code,
            self.info
        )?;
        match self.offender {
            Some(a) => write!(f, " from {a})"),
            None => write!(f, ")"),
        }
    }
}

/// `-` for no errors, else the errors separated by `; `.
fn render(errors: &[QueuedError]) -> String {
    if errors.is_empty() {
        return "-".to_string();
    }
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Reads the socket's error queue (`MSG_ERRQUEUE`) until it is empty.
fn drain_errors(fd: &OwnedFd) -> Vec<QueuedError> {
    let mut out = Vec::new();
    // At most a few errors are ever queued; the bound only guards a loop.
    for _ in 0..64 {
        match recv_error(fd) {
            Some(e) => out.push(e),
            None => break,
        }
    }
    out
}

/// One entry of the error queue, or `None` when it is empty.
fn recv_error(fd: &OwnedFd) -> Option<QueuedError> {
    let mut data = [0u8; 2048];
    // u64s: aligned for cmsghdr.
    let mut control = [0u64; 64];
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    // SAFETY: msghdr is plain old data; all zeroes is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: `msg` points to buffers valid for their lengths.
    let n = unsafe {
        libc::recvmsg(
            fd.as_raw_fd(),
            &raw mut msg,
            libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT,
        )
    };
    if n < 0 {
        return None;
    }
    // SAFETY: `msg` was filled by recvmsg(); the CMSG_* macros stay within
    // msg_controllen, and IP_RECVERR data is a sock_extended_err followed
    // by the offender's sockaddr_in (the kernel's layout).
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&raw const msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_IP && (*c).cmsg_type == libc::IP_RECVERR {
                let ee = libc::CMSG_DATA(c).cast::<libc::sock_extended_err>();
                let e = std::ptr::read_unaligned(ee);
                let off = libc::SO_EE_OFFENDER(ee).cast::<libc::sockaddr_in>();
                let off = std::ptr::read_unaligned(off);
                let offender = (i32::from(off.sin_family) == libc::AF_INET)
                    .then(|| Ipv4Addr::from(u32::from_be(off.sin_addr.s_addr)));
                return Some(QueuedError {
                    errno: e.ee_errno,
                    origin: e.ee_origin,
                    icmp_type: e.ee_type,
                    icmp_code: e.ee_code,
                    info: e.ee_info,
                    offender,
                });
            }
            c = libc::CMSG_NXTHDR(&raw const msg, c);
        }
    }
    // A queued entry without IP_RECVERR data: report it rather than lose it.
    Some(QueuedError::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn flow() -> Flow {
        Flow::parse("10.0.0.1:5300,10.0.0.2:5400").unwrap()
    }

    #[test]
    fn parses_flows() {
        let f = flow();
        assert_eq!(f.local, "10.0.0.1:5300".parse().unwrap());
        assert_eq!(f.peer, "10.0.0.2:5400".parse().unwrap());
        assert!(Flow::parse("10.0.0.1:5300").is_err());
        assert!(Flow::parse("10.0.0.1,10.0.0.2:5400").is_err());
        assert!(Flow::parse("10.0.0.1:5300,[::1]:5400").is_err());
    }

    #[test]
    fn ipv4_header_checksum() {
        // The classic example (Wikipedia, "Internet checksum"): 4500 0073
        // 0000 4000 4011 b861 c0a8 0001 c0a8 00c7.
        let h = ipv4_header(
            Ipv4Addr::new(192, 168, 0, 1),
            Ipv4Addr::new(192, 168, 0, 199),
            17,
            0x73,
            0,
            IP_DF,
        );
        assert_eq!(&h[10..12], &[0xb8, 0x61]);
        // Summing the header again, checksum included, gives zero.
        assert_eq!(checksum(&h), 0);
    }

    #[test]
    fn quotes_the_flow() {
        let q = quote(flow(), 1500);
        assert_eq!(q.len(), 28);
        assert_eq!(q[0], 0x45);
        assert_eq!(&q[2..4], &1500u16.to_be_bytes());
        assert_eq!(&q[6..8], &[0x40, 0]);
        assert_eq!(q[9], 17);
        assert_eq!(&q[12..16], &[10, 0, 0, 1]);
        assert_eq!(&q[16..20], &[10, 0, 0, 2]);
        assert_eq!(checksum(&q[..20]), 0);
        // UDP: ports 5300 -> 5400, length 1480.
        assert_eq!(&q[20..28], &[0x14, 0xb4, 0x15, 0x18, 0x05, 0xc8, 0, 0]);
    }

    #[test]
    fn frag_needed() {
        let m = icmp_unreach(Kind::Frag(1280), &quote(flow(), 1500));
        assert_eq!(m.len(), 8 + 28);
        assert_eq!((m[0], m[1]), (3, 4));
        assert_eq!(&m[4..8], &[0, 0, 0x05, 0x00]);
        assert_eq!(checksum(&m), 0);
        assert_eq!(&m[8..], &quote(flow(), 1500)[..]);
    }

    #[test]
    fn port_unreachable() {
        let m = icmp_unreach(Kind::Port, &quote(flow(), 100));
        assert_eq!((m[0], m[1]), (3, 3));
        assert_eq!(&m[4..8], &[0, 0, 0, 0]);
        assert_eq!(checksum(&m), 0);
    }

    #[test]
    fn parses_contexts() {
        let (f, c) = flow_and_contexts(&args("--flow 10.0.0.1:5300,10.0.0.2:5400 1 2 0")).unwrap();
        assert_eq!((f, c), (flow(), vec![1, 2, 0]));
        assert!(flow_and_contexts(&args("--flow 10.0.0.1:5300,10.0.0.2:5400")).is_err());
        assert!(flow_and_contexts(&args("--flow 10.0.0.1:5300,10.0.0.2:5400 red")).is_err());
        assert!(flow_and_contexts(&args("1 2")).is_err());
    }

    #[test]
    fn parses_send() {
        let (to, m) = parse_send(&args(
            "--to 10.0.0.1 --kind frag --mtu 1400 --flow 10.0.0.1:1,10.0.0.2:2",
        ))
        .unwrap();
        assert_eq!(to, Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!((m[1], &m[6..8]), (4, &1400u16.to_be_bytes()[..]));
        let (_, m) = parse_send(&args(
            "--to 10.0.0.1 --kind port --flow 10.0.0.1:1,10.0.0.2:2",
        ))
        .unwrap();
        assert_eq!(m[1], 3);
        for bad in [
            "--kind port --flow 10.0.0.1:1,10.0.0.2:2",
            "--to 10.0.0.1 --flow 10.0.0.1:1,10.0.0.2:2",
            "--to 10.0.0.1 --kind redirect --flow 10.0.0.1:1,10.0.0.2:2",
            "--to 10.0.0.1 --kind frag --mtu 70000 --flow 10.0.0.1:1,10.0.0.2:2",
            "--to 10.0.0.1 --kind port --len 20 --flow 10.0.0.1:1,10.0.0.2:2",
            "--to 10.0.0.1 --kind port",
            "--to 10.0.0.1 --kind port --flow 10.0.0.1:1,10.0.0.2:2 extra",
        ] {
            assert!(parse_send(&args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn renders_errors() {
        assert_eq!(render(&[]), "-");
        let e = QueuedError {
            errno: libc::EMSGSIZE as u32,
            origin: libc::SO_EE_ORIGIN_ICMP,
            icmp_type: 3,
            icmp_code: 4,
            info: 1280,
            offender: Some(Ipv4Addr::new(10, 0, 0, 2)),
        };
        let local = QueuedError {
            errno: libc::EMSGSIZE as u32,
            origin: libc::SO_EE_ORIGIN_LOCAL,
            icmp_type: 0,
            icmp_code: 0,
            info: 1280,
            offender: None,
        };
        assert_eq!(
            render(&[e, local]),
            "EMSGSIZE(icmp 3/4 info 1280 from 10.0.0.2); EMSGSIZE(local 0/0 info 1280)"
        );
    }

    #[test]
    fn holder_commands() {
        // No sockets: only the command parsing answers.
        assert_eq!(command(&[], &["state"]), Vec::<String>::new());
        assert_eq!(
            command(&[], &["wait", "1", "x"])[0],
            "error: wait CTX SECONDS, not '1 x'"
        );
        assert_eq!(
            command(&[], &["wait", "1", "1"])[0],
            "error: no socket in context 1"
        );
        assert_eq!(command(&[], &["frob"])[0], "error: unknown command 'frob'");
    }
}
