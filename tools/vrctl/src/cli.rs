// SPDX-License-Identifier: GPL-2.0-only
//! Command line: clap definitions and the parsers of context references
//! and interface names.
//!
//! Every value is validated here, before any kernel call, so a bad id or
//! name is a usage error (exit status 1).

use std::ffi::OsString;
use std::fmt;
use std::str::FromStr;

use clap::{Parser, Subcommand};
use vrctx_uapi::{parse_id, validate_name};

/// A context as the user wrote it: a number is an id, anything else a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextRef {
    Id(u32),
    Name(String),
}

impl FromStr for ContextRef {
    type Err = String;

    /// A token starting with a digit is an id (decimal, or hex with `0x`)
    /// and must be in `0..=VRCTX_ID_MAX`; any other token is a name and
    /// must follow the name rule (names never start with a digit).
    fn from_str(s: &str) -> Result<Self, String> {
        if s.starts_with(|c: char| c.is_ascii_digit()) {
            parse_id(s).map(ContextRef::Id).map_err(|e| e.to_string())
        } else {
            validate_name(s)
                .map(|()| ContextRef::Name(s.to_string()))
                .map_err(|e| e.to_string())
        }
    }
}

impl fmt::Display for ContextRef {
    /// "context 3" or "context blue", as used in messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContextRef::Id(id) => write!(f, "context {id}"),
            ContextRef::Name(name) => write!(f, "context {name}"),
        }
    }
}

fn parse_ctx(s: &str) -> Result<ContextRef, String> {
    s.parse()
}

fn parse_ctx_id(s: &str) -> Result<u32, String> {
    parse_id(s).map_err(|e| e.to_string())
}

fn parse_ctx_name(s: &str) -> Result<String, String> {
    validate_name(s)
        .map(|()| s.to_string())
        .map_err(|e| e.to_string())
}

/// Interface names as the kernel accepts them (`dev_valid_name()`).
fn parse_ifname(s: &str) -> Result<String, String> {
    if s.is_empty() || s.len() > 15 {
        return Err(format!(
            "invalid interface name \"{s}\" (1 to 15 bytes expected)"
        ));
    }
    if s == "." || s == ".." || s.contains(|c: char| c == '/' || c == ':' || c.is_whitespace()) {
        return Err(format!("invalid interface name \"{s}\""));
    }
    Ok(s.to_string())
}

fn parse_pid(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(pid) if pid > 0 && pid <= i32::MAX as u32 => Ok(pid),
        _ => Err(format!("invalid process id \"{s}\"")),
    }
}

const MAIN_HELP: &str = "\
Contexts:
  A context (virtual router context) is a u32 id in 0..=2147483647 (0x7fffffff).
  Context 0 is the default: it always exists and cannot be deleted. A context may
  have a name: 1 to 15 bytes of ASCII letters, digits, '_', '-', '.', not starting
  with a digit. Wherever a context is expected, a token starting with a digit is an
  id (decimal, or hex with 0x), anything else is a name.

Exit status:
  0 success, 1 usage error (bad syntax, bad id or name, unknown interface),
  2 the kernel or the system reported an error.

Examples:
  vrctl create 7 name blue        create context 7 named blue
  vrctl assign eth1 blue          move eth1 (and its addresses) into context 7
  ip route add default via 10.0.0.1 table 0x80000007
  vrctl exec blue -- ping 10.0.0.1
  vrctl -j list                   all contexts, as JSON
  vrctl delete blue --force
  vrctl -batch cmds.txt           one command per line (\"-\" = stdin), one socket";

/// Control virtual router contexts (vrctx).
#[derive(Debug, Parser)]
#[command(
    name = "vrctl",
    version,
    about = "Control virtual router contexts (vrctx)",
    after_long_help = MAIN_HELP,
    infer_subcommands = true,
    arg_required_else_help = true,
)]
pub struct Cli {
    /// Print JSON instead of text (list, show, identify)
    #[arg(short = 'j', long = "json", global = true)]
    pub json: bool,

    /// Run the commands in FILE ("-" = stdin), one per line, over one
    /// netlink socket (also `-batch FILE`, as ip(8))
    #[arg(short = 'b', long = "batch", value_name = "FILE")]
    pub batch: Option<String>,

    /// With --batch: go on after a failing line (also `-force`)
    #[arg(long = "force", requires = "batch")]
    pub force: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// ip(8) spells its global options with one dash (`-batch FILE`,
/// `-force`): before the command word, those become clap's `--batch` and
/// `--force` (clap would read `-batch` as `-b atch`).
pub fn iproute_style_args<I: IntoIterator<Item = OsString>>(args: I) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::new();
    let mut options = true;
    let mut value_next = false;
    for (i, a) in args.into_iter().enumerate() {
        if i == 0 || !options {
            out.push(a);
            continue;
        }
        if value_next {
            value_next = false;
            out.push(a);
            continue;
        }
        match a.to_str() {
            Some("-batch") | Some("--batch") | Some("-b") => {
                value_next = true;
                out.push("--batch".into());
            }
            Some("-force") => out.push("--force".into()),
            Some(s) => {
                options = s.starts_with('-') && s != "--";
                out.push(a);
            }
            None => {
                options = false;
                out.push(a);
            }
        }
    }
    out
}

/// The options of a plain batch run, as [`Cli`] would hold them.
#[derive(Debug, PartialEq, Eq)]
pub struct BatchArgs {
    pub file: String,
    pub force: bool,
    pub json: bool,
}

/// `--batch FILE` with at most `--force` and `--json`/`-j`, each once and
/// in any order, after [`iproute_style_args`]: exactly what clap would make
/// of it, without building clap's parser for the whole command line, which
/// costs a batch more than its first thousand lines in a TCG guest.
/// Anything else (FILE starting with `-` other than `-` itself, repeated
/// or other options, a command) is `None`, left to clap.
pub fn plain_batch(args: &[OsString]) -> Option<BatchArgs> {
    let mut file = None;
    let (mut force, mut json) = (false, false);
    let mut words = args.iter().skip(1).map(|a| a.to_str());
    while let Some(word) = words.next() {
        let seen = match word? {
            "--batch" => {
                let f = words.next()??;
                if f.starts_with('-') && f != "-" {
                    return None;
                }
                file.replace(f.to_string()).is_some()
            }
            "--force" => std::mem::replace(&mut force, true),
            "--json" | "-j" => std::mem::replace(&mut json, true),
            _ => return None,
        };
        if seen {
            return None;
        }
    }
    Some(BatchArgs {
        file: file?,
        force,
        json,
    })
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a context
    #[command(
        override_usage = "vrctl create ID [name NAME]",
        after_long_help = "\
The context's routing table is 0x80000000 + ID (see `vrctl show`); it holds the
local, broadcast and connected routes of the context's interfaces, and plain
`ip route ... table N` works on it.

Errors: File exists (the id or the name is taken), Operation not permitted
(CAP_NET_ADMIN is needed).

Examples:
  vrctl create 7
  vrctl create 0x10 name red"
    )]
    Create {
        /// Context id, decimal or 0x hex, 1..=0x7fffffff
        #[arg(value_name = "ID", value_parser = parse_ctx_id)]
        id: u32,
        /// The keyword `name`
        #[arg(value_name = "name", value_parser = ["name"], requires = "name", hide_possible_values = true)]
        name_keyword: Option<String>,
        /// Context name (1..15 bytes of [A-Za-z0-9_.-], not starting with a digit)
        #[arg(value_name = "NAME", value_parser = parse_ctx_name, requires = "name_keyword")]
        name: Option<String>,
    },

    /// Delete a context
    #[command(
        visible_alias = "del",
        after_long_help = "\
Refused with `Device or resource busy` while interfaces, sockets or tasks still
use the context, unless --force is given: then its sockets are aborted, its
interfaces return to context 0 with their IPv4 addresses flushed, and its id is
not reused while a task still has it as its default.

Examples:
  vrctl delete 7
  vrctl delete blue --force"
    )]
    Delete {
        /// Context id or name
        #[arg(value_name = "ID|NAME", value_parser = parse_ctx)]
        ctx: ContextRef,
        /// Abort the context's sockets and move its interfaces back to context 0
        #[arg(short, long)]
        force: bool,
    },

    /// List all contexts
    #[command(
        visible_alias = "ls",
        // `l` was list before `lead` came: it stays list.
        alias = "l",
        after_long_help = "\
Columns: ID NAME TABLE IFACES SOCKETS TASKS (\"-\" where the kernel reported
nothing). With -j: a JSON array of
  {\"id\":u32,\"name\":string|null,\"table\":u32|null,\"interfaces\":u32,\"sockets\":u32,\"tasks\":u32}

Examples:
  vrctl list
  vrctl -j list"
    )]
    List,

    /// Show one context
    #[command(after_long_help = "\
Prints id, name, routing table (decimal and hex), and how many interfaces,
sockets and tasks use the context. With -j: one JSON object, as in `vrctl -j list`.

Examples:
  vrctl show 7
  vrctl show blue -j")]
    Show {
        /// Context id or name
        #[arg(value_name = "ID|NAME", value_parser = parse_ctx)]
        ctx: ContextRef,
    },

    /// Move an interface into a context
    #[command(after_long_help = "\
The interface's IPv4 addresses and their routes move with it into the context's
table. Assigning to 0 returns it to the default context.

Examples:
  vrctl assign eth1 7
  vrctl assign eth1 blue
  vrctl assign eth1 0")]
    Assign {
        /// Interface name
        #[arg(value_name = "IFNAME", value_parser = parse_ifname)]
        ifname: String,
        /// Context id or name
        #[arg(value_name = "ID|NAME", value_parser = parse_ctx)]
        ctx: ContextRef,
    },

    /// Run a command in a context
    #[command(
        override_usage = "vrctl exec ID|NAME -- CMD [ARGS]...",
        after_long_help = "\
Switches vrctl's own default context (by writing the id to /proc/self/vrctx), then
executes CMD, which inherits it, and so do its children and every IPv4 socket
they open. Needs CAP_NET_ADMIN unless the context is the current one. The `--`
may be left out when CMD does not start with '-'.

Examples:
  vrctl exec 7 -- sh
  vrctl exec blue -- socat TCP-LISTEN:80,fork EXEC:cat
  vrctl exec 0 -- ip route"
    )]
    Exec {
        /// Context id or name
        #[arg(value_name = "ID|NAME", value_parser = parse_ctx)]
        ctx: ContextRef,
        /// Command and its arguments
        #[arg(
            value_name = "CMD",
            required = true,
            num_args = 1..,
            trailing_var_arg = true,
            allow_hyphen_values = true
        )]
        command: Vec<OsString>,
    },

    /// Distributed host: addresses served by several machines
    #[command(subcommand)]
    Dhost(DhostCommand),

    /// Lead distributed addresses (answer ARP and ICMP for them), or stop
    #[command(
        override_usage = "vrctl lead ADDR|IFNAME on|off",
        after_long_help = "\
Exactly one member should lead each distributed address; the kernel of one member
cannot see the others, so two leaders both answer (duplicate ARP replies and
echo replies) until one stops. With IFNAME: every distributed address of it.

Examples:
  vrctl lead 10.9.0.1 on
  vrctl lead eth1 off"
    )]
    Lead {
        /// A distributed address, or an interface
        #[arg(value_name = "ADDR|IFNAME", value_parser = parse_lead_target)]
        target: LeadTarget,
        /// on or off
        #[arg(value_name = "on|off", value_parser = parse_on_off, action = clap::ArgAction::Set)]
        on: bool,
    },

    /// Print the context of a process (default: the caller's)
    #[command(after_long_help = "\
Reads /proc/PID/vrctx. Without PID, prints vrctl's own context, which is the
invoking shell's (it is inherited). Prints the id, followed by the context's name
if it has one. With -j: {\"pid\":u32,\"vrctx\":u32,\"name\":string|null}.

Examples:
  vrctl identify
  vrctl identify 1234
  vrctl exec blue -- vrctl identify")]
    Identify {
        /// Process id
        #[arg(value_name = "PID", value_parser = parse_pid)]
        pid: Option<u32>,
    },
}

/// `dhost` subcommands.
#[derive(Debug, Subcommand)]
pub enum DhostCommand {
    /// Mark a local address distributed: this machine is member N of M
    #[command(
        override_usage = "vrctl dhost add ADDR dev IFNAME member N of M",
        after_long_help = "\
ADDR must already be an IPv4 address of IFNAME (ip addr add). From then on this
member stays silent for ports and connections it has no socket for, answers ARP
and ICMP echo for ADDR only if it leads it (vrctl lead), and picks ephemeral ports
from slice N of M of the local port range. Adding again changes N and M and
clears the lead flag.

Examples:
  vrctl dhost add 10.9.0.1 dev eth1 member 2 of 3"
    )]
    Add {
        /// ADDR dev IFNAME member N of M
        #[arg(value_name = "ARGS", num_args = 1.., allow_hyphen_values = true)]
        words: Vec<String>,
    },
    /// Make a distributed address ordinary again
    #[command(visible_alias = "delete")]
    Del {
        /// The distributed address
        #[arg(value_name = "ADDR", value_parser = parse_addr)]
        addr: std::net::Ipv4Addr,
    },
    /// List the distributed addresses
    #[command(after_long_help = "\
Columns: ADDR dev IFNAME ctx CTX member N of M lead on|off ports LO-HI (this
member's ephemeral slice). With -j: a JSON array of
  {\"addr\":string,\"dev\":string,\"ifindex\":u32,\"ctx\":u32,\"member\":u32,
   \"members\":u32,\"lead\":bool,\"port_lo\":u16,\"port_hi\":u16}")]
    Show,
    /// Print the counters of every decision (and every hook's packets)
    #[command(after_long_help = "\
One NAME VALUE line per counter; with -j one JSON object {NAME: VALUE}.")]
    Stats,
    /// Print socket events on distributed addresses as they happen
    #[command(after_long_help = "\
One line per event: EVENT PROTO LOCAL REMOTE ctx CTX member N, where EVENT is bind,
listen, accept, connect or close; with -j one JSON object per line. Runs until
interrupted. Events the kernel could not deliver are reported on stderr.")]
    Monitor,
    /// Print the cluster's ports, connections and conflicts (from dhostd)
    #[command(after_long_help = "\
Asks the cluster daemon on its unix socket. First line: ADDR member N of M lead
on|off authoritative yes|no; then one line per port (tcp 80 member 2), connection
(tcp 80 10.9.0.100:40000 member 2) and conflict (tcp 80 member 3 conflict (owner
2)). With -j: the daemon's JSON document as received.")]
    Ports {
        /// dhostd's unix socket
        #[arg(long, value_name = "PATH", default_value = "/run/dhostd.sock")]
        socket: String,
    },
}

fn parse_addr(s: &str) -> Result<std::net::Ipv4Addr, String> {
    s.parse()
        .map_err(|_| format!("\"{s}\" is not an IPv4 address"))
}

/// `lead` target: a distributed address, or an interface (all of its
/// distributed addresses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadTarget {
    Addr(std::net::Ipv4Addr),
    Dev(String),
}

fn parse_lead_target(s: &str) -> Result<LeadTarget, String> {
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        parse_addr(s).map(LeadTarget::Addr)
    } else {
        parse_ifname(s).map(LeadTarget::Dev)
    }
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("\"{s}\": expected on or off")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;
    use vrctx_uapi::VRCTX_ID_MAX as ID_MAX;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("vrctl").chain(args.iter().copied()))
    }

    fn cmd(args: &[&str]) -> Command {
        parse(args)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
            .command
            .expect("a command")
    }

    fn err(args: &[&str]) -> String {
        match parse(args) {
            Ok(c) => panic!("{args:?} parsed as {c:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn context_refs() {
        assert_eq!("0".parse(), Ok(ContextRef::Id(0)));
        assert_eq!("42".parse(), Ok(ContextRef::Id(42)));
        assert_eq!("0x2a".parse(), Ok(ContextRef::Id(42)));
        assert_eq!("0x7fffffff".parse(), Ok(ContextRef::Id(ID_MAX)));
        assert_eq!("blue".parse(), Ok(ContextRef::Name("blue".into())));
        assert_eq!("x1".parse(), Ok(ContextRef::Name("x1".into())));
        assert!("2147483648"
            .parse::<ContextRef>()
            .unwrap_err()
            .contains("out of range"));
        assert!("0x80000000"
            .parse::<ContextRef>()
            .unwrap_err()
            .contains("out of range"));
        assert!("4294967296"
            .parse::<ContextRef>()
            .unwrap_err()
            .contains("out of range"));
        assert!("1abc"
            .parse::<ContextRef>()
            .unwrap_err()
            .contains("invalid context id"));
        assert!("0xg"
            .parse::<ContextRef>()
            .unwrap_err()
            .contains("invalid context id"));
        assert!("a b".parse::<ContextRef>().unwrap_err().contains("' '"));
        assert!("abcdefghijklmnop"
            .parse::<ContextRef>()
            .unwrap_err()
            .contains("16 bytes"));
        assert!("".parse::<ContextRef>().unwrap_err().contains("empty"));
        assert_eq!(ContextRef::Id(3).to_string(), "context 3");
        assert_eq!(ContextRef::Name("blue".into()).to_string(), "context blue");
    }

    #[test]
    fn create() {
        assert!(matches!(
            cmd(&["create", "7"]),
            Command::Create {
                id: 7,
                name: None,
                ..
            }
        ));
        match cmd(&["create", "0x10", "name", "red"]) {
            Command::Create { id, name, .. } => {
                assert_eq!(id, 16);
                assert_eq!(name.as_deref(), Some("red"));
            }
            c => panic!("{c:?}"),
        }
        // The keyword needs its value and vice versa.
        assert!(err(&["create", "7", "name"]).contains("NAME"));
        assert!(err(&["create", "7", "label", "red"]).contains("invalid value 'label'"));
        assert!(err(&["create", "7", "name", "9lives"]).contains("must not start with a digit"));
        assert!(err(&["create", "blue"]).contains("invalid context id"));
        assert!(err(&["create", "2147483648"]).contains("out of range"));
        assert!(err(&["create", "-1"]).contains("unexpected argument '-1'"));
        assert!(err(&["create"]).contains("required"));
    }

    #[test]
    fn delete_show_list() {
        assert!(matches!(
            cmd(&["delete", "3"]),
            Command::Delete {
                ctx: ContextRef::Id(3),
                force: false
            }
        ));
        match cmd(&["delete", "blue", "--force"]) {
            Command::Delete { ctx, force } => {
                assert_eq!(ctx, ContextRef::Name("blue".into()));
                assert!(force);
            }
            c => panic!("{c:?}"),
        }
        assert!(matches!(
            cmd(&["del", "-f", "3"]),
            Command::Delete { force: true, .. }
        ));
        assert!(matches!(
            cmd(&["show", "0x3"]),
            Command::Show {
                ctx: ContextRef::Id(3)
            }
        ));
        assert!(matches!(cmd(&["list"]), Command::List));
        assert!(matches!(cmd(&["ls"]), Command::List));
        // iproute2-style abbreviations.
        assert!(matches!(cmd(&["l"]), Command::List));
        assert!(matches!(cmd(&["sh", "1"]), Command::Show { .. }));
        assert!(err(&["show", "a/b"]).contains("'/'"));
        assert!(err(&["list", "extra"]).contains("unexpected argument"));
    }

    #[test]
    fn json_flag_is_global() {
        assert!(parse(&["-j", "list"]).unwrap().json);
        assert!(parse(&["list", "-j"]).unwrap().json);
        assert!(parse(&["show", "--json", "1"]).unwrap().json);
        assert!(!parse(&["list"]).unwrap().json);
    }

    #[test]
    fn assign() {
        match cmd(&["assign", "eth0", "blue"]) {
            Command::Assign { ifname, ctx } => {
                assert_eq!(ifname, "eth0");
                assert_eq!(ctx, ContextRef::Name("blue".into()));
            }
            c => panic!("{c:?}"),
        }
        assert!(err(&["assign", "averyveryverylongname", "1"]).contains("invalid interface name"));
        assert!(err(&["assign", "a/b", "1"]).contains("invalid interface name"));
        assert!(err(&["assign", "eth0"]).contains("required"));
        assert!(err(&["assign", "eth0", "0x80000000"]).contains("out of range"));
    }

    #[test]
    fn exec_splits_at_double_dash() {
        let argv = |c: Command| match c {
            Command::Exec { ctx, command } => (
                ctx,
                command
                    .into_iter()
                    .map(|s| s.into_string().unwrap())
                    .collect::<Vec<_>>(),
            ),
            c => panic!("{c:?}"),
        };
        assert_eq!(
            argv(cmd(&["exec", "3", "--", "ls", "-l", "--help"])),
            (
                ContextRef::Id(3),
                vec!["ls".into(), "-l".into(), "--help".into()]
            )
        );
        // Without `--`, everything from CMD on belongs to CMD.
        assert_eq!(
            argv(cmd(&["exec", "blue", "sh", "-c", "echo --", "-j"])),
            (
                ContextRef::Name("blue".into()),
                vec!["sh".into(), "-c".into(), "echo --".into(), "-j".into()]
            )
        );
        // A `--` after CMD is CMD's.
        assert_eq!(
            argv(cmd(&["exec", "3", "--", "env", "--", "x"])),
            (
                ContextRef::Id(3),
                vec!["env".into(), "--".into(), "x".into()]
            )
        );
        // vrctl's own flags before `--` still work.
        assert!(parse(&["exec", "-j", "3", "--", "true"]).unwrap().json);
        assert!(err(&["exec", "3"]).contains("required"));
        assert!(err(&["exec", "3", "--"]).contains("required"));
        assert!(err(&["exec", "0x80000000", "--", "true"]).contains("out of range"));
    }

    #[test]
    fn identify() {
        assert!(matches!(
            cmd(&["identify"]),
            Command::Identify { pid: None }
        ));
        assert!(matches!(
            cmd(&["identify", "42"]),
            Command::Identify { pid: Some(42) }
        ));
        assert!(err(&["identify", "0"]).contains("invalid process id"));
        assert!(err(&["identify", "x"]).contains("invalid process id"));
    }

    #[test]
    fn help_and_version_are_not_errors() {
        for args in [
            &["--help"][..],
            &["-h"],
            &["help"],
            &["help", "create"],
            &["create", "--help"],
            &["--version"],
            &["-V"],
        ] {
            let e = parse(args).unwrap_err();
            assert!(
                matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion),
                "{args:?}: {:?}",
                e.kind()
            );
            assert!(!e.use_stderr(), "{args:?}");
        }
        // No command at all: usage on stderr, an error.
        let e = parse(&[]).unwrap_err();
        assert!(e.use_stderr());
    }

    #[test]
    fn batch_options_in_ip_style() {
        let conv = |a: &[&str]| {
            iproute_style_args(
                std::iter::once("vrctl")
                    .chain(a.iter().copied())
                    .map(OsString::from),
            )
            .into_iter()
            .skip(1)
            .map(|s| s.into_string().unwrap())
            .collect::<Vec<_>>()
        };
        assert_eq!(conv(&["-batch", "f"]), ["--batch", "f"]);
        assert_eq!(conv(&["-force", "-b", "-"]), ["--force", "--batch", "-"]);
        assert_eq!(
            conv(&["-j", "-batch", "-force"]),
            ["-j", "--batch", "-force"]
        );
        // After the command word nothing changes.
        assert_eq!(conv(&["delete", "1", "-force"]), ["delete", "1", "-force"]);
        assert_eq!(conv(&["exec", "1", "-batch"]), ["exec", "1", "-batch"]);
        let cli = Cli::try_parse_from(iproute_style_args(
            ["vrctl", "-batch", "cmds", "-force"].map(OsString::from),
        ))
        .unwrap();
        assert_eq!(cli.batch.as_deref(), Some("cmds"));
        assert!(cli.force && cli.command.is_none());
        assert!(
            parse(&["--force", "list"]).is_err(),
            "--force needs --batch"
        );
    }

    #[test]
    fn plain_batch_is_what_clap_makes_of_it() {
        for a in [
            &["-b", "f"][..],
            &["-batch", "-"],
            &["-force", "-b", "cmds"],
            &["-b", "cmds", "-force", "-j"],
            &["--json", "--batch", "x y", "--force"],
            &["-batch", "f", "-batch", "g"],
            &["-force", "-force", "-b", "f"],
            &["-j", "-j", "-b", "f"],
            &["-j", "-batch", "-force"],
            &["-b", "--json"],
            &["-b"],
            &["-force"],
            &["-b", "f", "list"],
            &["-b", "f", "--"],
            &["-j"],
            &["-b", "f", "-h"],
            &["-b", "f", "-V"],
            &["--bat", "f"],
        ] {
            let args = iproute_style_args(
                std::iter::once("vrctl")
                    .chain(a.iter().copied())
                    .map(OsString::from),
            );
            let fast = plain_batch(&args);
            let clap = Cli::try_parse_from(&args)
                .ok()
                .filter(|c| c.command.is_none())
                .and_then(|c| {
                    Some(BatchArgs {
                        file: c.batch?,
                        force: c.force,
                        json: c.json,
                    })
                });
            // The fast path never disagrees with clap; it may leave a
            // correct line to clap.
            if fast.is_some() {
                assert_eq!(fast, clap, "{a:?}");
            }
        }
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            plain_batch(&args(&["vrctl", "--force", "--batch", "f", "-j"])),
            Some(BatchArgs {
                file: "f".into(),
                force: true,
                json: true
            })
        );
        assert_eq!(
            plain_batch(&args(&["vrctl", "--batch", "-"])).unwrap().file,
            "-"
        );
        assert!(plain_batch(&args(&["vrctl", "--force"])).is_none());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
