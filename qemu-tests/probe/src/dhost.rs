// SPDX-License-Identifier: GPL-2.0-only
//! `vrctx-probe dhost ...`: the traffic of the distributed-host member
//! test (qemu-tests/tests/71-dhost-member.sh).
//!
//! ```text
//! dhost conns --from ADDR --to ADDR:PORT --count N
//!     N TCP connections from ADDR (port 0: the kernel picks) to ADDR:PORT,
//!     started at once and all established (handshake done) within 60 s;
//!     prints `port P` for each local port, then `ok N`, and closes them.
//!     Fails naming the connections not established and why
//! dhost accept --listen ADDR:PORT --count N --timeout S
//!     accepts N connections within S seconds, holding them; prints
//!     `ok N distinct D` (D: distinct peer address:port pairs) or
//!     `timeout ACCEPTED`
//! dhost udp --to ADDR:PORT --bytes N
//!     sends N pseudo-random bytes in 1000-byte datagrams, each one waiting
//!     for its echo (retried up to 5 times, 1 s each) and compared byte for
//!     byte; prints `ok N` or what went wrong
//! dhost serve --listen ADDR:PORT
//!     answers every TCP connection with "ok\n" and closes it (forever,
//!     one at a time: no fork per connection)
//! dhost short --to ADDR:PORT --count N
//!     N TCP connections one after another, each reading "ok\n" to EOF;
//!     prints `ok N failed F per_second R` (R: completed connections per
//!     second of wall time)
//! dhost reach --to ADDR:PORT --timeout S [--ask HOST:PORT]
//!     connects every 2 ms (a SYN unanswered for 100 ms counts as failed)
//!     until a connection succeeds; prints the milliseconds it took and
//!     those spent asking (`reached MS asked MS`), or `timeout`. With --ask, the
//!     clock starts before it sends the port number (a line) to the
//!     control service HOST:PORT and reads its one-line answer (that
//!     service opens the port)
//! ```

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, SocketAddrV4, TcpListener, TcpStream, UdpSocket};
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
        held.push(fd);
    }
    // The sockets are non-blocking: a connection counts once its handshake
    // is done (exiting with one still in SYN-SENT would drop it silently).
    let deadline = Instant::now() + CONNS_TIMEOUT;
    let mut failed = Vec::new();
    for (i, fd) in held.iter().enumerate() {
        let left = deadline.saturating_duration_since(Instant::now());
        let r = match net::wait_for(fd, libc::POLLOUT, left) {
            Ok(_) => net::so_error(fd),
            Err(e) => Err(e),
        };
        if let Err(e) = r {
            failed.push(errno_msg(&format!("#{i}"), e));
        }
    }
    if !failed.is_empty() {
        return Err(format!(
            "{} of {count} connections to {to} not established within {} s: {}",
            failed.len(),
            CONNS_TIMEOUT.as_secs(),
            failed.join(", ")
        ));
    }
    for fd in &held {
        let port = net::local_addr(fd)
            .map_err(|e| errno_msg("getsockname", e))?
            .port();
        println!("port {port}");
    }
    println!("ok {}", held.len());
    Ok(())
}

/// How long `conns` waits for all its handshakes.
const CONNS_TIMEOUT: Duration = Duration::from_secs(60);

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

fn serve(args: &[String]) -> Result<(), String> {
    let listen: SocketAddrV4 = parse(args, "--listen")?;
    let l = TcpListener::bind(listen).map_err(|e| format!("bind {listen}: {e}"))?;
    println!("listening");
    loop {
        if let Ok((mut c, _)) = l.accept() {
            // A client gone early is its business.
            let _ = c.write_all(b"ok\n");
        }
    }
}

/// One short connection to `to`: "ok\n", then EOF.
fn short_one(to: SocketAddrV4) -> Result<(), String> {
    let mut c = TcpStream::connect_timeout(&SocketAddr::V4(to), Duration::from_secs(5))
        .map_err(|e| format!("connect: {e}"))?;
    c.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| format!("timeout: {e}"))?;
    let mut got = Vec::new();
    c.read_to_end(&mut got).map_err(|e| format!("read: {e}"))?;
    if got != b"ok\n" {
        return Err(format!("got {got:?}"));
    }
    Ok(())
}

fn short(args: &[String]) -> Result<(), String> {
    let to: SocketAddrV4 = parse(args, "--to")?;
    let count: usize = parse(args, "--count")?;
    let start = Instant::now();
    let mut failed = 0;
    for i in 0..count {
        if let Err(e) = short_one(to) {
            if failed < 5 {
                println!("connection #{i}: {e}");
            }
            failed += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let done = count - failed;
    // CAST: a count of connections, far below 2^52.
    println!(
        "ok {done} failed {failed} per_second {:.1}",
        done as f64 / secs
    );
    Ok(())
}

fn reach(args: &[String]) -> Result<(), String> {
    let to: SocketAddrV4 = parse(args, "--to")?;
    let timeout = Duration::from_secs(parse(args, "--timeout")?);
    let start = Instant::now();
    if args.iter().any(|a| a == "--ask") {
        let ask: SocketAddrV4 = parse(args, "--ask")?;
        let mut c = TcpStream::connect_timeout(&SocketAddr::V4(ask), Duration::from_secs(5))
            .map_err(|e| format!("connect {ask}: {e}"))?;
        c.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| format!("timeout: {e}"))?;
        c.write_all(format!("{}\n", to.port()).as_bytes())
            .map_err(|e| format!("ask {ask}: {e}"))?;
        let mut answer = [0u8; 64];
        let n = c.read(&mut answer).map_err(|e| format!("ask {ask}: {e}"))?;
        if n == 0 {
            return Err(format!("ask {ask}: no answer"));
        }
    }
    let asked = start.elapsed().as_millis();
    // A SYN nobody answers (the port not known yet, the leader's table not
    // authoritative) is tried again after 100 ms, not after TCP's 1 s.
    while start.elapsed() < timeout {
        if TcpStream::connect_timeout(&SocketAddr::V4(to), Duration::from_millis(100)).is_ok() {
            println!("reached {} asked {asked}", start.elapsed().as_millis());
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    println!("timeout");
    Ok(())
}

pub(crate) fn main(args: &[String]) -> ExitCode {
    let r = match args.first().map(String::as_str) {
        Some("conns") => conns(&args[1..]),
        Some("accept") => accept(&args[1..]),
        Some("udp") => udp(&args[1..]),
        Some("serve") => serve(&args[1..]),
        Some("short") => short(&args[1..]),
        Some("reach") => reach(&args[1..]),
        _ => Err("usage: dhost conns|accept|udp|serve|short|reach ...".into()),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            println!("{e}");
            ExitCode::FAILURE
        }
    }
}
