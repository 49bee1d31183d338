// SPDX-License-Identifier: GPL-2.0-only
//! `vrctx-probe matrix`: the leak matrix. Runs a table of rows (see
//! `table.rs` for the format), each one a set of servers in contexts and
//! one or more clients in a context or a peer namespace, and checks what
//! each client gets and that no server outside the expected ones received
//! anything.
//!
//! ```text
//! vrctx-probe matrix [--only PROTO[,PROTO]...] [--port-base N]
//!                    [--wait MS] [--grace MS] [--dry-run] FILE|-
//! ```
//!
//! Everything runs in one thread with non-blocking sockets and `poll`:
//! servers count what they receive and answer with their marker; a client
//! waits up to `--wait` ms (default 400) for its answer (an answer that
//! never comes is `ETIMEDOUT`), then the servers are watched for `--grace`
//! ms more (default 60) for late copies. Nothing is retried. Prints one line
//! per row (inputs, expected, got, PASS/FAIL) and a summary; exits 1 if any
//! row failed, 2 on a usage or table error. `--dry-run` checks the table
//! and lists its rows without running them.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::errno;
use crate::net;

pub(crate) mod packet;
mod table;

use table::{implied_seen, Bind, Client, Outcome, Place, Proto, Row, Server, Table};

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
    /// Accepted TCP connections, kept open until the row ends.
    conns: Vec<OwnedFd>,
    /// What it received, for the report of a failing row.
    log: Vec<String>,
}

/// Where a client is.
enum Phase {
    /// TCP connect in progress.
    Connecting,
    /// TCP connected, reading the marker up to its newline.
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
    fn settled(&self, want: &Outcome) -> bool {
        match (&self.phase, want) {
            (Phase::Done(_), _) => true,
            (Phase::Collecting(got), Outcome::Answer(w)) => w.iter().all(|m| got.contains(m)),
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

    /// The outcome so far (no answer yet: `ETIMEDOUT`).
    fn outcome(&self) -> Outcome {
        match &self.phase {
            Phase::Done(o) => o.clone(),
            Phase::Collecting(got) if !got.is_empty() => {
                Outcome::Answer(got.iter().cloned().collect())
            }
            Phase::Reading(buf) if !buf.is_empty() => {
                Outcome::Other(format!("partial:{}", String::from_utf8_lossy(buf)))
            }
            Phase::Reading(_) => Outcome::Other("connected-silent".into()),
            _ => Outcome::Errno(libc::ETIMEDOUT),
        }
    }

    /// Handles poll events on the client socket.
    fn on_event(&mut self, row: &Row, seq: u16) {
        let Some(fd) = &self.fd else { return };
        let mut buf = [0u8; 512];
        let text = |b: &[u8]| String::from_utf8_lossy(b).trim_end().to_string();
        let next = match &mut self.phase {
            Phase::Connecting => match net::so_error(fd) {
                Ok(()) => Some(Phase::Reading(Vec::new())),
                Err(e) => Some(Phase::Done(Outcome::Errno(e))),
            },
            Phase::Reading(got) => match net::recv_from(fd, &mut buf) {
                Ok((0, _)) if got.is_empty() => Some(Phase::Done(Outcome::Other("eof".into()))),
                Ok((0, _)) => Some(Phase::Done(Outcome::Other(format!(
                    "partial:{}",
                    text(got)
                )))),
                Ok((n, _)) => {
                    got.extend_from_slice(&buf[..n]);
                    got.iter()
                        .position(|b| *b == b'\n')
                        .map(|i| Phase::Done(Outcome::Answer(vec![text(&got[..i])])))
                }
                Err(libc::EAGAIN) => None,
                Err(e) => Some(Phase::Done(Outcome::Errno(e))),
            },
            Phase::Waiting if row.proto.echo() => loop {
                match net::recv_from(fd, &mut buf) {
                    Ok((n, _)) if is_echo_reply(&buf[..n], seq) => {
                        break Some(Phase::Done(Outcome::Reply));
                    }
                    Ok(_) => continue,
                    Err(libc::EAGAIN) => break None,
                    Err(e) => break Some(Phase::Done(Outcome::Errno(e))),
                }
            },
            Phase::Waiting => match net::recv_from(fd, &mut buf) {
                Ok((n, _)) => Some(Phase::Done(Outcome::Answer(vec![text(&buf[..n])]))),
                Err(libc::EAGAIN) => None,
                Err(e) => Some(Phase::Done(Outcome::Errno(e))),
            },
            Phase::Collecting(got) => {
                while let Ok((n, _)) = net::recv_from(fd, &mut buf) {
                    got.insert(text(&buf[..n]));
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
        Proto::Udp | Proto::Bcast | Proto::Mcast | Proto::Frag => (libc::SOCK_DGRAM, 0),
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
    if let Some(dev) = &s.dev {
        step(
            &format!("SO_BINDTODEVICE {dev}"),
            net::bind_device(&fd, dev),
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
        match s.join_addr {
            Some(a) => step(
                &format!("join {} by address {a}", row.dst),
                net::join_by_addr(&fd, row.dst, a),
            )?,
            None => {
                let ifindex = net::ifindex(&ctx.ifname)?;
                step(
                    &format!("join {} on {}", row.dst, ctx.ifname),
                    net::join(&fd, row.dst, ifindex),
                )?;
            }
        }
    }
    Ok(fd)
}

/// Handles what a server received: counts it and answers with its marker
/// (TCP: with a newline; the connection is kept, or closed at once when
/// `close` — the server closes first).
fn serve(s: &mut Srv, proto: Proto, close: bool) {
    let marker = s.spec.token.as_bytes();
    let mut buf = [0u8; 512];
    loop {
        if proto == Proto::Tcp {
            match net::accept(&s.fd) {
                Ok((conn, peer)) => {
                    s.count += 1;
                    s.log.push(format!("connection from {}", show_addr(peer)));
                    let line = [marker, b"\n"].concat();
                    if let Err(e) = net::send(&conn, &line) {
                        s.log.push(format!("send: {}", errno::name(e)));
                    }
                    if !close {
                        s.conns.push(conn);
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

/// A client's sockets before it sends anything.
struct Prepared {
    fd: OwnedFd,
    /// frag: the raw socket the fragments go out of.
    raw: Option<OwnedFd>,
    /// An error of the UDP connect(), which is the client's outcome.
    early: Option<net::Errno>,
}

/// A socket of the client's type in its context or namespace.
fn client_socket(t: &Table, c: &Client, ty: i32, proto: i32) -> Result<OwnedFd, String> {
    match &c.place {
        Place::Local(i) => {
            let fd = step("socket", net::socket(libc::AF_INET, ty, proto))?;
            let ctx = &t.ctxs[*i];
            if ctx.id != 0 {
                step(&format!("IP_VRCTX {}", ctx.id), net::set_ctx(&fd, ctx.id))?;
            }
            Ok(fd)
        }
        Place::Netns(ns) => net::socket_in_netns(ns, libc::AF_INET, ty, proto),
    }
}

/// Creates a client's socket(s) in its context or namespace, binds them,
/// and connects a UDP client (which sends nothing yet).
fn prepare_client(t: &Table, row: &Row, c: &Client, port: u16) -> Result<Prepared, String> {
    let (ty, proto) = if row.proto.echo() {
        (libc::SOCK_DGRAM, libc::IPPROTO_ICMP)
    } else {
        sock_args(row.proto)
    };
    let fd = client_socket(t, c, ty, proto)?;
    if let (Proto::Mcast, Place::Local(i)) = (row.proto, &c.place) {
        let ifname = &t.ctxs[*i].ifname;
        let ifindex = net::ifindex(ifname)?;
        step(
            &format!("IP_MULTICAST_IF {ifname}"),
            net::multicast_if(&fd, ifindex),
        )?;
    }
    if row.proto == Proto::Bcast {
        step(
            "SO_BROADCAST",
            net::set_int(&fd, libc::SOL_SOCKET, libc::SO_BROADCAST, 1),
        )?;
    }
    if row.proto.echo() {
        // The ident is the row's port, like the decoys' in ping rows.
        let ident = c.sport.unwrap_or(port);
        let a = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, ident));
        step(&format!("bind ident {ident}"), net::bind(&fd, a))?;
    } else if let Some(sport) = c.sport {
        // Earlier rows may have left TIME_WAIT sockets on this port.
        step(
            "SO_REUSEADDR",
            net::set_int(&fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1),
        )?;
        let a = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, sport));
        step(&format!("bind port {sport}"), net::bind(&fd, a))?;
    }
    let mut early = None;
    if matches!(row.proto, Proto::Udp | Proto::Frag) {
        let dst = SocketAddr::V4(SocketAddrV4::new(row.dst, port));
        early = net::connect(&fd, dst).err();
    }
    let raw = if row.proto == Proto::Frag {
        Some(client_socket(t, c, libc::SOCK_RAW, libc::IPPROTO_RAW)?)
    } else {
        None
    };
    Ok(Prepared { fd, raw, early })
}

/// Two IP fragments to send from a raw socket.
struct Fragments {
    raw: OwnedFd,
    frags: [Vec<u8>; 2],
}

/// Sends (or starts connecting) from a prepared client; a frag client
/// returns its fragments instead of sending them.
fn start_client(
    prepared: Result<Prepared, String>,
    row: &Row,
    k: usize,
    port: u16,
    notes: &mut Vec<String>,
) -> (Cli, Option<Fragments>) {
    let p = match prepared {
        Ok(p) => p,
        Err(e) => {
            notes.push(format!("client {}: {e}", k + 1));
            return (
                Cli::done(Outcome::Other("client-setup-failed".into())),
                None,
            );
        }
    };
    if let Some(e) = p.early {
        return (
            Cli {
                fd: Some(p.fd),
                phase: Phase::Done(Outcome::Errno(e)),
            },
            None,
        );
    }
    let tag = format!("vrctx-matrix row {} client {}", row.id, k + 1);
    let dst = SocketAddr::V4(SocketAddrV4::new(row.dst, port));
    let fd = p.fd;
    let mut frags = None;
    let first = match row.proto {
        Proto::Tcp => net::connect(&fd, dst).map(|()| Phase::Connecting),
        Proto::Udp => net::send(&fd, tag.as_bytes()).map(|_| Phase::Waiting),
        Proto::Bcast | Proto::Mcast => {
            net::send_to(&fd, tag.as_bytes(), dst).map(|_| Phase::Collecting(BTreeSet::new()))
        }
        Proto::Raw | Proto::Ping => {
            let to = SocketAddr::V4(SocketAddrV4::new(row.dst, 0));
            net::send_to(&fd, &echo_request(seq(row), tag.as_bytes()), to).map(|_| Phase::Waiting)
        }
        Proto::Frag => match (net::local_addr(&fd), p.raw) {
            (Ok(SocketAddr::V4(src)), Some(raw)) => {
                let payload = format!("{tag:<48}");
                let udp = packet::udp(src, SocketAddrV4::new(row.dst, port), payload.as_bytes());
                frags = Some(Fragments {
                    raw,
                    frags: packet::fragments(*src.ip(), row.dst, seq(row), &udp),
                });
                Ok(Phase::Waiting)
            }
            (Err(e), _) => Err(e),
            _ => Err(libc::EAFNOSUPPORT),
        },
    };
    (
        Cli {
            fd: Some(fd),
            phase: first.unwrap_or_else(|e| Phase::Done(Outcome::Errno(e))),
        },
        frags,
    )
}

/// The row's ICMP sequence number and IP id.
fn seq(row: &Row) -> u16 {
    row.id as u16
}

/// Polls the servers (and `client`, if any) until the client is settled
/// plus the grace time, or `wait` has passed.
fn run_phase(
    servers: &mut [Srv],
    mut client: Option<(&mut Cli, &Outcome)>,
    close: bool,
    row: &Row,
    o: &Opts,
    notes: &mut Vec<String>,
) {
    let deadline = Instant::now() + o.wait;
    let mut end = deadline;
    let mut settled = false;
    loop {
        let ready = client.as_ref().is_none_or(|(c, want)| c.settled(want));
        if !settled && ready {
            settled = true;
            end = Instant::now() + o.grace;
        }
        let now = Instant::now();
        if now >= end {
            return;
        }
        let mut fds: Vec<libc::pollfd> = servers
            .iter()
            .map(|s| net::pollfd(s.fd.as_raw_fd(), libc::POLLIN))
            .collect();
        let mut cev = 0;
        if let Some((c, _)) = &client {
            cev = c.events();
            if let (Some(fd), true) = (&c.fd, cev != 0) {
                fds.push(net::pollfd(fd.as_raw_fd(), cev));
            }
        }
        if let Err(e) = net::poll(&mut fds, end - now) {
            notes.push(format!("poll: {}", errno::name(e)));
            return;
        }
        for (s, p) in servers.iter_mut().zip(&fds) {
            if p.revents != 0 {
                serve(s, row.proto, close);
            }
        }
        if let Some((c, _)) = &mut client {
            if cev != 0 && fds.last().is_some_and(|p| p.revents != 0) {
                c.on_event(row, seq(row));
            }
        }
    }
}

/// What one row did.
struct RowResult {
    outcomes: Vec<Outcome>,
    seen: BTreeMap<String, u32>,
    notes: Vec<String>,
    elapsed: Duration,
}

impl RowResult {
    fn pass(&self, row: &Row) -> bool {
        self.notes.is_empty() && self.outcomes == row.expect && self.seen == row.seen
    }
}

fn run_row(t: &Table, row: &Row, port: u16, o: &Opts) -> RowResult {
    let start = Instant::now();
    let mut notes = Vec::new();
    // The clients' sockets first (a ping client's ident is bound before
    // the decoys'), then the servers in table order.
    let mut prepared: Vec<Option<Result<Prepared, String>>> = row
        .clients
        .iter()
        .map(|c| Some(prepare_client(t, row, c, port)))
        .collect();
    let mut servers = Vec::new();
    for s in &row.servers {
        match open_server(t, row, s, port) {
            Ok(fd) => servers.push(Srv {
                spec: s,
                fd,
                count: 0,
                conns: Vec::new(),
                log: Vec::new(),
            }),
            Err(e) => notes.push(format!("server {}: {e}", s.token)),
        }
    }
    // frag: every client's first fragment, then every second one.
    let mut started: Vec<Option<Cli>> = Vec::new();
    if row.proto == Proto::Frag {
        let mut all = Vec::new();
        for (k, p) in prepared.iter_mut().enumerate() {
            let p = p.take().unwrap_or_else(|| Err("prepared twice".into()));
            let (cli, frags) = start_client(p, row, k, port, &mut notes);
            started.push(Some(cli));
            all.push(frags);
        }
        let to = SocketAddr::V4(SocketAddrV4::new(row.dst, 0));
        for i in 0..2 {
            for (k, f) in all.iter().enumerate() {
                let Some(f) = f else { continue };
                if let Err(e) = net::send_to(&f.raw, &f.frags[i], to) {
                    if let Some(c) = started[k].as_mut() {
                        c.phase = Phase::Done(Outcome::Errno(e));
                    }
                }
            }
        }
    }
    let mut outcomes = Vec::new();
    let mut kept = Vec::new();
    for (k, c) in row.clients.iter().enumerate() {
        let mut cli = match started.get_mut(k).and_then(Option::take) {
            Some(cli) => cli,
            None => {
                let p = prepared[k]
                    .take()
                    .unwrap_or_else(|| Err("prepared twice".into()));
                start_client(p, row, k, port, &mut notes).0
            }
        };
        run_phase(
            &mut servers,
            Some((&mut cli, &row.expect[k])),
            c.close,
            row,
            o,
            &mut notes,
        );
        outcomes.push(cli.outcome());
        if c.close {
            // The server closed first; now the client: the server's side
            // goes to TIME_WAIT before the next client starts.
            drop(cli);
            run_phase(&mut servers, None, true, row, o, &mut notes);
        } else {
            kept.push(cli);
        }
    }
    let mut seen = BTreeMap::new();
    for s in &servers {
        if s.count > 0 {
            seen.insert(s.spec.token.clone(), s.count);
            if row.seen.get(&s.spec.token) != Some(&s.count) {
                notes.push(format!("{}: {}", s.spec.token, s.log.join(", ")));
            }
        }
    }
    drop(kept);
    RowResult {
        outcomes,
        seen,
        notes,
        elapsed: start.elapsed(),
    }
}

/// `OUTCOME[/OUTCOME...]`, plus ` seen=...` when the servers that received
/// something are not just the ones that answered (counts above 1 as `:N`).
fn describe(outcomes: &[Outcome], seen: &BTreeMap<String, u32>) -> String {
    let text: Vec<String> = outcomes.iter().map(Outcome::to_string).collect();
    let text = text.join("/");
    if *seen == implied_seen(outcomes) {
        return text;
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
    format!("{text} seen={list}")
}

fn servers_text(row: &Row) -> String {
    let servers: Vec<&str> = row.servers.iter().map(|s| s.token.as_str()).collect();
    if servers.is_empty() {
        "-".to_string()
    } else {
        servers.join(",")
    }
}

/// Column widths: wide enough for every row of the table.
struct Widths {
    client: usize,
    servers: usize,
    expect: usize,
}

impl Widths {
    fn of(t: &Table) -> Self {
        let max =
            |f: &dyn Fn(&Row) -> usize, min: usize| t.rows.iter().map(f).fold(min, usize::max);
        Widths {
            client: max(&|r| r.clients_text.len(), 6),
            servers: max(&|r| servers_text(r).len(), 7),
            expect: max(&|r| describe(&r.expect, &r.seen).len(), 6),
        }
    }

    fn header(&self, dry_run: bool) -> String {
        let h = format!(
            "row proto {:<c$} {:<15} {:<s$} expect",
            "client",
            "dst",
            "servers",
            c = self.client,
            s = self.servers,
        );
        if dry_run {
            h
        } else {
            format!(
                "{h:<w$} {:<e$} result",
                "got",
                w = h.len() - 6 + self.expect,
                e = self.expect
            )
        }
    }

    fn inputs(&self, row: &Row) -> String {
        format!(
            "{:>3} {:<5} {:<c$} {:<15} {:<s$}",
            row.id,
            row.proto.name(),
            row.clients_text,
            row.dst.to_string(),
            servers_text(row),
            c = self.client,
            s = self.servers
        )
    }
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
    let w = Widths::of(&t);
    println!("{}", w.header(o.dry_run));
    for row in &t.rows {
        if o.only
            .as_ref()
            .is_some_and(|only| !only.contains(&row.proto))
        {
            continue;
        }
        let port = o.port_base + row.id as u16;
        if o.dry_run {
            println!("{} {}", w.inputs(row), describe(&row.expect, &row.seen));
            continue;
        }
        let r = run_row(&t, row, port, &o);
        let ok = r.pass(row);
        println!(
            "{} {:<e$} {:<e$} {} ({} ms)",
            w.inputs(row),
            describe(&row.expect, &row.seen),
            describe(&r.outcomes, &r.seen),
            if ok { "PASS" } else { "FAIL" },
            r.elapsed.as_millis(),
            e = w.expect
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
        let red = || Outcome::Answer(vec!["red".into()]);
        assert_eq!(describe(&[red()], &seen(&[("red", 1)])), "red");
        assert_eq!(
            describe(&[red()], &seen(&[("red", 1), ("blue*", 1)])),
            "red seen=blue*,red"
        );
        assert_eq!(describe(&[red()], &seen(&[("red", 2)])), "red seen=red:2");
        assert_eq!(describe(&[red(), red()], &seen(&[("red", 2)])), "red/red");
        assert_eq!(describe(&[red()], &seen(&[])), "red seen=-");
        let refused = Outcome::Errno(libc::ECONNREFUSED);
        assert_eq!(describe(&[refused], &seen(&[])), "ECONNREFUSED");
        assert_eq!(
            describe(&[Outcome::Reply], &seen(&[("red*", 1)])),
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
             tcp  zero 127.0.0.1 zero* zero*\n\
             tcp  zero+zero! 127.0.0.1 zero zero/zero\n\
             udp  zero+zero 127.0.0.1 zero zero/zero\n",
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
            // Ports derived from the pid, below the ephemeral range.
            let port = 21000 + (std::process::id() % 8000) as u16 + row.id as u16 * 3;
            let r = run_row(&t, row, port, &o);
            assert!(
                r.pass(row),
                "row {}: got {} notes {:?}",
                row.id,
                describe(&r.outcomes, &r.seen),
                r.notes
            );
        }
    }
}
