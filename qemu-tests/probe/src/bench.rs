// SPDX-License-Identifier: GPL-2.0-only
//! `vrctx-probe bench ...`: the helpers of `make bench` (qemu-tests/bench).
//!
//! ```text
//! vrctx-probe bench time [--stdin FILE] [--gone PATH] -- CMD [ARGS...]
//!     run CMD (stdin from FILE, stdout discarded), then wait until PATH no
//!     longer exists; print the elapsed wall time in nanoseconds
//! vrctx-probe bench echo ADDR:PORT [--ctx N]
//!     UDP echo server (blocking, forever)
//! vrctx-probe bench rr ADDR:PORT SECONDS [--ctx N] [--dev IF]
//!     UDP request/response for SECONDS: print "RATE USEC" (transactions
//!     per second, microseconds per transaction)
//! vrctx-probe bench hold ADDR:PORT FIRST LAST
//!     one UDP socket bound to ADDR:PORT in each context FIRST..=LAST; prints
//!     "ready COUNT", then sleeps until killed
//! ```

use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use crate::errno;
use crate::net;

fn usage() -> ExitCode {
    eprintln!(
        "vrctx-probe bench time [--stdin FILE] [--gone PATH] -- CMD... | echo ADDR:PORT [--ctx N] \
         | rr ADDR:PORT SECONDS [--ctx N] [--dev IF] | hold ADDR:PORT FIRST LAST"
    );
    ExitCode::from(2)
}

/// Options shared by the socket commands.
#[derive(Debug, Default, PartialEq, Eq)]
struct SockOpts {
    ctx: Option<u32>,
    dev: Option<String>,
}

/// Splits `--ctx N` and `--dev IF` from the positional arguments.
fn sock_opts(args: &[String]) -> Result<(Vec<String>, SockOpts), String> {
    let mut pos = Vec::new();
    let mut o = SockOpts::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--ctx" => {
                let v = it.next().ok_or("--ctx needs a value")?;
                o.ctx = Some(v.parse().map_err(|e| format!("--ctx {v}: {e}"))?);
            }
            "--dev" => o.dev = Some(it.next().ok_or("--dev needs a value")?.clone()),
            _ => pos.push(a.clone()),
        }
    }
    Ok((pos, o))
}

/// A blocking UDP socket bound to `addr`, in context `ctx`, on `dev`.
fn udp(addr: SocketAddr, o: &SockOpts) -> Result<UdpSocket, String> {
    let what = |e: i32| errno::name(e).to_string();
    let fd = net::socket(libc::AF_INET, libc::SOCK_DGRAM, 0).map_err(what)?;
    if let Some(ctx) = o.ctx {
        net::set_ctx(&fd, ctx).map_err(|e| format!("IP_VRCTX {ctx}: {}", what(e)))?;
    }
    if let Some(dev) = &o.dev {
        net::bind_device(&fd, dev).map_err(|e| format!("SO_BINDTODEVICE {dev}: {}", what(e)))?;
    }
    net::bind(&fd, addr).map_err(|e| format!("bind {addr}: {}", what(e)))?;
    let s = UdpSocket::from(fd);
    s.set_nonblocking(false).map_err(|e| e.to_string())?;
    Ok(s)
}

fn addr(s: &str) -> Result<SocketAddr, String> {
    s.parse().map_err(|e| format!("address {s}: {e}"))
}

fn echo(args: &[String]) -> Result<(), String> {
    let (pos, o) = sock_opts(args)?;
    let [a] = pos.as_slice() else {
        return Err("echo ADDR:PORT".into());
    };
    let s = udp(addr(a)?, &o)?;
    let mut buf = [0u8; 2048];
    loop {
        let (n, from) = s.recv_from(&mut buf).map_err(|e| e.to_string())?;
        // A lost answer is the client's problem (it times out).
        let _ = s.send_to(&buf[..n], from);
    }
}

/// Request/response: one 32-byte datagram out, its echo back, repeated.
fn rr(args: &[String]) -> Result<(), String> {
    let (pos, o) = sock_opts(args)?;
    let [a, secs] = pos.as_slice() else {
        return Err("rr ADDR:PORT SECONDS".into());
    };
    let to = addr(a)?;
    let secs: f64 = secs.parse().map_err(|e| format!("SECONDS {secs}: {e}"))?;
    let s = udp("0.0.0.0:0".parse().expect("literal"), &o)?;
    s.connect(to).map_err(|e| format!("connect {to}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    let msg = [0x5au8; 32];
    let mut buf = [0u8; 64];
    // Warm-up (ARP, route caches) and waiting for the server to start:
    // retry for up to 20 s, then 100 answered transactions.
    let mut tries = 0;
    while let Err(e) = s.send(&msg).and_then(|_| s.recv(&mut buf)) {
        tries += 1;
        if tries > 200 {
            return Err(format!("no answer from {to}: {e}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    for _ in 0..100 {
        s.send(&msg).map_err(|e| format!("send: {e}"))?;
        s.recv(&mut buf).map_err(|e| format!("recv: {e}"))?;
    }
    let limit = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut n: u64 = 0;
    loop {
        s.send(&msg).map_err(|e| format!("send: {e}"))?;
        s.recv(&mut buf).map_err(|e| format!("recv: {e}"))?;
        n += 1;
        if n % 16 == 0 && start.elapsed() >= limit {
            break;
        }
    }
    let t = start.elapsed().as_secs_f64();
    println!("{:.1} {:.3}", n as f64 / t, t * 1e6 / n as f64);
    Ok(())
}

fn hold(args: &[String]) -> Result<(), String> {
    let (pos, o) = sock_opts(args)?;
    let [a, first, last] = pos.as_slice() else {
        return Err("hold ADDR:PORT FIRST LAST".into());
    };
    let at = addr(a)?;
    let first: u32 = first.parse().map_err(|e| format!("FIRST {first}: {e}"))?;
    let last: u32 = last.parse().map_err(|e| format!("LAST {last}: {e}"))?;
    let mut held = Vec::new();
    for ctx in first..=last {
        let opts = SockOpts {
            ctx: Some(ctx),
            dev: o.dev.clone(),
        };
        held.push(udp(at, &opts).map_err(|e| format!("context {ctx}: {e}"))?);
    }
    println!("ready {}", held.len());
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// Runs CMD, then waits for PATH to disappear; prints the nanoseconds.
fn time(args: &[String]) -> Result<(), String> {
    let mut stdin = None;
    let mut gone = None;
    let mut it = args.iter();
    let cmd: Vec<String> = loop {
        match it.next().map(String::as_str) {
            Some("--stdin") => stdin = Some(it.next().ok_or("--stdin needs a file")?.clone()),
            Some("--gone") => gone = Some(it.next().ok_or("--gone needs a path")?.clone()),
            Some("--") => break it.cloned().collect(),
            _ => return Err("time [--stdin FILE] [--gone PATH] -- CMD...".into()),
        }
    };
    let (prog, rest) = cmd.split_first().ok_or("time: no command")?;
    let mut c = Command::new(prog);
    c.args(rest).stdout(Stdio::null());
    if let Some(f) = &stdin {
        c.stdin(Stdio::from(
            std::fs::File::open(f).map_err(|e| format!("{f}: {e}"))?,
        ));
    }
    let start = Instant::now();
    let status = c.status().map_err(|e| format!("{prog}: {e}"))?;
    if let Some(p) = &gone {
        while std::path::Path::new(p).exists() {
            if start.elapsed() > Duration::from_secs(3600) {
                return Err(format!("{p} still exists after an hour"));
            }
            std::thread::sleep(Duration::from_micros(500));
        }
    }
    let ns = start.elapsed().as_nanos();
    if !status.success() {
        return Err(format!("{prog}: {status}"));
    }
    println!("{ns}");
    Ok(())
}

pub(crate) fn main(args: &[String]) -> ExitCode {
    let rest = args.get(1..).unwrap_or(&[]);
    let r = match args.first().map(String::as_str) {
        Some("time") => time(rest),
        Some("echo") => echo(rest),
        Some("rr") => rr(rest),
        Some("hold") => hold(rest),
        _ => return usage(),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vrctx-probe bench: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn options() {
        let (pos, o) = sock_opts(&v("10.0.0.1:7 2 --ctx 5 --dev vrf0")).unwrap();
        assert_eq!(pos, v("10.0.0.1:7 2"));
        assert_eq!(
            o,
            SockOpts {
                ctx: Some(5),
                dev: Some("vrf0".into())
            }
        );
        assert!(sock_opts(&v("--ctx x")).is_err());
        assert!(sock_opts(&v("--dev")).is_err());
    }

    #[test]
    fn loopback_rr_and_time() {
        let server = udp("127.0.0.1:0".parse().unwrap(), &SockOpts::default()).unwrap();
        let at = server.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 64];
            while let Ok((n, from)) = server.recv_from(&mut buf) {
                let _ = server.send_to(&buf[..n], from);
            }
        });
        rr(&[at.to_string(), "0.05".into()]).unwrap();
        time(&v("-- true")).unwrap();
        assert!(time(&v("-- false")).is_err());
        assert!(time(&v("--gone")).is_err());
    }
}
