// SPDX-License-Identifier: GPL-2.0-only
//! The leak matrix's text table: what each row sets up and what it expects.
//!
//! ```text
//! # comment (anywhere; to the end of the line)
//! ctx NAME ID IFNAME                 a context: its id and its interface
//! PROTO CLIENTS DST SERVERS EXPECT [SEEN]
//! ```
//!
//! - PROTO: `tcp`, `udp` (connected client), `bcast` (UDP to a broadcast
//!   address), `mcast` (UDP to a group; servers join it on their context's
//!   interface), `raw` (raw ICMP sockets as servers, a ping socket as the
//!   client), `ping` (a ping socket as the client, ping sockets with the
//!   same ident as decoys), `frag` (a UDP datagram sent as two IP fragments
//!   through a raw socket, with the row number as IP id; with several
//!   clients, every client's first fragment goes out before any second
//!   one). A comma list (`tcp,udp`) makes one row per protocol.
//! - CLIENTS: one client or several joined by `+`, each `WHERE[@PORT][!]`:
//!   WHERE is a context's NAME (a local socket in that context) or the name
//!   of a network namespace in /run/netns (a peer); `@PORT` binds the
//!   client's source port (a ping client's ident); `!` closes the
//!   connection before the next client starts, the server first (so the
//!   server's side of a TCP connection is in TIME_WAIT). Several clients
//!   run one after the other; every client's socket is created, bound (and
//!   for UDP connected) before anything is sent, and stays open until the
//!   row ends unless `!`.
//! - DST: the IPv4 address the clients send to (port: the row's).
//! - SERVERS: `-` or a comma list of `NAME` (bound to DST in context NAME),
//!   `NAME*` (bound to 0.0.0.0 in NAME; a raw one stays unbound) and `NAME6`
//!   (`[::]` with IPV6_V6ONLY=0, IPv4-mapped, in NAME; tcp, udp, bcast,
//!   mcast and frag), each optionally followed by `%IF` (SO_BINDTODEVICE IF)
//!   and, for mcast, `@ADDR` (join the group by interface address ADDR
//!   rather than by the context's interface index). Each server answers
//!   with its token as the marker and keeps TCP connections open.
//! - EXPECT: what each client gets, joined by `/` (one per client): a
//!   server's token; for bcast and mcast possibly several joined by `+`;
//!   `reply` (raw, ping: the ICMP echo reply came back to the client); or
//!   an errno (`ECONNREFUSED`, `ETIMEDOUT` = no answer in time,
//!   `ENETUNREACH`, ...).
//! - SEEN: the servers that must receive something, `TOKEN` (once) or
//!   `TOKEN:N` (N times); every other server of the row must receive
//!   nothing. Default: the tokens in EXPECT, as often as they appear there
//!   (none for `reply` or an errno); `-` for none.
//!
//! Rows are numbered from 1 in table order; row N uses port BASE + N. The
//! clients' sockets are created first, then the servers in the listed
//! order, then the clients send: list the server that must answer first,
//! so that a lookup that ignored contexts would meet the others first (the
//! newest socket of a hash chain comes first, also for ping idents).

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;

use crate::errno;

/// The protocol a row exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proto {
    Tcp,
    Udp,
    Bcast,
    Mcast,
    Raw,
    Ping,
    Frag,
}

impl Proto {
    pub(crate) const ALL: [Proto; 7] = [
        Proto::Tcp,
        Proto::Udp,
        Proto::Bcast,
        Proto::Mcast,
        Proto::Raw,
        Proto::Ping,
        Proto::Frag,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Bcast => "bcast",
            Proto::Mcast => "mcast",
            Proto::Raw => "raw",
            Proto::Ping => "ping",
            Proto::Frag => "frag",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                format!("unknown protocol '{s}' (tcp, udp, bcast, mcast, raw, ping, frag)")
            })
    }

    /// Whether the client collects answers from several servers.
    pub(crate) fn collects(self) -> bool {
        matches!(self, Proto::Bcast | Proto::Mcast)
    }

    /// Whether the client is an ICMP echo (ping socket) client.
    pub(crate) fn echo(self) -> bool {
        matches!(self, Proto::Raw | Proto::Ping)
    }
}

/// A context of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ctx {
    pub(crate) name: String,
    pub(crate) id: u32,
    /// Its interface (multicast joins and the multicast output interface).
    pub(crate) ifname: String,
}

/// Where a client runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Place {
    /// A socket of this process in the context (index into `Table::ctxs`).
    Local(usize),
    /// A socket created in the network namespace /run/netns/NAME.
    Netns(String),
}

/// A client of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Client {
    pub(crate) place: Place,
    /// Source port (ping: ident) to bind.
    pub(crate) sport: Option<u16>,
    /// Close (server first) before the next client starts.
    pub(crate) close: bool,
}

/// What a server binds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bind {
    /// The row's destination address (`NAME`).
    Dst,
    /// 0.0.0.0 (`NAME*`).
    Any,
    /// `[::]`, dual stack (`NAME6`).
    Dual,
}

/// A server of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Server {
    /// Index into `Table::ctxs`.
    pub(crate) ctx: usize,
    pub(crate) bind: Bind,
    /// SO_BINDTODEVICE.
    pub(crate) dev: Option<String>,
    /// Multicast: join by this interface address instead of by index.
    pub(crate) join_addr: Option<Ipv4Addr>,
    /// Its token in the table, which is also its marker.
    pub(crate) token: String,
}

/// What a client ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The markers of the servers that answered (sorted).
    Answer(Vec<String>),
    /// The ICMP echo reply came back.
    Reply,
    /// An error (`ETIMEDOUT`: nothing came back in time).
    Errno(i32),
    /// Something no row can expect (said how, for the report).
    Other(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Answer(m) => f.write_str(&m.join("+")),
            Outcome::Reply => f.write_str("reply"),
            Outcome::Errno(e) => f.write_str(&errno::name(*e)),
            Outcome::Other(s) => f.write_str(s),
        }
    }
}

/// How often each server token occurs among the answers of `outcomes`.
pub(crate) fn implied_seen(outcomes: &[Outcome]) -> BTreeMap<String, u32> {
    let mut seen = BTreeMap::new();
    for o in outcomes {
        if let Outcome::Answer(m) = o {
            for t in m {
                *seen.entry(t.clone()).or_insert(0) += 1;
            }
        }
    }
    seen
}

/// One row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    /// 1-based number in the table.
    pub(crate) id: usize,
    /// Line in the table text.
    pub(crate) line: usize,
    pub(crate) proto: Proto,
    pub(crate) clients: Vec<Client>,
    /// The CLIENTS field as written.
    pub(crate) clients_text: String,
    pub(crate) dst: Ipv4Addr,
    pub(crate) servers: Vec<Server>,
    /// One per client.
    pub(crate) expect: Vec<Outcome>,
    /// How many messages each server must receive (absent: none).
    pub(crate) seen: BTreeMap<String, u32>,
}

/// A parsed table.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Table {
    pub(crate) ctxs: Vec<Ctx>,
    pub(crate) rows: Vec<Row>,
}

fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

impl Table {
    fn ctx_index(&self, name: &str) -> Option<usize> {
        self.ctxs.iter().position(|c| c.name == name)
    }

    /// Parses a server token: `NAME`, `NAME*` or `NAME6`, then `%IF`, then
    /// `@ADDR`.
    fn server(&self, tok: &str, proto: Proto) -> Result<Server, String> {
        let (rest, join_addr) = match tok.split_once('@') {
            Some((r, a)) => {
                let a: Ipv4Addr = a
                    .parse()
                    .map_err(|e| format!("server '{tok}': join address '{a}': {e}"))?;
                if proto != Proto::Mcast {
                    return Err(format!("server '{tok}': @ADDR is for mcast rows"));
                }
                (r, Some(a))
            }
            None => (tok, None),
        };
        let (base, dev) = match rest.split_once('%') {
            Some((b, d)) if is_word(d) => (b, Some(d.to_string())),
            Some(_) => return Err(format!("server '{tok}': bad interface after %")),
            None => (rest, None),
        };
        let (ctx, bind) = if let Some(i) = self.ctx_index(base) {
            (i, Bind::Dst)
        } else if let Some(i) = base.strip_suffix('*').and_then(|n| self.ctx_index(n)) {
            (i, Bind::Any)
        } else if let Some(i) = base.strip_suffix('6').and_then(|n| self.ctx_index(n)) {
            (i, Bind::Dual)
        } else {
            return Err(format!(
                "unknown server '{tok}' (a context name, NAME* or NAME6; contexts: {})",
                self.ctxs
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        if bind == Bind::Dual && proto.echo() {
            return Err(format!("'{tok}': no dual-stack {} sockets", proto.name()));
        }
        Ok(Server {
            ctx,
            bind,
            dev,
            join_addr,
            token: tok.to_string(),
        })
    }

    /// Parses one client: `WHERE[@PORT][!]`.
    fn client(&self, text: &str) -> Result<Client, String> {
        let (rest, close) = match text.strip_suffix('!') {
            Some(r) => (r, true),
            None => (text, false),
        };
        let (place, sport) = match rest.split_once('@') {
            Some((p, port)) => {
                let port: u16 = port
                    .parse()
                    .map_err(|e| format!("client '{text}': port '{port}': {e}"))?;
                if port == 0 {
                    return Err(format!("client '{text}': port 0"));
                }
                (p, Some(port))
            }
            None => (rest, None),
        };
        let place = match self.ctx_index(place) {
            Some(i) => Place::Local(i),
            None if is_word(place) => Place::Netns(place.to_string()),
            None => return Err(format!("bad client '{text}'")),
        };
        Ok(Client {
            place,
            sport,
            close,
        })
    }

    fn parse_ctx(&mut self, f: &[&str]) -> Result<(), String> {
        let [name, id, ifname] = f else {
            return Err("ctx NAME ID IFNAME".into());
        };
        let ok_name = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok_name {
            return Err(format!("bad context name '{name}'"));
        }
        if self.ctxs.iter().any(|c| {
            c.name == *name || format!("{}6", c.name) == *name || format!("{name}6") == c.name
        }) {
            return Err(format!("context name '{name}' clashes with another one"));
        }
        let id = id.parse().map_err(|e| format!("context id '{id}': {e}"))?;
        if self.ctxs.iter().any(|c| c.id == id) {
            return Err(format!("context id {id} declared twice"));
        }
        self.ctxs.push(Ctx {
            name: name.to_string(),
            id,
            ifname: ifname.to_string(),
        });
        Ok(())
    }

    /// Parses one client's expected outcome.
    fn outcome(proto: Proto, s: &str, has: &dyn Fn(&str) -> bool) -> Result<Outcome, String> {
        if s == "reply" {
            if !proto.echo() {
                return Err("'reply' is only for raw and ping rows".into());
            }
            return Ok(Outcome::Reply);
        }
        if let Some(e) = errno::parse(s) {
            return Ok(Outcome::Errno(e));
        }
        let mut m: Vec<String> = s.split('+').map(String::from).collect();
        if let Some(t) = m.iter().find(|t| !has(t)) {
            return Err(format!("expected answer '{t}' is not a server of the row"));
        }
        if proto.echo() {
            return Err(format!(
                "{} rows expect 'reply' or an errno (servers only watch)",
                proto.name()
            ));
        }
        if m.len() > 1 && !proto.collects() {
            return Err(format!("a {} client gets one answer", proto.name()));
        }
        m.sort();
        if m.windows(2).any(|w| w[0] == w[1]) {
            return Err("an answer listed twice".into());
        }
        Ok(Outcome::Answer(m))
    }

    fn parse_row(&self, proto: Proto, f: &[&str], id: usize, line: usize) -> Result<Row, String> {
        let clients = f[1]
            .split('+')
            .map(|c| self.client(c))
            .collect::<Result<Vec<_>, _>>()?;
        let dst: Ipv4Addr = f[2]
            .parse()
            .map_err(|e| format!("destination '{}': {e}", f[2]))?;
        if proto == Proto::Mcast && !dst.is_multicast() {
            return Err(format!("mcast destination {dst} is not a multicast group"));
        }
        let mut servers: Vec<Server> = Vec::new();
        if f[3] != "-" {
            for tok in f[3].split(',') {
                let s = self.server(tok, proto)?;
                if servers.iter().any(|o| o.token == s.token) {
                    return Err(format!("server '{tok}' listed twice"));
                }
                servers.push(s);
            }
        }
        let has = |t: &str| servers.iter().any(|s| s.token == t);
        let expect = f[4]
            .split('/')
            .map(|s| Self::outcome(proto, s, &has))
            .collect::<Result<Vec<_>, _>>()?;
        if expect.len() != clients.len() {
            return Err(format!(
                "{} clients but {} expected outcomes (one per client, joined by /)",
                clients.len(),
                expect.len()
            ));
        }
        let implied = implied_seen(&expect);
        let seen = match f.get(5) {
            None => implied.clone(),
            Some(&"-") => BTreeMap::new(),
            Some(list) => {
                let mut seen = BTreeMap::new();
                for item in list.split(',') {
                    let (t, n) = match item.split_once(':') {
                        Some((t, n)) => (
                            t,
                            n.parse::<u32>()
                                .ok()
                                .filter(|n| *n > 0)
                                .ok_or_else(|| format!("seen '{item}': bad count"))?,
                        ),
                        None => (item, 1),
                    };
                    if !has(t) {
                        return Err(format!("seen '{t}' is not a server of the row"));
                    }
                    if seen.insert(t.to_string(), n).is_some() {
                        return Err(format!("seen '{t}' listed twice"));
                    }
                }
                seen
            }
        };
        if implied
            .iter()
            .any(|(t, n)| seen.get(t).is_none_or(|s| s < n))
        {
            return Err("a server that answers must be in SEEN (as often)".into());
        }
        Ok(Row {
            id,
            line,
            proto,
            clients,
            clients_text: f[1].to_string(),
            dst,
            servers,
            expect,
            seen,
        })
    }

    /// Parses the table text.
    pub(crate) fn parse(text: &str) -> Result<Table, String> {
        let mut t = Table::default();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split('#').next().unwrap_or("");
            let f: Vec<&str> = content.split_whitespace().collect();
            if f.is_empty() {
                continue;
            }
            let r = if f[0] == "ctx" {
                if !t.rows.is_empty() {
                    Err("contexts come before the rows".to_string())
                } else {
                    t.parse_ctx(&f[1..])
                }
            } else if f.len() != 5 && f.len() != 6 {
                Err("want PROTO CLIENTS DST SERVERS EXPECT [SEEN]".to_string())
            } else {
                // PROTO may be a list: one row per protocol.
                f[0].split(',').try_for_each(|p| {
                    let id = t.rows.len() + 1;
                    let row = t.parse_row(Proto::parse(p)?, &f, id, line)?;
                    t.rows.push(row);
                    Ok(())
                })
            };
            r.map_err(|e| format!("line {line}: {e}: {}", raw.trim()))?;
        }
        if t.rows.is_empty() {
            return Err("the table has no rows".into());
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTXS: &str = "ctx red 1 vred\nctx blue 2 vblue\nctx zero 0 vzero\n";

    fn table(rows: &str) -> Result<Table, String> {
        Table::parse(&format!("{CTXS}{rows}"))
    }

    fn seen(s: &[(&str, u32)]) -> BTreeMap<String, u32> {
        s.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    fn answer(m: &[&str]) -> Outcome {
        Outcome::Answer(m.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn parses_rows() {
        let t = table(
            "# a comment\n\
             tcp  pred 10.0.0.1 red,blue*,zero6 red   # trailing comment\n\
             \n\
             udp  red  127.0.0.1 - ECONNREFUSED\n\
             mcast pblue 239.1.1.1 blue,red* blue+red*\n\
             raw  zero 10.9.0.1 zero*,red* reply zero*\n\
             ping red 10.0.0.2 blue* reply -\n\
             tcp,udp zero 127.0.0.1 zero zero\n",
        )
        .unwrap();
        assert_eq!(t.ctxs.len(), 3);
        assert_eq!(t.ctxs[2].id, 0);
        assert_eq!(t.rows.len(), 7);
        assert_eq!(
            (t.rows[5].proto, t.rows[5].id, t.rows[5].line),
            (Proto::Tcp, 6, 11)
        );
        assert_eq!(
            (t.rows[6].proto, t.rows[6].id, t.rows[6].line),
            (Proto::Udp, 7, 11)
        );
        let r = &t.rows[0];
        assert_eq!((r.id, r.line, r.proto), (1, 5, Proto::Tcp));
        assert_eq!(
            r.clients,
            [Client {
                place: Place::Netns("pred".into()),
                sport: None,
                close: false
            }]
        );
        assert_eq!(r.clients_text, "pred");
        assert_eq!(r.dst, Ipv4Addr::new(10, 0, 0, 1));
        let binds: Vec<_> = r.servers.iter().map(|s| (s.ctx, s.bind)).collect();
        assert_eq!(binds, [(0, Bind::Dst), (1, Bind::Any), (2, Bind::Dual)]);
        assert_eq!(r.expect, [answer(&["red"])]);
        assert_eq!(r.seen, seen(&[("red", 1)]));
        let r = &t.rows[1];
        assert_eq!(r.clients[0].place, Place::Local(0));
        assert!(r.servers.is_empty());
        assert_eq!(r.expect, [Outcome::Errno(libc::ECONNREFUSED)]);
        assert!(r.seen.is_empty());
        assert_eq!(t.rows[2].expect, [answer(&["blue", "red*"])]);
        assert_eq!(t.rows[2].seen, seen(&[("blue", 1), ("red*", 1)]));
        assert_eq!(t.rows[3].expect, [Outcome::Reply]);
        assert_eq!(t.rows[3].seen, seen(&[("zero*", 1)]));
        assert_eq!(t.rows[4].seen, seen(&[]));
    }

    #[test]
    fn several_clients() {
        let t = table(
            "tcp pred@4000!+pblue@4000 10.0.0.1 red,blue red/blue\n\
             udp red@5000+blue+red 127.0.0.1 red ECONNREFUSED/ETIMEDOUT/red red:2\n\
             tcp red+red 127.0.0.1 red red/red\n",
        )
        .unwrap();
        let r = &t.rows[0];
        assert_eq!(
            r.clients,
            [
                Client {
                    place: Place::Netns("pred".into()),
                    sport: Some(4000),
                    close: true
                },
                Client {
                    place: Place::Netns("pblue".into()),
                    sport: Some(4000),
                    close: false
                }
            ]
        );
        assert_eq!(r.expect, [answer(&["red"]), answer(&["blue"])]);
        assert_eq!(r.seen, seen(&[("red", 1), ("blue", 1)]));
        let r = &t.rows[1];
        assert_eq!(r.clients.len(), 3);
        assert_eq!(r.clients[0].place, Place::Local(0));
        assert_eq!(r.clients[1].place, Place::Local(1));
        assert_eq!(r.seen, seen(&[("red", 2)]));
        assert_eq!(t.rows[2].seen, seen(&[("red", 2)]));
    }

    #[test]
    fn server_options() {
        let t = table(
            "tcp pblue 10.0.0.1 red%vblue,zero*%vred ECONNREFUSED\n\
             mcast pred 239.1.1.1 red@10.0.0.1,blue*%vblue@10.0.0.1 red@10.0.0.1\n",
        )
        .unwrap();
        let s = &t.rows[0].servers;
        assert_eq!(
            (s[0].ctx, s[0].bind, s[0].dev.as_deref()),
            (0, Bind::Dst, Some("vblue"))
        );
        assert_eq!(
            (s[1].ctx, s[1].bind, s[1].dev.as_deref()),
            (2, Bind::Any, Some("vred"))
        );
        let s = &t.rows[1].servers;
        assert_eq!(s[0].join_addr, Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(
            (s[1].ctx, s[1].bind, s[1].dev.as_deref()),
            (1, Bind::Any, Some("vblue"))
        );
        assert_eq!(s[1].token, "blue*%vblue@10.0.0.1");
        assert_eq!(t.rows[1].expect, [answer(&["red@10.0.0.1"])]);
    }

    #[test]
    fn explicit_seen_with_an_errno() {
        let t = table("udp pred 10.0.0.1 blue ETIMEDOUT blue\n").unwrap();
        assert_eq!(t.rows[0].expect, [Outcome::Errno(libc::ETIMEDOUT)]);
        assert_eq!(t.rows[0].seen, seen(&[("blue", 1)]));
    }

    #[test]
    fn refuses_bad_rows() {
        for (row, why) in [
            ("sctp pred 10.0.0.1 red red", "unknown protocol"),
            ("tcp,sctp pred 10.0.0.1 red red", "unknown protocol"),
            ("tcp,raw pred 10.0.0.1 red red", "expect 'reply'"),
            ("tcp pred 10.0.0.1 red", "want PROTO"),
            ("tcp pred 10.0.0.1 red red red red", "want PROTO"),
            ("tcp pr/ed 10.0.0.1 red red", "bad client"),
            ("tcp pred@x 10.0.0.1 red red", "port 'x'"),
            ("tcp pred@0 10.0.0.1 red red", "port 0"),
            ("tcp pred+ 10.0.0.1 red red", "bad client"),
            ("tcp pred+pblue 10.0.0.1 red red", "2 clients but 1"),
            ("tcp pred 10.0.0.1 red red/red", "1 clients but 2"),
            ("tcp pred 10.0.0.256 red red", "destination"),
            ("tcp pred 10.0.0.1 green red", "unknown server 'green'"),
            ("tcp pred 10.0.0.1 red% red%", "bad interface"),
            ("tcp pred 10.0.0.1 red@10.0.0.1 red", "for mcast rows"),
            ("mcast pred 239.1.1.1 red@10.0.0 red", "join address"),
            ("tcp pred 10.0.0.1 red,red red", "listed twice"),
            ("tcp pred 10.0.0.1 red blue", "not a server of the row"),
            ("tcp pred 10.0.0.1 red,blue red+blue", "one answer"),
            ("udp pred 10.0.0.1 red reply", "only for raw and ping"),
            ("raw pred 10.0.0.1 red* red*", "expect 'reply'"),
            ("ping red 10.0.0.2 blue6 reply", "no dual-stack"),
            ("mcast pred 10.0.0.255 red red", "not a multicast group"),
            ("bcast pred 10.0.0.255 red,blue red+red", "listed twice"),
            (
                "bcast pred 10.0.0.255 red,blue red+blue red",
                "must be in SEEN",
            ),
            ("tcp red+red 127.0.0.1 red red/red red", "must be in SEEN"),
            ("udp pred 10.0.0.1 red ETIMEDOUT green", "not a server"),
            ("udp pred 10.0.0.1 red ETIMEDOUT red,red", "listed twice"),
            ("udp pred 10.0.0.1 red ETIMEDOUT red:0", "bad count"),
            ("udp pred 10.0.0.1 red ETIMEDOUT red:x", "bad count"),
            ("udp pred 10.0.0.1 red ECONNREFUSE", "not a server"),
        ] {
            let e = table(&format!("{row}\n")).unwrap_err();
            assert!(e.contains(why), "{row}: {e}");
            assert!(e.starts_with("line 4: "), "{row}: {e}");
        }
    }

    #[test]
    fn refuses_bad_contexts() {
        for (text, why) in [
            ("ctx red 1\n", "ctx NAME ID IFNAME"),
            ("ctx 1red 1 v\n", "bad context name"),
            ("ctx re*d 1 v\n", "bad context name"),
            ("ctx red 1 v\nctx red 2 w\n", "clashes"),
            ("ctx red 1 v\nctx red6 2 w\n", "clashes"),
            ("ctx red6 1 v\nctx red 2 w\n", "clashes"),
            ("ctx red 1 v\nctx blue 1 w\n", "declared twice"),
            ("ctx red x v\n", "context id"),
            (
                "ctx red 1 v\ntcp red 127.0.0.1 red red\nctx blue 2 w\n",
                "before the rows",
            ),
            ("ctx red 1 v\n", "no rows"),
        ] {
            let e = Table::parse(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn outcome_display_and_implied() {
        assert_eq!(answer(&["blue", "red"]).to_string(), "blue+red");
        assert_eq!(Outcome::Reply.to_string(), "reply");
        assert_eq!(Outcome::Errno(libc::ETIMEDOUT).to_string(), "ETIMEDOUT");
        assert_eq!(
            implied_seen(&[answer(&["red"]), Outcome::Reply, answer(&["red", "blue"])]),
            seen(&[("red", 2), ("blue", 1)])
        );
    }
}
