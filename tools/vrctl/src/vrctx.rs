// SPDX-License-Identifier: GPL-2.0-only
//! The `vrctx` generic netlink family: messages, requests and replies.

use netlink_packet_core::{
    emit_u32, parse_string, parse_u32, DecodeError, DefaultNla, Emitable, ErrorContext, Nla,
    NlaBuffer, NlasIterator, Parseable, ParseableParametrized, NLA_TYPE_MASK,
};
use netlink_packet_generic::{GenlFamily, GenlHeader};
use serde::Serialize;
use vrctx_uapi::{VrctxAttr, VrctxCmd, VRCTX_GENL_NAME, VRCTX_GENL_VERSION};

use crate::cli::ContextRef;
use crate::error::{Error, Op, Result};
use crate::genl::{GenlSocket, NlError};

/// One attribute of a vrctx message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VrctxNla {
    Id(u32),
    Name(String),
    Table(u32),
    Force,
    Ifindex(u32),
    NIfaces(u32),
    NSockets(u32),
    NTasks(u32),
    Count(u32),
    /// An attribute this vrctl does not know (newer kernel): kept, ignored.
    Other(DefaultNla),
}

impl Nla for VrctxNla {
    fn value_len(&self) -> usize {
        match self {
            VrctxNla::Id(_)
            | VrctxNla::Table(_)
            | VrctxNla::Ifindex(_)
            | VrctxNla::NIfaces(_)
            | VrctxNla::NSockets(_)
            | VrctxNla::NTasks(_)
            | VrctxNla::Count(_) => 4,
            VrctxNla::Name(s) => s.len() + 1,
            VrctxNla::Force => 0,
            VrctxNla::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        let attr = match self {
            VrctxNla::Id(_) => VrctxAttr::Id,
            VrctxNla::Name(_) => VrctxAttr::Name,
            VrctxNla::Table(_) => VrctxAttr::Table,
            VrctxNla::Force => VrctxAttr::Force,
            VrctxNla::Ifindex(_) => VrctxAttr::Ifindex,
            VrctxNla::NIfaces(_) => VrctxAttr::NIfaces,
            VrctxNla::NSockets(_) => VrctxAttr::NSockets,
            VrctxNla::NTasks(_) => VrctxAttr::NTasks,
            VrctxNla::Count(_) => VrctxAttr::Count,
            VrctxNla::Other(nla) => return nla.kind(),
        };
        attr.into()
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            VrctxNla::Id(v)
            | VrctxNla::Table(v)
            | VrctxNla::Ifindex(v)
            | VrctxNla::NIfaces(v)
            | VrctxNla::NSockets(v)
            | VrctxNla::NTasks(v)
            | VrctxNla::Count(v) => {
                emit_u32(buffer, *v).expect("buffer sized by value_len");
            }
            VrctxNla::Name(s) => {
                buffer[..s.len()].copy_from_slice(s.as_bytes());
                buffer[s.len()] = 0;
            }
            VrctxNla::Force => {}
            VrctxNla::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for VrctxNla {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        let v = buf.value();
        // The message is built only on error: a dump decodes many of these.
        let u32_of = |what: &str| parse_u32(v).map_err(|e| e.context(format!("invalid {what}")));
        Ok(match VrctxAttr::try_from(buf.kind() & NLA_TYPE_MASK) {
            Ok(VrctxAttr::Id) => VrctxNla::Id(u32_of("VRCTX_A_ID")?),
            Ok(VrctxAttr::Name) => VrctxNla::Name(parse_string(v).context("invalid VRCTX_A_NAME")?),
            Ok(VrctxAttr::Table) => VrctxNla::Table(u32_of("VRCTX_A_TABLE")?),
            Ok(VrctxAttr::Force) => VrctxNla::Force,
            Ok(VrctxAttr::Ifindex) => VrctxNla::Ifindex(u32_of("VRCTX_A_IFINDEX")?),
            Ok(VrctxAttr::NIfaces) => VrctxNla::NIfaces(u32_of("VRCTX_A_N_IFACES")?),
            Ok(VrctxAttr::NSockets) => VrctxNla::NSockets(u32_of("VRCTX_A_N_SOCKETS")?),
            Ok(VrctxAttr::NTasks) => VrctxNla::NTasks(u32_of("VRCTX_A_N_TASKS")?),
            Ok(VrctxAttr::Count) => VrctxNla::Count(u32_of("VRCTX_A_COUNT")?),
            Ok(VrctxAttr::Unspec) | Err(_) => VrctxNla::Other(DefaultNla::parse(buf)?),
        })
    }
}

/// A message of the vrctx family: a command and its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrctxMessage {
    pub cmd: VrctxCmd,
    pub nlas: Vec<VrctxNla>,
}

impl GenlFamily for VrctxMessage {
    fn family_name() -> &'static str {
        VRCTX_GENL_NAME
    }
    fn command(&self) -> u8 {
        self.cmd.into()
    }
    fn version(&self) -> u8 {
        VRCTX_GENL_VERSION
    }
}

impl Emitable for VrctxMessage {
    fn buffer_len(&self) -> usize {
        self.nlas.as_slice().buffer_len()
    }
    fn emit(&self, buffer: &mut [u8]) {
        self.nlas.as_slice().emit(buffer)
    }
}

impl ParseableParametrized<[u8], GenlHeader> for VrctxMessage {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        let cmd = VrctxCmd::try_from(header.cmd)
            .map_err(|e| DecodeError::from(format!("vrctx command: {e}")))?;
        let nlas = NlasIterator::new(buf)
            .map(|nla| nla.and_then(|nla| VrctxNla::parse(&nla)))
            .collect::<Result<Vec<_>, _>>()
            .context("invalid vrctx attributes")?;
        Ok(VrctxMessage { cmd, nlas })
    }
}

fn ctx_nla(ctx: &ContextRef) -> VrctxNla {
    match ctx {
        ContextRef::Id(id) => VrctxNla::Id(*id),
        ContextRef::Name(name) => VrctxNla::Name(name.clone()),
    }
}

impl VrctxMessage {
    pub fn create(id: u32, name: Option<&str>) -> Self {
        let mut nlas = vec![VrctxNla::Id(id)];
        nlas.extend(name.map(|n| VrctxNla::Name(n.to_string())));
        VrctxMessage {
            cmd: VrctxCmd::New,
            nlas,
        }
    }

    pub fn delete(ctx: &ContextRef, force: bool) -> Self {
        let mut nlas = vec![ctx_nla(ctx)];
        if force {
            nlas.push(VrctxNla::Force);
        }
        VrctxMessage {
            cmd: VrctxCmd::Del,
            nlas,
        }
    }

    /// Creates (`create`) or deletes contexts `first` to
    /// `first + count - 1` in one request, all or none of them.
    pub fn range(create: bool, first: u32, count: u32) -> Self {
        VrctxMessage {
            cmd: if create { VrctxCmd::New } else { VrctxCmd::Del },
            nlas: vec![VrctxNla::Id(first), VrctxNla::Count(count)],
        }
    }

    pub fn get(ctx: &ContextRef) -> Self {
        VrctxMessage {
            cmd: VrctxCmd::Get,
            nlas: vec![ctx_nla(ctx)],
        }
    }

    /// The request of a dump (sent with `NLM_F_DUMP`).
    pub fn get_all() -> Self {
        VrctxMessage {
            cmd: VrctxCmd::Get,
            nlas: Vec::new(),
        }
    }

    pub fn assign(ifindex: u32, ctx: &ContextRef) -> Self {
        VrctxMessage {
            cmd: VrctxCmd::Assign,
            nlas: vec![VrctxNla::Ifindex(ifindex), ctx_nla(ctx)],
        }
    }
}

/// A context as reported by the kernel; the JSON shape of `list`/`show`.
/// Attributes the kernel did not send are `None` (JSON `null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextInfo {
    pub id: u32,
    pub name: Option<String>,
    pub table: Option<u32>,
    pub interfaces: Option<u32>,
    pub sockets: Option<u32>,
    pub tasks: Option<u32>,
}

impl ContextInfo {
    /// Decodes a reply; only the id is required.
    pub fn from_message(msg: &VrctxMessage) -> Result<Self, String> {
        let mut id = None;
        let mut info = ContextInfo {
            id: 0,
            name: None,
            table: None,
            interfaces: None,
            sockets: None,
            tasks: None,
        };
        for nla in &msg.nlas {
            match nla {
                VrctxNla::Id(v) => id = Some(*v),
                VrctxNla::Name(s) if !s.is_empty() => info.name = Some(s.clone()),
                VrctxNla::Table(v) => info.table = Some(*v),
                VrctxNla::NIfaces(v) => info.interfaces = Some(*v),
                VrctxNla::NSockets(v) => info.sockets = Some(*v),
                VrctxNla::NTasks(v) => info.tasks = Some(*v),
                _ => {}
            }
        }
        info.id = id.ok_or("context without VRCTX_A_ID")?;
        Ok(info)
    }

    /// Decodes a reply's attributes without building a [`VrctxMessage`]
    /// (large dumps); the same result as [`ContextInfo::from_message`].
    pub fn from_attrs(attrs: &[u8]) -> Result<Self, String> {
        let mut id = None;
        let mut info = ContextInfo {
            id: 0,
            name: None,
            table: None,
            interfaces: None,
            sockets: None,
            tasks: None,
        };
        for nla in NlasIterator::new(attrs) {
            let nla = nla.map_err(|e| format!("invalid vrctx attributes: {e}"))?;
            let v = nla.value();
            let u32_of = |what: &str| parse_u32(v).map_err(|e| format!("invalid {what}: {e}"));
            match VrctxAttr::try_from(nla.kind() & NLA_TYPE_MASK) {
                Ok(VrctxAttr::Id) => id = Some(u32_of("VRCTX_A_ID")?),
                Ok(VrctxAttr::Name) => {
                    let s = parse_string(v).map_err(|e| format!("invalid VRCTX_A_NAME: {e}"))?;
                    if !s.is_empty() {
                        info.name = Some(s);
                    }
                }
                Ok(VrctxAttr::Table) => info.table = Some(u32_of("VRCTX_A_TABLE")?),
                Ok(VrctxAttr::NIfaces) => info.interfaces = Some(u32_of("VRCTX_A_N_IFACES")?),
                Ok(VrctxAttr::NSockets) => info.sockets = Some(u32_of("VRCTX_A_N_SOCKETS")?),
                Ok(VrctxAttr::NTasks) => info.tasks = Some(u32_of("VRCTX_A_N_TASKS")?),
                _ => {}
            }
        }
        info.id = id.ok_or("context without VRCTX_A_ID")?;
        Ok(info)
    }
}

/// A socket talking to the vrctx family.
pub struct Vrctx {
    sock: GenlSocket,
    family: u16,
}

/// Turns a failed request on `ctx` into a user-facing error.
pub fn fail(what: String, op: Op, ctx: Option<&ContextRef>, e: NlError) -> Error {
    crate::error::nl_fail(what, op, ctx == Some(&ContextRef::Id(0)), e)
}

impl Vrctx {
    /// Opens a socket and resolves the family. `what` names the operation
    /// for error messages.
    pub fn connect(what: &str) -> Result<Self> {
        let mut sock = GenlSocket::open()
            .map_err(|e| Error::system(format!("{what}: generic netlink socket"), e))?;
        match sock.resolve(VRCTX_GENL_NAME) {
            Ok(Some(info)) => Ok(Vrctx {
                sock,
                family: info.id,
            }),
            Ok(None) => Err(Error::ModuleMissing {
                module: "vrctx",
                family: VRCTX_GENL_NAME,
            }),
            Err(e) => Err(fail(
                format!("{what}: resolve generic netlink family \"{VRCTX_GENL_NAME}\""),
                Op::List,
                None,
                e,
            )),
        }
    }

    pub fn execute(&mut self, msg: VrctxMessage) -> Result<Vec<VrctxMessage>, NlError> {
        self.sock.execute(self.family, msg)
    }

    /// `VRCTX_CMD_GET` for one context.
    pub fn get(&mut self, ctx: &ContextRef) -> Result<ContextInfo, NlError> {
        let replies = self.execute(VrctxMessage::get(ctx))?;
        let first = replies
            .first()
            .ok_or_else(|| NlError::Decode("no reply to VRCTX_CMD_GET".into()))?;
        ContextInfo::from_message(first).map_err(NlError::Decode)
    }

    /// Every context, sorted by id. The dump's entries are decoded
    /// straight from their attributes (see [`ContextInfo::from_attrs`]).
    pub fn list(&mut self) -> Result<Vec<ContextInfo>, NlError> {
        let mut all = Vec::new();
        self.sock
            .dump_each(self.family, VrctxMessage::get_all(), |attrs| {
                all.push(ContextInfo::from_attrs(attrs).map_err(NlError::Decode)?);
                Ok(())
            })?;
        all.sort_by_key(|c| c.id);
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genl::{absorb, decode, encode};
    use netlink_packet_core::{NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};

    const FAMILY: u16 = 0x1b;

    #[test]
    fn attrs_decode_like_messages() {
        let msgs = [
            VrctxMessage {
                cmd: VrctxCmd::Get,
                nlas: vec![
                    VrctxNla::Id(7),
                    VrctxNla::Name("blue".into()),
                    VrctxNla::Table(0x8000_0007),
                    VrctxNla::NIfaces(1),
                    VrctxNla::NSockets(12),
                    VrctxNla::NTasks(3),
                    VrctxNla::Other(DefaultNla::new(99, vec![1, 2, 3, 4])),
                ],
            },
            VrctxMessage {
                cmd: VrctxCmd::Get,
                nlas: vec![VrctxNla::NTasks(40), VrctxNla::Id(0)],
            },
            VrctxMessage {
                cmd: VrctxCmd::Get,
                nlas: vec![VrctxNla::Table(1)],
            },
        ];
        for m in msgs {
            let mut buf = vec![0; m.buffer_len()];
            m.emit(&mut buf);
            assert_eq!(ContextInfo::from_attrs(&buf), ContextInfo::from_message(&m));
        }
        assert!(ContextInfo::from_attrs(&[8, 0, 1, 0, 7]).is_err());
    }

    /// nlmsghdr + genlmsghdr for a request of `len` attribute bytes.
    fn header(len: usize, cmd: VrctxCmd, flags: u16, seq: u32) -> Vec<u8> {
        [
            &((16 + 4 + len) as u32).to_ne_bytes()[..],
            &FAMILY.to_ne_bytes(),
            &flags.to_ne_bytes(),
            &seq.to_ne_bytes(),
            &0u32.to_ne_bytes(),
            &[cmd as u8, VRCTX_GENL_VERSION, 0, 0],
        ]
        .concat()
    }

    fn nla_u32(attr: VrctxAttr, v: u32) -> Vec<u8> {
        [
            &8u16.to_ne_bytes()[..],
            &(attr as u16).to_ne_bytes(),
            &v.to_ne_bytes(),
        ]
        .concat()
    }

    fn nla_bytes(attr: VrctxAttr, v: &[u8]) -> Vec<u8> {
        let mut out = [
            &((4 + v.len()) as u16).to_ne_bytes()[..],
            &(attr as u16).to_ne_bytes(),
            v,
        ]
        .concat();
        out.resize((out.len() + 3) & !3, 0);
        out
    }

    fn request(msg: VrctxMessage, flags: u16) -> Vec<u8> {
        encode(FAMILY, msg, flags, 42)
    }

    const DO: u16 = NLM_F_REQUEST | NLM_F_ACK;

    fn check(msg: VrctxMessage, flags: u16, attrs: Vec<u8>) {
        let cmd = msg.cmd;
        let want = [header(attrs.len(), cmd, flags, 42), attrs].concat();
        assert_eq!(request(msg, flags), want, "{cmd:?}");
    }

    #[test]
    fn create_request() {
        check(VrctxMessage::create(7, None), DO, nla_u32(VrctxAttr::Id, 7));
        check(
            VrctxMessage::create(0x10, Some("red")),
            DO,
            [
                nla_u32(VrctxAttr::Id, 16),
                nla_bytes(VrctxAttr::Name, b"red\0"),
            ]
            .concat(),
        );
        // A 15-byte name: 4 + 16 bytes, no padding.
        let attrs = nla_bytes(VrctxAttr::Name, b"abcdefghijklmno\0");
        assert_eq!(attrs.len(), 20);
        check(
            VrctxMessage::create(1, Some("abcdefghijklmno")),
            DO,
            [nla_u32(VrctxAttr::Id, 1), attrs].concat(),
        );
    }

    #[test]
    fn delete_request() {
        check(
            VrctxMessage::delete(&ContextRef::Id(3), false),
            DO,
            nla_u32(VrctxAttr::Id, 3),
        );
        check(
            VrctxMessage::delete(&ContextRef::Name("blue".into()), true),
            DO,
            [
                nla_bytes(VrctxAttr::Name, b"blue\0"),
                // The flag: a header with no value.
                vec![4, 0, VrctxAttr::Force as u8, 0],
            ]
            .concat(),
        );
    }

    #[test]
    fn get_and_dump_requests() {
        check(
            VrctxMessage::get(&ContextRef::Id(9)),
            DO,
            nla_u32(VrctxAttr::Id, 9),
        );
        check(
            VrctxMessage::get(&ContextRef::Name("b".into())),
            DO,
            nla_bytes(VrctxAttr::Name, b"b\0"),
        );
        check(
            VrctxMessage::get_all(),
            NLM_F_REQUEST | NLM_F_DUMP,
            Vec::new(),
        );
        let bytes = request(VrctxMessage::get_all(), NLM_F_REQUEST | NLM_F_DUMP);
        assert_eq!(bytes.len(), 20);
        assert_eq!(&bytes[6..8], &0x301u16.to_ne_bytes()); // REQUEST | DUMP
    }

    #[test]
    fn assign_request() {
        check(
            VrctxMessage::assign(2, &ContextRef::Id(5)),
            DO,
            [nla_u32(VrctxAttr::Ifindex, 2), nla_u32(VrctxAttr::Id, 5)].concat(),
        );
        check(
            VrctxMessage::assign(3, &ContextRef::Name("blue".into())),
            DO,
            [
                nla_u32(VrctxAttr::Ifindex, 3),
                nla_bytes(VrctxAttr::Name, b"blue\0"),
            ]
            .concat(),
        );
    }

    /// A kernel reply datagram: `nlmsghdr` + `genlmsghdr` + attributes.
    fn reply(seq: u32, flags: u16, attrs: &[u8]) -> Vec<u8> {
        [
            header(attrs.len(), VrctxCmd::Get, flags, seq),
            attrs.to_vec(),
        ]
        .concat()
    }

    fn done(seq: u32) -> Vec<u8> {
        [
            &20u32.to_ne_bytes()[..],
            &3u16.to_ne_bytes(),
            &2u16.to_ne_bytes(), // NLM_F_MULTI
            &seq.to_ne_bytes(),
            &0u32.to_ne_bytes(),
            &0i32.to_ne_bytes(),
        ]
        .concat()
    }

    #[test]
    fn decode_dump() {
        let full = [
            nla_u32(VrctxAttr::Id, 7),
            nla_bytes(VrctxAttr::Name, b"blue\0"),
            nla_u32(VrctxAttr::Table, 0x8000_0007),
            nla_u32(VrctxAttr::NIfaces, 1),
            nla_u32(VrctxAttr::NSockets, 2),
            nla_u32(VrctxAttr::NTasks, 3),
            nla_bytes(VrctxAttr::Unspec, b"x"),
            // An attribute from a newer kernel.
            [&8u16.to_ne_bytes()[..], &77u16.to_ne_bytes(), &[1, 2, 3, 4]].concat(),
        ]
        .concat();
        // Context 0: no name, no table.
        let minimal = [nla_u32(VrctxAttr::Id, 0), nla_u32(VrctxAttr::NIfaces, 2)].concat();
        let datagram = [reply(9, 2, &full), reply(9, 2, &minimal), done(9)].concat();
        let mut out = Vec::new();
        assert!(absorb(decode::<VrctxMessage>(&datagram).unwrap(), 9, &mut out).unwrap());
        let infos: Vec<_> = out
            .iter()
            .map(|m| ContextInfo::from_message(m).unwrap())
            .collect();
        assert_eq!(
            infos,
            vec![
                ContextInfo {
                    id: 7,
                    name: Some("blue".into()),
                    table: Some(0x8000_0007),
                    interfaces: Some(1),
                    sockets: Some(2),
                    tasks: Some(3),
                },
                ContextInfo {
                    id: 0,
                    name: None,
                    table: None,
                    interfaces: Some(2),
                    sockets: None,
                    tasks: None,
                },
            ]
        );
    }

    #[test]
    fn decode_bad_replies() {
        // A u32 attribute of the wrong size.
        let bad = [
            &6u16.to_ne_bytes()[..],
            &(VrctxAttr::Id as u16).to_ne_bytes(),
            &[1, 2, 0, 0],
        ]
        .concat();
        assert!(decode::<VrctxMessage>(&reply(1, 0, &bad)).is_err());
        // No id at all.
        let msg = VrctxMessage {
            cmd: VrctxCmd::Get,
            nlas: vec![VrctxNla::Name("x".into())],
        };
        assert_eq!(
            ContextInfo::from_message(&msg),
            Err("context without VRCTX_A_ID".into())
        );
        // An empty name counts as no name.
        let msg = VrctxMessage {
            cmd: VrctxCmd::Get,
            nlas: vec![VrctxNla::Id(1), VrctxNla::Name(String::new())],
        };
        assert_eq!(ContextInfo::from_message(&msg).unwrap().name, None);
    }

    #[test]
    fn round_trip() {
        let msg = VrctxMessage {
            cmd: VrctxCmd::New,
            nlas: vec![
                VrctxNla::Id(1),
                VrctxNla::Name("n.a-m_e".into()),
                VrctxNla::Table(2),
                VrctxNla::Force,
                VrctxNla::Ifindex(3),
                VrctxNla::NIfaces(4),
                VrctxNla::NSockets(5),
                VrctxNla::NTasks(6),
            ],
        };
        let bytes = encode(FAMILY, msg.clone(), 0, 1);
        let parsed = decode::<VrctxMessage>(&bytes).unwrap();
        match &parsed[0].payload {
            netlink_packet_core::NetlinkPayload::InnerMessage(g) => assert_eq!(g.payload, msg),
            p => panic!("{p:?}"),
        }
    }

    #[test]
    fn errors_name_the_object() {
        let e = fail(
            "delete context 3".into(),
            Op::Delete,
            Some(&ContextRef::Id(3)),
            NlError::Kernel {
                errno: libc::EBUSY,
                extack: None,
            },
        );
        assert_eq!(
            e.to_string(),
            "delete context 3: Device or resource busy (interfaces, sockets or tasks still use it; use --force)"
        );
        assert_eq!(e.exit_code(), 2);
        let e = fail(
            "delete context 0".into(),
            Op::Delete,
            Some(&ContextRef::Id(0)),
            NlError::Kernel {
                errno: libc::EBUSY,
                extack: None,
            },
        );
        assert!(e.to_string().contains("can never be deleted"));
        let e = fail(
            "delete context 0".into(),
            Op::Delete,
            Some(&ContextRef::Id(0)),
            NlError::Kernel {
                errno: libc::EINVAL,
                extack: Some("Context 0 is the default context".into()),
            },
        );
        assert_eq!(
            e.to_string(),
            "delete context 0: Invalid argument: Context 0 is the default context"
        );
        assert_eq!(e.exit_code(), 2);
    }
}
