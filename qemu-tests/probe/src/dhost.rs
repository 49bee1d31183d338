// SPDX-License-Identifier: GPL-2.0-only
//! `vrctx-probe dhost ...`: the traffic of the distributed-host member
//! test (qemu-tests/tests/71-dhost-member.sh).
//!
//! ```text
//! dhost conns --from ADDR --to ADDR:PORT --count N
//!     N TCP connections from ADDR (port 0: the kernel picks) to ADDR:PORT,
//!     all held open at once; prints `port P` for each local port, then
//!     `ok N`, and closes them
//! dhost accept --listen ADDR:PORT --count N --timeout S
//!     accepts N connections within S seconds, holding them; prints
//!     `ok N distinct D` (D: distinct peer address:port pairs) or
//!     `timeout ACCEPTED`
//! dhost udp --to ADDR:PORT --bytes N
//!     sends N pseudo-random bytes in 1000-byte datagrams, each one waiting
//!     for its echo (retried up to 5 times, 1 s each) and compared byte for
//!     byte; prints `ok N` or what went wrong
//! ```

use std::collections::HashSet;
use std::net::{SocketAddr, SocketAddrV4, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::errno;
use crate::net;

fn named<'a>(args: &'a [String], name: &str) -> Result<&'a str, String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
        .ok_or_else(|| format!("{name} is needed"))
}

fn parse<T: std::str::FromStr>(args: &[String], name: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    let v = named(args, name)?;
    v.parse().map_err(|e| format!("{name} '{v}': {e}"))
}

fn errno_msg(what: &str, e: net::Errno) -> String {
    format!("{what} {}", errno::name(e))
}

fn conns(args: &[String]) -> Result<(), String> {
    let from: std::net::Ipv4Addr = parse(args, "--from")?;
    let to: SocketAddrV4 = parse(args, "--to")?;
    let count: usize = parse(args, "--count")?;
    let mut held = Vec::with_capacity(count);
    for i in 0..count {
        let fd =
            net::socket(libc::AF_INET, libc::SOCK_STREAM, 0).map_err(|e| errno_msg("socket", e))?;
        net::bind(&fd, SocketAddr::V4(SocketAddrV4::new(from, 0)))
            .map_err(|e| errno_msg(&format!("bind #{i}"), e))?;
        net::connect(&fd, SocketAddr::V4(to))
            .map_err(|e| errno_msg(&format!("connect #{i}"), e))?;
        let port = net::local_addr(&fd)
            .map_err(|e| errno_msg("getsockname", e))?
            .port();
        println!("port {port}");
        held.push(fd);
    }
    println!("ok {}", held.len());
    Ok(())
}

fn accept(args: &[String]) -> Result<(), String> {
    let listen: SocketAddrV4 = parse(args, "--listen")?;
    let count: usize = parse(args, "--count")?;
    let timeout = Duration::from_secs(parse(args, "--timeout")?);
    let l = net::socket(libc::AF_INET, libc::SOCK_STREAM, 0).map_err(|e| errno_msg("socket", e))?;
    net::set_int(&l, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)
        .map_err(|e| errno_msg("SO_REUSEADDR", e))?;
    net::bind(&l, SocketAddr::V4(listen)).map_err(|e| errno_msg("bind", e))?;
    net::listen(&l, 1024).map_err(|e| errno_msg("listen", e))?;
    println!("listening");
    let deadline = Instant::now() + timeout;
    let mut held = Vec::with_capacity(count);
    let mut peers = HashSet::new();
    while held.len() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            println!("timeout {}", held.len());
            return Ok(());
        }
        match net::wait_for(&l, libc::POLLIN, left) {
            Ok(_) => {}
            Err(libc::ETIMEDOUT) => continue,
            Err(e) => return Err(errno_msg("poll", e)),
        }
        let (fd, peer) = net::accept(&l).map_err(|e| errno_msg("accept", e))?;
        if let Some(p) = peer {
            peers.insert(p);
        }
        held.push(fd);
    }
    println!("ok {} distinct {}", held.len(), peers.len());
    Ok(())
}

fn udp(args: &[String]) -> Result<(), String> {
    let to: SocketAddr = parse(args, "--to")?;
    let bytes: usize = parse(args, "--bytes")?;
    let s = UdpSocket::bind("0.0.0.0:0").map_err(|e| format!("bind: {e}"))?;
    s.connect(to).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(1)))
        .map_err(|e| format!("timeout: {e}"))?;
    // xorshift: the same bytes every run, different in every datagram.
    let mut x: u32 = 0x9e37_79b9;
    let mut sent = 0;
    let mut buf = [0u8; 2048];
    while sent < bytes {
        let n = (bytes - sent).min(1000);
        let chunk: Vec<u8> = (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x.to_le_bytes()[0]
            })
            .collect();
        let mut echoed = false;
        for _ in 0..5 {
            s.send(&chunk).map_err(|e| format!("send at {sent}: {e}"))?;
            match s.recv(&mut buf) {
                Ok(got) if buf[..got] == chunk[..] => {
                    echoed = true;
                    break;
                }
                Ok(got) => return Err(format!("echo at {sent}: {got} bytes, not the same")),
                Err(_) => continue,
            }
        }
        if !echoed {
            return Err(format!("no echo at {sent} after 5 tries"));
        }
        sent += n;
    }
    println!("ok {sent}");
    Ok(())
}

pub(crate) fn main(args: &[String]) -> ExitCode {
    let r = match args.first().map(String::as_str) {
        Some("conns") => conns(&args[1..]),
        Some("accept") => accept(&args[1..]),
        Some("udp") => udp(&args[1..]),
        _ => Err("usage: dhost conns|accept|udp ...".into()),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            println!("{e}");
            ExitCode::FAILURE
        }
    }
}
