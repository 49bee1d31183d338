// SPDX-License-Identifier: GPL-2.0-only
//! The `dhost` generic netlink family: messages, requests and the socket
//! events of the member kernel (see docs/design.md, section 5).

use std::net::Ipv4Addr;

use netlink_packet_core::{
    emit_u16, emit_u32, emit_u64, parse_u16, parse_u32, parse_u64, DecodeError, DefaultNla,
    Emitable, ErrorContext, Nla, NlaBuffer, NlasIterator, Parseable, ParseableParametrized,
    NLA_TYPE_MASK,
};
use netlink_packet_generic::{GenlFamily, GenlHeader};
use serde::Serialize;
use vrctx_uapi::{
    DhostAttr, DhostCmd, DhostEvent, DhostHook, DhostStat, DHOST_GENL_MCGRP_EVENTS,
    DHOST_GENL_NAME, DHOST_GENL_VERSION,
};

use crate::error::{Error, Result};
use crate::genl::{GenlSocket, NlError};

/// One attribute of a dhost message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DhostNla {
    Hook(u32),
    /// `NLA_UINT`: 4 or 8 bytes on the wire.
    Packets(u64),
    Addr(Ipv4Addr),
    Ifindex(u32),
    Member(u32),
    Members(u32),
    Lead(bool),
    PortLo(u16),
    PortHi(u16),
    Stat(u32),
    Count(u64),
    Event(u32),
    Proto(u32),
    Laddr(Ipv4Addr),
    Lport(u16),
    Raddr(Ipv4Addr),
    Rport(u16),
    Ctx(u32),
    Mac([u8; 6]),
    AuthMs(u32),
    /// An attribute this vrctl does not know (newer kernel): kept, ignored.
    Other(DefaultNla),
}

impl Nla for DhostNla {
    fn value_len(&self) -> usize {
        match self {
            DhostNla::PortLo(_) | DhostNla::PortHi(_) | DhostNla::Lport(_) | DhostNla::Rport(_) => {
                2
            }
            DhostNla::Packets(_) | DhostNla::Count(_) => 8,
            DhostNla::Mac(_) => 6,
            DhostNla::Other(nla) => nla.value_len(),
            _ => 4,
        }
    }

    fn kind(&self) -> u16 {
        let attr = match self {
            DhostNla::Hook(_) => DhostAttr::Hook,
            DhostNla::Packets(_) => DhostAttr::Packets,
            DhostNla::Addr(_) => DhostAttr::Addr,
            DhostNla::Ifindex(_) => DhostAttr::Ifindex,
            DhostNla::Member(_) => DhostAttr::Member,
            DhostNla::Members(_) => DhostAttr::Members,
            DhostNla::Lead(_) => DhostAttr::Lead,
            DhostNla::PortLo(_) => DhostAttr::PortLo,
            DhostNla::PortHi(_) => DhostAttr::PortHi,
            DhostNla::Stat(_) => DhostAttr::Stat,
            DhostNla::Count(_) => DhostAttr::Count,
            DhostNla::Event(_) => DhostAttr::Event,
            DhostNla::Proto(_) => DhostAttr::Proto,
            DhostNla::Laddr(_) => DhostAttr::Laddr,
            DhostNla::Lport(_) => DhostAttr::Lport,
            DhostNla::Raddr(_) => DhostAttr::Raddr,
            DhostNla::Rport(_) => DhostAttr::Rport,
            DhostNla::Ctx(_) => DhostAttr::Ctx,
            DhostNla::Mac(_) => DhostAttr::Mac,
            DhostNla::AuthMs(_) => DhostAttr::AuthMs,
            DhostNla::Other(nla) => return nla.kind(),
        };
        attr.into()
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        let sized = "buffer sized by value_len";
        match self {
            DhostNla::Hook(v)
            | DhostNla::Ifindex(v)
            | DhostNla::Member(v)
            | DhostNla::Members(v)
            | DhostNla::Stat(v)
            | DhostNla::Event(v)
            | DhostNla::Proto(v)
            | DhostNla::Ctx(v)
            | DhostNla::AuthMs(v) => emit_u32(buffer, *v).expect(sized),
            DhostNla::Mac(m) => buffer[..6].copy_from_slice(m),
            DhostNla::Lead(on) => emit_u32(buffer, u32::from(*on)).expect(sized),
            DhostNla::Packets(v) | DhostNla::Count(v) => emit_u64(buffer, *v).expect(sized),
            DhostNla::PortLo(v) | DhostNla::PortHi(v) | DhostNla::Lport(v) | DhostNla::Rport(v) => {
                emit_u16(buffer, *v).expect(sized)
            }
            // be32 on the wire: the octets in order.
            DhostNla::Addr(a) | DhostNla::Laddr(a) | DhostNla::Raddr(a) => {
                buffer[..4].copy_from_slice(&a.octets())
            }
            DhostNla::Other(nla) => nla.emit_value(buffer),
        }
    }
}

/// An `NLA_UINT`: 4 or 8 bytes.
fn parse_uint(v: &[u8]) -> Result<u64, DecodeError> {
    match v.len() {
        4 => parse_u32(v).map(u64::from),
        8 => parse_u64(v),
        n => Err(DecodeError::from(format!(
            "an unsigned integer of {n} bytes (expected 4 or 8)"
        ))),
    }
}

fn parse_be32(v: &[u8]) -> Result<Ipv4Addr, DecodeError> {
    let octets: [u8; 4] = v
        .try_into()
        .map_err(|_| DecodeError::from(format!("an IPv4 address of {} bytes", v.len())))?;
    Ok(Ipv4Addr::from(octets))
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for DhostNla {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        let v = buf.value();
        let u32_of = |what: &str| parse_u32(v).map_err(|e| e.context(format!("invalid {what}")));
        let u16_of = |what: &str| parse_u16(v).map_err(|e| e.context(format!("invalid {what}")));
        let addr_of = |what: &str| parse_be32(v).map_err(|e| e.context(format!("invalid {what}")));
        Ok(match DhostAttr::try_from(buf.kind() & NLA_TYPE_MASK) {
            Ok(DhostAttr::Hook) => DhostNla::Hook(u32_of("DHOST_A_HOOK")?),
            Ok(DhostAttr::Packets) => DhostNla::Packets(parse_uint(v).context("DHOST_A_PACKETS")?),
            Ok(DhostAttr::Addr) => DhostNla::Addr(addr_of("DHOST_A_ADDR")?),
            Ok(DhostAttr::Ifindex) => DhostNla::Ifindex(u32_of("DHOST_A_IFINDEX")?),
            Ok(DhostAttr::Member) => DhostNla::Member(u32_of("DHOST_A_MEMBER")?),
            Ok(DhostAttr::Members) => DhostNla::Members(u32_of("DHOST_A_MEMBERS")?),
            Ok(DhostAttr::Lead) => DhostNla::Lead(u32_of("DHOST_A_LEAD")? != 0),
            Ok(DhostAttr::PortLo) => DhostNla::PortLo(u16_of("DHOST_A_PORT_LO")?),
            Ok(DhostAttr::PortHi) => DhostNla::PortHi(u16_of("DHOST_A_PORT_HI")?),
            Ok(DhostAttr::Stat) => DhostNla::Stat(u32_of("DHOST_A_STAT")?),
            Ok(DhostAttr::Count) => DhostNla::Count(parse_uint(v).context("DHOST_A_COUNT")?),
            Ok(DhostAttr::Event) => DhostNla::Event(u32_of("DHOST_A_EVENT")?),
            Ok(DhostAttr::Proto) => DhostNla::Proto(u32_of("DHOST_A_PROTO")?),
            Ok(DhostAttr::Laddr) => DhostNla::Laddr(addr_of("DHOST_A_LADDR")?),
            Ok(DhostAttr::Lport) => DhostNla::Lport(u16_of("DHOST_A_LPORT")?),
            Ok(DhostAttr::Raddr) => DhostNla::Raddr(addr_of("DHOST_A_RADDR")?),
            Ok(DhostAttr::Rport) => DhostNla::Rport(u16_of("DHOST_A_RPORT")?),
            Ok(DhostAttr::Ctx) => DhostNla::Ctx(u32_of("DHOST_A_CTX")?),
            Ok(DhostAttr::Mac) => DhostNla::Mac(v.try_into().map_err(|_| {
                DecodeError::from(format!("invalid DHOST_A_MAC: {} bytes", v.len()))
            })?),
            Ok(DhostAttr::AuthMs) => DhostNla::AuthMs(u32_of("DHOST_A_AUTH_MS")?),
            Ok(DhostAttr::Unspec) | Err(_) => DhostNla::Other(DefaultNla::parse(buf)?),
        })
    }
}

/// A message of the dhost family: a command and its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhostMessage {
    pub cmd: DhostCmd,
    pub nlas: Vec<DhostNla>,
}

impl GenlFamily for DhostMessage {
    fn family_name() -> &'static str {
        DHOST_GENL_NAME
    }
    fn command(&self) -> u8 {
        self.cmd.into()
    }
    fn version(&self) -> u8 {
        DHOST_GENL_VERSION
    }
}

impl Emitable for DhostMessage {
    fn buffer_len(&self) -> usize {
        self.nlas.as_slice().buffer_len()
    }
    fn emit(&self, buffer: &mut [u8]) {
        self.nlas.as_slice().emit(buffer)
    }
}

impl ParseableParametrized<[u8], GenlHeader> for DhostMessage {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        let cmd = DhostCmd::try_from(header.cmd)
            .map_err(|e| DecodeError::from(format!("dhost command: {e}")))?;
        let nlas = NlasIterator::new(buf)
            .map(|nla| nla.and_then(|nla| DhostNla::parse(&nla)))
            .collect::<Result<Vec<_>, _>>()
            .context("invalid dhost attributes")?;
        Ok(DhostMessage { cmd, nlas })
    }
}

impl DhostMessage {
    /// `dhost add ADDR dev IFNAME member N of M`.
    pub fn addr_set(addr: Ipv4Addr, ifindex: u32, member: u32, members: u32) -> Self {
        DhostMessage {
            cmd: DhostCmd::AddrSet,
            nlas: vec![
                DhostNla::Addr(addr),
                DhostNla::Ifindex(ifindex),
                DhostNla::Member(member),
                DhostNla::Members(members),
            ],
        }
    }

    /// `dhost del ADDR` (the interface is looked up first).
    pub fn addr_del(addr: Ipv4Addr, ifindex: u32) -> Self {
        DhostMessage {
            cmd: DhostCmd::AddrDel,
            nlas: vec![DhostNla::Addr(addr), DhostNla::Ifindex(ifindex)],
        }
    }

    /// `lead ADDR on|off` (with `addr`) or `lead IFNAME on|off` (without).
    pub fn lead(addr: Option<Ipv4Addr>, ifindex: u32, on: bool) -> Self {
        let mut nlas: Vec<DhostNla> = addr.map(DhostNla::Addr).into_iter().collect();
        nlas.push(DhostNla::Ifindex(ifindex));
        nlas.push(DhostNla::Lead(on));
        DhostMessage {
            cmd: DhostCmd::Lead,
            nlas,
        }
    }

    /// The dump request behind `dhost show`.
    pub fn addr_get() -> Self {
        DhostMessage {
            cmd: DhostCmd::AddrGet,
            nlas: Vec::new(),
        }
    }

    /// The dump request behind `dhost stats`.
    pub fn get_stats() -> Self {
        DhostMessage {
            cmd: DhostCmd::GetStats,
            nlas: Vec::new(),
        }
    }

    fn on_addr(cmd: DhostCmd, addr: Ipv4Addr, ifindex: u32, mut more: Vec<DhostNla>) -> Self {
        let mut nlas = vec![DhostNla::Addr(addr), DhostNla::Ifindex(ifindex)];
        nlas.append(&mut more);
        DhostMessage { cmd, nlas }
    }

    /// Enter `key` into the forwarding table of `addr`: owned by `member`.
    pub fn fwd_set(addr: Ipv4Addr, ifindex: u32, key: &FwdKey, member: u32) -> Self {
        let mut nlas = key.nlas();
        nlas.push(DhostNla::Member(member));
        Self::on_addr(DhostCmd::FwdSet, addr, ifindex, nlas)
    }

    /// Remove `key` from the forwarding table of `addr`.
    pub fn fwd_del(addr: Ipv4Addr, ifindex: u32, key: &FwdKey) -> Self {
        Self::on_addr(DhostCmd::FwdDel, addr, ifindex, key.nlas())
    }

    /// Member `member` of `addr` has hardware address `mac`.
    pub fn peer_set(addr: Ipv4Addr, ifindex: u32, member: u32, mac: [u8; 6]) -> Self {
        Self::on_addr(
            DhostCmd::PeerSet,
            addr,
            ifindex,
            vec![DhostNla::Member(member), DhostNla::Mac(mac)],
        )
    }

    /// Forget member `member`'s hardware address.
    pub fn peer_del(addr: Ipv4Addr, ifindex: u32, member: u32) -> Self {
        Self::on_addr(
            DhostCmd::PeerDel,
            addr,
            ifindex,
            vec![DhostNla::Member(member)],
        )
    }

    /// The table of `addr` is authoritative for `msecs` ms (0: not).
    pub fn auth(addr: Ipv4Addr, ifindex: u32, msecs: u32) -> Self {
        Self::on_addr(DhostCmd::Auth, addr, ifindex, vec![DhostNla::AuthMs(msecs)])
    }

    /// The dump request for the tables of every distributed address.
    pub fn fwd_get() -> Self {
        DhostMessage {
            cmd: DhostCmd::FwdGet,
            nlas: Vec::new(),
        }
    }

    /// Drop the table of `addr` (bridging off).
    pub fn fwd_flush(addr: Ipv4Addr, ifindex: u32) -> Self {
        Self::on_addr(DhostCmd::FwdFlush, addr, ifindex, Vec::new())
    }
}

/// The key of a forwarding-table entry: a port, or one connection to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FwdKey {
    /// IPPROTO_TCP (6) or IPPROTO_UDP (17).
    pub proto: u8,
    /// The port on the distributed address.
    pub lport: u16,
    /// For a connection: the remote address and port.
    pub remote: Option<(Ipv4Addr, u16)>,
}

impl FwdKey {
    fn nlas(&self) -> Vec<DhostNla> {
        let mut nlas = vec![
            DhostNla::Proto(u32::from(self.proto)),
            DhostNla::Lport(self.lport),
        ];
        if let Some((raddr, rport)) = self.remote {
            nlas.push(DhostNla::Raddr(raddr));
            nlas.push(DhostNla::Rport(rport));
        }
        nlas
    }
}

/// The forwarding table of one distributed address, as the kernel dumps it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FwdTable {
    /// How long the table stays authoritative, in ms (0: it is not).
    pub auth_ms: u32,
    /// Member number and hardware address of every known member.
    pub peers: Vec<(u32, [u8; 6])>,
    /// Every entry and its owner.
    pub entries: Vec<(FwdKey, u32)>,
}

impl FwdTable {
    /// Builds the table of `addr` from the messages of a `FWD_GET` dump
    /// (which covers every distributed address, each message naming its
    /// ADDR): one message with AUTH_MS, one per peer (MEMBER, MAC), one per
    /// entry.
    pub fn from_messages(addr: Ipv4Addr, msgs: &[DhostMessage]) -> Result<Self, String> {
        let mut table = FwdTable::default();
        for msg in msgs {
            if !msg.nlas.contains(&DhostNla::Addr(addr)) {
                continue;
            }
            let (mut member, mut mac, mut proto, mut lport, mut raddr, mut rport) =
                (None, None, None, None, None, None);
            for nla in &msg.nlas {
                match nla {
                    DhostNla::AuthMs(ms) => table.auth_ms = *ms,
                    DhostNla::Member(m) => member = Some(*m),
                    DhostNla::Mac(m) => mac = Some(*m),
                    DhostNla::Proto(p) => proto = Some(*p),
                    DhostNla::Lport(p) => lport = Some(*p),
                    DhostNla::Raddr(a) => raddr = Some(*a),
                    DhostNla::Rport(p) => rport = Some(*p),
                    _ => {}
                }
            }
            if msg.nlas.iter().any(|n| matches!(n, DhostNla::AuthMs(_))) {
                continue;
            }
            match (member, mac, proto, lport) {
                (Some(m), Some(mac), _, _) => table.peers.push((m, mac)),
                (Some(m), None, Some(proto), Some(lport)) => {
                    let proto = u8::try_from(proto).map_err(|_| format!("protocol {proto}"))?;
                    let remote = match (raddr, rport) {
                        (Some(a), Some(p)) => Some((a, p)),
                        (None, None) => None,
                        _ => return Err("a connection entry without its remote port".into()),
                    };
                    table.entries.push((
                        FwdKey {
                            proto,
                            lport,
                            remote,
                        },
                        m,
                    ));
                }
                _ => return Err("a forwarding-table message without its key".into()),
            }
        }
        Ok(table)
    }
}

/// The name of counter `stat` in `dhost stats` (the `DHOST_STAT_` name in
/// lower case).
pub fn stat_name(stat: u32) -> String {
    use DhostStat::*;
    let known = [
        (MarkedHost, "marked_host"),
        (RstSuppressed, "rst_suppressed"),
        (IcmpSuppressed, "icmp_suppressed"),
        (IcmpLeader, "icmp_leader"),
        (IcmpNotLeader, "icmp_not_leader"),
        (IcmpErrOwned, "icmp_err_owned"),
        (IcmpErrNotOwned, "icmp_err_not_owned"),
        (OtherNotLeader, "other_not_leader"),
        (ArpLeader, "arp_leader"),
        (ArpNotLeader, "arp_not_leader"),
        (ArpSrcReplaced, "arp_src_replaced"),
        (ArpOutDropped, "arp_out_dropped"),
        (PortSliced, "port_sliced"),
        (Events, "events"),
        (EventsLost, "events_lost"),
        (Bridged, "bridged"),
        (Flooded, "flooded"),
        (BridgeLocal, "bridge_local"),
        (BridgeLoop, "bridge_loop"),
        (BridgeDropped, "bridge_dropped"),
        (Answered, "answered"),
    ];
    known
        .iter()
        .find(|(s, _)| *s as u32 == stat)
        .map_or_else(|| format!("stat_{stat}"), |(_, n)| n.to_string())
}

/// The name of hook `hook`'s packet counter in `dhost stats`.
pub fn hook_name(hook: u32) -> String {
    match DhostHook::try_from(hook) {
        Ok(DhostHook::Ipv4PreRouting) => "packets_ipv4_pre_routing".into(),
        Ok(DhostHook::Ipv4LocalIn) => "packets_ipv4_local_in".into(),
        Ok(DhostHook::ArpIn) => "packets_arp_in".into(),
        Ok(DhostHook::ArpOut) => "packets_arp_out".into(),
        Err(_) => format!("packets_hook_{hook}"),
    }
}

/// The name of socket event `event` in `dhost monitor`.
pub fn event_name(event: u32) -> String {
    use DhostEvent::*;
    [
        (Bind, "bind"),
        (Listen, "listen"),
        (Accept, "accept"),
        (Connect, "connect"),
        (Close, "close"),
    ]
    .iter()
    .find(|(e, _)| *e as u32 == event)
    .map_or_else(|| format!("event_{event}"), |(_, n)| n.to_string())
}

/// One counter of `dhost stats`, by name, in the kernel's order.
pub fn counters_from(msgs: &[DhostMessage]) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for m in msgs {
        let (mut hook, mut packets, mut stat, mut count) = (None, None, None, None);
        for nla in &m.nlas {
            match nla {
                DhostNla::Hook(h) => hook = Some(*h),
                DhostNla::Packets(p) => packets = Some(*p),
                DhostNla::Stat(s) => stat = Some(*s),
                DhostNla::Count(c) => count = Some(*c),
                _ => {}
            }
        }
        if let (Some(s), Some(c)) = (stat, count) {
            out.push((stat_name(s), c));
        } else if let (Some(h), Some(p)) = (hook, packets) {
            out.push((hook_name(h), p));
        }
    }
    out
}

/// A socket event, as `dhost monitor` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SockEvent {
    pub event: String,
    pub proto: String,
    pub local: String,
    pub remote: String,
    pub ctx: u32,
    pub member: u32,
}

impl SockEvent {
    pub fn from_nlas(nlas: &[DhostNla]) -> Self {
        let mut ev = SockEvent::default();
        let (mut laddr, mut lport, mut raddr, mut rport) =
            (Ipv4Addr::UNSPECIFIED, 0, Ipv4Addr::UNSPECIFIED, 0);
        for nla in nlas {
            match nla {
                DhostNla::Event(e) => ev.event = event_name(*e),
                DhostNla::Proto(6) => ev.proto = "tcp".into(),
                DhostNla::Proto(17) => ev.proto = "udp".into(),
                DhostNla::Proto(p) => ev.proto = format!("proto{p}"),
                DhostNla::Laddr(a) => laddr = *a,
                DhostNla::Lport(p) => lport = *p,
                DhostNla::Raddr(a) => raddr = *a,
                DhostNla::Rport(p) => rport = *p,
                DhostNla::Ctx(c) => ev.ctx = *c,
                DhostNla::Member(m) => ev.member = *m,
                _ => {}
            }
        }
        ev.local = format!("{laddr}:{lport}");
        ev.remote = format!("{raddr}:{rport}");
        ev
    }

    /// `bind tcp 10.9.0.1:80 0.0.0.0:0 ctx 0 member 2`.
    pub fn text(&self) -> String {
        format!(
            "{} {} {} {} ctx {} member {}\n",
            self.event, self.proto, self.local, self.remote, self.ctx, self.member
        )
    }
}

/// A socket on the `dhost` family.
pub struct Dhost {
    sock: GenlSocket,
    family: u16,
    events_group: Option<u32>,
}

impl Dhost {
    /// Opens a socket and resolves the family; `what` names the operation
    /// for error messages.
    pub fn connect(what: &str) -> Result<Self> {
        let mut sock = GenlSocket::open()
            .map_err(|e| Error::system(format!("{what}: generic netlink socket"), e))?;
        match sock.resolve(DHOST_GENL_NAME) {
            Ok(Some(info)) => Ok(Dhost {
                sock,
                family: info.id,
                events_group: info
                    .mcast_groups
                    .iter()
                    .find(|(n, _)| n == DHOST_GENL_MCGRP_EVENTS)
                    .map(|(_, id)| *id),
            }),
            Ok(None) => Err(Error::ModuleMissing {
                module: "dhost",
                family: DHOST_GENL_NAME,
            }),
            Err(e) => Err(crate::error::nl_fail(
                format!("{what}: resolve generic netlink family \"{DHOST_GENL_NAME}\""),
                crate::error::Op::List,
                false,
                e,
            )),
        }
    }

    pub fn execute(&mut self, msg: DhostMessage) -> Result<Vec<DhostMessage>, NlError> {
        self.sock.execute(self.family, msg)
    }

    pub fn dump(&mut self, msg: DhostMessage) -> Result<Vec<DhostMessage>, NlError> {
        self.sock.dump(self.family, msg)
    }

    /// The forwarding table of `addr` (`ifindex` is kept for symmetry
    /// with the other requests: an address is distributed on one
    /// interface).
    pub fn fwd_table(&mut self, addr: Ipv4Addr, _ifindex: u32) -> Result<FwdTable, NlError> {
        let msgs = self.dump(DhostMessage::fwd_get())?;
        FwdTable::from_messages(addr, &msgs).map_err(NlError::Decode)
    }

    /// Every distributed address.
    pub fn addrs(&mut self) -> Result<Vec<AddrInfo>, NlError> {
        self.dump(DhostMessage::addr_get())?
            .iter()
            .map(|m| AddrInfo::from_message(m).map_err(NlError::Decode))
            .collect()
    }

    /// Prints socket events as they come, until an error.
    pub fn monitor(
        &mut self,
        each: impl FnMut(SockEvent) -> Result<bool, NlError>,
        lost: impl FnMut(),
    ) -> Result<(), NlError> {
        let group = self.events_group.ok_or_else(|| {
            NlError::Decode(format!(
                "the dhost family has no \"{DHOST_GENL_MCGRP_EVENTS}\" group"
            ))
        })?;
        self.sock.join(group)?;
        let mut each = each;
        self.sock.listen(
            self.family,
            |cmd, attrs| {
                if cmd != u8::from(DhostCmd::Event) {
                    return Ok(true);
                }
                let nlas = NlasIterator::new(attrs)
                    .map(|nla| nla.and_then(|nla| DhostNla::parse(&nla)))
                    .collect::<Result<Vec<_>, _>>()
                    .context("invalid dhost event")?;
                each(SockEvent::from_nlas(&nlas))
            },
            lost,
        )
    }
}

/// One distributed address, as `dhost show` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AddrInfo {
    #[serde(skip)]
    pub addr: Option<Ipv4Addr>,
    pub ifindex: u32,
    pub ctx: u32,
    pub member: u32,
    pub members: u32,
    pub lead: bool,
    pub port_lo: u16,
    pub port_hi: u16,
}

impl AddrInfo {
    pub fn from_message(msg: &DhostMessage) -> Result<Self, String> {
        let mut info = AddrInfo::default();
        for nla in &msg.nlas {
            match nla {
                DhostNla::Addr(a) => info.addr = Some(*a),
                DhostNla::Ifindex(v) => info.ifindex = *v,
                DhostNla::Ctx(v) => info.ctx = *v,
                DhostNla::Member(v) => info.member = *v,
                DhostNla::Members(v) => info.members = *v,
                DhostNla::Lead(on) => info.lead = *on,
                DhostNla::PortLo(v) => info.port_lo = *v,
                DhostNla::PortHi(v) => info.port_hi = *v,
                _ => {}
            }
        }
        if info.addr.is_none() {
            return Err("a distributed address without DHOST_A_ADDR".into());
        }
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fwd_table_of_one_address() {
        let a = Ipv4Addr::new(10, 9, 0, 1);
        let other = Ipv4Addr::new(10, 9, 0, 2);
        let msg = |nlas: Vec<DhostNla>| DhostMessage {
            cmd: DhostCmd::FwdGet,
            nlas,
        };
        let on = |addr, mut more: Vec<DhostNla>| {
            let mut nlas = vec![DhostNla::Addr(addr), DhostNla::Ifindex(2)];
            nlas.append(&mut more);
            msg(nlas)
        };
        let msgs = [
            on(a, vec![DhostNla::AuthMs(2500)]),
            on(
                a,
                vec![DhostNla::Member(2), DhostNla::Mac([2, 0, 0, 0, 0, 2])],
            ),
            on(
                a,
                vec![DhostNla::Proto(6), DhostNla::Lport(80), DhostNla::Member(2)],
            ),
            on(
                a,
                vec![
                    DhostNla::Proto(6),
                    DhostNla::Lport(80),
                    DhostNla::Raddr(other),
                    DhostNla::Rport(4000),
                    DhostNla::Member(3),
                ],
            ),
            on(other, vec![DhostNla::AuthMs(0)]),
            on(
                other,
                vec![
                    DhostNla::Proto(17),
                    DhostNla::Lport(53),
                    DhostNla::Member(1),
                ],
            ),
        ];
        let t = FwdTable::from_messages(a, &msgs).unwrap();
        assert_eq!(t.auth_ms, 2500);
        assert_eq!(t.peers, vec![(2, [2, 0, 0, 0, 0, 2])]);
        assert_eq!(
            t.entries,
            vec![
                (
                    FwdKey {
                        proto: 6,
                        lport: 80,
                        remote: None
                    },
                    2
                ),
                (
                    FwdKey {
                        proto: 6,
                        lport: 80,
                        remote: Some((other, 4000))
                    },
                    3
                ),
            ]
        );
        let bad = [on(a, vec![DhostNla::Proto(6), DhostNla::Member(2)])];
        assert!(FwdTable::from_messages(a, &bad).is_err());
    }
    use netlink_packet_core::NlaBuffer;

    fn round_trip(nla: DhostNla) {
        let mut buf = vec![0u8; nla.buffer_len()];
        nla.emit(&mut buf);
        let parsed = DhostNla::parse(&NlaBuffer::new(&buf[..])).unwrap();
        assert_eq!(parsed, nla);
    }

    #[test]
    fn attributes_round_trip() {
        let a = Ipv4Addr::new(192, 0, 2, 10);
        for nla in [
            DhostNla::Hook(2),
            DhostNla::Packets(1 << 40),
            DhostNla::Addr(a),
            DhostNla::Ifindex(3),
            DhostNla::Member(2),
            DhostNla::Members(3),
            DhostNla::Lead(true),
            DhostNla::Lead(false),
            DhostNla::PortLo(32768),
            DhostNla::PortHi(42767),
            DhostNla::Stat(13),
            DhostNla::Count(7),
            DhostNla::Event(1),
            DhostNla::Proto(6),
            DhostNla::Laddr(a),
            DhostNla::Lport(80),
            DhostNla::Raddr(Ipv4Addr::new(192, 0, 2, 1)),
            DhostNla::Rport(50000),
            DhostNla::Ctx(5),
        ] {
            round_trip(nla);
        }
    }

    #[test]
    fn addresses_are_big_endian_on_the_wire() {
        let nla = DhostNla::Addr(Ipv4Addr::new(10, 0, 0, 1));
        let mut buf = vec![0u8; nla.buffer_len()];
        nla.emit(&mut buf);
        assert_eq!(&buf[4..8], &[10, 0, 0, 1]);
    }

    #[test]
    fn uint_of_four_bytes_and_bad_lengths() {
        assert_eq!(parse_uint(&7u32.to_ne_bytes()).unwrap(), 7);
        assert_eq!(parse_uint(&(1u64 << 33).to_ne_bytes()).unwrap(), 1 << 33);
        assert!(parse_uint(&[1, 2]).is_err());
        assert!(parse_be32(&[1, 2, 3]).is_err());
    }

    #[test]
    fn show_entry_needs_an_address() {
        let msg = DhostMessage {
            cmd: DhostCmd::AddrGet,
            nlas: vec![DhostNla::Member(1), DhostNla::Members(3)],
        };
        assert!(AddrInfo::from_message(&msg).is_err());
        let mut ok = DhostMessage::addr_set(Ipv4Addr::new(10, 0, 0, 1), 2, 1, 3);
        ok.nlas.push(DhostNla::Lead(true));
        let info = AddrInfo::from_message(&ok).unwrap();
        assert_eq!((info.member, info.members, info.lead), (1, 3, true));
    }
}

/// `dhost add ADDR dev IFNAME member N of M`, parsed and checked before any
/// kernel call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddSpec {
    pub addr: Ipv4Addr,
    pub dev: String,
    pub member: u32,
    pub members: u32,
}

/// Parses the words after `dhost add`.
pub fn parse_add(words: &[&str]) -> Result<AddSpec, String> {
    let usage = "usage: dhost add ADDR dev IFNAME member N of M";
    let [addr, "dev", dev, "member", n, "of", m] = words else {
        return Err(usage.to_string());
    };
    let addr: Ipv4Addr = addr
        .parse()
        .map_err(|_| format!("dhost address \"{addr}\" is not an IPv4 address"))?;
    if addr.is_unspecified() || addr.is_broadcast() || addr.is_multicast() {
        return Err(format!(
            "dhost address {addr} cannot be distributed (unspecified, broadcast or multicast)"
        ));
    }
    let number = |what: &str, s: &str| {
        s.parse::<u32>()
            .map_err(|_| format!("dhost {what} \"{s}\" is not a number"))
    };
    let members = number("member count", m)?;
    let member = number("member", n)?;
    if !(1..=vrctx_uapi::DHOST_MEMBERS_MAX).contains(&members) {
        return Err(format!(
            "dhost member count {members} is out of range (1..={})",
            vrctx_uapi::DHOST_MEMBERS_MAX
        ));
    }
    if !(1..=members).contains(&member) {
        return Err(format!(
            "dhost member {member} is out of range (1..={members})"
        ));
    }
    Ok(AddSpec {
        addr,
        dev: dev.to_string(),
        member,
        members,
    })
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn add_table() {
        let ok = parse_add(&["10.0.0.1", "dev", "eth0", "member", "2", "of", "3"]).unwrap();
        assert_eq!(
            ok,
            AddSpec {
                addr: Ipv4Addr::new(10, 0, 0, 1),
                dev: "eth0".into(),
                member: 2,
                members: 3
            }
        );
        for (words, want) in [
            (&["10.0.0.1", "dev", "eth0"][..], "usage"),
            (
                &["10.0.0.1", "dev", "eth0", "member", "2", "in", "3"][..],
                "usage",
            ),
            (
                &["10.0.0", "dev", "eth0", "member", "1", "of", "3"][..],
                "not an IPv4",
            ),
            (
                &["0.0.0.0", "dev", "eth0", "member", "1", "of", "3"][..],
                "cannot be distributed",
            ),
            (
                &["224.0.0.1", "dev", "eth0", "member", "1", "of", "3"][..],
                "cannot be distributed",
            ),
            (
                &["10.0.0.1", "dev", "eth0", "member", "x", "of", "3"][..],
                "not a number",
            ),
            (
                &["10.0.0.1", "dev", "eth0", "member", "0", "of", "3"][..],
                "member 0 is out of range",
            ),
            (
                &["10.0.0.1", "dev", "eth0", "member", "4", "of", "3"][..],
                "member 4 is out of range",
            ),
            (
                &["10.0.0.1", "dev", "eth0", "member", "1", "of", "0"][..],
                "count 0 is out of range",
            ),
            (
                &["10.0.0.1", "dev", "eth0", "member", "1", "of", "256"][..],
                "count 256 is out of range",
            ),
        ] {
            let err = parse_add(words).unwrap_err();
            assert!(err.contains(want), "{words:?}: {err}");
        }
    }
}
