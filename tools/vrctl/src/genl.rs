// SPDX-License-Identifier: GPL-2.0-only
//! Synchronous generic netlink transport, independent of any family.
//!
//! A family module (vrctx now, dhost later) defines its payload type
//! (`GenlFamily + Emitable + ParseableParametrized<[u8], GenlHeader>`) and
//! uses [`GenlSocket::resolve`], [`GenlSocket::execute`] and
//! [`GenlSocket::dump`].

use std::fmt::Debug;
use std::io;

use netlink_packet_core::{
    parse_string, parse_u16, parse_u32, DecodeError, Emitable, ErrorContext, NetlinkBuffer,
    NetlinkMessage, NetlinkPayload, Nla, NlasIterator, ParseableParametrized, NLA_TYPE_MASK,
    NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_packet_generic::{GenlFamily, GenlHeader, GenlMessage};
use netlink_sys::{protocols::NETLINK_GENERIC, Socket, SocketAddr};

/// `GENL_ID_CTRL`: the controller family, which resolves family names.
pub const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const CTRL_ATTR_VERSION: u16 = 3;
const CTRL_ATTR_MCAST_GROUPS: u16 = 7;
const CTRL_ATTR_MCAST_GRP_NAME: u16 = 1;
const CTRL_ATTR_MCAST_GRP_ID: u16 = 2;
/// `NLMSGERR_ATTR_MSG`: the extended ack's human-readable message.
const NLMSGERR_ATTR_MSG: u16 = 1;
/// Size of `struct nlmsghdr`.
const NLMSG_HDRLEN: usize = 16;
/// Size of `struct genlmsghdr`.
const GENL_HDRLEN: usize = 4;

/// A request failed, before it is given a context (see `vrctx::fail`).
#[derive(Debug)]
pub enum NlError {
    /// The kernel answered with a negative errno.
    Kernel { errno: i32, extack: Option<String> },
    /// Sending or receiving failed.
    Io(io::Error),
    /// A reply could not be decoded.
    Decode(String),
}

impl From<io::Error> for NlError {
    fn from(e: io::Error) -> Self {
        NlError::Io(e)
    }
}

impl From<DecodeError> for NlError {
    fn from(e: DecodeError) -> Self {
        NlError::Decode(e.to_string())
    }
}

/// What the controller reports about a family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyInfo {
    pub id: u16,
    pub version: u32,
    /// Multicast groups: name and id.
    pub mcast_groups: Vec<(String, u32)>,
}

/// A controller message: the `CTRL_CMD_GETFAMILY` request, or its reply,
/// parsed leniently (unknown attributes are skipped, so newer kernels that
/// report more do not break us).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtrlMessage {
    cmd: u8,
    family_name: Option<String>,
    info: Option<FamilyInfo>,
}

impl CtrlMessage {
    pub fn get_family(name: &str) -> Self {
        CtrlMessage {
            cmd: CTRL_CMD_GETFAMILY,
            family_name: Some(name.to_string()),
            info: None,
        }
    }
}

struct FamilyNameNla<'a>(&'a str);

impl Nla for FamilyNameNla<'_> {
    fn value_len(&self) -> usize {
        self.0.len() + 1
    }
    fn kind(&self) -> u16 {
        CTRL_ATTR_FAMILY_NAME
    }
    fn emit_value(&self, buffer: &mut [u8]) {
        buffer[..self.0.len()].copy_from_slice(self.0.as_bytes());
        buffer[self.0.len()] = 0;
    }
}

impl GenlFamily for CtrlMessage {
    fn family_name() -> &'static str {
        "nlctrl"
    }
    fn family_id(&self) -> u16 {
        GENL_ID_CTRL
    }
    fn command(&self) -> u8 {
        self.cmd
    }
    fn version(&self) -> u8 {
        2
    }
}

impl Emitable for CtrlMessage {
    fn buffer_len(&self) -> usize {
        self.family_name
            .as_deref()
            .map_or(0, |n| FamilyNameNla(n).buffer_len())
    }
    fn emit(&self, buffer: &mut [u8]) {
        if let Some(n) = self.family_name.as_deref() {
            FamilyNameNla(n).emit(buffer);
        }
    }
}

impl ParseableParametrized<[u8], GenlHeader> for CtrlMessage {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        let mut info = FamilyInfo {
            id: 0,
            version: 0,
            mcast_groups: Vec::new(),
        };
        let mut family_name = None;
        for nla in NlasIterator::new(buf) {
            let nla = nla?;
            let v = nla.value();
            match nla.kind() & NLA_TYPE_MASK {
                CTRL_ATTR_FAMILY_ID => info.id = parse_u16(v).context("CTRL_ATTR_FAMILY_ID")?,
                CTRL_ATTR_FAMILY_NAME => family_name = Some(parse_string(v)?),
                CTRL_ATTR_VERSION => info.version = parse_u32(v).context("CTRL_ATTR_VERSION")?,
                CTRL_ATTR_MCAST_GROUPS => {
                    for group in NlasIterator::new(v) {
                        let (mut name, mut id) = (None, None);
                        for attr in NlasIterator::new(group?.value()) {
                            let attr = attr?;
                            match attr.kind() & NLA_TYPE_MASK {
                                CTRL_ATTR_MCAST_GRP_NAME => {
                                    name = Some(parse_string(attr.value())?)
                                }
                                CTRL_ATTR_MCAST_GRP_ID => id = Some(parse_u32(attr.value())?),
                                _ => {}
                            }
                        }
                        if let (Some(name), Some(id)) = (name, id) {
                            info.mcast_groups.push((name, id));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(CtrlMessage {
            cmd: header.cmd,
            family_name,
            info: Some(info),
        })
    }
}

/// Serializes one request.
pub fn encode<F>(family: u16, payload: F, flags: u16, seq: u32) -> Vec<u8>
where
    F: GenlFamily + Emitable + Debug,
{
    let mut genl = GenlMessage::from_payload(payload);
    genl.set_resolved_family_id(family);
    let mut msg = NetlinkMessage::from(genl);
    msg.header.flags = flags;
    msg.header.sequence_number = seq;
    msg.finalize();
    let mut buf = vec![0; msg.buffer_len()];
    msg.serialize(&mut buf);
    buf
}

/// The message text of an extended ack, from its attributes.
pub fn extack_message(tlvs: &[u8]) -> Option<String> {
    NlasIterator::new(tlvs)
        .map_while(Result::ok)
        .find(|nla| nla.kind() & NLA_TYPE_MASK == NLMSGERR_ATTR_MSG)
        .and_then(|nla| parse_string(nla.value()).ok())
        .filter(|s| !s.is_empty())
}

/// The extended ack message of an `NLMSG_ERROR` whose payload after the
/// error code is `rest` and whose header flags are `flags`.
fn error_extack(flags: u16, rest: &[u8]) -> Option<String> {
    if flags & NLM_F_ACK_TLVS == 0 || rest.len() < NLMSG_HDRLEN {
        return None;
    }
    // The echoed request: its header only when capped, else all of it.
    let skip = if flags & NLM_F_CAPPED != 0 {
        NLMSG_HDRLEN
    } else {
        let len = NetlinkBuffer::new(rest).length() as usize;
        (len + 3) & !3
    };
    rest.get(skip..).and_then(extack_message)
}

/// Splits a datagram into the netlink messages it holds.
pub fn decode<F>(buf: &[u8]) -> Result<Vec<NetlinkMessage<GenlMessage<F>>>, NlError>
where
    F: ParseableParametrized<[u8], GenlHeader> + Debug,
{
    let mut out = Vec::new();
    let mut off = 0;
    while off + NLMSG_HDRLEN <= buf.len() {
        let nl = NetlinkBuffer::new_checked(&buf[off..])?;
        let len = nl.length() as usize;
        if len < NLMSG_HDRLEN {
            return Err(NlError::Decode(format!("netlink message of length {len}")));
        }
        out.push(NetlinkMessage::deserialize(&buf[off..off + len])?);
        off += (len + 3) & !3;
    }
    Ok(out)
}

/// Feeds the replies to request `seq` into `out`; returns true once the
/// request is complete (ACK, or end of dump).
pub fn absorb<F>(
    msgs: Vec<NetlinkMessage<GenlMessage<F>>>,
    seq: u32,
    out: &mut Vec<F>,
) -> Result<bool, NlError>
where
    F: Debug,
{
    for msg in msgs {
        if msg.header.sequence_number != seq {
            // A stale reply to an earlier request: not ours.
            continue;
        }
        let flags = msg.header.flags;
        match msg.payload {
            NetlinkPayload::InnerMessage(genl) => out.push(genl.payload),
            NetlinkPayload::Error(err) => {
                return match err.code {
                    None => Ok(true),
                    Some(code) => Err(NlError::Kernel {
                        errno: -code.get(),
                        extack: error_extack(flags, &err.header),
                    }),
                };
            }
            NetlinkPayload::Done(done) => {
                return if done.code < 0 {
                    Err(NlError::Kernel {
                        errno: -done.code,
                        extack: extack_message(&done.extended_ack),
                    })
                } else {
                    Ok(true)
                };
            }
            NetlinkPayload::Overrun(_) => {
                return Err(NlError::Decode("netlink overrun".into()));
            }
            _ => {}
        }
    }
    Ok(false)
}

/// Hands every netlink message of a received datagram to `f` (its header
/// and its bytes) until `f` returns true; returns whether it did.
fn each_message(
    buf: &[u8],
    mut f: impl FnMut(&NetlinkBuffer<&[u8]>, &[u8]) -> Result<bool, NlError>,
) -> Result<bool, NlError> {
    let mut off = 0;
    while off + NLMSG_HDRLEN <= buf.len() {
        let nl = NetlinkBuffer::new_checked(&buf[off..])?;
        let len = nl.length() as usize;
        if len < NLMSG_HDRLEN || off + len > buf.len() {
            return Err(NlError::Decode(format!("netlink message of length {len}")));
        }
        let msg = &buf[off..off + len];
        off += (len + 3) & !3;
        if f(&nl, msg)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The attributes of generic netlink message `msg`, after both headers.
fn genl_attrs(msg: &[u8]) -> Result<&[u8], NlError> {
    msg.get(NLMSG_HDRLEN + GENL_HDRLEN..)
        .ok_or_else(|| NlError::Decode("generic netlink message without a header".into()))
}

/// Receive buffer size: every message the kernel sends fits (it keeps
/// dump parts under 32 KiB), so one `recv` per message is enough, without
/// a peek for the size first.
const RECV_BUF: usize = 64 * 1024;

/// A connected `NETLINK_GENERIC` socket.
pub struct GenlSocket {
    sock: Socket,
    seq: u32,
    rbuf: Vec<u8>,
}

impl GenlSocket {
    pub fn open() -> io::Result<Self> {
        let mut sock = Socket::new(NETLINK_GENERIC)?;
        sock.bind_auto()?;
        sock.connect(&SocketAddr::new(0, 0))?;
        // Best effort: older kernels lack them, and they only add detail.
        let _ = sock.set_ext_ack(true);
        let _ = sock.set_cap_ack(true);
        Ok(GenlSocket {
            sock,
            seq: 0,
            rbuf: Vec::with_capacity(RECV_BUF),
        })
    }

    /// Receives one message into the receive buffer; returns it.
    fn recv(&mut self) -> io::Result<&[u8]> {
        self.rbuf.clear();
        let n = self.sock.recv(&mut self.rbuf, libc::MSG_TRUNC)?;
        if n > self.rbuf.len() {
            return Err(io::Error::other(format!(
                "netlink message of {n} bytes does not fit in {RECV_BUF}"
            )));
        }
        Ok(&self.rbuf)
    }

    /// Looks a family up by name; `Ok(None)` if it is not registered.
    pub fn resolve(&mut self, name: &str) -> Result<Option<FamilyInfo>, NlError> {
        match self.execute(GENL_ID_CTRL, CtrlMessage::get_family(name)) {
            Ok(replies) => replies
                .into_iter()
                .find_map(|r| r.info)
                .filter(|i| i.id != 0)
                .map(Some)
                .ok_or_else(|| NlError::Decode("no family id in the controller's reply".into())),
            Err(NlError::Kernel { errno, .. }) if errno == libc::ENOENT => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A "do" request: returns the replies the kernel sent before its ACK.
    pub fn execute<F>(&mut self, family: u16, payload: F) -> Result<Vec<F>, NlError>
    where
        F: GenlFamily + Emitable + ParseableParametrized<[u8], GenlHeader> + Debug,
    {
        self.transact(family, payload, NLM_F_REQUEST | NLM_F_ACK)
    }

    /// A dump request: returns every message of the dump.
    pub fn dump<F>(&mut self, family: u16, payload: F) -> Result<Vec<F>, NlError>
    where
        F: GenlFamily + Emitable + ParseableParametrized<[u8], GenlHeader> + Debug,
    {
        self.transact(family, payload, NLM_F_REQUEST | NLM_F_DUMP)
    }

    /// A dump request whose data messages go to `each` undecoded (their
    /// attributes, after the generic netlink header): a dump of many
    /// entries skips building a typed message per entry. Errors and the
    /// end of the dump are handled as in [`GenlSocket::dump`].
    pub fn dump_each<F>(
        &mut self,
        family: u16,
        payload: F,
        mut each: impl FnMut(&[u8]) -> Result<(), NlError>,
    ) -> Result<(), NlError>
    where
        F: GenlFamily + Emitable + ParseableParametrized<[u8], GenlHeader> + Debug,
    {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let req = encode(family, payload, NLM_F_REQUEST | NLM_F_DUMP, seq);
        let sent = self.sock.send(&req, 0)?;
        if sent != req.len() {
            return Err(NlError::Io(io::Error::other("short netlink send")));
        }
        loop {
            let buf = self.recv()?;
            let done = each_message(buf, |nl, msg| {
                if nl.sequence_number() != seq {
                    return Ok(false);
                }
                if nl.message_type() == family {
                    each(genl_attrs(msg)?)?;
                    return Ok(false);
                }
                let parsed = NetlinkMessage::<GenlMessage<F>>::deserialize(msg)?;
                absorb(vec![parsed], seq, &mut Vec::new())
            })?;
            if done {
                return Ok(());
            }
        }
    }

    /// Joins multicast group `group` (an id from [`FamilyInfo`]).
    pub fn join(&mut self, group: u32) -> io::Result<()> {
        self.sock.add_membership(group)
    }

    /// Receives multicast messages of `family` until `each` returns
    /// false, handing it each message's command and attributes. A receive
    /// buffer overrun (`ENOBUFS`: the kernel dropped messages for us) goes
    /// to `lost` and the loop goes on.
    pub fn listen(
        &mut self,
        family: u16,
        mut each: impl FnMut(u8, &[u8]) -> Result<bool, NlError>,
        mut lost: impl FnMut(),
    ) -> Result<(), NlError> {
        loop {
            let buf = match self.recv() {
                Ok(buf) => buf,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    lost();
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let stop = each_message(buf, |nl, msg| {
                if nl.message_type() != family {
                    return Ok(false);
                }
                let cmd = *msg.get(NLMSG_HDRLEN).ok_or_else(|| {
                    NlError::Decode("generic netlink message without a header".into())
                })?;
                Ok(!each(cmd, genl_attrs(msg)?)?)
            })?;
            if stop {
                return Ok(());
            }
        }
    }

    fn transact<F>(&mut self, family: u16, payload: F, flags: u16) -> Result<Vec<F>, NlError>
    where
        F: GenlFamily + Emitable + ParseableParametrized<[u8], GenlHeader> + Debug,
    {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let req = encode(family, payload, flags, seq);
        let sent = self.sock.send(&req, 0)?;
        if sent != req.len() {
            return Err(NlError::Io(io::Error::other("short netlink send")));
        }
        let mut out = Vec::new();
        loop {
            let buf = self.recv()?;
            if absorb(decode::<F>(buf)?, seq, &mut out)? {
                return Ok(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::{DoneMessage, ErrorMessage, NetlinkHeader, NLMSG_DONE, NLMSG_ERROR};
    use std::num::NonZeroI32;

    #[test]
    fn getfamily_request_bytes() {
        let buf = encode(
            GENL_ID_CTRL,
            CtrlMessage::get_family("vrctx"),
            NLM_F_REQUEST | NLM_F_ACK,
            7,
        );
        #[rustfmt::skip]
        let want: Vec<u8> = [
            &32u32.to_ne_bytes()[..],           // nlmsg_len
            &0x10u16.to_ne_bytes(),             // GENL_ID_CTRL
            &5u16.to_ne_bytes(),                // REQUEST | ACK
            &7u32.to_ne_bytes(),                // seq
            &0u32.to_ne_bytes(),                // port id
            &[3, 2, 0, 0],                      // CTRL_CMD_GETFAMILY, version 2
            &10u16.to_ne_bytes(), &2u16.to_ne_bytes(), b"vrctx\0", &[0, 0],
        ].concat();
        assert_eq!(buf, want);
    }

    fn nl_bytes(msg_type: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
        let len = (NLMSG_HDRLEN + payload.len()) as u32;
        let mut v = [
            &len.to_ne_bytes()[..],
            &msg_type.to_ne_bytes(),
            &flags.to_ne_bytes(),
            &seq.to_ne_bytes(),
            &0u32.to_ne_bytes(),
            payload,
        ]
        .concat();
        v.resize((v.len() + 3) & !3, 0);
        v
    }

    fn nla(kind: u16, value: &[u8]) -> Vec<u8> {
        let mut v = [
            &((4 + value.len()) as u16).to_ne_bytes()[..],
            &kind.to_ne_bytes(),
            value,
        ]
        .concat();
        v.resize((v.len() + 3) & !3, 0);
        v
    }

    #[test]
    fn getfamily_reply_is_parsed_leniently() {
        let group = nla(
            1,
            &[
                nla(CTRL_ATTR_MCAST_GRP_ID, &9u32.to_ne_bytes()),
                nla(CTRL_ATTR_MCAST_GRP_NAME, b"events\0"),
            ]
            .concat(),
        );
        let payload = [
            &[1u8, 2, 0, 0][..],
            &nla(CTRL_ATTR_FAMILY_NAME, b"vrctx\0"),
            &nla(CTRL_ATTR_FAMILY_ID, &0x22u16.to_ne_bytes()),
            &nla(CTRL_ATTR_VERSION, &1u32.to_ne_bytes()),
            &nla(99, b"future attribute"),
            &nla(CTRL_ATTR_MCAST_GROUPS, &group),
        ]
        .concat();
        let bytes = [
            nl_bytes(GENL_ID_CTRL, 0, 1, &payload),
            nl_bytes(NLMSG_ERROR, 0, 1, &[0; 20]),
        ]
        .concat();
        let msgs = decode::<CtrlMessage>(&bytes).unwrap();
        assert_eq!(msgs.len(), 2);
        let mut out = Vec::new();
        assert!(absorb(msgs, 1, &mut out).unwrap());
        assert_eq!(
            out[0].info,
            Some(FamilyInfo {
                id: 0x22,
                version: 1,
                mcast_groups: vec![("events".into(), 9)],
            })
        );
    }

    fn error_msg(
        flags: u16,
        seq: u32,
        errno: i32,
        rest: Vec<u8>,
    ) -> NetlinkMessage<GenlMessage<CtrlMessage>> {
        let mut header = NetlinkHeader::default();
        header.message_type = NLMSG_ERROR;
        header.flags = flags;
        header.sequence_number = seq;
        let mut err = ErrorMessage::default();
        err.code = NonZeroI32::new(-errno);
        err.header = rest;
        NetlinkMessage::new(header, NetlinkPayload::Error(err))
    }

    #[test]
    fn errors_with_extended_ack() {
        // Capped: only the request's header is echoed, then the TLVs.
        let mut rest = vec![0u8; NLMSG_HDRLEN];
        rest[..4].copy_from_slice(&40u32.to_ne_bytes());
        rest.extend(nla(NLMSGERR_ATTR_MSG, b"name already in use\0"));
        rest.extend(nla(4, &8u32.to_ne_bytes())); // NLMSGERR_ATTR_OFFS
        let mut out = Vec::new();
        match absorb(
            vec![error_msg(
                NLM_F_CAPPED | NLM_F_ACK_TLVS,
                3,
                libc::EEXIST,
                rest,
            )],
            3,
            &mut out,
        ) {
            Err(NlError::Kernel { errno, extack }) => {
                assert_eq!(errno, libc::EEXIST);
                assert_eq!(extack.as_deref(), Some("name already in use"));
            }
            r => panic!("{r:?}"),
        }
        // Not capped: the whole request (24 bytes here) is echoed first.
        let mut rest = vec![0u8; 24];
        rest[..4].copy_from_slice(&24u32.to_ne_bytes());
        rest.extend(nla(NLMSGERR_ATTR_MSG, b"busy\0"));
        match absorb(
            vec![error_msg(NLM_F_ACK_TLVS, 3, libc::EBUSY, rest)],
            3,
            &mut out,
        ) {
            Err(NlError::Kernel { errno, extack }) => {
                assert_eq!((errno, extack.as_deref()), (libc::EBUSY, Some("busy")));
            }
            r => panic!("{r:?}"),
        }
        // No TLVs flag: no message, whatever follows.
        match absorb(
            vec![error_msg(0, 3, libc::ENOENT, vec![0; 16])],
            3,
            &mut out,
        ) {
            Err(NlError::Kernel {
                errno,
                extack: None,
            }) => assert_eq!(errno, libc::ENOENT),
            r => panic!("{r:?}"),
        }
        // Replies to other sequence numbers are ignored.
        assert!(!absorb(vec![error_msg(0, 2, libc::ENOENT, vec![])], 3, &mut out).unwrap());
    }

    #[test]
    fn dump_end_and_dump_error() {
        let mut header = NetlinkHeader::default();
        header.message_type = NLMSG_DONE;
        header.sequence_number = 5;
        let mut out: Vec<CtrlMessage> = Vec::new();
        let done = NetlinkMessage::new(header, NetlinkPayload::Done(DoneMessage::default()));
        assert!(absorb(vec![done], 5, &mut out).unwrap());
        let mut failed = DoneMessage::default();
        failed.code = -libc::EPERM;
        failed.extended_ack = nla(NLMSGERR_ATTR_MSG, b"nope\0");
        header.flags = NLM_F_ACK_TLVS;
        match absorb(
            vec![NetlinkMessage::new(header, NetlinkPayload::Done(failed))],
            5,
            &mut out,
        ) {
            Err(NlError::Kernel { errno, extack }) => {
                assert_eq!((errno, extack.as_deref()), (libc::EPERM, Some("nope")));
            }
            r => panic!("{r:?}"),
        }
    }

    /// Talks to the running kernel's controller, which always exists; the
    /// test is skipped where netlink sockets are not allowed.
    #[test]
    fn live_controller() {
        let Ok(mut sock) = GenlSocket::open() else {
            eprintln!("no generic netlink socket here: skipped");
            return;
        };
        let ctrl = sock.resolve("nlctrl").unwrap().unwrap();
        assert_eq!(ctrl.id, GENL_ID_CTRL);
        assert!(ctrl.mcast_groups.iter().any(|(name, _)| name == "notify"));
        assert_eq!(sock.resolve("no-such-family").unwrap(), None);
        // A multi-part dump of every family ends with NLMSG_DONE.
        let all = sock
            .dump(
                GENL_ID_CTRL,
                CtrlMessage {
                    cmd: CTRL_CMD_GETFAMILY,
                    family_name: None,
                    info: None,
                },
            )
            .unwrap();
        assert!(all
            .iter()
            .any(|m| m.family_name.as_deref() == Some("nlctrl")));
        // A kernel error: an unknown command.
        match sock.execute(
            GENL_ID_CTRL,
            CtrlMessage {
                cmd: 200,
                family_name: None,
                info: None,
            },
        ) {
            Err(NlError::Kernel { errno, .. }) => assert_eq!(errno, libc::EOPNOTSUPP),
            r => panic!("{r:?}"),
        }
    }

    #[test]
    fn truncated_datagram_is_an_error() {
        let mut bytes = nl_bytes(NLMSG_ERROR, 0, 1, &[0; 20]);
        bytes[0] = 200; // claims more than there is
        assert!(matches!(
            decode::<CtrlMessage>(&bytes),
            Err(NlError::Decode(_))
        ));
    }
}
