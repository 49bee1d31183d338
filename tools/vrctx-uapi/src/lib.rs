// SPDX-License-Identifier: GPL-2.0-only
//! Rust mirror of `include/uapi/linux/vrctx.h (added by kernel-patches/)` (installed in the
//! kernel as `include/uapi/linux/vrctx.h`).
//!
//! The C header is authoritative. A unit test parses it and fails if a
//! number or a name here disagrees with it, or if either side has something
//! the other lacks.
//!
//! Besides the constants, this crate holds the small pure rules that vrctl,
//! the tests and the kernel modules agree on: which routing table a context
//! uses ([`table_for`]), which ids are valid ([`validate_id`], [`parse_id`])
//! and which names are ([`validate_name`]).

#![forbid(unsafe_code)]

use core::fmt;

#[cfg(test)]
mod c_header;

/// `setsockopt(fd, SOL_IP, IP_VRCTX, &(u32)ctx, 4)`.
pub const IP_VRCTX: i32 = 90;

/// The default context: exists from boot in every network namespace and
/// can never be deleted.
pub const VRCTX_DEFAULT: u32 = 0;
/// Largest valid context id.
pub const VRCTX_ID_MAX: u32 = 0x7fff_ffff;
/// Context `N` (`N > 0`) routes with table `VRCTX_TABLE_BASE + N`.
pub const VRCTX_TABLE_BASE: u32 = 0x8000_0000;
/// Size of a context name buffer including the NUL: names have at most
/// `VRCTX_NAME_MAX - 1` bytes.
pub const VRCTX_NAME_MAX: usize = 16;
/// At most this many contexts in one request with [`VrctxAttr::Count`].
pub const VRCTX_COUNT_MAX: u32 = 1024;

/// Generic netlink family of the vrctx module.
pub const VRCTX_GENL_NAME: &str = "vrctx";
/// Version carried in the genetlink header of vrctx messages.
pub const VRCTX_GENL_VERSION: u8 = 1;
/// Multicast group of the vrctx family (context created/deleted events).
pub const VRCTX_GENL_MCGRP_EVENTS: &str = "events";

/// Generic netlink family of the dhost (distributed host) module.
pub const DHOST_GENL_NAME: &str = "dhost";
/// Version carried in the genetlink header of dhost messages.
pub const DHOST_GENL_VERSION: u8 = 1;
/// Multicast group of the dhost family (bind/listen/accept/... events).
pub const DHOST_GENL_MCGRP_EVENTS: &str = "events";

/// Error returned by [`TryFrom`] for an unknown command or attribute number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownValue(pub u16);

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown value {}", self.0)
    }
}

impl std::error::Error for UnknownValue {}

/// `enum vrctx_cmd`: commands of the `vrctx` generic netlink family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum VrctxCmd {
    /// `VRCTX_CMD_UNSPEC`
    Unspec = 0,
    /// `VRCTX_CMD_NEW`: create; also the "created" event.
    New = 1,
    /// `VRCTX_CMD_DEL`: delete; also the "deleted" event.
    Del = 2,
    /// `VRCTX_CMD_GET`: get one (ID or NAME) or dump all.
    Get = 3,
    /// `VRCTX_CMD_ASSIGN`: move IFINDEX into context ID (or NAME).
    Assign = 4,
}

/// `VRCTX_CMD_MAX`: the highest command number.
pub const VRCTX_CMD_MAX: u8 = VrctxCmd::Assign as u8;

impl VrctxCmd {
    /// Every command, in numeric order.
    pub const ALL: [VrctxCmd; 5] = [
        VrctxCmd::Unspec,
        VrctxCmd::New,
        VrctxCmd::Del,
        VrctxCmd::Get,
        VrctxCmd::Assign,
    ];
}

impl From<VrctxCmd> for u8 {
    fn from(cmd: VrctxCmd) -> u8 {
        cmd as u8
    }
}

impl TryFrom<u8> for VrctxCmd {
    type Error = UnknownValue;

    fn try_from(value: u8) -> Result<Self, UnknownValue> {
        VrctxCmd::ALL
            .get(usize::from(value))
            .copied()
            .ok_or(UnknownValue(u16::from(value)))
    }
}

/// `enum vrctx_attr`: attributes of the `vrctx` generic netlink family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum VrctxAttr {
    /// `VRCTX_A_UNSPEC`
    Unspec = 0,
    /// `VRCTX_A_ID`: u32.
    Id = 1,
    /// `VRCTX_A_NAME`: NUL-terminated string, shorter than [`VRCTX_NAME_MAX`].
    Name = 2,
    /// `VRCTX_A_TABLE`: u32, read-only.
    Table = 3,
    /// `VRCTX_A_FORCE`: flag, for [`VrctxCmd::Del`].
    Force = 4,
    /// `VRCTX_A_IFINDEX`: u32.
    Ifindex = 5,
    /// `VRCTX_A_N_IFACES`: u32, read-only.
    NIfaces = 6,
    /// `VRCTX_A_N_SOCKETS`: u32, read-only.
    NSockets = 7,
    /// `VRCTX_A_N_TASKS`: u32, read-only.
    NTasks = 8,
    /// `VRCTX_A_COUNT`: u32: [`VrctxCmd::New`] and [`VrctxCmd::Del`] act on
    /// contexts `ID` to `ID + COUNT - 1`, all or none of them.
    Count = 9,
}

/// `VRCTX_A_MAX`: the highest attribute number.
pub const VRCTX_A_MAX: u16 = VrctxAttr::Count as u16;

impl VrctxAttr {
    /// Every attribute, in numeric order.
    pub const ALL: [VrctxAttr; 10] = [
        VrctxAttr::Unspec,
        VrctxAttr::Id,
        VrctxAttr::Name,
        VrctxAttr::Table,
        VrctxAttr::Force,
        VrctxAttr::Ifindex,
        VrctxAttr::NIfaces,
        VrctxAttr::NSockets,
        VrctxAttr::NTasks,
        VrctxAttr::Count,
    ];
}

impl From<VrctxAttr> for u16 {
    fn from(attr: VrctxAttr) -> u16 {
        attr as u16
    }
}

impl TryFrom<u16> for VrctxAttr {
    type Error = UnknownValue;

    fn try_from(value: u16) -> Result<Self, UnknownValue> {
        VrctxAttr::ALL
            .get(usize::from(value))
            .copied()
            .ok_or(UnknownValue(value))
    }
}

/// `enum dhost_cmd`: commands of the `dhost` generic netlink family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DhostCmd {
    /// `DHOST_CMD_UNSPEC`
    Unspec = 0,
    /// `DHOST_CMD_GET_STATS`: one hook's counters ([`DhostAttr::Hook`]),
    /// or a dump of every hook's.
    GetStats = 1,
    /// `DHOST_CMD_ADDR_SET`: mark an address distributed (member N of M,
    /// optionally leader).
    AddrSet = 2,
    /// `DHOST_CMD_ADDR_DEL`: unmark an address.
    AddrDel = 3,
    /// `DHOST_CMD_LEAD`: set or clear the lead flag of an address, or of
    /// every distributed address of an interface.
    Lead = 4,
    /// `DHOST_CMD_ADDR_GET`: dump the distributed addresses.
    AddrGet = 5,
    /// `DHOST_CMD_EVENT`: multicast only, a socket event.
    Event = 6,
    /// `DHOST_CMD_FWD_SET`: the leader's forwarding table: PROTO, LPORT
    /// (and, for one connection, RADDR, RPORT) of ADDR on IFINDEX are
    /// MEMBER's.
    FwdSet = 7,
    /// `DHOST_CMD_FWD_DEL`: remove the entry of that key.
    FwdDel = 8,
    /// `DHOST_CMD_PEER_SET`: member MEMBER of ADDR has hardware address MAC.
    PeerSet = 9,
    /// `DHOST_CMD_PEER_DEL`: forget member MEMBER's hardware address.
    PeerDel = 10,
    /// `DHOST_CMD_AUTH`: the table of ADDR is authoritative for the next
    /// AUTH_MS milliseconds (0: not any more).
    Auth = 11,
    /// `DHOST_CMD_FWD_GET`: dump the table of ADDR: the peers, then the
    /// entries.
    FwdGet = 12,
    /// `DHOST_CMD_FWD_FLUSH`: drop the whole table of ADDR (bridging off).
    FwdFlush = 13,
}

/// `DHOST_CMD_MAX`: the highest command number.
pub const DHOST_CMD_MAX: u8 = DhostCmd::FwdFlush as u8;

impl DhostCmd {
    /// Every command, in numeric order.
    pub const ALL: [DhostCmd; 14] = [
        DhostCmd::Unspec,
        DhostCmd::GetStats,
        DhostCmd::AddrSet,
        DhostCmd::AddrDel,
        DhostCmd::Lead,
        DhostCmd::AddrGet,
        DhostCmd::Event,
        DhostCmd::FwdSet,
        DhostCmd::FwdDel,
        DhostCmd::PeerSet,
        DhostCmd::PeerDel,
        DhostCmd::Auth,
        DhostCmd::FwdGet,
        DhostCmd::FwdFlush,
    ];
}

impl From<DhostCmd> for u8 {
    fn from(cmd: DhostCmd) -> u8 {
        cmd as u8
    }
}

impl TryFrom<u8> for DhostCmd {
    type Error = UnknownValue;

    fn try_from(value: u8) -> Result<Self, UnknownValue> {
        DhostCmd::ALL
            .get(usize::from(value))
            .copied()
            .ok_or(UnknownValue(u16::from(value)))
    }
}

/// `enum dhost_hook`: the netfilter hooks dhost.ko registers in every
/// network namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum DhostHook {
    /// `DHOST_HOOK_IPV4_PRE_ROUTING`
    Ipv4PreRouting = 0,
    /// `DHOST_HOOK_IPV4_LOCAL_IN`
    Ipv4LocalIn = 1,
    /// `DHOST_HOOK_ARP_IN`
    ArpIn = 2,
    /// `DHOST_HOOK_ARP_OUT`
    ArpOut = 3,
}

/// `DHOST_HOOK_MAX`: the highest hook number.
pub const DHOST_HOOK_MAX: u32 = DhostHook::ArpOut as u32;

impl DhostHook {
    /// Every hook, in numeric order.
    pub const ALL: [DhostHook; 4] = [
        DhostHook::Ipv4PreRouting,
        DhostHook::Ipv4LocalIn,
        DhostHook::ArpIn,
        DhostHook::ArpOut,
    ];
}

impl From<DhostHook> for u32 {
    fn from(hook: DhostHook) -> u32 {
        hook as u32
    }
}

impl TryFrom<u32> for DhostHook {
    type Error = UnknownValue;

    fn try_from(value: u32) -> Result<Self, UnknownValue> {
        usize::try_from(value)
            .ok()
            .and_then(|i| DhostHook::ALL.get(i))
            .copied()
            .ok_or(UnknownValue(u16::try_from(value).unwrap_or(u16::MAX)))
    }
}

/// `enum dhost_attr`: attributes of the `dhost` generic netlink family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum DhostAttr {
    /// `DHOST_A_UNSPEC`
    Unspec = 0,
    /// `DHOST_A_HOOK`: u32, a [`DhostHook`].
    Hook = 1,
    /// `DHOST_A_PACKETS`: unsigned integer of 4 or 8 bytes (`NLA_UINT`),
    /// read-only: the packets the hook saw in the namespace.
    Packets = 2,
    /// `DHOST_A_ADDR`: be32, an IPv4 address.
    Addr = 3,
    /// `DHOST_A_IFINDEX`: u32, an interface index.
    Ifindex = 4,
    /// `DHOST_A_MEMBER`: u32, this member's number, 1..=MEMBERS.
    Member = 5,
    /// `DHOST_A_MEMBERS`: u32, the number of members, 1..=[`DHOST_MEMBERS_MAX`].
    Members = 6,
    /// `DHOST_A_LEAD`: u32, 0 or 1: this member leads the address.
    Lead = 7,
    /// `DHOST_A_PORT_LO`: u16, read-only: the first port of this member's ephemeral slice.
    PortLo = 8,
    /// `DHOST_A_PORT_HI`: u16, read-only: the last port of the slice.
    PortHi = 9,
    /// `DHOST_A_STAT`: u32, read-only: a [`DhostStat`].
    Stat = 10,
    /// `DHOST_A_COUNT`: uint, read-only: the counter named by STAT.
    Count = 11,
    /// `DHOST_A_EVENT`: u32, read-only: a [`DhostEvent`].
    Event = 12,
    /// `DHOST_A_PROTO`: u32, read-only: IPPROTO_TCP or IPPROTO_UDP.
    Proto = 13,
    /// `DHOST_A_LADDR`: be32, read-only: the local address.
    Laddr = 14,
    /// `DHOST_A_LPORT`: u16 in host byte order, read-only: the local port.
    Lport = 15,
    /// `DHOST_A_RADDR`: be32, read-only: the remote address.
    Raddr = 16,
    /// `DHOST_A_RPORT`: u16 in host byte order, read-only: the remote port.
    Rport = 17,
    /// `DHOST_A_CTX`: u32, read-only: the context of the socket or address.
    Ctx = 18,
    /// `DHOST_A_MAC`: 6 bytes, a member's hardware address.
    Mac = 19,
    /// `DHOST_A_AUTH_MS`: u32, how long the table stays authoritative (in a
    /// dump: how long it still is, 0 if not).
    AuthMs = 20,
}

/// `DHOST_A_MAX`: the highest attribute number.
pub const DHOST_A_MAX: u16 = DhostAttr::AuthMs as u16;

impl DhostAttr {
    /// Every attribute, in numeric order.
    pub const ALL: [DhostAttr; 21] = [
        DhostAttr::Unspec,
        DhostAttr::Hook,
        DhostAttr::Packets,
        DhostAttr::Addr,
        DhostAttr::Ifindex,
        DhostAttr::Member,
        DhostAttr::Members,
        DhostAttr::Lead,
        DhostAttr::PortLo,
        DhostAttr::PortHi,
        DhostAttr::Stat,
        DhostAttr::Count,
        DhostAttr::Event,
        DhostAttr::Proto,
        DhostAttr::Laddr,
        DhostAttr::Lport,
        DhostAttr::Raddr,
        DhostAttr::Rport,
        DhostAttr::Ctx,
        DhostAttr::Mac,
        DhostAttr::AuthMs,
    ];
}

impl From<DhostAttr> for u16 {
    fn from(attr: DhostAttr) -> u16 {
        attr as u16
    }
}

impl TryFrom<u16> for DhostAttr {
    type Error = UnknownValue;

    fn try_from(value: u16) -> Result<Self, UnknownValue> {
        DhostAttr::ALL
            .get(usize::from(value))
            .copied()
            .ok_or(UnknownValue(value))
    }
}

/// `DHOST_MEMBERS_MAX`: the largest member count.
pub const DHOST_MEMBERS_MAX: u32 = 255;

/// `enum dhost_event`: socket events on distributed addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum DhostEvent {
    /// `DHOST_EV_UNSPEC`
    Unspec = 0,
    /// `DHOST_EV_BIND`
    Bind = 1,
    /// `DHOST_EV_LISTEN`
    Listen = 2,
    /// `DHOST_EV_ACCEPT`
    Accept = 3,
    /// `DHOST_EV_CONNECT`
    Connect = 4,
    /// `DHOST_EV_CLOSE`
    Close = 5,
}

/// `DHOST_EV_MAX`: the highest event number.
pub const DHOST_EV_MAX: u32 = DhostEvent::Close as u32;

/// `enum dhost_stat`: the decisions a member counts for its distributed
/// addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum DhostStat {
    /// `DHOST_STAT_MARKED_HOST`: link broadcast taken as ours.
    MarkedHost = 0,
    /// `DHOST_STAT_RST_SUPPRESSED`: TCP without a socket, no RST.
    RstSuppressed = 1,
    /// `DHOST_STAT_ICMP_SUPPRESSED`: an ICMP error not originated.
    IcmpSuppressed = 2,
    /// `DHOST_STAT_ICMP_LEADER`: echo and other host ICMP passed (leader).
    IcmpLeader = 3,
    /// `DHOST_STAT_ICMP_NOT_LEADER`: dropped (not leader).
    IcmpNotLeader = 4,
    /// `DHOST_STAT_ICMP_ERR_OWNED`: an ICMP error for a flow of ours.
    IcmpErrOwned = 5,
    /// `DHOST_STAT_ICMP_ERR_NOT_OWNED`: an ICMP error for a flow not ours.
    IcmpErrNotOwned = 6,
    /// `DHOST_STAT_OTHER_NOT_LEADER`: other protocols, not leader.
    OtherNotLeader = 7,
    /// `DHOST_STAT_ARP_LEADER`: an ARP request passed (leader).
    ArpLeader = 8,
    /// `DHOST_STAT_ARP_NOT_LEADER`: an ARP request dropped.
    ArpNotLeader = 9,
    /// `DHOST_STAT_ARP_SRC_REPLACED`: an ARP request sent from another
    /// address.
    ArpSrcReplaced = 10,
    /// `DHOST_STAT_ARP_OUT_DROPPED`: an ARP packet naming the address,
    /// not leader.
    ArpOutDropped = 11,
    /// `DHOST_STAT_PORT_SLICED`: the ephemeral range narrowed to our slice.
    PortSliced = 12,
    /// `DHOST_STAT_EVENTS`: socket events sent.
    Events = 13,
    /// `DHOST_STAT_EVENTS_LOST`: socket events lost (no memory).
    EventsLost = 14,
    /// `DHOST_STAT_BRIDGED`: a frame sent on to the member that owns it.
    Bridged = 15,
    /// `DHOST_STAT_FLOODED`: a frame of unknown owner copied to every
    /// member (counted once per frame).
    Flooded = 16,
    /// `DHOST_STAT_BRIDGE_LOCAL`: a frame for a port or connection of the
    /// leader itself.
    BridgeLocal = 17,
    /// `DHOST_STAT_BRIDGE_LOOP`: a frame from a member, never forwarded
    /// again.
    BridgeLoop = 18,
    /// `DHOST_STAT_BRIDGE_DROPPED`: a copy or a forward that could not be
    /// sent (no memory, device queue).
    BridgeDropped = 19,
    /// `DHOST_STAT_ANSWERED`: a RST or port unreachable the leader sent
    /// for a port nobody owns (the table was authoritative).
    Answered = 20,
}

/// `DHOST_STAT_MAX`: the highest counter number.
pub const DHOST_STAT_MAX: u32 = DhostStat::Answered as u32;

/// Why an id or a name was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A number (as written), but larger than [`VRCTX_ID_MAX`].
    IdOutOfRange(String),
    /// Starts like a number but is not one (decimal or `0x` hex).
    InvalidId(String),
    /// The empty string.
    NameEmpty,
    /// Longer than `VRCTX_NAME_MAX - 1` bytes (the length is given).
    NameTooLong(usize),
    /// A character outside `[A-Za-z0-9_.-]`.
    NameBadChar(char),
    /// Names must not start with a digit (so they never look like ids).
    NameStartsWithDigit,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::IdOutOfRange(v) => write!(
                f,
                "context id {v} is out of range (0..={VRCTX_ID_MAX}, i.e. at most {VRCTX_ID_MAX:#x})"
            ),
            Error::InvalidId(s) => write!(
                f,
                "invalid context id \"{s}\" (expected a decimal or 0x-prefixed hex number)"
            ),
            Error::NameEmpty => write!(f, "context name is empty"),
            Error::NameTooLong(n) => write!(
                f,
                "context name is {n} bytes long (at most {} allowed)",
                VRCTX_NAME_MAX - 1
            ),
            Error::NameBadChar(c) => write!(
                f,
                "context name contains {c:?} (allowed: ASCII letters, digits, '_', '-', '.')"
            ),
            Error::NameStartsWithDigit => {
                write!(f, "context name must not start with a digit")
            }
        }
    }
}

impl std::error::Error for Error {}

/// The routing table of context `ctx`.
///
/// `None` for context 0, which keeps the normal rule engine and the main
/// tables, and for ids above [`VRCTX_ID_MAX`], which have no table.
pub fn table_for(ctx: u32) -> Option<u32> {
    if ctx == VRCTX_DEFAULT || ctx > VRCTX_ID_MAX {
        None
    } else {
        Some(VRCTX_TABLE_BASE + ctx)
    }
}

/// The context whose table is `table`, if it lies in the reserved range.
pub fn ctx_for_table(table: u32) -> Option<u32> {
    match table.checked_sub(VRCTX_TABLE_BASE) {
        Some(ctx) if ctx != VRCTX_DEFAULT => Some(ctx),
        _ => None,
    }
}

/// Accepts `0..=VRCTX_ID_MAX`.
pub fn validate_id(id: u32) -> Result<(), Error> {
    if id > VRCTX_ID_MAX {
        Err(Error::IdOutOfRange(id.to_string()))
    } else {
        Ok(())
    }
}

/// Parses a context id written in decimal or in hex with a `0x`/`0X`
/// prefix, and checks its range.
pub fn parse_id(s: &str) -> Result<u32, Error> {
    let invalid = || Error::InvalidId(s.to_string());
    let (digits, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (s, 10),
    };
    if digits.is_empty() {
        return Err(invalid());
    }
    // One pass over the bytes (batches read millions of ids): a non-digit
    // anywhere makes the id invalid, even past an overflow.
    let mut id = Some(0u32);
    for b in digits.bytes() {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' if radix == 16 => b - b'a' + 10,
            b'A'..=b'F' if radix == 16 => b - b'A' + 10,
            _ => return Err(invalid()),
        };
        id = id.and_then(|v| v.checked_mul(radix)?.checked_add(u32::from(d)));
    }
    match id {
        Some(id) if id <= VRCTX_ID_MAX => Ok(id),
        _ => Err(Error::IdOutOfRange(s.to_string())),
    }
}

/// The context name rule (the kernel enforces the same): 1 to
/// `VRCTX_NAME_MAX - 1` (15) bytes of ASCII letters, digits, `_`, `-` and
/// `.`, not starting with a digit.
pub fn validate_name(name: &str) -> Result<(), Error> {
    let first = name.chars().next().ok_or(Error::NameEmpty)?;
    if let Some(bad) = name
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(Error::NameBadChar(bad));
    }
    if name.len() > VRCTX_NAME_MAX - 1 {
        return Err(Error::NameTooLong(name.len()));
    }
    if first.is_ascii_digit() {
        return Err(Error::NameStartsWithDigit);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
        assert_eq!(table_for(0), None);
        assert_eq!(table_for(1), Some(0x8000_0001));
        assert_eq!(table_for(VRCTX_ID_MAX), Some(u32::MAX));
        assert_eq!(table_for(VRCTX_ID_MAX + 1), None);
        // Never meets the kernel's reserved tables 253..=255 or user tables.
        for ctx in [1, 2, 253, 254, 255, 1000, VRCTX_ID_MAX] {
            let t = table_for(ctx).unwrap();
            assert!(t >= VRCTX_TABLE_BASE);
            assert_eq!(ctx_for_table(t), Some(ctx));
        }
        assert_eq!(ctx_for_table(254), None);
        assert_eq!(ctx_for_table(VRCTX_TABLE_BASE), None);
    }

    #[test]
    fn ids() {
        assert_eq!(validate_id(0), Ok(()));
        assert_eq!(validate_id(VRCTX_ID_MAX), Ok(()));
        assert_eq!(
            validate_id(VRCTX_ID_MAX + 1),
            Err(Error::IdOutOfRange("2147483648".into()))
        );
        assert_eq!(parse_id("0"), Ok(0));
        assert_eq!(parse_id("42"), Ok(42));
        assert_eq!(parse_id("007"), Ok(7));
        assert_eq!(parse_id("0x2a"), Ok(42));
        assert_eq!(parse_id("0X2A"), Ok(42));
        assert_eq!(parse_id("0x7fffffff"), Ok(VRCTX_ID_MAX));
        assert_eq!(parse_id("2147483647"), Ok(VRCTX_ID_MAX));
        assert_eq!(
            parse_id("2147483648"),
            Err(Error::IdOutOfRange("2147483648".into()))
        );
        assert_eq!(
            parse_id("0x80000000"),
            Err(Error::IdOutOfRange("0x80000000".into()))
        );
        assert_eq!(
            parse_id("4294967296"),
            Err(Error::IdOutOfRange("4294967296".into()))
        );
        assert_eq!(
            parse_id("99999999999999999999999"),
            Err(Error::IdOutOfRange("99999999999999999999999".into()))
        );
        for bad in ["", "0x", "1a", "-1", "+1", " 1", "1 ", "0x-1", "1e3", "0b1"] {
            assert_eq!(parse_id(bad), Err(Error::InvalidId(bad.into())), "{bad}");
        }
    }

    #[test]
    fn names() {
        for ok in [
            "a",
            "blue",
            "Red_2",
            "x-y.z",
            "_",
            "-",
            ".",
            "abcdefghijklmno",
        ] {
            assert_eq!(validate_name(ok), Ok(()), "{ok}");
        }
        assert_eq!(validate_name(""), Err(Error::NameEmpty));
        assert_eq!(
            validate_name("abcdefghijklmnop"),
            Err(Error::NameTooLong(16))
        );
        assert_eq!(validate_name("1abc"), Err(Error::NameStartsWithDigit));
        assert_eq!(validate_name("0x10"), Err(Error::NameStartsWithDigit));
        assert_eq!(validate_name("a b"), Err(Error::NameBadChar(' ')));
        assert_eq!(validate_name("a/b"), Err(Error::NameBadChar('/')));
        assert_eq!(validate_name("blå"), Err(Error::NameBadChar('å')));
        assert_eq!(validate_name("a\0"), Err(Error::NameBadChar('\0')));
    }

    #[test]
    fn enums_round_trip() {
        for cmd in VrctxCmd::ALL {
            assert_eq!(VrctxCmd::try_from(u8::from(cmd)), Ok(cmd));
        }
        assert_eq!(VrctxCmd::try_from(VRCTX_CMD_MAX + 1), Err(UnknownValue(5)));
        for attr in VrctxAttr::ALL {
            assert_eq!(VrctxAttr::try_from(u16::from(attr)), Ok(attr));
        }
        assert_eq!(VrctxAttr::try_from(VRCTX_A_MAX + 1), Err(UnknownValue(10)));
        assert!(VrctxCmd::ALL
            .iter()
            .enumerate()
            .all(|(i, c)| usize::from(*c as u8) == i));
        assert!(VrctxAttr::ALL
            .iter()
            .enumerate()
            .all(|(i, a)| usize::from(*a as u16) == i));
        for cmd in DhostCmd::ALL {
            assert_eq!(DhostCmd::try_from(u8::from(cmd)), Ok(cmd));
        }
        assert_eq!(DhostCmd::try_from(DHOST_CMD_MAX + 1), Err(UnknownValue(14)));
        for hook in DhostHook::ALL {
            assert_eq!(DhostHook::try_from(u32::from(hook)), Ok(hook));
        }
        assert_eq!(
            DhostHook::try_from(DHOST_HOOK_MAX + 1),
            Err(UnknownValue(4))
        );
        for attr in DhostAttr::ALL {
            assert_eq!(DhostAttr::try_from(u16::from(attr)), Ok(attr));
        }
        assert_eq!(DhostAttr::try_from(DHOST_A_MAX + 1), Err(UnknownValue(21)));
        assert!(DhostHook::ALL
            .iter()
            .enumerate()
            .all(|(i, h)| usize::try_from(*h as u32) == Ok(i)));
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            Error::IdOutOfRange("2147483648".into()).to_string(),
            "context id 2147483648 is out of range (0..=2147483647, i.e. at most 0x7fffffff)"
        );
        assert_eq!(
            Error::NameTooLong(16).to_string(),
            "context name is 16 bytes long (at most 15 allowed)"
        );
    }
}
