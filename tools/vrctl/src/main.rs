// SPDX-License-Identifier: GPL-2.0-only
//! vrctl: control virtual router contexts (vrctx).
//!
//! Exit status as iproute2's ip(8): 0 success, 1 usage error, 2 an error
//! the kernel or the system reported. Errors go to stderr as
//! `vrctl: <object>: <reason>`. See docs/vrctl.md.

mod batch;
mod cli;
mod dhostcli;
mod output;
mod ports;
mod procfs;
mod vrctx;

use vrctl::{dhost, error, genl};

use std::ffi::{CString, OsString};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;

use clap::Parser;

use crate::cli::{Cli, Command, ContextRef};
use crate::error::{Error, Op, Result};
use crate::output::Identity;
use crate::vrctx::{fail, Vrctx, VrctxMessage};

fn main() {
    let args = cli::iproute_style_args(std::env::args_os());
    if let Some(b) = cli::plain_batch(&args) {
        std::process::exit(run_batch(&b.file, b.force, b.json).unwrap_or_else(|c| c));
    }
    let code = match Cli::try_parse_from(args) {
        Ok(cli) => match (cli.batch, cli.command) {
            (Some(_), Some(_)) => {
                eprintln!("vrctl: -batch takes its commands from FILE, not from the command line");
                1
            }
            (Some(file), None) => run_batch(&file, cli.force, cli.json).unwrap_or_else(|c| c),
            (None, Some(command)) => match run(command, cli.json, &mut Session::default()) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("vrctl: {e}");
                    e.exit_code()
                }
            },
            (None, None) => {
                eprintln!("vrctl: no command given (see vrctl --help)");
                1
            }
        },
        Err(e) => report_clap(&e),
    };
    std::process::exit(code);
}

/// The one generic netlink socket of a run, opened when first needed.
#[derive(Default)]
struct Session {
    vrctx: Option<Vrctx>,
    dhost: Option<dhost::Dhost>,
}

impl Session {
    fn dhost(&mut self, what: &str) -> Result<&mut dhost::Dhost> {
        if self.dhost.is_none() {
            self.dhost = Some(dhost::Dhost::connect(what)?);
        }
        Ok(self.dhost.as_mut().expect("just connected"))
    }

    fn vrctx(&mut self, what: &str) -> Result<&mut Vrctx> {
        if self.vrctx.is_none() {
            self.vrctx = Some(Vrctx::connect(what)?);
        }
        Ok(self.vrctx.as_mut().expect("just connected"))
    }
}

/// `-batch FILE`: runs every line over one socket. Stops at the first
/// failing line with its exit status, naming FILE:LINE; with `force`,
/// goes on and exits with the highest status of the failed lines. Runs of
/// plain `create`/`delete` lines with consecutive ids go to the kernel as
/// one request each ([`batch::Run`]).
fn run_batch(file: &str, force: bool, json: bool) -> std::result::Result<i32, i32> {
    let input: Box<dyn BufRead> = if file == "-" {
        Box::new(io::stdin().lock())
    } else {
        match File::open(file) {
            Ok(f) => Box::new(BufReader::new(f)),
            Err(e) => {
                eprintln!("vrctl: {}", Error::system(format!("batch {file}"), e));
                return Err(2);
            }
        }
    };
    let mut b = Batch {
        file,
        force,
        status: 0,
        session: Session::default(),
    };
    let mut parser = batch::LineParser::default();
    let mut pending: Option<batch::Run> = None;
    for entry in batch::read_entries(input) {
        let parsed = entry.and_then(|e| match e {
            batch::Entry::Plain { number, command } => Ok((number, command, false)),
            batch::Entry::Words(l) => parser
                .parse(&l.words)
                .map(|(command, line_json)| (l.number, command, line_json))
                .map_err(|msg| (l.number, msg)),
        });
        let (number, command, line_json) = match parsed {
            Ok(p) => p,
            Err((number, msg)) => {
                // The lines before this one run first.
                b.flush(pending.take())?;
                b.failed(number, &msg, 1)?;
                continue;
            }
        };
        if pending.as_mut().is_some_and(|r| r.extend(&command, number)) {
            continue;
        }
        b.flush(pending.take())?;
        pending = batch::Run::start(&command, number);
        if pending.is_none() {
            b.line(number, command, json || line_json)?;
        }
    }
    b.flush(pending.take())?;
    Ok(b.status)
}

/// A batch being run: where its lines come from, the socket, the status.
/// Its methods return `Err(status)` when the batch must stop there.
struct Batch<'a> {
    file: &'a str,
    force: bool,
    status: i32,
    session: Session,
}

impl Batch<'_> {
    /// Reports line `number` as failed; stops unless forced.
    fn failed(&mut self, number: usize, msg: &str, code: i32) -> std::result::Result<(), i32> {
        eprintln!("vrctl: {}:{number}: {msg}", self.file);
        self.status = self.status.max(code);
        if self.force {
            Ok(())
        } else {
            Err(code)
        }
    }

    /// Runs one line.
    fn line(
        &mut self,
        number: usize,
        command: Command,
        json: bool,
    ) -> std::result::Result<(), i32> {
        match run(command, json, &mut self.session) {
            Ok(()) => Ok(()),
            Err(e) => self.failed(number, &e.to_string(), e.exit_code()),
        }
    }

    /// Runs `run`'s lines: one range request, or line by line if it has
    /// one line or the kernel refused the range (which then changed
    /// nothing).
    fn flush(&mut self, run: Option<batch::Run>) -> std::result::Result<(), i32> {
        let Some(run) = run else {
            return Ok(());
        };
        if run.lines.len() > 1 {
            // CAST: a run has at most VRCTX_COUNT_MAX lines.
            let msg = VrctxMessage::range(run.create, run.first, run.lines.len() as u32);
            let done = self
                .session
                .vrctx("batch")
                .is_ok_and(|v| v.execute(msg).is_ok());
            if done {
                return Ok(());
            }
        }
        for (number, command) in run.commands() {
            self.line(number, command, false)?;
        }
        Ok(())
    }
}

/// Prints clap's message; usage errors exit 1 (not clap's 2), help and
/// version 0.
fn report_clap(e: &clap::Error) -> i32 {
    let text = e.render().to_string();
    if e.use_stderr() {
        eprint!("{}", clap_error_text(&text));
        1
    } else {
        print!("{text}");
        0
    }
}

/// Our prefix instead of clap's `error: `.
fn clap_error_text(text: &str) -> String {
    match text.strip_prefix("error: ") {
        Some(rest) => format!("vrctl: {rest}"),
        None => text.to_string(),
    }
}

/// Writes to stdout; a closed pipe (`vrctl list | head -1`) is not an error.
fn emit(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Error::system("stdout", e)),
        _ => Ok(()),
    }
}

fn run(command: Command, json: bool, session: &mut Session) -> Result<()> {
    match command {
        Command::Create { id, name, .. } => {
            let what = format!("create {}", ContextRef::Id(id));
            session
                .vrctx(&what)?
                .execute(VrctxMessage::create(id, name.as_deref()))
                .map_err(|e| fail(what, Op::Create, Some(&ContextRef::Id(id)), e))?;
            Ok(())
        }
        Command::Delete { ctx, force } => {
            let what = format!("delete {ctx}");
            session
                .vrctx(&what)?
                .execute(VrctxMessage::delete(&ctx, force))
                .map_err(|e| fail(what, Op::Delete, Some(&ctx), e))?;
            Ok(())
        }
        Command::List => {
            let what = "list contexts";
            let all = session
                .vrctx(what)?
                .list()
                .map_err(|e| fail(what.into(), Op::List, None, e))?;
            emit(&if json {
                output::json(&all)
            } else {
                output::list_text(&all)
            })
        }
        Command::Show { ctx } => {
            let what = format!("show {ctx}");
            let info = session
                .vrctx(&what)?
                .get(&ctx)
                .map_err(|e| fail(what, Op::Show, Some(&ctx), e))?;
            emit(&if json {
                output::json(&info)
            } else {
                output::show_text(&info)
            })
        }
        Command::Assign { ifname, ctx } => {
            let ifindex = ifindex(&ifname, &format!("assign {ifname}"))?;
            let what = format!("assign {ifname} to {ctx}");
            session
                .vrctx(&what)?
                .execute(VrctxMessage::assign(ifindex, &ctx))
                .map_err(|e| fail(what, Op::Assign, Some(&ctx), e))?;
            Ok(())
        }
        Command::Exec { ctx, command } => exec(&ctx, &command),
        Command::Dhost(cmd) => dhostcli::run(cmd, json, session),
        Command::Lead { target, on } => dhostcli::lead(target, on, session),
        Command::Identify { pid } => {
            let vrctx = procfs::read_vrctx(pid)?;
            let identity = Identity {
                pid: pid.unwrap_or_else(std::process::id),
                vrctx,
                name: name_of(vrctx, session),
            };
            emit(&if json {
                output::json(&identity)
            } else {
                output::identify_text(&identity)
            })
        }
    }
}

/// `if_nametoindex(3)`; an unknown interface is a usage error, as in ip(8).
/// `what` names the command in messages.
fn ifindex(ifname: &str, what: &str) -> Result<u32> {
    let c = CString::new(ifname)
        .map_err(|_| Error::Usage(format!("{what}: invalid interface name")))?;
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if index != 0 {
        return Ok(index);
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::ENODEV) | Some(libc::ENXIO) => {
            Err(Error::Usage(format!("{what}: no such interface {ifname}")))
        }
        _ => Err(Error::system(what.to_string(), err)),
    }
}

/// `if_indextoname(3)`, or the index as text for an interface gone since.
fn ifname_of(index: u32) -> String {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has room for IF_NAMESIZE bytes, as the call requires.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return format!("if{index}");
    }
    // SAFETY: On success `buf` holds a NUL-terminated name.
    unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// The name of context `id`, if the module is there and the context has one.
fn name_of(id: u32, session: &mut Session) -> Option<String> {
    if id == 0 {
        return None;
    }
    session
        .vrctx("identify")
        .ok()?
        .get(&ContextRef::Id(id))
        .ok()?
        .name
}

/// Switches our default context, then replaces ourselves with `command`.
fn exec(ctx: &ContextRef, command: &[OsString]) -> Result<()> {
    let what = format!("exec {ctx}");
    let id = match ctx {
        ContextRef::Id(id) => *id,
        ContextRef::Name(_) => {
            Vrctx::connect(&what)?
                .get(ctx)
                .map_err(|e| fail(what.clone(), Op::Exec, Some(ctx), e))?
                .id
        }
    };
    procfs::switch_self(id, &what)?;
    let (program, args) = command
        .split_first()
        .ok_or_else(|| Error::Usage("exec: no command given".into()))?;
    let err = std::process::Command::new(program).args(args).exec();
    Err(Error::system(
        format!("exec {}", String::from_utf8_lossy(program.as_bytes())),
        err,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_errors_get_our_prefix() {
        let e = Cli::try_parse_from(["vrctl", "create", "0x80000000"]).unwrap_err();
        let text = clap_error_text(&e.render().to_string());
        assert!(
            text.starts_with("vrctl: invalid value '0x80000000' for '<ID>': context id 0x80000000 is out of range"),
            "{text}"
        );
        let e = Cli::try_parse_from(["vrctl", "frobnicate"]).unwrap_err();
        assert!(clap_error_text(&e.render().to_string())
            .starts_with("vrctl: unrecognized subcommand 'frobnicate'"));
        assert_eq!(clap_error_text("Usage: x"), "Usage: x");
    }

    #[test]
    fn unknown_interface_is_a_usage_error() {
        let e = ifindex("nosuchif0", "assign nosuchif0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "assign nosuchif0: no such interface nosuchif0"
        );
        assert_eq!(e.exit_code(), 1);
        assert!(ifindex("lo", "x").unwrap() > 0);
        assert_eq!(ifname_of(ifindex("lo", "x").unwrap()), "lo");
    }
}
