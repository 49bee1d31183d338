// SPDX-License-Identifier: GPL-2.0-only
//! This member's real sockets on the distributed address, from
//! /proc/net/{tcp,udp,tcp6,udp6}.

use std::collections::BTreeSet;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::keys::Proto;

const TCP_ESTABLISHED: u8 = 0x01;
const TCP_LISTEN: u8 = 0x0A;

/// What this member serves on the address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sockets {
    /// TCP listeners and bound UDP sockets on ADDR or the wildcard.
    pub ports: BTreeSet<(Proto, u16)>,
    /// Established TCP connections with local address ADDR: (lport, raddr, rport).
    pub established: BTreeSet<(u16, Ipv4Addr, u16)>,
}

/// An address of /proc/net/*: `%08X` per 32-bit word in host order, as
/// the kernel prints it, and the port in hex. IPv6 wildcards and
/// IPv4-mapped addresses count as IPv4 (a dual-stack listener takes IPv4).
fn parse_endpoint(s: &str) -> Option<(Option<Ipv4Addr>, u16)> {
    let (a, p) = s.split_once(':')?;
    let port = u16::from_str_radix(p, 16).ok()?;
    let word = |h: &str| u32::from_str_radix(h, 16).ok().map(u32::to_ne_bytes);
    let addr = match a.len() {
        8 => Some(Ipv4Addr::from(word(a)?)),
        32 => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                b[i * 4..i * 4 + 4].copy_from_slice(&word(&a[i * 8..i * 8 + 8])?);
            }
            let v6 = Ipv6Addr::from(b);
            if v6.is_unspecified() {
                Some(Ipv4Addr::UNSPECIFIED)
            } else {
                v6.to_ipv4_mapped()
            }
        }
        _ => return None,
    };
    Some((addr, port))
}

/// Adds the sockets of one /proc/net file's `text` to `out`. `slice` is
/// this member's ephemeral port range: connected UDP sockets there are
/// clients (the leader steers their replies by the slice), not ports.
pub fn parse(text: &str, proto: Proto, addr: Ipv4Addr, slice: (u16, u16), out: &mut Sockets) {
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 {
            continue;
        }
        let (Some((Some(la), lport)), Some((ra, rport)), Ok(st)) = (
            parse_endpoint(f[1]),
            parse_endpoint(f[2]),
            u8::from_str_radix(f[3], 16),
        ) else {
            continue;
        };
        let local_ok = la == addr || la.is_unspecified();
        if lport == 0 || !local_ok {
            continue;
        }
        match proto {
            Proto::Tcp if st == TCP_LISTEN => {
                out.ports.insert((Proto::Tcp, lport));
            }
            Proto::Tcp if st == TCP_ESTABLISHED && la == addr => {
                if let Some(ra) = ra {
                    out.established.insert((lport, ra, rport));
                }
            }
            Proto::Tcp => {}
            Proto::Udp => {
                let connected = ra.is_some_and(|a| !a.is_unspecified()) || rport != 0;
                if !(connected && (slice.0..=slice.1).contains(&lport)) {
                    out.ports.insert((Proto::Udp, lport));
                }
            }
        }
    }
}

/// Reads the sockets of this network namespace.
pub fn read(addr: Ipv4Addr, slice: (u16, u16)) -> io::Result<Sockets> {
    let mut out = Sockets::default();
    for (file, proto, required) in [
        ("/proc/net/tcp", Proto::Tcp, true),
        ("/proc/net/udp", Proto::Udp, true),
        ("/proc/net/tcp6", Proto::Tcp, false),
        ("/proc/net/udp6", Proto::Udp, false),
    ] {
        match std::fs::read_to_string(file) {
            Ok(text) => parse(&text, proto, addr, slice, &mut out),
            Err(e) if !required && e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io::Error::new(e.kind(), format!("{file}: {e}"))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 10.9.0.1 is 0100090A in host order on a little-endian machine.
    fn hex(a: Ipv4Addr) -> String {
        format!("{:08X}", u32::from_ne_bytes(a.octets()))
    }

    fn line(l: Ipv4Addr, lp: u16, r: Ipv4Addr, rp: u16, st: u8) -> String {
        format!(
            "   0: {}:{lp:04X} {}:{rp:04X} {st:02X} 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n",
            hex(l),
            hex(r)
        )
    }

    const HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

    #[test]
    fn tcp_listeners_and_connections() {
        let a = Ipv4Addr::new(10, 9, 0, 1);
        let any = Ipv4Addr::UNSPECIFIED;
        let c = Ipv4Addr::new(10, 9, 0, 100);
        let other = Ipv4Addr::new(192, 168, 77, 3);
        let text = [
            HEADER.to_string(),
            line(a, 80, any, 0, 0x0A),
            line(any, 22, any, 0, 0x0A),
            line(other, 2379, any, 0, 0x0A),
            line(Ipv4Addr::LOCALHOST, 8080, any, 0, 0x0A),
            line(a, 80, c, 40000, 0x01),
            line(a, 81, c, 40001, 0x06),
            line(other, 50000, Ipv4Addr::new(192, 168, 77, 2), 2379, 0x01),
            "garbage line\n".into(),
        ]
        .concat();
        let mut s = Sockets::default();
        parse(&text, Proto::Tcp, a, (42000, 51000), &mut s);
        assert_eq!(
            s.ports.iter().copied().collect::<Vec<_>>(),
            vec![(Proto::Tcp, 22), (Proto::Tcp, 80)]
        );
        assert_eq!(
            s.established.iter().copied().collect::<Vec<_>>(),
            vec![(80, c, 40000)]
        );
    }

    #[test]
    fn udp_bound_sockets() {
        let a = Ipv4Addr::new(10, 9, 0, 1);
        let any = Ipv4Addr::UNSPECIFIED;
        let srv = Ipv4Addr::new(10, 9, 0, 53);
        let text = [
            HEADER.to_string(),
            line(a, 53, any, 0, 0x07),
            line(any, 5353, any, 0, 0x07),
            line(a, 45000, srv, 53, 0x01), // a client in the slice
            line(a, 9999, srv, 53, 0x01),  // connected, outside the slice
        ]
        .concat();
        let mut s = Sockets::default();
        parse(&text, Proto::Udp, a, (42000, 51000), &mut s);
        assert_eq!(
            s.ports.iter().map(|p| p.1).collect::<Vec<_>>(),
            vec![53, 5353, 9999]
        );
    }

    #[test]
    fn ipv6_wildcard_and_mapped() {
        let a = Ipv4Addr::new(10, 9, 0, 1);
        let mapped = |x: Ipv4Addr| {
            format!(
                "0000000000000000{:08X}{}",
                u32::from_ne_bytes([0, 0, 0xff, 0xff]),
                hex(x)
            )
        };
        let zero = "0".repeat(32);
        let text = format!(
            "{HEADER}   0: {zero}:0050 {zero}:0000 0A x\n   1: {}:01BB {zero}:0000 0A x\n   2: {}:0016 {}:9C40 01 x\n   3: 20010DB8000000000000000000000001:0019 {zero}:0000 0A x\n",
            mapped(a),
            mapped(a),
            mapped(Ipv4Addr::new(10, 9, 0, 100))
        );
        let mut s = Sockets::default();
        parse(&text, Proto::Tcp, a, (1, 2), &mut s);
        assert_eq!(
            s.ports.iter().map(|p| p.1).collect::<Vec<_>>(),
            vec![80, 443]
        );
        assert_eq!(
            s.established.iter().copied().collect::<Vec<_>>(),
            vec![(22, Ipv4Addr::new(10, 9, 0, 100), 40000)]
        );
    }
}
