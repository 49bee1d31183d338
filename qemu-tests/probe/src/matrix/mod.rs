// SPDX-License-Identifier: GPL-2.0-only
//! `vrctx-probe matrix`: the leak matrix. Runs a table of rows (see
//! `table.rs` for the format), each one a set of servers in contexts and a
//! client in a context or a peer namespace, and checks what the client gets
//! and that no server outside the expected ones received anything.
//!
//! ```text
//! vrctx-probe matrix [--only PROTO[,PROTO]...] [--port-base N]
//!                    [--wait MS] [--grace MS] [--dry-run] FILE|-
//! ```
//!
//! `--dry-run` checks the table and lists its rows without running them.
//!
//! Everything runs in one thread with non-blocking sockets and `poll`:
//! servers count what they receive and answer with their marker; the client
//! waits up to `--wait` ms (default 400) for its answer (an answer that
//! never comes is `ETIMEDOUT`), then the servers are watched for `--grace`
//! ms more (default 60) for late copies. Nothing is retried. Prints one line
//! per row (inputs, expected, got, PASS/FAIL) and a summary; exits 1 if any
//! row failed, 2 on a usage or table error.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::errno;
use crate::net;

mod table;

use table::{Bind, Client, Outcome, Proto, Row, Server, Table};

const ICMP_ECHOREPLY: u8 = 0;
const ICMP_ECHO: u8 = 8;

#[derive(Debug, PartialEq, Eq)]
struct Opts {
    only: Option<Vec<Proto>>,
    port_base: u16,
    wait: Duration,
    grace: Duration,
    dry_run: bool,
    file: String,
}

fn parse_opts(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        only: None,
        port_base: 20000,
        wait: Duration::from_millis(400),
        grace: Duration::from_millis(60),
        dry_run: false,
        file: String::new(),
    };
    let mut file = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let ms = |name: &str, v: &String| {
            v.parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|e| format!("{name} '{v}': {e}"))
        };
        match a.as_str() {
            "--only" => {
                let v = value("--only")?;
                o.only = Some(v.split(',').map(Proto::parse).collect::<Result<_, _>>()?);
            }
            "--port-base" => {
                let v = value("--port-base")?;
                o.port_base = v.parse().map_err(|e| format!("--port-base '{v}': {e}"))?;
            }
            "--wait" => o.wait = ms("--wait", value("--wait")?)?,
            "--grace" => o.grace = ms("--grace", value("--grace")?)?,
            "--dry-run" => o.dry_run = true,
            f if file.is_none() && (f == "-" || !f.starts_with('-')) => file = Some(f.to_string()),
            f => return Err(format!("unexpected argument '{f}'")),
        }
    }
    o.file = file.ok_or("matrix needs a table file (or - for stdin)")?;
    Ok(o)
}

/// One server of a running row.
struct Srv<'t> {
    spec: &'t Server,
    fd: OwnedFd,
    count: u32,
    /// What it received, for the report of a failing row.
    log: Vec<String>,
}

/// Where the client is.
enum Phase {
    /// TCP connect in progress.
    Connecting,
    /// TCP connected, reading the marker until EOF.
    Reading(Vec<u8>),
    /// UDP or ICMP echo: waiting for the one answer.
    Waiting,
    /// Broadcast/multicast: collecting answers until the window closes.
    Collecting(BTreeSet<String>),
    Done(Outcome),
}

struct Cli {
    fd: Option<OwnedFd>,
    phase: Phase,
}

impl Cli {
    fn done(o: Outcome) -> Self {
        Cli {
            fd: None,
            phase: Phase::Done(o),
        }
    }

    /// Whether the client has what it waits for: its outcome, or (when
    /// collecting) at least every expected answer.
    fn settled(&self, want: &BTreeSet<String>) -> bool {
        match &self.phase {
            Phase::Done(_) => true,
            Phase::Collecting(got) => !want.is_empty() && want.is_subset(got),
            _ => false,
        }
    }

    fn events(&self) -> i16 {
        match self.phase {
            Phase::Connecting => libc::POLLOUT,
            Phase::Done(_) => 0,
            _ => libc::POLLIN,
        }
    }

    fn finish(self) -> Outcome {
        match self.phase {
            Phase::Done(o) => o,
            Phase::Collecting(got) if !got.is_empty() => Outcome::Answer(got.into_iter().collect()),
            Phase::Reading(buf) if !buf.is_empty() => {
                Outcome::Other(format!("partial:{}", String::from_utf8_lossy(&buf)))
            }
            Phase::Reading(_) => Outcome::Other("connected-silent".into()),
            _ => Outcome::Errno(libc::ETIMEDOUT),
        }
    }

    /// Handles poll events on the client socket.
    fn on_event(&mut self, row: &Row) {
        let Some(fd) = &self.fd else { return };
        let mut buf = [0u8; 512];
        let next = match &mut self.phase {
            Phase::Connecting => match net::so_error(fd) {
                Ok(()) => Some(Phase::Reading(Vec::new())),
                Err(e) => Some(Phase::Done(Outcome::Errno(e))),
            },
            Phase::Reading(got) => match net::recv_from(fd, &mut buf) {
                Ok((0, _)) if got.is_empty() => Some(Phase::Done(Outcome::Other("eof".into()))),
                Ok((0, _)) => Some(Phase::Done(Outcome::Answer(vec![String::from_utf8_lossy(
                    got,
                )
                .into_owned()]))),
                Ok((n, _)) => {
                    got.extend_from_slice(&buf[..n]);
                    None
                }
                Err(libc::EAGAIN) => None,
                Err(e) => Some(Phase::Done(Outcome::Errno(e))),
            },
            Phase::Waiting if row.proto.echo() => loop {
                match net::recv_from(fd, &mut buf) {
                    Ok((n, _)) if is_echo_reply(&buf[..n], row.id as u16) => {
                        break Some(Phase::Done(Outcome::Reply));
                    }
                    Ok(_) => continue,
                    Err(libc::EAGAIN) => break None,
                    Err(e) => break Some(Phase::Done(Outcome::Errno(e))),
                }
            },
            Phase::Waiting => match net::recv_from(fd, &mut buf) {
                Ok((n, _)) => Some(Phase::Done(Outcome::Answer(vec![String::from_utf8_lossy(
                    &buf[..n],
                )
                .into_owned()]))),
                Err(libc::EAGAIN) => None,
                Err(e) => Some(Phase::Done(Outcome::Errno(e))),
            },
            Phase::Collecting(got) => {
                while let Ok((n, _)) = net::recv_from(fd, &mut buf) {
                    got.insert(String::from_utf8_lossy(&buf[..n]).into_owned());
                }
                None
            }
            Phase::Done(_) => None,
        };
        if let Some(p) = next {
            self.phase = p;
        }
    }
}

/// An ICMP echo request: type 8, code 0, the checksum and id filled in by
/// the ping socket, sequence `seq`, then `payload`.
fn echo_request(seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![ICMP_ECHO, 0, 0, 0, 0, 0];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

fn is_echo_reply(p: &[u8], seq: u16) -> bool {
    p.len() >= 8 && p[0] == ICMP_ECHOREPLY && u16::from_be_bytes([p[6], p[7]]) == seq
}

fn sock_args(proto: Proto) -> (i32, i32) {
    match proto {
        Proto::Tcp => (libc::SOCK_STREAM, 0),
        Proto::Udp | Proto::Bcast | Proto::Mcast => (libc::SOCK_DGRAM, 0),
        Proto::Raw => (libc::SOCK_RAW, libc::IPPROTO_ICMP),
        Proto::Ping => (libc::SOCK_DGRAM, libc::IPPROTO_ICMP),
    }
}

fn step<T>(what: &str, r: Result<T, net::Errno>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {}", errno::name(e)))
}

/// Creates, binds and (TCP) starts listening one server of `row`.
fn open_server(t: &Table, row: &Row, s: &Server, port: u16) -> Result<OwnedFd, String> {
    let ctx = &t.ctxs[s.ctx];
    let domain = if s.bind == Bind::Dual {
        libc::AF_INET6
    } else {
        libc::AF_INET
    };
    let (ty, proto) = sock_args(row.proto);
    let fd = step("socket", net::socket(domain, ty, proto))?;
    if ctx.id != 0 {
        step(&format!("IP_VRCTX {}", ctx.id), net::set_ctx(&fd, ctx.id))?;
    }
    if s.bind == Bind::Dual {
        step(
            "IPV6_V6ONLY 0",
            net::set_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 0),
        )?;
    }
    if row.proto == Proto::Raw {
        step("ICMP_FILTER", net::icmp_filter(&fd, &[ICMP_ECHO]))?;
    }
    let addr = match s.bind {
        Bind::Dst => SocketAddr::V4(SocketAddrV4::new(row.dst, port)),
        Bind::Any => SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)),
        Bind::Dual => SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0)),
    };
    // An unbound raw socket sees every address.
    if row.proto != Proto::Raw || s.bind == Bind::Dst {
        step(&format!("bind {addr}"), net::bind(&fd, addr))?;
    }
    if row.proto == Proto::Tcp {
        step("listen", net::listen(&fd, 16))?;
    }
    if row.proto == Proto::Mcast {
        let ifindex = net::ifindex(&ctx.ifname)?;
        step(
            &format!("join {} on {}", row.dst, ctx.ifname),
            net::join(&fd, row.dst, ifindex),
        )?;
    }
    Ok(fd)
}

/// Handles what a server received: counts it and answers with its marker.
fn serve(s: &mut Srv, proto: Proto) {
    let marker = s.spec.token.as_bytes();
    let mut buf = [0u8; 512];
    loop {
        if proto == Proto::Tcp {
            match net::accept(&s.fd) {
                Ok((conn, peer)) => {
                    s.count += 1;
                    s.log.push(format!("connection from {}", show_addr(peer)));
                    if let Err(e) = net::send(&conn, marker) {
                        s.log.push(format!("send: {}", errno::name(e)));
                    }
                }
                Err(libc::EAGAIN) => return,
                Err(e) => {
                    s.log.push(format!("accept: {}", errno::name(e)));
                    return;
                }
            }
            continue;
        }
        match net::recv_from(&s.fd, &mut buf) {
            Ok((n, from)) => {
                s.count += 1;
                s.log.push(format!("{n} bytes from {}", show_addr(from)));
                if proto.echo() {
                    continue;
                }
                if let Some(to) = from {
                    if let Err(e) = net::send_to(&s.fd, marker, to) {
                        s.log.push(format!("answer to {to}: {}", errno::name(e)));
                    }
                }
            }
            Err(libc::EAGAIN) => return,
            Err(e) => {
                s.log.push(format!("recv: {}", errno::name(e)));
                return;
            }
        }
    }
}

fn show_addr(a: Option<SocketAddr>) -> String {
    a.map_or_else(|| "?".into(), |a| a.to_string())
}

/// Creates the client's socket in its context or namespace and prepares it.
fn prepare_client(t: &Table, row: &Row, port: u16) -> Result<OwnedFd, String> {
    let (ty, proto) = if row.proto.echo() {
        (libc::SOCK_DGRAM, libc::IPPROTO_ICMP)
    } else {
        sock_args(row.proto)
    };
    let fd = match &row.client {
        Client::Local(i) => {
            let fd = step("socket", net::socket(libc::AF_INET, ty, proto))?;
            let ctx = &t.ctxs[*i];
            if ctx.id != 0 {
                step(&format!("IP_VRCTX {}", ctx.id), net::set_ctx(&fd, ctx.id))?;
            }
            if row.proto == Proto::Mcast {
                let ifindex = net::ifindex(&ctx.ifname)?;
                step(
                    &format!("IP_MULTICAST_IF {}", ctx.ifname),
                    net::multicast_if(&fd, ifindex),
                )?;
            }
            fd
        }
        Client::Netns(ns) => net::socket_in_netns(ns, libc::AF_INET, ty, proto)?,
    };
    if row.proto == Proto::Bcast {
        step(
            "SO_BROADCAST",
            net::set_int(&fd, libc::SOL_SOCKET, libc::SO_BROADCAST, 1),
        )?;
    }
    if row.proto.echo() {
        // The ident is the row's port, like the decoys' in ping rows.
        let a = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port));
        step(&format!("bind ident {port}"), net::bind(&fd, a))?;
    }
    Ok(fd)
}

/// Sends (or starts connecting) from the prepared client socket.
fn start_client(
    prepared: Result<OwnedFd, String>,
    row: &Row,
    port: u16,
    notes: &mut Vec<String>,
) -> Cli {
    let fd = match prepared {
        Ok(fd) => fd,
        Err(e) => {
            notes.push(format!("client: {e}"));
            return Cli::done(Outcome::Other("client-setup-failed".into()));
        }
    };
    let tag = format!("vrctx-matrix row {}", row.id);
    let dst = SocketAddr::V4(SocketAddrV4::new(row.dst, port));
    let first = match row.proto {
        Proto::Tcp => net::connect(&fd, dst).map(|()| Phase::Connecting),
        Proto::Udp => net::connect(&fd, dst)
            .and_then(|()| net::send(&fd, tag.as_bytes()))
            .map(|_| Phase::Waiting),
        Proto::Bcast | Proto::Mcast => {
            net::send_to(&fd, tag.as_bytes(), dst).map(|_| Phase::Collecting(BTreeSet::new()))
        }
        Proto::Raw | Proto::Ping => {
            let to = SocketAddr::V4(SocketAddrV4::new(row.dst, 0));
            net::send_to(&fd, &echo_request(row.id as u16, tag.as_bytes()), to)
                .map(|_| Phase::Waiting)
        }
    };
    Cli {
        fd: Some(fd),
        phase: first.unwrap_or_else(|e| Phase::Done(Outcome::Errno(e))),
    }
}

/// What one row did.
struct RowResult {
    outcome: Outcome,
    seen: BTreeMap<String, u32>,
    notes: Vec<String>,
    elapsed: Duration,
}

impl RowResult {
    fn pass(&self, row: &Row) -> bool {
        let want: BTreeMap<String, u32> = row.seen.iter().map(|s| (s.clone(), 1)).collect();
        self.notes.is_empty() && self.outcome == row.expect && self.seen == want
    }
}

fn run_row(t: &Table, row: &Row, port: u16, o: &Opts) -> RowResult {
    let start = Instant::now();
    let mut notes = Vec::new();
    // The client's socket first (a ping client's ident is bound before
    // the decoys'), then the servers in table order.
    let prepared = prepare_client(t, row, port);
    let mut servers = Vec::new();
    for s in &row.servers {
        match open_server(t, row, s, port) {
            Ok(fd) => servers.push(Srv {
                spec: s,
                fd,
                count: 0,
                log: Vec::new(),
            }),
            Err(e) => notes.push(format!("server {}: {e}", s.token)),
        }
    }
    let mut client = start_client(prepared, row, port, &mut notes);
    let want = row.expect.implied_seen();
    let deadline = Instant::now() + o.wait;
    let mut end = deadline;
    let mut settled = false;
    loop {
        if !settled && client.settled(&want) {
            settled = true;
            end = Instant::now() + o.grace;
        }
        let now = Instant::now();
        if now >= end {
            break;
        }
        let mut fds: Vec<libc::pollfd> = servers
            .iter()
            .map(|s| net::pollfd(s.fd.as_raw_fd(), libc::POLLIN))
            .collect();
        let cev = client.events();
        if let (Some(fd), true) = (&client.fd, cev != 0) {
            fds.push(net::pollfd(fd.as_raw_fd(), cev));
        }
        if let Err(e) = net::poll(&mut fds, end - now) {
            notes.push(format!("poll: {}", errno::name(e)));
            break;
        }
        for (s, p) in servers.iter_mut().zip(&fds) {
            if p.revents != 0 {
                serve(s, row.proto);
            }
        }
        if cev != 0 && fds.last().is_some_and(|p| p.revents != 0) {
            client.on_event(row);
        }
    }
    let mut seen = BTreeMap::new();
    for s in &servers {
        if s.count > 0 {
            seen.insert(s.spec.token.clone(), s.count);
            if !row.seen.contains(&s.spec.token) || s.count > 1 {
                notes.push(format!("{}: {}", s.spec.token, s.log.join(", ")));
            }
        }
    }
    RowResult {
        outcome: client.finish(),
        seen,
        notes,
        elapsed: start.elapsed(),
    }
}

/// `OUTCOME`, plus ` seen=...` when the servers that received something are
/// not just the ones that answered (counts above 1 as `:N`).
fn describe(outcome: &Outcome, seen: &BTreeMap<String, u32>) -> String {
    let implied: BTreeMap<String, u32> =
        outcome.implied_seen().into_iter().map(|s| (s, 1)).collect();
    if *seen == implied {
        return outcome.to_string();
    }
    let list: Vec<String> = seen
        .iter()
        .map(|(s, n)| {
            if *n == 1 {
                s.clone()
            } else {
                format!("{s}:{n}")
            }
        })
        .collect();
    let list = if list.is_empty() {
        "-".into()
    } else {
        list.join(",")
    };
    format!("{outcome} seen={list}")
}

fn row_inputs(t: &Table, row: &Row) -> String {
    let servers: Vec<&str> = row.servers.iter().map(|s| s.token.as_str()).collect();
    let servers = if servers.is_empty() {
        "-".to_string()
    } else {
        servers.join(",")
    };
    format!(
        "{:>3} {:<5} {:<6} {:<15} {:<22}",
        row.id,
        row.proto.name(),
        t.client_name(&row.client),
        row.dst.to_string(),
        servers
    )
}

fn load(file: &str) -> Result<Table, String> {
    let text = if file == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| format!("stdin: {e}"))?
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?
    };
    Table::parse(&text).map_err(|e| format!("{file}: {e}"))
}

pub(crate) fn cmd(args: &[String]) -> ExitCode {
    let (o, t) = match parse_opts(args).and_then(|o| load(&o.file).map(|t| (o, t))) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("vrctx-probe matrix: {e}");
            return ExitCode::from(2);
        }
    };
    if usize::from(o.port_base) + t.rows.len() > usize::from(u16::MAX) {
        eprintln!(
            "vrctx-probe matrix: --port-base {} leaves no port for every row",
            o.port_base
        );
        return ExitCode::from(2);
    }
    let start = Instant::now();
    let (mut pass, mut failed) = (0, Vec::new());
    println!(
        "row proto client dst             servers                expect                   got                      result"
    );
    for row in &t.rows {
        if o.only
            .as_ref()
            .is_some_and(|only| !only.contains(&row.proto))
        {
            continue;
        }
        let port = o.port_base + row.id as u16;
        let want_seen: BTreeMap<String, u32> = row.seen.iter().map(|s| (s.clone(), 1)).collect();
        if o.dry_run {
            println!(
                "{} {}",
                row_inputs(&t, row),
                describe(&row.expect, &want_seen)
            );
            continue;
        }
        let r = run_row(&t, row, port, &o);
        let ok = r.pass(row);
        println!(
            "{} {:<24} {:<24} {} ({} ms)",
            row_inputs(&t, row),
            describe(&row.expect, &want_seen),
            describe(&r.outcome, &r.seen),
            if ok { "PASS" } else { "FAIL" },
            r.elapsed.as_millis()
        );
        for n in &r.notes {
            println!("      {n}");
        }
        if ok {
            pass += 1;
        } else {
            failed.push(row.id);
        }
    }
    if o.dry_run {
        return ExitCode::SUCCESS;
    }
    let ids: Vec<String> = failed.iter().map(|i| i.to_string()).collect();
    println!(
        "matrix: {} rows, {pass} passed, {} failed in {:.1} s{}",
        pass + failed.len(),
        failed.len(),
        start.elapsed().as_secs_f64(),
        if ids.is_empty() {
            String::new()
        } else {
            format!(" (rows {})", ids.join(" "))
        }
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn options() {
        let o = parse_opts(&args(
            "--only tcp,udp --port-base 30000 --wait 300 --grace 10 t.tab",
        ))
        .unwrap();
        assert_eq!(o.only, Some(vec![Proto::Tcp, Proto::Udp]));
        assert_eq!(o.port_base, 30000);
        assert_eq!(o.wait, Duration::from_millis(300));
        assert_eq!(o.grace, Duration::from_millis(10));
        assert_eq!(o.file, "t.tab");
        assert!(!o.dry_run);
        assert!(parse_opts(&args("--dry-run -")).unwrap().dry_run);
        assert_eq!(parse_opts(&args("-")).unwrap().file, "-");
        assert!(parse_opts(&args("")).is_err());
        assert!(parse_opts(&args("--only sctp x")).is_err());
        assert!(parse_opts(&args("--wait x x")).is_err());
        assert!(parse_opts(&args("a b")).is_err());
        assert!(parse_opts(&args("--frob a")).is_err());
    }

    #[test]
    fn describes() {
        let seen = |s: &[(&str, u32)]| -> BTreeMap<String, u32> {
            s.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        let red = Outcome::Answer(vec!["red".into()]);
        assert_eq!(describe(&red, &seen(&[("red", 1)])), "red");
        assert_eq!(
            describe(&red, &seen(&[("red", 1), ("blue*", 1)])),
            "red seen=blue*,red"
        );
        assert_eq!(describe(&red, &seen(&[("red", 2)])), "red seen=red:2");
        assert_eq!(describe(&red, &seen(&[])), "red seen=-");
        let refused = Outcome::Errno(libc::ECONNREFUSED);
        assert_eq!(describe(&refused, &seen(&[])), "ECONNREFUSED");
        assert_eq!(
            describe(&Outcome::Reply, &seen(&[("red*", 1)])),
            "reply seen=red*"
        );
    }

    #[test]
    fn echo_packets() {
        let p = echo_request(0x1234, b"x");
        assert_eq!(p, [8, 0, 0, 0, 0, 0, 0x12, 0x34, b'x']);
        let mut r = p.clone();
        r[0] = ICMP_ECHOREPLY;
        assert!(is_echo_reply(&r, 0x1234));
        assert!(!is_echo_reply(&r, 0x1235));
        assert!(!is_echo_reply(&p, 0x1234));
        assert!(!is_echo_reply(&r[..7], 0x1234));
    }

    /// Runs a small table on the build host's loopback (context 0 only):
    /// the engine itself, without contexts.
    #[test]
    fn loopback_rows_on_the_host() {
        let t = Table::parse(
            "ctx zero 0 lo\n\
             tcp  zero 127.0.0.1 zero  zero\n\
             tcp  zero 127.0.0.1 -     ECONNREFUSED\n\
             udp  zero 127.0.0.1 zero* zero*\n\
             udp  zero 127.0.0.1 -     ECONNREFUSED\n\
             tcp  zero 127.0.0.1 zero* zero*\n",
        )
        .unwrap();
        let o = Opts {
            only: None,
            port_base: 0,
            wait: Duration::from_millis(500),
            grace: Duration::from_millis(20),
            dry_run: false,
            file: String::new(),
        };
        for row in &t.rows {
            // A free port: bind port 0 and read it back is not possible
            // through the table, so use a high port derived from the pid.
            let port = 21000 + (std::process::id() % 8000) as u16 + row.id as u16 * 3;
            let r = run_row(&t, row, port, &o);
            assert!(
                r.pass(row),
                "row {}: got {} notes {:?}",
                row.id,
                describe(&r.outcome, &r.seen),
                r.notes
            );
        }
    }
}
