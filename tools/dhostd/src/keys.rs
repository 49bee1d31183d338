// SPDX-License-Identifier: GPL-2.0-only
//! The etcd layout under `/dhost/<addr>/`: keys, their JSON values, and
//! their parsing (anything else under the prefix is garbage, reported and
//! ignored).

use std::fmt;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

/// TCP or UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }

    /// The IP protocol number (IPPROTO_TCP, IPPROTO_UDP).
    pub fn number(self) -> u8 {
        match self {
            Proto::Tcp => 6,
            Proto::Udp => 17,
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        match s {
            "tcp" => Ok(Proto::Tcp),
            "udp" => Ok(Proto::Udp),
            _ => Err(format!("not a protocol (tcp or udp): \"{s}\"")),
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A key under the prefix, relative to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// `members/<N>`
    Member(u32),
    /// `ports/<proto>/<port>`
    Port(Proto, u16),
    /// `conns/tcp/<lport>/<raddr>:<rport>`
    Conn {
        lport: u16,
        raddr: Ipv4Addr,
        rport: u16,
    },
    /// `conflicts/<proto>/<port>/<N>`
    Conflict(Proto, u16, u32),
}

impl fmt::Display for Key {
    /// The key relative to the prefix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Member(n) => write!(f, "members/{n}"),
            Key::Port(p, port) => write!(f, "ports/{p}/{port}"),
            Key::Conn {
                lport,
                raddr,
                rport,
            } => write!(f, "conns/tcp/{lport}/{raddr}:{rport}"),
            Key::Conflict(p, port, n) => write!(f, "conflicts/{p}/{port}/{n}"),
        }
    }
}

/// The prefix of `addr`'s keys: `/dhost/<addr>/`.
pub fn prefix(addr: Ipv4Addr) -> String {
    format!("/dhost/{addr}/")
}

fn port(s: &str) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(0) => Err("port 0".into()),
        Ok(p) if !s.starts_with('+') => Ok(p),
        _ => Err("not a port".into()),
    }
}

fn member(s: &str, members: u32) -> Result<u32, String> {
    let n: u32 = s
        .parse()
        .ok()
        .filter(|_| !s.starts_with('+'))
        .ok_or_else(|| format!("\"{s}\" is not a member number"))?;
    in_range(n, members)
}

fn in_range(n: u32, members: u32) -> Result<u32, String> {
    if (1..=members).contains(&n) {
        Ok(n)
    } else {
        Err(format!("member {n} is out of range (1..={members})"))
    }
}

/// Parses a key relative to the prefix; `members` is M of "member N of M".
pub fn parse_key(rel: &str, members: u32) -> Result<Key, String> {
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.as_slice() {
        ["members", n] => Ok(Key::Member(member(n, members)?)),
        ["ports", p, n] => Ok(Key::Port(Proto::parse(p)?, port(n)?)),
        ["conns", "tcp", lport, remote] => {
            let lport = port(lport)?;
            let (a, p) = remote
                .rsplit_once(':')
                .ok_or_else(|| format!("\"{remote}\" is not ADDR:PORT"))?;
            let raddr: Ipv4Addr = a
                .parse()
                .map_err(|_| format!("\"{a}\" is not an IPv4 address"))?;
            Ok(Key::Conn {
                lport,
                raddr,
                rport: port(p)?,
            })
        }
        ["conns", p, ..] if *p != "tcp" => Err(format!("connections are tcp only, not \"{p}\"")),
        ["conflicts", p, n, m] => Ok(Key::Conflict(Proto::parse(p)?, port(n)?, member(m, members)?)),
        _ => Err("not a dhost key (members/N, ports/PROTO/PORT, conns/tcp/PORT/ADDR:PORT, conflicts/PROTO/PORT/N)".into()),
    }
}

/// The value of `members/<N>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberValue {
    pub mac: String,
    pub mgmt: String,
    pub ifindex: u32,
    /// The host's boot id and the daemon's pid: a daemon restarted on the
    /// same host takes over from a predecessor that is gone.
    #[serde(default)]
    pub boot: String,
    #[serde(default)]
    pub pid: u32,
}

/// The value of `ports/...` and `conns/...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerValue {
    pub member: u32,
}

/// The value of `conflicts/...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictValue {
    pub member: u32,
    pub owner: u32,
}

/// A valid entry: its key and what its value says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Member {
        member: u32,
        mac: [u8; 6],
        mgmt: String,
        ifindex: u32,
    },
    /// A port or a connection (`Key::Port` or `Key::Conn`) and its owner.
    Owned { key: Key, member: u32 },
    Conflict {
        proto: Proto,
        port: u16,
        member: u32,
        owner: u32,
    },
}

impl Entry {
    /// The member whose daemon writes this key.
    pub fn writer(&self) -> u32 {
        match self {
            Entry::Member { member, .. }
            | Entry::Owned { member, .. }
            | Entry::Conflict { member, .. } => *member,
        }
    }

    pub fn key(&self) -> Key {
        match self {
            Entry::Member { member, .. } => Key::Member(*member),
            Entry::Owned { key, .. } => key.clone(),
            Entry::Conflict {
                proto,
                port,
                member,
                ..
            } => Key::Conflict(*proto, *port, *member),
        }
    }
}

/// `52:54:00:00:00:03` as bytes.
pub fn parse_mac(s: &str) -> Result<[u8; 6], String> {
    let bad = || format!("\"{s}\" is not a hardware address");
    let mut mac = [0u8; 6];
    let mut parts = s.split(':');
    for b in mac.iter_mut() {
        let p = parts.next().ok_or_else(bad)?;
        if p.len() != 2 {
            return Err(bad());
        }
        *b = u8::from_str_radix(p, 16).map_err(|_| bad())?;
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(mac)
}

pub fn mac_text(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn json<'a, T: Deserialize<'a>>(value: &'a [u8], what: &str) -> Result<T, String> {
    serde_json::from_slice(value).map_err(|e| format!("not a {what} value ({e})"))
}

/// Parses a key (relative to the prefix) and its value.
pub fn parse_entry(rel: &str, value: &[u8], members: u32) -> Result<Entry, String> {
    let key = parse_key(rel, members)?;
    match key {
        Key::Member(n) => {
            let v: MemberValue = json(value, "{\"mac\",\"mgmt\",\"ifindex\"}")?;
            Ok(Entry::Member {
                member: n,
                mac: parse_mac(&v.mac)?,
                mgmt: v.mgmt,
                ifindex: v.ifindex,
            })
        }
        Key::Port(..) | Key::Conn { .. } => {
            let v: OwnerValue = json(value, "{\"member\"}")?;
            Ok(Entry::Owned {
                key,
                member: in_range(v.member, members)?,
            })
        }
        Key::Conflict(proto, port, n) => {
            let v: ConflictValue = json(value, "{\"member\",\"owner\"}")?;
            if v.member != n {
                return Err(format!(
                    "the value's member {} is not the key's {n}",
                    v.member
                ));
            }
            Ok(Entry::Conflict {
                proto,
                port,
                member: n,
                owner: in_range(v.owner, members)?,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for k in [
            Key::Member(3),
            Key::Port(Proto::Tcp, 80),
            Key::Port(Proto::Udp, 53),
            Key::Conn {
                lport: 80,
                raddr: Ipv4Addr::new(10, 9, 0, 100),
                rport: 40000,
            },
            Key::Conflict(Proto::Tcp, 80, 2),
        ] {
            assert_eq!(parse_key(&k.to_string(), 3).unwrap(), k);
        }
        assert_eq!(
            Key::Conn {
                lport: 80,
                raddr: Ipv4Addr::new(10, 9, 0, 100),
                rport: 40000
            }
            .to_string(),
            "conns/tcp/80/10.9.0.100:40000"
        );
        assert_eq!(prefix(Ipv4Addr::new(10, 9, 0, 1)), "/dhost/10.9.0.1/");
    }

    #[test]
    fn bad_keys() {
        for (rel, want) in [
            ("ports/tcp/abc", "not a port"),
            ("ports/tcp/0", "port 0"),
            ("ports/tcp/65536", "not a port"),
            ("ports/tcp/+80", "not a port"),
            ("ports/sctp/80", "not a protocol"),
            ("members/0", "member 0 is out of range (1..=3)"),
            ("members/4", "member 4 is out of range"),
            ("members/x", "not a member number"),
            ("conns/tcp/80/10.9.0.100", "not ADDR:PORT"),
            ("conns/tcp/80/10.9.0:5", "not an IPv4 address"),
            ("conns/tcp/80/10.9.0.100:0", "port 0"),
            ("conns/udp/80/10.9.0.100:5", "tcp only"),
            ("conflicts/tcp/80/9", "out of range"),
            ("whatever", "not a dhost key"),
            ("ports/tcp/80/extra", "not a dhost key"),
        ] {
            let e = parse_key(rel, 3).unwrap_err();
            assert!(e.contains(want), "{rel}: {e}");
        }
    }

    #[test]
    fn values() {
        let e = parse_entry(
            "members/2",
            br#"{"mac":"52:54:00:00:00:03","mgmt":"192.168.77.3","ifindex":2}"#,
            3,
        )
        .unwrap();
        assert_eq!(
            e,
            Entry::Member {
                member: 2,
                mac: [0x52, 0x54, 0, 0, 0, 3],
                mgmt: "192.168.77.3".into(),
                ifindex: 2
            }
        );
        assert_eq!(
            parse_entry("ports/tcp/80", br#"{"member":2}"#, 3).unwrap(),
            Entry::Owned {
                key: Key::Port(Proto::Tcp, 80),
                member: 2
            }
        );
        assert_eq!(
            parse_entry("conflicts/udp/53/3", br#"{"member":3,"owner":1}"#, 3)
                .unwrap()
                .writer(),
            3
        );
        for (rel, v, want) in [
            ("ports/tcp/80", &b"garbage"[..], "not a {\"member\"} value"),
            (
                "ports/tcp/80",
                br#"{"member":7}"#,
                "member 7 is out of range",
            ),
            ("ports/tcp/80", br#"{"member":"2"}"#, "not a"),
            (
                "members/1",
                br#"{"mac":"xx","mgmt":"","ifindex":1}"#,
                "not a hardware address",
            ),
            (
                "conflicts/tcp/80/3",
                br#"{"member":2,"owner":1}"#,
                "not the key's 3",
            ),
            (
                "conflicts/tcp/80/3",
                br#"{"member":3,"owner":0}"#,
                "member 0 is out of range",
            ),
        ] {
            let e = parse_entry(rel, v, 3).unwrap_err();
            assert!(e.contains(want), "{rel}: {e}");
        }
    }

    #[test]
    fn macs() {
        assert_eq!(
            parse_mac("52:54:00:AB:cd:03").unwrap(),
            [0x52, 0x54, 0, 0xab, 0xcd, 3]
        );
        assert_eq!(
            mac_text(&[0x52, 0x54, 0, 0xab, 0xcd, 3]),
            "52:54:00:ab:cd:03"
        );
        for bad in [
            "",
            "52:54:00:ab:cd",
            "52:54:00:ab:cd:03:04",
            "5:54:00:ab:cd:03",
            "zz:54:00:ab:cd:03",
        ] {
            assert!(parse_mac(bad).is_err(), "{bad}");
        }
    }
}
