// SPDX-License-Identifier: GPL-2.0-only
//! `vrctx-probe seal ...`: the socket operations of the "seal" tests
//! (qemu-tests/tests/60-63), which check that nothing leaves a context.
//!
//! Every command prints one line, `ok` (plus values) or the errno's symbolic
//! name followed by the step that failed in parentheses (`EADDRNOTAVAIL
//! (bind)`), and exits 0 on `ok`, 1 otherwise, so scripts compare one word.
//!
//! ```text
//! seal socket inet|inet6 tcp|udp|raw|ping      # create a socket
//! seal bind ADDR [PORT] [tcp|udp|raw|ping]     # bind a socket (v4 or v6 ADDR)
//! seal connect ADDR PORT [--timeout S] [--send TEXT]
//!                                              # TCP connect; with --send, write
//!                                              # TEXT, print `ok REPLY`
//! seal udpsend DST PORT [--bind A] [--spec-dst A] [--ifindex N] [--dev IF]
//!                [--freebind yes]
//!                                              # sendmsg, IP_PKTINFO if asked
//! seal igmp GROUP --dev IF [--via bind|mcif] [--hdr kernel|plain|proto]
//!                                              # raw IGMP report (see cmd_igmp)
//! seal join GROUP --dev IF --secs S            # join GROUP on IF, hold S s
//! seal probe DST (--name IF | --index N) [--timeout S]
//!                                              # ICMP extended echo (RFC 8335):
//!                                              # `code C state S` or ETIMEDOUT
//! seal accept6 PORT --secs S                   # [::] listener: `listening`,
//!                                              # `from ADDR` per connection
//! seal mkctx FROM COUNT                        # create contexts FROM.. (one
//!                                              # netlink socket per request)
//! seal many N --secs S [--family inet|inet6] [--bound yes|no] [--ctx CTX]
//!                                              # N UDP sockets, held S s
//! seal hold --peer ADDR --local ADDR           # sockets of every kind, driven
//!                                              # by commands on stdin (see hold)
//! ```

use std::io::{BufRead, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::errno;
use crate::genl;

/// A failure: the errno and the step it came from.
struct Failure(i32, &'static str);

type Res<T> = Result<T, Failure>;

/// The symbolic name of an errno, including those only these tests expect.
fn ename(e: i32) -> String {
    let n = match e {
        libc::ECONNABORTED => "ECONNABORTED",
        libc::EADDRNOTAVAIL => "EADDRNOTAVAIL",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::EAGAIN => "EAGAIN",
        libc::ENOTCONN => "ENOTCONN",
        libc::EPIPE => "EPIPE",
        libc::ECONNRESET => "ECONNRESET",
        libc::EHOSTUNREACH => "EHOSTUNREACH",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        libc::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        libc::EDESTADDRREQ => "EDESTADDRREQ",
        libc::EISCONN => "EISCONN",
        libc::EBADF => "EBADF",
        libc::ENOBUFS => "ENOBUFS",
        _ => return errno::name(e),
    };
    n.to_string()
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn io_errno(e: &std::io::Error) -> i32 {
    match e.raw_os_error() {
        Some(n) => n,
        None if e.kind() == std::io::ErrorKind::TimedOut => libc::ETIMEDOUT,
        None => libc::EINVAL,
    }
}

fn sys(rc: isize, step: &'static str) -> Res<usize> {
    if rc < 0 {
        Err(Failure(last_errno(), step))
    } else {
        Ok(rc as usize)
    }
}

fn outcome(r: Res<String>) -> ExitCode {
    match r {
        Ok(s) if s.is_empty() => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Ok(s) => {
            println!("ok {s}");
            ExitCode::SUCCESS
        }
        Err(Failure(e, step)) => {
            println!("{} ({step})", ename(e));
            ExitCode::FAILURE
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("vrctx-probe seal: {msg}");
    ExitCode::from(2)
}

/// A socket address in the kernel's layout.
struct SockAddr {
    storage: libc::sockaddr_storage,
    len: libc::socklen_t,
}

impl SockAddr {
    fn new(a: SocketAddr) -> Self {
        // SAFETY: sockaddr_storage is plain data; all zeroes is valid.
        let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let len = match a {
            SocketAddr::V4(v4) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: v4.port().to_be(),
                    sin_addr: libc::in_addr {
                        s_addr: u32::from(*v4.ip()).to_be(),
                    },
                    sin_zero: [0; 8],
                };
                // SAFETY: sockaddr_storage is larger than sockaddr_in and
                // suitably aligned for it.
                unsafe { std::ptr::write((&raw mut storage).cast(), sin) };
                std::mem::size_of::<libc::sockaddr_in>()
            }
            SocketAddr::V6(v6) => {
                let sin6 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: v6.port().to_be(),
                    sin6_flowinfo: 0,
                    sin6_addr: libc::in6_addr {
                        s6_addr: v6.ip().octets(),
                    },
                    sin6_scope_id: v6.scope_id(),
                };
                // SAFETY: as above, for sockaddr_in6.
                unsafe { std::ptr::write((&raw mut storage).cast(), sin6) };
                std::mem::size_of::<libc::sockaddr_in6>()
            }
        };
        Self {
            storage,
            len: len as libc::socklen_t,
        }
    }

    fn ptr(&self) -> *const libc::sockaddr {
        (&raw const self.storage).cast()
    }
}

fn socket(family: i32, ty: i32, proto: i32) -> Res<OwnedFd> {
    // SAFETY: Plain system call with integer arguments.
    let fd = unsafe { libc::socket(family, ty | libc::SOCK_CLOEXEC, proto) };
    if fd < 0 {
        return Err(Failure(last_errno(), "socket"));
    }
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn setopt<T>(fd: RawFd, level: i32, name: i32, v: &T, step: &'static str) -> Res<()> {
    // SAFETY: `v` points to a valid T of the size passed.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (v as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    sys(rc as isize, step).map(|_| ())
}

fn bind(fd: RawFd, a: SocketAddr) -> Res<()> {
    let sa = SockAddr::new(a);
    // SAFETY: `sa` holds a valid address of `sa.len` bytes.
    sys(unsafe { libc::bind(fd, sa.ptr(), sa.len) } as isize, "bind").map(|_| ())
}

fn connect(fd: RawFd, a: SocketAddr) -> Res<()> {
    let sa = SockAddr::new(a);
    // SAFETY: `sa` holds a valid address of `sa.len` bytes.
    sys(
        unsafe { libc::connect(fd, sa.ptr(), sa.len) } as isize,
        "connect",
    )
    .map(|_| ())
}

fn sendto(fd: RawFd, buf: &[u8], to: Option<SocketAddr>, step: &'static str) -> Res<usize> {
    let rc = match to {
        Some(a) => {
            let sa = SockAddr::new(a);
            // SAFETY: `buf` and `sa` are valid for the lengths passed.
            unsafe {
                libc::sendto(
                    fd,
                    buf.as_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT,
                    sa.ptr(),
                    sa.len,
                )
            }
        }
        // SAFETY: `buf` is valid for its length.
        None => unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) },
    };
    sys(rc, step)
}

fn recv(fd: RawFd, buf: &mut [u8], flags: i32, step: &'static str) -> Res<usize> {
    // SAFETY: `buf` is valid for writes of its length.
    sys(
        unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), flags) },
        step,
    )
}

fn get_vrctx(fd: RawFd) -> Res<u32> {
    let mut v = 0u32;
    let mut len = 4 as libc::socklen_t;
    // SAFETY: `v` has room for `len` bytes.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_IP,
            vrctx_uapi::IP_VRCTX,
            (&raw mut v).cast(),
            &mut len,
        )
    };
    sys(rc as isize, "getsockopt").map(|_| v)
}

fn ifindex(name: &str) -> Res<u32> {
    let c = std::ffi::CString::new(name).map_err(|_| Failure(libc::EINVAL, "ifname"))?;
    // SAFETY: `c` is a valid NUL-terminated string.
    match unsafe { libc::if_nametoindex(c.as_ptr()) } {
        0 => Err(Failure(libc::ENODEV, "if_nametoindex")),
        n => Ok(n),
    }
}

fn bind_to_device(fd: RawFd, name: &str) -> Res<()> {
    // SAFETY: `name` is valid for its length.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            name.as_ptr().cast(),
            name.len() as libc::socklen_t,
        )
    };
    sys(rc as isize, "SO_BINDTODEVICE").map(|_| ())
}

fn ip(s: &str) -> Result<IpAddr, String> {
    s.parse().map_err(|e| format!("address '{s}': {e}"))
}

fn v4(s: &str) -> Result<Ipv4Addr, String> {
    s.parse().map_err(|e| format!("IPv4 address '{s}': {e}"))
}

fn num<T: std::str::FromStr>(s: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| format!("'{s}': {e}"))
}

/// Options `--name value` and positional arguments.
struct Opts {
    pos: Vec<String>,
    named: Vec<(String, String)>,
}

impl Opts {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut pos = Vec::new();
        let mut named = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if let Some(n) = a.strip_prefix("--") {
                let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
                named.push((n.to_string(), v.clone()));
            } else {
                pos.push(a.clone());
            }
        }
        Ok(Self { pos, named })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.named
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn pos(&self, i: usize, what: &str) -> Result<&str, String> {
        self.pos
            .get(i)
            .map(String::as_str)
            .ok_or_else(|| format!("missing {what}"))
    }

    fn secs(&self, name: &str, default: f64) -> Result<Duration, String> {
        match self.get(name) {
            Some(v) => Ok(Duration::from_secs_f64(num(v)?)),
            None => Ok(Duration::from_secs_f64(default)),
        }
    }
}

/// (type, protocol) of a socket kind for `family`.
fn kind(family: i32, k: &str) -> Result<(i32, i32), String> {
    let icmp = if family == libc::AF_INET6 {
        libc::IPPROTO_ICMPV6
    } else {
        libc::IPPROTO_ICMP
    };
    match k {
        "tcp" => Ok((libc::SOCK_STREAM, 0)),
        "udp" => Ok((libc::SOCK_DGRAM, 0)),
        "raw" => Ok((libc::SOCK_RAW, libc::IPPROTO_UDP)),
        "ping" => Ok((libc::SOCK_DGRAM, icmp)),
        o => Err(format!("unknown socket kind '{o}' (tcp, udp, raw, ping)")),
    }
}

fn family_of(a: IpAddr) -> i32 {
    match a {
        IpAddr::V4(_) => libc::AF_INET,
        IpAddr::V6(_) => libc::AF_INET6,
    }
}

fn cmd_socket(o: &Opts) -> Result<Res<String>, String> {
    let family = match o.pos(0, "family (inet, inet6)")? {
        "inet" => libc::AF_INET,
        "inet6" => libc::AF_INET6,
        f => return Err(format!("unknown family '{f}'")),
    };
    let (ty, proto) = kind(family, o.pos.get(1).map_or("tcp", String::as_str))?;
    Ok(socket(family, ty, proto).map(|_| String::new()))
}

fn cmd_bind(o: &Opts) -> Result<Res<String>, String> {
    let a = ip(o.pos(0, "address")?)?;
    let port: u16 = o.pos.get(1).map_or(Ok(0), |p| num(p))?;
    let (ty, proto) = kind(family_of(a), o.pos.get(2).map_or("tcp", String::as_str))?;
    Ok((|| {
        let s = socket(family_of(a), ty, proto)?;
        bind(s.as_raw_fd(), SocketAddr::new(a, port))?;
        Ok(String::new())
    })())
}

fn cmd_connect(o: &Opts) -> Result<Res<String>, String> {
    let a = SocketAddr::new(ip(o.pos(0, "address")?)?, num(o.pos(1, "port")?)?);
    let timeout = o.secs("timeout", 5.0)?;
    let send = o.get("send").map(str::to_string);
    Ok((|| {
        let mut s = TcpStream::connect_timeout(&a, timeout)
            .map_err(|e| Failure(io_errno(&e), "connect"))?;
        let Some(text) = send else {
            return Ok(String::new());
        };
        let _ = s.set_read_timeout(Some(timeout));
        s.write_all(text.as_bytes())
            .map_err(|e| Failure(io_errno(&e), "write"))?;
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut reply = String::new();
        s.read_to_string(&mut reply)
            .map_err(|e| Failure(io_errno(&e), "read"))?;
        Ok(reply.trim().to_string())
    })())
}

/// UDP send, optionally from a bound address or with IP_PKTINFO.
fn cmd_udpsend(o: &Opts) -> Result<Res<String>, String> {
    let dst = SocketAddr::new(
        IpAddr::V4(v4(o.pos(0, "destination")?)?),
        num(o.pos(1, "port")?)?,
    );
    let bind_to = o.get("bind").map(v4).transpose()?;
    let spec_dst = o.get("spec-dst").map(v4).transpose()?;
    let index: i32 = o.get("ifindex").map_or(Ok(0), num)?;
    let dev = o.get("dev").map(str::to_string);
    let freebind = o.get("freebind") == Some("yes");
    Ok((|| {
        let s = socket(libc::AF_INET, libc::SOCK_DGRAM, 0)?;
        let fd = s.as_raw_fd();
        if let Some(d) = &dev {
            bind_to_device(fd, d)?;
        }
        if freebind {
            setopt(fd, libc::SOL_IP, libc::IP_FREEBIND, &1i32, "IP_FREEBIND")?;
        }
        if let Some(b) = bind_to {
            bind(fd, SocketAddr::new(IpAddr::V4(b), 0))?;
        }
        let payload = b"vrctx-seal-udp";
        if spec_dst.is_none() && index == 0 {
            sendto(fd, payload, Some(dst), "sendto")?;
            return Ok(String::new());
        }
        let info = libc::in_pktinfo {
            ipi_ifindex: index,
            ipi_spec_dst: libc::in_addr {
                s_addr: u32::from(spec_dst.unwrap_or(Ipv4Addr::UNSPECIFIED)).to_be(),
            },
            ipi_addr: libc::in_addr { s_addr: 0 },
        };
        // SAFETY: in_pktinfo is plain data: viewing it as bytes is sound.
        let bytes = unsafe {
            std::slice::from_raw_parts(
                (&raw const info).cast::<u8>(),
                std::mem::size_of::<libc::in_pktinfo>(),
            )
        };
        send_cmsg(fd, payload, dst, libc::IP_PKTINFO, bytes)?;
        Ok(String::new())
    })())
}

/// sendmsg() of `buf` to `dst` with one SOL_IP control message.
fn send_cmsg(fd: RawFd, buf: &[u8], dst: SocketAddr, ty: i32, data: &[u8]) -> Res<usize> {
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(data.len() as u32) } as usize;
    let mut cbuf = vec![0u64; space.div_ceil(8)];
    let sa = SockAddr::new(dst);
    let mut iov = libc::iovec {
        iov_base: buf.as_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: msghdr is plain data; all zeroes is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = sa.ptr() as *mut libc::c_void;
    msg.msg_namelen = sa.len;
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: `msg` describes `cbuf`, which has room for one control
    // message carrying `data` (CMSG_SPACE above).
    unsafe {
        let c = libc::CMSG_FIRSTHDR(&raw const msg);
        (*c).cmsg_level = libc::SOL_IP;
        (*c).cmsg_type = ty;
        (*c).cmsg_len = libc::CMSG_LEN(data.len() as u32) as _;
        std::ptr::copy_nonoverlapping(data.as_ptr(), libc::CMSG_DATA(c), data.len());
    }
    // SAFETY: every pointer in `msg` is valid for the call.
    sys(unsafe { libc::sendmsg(fd, &raw const msg, 0) }, "sendmsg")
}

/// `IP_PROTOCOL` (linux/in.h): the protocol of a raw IP_HDRINCL send.
const IP_PROTOCOL: i32 = 52;

/// The Internet checksum of `data`.
fn csum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Sends an IGMPv2 membership report for GROUP from a raw IPPROTO_IGMP
/// socket out of an interface chosen with SO_BINDTODEVICE or
/// IP_MULTICAST_IF. `--hdr` picks who writes the IP header: `kernel` (no
/// IP_HDRINCL), `plain` (IP_HDRINCL) or `proto` (IP_HDRINCL plus an
/// IP_PROTOCOL control message saying IGMP, so the route lookup sees IGMP).
fn cmd_igmp(o: &Opts) -> Result<Res<String>, String> {
    let group = v4(o.pos(0, "group")?)?;
    let dev = o.get("dev").ok_or("--dev is needed")?.to_string();
    let via = o.get("via").unwrap_or("bind").to_string();
    if via != "bind" && via != "mcif" {
        return Err(format!("--via {via}: bind or mcif"));
    }
    let hdr = o.get("hdr").unwrap_or("proto").to_string();
    if !["kernel", "plain", "proto"].contains(&hdr.as_str()) {
        return Err(format!("--hdr {hdr}: kernel, plain or proto"));
    }
    Ok((|| {
        let s = socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_IGMP)?;
        let fd = s.as_raw_fd();
        if hdr != "kernel" {
            setopt(fd, libc::SOL_IP, libc::IP_HDRINCL, &1i32, "IP_HDRINCL")?;
        }
        if via == "bind" {
            bind_to_device(fd, &dev)?;
        } else {
            let mreq = libc::ip_mreqn {
                imr_multiaddr: libc::in_addr { s_addr: 0 },
                imr_address: libc::in_addr { s_addr: 0 },
                imr_ifindex: ifindex(&dev)? as i32,
            };
            setopt(
                fd,
                libc::SOL_IP,
                libc::IP_MULTICAST_IF,
                &mreq,
                "IP_MULTICAST_IF",
            )?;
        }
        let mut igmp = [0x16u8, 0, 0, 0, 0, 0, 0, 0];
        igmp[4..].copy_from_slice(&group.octets());
        let c = csum(&igmp);
        igmp[2..4].copy_from_slice(&c.to_be_bytes());
        let mut pkt = vec![
            0x45u8,
            0xc0,
            0,
            28,
            0,
            0,
            0x40,
            0,
            1,
            libc::IPPROTO_IGMP as u8,
        ];
        pkt.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // checksum, source (kernel fills)
        pkt.extend_from_slice(&group.octets());
        pkt.extend_from_slice(&igmp);
        let to = SocketAddr::new(IpAddr::V4(group), 0);
        match hdr.as_str() {
            "kernel" => sendto(fd, &igmp, Some(to), "sendto")?,
            "plain" => sendto(fd, &pkt, Some(to), "sendto")?,
            _ => send_cmsg(fd, &pkt, to, IP_PROTOCOL, &libc::IPPROTO_IGMP.to_ne_bytes())?,
        };
        Ok(String::new())
    })())
}

/// Joins GROUP on an interface and holds the membership.
fn cmd_join(o: &Opts) -> Result<Res<String>, String> {
    let group = v4(o.pos(0, "group")?)?;
    let dev = o.get("dev").ok_or("--dev is needed")?.to_string();
    let secs = o.secs("secs", 10.0)?;
    Ok((|| {
        let s = socket(libc::AF_INET, libc::SOCK_DGRAM, 0)?;
        let mreq = libc::ip_mreqn {
            imr_multiaddr: libc::in_addr {
                s_addr: u32::from(group).to_be(),
            },
            imr_address: libc::in_addr { s_addr: 0 },
            imr_ifindex: ifindex(&dev)? as i32,
        };
        setopt(
            s.as_raw_fd(),
            libc::SOL_IP,
            libc::IP_ADD_MEMBERSHIP,
            &mreq,
            "IP_ADD_MEMBERSHIP",
        )?;
        println!("joined");
        let _ = std::io::stdout().flush();
        std::thread::sleep(secs);
        Ok(String::new())
    })())
}

/// ICMP extended echo request (RFC 8335) naming an interface by name or
/// index; prints the reply's code and state bits.
fn cmd_probe(o: &Opts) -> Result<Res<String>, String> {
    let dst = v4(o.pos(0, "destination")?)?;
    let (ctype, ident): (u8, Vec<u8>) = match (o.get("name"), o.get("index")) {
        (Some(n), None) => (1, n.as_bytes().to_vec()),
        (None, Some(i)) => (2, num::<u32>(i)?.to_be_bytes().to_vec()),
        _ => return Err("one of --name IF, --index N".into()),
    };
    let timeout = o.secs("timeout", 3.0)?;
    let id = (std::process::id() & 0xffff) as u16;
    Ok((|| {
        let s = socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_ICMP)?;
        let fd = s.as_raw_fd();
        // type 42, code 0, checksum, identifier, sequence 1 with the L bit.
        let mut pkt = vec![42u8, 0, 0, 0];
        pkt.extend_from_slice(&id.to_be_bytes());
        pkt.extend_from_slice(&[1, 1]);
        // Extension header: version 2, checksum over the extension.
        let mut ext = vec![0x20u8, 0, 0, 0];
        ext.extend_from_slice(&((4 + ident.len()) as u16).to_be_bytes());
        ext.extend_from_slice(&[3, ctype]);
        ext.extend_from_slice(&ident);
        ext.resize(ext.len().div_ceil(4) * 4, 0);
        let c = csum(&ext);
        ext[2..4].copy_from_slice(&c.to_be_bytes());
        pkt.extend_from_slice(&ext);
        let c = csum(&pkt);
        pkt[2..4].copy_from_slice(&c.to_be_bytes());
        sendto(
            fd,
            &pkt,
            Some(SocketAddr::new(IpAddr::V4(dst), 0)),
            "sendto",
        )?;
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 1500];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Failure(libc::ETIMEDOUT, "recv"));
            }
            let tv = libc::timeval {
                tv_sec: left.as_secs() as libc::time_t,
                tv_usec: left.subsec_micros().max(1) as libc::suseconds_t,
            };
            setopt(fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &tv, "SO_RCVTIMEO")?;
            let n = match recv(fd, &mut buf, 0, "recv") {
                Ok(n) => n,
                Err(Failure(e, _)) if e == libc::EAGAIN || e == libc::EINTR => continue,
                Err(f) => return Err(f),
            };
            let ihl = usize::from(buf[0] & 0xf) * 4;
            if n < ihl + 8 || buf[ihl] != 43 || buf[ihl + 4..ihl + 6] != id.to_be_bytes() {
                continue;
            }
            return Ok(format!("code {} state {}", buf[ihl + 1], buf[ihl + 7]));
        }
    })())
}

/// A `[::]` TCP listener: prints `listening`, then `from ADDR` for each
/// connection accepted within the time given, then `done`.
fn cmd_accept6(o: &Opts) -> Result<Res<String>, String> {
    let port: u16 = num(o.pos(0, "port")?)?;
    let secs = o.secs("secs", 10.0)?;
    Ok((|| {
        let l =
            std::net::TcpListener::bind(("::", port)).map_err(|e| Failure(io_errno(&e), "bind"))?;
        l.set_nonblocking(true)
            .map_err(|e| Failure(io_errno(&e), "nonblocking"))?;
        println!("listening");
        let _ = std::io::stdout().flush();
        let deadline = Instant::now() + secs;
        while Instant::now() < deadline {
            match l.accept() {
                Ok((mut c, peer)) => {
                    println!("from {}", peer.ip());
                    let _ = std::io::stdout().flush();
                    let _ = c.write_all(b"accept6\n");
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(Failure(io_errno(&e), "accept")),
            }
        }
        Ok("done".to_string())
    })())
}

/// Creates COUNT contexts with ids FROM.., one request per context.
fn cmd_mkctx(o: &Opts) -> Result<Res<String>, String> {
    let from: u32 = num(o.pos(0, "first id")?)?;
    let count: u32 = num(o.pos(1, "count")?)?;
    Ok((|| {
        for id in from..from + count {
            let a = genl::Attr {
                kind: vrctx_uapi::VrctxAttr::Id as u16,
                payload: id.to_ne_bytes().to_vec(),
            };
            let (out, _) = genl::request(
                vrctx_uapi::VRCTX_GENL_NAME,
                vrctx_uapi::VrctxCmd::New as u8,
                &[a],
                false,
            )
            .map_err(|e| Failure(io_errno(&e), "netlink"))?;
            if out.errno != 0 {
                eprintln!("vrctx-probe seal: create {id}: {:?}", out.msg);
                return Err(Failure(out.errno, "create"));
            }
        }
        Ok(String::new())
    })())
}

/// Opens N UDP sockets (the descriptor limit raised to its maximum), moved
/// to context CTX with IP_VRCTX if asked, bound to the loopback address
/// (hashed) unless `--bound no`; prints `open` and holds them S seconds.
fn cmd_many(o: &Opts) -> Result<Res<String>, String> {
    let n: usize = num(o.pos(0, "count")?)?;
    let secs = o.secs("secs", 10.0)?;
    let family = match o.get("family").unwrap_or("inet") {
        "inet" => libc::AF_INET,
        "inet6" => libc::AF_INET6,
        f => return Err(format!("--family {f}: inet or inet6")),
    };
    let bound = match o.get("bound").unwrap_or("yes") {
        "yes" => true,
        "no" => false,
        b => return Err(format!("--bound {b}: yes or no")),
    };
    let ctx: Option<u32> = o.get("ctx").map(num).transpose()?;
    let local = if family == libc::AF_INET6 {
        IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    };
    Ok((|| {
        let mut rl = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `rl` is a valid rlimit to fill.
        sys(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) } as isize,
            "getrlimit",
        )?;
        rl.rlim_cur = rl.rlim_max;
        // SAFETY: `rl` is a valid rlimit.
        sys(
            unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) } as isize,
            "setrlimit",
        )?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let s = socket(family, libc::SOCK_DGRAM, 0)?;
            if let Some(c) = ctx {
                setopt(
                    s.as_raw_fd(),
                    libc::SOL_IP,
                    vrctx_uapi::IP_VRCTX,
                    &c,
                    "IP_VRCTX",
                )?;
            }
            if bound {
                bind(s.as_raw_fd(), SocketAddr::new(local, 0))?;
            }
            v.push(s);
        }
        println!("open");
        let _ = std::io::stdout().flush();
        std::thread::sleep(secs);
        Ok(String::new())
    })())
}

/// One socket held by `hold`.
struct Held {
    name: &'static str,
    fd: OwnedFd,
    peer: Option<SocketAddr>,
    payload: Vec<u8>,
}

/// What a thread blocked in accept or recv came back with.
struct Pending {
    name: &'static str,
    op: &'static str,
    fd: RawFd,
    rx: mpsc::Receiver<Res<usize>>,
    thread: std::thread::JoinHandle<()>,
}

fn block_in(name: &'static str, op: &'static str, fd: RawFd) -> Pending {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let r = if op == "accept" {
            // SAFETY: null address pointers are allowed.
            let rc = unsafe { libc::accept(fd, std::ptr::null_mut(), std::ptr::null_mut()) };
            if rc >= 0 {
                // SAFETY: `rc` is a new descriptor owned by nobody else.
                drop(unsafe { OwnedFd::from_raw_fd(rc) });
            }
            sys(rc as isize, "accept")
        } else {
            let mut buf = [0u8; 256];
            recv(fd, &mut buf, 0, "recv")
        };
        let _ = tx.send(r);
    });
    Pending {
        name,
        op,
        fd,
        rx,
        thread,
    }
}

impl Pending {
    /// The blocked call's result, or `blocked` (then unblocked by shutdown).
    fn finish(self, deadline: Instant) -> String {
        let wait = deadline.saturating_duration_since(Instant::now());
        let r = match self.rx.recv_timeout(wait) {
            Ok(Ok(n)) => format!("ok {n}"),
            Ok(Err(Failure(e, _))) => ename(e),
            Err(_) => {
                // SAFETY: Plain system call; the descriptor is still open.
                unsafe { libc::shutdown(self.fd, libc::SHUT_RDWR) };
                "blocked".to_string()
            }
        };
        let _ = self.thread.join();
        format!("{} {}-pending {r}", self.name, self.op)
    }
}

fn res_word<T>(r: Res<T>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(Failure(e, _)) => ename(e),
    }
}

/// `ok CTX` or the errno of IP_VRCTX read on `fd`.
fn vrctx_word(fd: RawFd) -> String {
    match get_vrctx(fd) {
        Ok(v) => format!("ok {v}"),
        Err(Failure(e, _)) => ename(e),
    }
}

/// Opens one socket of each kind in the caller's context, connected or bound
/// where the kind allows, then obeys commands read from stdin, one a line,
/// answering each with lines ending in `done CMD`:
///
/// - `test`: the result of every blocked call (accept on the listener, recv
///   on the established and bound UDP sockets), then of a new operation on
///   each socket (sent twice: one pending error must not hide a working
///   socket), then IP_VRCTX read on each, then new AF_INET and AF_INET6
///   sockets (IP_VRCTX also on the never-bound ones): lines `NAME OP RESULT`;
/// - `leave`: switches this (single) thread to context 0;
/// - `close-unbound`: closes the sockets that were never bound;
/// - `recv MS`: `udp-bound recv nothing` or `udp-bound recv got N`, after
///   watching the bound UDP socket for MS milliseconds;
/// - `exit`.
///
/// Sockets: `listener` (TCP, LOCAL:7001), `established` (TCP to PEER:7002),
/// `bound` (TCP bound to LOCAL:7003), `udp-bound` (LOCAL:7004), `udp-conn`
/// (to PEER:7005), `raw` (IPPROTO_UDP), `ping` (ICMP datagram, bound to
/// LOCAL), `unbound` (TCP and UDP, never bound).
fn cmd_hold(o: &Opts) -> Result<ExitCode, String> {
    let peer = v4(o.get("peer").ok_or("--peer is needed")?)?;
    let local = v4(o.get("local").ok_or("--local is needed")?)?;
    let at = |a: Ipv4Addr, p: u16| SocketAddr::new(IpAddr::V4(a), p);
    let mut ping = vec![8u8, 0, 0, 0, 0, 0, 0, 1];
    ping.extend_from_slice(b"vrctx-seal");
    let setup = || -> Res<(Vec<Held>, Vec<OwnedFd>)> {
        let tcp = || socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        let udp = || socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
        let listener = tcp()?;
        setopt(
            listener.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            &1i32,
            "SO_REUSEADDR",
        )?;
        bind(listener.as_raw_fd(), at(local, 7001))?;
        // SAFETY: Plain system call on our descriptor.
        sys(
            unsafe { libc::listen(listener.as_raw_fd(), 4) } as isize,
            "listen",
        )?;
        let est = tcp()?;
        connect(est.as_raw_fd(), at(peer, 7002))?;
        let bound = tcp()?;
        bind(bound.as_raw_fd(), at(local, 7003))?;
        let ub = udp()?;
        bind(ub.as_raw_fd(), at(local, 7004))?;
        let uc = udp()?;
        connect(uc.as_raw_fd(), at(peer, 7005))?;
        sendto(uc.as_raw_fd(), b"before", None, "udp-conn send")?;
        let raw = socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_UDP)?;
        let udph = [0x1bu8, 0x5e, 0x1b, 0x5f, 0, 8, 0, 0];
        sendto(raw.as_raw_fd(), &udph, Some(at(peer, 0)), "raw send")?;
        let pg = socket(libc::AF_INET, libc::SOCK_DGRAM, libc::IPPROTO_ICMP)?;
        bind(pg.as_raw_fd(), at(local, 0))?;
        sendto(pg.as_raw_fd(), &ping, Some(at(peer, 0)), "ping send")?;
        let unbound = vec![tcp()?, udp()?];
        let h = |name, fd, peer, payload: &[u8]| Held {
            name,
            fd,
            peer,
            payload: payload.to_vec(),
        };
        Ok((
            vec![
                h("listener", listener, None, b""),
                h("established", est, None, b"after"),
                h("bound", bound, Some(at(peer, 7002)), b""),
                h("udp-bound", ub, Some(at(peer, 7004)), b"after"),
                h("udp-conn", uc, None, b"after"),
                h("raw", raw, Some(at(peer, 0)), &udph),
                h("ping", pg, Some(at(peer, 0)), &ping),
            ],
            unbound,
        ))
    };
    let (held, mut unbound) = match setup() {
        Ok(x) => x,
        Err(Failure(e, step)) => {
            println!("setup {} ({step})", ename(e));
            return Ok(ExitCode::FAILURE);
        }
    };
    let fd_of = |n: &str| held.iter().find(|h| h.name == n).map(|h| h.fd.as_raw_fd());
    let mut pending = vec![
        block_in("listener", "accept", fd_of("listener").unwrap_or(-1)),
        block_in("established", "recv", fd_of("established").unwrap_or(-1)),
        block_in("udp-bound", "recv", fd_of("udp-bound").unwrap_or(-1)),
    ];
    println!("ready");
    let _ = std::io::stdout().flush();
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["test"] => {
                let deadline = Instant::now() + Duration::from_secs(3);
                for p in pending.drain(..) {
                    println!("{}", p.finish(deadline));
                }
                for h in &held {
                    let fd = h.fd.as_raw_fd();
                    match h.name {
                        "listener" => {
                            // SAFETY: null address pointers are allowed.
                            let rc = unsafe {
                                libc::accept4(
                                    fd,
                                    std::ptr::null_mut(),
                                    std::ptr::null_mut(),
                                    libc::SOCK_NONBLOCK,
                                )
                            };
                            let r = sys(rc as isize, "accept");
                            if let Ok(n) = r {
                                // SAFETY: a new descriptor owned by nobody else.
                                drop(unsafe { OwnedFd::from_raw_fd(n as RawFd) });
                            }
                            println!("listener accept {}", res_word(r));
                            // SAFETY: Plain system call on our descriptor.
                            let rc = unsafe { libc::listen(fd, 4) };
                            println!("listener listen {}", res_word(sys(rc as isize, "listen")));
                        }
                        "bound" => {
                            // SAFETY: Plain system call on our descriptor.
                            let rc = unsafe { libc::listen(fd, 4) };
                            println!("bound listen {}", res_word(sys(rc as isize, "listen")));
                            if let Some(p) = h.peer {
                                println!("bound connect {}", res_word(connect(fd, p)));
                            }
                        }
                        _ => {
                            for op in ["send", "send-again"] {
                                let r = sendto(fd, &h.payload, h.peer, "send");
                                println!("{} {op} {}", h.name, res_word(r));
                            }
                        }
                    }
                    println!("{} getsockopt-IP_VRCTX {}", h.name, vrctx_word(fd));
                }
                for (s, n) in unbound.iter().zip(["unbound-tcp", "unbound-udp"]) {
                    println!("{n} getsockopt-IP_VRCTX {}", vrctx_word(s.as_raw_fd()));
                }
                for (f, n) in [(libc::AF_INET, "inet"), (libc::AF_INET6, "inet6")] {
                    let r = socket(f, libc::SOCK_STREAM, 0);
                    println!("new-socket {n} {}", res_word(r));
                }
            }
            ["leave"] => {
                let r = std::fs::write("/proc/thread-self/vrctx", "0\n");
                match r {
                    Ok(()) => println!("leave ok"),
                    Err(e) => println!("leave {}", ename(io_errno(&e))),
                }
            }
            ["close-unbound"] => {
                unbound.clear();
                println!("close-unbound ok");
            }
            ["recv", ms] => {
                let ms: u64 = num(ms)?;
                let fd = fd_of("udp-bound").unwrap_or(-1);
                let deadline = Instant::now() + Duration::from_millis(ms);
                let mut got = None;
                let mut buf = [0u8; 512];
                while got.is_none() && Instant::now() < deadline {
                    match recv(fd, &mut buf, libc::MSG_DONTWAIT, "recv") {
                        Ok(n) => got = Some(n),
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
                match got {
                    Some(n) => println!("udp-bound recv got {n}"),
                    None => println!("udp-bound recv nothing"),
                }
            }
            ["exit"] => {
                println!("done exit");
                return Ok(ExitCode::SUCCESS);
            }
            _ => println!("unknown command '{line}'"),
        }
        println!("done {line}");
        let _ = std::io::stdout().flush();
    }
    Ok(ExitCode::SUCCESS)
}

/// `vrctx-probe seal ARGS...`
pub(crate) fn main(args: &[String]) -> ExitCode {
    let Some(cmd) = args.first() else {
        return usage("needs a command (see the top of seal.rs)");
    };
    let o = match Opts::parse(&args[1..]) {
        Ok(o) => o,
        Err(e) => return usage(&e),
    };
    let r = match cmd.as_str() {
        "socket" => cmd_socket(&o),
        "bind" => cmd_bind(&o),
        "connect" => cmd_connect(&o),
        "udpsend" => cmd_udpsend(&o),
        "igmp" => cmd_igmp(&o),
        "join" => cmd_join(&o),
        "probe" => cmd_probe(&o),
        "accept6" => cmd_accept6(&o),
        "mkctx" => cmd_mkctx(&o),
        "many" => cmd_many(&o),
        "hold" => return cmd_hold(&o).unwrap_or_else(|e| usage(&e)),
        c => Err(format!("unknown command '{c}'")),
    };
    match r {
        Ok(r) => outcome(r),
        Err(e) => usage(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum() {
        // RFC 1071's example.
        let d = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(csum(&d), !0xddf2);
        let mut igmp = [0x16u8, 0, 0, 0, 239, 1, 2, 3];
        let c = csum(&igmp);
        igmp[2..4].copy_from_slice(&c.to_be_bytes());
        assert_eq!(csum(&igmp), 0);
    }

    #[test]
    fn options() {
        let a: Vec<String> = "10.0.0.1 80 --timeout 2 udp"
            .split(' ')
            .map(String::from)
            .collect();
        let o = Opts::parse(&a).unwrap();
        assert_eq!(o.pos, ["10.0.0.1", "80", "udp"]);
        assert_eq!(o.get("timeout"), Some("2"));
        assert_eq!(o.secs("timeout", 1.0).unwrap(), Duration::from_secs(2));
        assert!(Opts::parse(&["--x".to_string()]).is_err());
        assert!(kind(libc::AF_INET, "sctp").is_err());
    }
}
