// SPDX-License-Identifier: GPL-2.0-only
//! Raw generic netlink requests with arbitrary attributes, to check that the
//! kernel refuses malformed ones with a clear error.
//!
//! `vrctx-probe genl [--family F] [--dump] [--show] CMD [ATTR=TYPE:VALUE]...`:
//! F is vrctx (the default) or dhost; CMD a number or one of new, del, get,
//! assign (vrctx), stats, addr-set, addr-del, lead, addr-get, fwd-set,
//! fwd-del, peer-set, peer-del, auth, fwd-get, fwd-flush (dhost); ATTR a
//! number or one of id, name, table, force, ifindex (vrctx), hook, packets,
//! addr, ifindex, member, members, lead, stat, proto, lport, raddr, rport,
//! mac, auth_ms (dhost); TYPE one of u8, u16, u32,
//! u64, str (NUL-terminated), raw (no NUL), flag, ip (an IPv4 address, network
//! byte order), mac (aa:bb:cc:dd:ee:ff), bytes (VALUE = length,
//! filled with 'a'). `--dump` sends a dump request; `--show` prints every
//! message of the answer first, one line each: `cmd=C` and the attributes
//! as `kind=value`.

use std::io;
use vrctx_uapi::{DhostAttr, DhostCmd, VrctxAttr, VrctxCmd};

const NETLINK_GENERIC: i32 = 16;
const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const CTRL_ATTR_MCAST_GROUPS: u16 = 7;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_DUMP: u16 = 0x300;
const NLM_F_CAPPED: u16 = 0x100;
const NLMSGERR_ATTR_MSG: u16 = 1;

/// One attribute to send.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Attr {
    pub(crate) kind: u16,
    pub(crate) payload: Vec<u8>,
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn put_attr(buf: &mut Vec<u8>, a: &Attr) {
    let len = 4 + a.payload.len();
    buf.extend_from_slice(&(len as u16).to_ne_bytes());
    buf.extend_from_slice(&a.kind.to_ne_bytes());
    buf.extend_from_slice(&a.payload);
    buf.resize(align4(buf.len()), 0);
}

/// A netlink message: header, genetlink header, attributes.
pub(crate) fn message(family: u16, cmd: u8, flags: u16, seq: u32, attrs: &[Attr]) -> Vec<u8> {
    let mut buf = vec![0u8; 16];
    buf.extend_from_slice(&[cmd, 1, 0, 0]);
    for a in attrs {
        put_attr(&mut buf, a);
    }
    let len = buf.len() as u32;
    buf[0..4].copy_from_slice(&len.to_ne_bytes());
    buf[4..6].copy_from_slice(&family.to_ne_bytes());
    buf[6..8].copy_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
    buf[8..12].copy_from_slice(&seq.to_ne_bytes());
    buf
}

/// The generic netlink families the tool knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Vrctx,
    Dhost,
}

impl Family {
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        match s {
            "vrctx" => Ok(Self::Vrctx),
            "dhost" => Ok(Self::Dhost),
            _ => Err(format!("unknown family '{s}' (vrctx, dhost)")),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Vrctx => vrctx_uapi::VRCTX_GENL_NAME,
            Self::Dhost => vrctx_uapi::DHOST_GENL_NAME,
        }
    }

    /// Command `s`: a name or a number.
    pub(crate) fn cmd(self, s: &str) -> Result<u8, String> {
        let named = match (self, s) {
            (Self::Vrctx, "new") => Some(VrctxCmd::New as u8),
            (Self::Vrctx, "del") => Some(VrctxCmd::Del as u8),
            (Self::Vrctx, "get") => Some(VrctxCmd::Get as u8),
            (Self::Vrctx, "assign") => Some(VrctxCmd::Assign as u8),
            (Self::Dhost, "stats") => Some(DhostCmd::GetStats as u8),
            (Self::Dhost, "addr-set") => Some(DhostCmd::AddrSet as u8),
            (Self::Dhost, "addr-del") => Some(DhostCmd::AddrDel as u8),
            (Self::Dhost, "lead") => Some(DhostCmd::Lead as u8),
            (Self::Dhost, "addr-get") => Some(DhostCmd::AddrGet as u8),
            (Self::Dhost, "fwd-set") => Some(DhostCmd::FwdSet as u8),
            (Self::Dhost, "fwd-del") => Some(DhostCmd::FwdDel as u8),
            (Self::Dhost, "peer-set") => Some(DhostCmd::PeerSet as u8),
            (Self::Dhost, "peer-del") => Some(DhostCmd::PeerDel as u8),
            (Self::Dhost, "auth") => Some(DhostCmd::Auth as u8),
            (Self::Dhost, "fwd-get") => Some(DhostCmd::FwdGet as u8),
            (Self::Dhost, "fwd-flush") => Some(DhostCmd::FwdFlush as u8),
            _ => None,
        };
        match named {
            Some(c) => Ok(c),
            None => s.parse().map_err(|e| format!("command '{s}': {e}")),
        }
    }

    /// Attribute `s`: a name or a number.
    fn attr(self, s: &str) -> Result<u16, String> {
        let named = match (self, s) {
            (Self::Vrctx, "id") => Some(1),
            (Self::Vrctx, "name") => Some(2),
            (Self::Vrctx, "table") => Some(3),
            (Self::Vrctx, "force") => Some(4),
            (Self::Vrctx, "ifindex") => Some(5),
            (Self::Vrctx, "count") => Some(VrctxAttr::Count as u16),
            (Self::Dhost, "hook") => Some(DhostAttr::Hook as u16),
            (Self::Dhost, "packets") => Some(DhostAttr::Packets as u16),
            (Self::Dhost, "addr") => Some(DhostAttr::Addr as u16),
            (Self::Dhost, "ifindex") => Some(DhostAttr::Ifindex as u16),
            (Self::Dhost, "member") => Some(DhostAttr::Member as u16),
            (Self::Dhost, "members") => Some(DhostAttr::Members as u16),
            (Self::Dhost, "lead") => Some(DhostAttr::Lead as u16),
            (Self::Dhost, "stat") => Some(DhostAttr::Stat as u16),
            (Self::Dhost, "proto") => Some(DhostAttr::Proto as u16),
            (Self::Dhost, "lport") => Some(DhostAttr::Lport as u16),
            (Self::Dhost, "raddr") => Some(DhostAttr::Raddr as u16),
            (Self::Dhost, "rport") => Some(DhostAttr::Rport as u16),
            (Self::Dhost, "mac") => Some(DhostAttr::Mac as u16),
            (Self::Dhost, "auth_ms") => Some(DhostAttr::AuthMs as u16),
            _ => None,
        };
        match named {
            Some(a) => Ok(a),
            None => s.parse().map_err(|e| format!("attribute '{s}': {e}")),
        }
    }

    /// Whether attribute `kind` of the family is a string.
    fn is_string(self, kind: u16) -> bool {
        self == Self::Vrctx && kind == 2
    }
}

/// Parses `ATTR=TYPE:VALUE` for the vrctx family.
#[cfg(test)]
pub(crate) fn parse_attr(s: &str) -> Result<Attr, String> {
    parse_family_attr(Family::Vrctx, s)
}

/// Parses `ATTR=TYPE:VALUE` for `family`.
pub(crate) fn parse_family_attr(family: Family, s: &str) -> Result<Attr, String> {
    let (name, rest) = s
        .split_once('=')
        .ok_or(format!("'{s}': want ATTR=TYPE:VALUE"))?;
    let (ty, value) = rest.split_once(':').unwrap_or((rest, ""));
    let kind = family.attr(name)?;
    let num = |bits: u32| -> Result<u64, String> {
        let v: u64 = value.parse().map_err(|e| format!("'{value}': {e}"))?;
        if bits < 64 && v >> bits != 0 {
            return Err(format!("'{value}' does not fit {bits} bits"));
        }
        Ok(v)
    };
    let payload = match ty {
        "u8" => vec![num(8)? as u8],
        "u16" => (num(16)? as u16).to_ne_bytes().to_vec(),
        "u32" => (num(32)? as u32).to_ne_bytes().to_vec(),
        "u64" => num(64)?.to_ne_bytes().to_vec(),
        "str" => {
            let mut v = value.as_bytes().to_vec();
            v.push(0);
            v
        }
        "raw" => value.as_bytes().to_vec(),
        "flag" => Vec::new(),
        "ip" => value
            .parse::<std::net::Ipv4Addr>()
            .map_err(|e| format!("'{value}': {e}"))?
            .octets()
            .to_vec(),
        "bytes" => vec![b'a'; num(16)? as usize],
        "mac" => {
            let octets = value
                .split(':')
                .map(|o| u8::from_str_radix(o, 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|e| format!("'{value}': {e}"))?;
            if octets.len() != 6 {
                return Err(format!("'{value}': a hardware address has 6 octets"));
            }
            octets
        }
        t => return Err(format!("unknown attribute type '{t}'")),
    };
    Ok(Attr { kind, payload })
}

/// A netlink socket, closed on drop.
struct Sock(i32);

impl Drop for Sock {
    fn drop(&mut self) {
        // SAFETY: We own the descriptor.
        unsafe { libc::close(self.0) };
    }
}

fn check(rc: isize) -> io::Result<usize> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc as usize)
    }
}

impl Sock {
    fn open() -> io::Result<Self> {
        // SAFETY: Plain system call.
        let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW, NETLINK_GENERIC) };
        let sock = check(fd as isize).map(|_| Sock(fd))?;
        // Ask for the kernel's extended ack messages.
        let one: libc::c_int = 1;
        // SAFETY: `one` is a valid c_int option value of the given size.
        check(unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_NETLINK,
                libc::NETLINK_EXT_ACK,
                (&raw const one).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        } as isize)?;
        Ok(sock)
    }

    fn send(&self, msg: &[u8]) -> io::Result<()> {
        // SAFETY: `msg` is valid for its length; the kernel is the peer.
        check(unsafe { libc::send(self.0, msg.as_ptr().cast(), msg.len(), 0) }).map(|_| ())
    }

    fn recv(&self) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; 65536];
        // SAFETY: `buf` has room for its length.
        let n = check(unsafe { libc::recv(self.0, buf.as_mut_ptr().cast(), buf.len(), 0) })?;
        buf.truncate(n);
        Ok(buf)
    }
}

/// The outcome of a request: the errno (0 for success) and the kernel's
/// extended ack message, if any.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) errno: i32,
    pub(crate) msg: Option<String>,
}

/// Reads the first NLMSG_ERROR of `buf` (an ack or an error).
pub(crate) fn parse_ack(buf: &[u8]) -> Option<Outcome> {
    let mut off = 0;
    while off + 16 <= buf.len() {
        let len = u32::from_ne_bytes(buf[off..off + 4].try_into().ok()?) as usize;
        let ty = u16::from_ne_bytes(buf[off + 4..off + 6].try_into().ok()?);
        if len < 16 || off + len > buf.len() {
            return None;
        }
        if ty == NLMSG_ERROR && len >= 20 {
            let err = i32::from_ne_bytes(buf[off + 16..off + 20].try_into().ok()?);
            let flags = u16::from_ne_bytes(buf[off + 6..off + 8].try_into().ok()?);
            // The echoed request follows: its header only when capped,
            // else the whole request. Then the TLVs.
            let echoed = if flags & NLM_F_CAPPED != 0 || len < 36 {
                16
            } else {
                u32::from_ne_bytes(buf[off + 20..off + 24].try_into().ok()?) as usize
            };
            let mut a = off + 20 + align4(echoed);
            let mut msg = None;
            while a + 4 <= off + len {
                let alen = u16::from_ne_bytes(buf[a..a + 2].try_into().ok()?) as usize;
                let kind = u16::from_ne_bytes(buf[a + 2..a + 4].try_into().ok()?);
                if alen < 4 || a + alen > off + len {
                    break;
                }
                if kind == NLMSGERR_ATTR_MSG {
                    let s = &buf[a + 4..a + alen];
                    let s = s.split(|&b| b == 0).next().unwrap_or(&[]);
                    msg = Some(String::from_utf8_lossy(s).into_owned());
                }
                a += align4(alen);
            }
            return Some(Outcome { errno: -err, msg });
        }
        off += align4(len);
    }
    None
}

/// Walks the attributes in `buf[start..end]`, calling `f(kind, payload)`.
fn for_each_attr(buf: &[u8], start: usize, end: usize, mut f: impl FnMut(u16, &[u8])) {
    let mut a = start;
    while a + 4 <= end.min(buf.len()) {
        let alen = u16::from_ne_bytes([buf[a], buf[a + 1]]) as usize;
        let kind = u16::from_ne_bytes([buf[a + 2], buf[a + 3]]) & 0x3fff;
        if alen < 4 || a + alen > buf.len() {
            break;
        }
        f(kind, &buf[a + 4..a + alen]);
        a += align4(alen);
    }
}

/// The family id and its multicast groups (name, id).
fn family(sock: &Sock, name: &str) -> io::Result<(u16, Vec<(String, u32)>)> {
    let mut n = name.as_bytes().to_vec();
    n.push(0);
    let req = message(
        GENL_ID_CTRL,
        CTRL_CMD_GETFAMILY,
        0,
        1,
        &[Attr {
            kind: CTRL_ATTR_FAMILY_NAME,
            payload: n,
        }],
    );
    sock.send(&req)?;
    let buf = sock.recv()?;
    if let Some(o) = parse_ack(&buf) {
        return Err(io::Error::from_raw_os_error(o.errno));
    }
    let len = u32::from_ne_bytes(buf[0..4].try_into().unwrap_or([0; 4])) as usize;
    let mut id = None;
    let mut groups = Vec::new();
    for_each_attr(&buf, 20, len, |kind, p| match kind {
        CTRL_ATTR_FAMILY_ID if p.len() >= 2 => id = Some(u16::from_ne_bytes([p[0], p[1]])),
        CTRL_ATTR_MCAST_GROUPS => for_each_attr(p, 0, p.len(), |_, g| {
            let mut gname = String::new();
            let mut gid = None;
            for_each_attr(g, 0, g.len(), |k, v| match k {
                1 => {
                    gname =
                        String::from_utf8_lossy(v.split(|&b| b == 0).next().unwrap_or(&[])).into()
                }
                2 if v.len() >= 4 => gid = Some(u32::from_ne_bytes([v[0], v[1], v[2], v[3]])),
                _ => {}
            });
            if let Some(gid) = gid {
                groups.push((gname, gid));
            }
        }),
        _ => {}
    });
    id.map(|id| (id, groups))
        .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))
}

/// Waits for `count` events of `group` of family `name` and returns one
/// line per event: the command number, then the attributes as `kind=value`
/// (u32 values as numbers, strings as text).
pub(crate) fn events(name: &str, group: &str, count: usize) -> io::Result<Vec<String>> {
    let sock = Sock::open()?;
    let (_, groups) = family(&sock, name)?;
    let gid = groups
        .iter()
        .find(|(n, _)| n == group)
        .map(|(_, id)| *id)
        .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))?;
    // SAFETY: `gid` is a valid c_int option value of the given size.
    check(unsafe {
        libc::setsockopt(
            sock.0,
            libc::SOL_NETLINK,
            libc::NETLINK_ADD_MEMBERSHIP,
            (&raw const gid).cast(),
            std::mem::size_of::<u32>() as libc::socklen_t,
        )
    } as isize)?;
    println!("listening");
    let mut out = Vec::new();
    while out.len() < count {
        let buf = sock.recv()?;
        let mut off = 0;
        while off + 20 <= buf.len() && out.len() < count {
            let len = u32::from_ne_bytes(buf[off..off + 4].try_into().unwrap_or([0; 4])) as usize;
            if len < 20 || off + len > buf.len() {
                break;
            }
            let mut line = format!("cmd={}", buf[off + 16]);
            for_each_attr(&buf, off + 20, off + len, |k, v| {
                if k == 2 {
                    let s = v.split(|&b| b == 0).next().unwrap_or(&[]);
                    line.push_str(&format!(" {k}={}", String::from_utf8_lossy(s)));
                } else if v.len() == 4 {
                    line.push_str(&format!(
                        " {k}={}",
                        u32::from_ne_bytes([v[0], v[1], v[2], v[3]])
                    ));
                }
            });
            out.push(line);
            off += align4(len);
        }
    }
    Ok(out)
}

fn family_id(sock: &Sock, name: &str) -> io::Result<u16> {
    family(sock, name).map(|(id, _)| id)
}

/// Creates and deletes context `id` named `name` `n` times over one socket;
/// stops at the first refusal.
pub(crate) fn cycle(family: &str, n: u32, id: u32, name: &str) -> io::Result<Outcome> {
    let sock = Sock::open()?;
    let fid = family_id(&sock, family)?;
    let mut name = name.as_bytes().to_vec();
    name.push(0);
    let mut seq = 10;
    for _ in 0..n {
        for (cmd, attrs) in [
            (
                1u8,
                vec![
                    Attr {
                        kind: 1,
                        payload: id.to_ne_bytes().to_vec(),
                    },
                    Attr {
                        kind: 2,
                        payload: name.clone(),
                    },
                ],
            ),
            (
                2u8,
                vec![Attr {
                    kind: 1,
                    payload: id.to_ne_bytes().to_vec(),
                }],
            ),
        ] {
            seq += 1;
            sock.send(&message(fid, cmd, NLM_F_ACK, seq, &attrs))?;
            let o = loop {
                if let Some(o) = parse_ack(&sock.recv()?) {
                    break o;
                }
            };
            if o.errno != 0 {
                return Ok(o);
            }
        }
    }
    Ok(Outcome {
        errno: 0,
        msg: None,
    })
}

/// One message of an answer: its command and attributes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) cmd: u8,
    pub(crate) attrs: Vec<(u16, Vec<u8>)>,
}

impl Reply {
    /// `cmd=C kind=value...`: strings as text, attributes of 1, 2, 4 or 8
    /// bytes as numbers, others as their length (`kind=len:N`).
    pub(crate) fn render(&self, family: Family) -> String {
        let mut line = format!("cmd={}", self.cmd);
        for (k, v) in &self.attrs {
            let value = if family.is_string(*k) {
                String::from_utf8_lossy(v.split(|&b| b == 0).next().unwrap_or(&[])).into_owned()
            } else {
                match v.len() {
                    1 => v[0].to_string(),
                    2 => u16::from_ne_bytes([v[0], v[1]]).to_string(),
                    4 => u32::from_ne_bytes([v[0], v[1], v[2], v[3]]).to_string(),
                    8 => u64::from_ne_bytes(v[..8].try_into().unwrap_or([0; 8])).to_string(),
                    n => format!("len:{n}"),
                }
            };
            line.push_str(&format!(" {k}={value}"));
        }
        line
    }
}

/// Reads the messages of `buf`: the replies of family `fid` go into
/// `replies`; the outcome is returned once an ack, an error or the end of
/// a dump arrives.
pub(crate) fn parse_answer(buf: &[u8], fid: u16, replies: &mut Vec<Reply>) -> Option<Outcome> {
    let mut off = 0;
    while off + 16 <= buf.len() {
        let len = u32::from_ne_bytes(buf[off..off + 4].try_into().ok()?) as usize;
        let ty = u16::from_ne_bytes(buf[off + 4..off + 6].try_into().ok()?);
        if len < 16 || off + len > buf.len() {
            return None;
        }
        let msg = &buf[off..off + len];
        match ty {
            NLMSG_ERROR => return parse_ack(msg),
            NLMSG_DONE if len >= 20 => {
                let err = i32::from_ne_bytes(msg[16..20].try_into().ok()?);
                let mut out = Outcome {
                    errno: -err,
                    msg: None,
                };
                for_each_attr(msg, 20, len, |kind, p| {
                    if kind == NLMSGERR_ATTR_MSG {
                        let p = p.split(|&b| b == 0).next().unwrap_or(&[]);
                        out.msg = Some(String::from_utf8_lossy(p).into_owned());
                    }
                });
                return Some(out);
            }
            t if t == fid && len >= 20 => {
                let mut attrs = Vec::new();
                for_each_attr(msg, 20, len, |kind, p| attrs.push((kind, p.to_vec())));
                replies.push(Reply {
                    cmd: msg[16],
                    attrs,
                });
            }
            _ => {}
        }
        off += align4(len);
    }
    None
}

/// Sends command `cmd` of family `family` with `attrs` (as a dump request
/// if `dump`) and returns the outcome with the messages of the answer.
pub(crate) fn request(
    family: &str,
    cmd: u8,
    attrs: &[Attr],
    dump: bool,
) -> io::Result<(Outcome, Vec<Reply>)> {
    let sock = Sock::open()?;
    let id = family_id(&sock, family)?;
    let flags = if dump { NLM_F_DUMP } else { NLM_F_ACK };
    sock.send(&message(id, cmd, flags, 2, attrs))?;
    let mut replies = Vec::new();
    loop {
        let buf = sock.recv()?;
        if let Some(o) = parse_answer(&buf, id, &mut replies) {
            return Ok((o, replies));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attrs() {
        assert_eq!(
            parse_attr("id=u32:5").unwrap(),
            Attr {
                kind: 1,
                payload: 5u32.to_ne_bytes().to_vec()
            }
        );
        assert_eq!(parse_attr("name=str:ab").unwrap().payload, b"ab\0");
        assert_eq!(
            parse_attr("99=flag").unwrap(),
            Attr {
                kind: 99,
                payload: vec![]
            }
        );
        assert_eq!(parse_attr("2=bytes:3").unwrap().payload, b"aaa");
        assert!(parse_attr("id=u8:300").is_err());
        assert!(parse_attr("id").is_err());
        assert!(parse_attr("id=f32:1").is_err());
    }

    #[test]
    fn family_names() {
        let d = Family::parse("dhost").unwrap();
        assert_eq!(d.name(), "dhost");
        assert_eq!(d.cmd("stats"), Ok(1));
        assert_eq!(d.cmd("7"), Ok(7));
        assert!(d.cmd("new").is_err());
        assert_eq!(parse_family_attr(d, "hook=u32:3").unwrap().kind, 1);
        assert_eq!(parse_family_attr(d, "packets=u64:3").unwrap().kind, 2);
        assert!(parse_family_attr(d, "id=u32:3").is_err());
        assert_eq!(Family::Vrctx.cmd("assign"), Ok(4));
        assert!(Family::parse("nl80211").is_err());
    }

    #[test]
    fn answers() {
        // A reply of family 0x20 (cmd 1, u32 attribute 1 = 2, 8-byte
        // attribute 2), then the end of a dump.
        let mut r = message(0x20, 1, 0, 1, &[]);
        r.truncate(20);
        put_attr(
            &mut r,
            &Attr {
                kind: 1,
                payload: 2u32.to_ne_bytes().to_vec(),
            },
        );
        put_attr(
            &mut r,
            &Attr {
                kind: 2,
                payload: (1u64 << 33).to_ne_bytes().to_vec(),
            },
        );
        let len = r.len() as u32;
        r[0..4].copy_from_slice(&len.to_ne_bytes());
        let mut done = message(NLMSG_DONE, 0, 0, 1, &[]);
        done.truncate(16);
        done.extend_from_slice(&0i32.to_ne_bytes());
        done[0..4].copy_from_slice(&20u32.to_ne_bytes());
        let mut buf = r.clone();
        buf.extend_from_slice(&done);
        let mut replies = Vec::new();
        let o = parse_answer(&buf, 0x20, &mut replies).unwrap();
        assert_eq!(o.errno, 0);
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].render(Family::Dhost), "cmd=1 1=2 2=8589934592");
        // Without the end, the answer goes on.
        replies.clear();
        assert!(parse_answer(&r, 0x20, &mut replies).is_none());
        assert_eq!(replies.len(), 1);
        let name = Reply {
            cmd: 3,
            attrs: vec![(2, b"red\0".to_vec()), (3, vec![0; 3])],
        };
        assert_eq!(name.render(Family::Vrctx), "cmd=3 2=red 3=len:3");
    }

    #[test]
    fn layout() {
        let m = message(
            0x20,
            1,
            NLM_F_ACK,
            7,
            &[parse_attr("name=str:abc").unwrap()],
        );
        // 16 header + 4 genl + 8 attribute (4 + "abc\0").
        assert_eq!(m.len(), 28);
        assert_eq!(u32::from_ne_bytes(m[0..4].try_into().unwrap()), 28);
        assert_eq!(m[16], 1);
        assert_eq!(u16::from_ne_bytes(m[20..22].try_into().unwrap()), 8);
    }

    #[test]
    fn acks() {
        let mut m = message(2, 0, 0, 1, &[]);
        m[4..6].copy_from_slice(&NLMSG_ERROR.to_ne_bytes());
        m[6..8].copy_from_slice(&NLM_F_CAPPED.to_ne_bytes());
        // errno, echoed header, extack message attribute
        let mut body = (-22i32).to_ne_bytes().to_vec();
        body.extend_from_slice(&[0u8; 16]);
        let mut attr = Vec::new();
        put_attr(
            &mut attr,
            &Attr {
                kind: NLMSGERR_ATTR_MSG,
                payload: b"bad\0".to_vec(),
            },
        );
        body.extend_from_slice(&attr);
        let mut buf = m[..16].to_vec();
        buf.extend_from_slice(&body);
        let len = buf.len() as u32;
        buf[0..4].copy_from_slice(&len.to_ne_bytes());
        assert_eq!(
            parse_ack(&buf).unwrap(),
            Outcome {
                errno: 22,
                msg: Some("bad".into())
            }
        );
    }
}
