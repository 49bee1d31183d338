// SPDX-License-Identifier: GPL-2.0-only
//! Hand-made packets: for the `frag` rows a UDP datagram and the two IPv4
//! fragments that carry it (sent through an IPPROTO_RAW socket, which
//! fills in the IP checksum and total length again); the IPv4 header the
//! ICMP error tests quote (icmperr.rs).

use std::net::{Ipv4Addr, SocketAddrV4};

pub(crate) const IPPROTO_UDP: u8 = 17;
/// "More fragments" in the IPv4 flags/fragment-offset field.
const IP_MF: u16 = 0x2000;

/// The one's complement sum of `data` as big-endian 16-bit words.
fn sum16(data: &[u8], mut acc: u32) -> u32 {
    for c in data.chunks(2) {
        let w = u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]);
        acc += u32::from(w);
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The Internet checksum (RFC 1071) of `data`: what goes in an IPv4 or
/// ICMP header's checksum field, computed with that field zero.
pub(crate) fn checksum(data: &[u8]) -> u16 {
    fold(sum16(data, 0))
}

/// A UDP header and `payload`, with the checksum over the IPv4
/// pseudo-header.
pub(crate) fn udp(src: SocketAddrV4, dst: SocketAddrV4, payload: &[u8]) -> Vec<u8> {
    let len = (8 + payload.len()) as u16;
    let mut d = Vec::with_capacity(len.into());
    d.extend_from_slice(&src.port().to_be_bytes());
    d.extend_from_slice(&dst.port().to_be_bytes());
    d.extend_from_slice(&len.to_be_bytes());
    d.extend_from_slice(&[0, 0]);
    d.extend_from_slice(payload);
    let mut pseudo = Vec::with_capacity(12);
    pseudo.extend_from_slice(&src.ip().octets());
    pseudo.extend_from_slice(&dst.ip().octets());
    pseudo.extend_from_slice(&[0, IPPROTO_UDP]);
    pseudo.extend_from_slice(&len.to_be_bytes());
    let c = match fold(sum16(&d, sum16(&pseudo, 0))) {
        0 => 0xffff,
        c => c,
    };
    d[6..8].copy_from_slice(&c.to_be_bytes());
    d
}

/// An IPv4 header without options (TTL 64), checksum filled in; `frag` is
/// the flags/fragment-offset field.
pub(crate) fn ipv4_header(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: u8,
    total_len: u16,
    id: u16,
    frag: u16,
) -> [u8; 20] {
    let mut h = [0u8; 20];
    h[0] = 0x45;
    h[2..4].copy_from_slice(&total_len.to_be_bytes());
    h[4..6].copy_from_slice(&id.to_be_bytes());
    h[6..8].copy_from_slice(&frag.to_be_bytes());
    h[8] = 64;
    h[9] = proto;
    h[12..16].copy_from_slice(&src.octets());
    h[16..20].copy_from_slice(&dst.octets());
    let c = checksum(&h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h
}

/// An IPv4 header (no options) and `data`, at fragment offset `offset`
/// (bytes, a multiple of 8).
fn ip_fragment(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    id: u16,
    offset: usize,
    more: bool,
    data: &[u8],
) -> Vec<u8> {
    let frag = (offset / 8) as u16 | if more { IP_MF } else { 0 };
    let mut p = ipv4_header(src, dst, IPPROTO_UDP, (20 + data.len()) as u16, id, frag).to_vec();
    p.extend_from_slice(data);
    p
}

/// `datagram` (a UDP header and payload) as two IPv4 fragments with IP id
/// `id`: the first 8-byte multiple up to half of it, then the rest.
pub(crate) fn fragments(src: Ipv4Addr, dst: Ipv4Addr, id: u16, datagram: &[u8]) -> [Vec<u8>; 2] {
    let cut = (datagram.len() / 2).max(8) & !7;
    [
        ip_fragment(src, dst, id, 0, true, &datagram[..cut]),
        ip_fragment(src, dst, id, cut, false, &datagram[cut..]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_checksum() {
        // 10.0.0.2:4000 -> 10.0.0.1:20001, "hi": header fields in place.
        let d = udp(
            "10.0.0.2:4000".parse().unwrap(),
            "10.0.0.1:20001".parse().unwrap(),
            b"hi",
        );
        assert_eq!(&d[..6], &[0x0f, 0xa0, 0x4e, 0x21, 0, 10]);
        // Summing everything again, checksum included, gives 0xffff.
        let mut pseudo = vec![10, 0, 0, 2, 10, 0, 0, 1, 0, 17, 0, 10];
        pseudo.extend_from_slice(&d);
        assert_eq!(fold(sum16(&pseudo, 0)), 0);
    }

    #[test]
    fn two_fragments() {
        let d: Vec<u8> = (0..56).collect();
        let [a, b] = fragments(
            Ipv4Addr::new(10, 0, 0, 2),
            Ipv4Addr::new(10, 0, 0, 1),
            7,
            &d,
        );
        assert_eq!(a.len(), 20 + 24);
        assert_eq!(b.len(), 20 + 32);
        assert_eq!(&a[4..8], &[0, 7, 0x20, 0]);
        assert_eq!(&b[4..8], &[0, 7, 0, 3]);
        assert_eq!(
            (a[9], &a[12..16], &a[16..20]),
            (17, &[10, 0, 0, 2][..], &[10, 0, 0, 1][..])
        );
        assert_eq!(&a[20..], &d[..24]);
        assert_eq!(&b[20..], &d[24..]);
    }
}
