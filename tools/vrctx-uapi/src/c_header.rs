// SPDX-License-Identifier: GPL-2.0-only
//! Checks this crate against the C uapi header, which is authoritative.
//!
//! The header is parsed at test time: every `#define NAME value` and every
//! member of every `enum` (counting up from 0, honouring `= value`) is
//! evaluated, and each public name must exist on the Rust side with the
//! same value, and vice versa. Names starting with `_` (include guard,
//! `__VRCTX_CMD_MAX`, ...) are only used to evaluate other names.

use super::*;
use std::collections::BTreeMap;

/// The kernel patch series: one of its patches adds the header, later ones
/// may change it.
const PATCHES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../kernel-patches");
const HEADER: &str = "include/uapi/linux/vrctx.h";

/// The header as the whole series leaves it: the patch that adds it, then
/// the hunks of every later patch that changes it.
fn header_from_series() -> String {
    let series = std::fs::read_to_string(format!("{PATCHES}/series"))
        .unwrap_or_else(|e| panic!("cannot read {PATCHES}/series: {e}"));
    let marker = format!("+++ b/{HEADER}");
    let mut header: Option<Vec<String>> = None;
    for name in series.lines().filter(|l| !l.trim().is_empty()) {
        let patch = std::fs::read_to_string(format!("{PATCHES}/{name}"))
            .unwrap_or_else(|e| panic!("cannot read kernel-patches/{name}: {e}"));
        let Some(start) = patch.find(&marker) else {
            continue;
        };
        // This file's part of the patch, up to the next file's diff.
        let body = &patch[start + marker.len()..];
        let end = body.find("\ndiff --git ").unwrap_or(body.len());
        let lines = apply_hunks(header.take().unwrap_or_default(), &body[..end])
            .unwrap_or_else(|e| panic!("kernel-patches/{name}: {HEADER}: {e}"));
        header = Some(lines);
    }
    header
        .unwrap_or_else(|| panic!("no patch in kernel-patches/series adds {HEADER}"))
        .join("\n")
}

/// Applies the unified-diff hunks of `diff` to `lines` (empty for a new
/// file). Each hunk's old lines must appear in `lines`; the one nearest the
/// line number the hunk names is taken.
fn apply_hunks(mut lines: Vec<String>, diff: &str) -> Result<Vec<String>, String> {
    let mut hunks = diff.split("\n@@ ").skip(1).peekable();
    if hunks.peek().is_none() {
        return Err("no hunk".into());
    }
    // Lines added so far move the later hunks down.
    let mut shift: isize = 0;
    for hunk in hunks {
        let (range, body) = hunk.split_once('\n').unwrap_or((hunk, ""));
        // "-a[,b] +c[,d] @@": b old lines and d new lines follow (1 if
        // omitted).
        let bad = || format!("bad hunk header @@ {range}");
        let mut nums = range.split(" @@").next().unwrap_or("").split(' ');
        let mut side = |sign: char| -> Result<(isize, usize), String> {
            let r = nums
                .next()
                .and_then(|r| r.strip_prefix(sign))
                .ok_or_else(bad)?;
            let (start, count) = r.split_once(',').unwrap_or((r, "1"));
            Ok((
                start.parse().map_err(|_| bad())?,
                count.parse().map_err(|_| bad())?,
            ))
        };
        let (old_start, old_count) = side('-')?;
        let (_, new_count) = side('+')?;
        let (mut old, mut new) = (Vec::new(), Vec::new());
        for l in body.lines() {
            if old.len() == old_count && new.len() == new_count {
                break;
            }
            match l.chars().next() {
                Some(' ') => {
                    old.push(&l[1..]);
                    new.push(&l[1..]);
                }
                Some('-') => old.push(&l[1..]),
                Some('+') => new.push(&l[1..]),
                // An empty context line, as some tools write it.
                None => {
                    old.push("");
                    new.push("");
                }
                // "\ No newline at end of file"
                Some('\\') => {}
                Some(_) => return Err(format!("hunk @@ {range} is cut short")),
            }
        }
        if old.len() != old_count || new.len() != new_count {
            return Err(format!("hunk @@ {range} is cut short"));
        }
        // A hunk without old lines inserts after line `old_start`.
        let want = (old_start - isize::from(old_count != 0) + shift).max(0);
        let at = (0..=lines.len().saturating_sub(old.len()))
            .filter(|&i| {
                lines[i..i + old.len()]
                    .iter()
                    .map(String::as_str)
                    .eq(old.iter().copied())
            })
            .min_by_key(|&i| (i as isize - want).abs())
            .ok_or_else(|| format!("hunk @@ {range} does not apply"))?;
        lines.splice(at..at + old.len(), new.iter().map(|l| l.to_string()));
        shift += new.len() as isize - old.len() as isize;
    }
    Ok(lines)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Int(i128),
    Str(String),
}

/// Raw, unevaluated definitions in file order.
#[derive(Debug, Default)]
struct Header {
    defines: Vec<(String, String)>,
    /// Enum members with their explicit value expression, if any.
    enums: Vec<Vec<(String, Option<String>)>>,
}

fn strip_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                let end = rest[b + 2..].find("*/").expect("unterminated comment");
                out.push(' ');
                rest = &rest[b + 2 + end + 2..];
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                rest = rest[l..].find('\n').map_or("", |n| &rest[l + n..]);
            }
            (None, None) => {
                out.push_str(rest);
                return out;
            }
            (Some(_), None) => unreachable!(),
        }
    }
}

fn parse_header(src: &str) -> Header {
    let src = strip_comments(src);
    let mut header = Header::default();
    for line in src.lines() {
        let line = line.trim();
        if let Some(def) = line.strip_prefix('#') {
            let def = def.trim_start();
            if let Some(def) = def.strip_prefix("define") {
                let def = def.trim();
                let (name, value) = def
                    .split_once(char::is_whitespace)
                    .map_or((def, ""), |(n, v)| (n, v.trim()));
                assert!(!name.contains('('), "function-like macro {name}");
                header.defines.push((name.to_string(), value.to_string()));
            }
        }
    }
    // Enums: `enum tag { A, B = expr, ... };` possibly over many lines.
    let mut rest = src.as_str();
    while let Some(pos) = rest.find("enum") {
        let after = &rest[pos + 4..];
        let is_word = !rest[..pos]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
            && after.starts_with(char::is_whitespace);
        let (open, close) = match (after.find('{'), after.find('}')) {
            (Some(o), Some(c)) if is_word && o < c && !after[..o].contains(';') => (o, c),
            _ => {
                rest = after;
                continue;
            }
        };
        let members = after[open + 1..close]
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(|m| match m.split_once('=') {
                Some((n, v)) => (n.trim().to_string(), Some(v.trim().to_string())),
                None => (m.to_string(), None),
            })
            .collect();
        header.enums.push(members);
        rest = &after[close + 1..];
    }
    header
}

struct Evaluator<'a> {
    raw: BTreeMap<&'a str, &'a str>,
    values: BTreeMap<String, Value>,
}

impl Evaluator<'_> {
    fn eval_name(&mut self, name: &str, depth: usize) -> Value {
        if let Some(v) = self.values.get(name) {
            return v.clone();
        }
        let raw = *self
            .raw
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not defined in {HEADER}"));
        let v = self.eval(raw, depth + 1);
        self.values.insert(name.to_string(), v.clone());
        v
    }

    fn eval(&mut self, expr: &str, depth: usize) -> Value {
        assert!(depth < 64, "recursive definition: {expr}");
        let expr = expr.trim();
        // Strip parentheses that enclose the whole expression.
        if expr.starts_with('(') && expr.ends_with(')') {
            let inner = &expr[1..expr.len() - 1];
            let mut level = 0i32;
            let balanced = inner.chars().all(|c| {
                level += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                level >= 0
            });
            if balanced && level == 0 {
                return self.eval(inner, depth + 1);
            }
        }
        if let Some(s) = expr.strip_prefix('"') {
            let s = s.strip_suffix('"').expect("unterminated string");
            assert!(!s.contains(['"', '\\']), "unsupported string {expr}");
            return Value::Str(s.to_string());
        }
        // Binary + and -, left-associative: split at the last top-level one.
        let mut level = 0i32;
        for (i, c) in expr.char_indices().rev() {
            match c {
                ')' => level += 1,
                '(' => level -= 1,
                '+' | '-' if level == 0 && i > 0 => {
                    let l = self.eval(&expr[..i], depth + 1);
                    let r = self.eval(&expr[i + 1..], depth + 1);
                    return match (l, r, c) {
                        (Value::Int(l), Value::Int(r), '+') => Value::Int(l + r),
                        (Value::Int(l), Value::Int(r), '-') => Value::Int(l - r),
                        _ => panic!("bad arithmetic in {expr}"),
                    };
                }
                _ => {}
            }
        }
        if expr.starts_with(|c: char| c.is_ascii_digit()) {
            let digits = expr.trim_end_matches(['u', 'U', 'l', 'L']);
            let (digits, radix) = if let Some(h) = digits
                .strip_prefix("0x")
                .or_else(|| digits.strip_prefix("0X"))
            {
                (h, 16)
            } else if digits.len() > 1 && digits.starts_with('0') {
                (&digits[1..], 8)
            } else {
                (digits, 10)
            };
            let v = i128::from_str_radix(digits, radix)
                .unwrap_or_else(|e| panic!("bad number {expr}: {e}"));
            return Value::Int(v);
        }
        assert!(
            expr.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !expr.is_empty(),
            "unsupported expression {expr:?}"
        );
        self.eval_name(expr, depth)
    }
}

/// Every name of the header with its value.
fn c_values(src: &str) -> BTreeMap<String, Value> {
    let header = parse_header(src);
    let mut raw = BTreeMap::new();
    let mut order = Vec::new();
    // Enum members without `=` are the previous member plus one.
    let enum_exprs: Vec<(String, String)> = header
        .enums
        .iter()
        .flat_map(|members| {
            let mut prev: Option<String> = None;
            members
                .iter()
                .map(|(name, expr)| {
                    let e = match (expr, &prev) {
                        (Some(e), _) => format!("({e})"),
                        (None, None) => "0".to_string(),
                        (None, Some(p)) => format!("{p} + 1"),
                    };
                    prev = Some(name.clone());
                    (name.clone(), e)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    for (name, expr) in header.defines.iter().chain(enum_exprs.iter()) {
        assert!(
            raw.insert(name.as_str(), expr.as_str()).is_none(),
            "{name} defined twice"
        );
        order.push(name.as_str());
    }
    let mut ev = Evaluator {
        raw,
        values: BTreeMap::new(),
    };
    let mut out = BTreeMap::new();
    for name in order {
        // Include guards and other empty defines have no value.
        if ev.raw[name].is_empty() {
            continue;
        }
        let v = ev.eval_name(name, 0);
        out.insert(name.to_string(), v);
    }
    out
}

fn cmd_c_name(cmd: VrctxCmd) -> &'static str {
    // Exhaustive: a new Rust variant without a C name fails to compile.
    match cmd {
        VrctxCmd::Unspec => "VRCTX_CMD_UNSPEC",
        VrctxCmd::New => "VRCTX_CMD_NEW",
        VrctxCmd::Del => "VRCTX_CMD_DEL",
        VrctxCmd::Get => "VRCTX_CMD_GET",
        VrctxCmd::Assign => "VRCTX_CMD_ASSIGN",
    }
}

fn attr_c_name(attr: VrctxAttr) -> &'static str {
    match attr {
        VrctxAttr::Unspec => "VRCTX_A_UNSPEC",
        VrctxAttr::Id => "VRCTX_A_ID",
        VrctxAttr::Name => "VRCTX_A_NAME",
        VrctxAttr::Table => "VRCTX_A_TABLE",
        VrctxAttr::Force => "VRCTX_A_FORCE",
        VrctxAttr::Ifindex => "VRCTX_A_IFINDEX",
        VrctxAttr::NIfaces => "VRCTX_A_N_IFACES",
        VrctxAttr::NSockets => "VRCTX_A_N_SOCKETS",
        VrctxAttr::NTasks => "VRCTX_A_N_TASKS",
        VrctxAttr::Count => "VRCTX_A_COUNT",
    }
}

fn dhost_cmd_c_name(cmd: DhostCmd) -> &'static str {
    match cmd {
        DhostCmd::Unspec => "DHOST_CMD_UNSPEC",
        DhostCmd::GetStats => "DHOST_CMD_GET_STATS",
        DhostCmd::AddrSet => "DHOST_CMD_ADDR_SET",
        DhostCmd::AddrDel => "DHOST_CMD_ADDR_DEL",
        DhostCmd::Lead => "DHOST_CMD_LEAD",
        DhostCmd::AddrGet => "DHOST_CMD_ADDR_GET",
        DhostCmd::Event => "DHOST_CMD_EVENT",
        DhostCmd::FwdSet => "DHOST_CMD_FWD_SET",
        DhostCmd::FwdDel => "DHOST_CMD_FWD_DEL",
        DhostCmd::PeerSet => "DHOST_CMD_PEER_SET",
        DhostCmd::PeerDel => "DHOST_CMD_PEER_DEL",
        DhostCmd::Auth => "DHOST_CMD_AUTH",
        DhostCmd::FwdGet => "DHOST_CMD_FWD_GET",
        DhostCmd::FwdFlush => "DHOST_CMD_FWD_FLUSH",
    }
}

fn dhost_hook_c_name(hook: DhostHook) -> &'static str {
    match hook {
        DhostHook::Ipv4PreRouting => "DHOST_HOOK_IPV4_PRE_ROUTING",
        DhostHook::Ipv4LocalIn => "DHOST_HOOK_IPV4_LOCAL_IN",
        DhostHook::ArpIn => "DHOST_HOOK_ARP_IN",
        DhostHook::ArpOut => "DHOST_HOOK_ARP_OUT",
    }
}

fn dhost_attr_c_name(attr: DhostAttr) -> &'static str {
    match attr {
        DhostAttr::Unspec => "DHOST_A_UNSPEC",
        DhostAttr::Hook => "DHOST_A_HOOK",
        DhostAttr::Packets => "DHOST_A_PACKETS",
        DhostAttr::Addr => "DHOST_A_ADDR",
        DhostAttr::Ifindex => "DHOST_A_IFINDEX",
        DhostAttr::Member => "DHOST_A_MEMBER",
        DhostAttr::Members => "DHOST_A_MEMBERS",
        DhostAttr::Lead => "DHOST_A_LEAD",
        DhostAttr::PortLo => "DHOST_A_PORT_LO",
        DhostAttr::PortHi => "DHOST_A_PORT_HI",
        DhostAttr::Stat => "DHOST_A_STAT",
        DhostAttr::Count => "DHOST_A_COUNT",
        DhostAttr::Event => "DHOST_A_EVENT",
        DhostAttr::Proto => "DHOST_A_PROTO",
        DhostAttr::Laddr => "DHOST_A_LADDR",
        DhostAttr::Lport => "DHOST_A_LPORT",
        DhostAttr::Raddr => "DHOST_A_RADDR",
        DhostAttr::Rport => "DHOST_A_RPORT",
        DhostAttr::Ctx => "DHOST_A_CTX",
        DhostAttr::Mac => "DHOST_A_MAC",
        DhostAttr::AuthMs => "DHOST_A_AUTH_MS",
    }
}

fn rust_values() -> BTreeMap<String, Value> {
    let int = |v: i128| Value::Int(v);
    let s = |v: &str| Value::Str(v.to_string());
    let mut m: BTreeMap<String, Value> = [
        ("IP_VRCTX", int(IP_VRCTX.into())),
        ("VRCTX_DEFAULT", int(VRCTX_DEFAULT.into())),
        ("VRCTX_ID_MAX", int(VRCTX_ID_MAX.into())),
        ("VRCTX_TABLE_BASE", int(VRCTX_TABLE_BASE.into())),
        ("VRCTX_NAME_MAX", int(VRCTX_NAME_MAX as i128)),
        ("VRCTX_COUNT_MAX", int(VRCTX_COUNT_MAX.into())),
        ("VRCTX_GENL_NAME", s(VRCTX_GENL_NAME)),
        ("VRCTX_GENL_VERSION", int(VRCTX_GENL_VERSION.into())),
        ("VRCTX_GENL_MCGRP_EVENTS", s(VRCTX_GENL_MCGRP_EVENTS)),
        ("VRCTX_CMD_MAX", int(VRCTX_CMD_MAX.into())),
        ("VRCTX_A_MAX", int(VRCTX_A_MAX.into())),
        ("DHOST_GENL_NAME", s(DHOST_GENL_NAME)),
        ("DHOST_GENL_VERSION", int(DHOST_GENL_VERSION.into())),
        ("DHOST_GENL_MCGRP_EVENTS", s(DHOST_GENL_MCGRP_EVENTS)),
        ("DHOST_CMD_MAX", int(DHOST_CMD_MAX.into())),
        ("DHOST_HOOK_MAX", int(DHOST_HOOK_MAX.into())),
        ("DHOST_A_MAX", int(DHOST_A_MAX.into())),
        ("DHOST_MEMBERS_MAX", int(DHOST_MEMBERS_MAX.into())),
        ("DHOST_EV_MAX", int(DHOST_EV_MAX.into())),
        ("DHOST_STAT_MAX", int(DHOST_STAT_MAX.into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for cmd in VrctxCmd::ALL {
        m.insert(cmd_c_name(cmd).into(), int((cmd as u8).into()));
    }
    for attr in VrctxAttr::ALL {
        m.insert(attr_c_name(attr).into(), int((attr as u16).into()));
    }
    for cmd in DhostCmd::ALL {
        m.insert(dhost_cmd_c_name(cmd).into(), int((cmd as u8).into()));
    }
    for hook in DhostHook::ALL {
        m.insert(dhost_hook_c_name(hook).into(), int((hook as u32).into()));
    }
    for attr in DhostAttr::ALL {
        m.insert(dhost_attr_c_name(attr).into(), int((attr as u16).into()));
    }
    for (ev, name) in [
        (DhostEvent::Unspec, "DHOST_EV_UNSPEC"),
        (DhostEvent::Bind, "DHOST_EV_BIND"),
        (DhostEvent::Listen, "DHOST_EV_LISTEN"),
        (DhostEvent::Accept, "DHOST_EV_ACCEPT"),
        (DhostEvent::Connect, "DHOST_EV_CONNECT"),
        (DhostEvent::Close, "DHOST_EV_CLOSE"),
    ] {
        m.insert(name.into(), int((ev as u32).into()));
    }
    for (stat, name) in [
        (DhostStat::MarkedHost, "DHOST_STAT_MARKED_HOST"),
        (DhostStat::RstSuppressed, "DHOST_STAT_RST_SUPPRESSED"),
        (DhostStat::IcmpSuppressed, "DHOST_STAT_ICMP_SUPPRESSED"),
        (DhostStat::IcmpLeader, "DHOST_STAT_ICMP_LEADER"),
        (DhostStat::IcmpNotLeader, "DHOST_STAT_ICMP_NOT_LEADER"),
        (DhostStat::IcmpErrOwned, "DHOST_STAT_ICMP_ERR_OWNED"),
        (DhostStat::IcmpErrNotOwned, "DHOST_STAT_ICMP_ERR_NOT_OWNED"),
        (DhostStat::OtherNotLeader, "DHOST_STAT_OTHER_NOT_LEADER"),
        (DhostStat::ArpLeader, "DHOST_STAT_ARP_LEADER"),
        (DhostStat::ArpNotLeader, "DHOST_STAT_ARP_NOT_LEADER"),
        (DhostStat::ArpSrcReplaced, "DHOST_STAT_ARP_SRC_REPLACED"),
        (DhostStat::ArpOutDropped, "DHOST_STAT_ARP_OUT_DROPPED"),
        (DhostStat::PortSliced, "DHOST_STAT_PORT_SLICED"),
        (DhostStat::Events, "DHOST_STAT_EVENTS"),
        (DhostStat::EventsLost, "DHOST_STAT_EVENTS_LOST"),
        (DhostStat::Bridged, "DHOST_STAT_BRIDGED"),
        (DhostStat::Flooded, "DHOST_STAT_FLOODED"),
        (DhostStat::BridgeLocal, "DHOST_STAT_BRIDGE_LOCAL"),
        (DhostStat::BridgeLoop, "DHOST_STAT_BRIDGE_LOOP"),
        (DhostStat::BridgeDropped, "DHOST_STAT_BRIDGE_DROPPED"),
        (DhostStat::Answered, "DHOST_STAT_ANSWERED"),
    ] {
        m.insert(name.into(), int((stat as u32).into()));
    }
    m
}

#[test]
fn rust_constants_match_c_header() {
    let src = header_from_series();
    let c = c_values(&src);
    let rust = rust_values();
    let mut problems = Vec::new();
    for (name, cv) in &c {
        if name.starts_with('_') {
            continue;
        }
        match rust.get(name) {
            None => problems.push(format!(
                "{name} = {cv:?} is in the C header but not in Rust"
            )),
            Some(rv) if rv != cv => {
                problems.push(format!("{name}: C header says {cv:?}, Rust says {rv:?}"))
            }
            Some(_) => {}
        }
    }
    for (name, rv) in &rust {
        if !c.contains_key(name) {
            problems.push(format!(
                "{name} = {rv:?} is in Rust but not in the C header"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "vrctx-uapi.h and the vrctx-uapi crate disagree:\n  {}",
        problems.join("\n  ")
    );
    // The C header really was parsed (guards against a silently empty parse).
    assert!(c.len() >= rust.len());
}

#[test]
fn hunks_apply_in_order() {
    let new = "--- /dev/null\n+++ b/f\n@@ -0,0 +1,4 @@\n+a\n+b\n+c\n+d\n";
    let lines = apply_hunks(Vec::new(), new).unwrap();
    assert_eq!(lines, ["a", "b", "c", "d"]);
    // Change b, insert after d: the second hunk's numbers ignore the first.
    let change = "--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n+B2\n c\n\
                  @@ -4,0 +6,1 @@\n+e\n";
    let lines = apply_hunks(lines, change).unwrap();
    assert_eq!(lines, ["a", "B", "B2", "c", "d", "e"]);
    let missing = apply_hunks(lines.clone(), "+++ b/f\n@@ -1,1 +1,1 @@\n-x\n+y\n");
    assert_eq!(missing.unwrap_err(), "hunk @@ -1,1 +1,1 @@ does not apply");
    let short = apply_hunks(lines, "+++ b/f\n@@ -1,2 +1,2 @@\n a\n");
    assert_eq!(short.unwrap_err(), "hunk @@ -1,2 +1,2 @@ is cut short");
}

#[test]
fn parser_understands_the_c_subset() {
    let src = r#"
        #ifndef _G
        #define _G
        /* a comment with #define FAKE 1 */
        #define A   0x10U   /* hex */
        #define B   (A + 2) // trailing
        #define S   "str"
        #  define OCT 010
        enum e {
            E_ZERO,
            E_ONE,      /* 1 */
            E_TEN = 10,
            E_ELEVEN,
            __E_MAX,
        };
        #define E_MAX (__E_MAX - 1)
        #endif
    "#;
    let v = c_values(src);
    let get = |n: &str| v.get(n).cloned();
    assert_eq!(get("A"), Some(Value::Int(16)));
    assert_eq!(get("B"), Some(Value::Int(18)));
    assert_eq!(get("S"), Some(Value::Str("str".into())));
    assert_eq!(get("OCT"), Some(Value::Int(8)));
    assert_eq!(get("E_ZERO"), Some(Value::Int(0)));
    assert_eq!(get("E_ONE"), Some(Value::Int(1)));
    assert_eq!(get("E_TEN"), Some(Value::Int(10)));
    assert_eq!(get("E_ELEVEN"), Some(Value::Int(11)));
    assert_eq!(get("E_MAX"), Some(Value::Int(11)));
    assert_eq!(get("FAKE"), None);
    assert_eq!(get("_G"), None);
}
