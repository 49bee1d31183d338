// SPDX-License-Identifier: GPL-2.0-only
//! Binding per context: `bind`, `reuseport` and `ephemeral`.
//!
//! ```text
//! vrctx-probe bind [--type tcp|udp|ping] [--listen] CTX:ADDR:PORT...
//! vrctx-probe reuseport [--udp] --addr A --port P [--count N] [--listeners K] CTX:NETNS...
//! vrctx-probe ephemeral [--udp] --port P [--count N] CTX...
//! ```
//!
//! `bind` binds one socket per argument, in order, in context CTX, keeping
//! them all open, and prints one word per socket (`ok` or the errno's
//! name), e.g. `ok EADDRINUSE`; exits 0 if all were ok.
//!
//! `reuseport` opens K (default 2) SO_REUSEPORT listeners on A:P in each
//! context CTX, then connects N (default 20) times from each NETNS, one
//! connection at a time, alternating between the namespaces; each client
//! sends its namespace's name. Every context's listeners must accept
//! exactly the N connections of its own namespace.
//!
//! `ephemeral` listens on 127.0.0.1:P in each context CTX, then connects N
//! (default 200) times to it from every context at once (one thread per
//! context, all connections kept open, ephemeral source ports); every
//! connect must succeed and every listener accept exactly its own
//! context's N connections.
//!
//! With `--udp`, the listeners are UDP sockets and the clients connected
//! UDP sockets that send one datagram each.
//!
//! Both print what happened per context, then `ok` (exit 0) or
//! `FAIL: ...` (exit 1).

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::ExitCode;
use std::time::Duration;

use crate::errno;
use crate::net;

const STEP: Duration = Duration::from_secs(2);

fn usage(e: &str) -> ExitCode {
    eprintln!("vrctx-probe: {e}");
    ExitCode::from(2)
}

/// `CTX:ADDR:PORT`.
fn parse_bind(s: &str) -> Result<(u32, SocketAddrV4), String> {
    let (ctx, addr) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}': want CTX:ADDR:PORT"))?;
    let ctx = ctx.parse().map_err(|e| format!("'{s}': context: {e}"))?;
    let addr = addr.parse().map_err(|e| format!("'{s}': address: {e}"))?;
    Ok((ctx, addr))
}

/// `CTX:NETNS`.
fn parse_group(s: &str) -> Result<(u32, String), String> {
    let (ctx, ns) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}': want CTX:NETNS"))?;
    let ctx = ctx.parse().map_err(|e| format!("'{s}': context: {e}"))?;
    if ns.is_empty() {
        return Err(format!("'{s}': no namespace"));
    }
    Ok((ctx, ns.to_string()))
}

/// A socket of type `ty` in context `ctx` (of this process's namespace).
fn socket_in(ctx: u32, ty: i32, proto: i32) -> Result<OwnedFd, net::Errno> {
    let fd = net::socket(libc::AF_INET, ty, proto)?;
    if ctx != 0 {
        net::set_ctx(&fd, ctx)?;
    }
    Ok(fd)
}

pub(crate) fn bind_cmd(args: &[String]) -> ExitCode {
    let mut ty = (libc::SOCK_STREAM, 0);
    let mut listen = false;
    let mut specs = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--type" => {
                ty = match it.next().map(String::as_str) {
                    Some("tcp") => (libc::SOCK_STREAM, 0),
                    Some("udp") => (libc::SOCK_DGRAM, 0),
                    Some("ping") => (libc::SOCK_DGRAM, libc::IPPROTO_ICMP),
                    _ => return usage("--type tcp|udp|ping"),
                }
            }
            "--listen" => listen = true,
            s => match parse_bind(s) {
                Ok(b) => specs.push(b),
                Err(e) => return usage(&e),
            },
        }
    }
    if specs.is_empty() {
        return usage("bind [--type tcp|udp|ping] [--listen] CTX:ADDR:PORT...");
    }
    let mut keep = Vec::new();
    let mut words = Vec::new();
    for (ctx, addr) in specs {
        let r = socket_in(ctx, ty.0, ty.1).and_then(|fd| {
            net::bind(&fd, SocketAddr::V4(addr))?;
            if listen && ty.0 == libc::SOCK_STREAM {
                net::listen(&fd, 8)?;
            }
            keep.push(fd);
            Ok(())
        });
        words.push(r.map_or_else(errno::name, |()| "ok".into()));
    }
    println!("{}", words.join(" "));
    if words.iter().all(|w| w == "ok") {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Options shared by `reuseport` and `ephemeral`.
struct Opts {
    addr: Ipv4Addr,
    port: u16,
    count: usize,
    listeners: usize,
    udp: bool,
    rest: Vec<String>,
}

fn parse_opts(args: &[String], count: usize) -> Result<Opts, String> {
    let mut o = Opts {
        addr: Ipv4Addr::LOCALHOST,
        port: 0,
        count,
        listeners: 2,
        udp: false,
        rest: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |n: &str| it.next().ok_or_else(|| format!("{n} needs a value"));
        match a.as_str() {
            "--addr" => {
                let v = value("--addr")?;
                o.addr = v.parse().map_err(|e| format!("--addr '{v}': {e}"))?;
            }
            "--port" => {
                let v = value("--port")?;
                o.port = v.parse().map_err(|e| format!("--port '{v}': {e}"))?;
            }
            "--count" => {
                let v = value("--count")?;
                o.count = v.parse().map_err(|e| format!("--count '{v}': {e}"))?;
            }
            "--listeners" => {
                let v = value("--listeners")?;
                o.listeners = v.parse().map_err(|e| format!("--listeners '{v}': {e}"))?;
            }
            "--udp" => o.udp = true,
            s if s.starts_with("--") => return Err(format!("unknown option '{s}'")),
            s => o.rest.push(s.to_string()),
        }
    }
    if o.port == 0 {
        return Err("--port is needed".into());
    }
    if o.rest.is_empty() || o.listeners == 0 {
        return Err("nothing to do".into());
    }
    Ok(o)
}

fn sock_type(udp: bool) -> i32 {
    if udp {
        libc::SOCK_DGRAM
    } else {
        libc::SOCK_STREAM
    }
}

/// A listener (or with `udp` a UDP socket) bound to `addr` in context
/// `ctx`.
fn listener(
    ctx: u32,
    addr: SocketAddrV4,
    reuseport: bool,
    backlog: i32,
    udp: bool,
) -> Result<OwnedFd, String> {
    let what = |s: &str, e| {
        format!(
            "listener in context {ctx} on {addr}: {s}: {}",
            errno::name(e)
        )
    };
    let fd = socket_in(ctx, sock_type(udp), 0).map_err(|e| what("socket", e))?;
    if reuseport {
        net::set_int(&fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)
            .map_err(|e| what("SO_REUSEPORT", e))?;
    }
    if udp {
        // Room for every client's datagram before anything reads them.
        net::set_int(&fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, 4 << 20)
            .map_err(|e| what("SO_RCVBUFFORCE", e))?;
    }
    net::bind(&fd, SocketAddr::V4(addr)).map_err(|e| what("bind", e))?;
    if !udp {
        net::listen(&fd, backlog).map_err(|e| what("listen", e))?;
    }
    Ok(fd)
}

/// The first message of the next client of listener `l`: a TCP
/// connection's first bytes, or a UDP datagram. `None` when none is
/// waiting.
fn next_hello(l: &OwnedFd, udp: bool) -> Option<Result<Vec<u8>, net::Errno>> {
    if udp {
        let mut buf = [0u8; 64];
        return match net::recv_from(l, &mut buf) {
            Ok((n, _)) => Some(Ok(buf[..n].to_vec())),
            Err(libc::EAGAIN) => None,
            Err(e) => Some(Err(e)),
        };
    }
    match net::accept(l) {
        Ok((c, _)) => Some(read_hello(&c)),
        Err(_) => None,
    }
}

/// Connects `fd` to `to` within `STEP`.
fn connect_wait(fd: &OwnedFd, to: SocketAddrV4) -> Result<(), net::Errno> {
    net::connect(fd, SocketAddr::V4(to))?;
    net::wait_for(fd, libc::POLLOUT, STEP)?;
    net::so_error(fd)
}

/// Reads what a new connection sends first (up to 64 bytes).
fn read_hello(fd: &OwnedFd) -> Result<Vec<u8>, net::Errno> {
    net::wait_for(fd, libc::POLLIN, STEP)?;
    let mut buf = [0u8; 64];
    let (n, _) = net::recv_from(fd, &mut buf)?;
    Ok(buf[..n].to_vec())
}

pub(crate) fn reuseport_cmd(args: &[String]) -> ExitCode {
    let o = match parse_opts(args, 20) {
        Ok(o) => o,
        Err(e) => return usage(&format!("reuseport: {e}")),
    };
    let groups: Result<Vec<_>, _> = o.rest.iter().map(|s| parse_group(s)).collect();
    let groups = match groups {
        Ok(g) => g,
        Err(e) => return usage(&format!("reuseport: {e}")),
    };
    let addr = SocketAddrV4::new(o.addr, o.port);
    // listeners[g][k]
    let mut listeners = Vec::new();
    for (ctx, _) in &groups {
        let mut l = Vec::new();
        for _ in 0..o.listeners {
            match listener(*ctx, addr, true, 64, o.udp) {
                Ok(fd) => l.push(fd),
                Err(e) => {
                    println!("FAIL: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        listeners.push(l);
    }
    // accepted[g][k] = namespaces of the connections listener k of group g got.
    let mut accepted = vec![vec![Vec::<String>::new(); o.listeners]; groups.len()];
    let mut errors = Vec::new();
    for i in 0..o.count {
        for (ctx, ns) in &groups {
            let fd = match net::socket_in_netns(ns, libc::AF_INET, sock_type(o.udp), 0) {
                Ok(fd) => fd,
                Err(e) => {
                    println!("FAIL: client in {ns}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let r = connect_wait(&fd, addr).and_then(|()| net::send(&fd, ns.as_bytes()));
            if let Err(e) = r {
                errors.push(format!(
                    "connect {i} from {ns} (context {ctx}): {}",
                    errno::name(e)
                ));
                continue;
            }
            let mut fds: Vec<libc::pollfd> = listeners
                .iter()
                .flatten()
                .map(|l| net::pollfd(l.as_raw_fd(), libc::POLLIN))
                .collect();
            match net::poll(&mut fds, STEP) {
                Ok(0) => errors.push(format!("connect {i} from {ns}: no listener got it")),
                Ok(_) => {}
                Err(e) => errors.push(format!("poll: {}", errno::name(e))),
            }
            for (j, p) in fds.iter().enumerate() {
                if p.revents == 0 {
                    continue;
                }
                let (g, k) = (j / o.listeners, j % o.listeners);
                while let Some(hello) = next_hello(&listeners[g][k], o.udp) {
                    let hello = hello.map_or_else(
                        |e| format!("<{}>", errno::name(e)),
                        |b| String::from_utf8_lossy(&b).into_owned(),
                    );
                    accepted[g][k].push(hello);
                }
            }
        }
    }
    let mut ok = errors.is_empty();
    for ((ctx, ns), got) in groups.iter().zip(&accepted) {
        let total: usize = got.iter().map(Vec::len).sum();
        let own = got.iter().flatten().filter(|n| *n == ns).count();
        let per: Vec<String> = got.iter().map(|l| l.len().to_string()).collect();
        let mut others: Vec<&String> = got.iter().flatten().filter(|n| *n != ns).collect();
        others.sort();
        others.dedup();
        println!(
            "context {ctx}: accepted {total} (per listener {}), {own} from {ns}{}",
            per.join("+"),
            if others.is_empty() {
                String::new()
            } else {
                format!(
                    ", others from {}",
                    others
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                )
            }
        );
        ok &= total == o.count && own == o.count;
    }
    for e in &errors {
        println!("{e}");
    }
    if ok {
        println!("ok");
        ExitCode::SUCCESS
    } else {
        println!(
            "FAIL: each context's listeners must accept exactly its own {} connections",
            o.count
        );
        ExitCode::FAILURE
    }
}

/// What one context's client thread did.
struct Clients {
    fds: Vec<OwnedFd>,
    errors: Vec<(usize, net::Errno)>,
}

fn connect_many(ctx: u32, to: SocketAddrV4, n: usize, udp: bool) -> Clients {
    let mut c = Clients {
        fds: Vec::new(),
        errors: Vec::new(),
    };
    for i in 0..n {
        let r = socket_in(ctx, sock_type(udp), 0).and_then(|fd| {
            connect_wait(&fd, to)?;
            net::send(&fd, &ctx.to_ne_bytes())?;
            Ok(fd)
        });
        match r {
            Ok(fd) => c.fds.push(fd),
            Err(e) => c.errors.push((i, e)),
        }
    }
    c
}

pub(crate) fn ephemeral_cmd(args: &[String]) -> ExitCode {
    let o = match parse_opts(args, 200) {
        Ok(o) => o,
        Err(e) => return usage(&format!("ephemeral: {e}")),
    };
    let ctxs: Result<Vec<u32>, _> = o.rest.iter().map(|s| s.parse::<u32>()).collect();
    let Ok(ctxs) = ctxs else {
        return usage("ephemeral: contexts are numbers");
    };
    let addr = SocketAddrV4::new(o.addr, o.port);
    let backlog = i32::try_from(o.count + 16).unwrap_or(i32::MAX);
    let mut listeners = Vec::new();
    for ctx in &ctxs {
        match listener(*ctx, addr, false, backlog, o.udp) {
            Ok(fd) => listeners.push(fd),
            Err(e) => {
                println!("FAIL: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let clients: Vec<Clients> = std::thread::scope(|s| {
        let handles: Vec<_> = ctxs
            .iter()
            .map(|ctx| s.spawn(move || connect_many(*ctx, addr, o.count, o.udp)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| Clients {
                    fds: Vec::new(),
                    errors: vec![(0, libc::EIO)],
                })
            })
            .collect()
    });
    let mut ok = true;
    for ((ctx, l), c) in ctxs.iter().zip(&listeners).zip(&clients) {
        let (mut total, mut own, mut bad) = (0, 0, Vec::new());
        while net::wait_for(l, libc::POLLIN, Duration::from_millis(300)).is_ok() {
            let Some(hello) = next_hello(l, o.udp) else {
                break;
            };
            total += 1;
            match hello {
                Ok(b) if b == ctx.to_ne_bytes() => own += 1,
                Ok(b) if b.len() == 4 => bad.push(format!(
                    "context {}",
                    u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
                )),
                Ok(b) => bad.push(format!("{b:?}")),
                Err(e) => bad.push(errno::name(e)),
            }
        }
        bad.sort();
        bad.dedup();
        let mut errs: Vec<String> = c.errors.iter().map(|(_, e)| errno::name(*e)).collect();
        let first = c.errors.first().map(|(i, _)| *i);
        errs.sort();
        errs.dedup();
        println!(
            "context {ctx}: {} of {} connects ok{}; accepted {total}, {own} from context {ctx}{}",
            c.fds.len(),
            o.count,
            match first {
                Some(i) => format!(" (failures: {}, first at #{i})", errs.join(",")),
                None => String::new(),
            },
            if bad.is_empty() {
                String::new()
            } else {
                format!(", others: {}", bad.join(","))
            }
        );
        ok &= c.fds.len() == o.count && total == o.count && own == o.count;
    }
    if ok {
        println!("ok");
        ExitCode::SUCCESS
    } else {
        println!("FAIL: every connect must succeed and reach its own context's listener");
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        assert_eq!(
            parse_bind("2:10.0.0.1:80").unwrap(),
            (2, "10.0.0.1:80".parse().unwrap())
        );
        assert!(parse_bind("2:10.0.0.1").is_err());
        assert!(parse_bind("x:10.0.0.1:80").is_err());
        assert!(parse_bind("10.0.0.1:80").is_err());
        assert_eq!(parse_group("1:pred").unwrap(), (1, "pred".to_string()));
        assert!(parse_group("1:").is_err());
        assert!(parse_group("pred").is_err());
    }

    #[test]
    fn parses_options() {
        let a: Vec<String> = "--addr 10.0.0.1 --port 7 --count 3 --listeners 4 --udp 1:a 2:b"
            .split(' ')
            .map(String::from)
            .collect();
        let o = parse_opts(&a, 20).unwrap();
        assert_eq!(
            (o.addr, o.port, o.count, o.listeners),
            (Ipv4Addr::new(10, 0, 0, 1), 7, 3, 4)
        );
        assert!(o.udp);
        assert_eq!(o.rest, ["1:a", "2:b"]);
        assert_eq!(
            parse_opts(&["--port".into(), "7".into(), "1".into()], 9)
                .unwrap()
                .count,
            9
        );
        assert!(parse_opts(&["1".into()], 9).is_err());
        assert!(parse_opts(&["--port".into(), "7".into()], 9).is_err());
        assert!(parse_opts(&["--frob".into()], 9).is_err());
    }

    /// Context 0 only, on the build host: the connect/accept machinery.
    #[test]
    fn ephemeral_on_the_host() {
        let port = 22000 + (std::process::id() % 8000) as u16;
        let to = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
        let l = listener(0, to, false, 32, false).unwrap();
        let c = connect_many(0, to, 10, false);
        assert_eq!((c.fds.len(), c.errors.len()), (10, 0));
        for _ in 0..10 {
            net::wait_for(&l, libc::POLLIN, STEP).unwrap();
            let (conn, _) = net::accept(&l).unwrap();
            assert_eq!(read_hello(&conn).unwrap(), 0u32.to_ne_bytes());
        }
    }
}
