// SPDX-License-Identifier: GPL-2.0-only
//! The `dhost` and `lead` commands: distributed addresses of the member
//! kernel (docs/design.md, section 5).

use std::net::Ipv4Addr;

use crate::cli::{DhostCommand, LeadTarget};
use crate::dhost::{counters_from, parse_add, AddrInfo, Dhost, DhostMessage};
use crate::error::{Error, Op, Result};
use crate::genl::NlError;
use crate::vrctx::fail;
use crate::{emit, ifindex, ifname_of, Session};

fn kernel_error(what: String, e: NlError) -> Error {
    fail(what, Op::Dhost, None, e)
}

/// The interface of distributed address `addr`, from the kernel's list.
fn ifindex_of(dhost: &mut Dhost, addr: Ipv4Addr, what: &str) -> Result<u32> {
    let all = dhost
        .addrs()
        .map_err(|e| kernel_error(what.to_string(), e))?;
    all.iter()
        .find(|a| a.addr == Some(addr))
        .map(|a| a.ifindex)
        .ok_or_else(|| Error::Kernel {
            what: what.to_string(),
            errno: libc::ENOENT,
            hint: None,
            extack: Some(format!("{addr} is not a distributed address")),
        })
}

pub fn run(cmd: DhostCommand, json: bool, session: &mut Session) -> Result<()> {
    match cmd {
        DhostCommand::Add { words } => {
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            let spec = parse_add(&words).map_err(Error::Usage)?;
            let what = format!(
                "dhost add {} dev {} member {} of {}",
                spec.addr, spec.dev, spec.member, spec.members
            );
            let index = ifindex(&spec.dev, &what)?;
            session
                .dhost(&what)?
                .execute(DhostMessage::addr_set(
                    spec.addr,
                    index,
                    spec.member,
                    spec.members,
                ))
                .map_err(|e| kernel_error(what, e))?;
            Ok(())
        }
        DhostCommand::Del { addr } => {
            let what = format!("dhost del {addr}");
            let dhost = session.dhost(&what)?;
            let index = ifindex_of(dhost, addr, &what)?;
            dhost
                .execute(DhostMessage::addr_del(addr, index))
                .map_err(|e| kernel_error(what, e))?;
            Ok(())
        }
        DhostCommand::Show => {
            let what = "dhost show";
            let all = session
                .dhost(what)?
                .addrs()
                .map_err(|e| kernel_error(what.into(), e))?;
            emit(&if json {
                show_json(&all)
            } else {
                show_text(&all)
            })
        }
        DhostCommand::Stats => {
            let what = "dhost stats";
            let msgs = session
                .dhost(what)?
                .dump(DhostMessage::get_stats())
                .map_err(|e| kernel_error(what.into(), e))?;
            let counters = counters_from(&msgs);
            emit(&if json {
                let map: serde_json::Map<String, serde_json::Value> = counters
                    .into_iter()
                    .map(|(n, v)| (n, serde_json::Value::from(v)))
                    .collect();
                format!("{}\n", serde_json::Value::Object(map))
            } else {
                counters.iter().map(|(n, v)| format!("{n} {v}\n")).collect()
            })
        }
        DhostCommand::Ports { socket } => {
            let doc = crate::ports::fetch(&socket)?;
            emit(&if json { doc } else { crate::ports::text(&doc)? })
        }
        DhostCommand::Monitor => {
            let what = "dhost monitor";
            let dhost = session.dhost(what)?;
            let mut failed = None;
            let r = dhost.monitor(
                |ev| {
                    let line = if json {
                        format!("{}\n", serde_json::to_string(&ev).expect("plain data"))
                    } else {
                        ev.text()
                    };
                    match emit(&line) {
                        Ok(()) => Ok(true),
                        Err(e) => {
                            failed = Some(e);
                            Ok(false)
                        }
                    }
                },
                || eprintln!("vrctl: dhost monitor: events lost (receive buffer overrun)"),
            );
            if let Some(e) = failed {
                return Err(e);
            }
            r.map_err(|e| kernel_error(what.into(), e))
        }
    }
}

pub fn lead(target: LeadTarget, on: bool, session: &mut Session) -> Result<()> {
    let state = if on { "on" } else { "off" };
    match target {
        LeadTarget::Addr(addr) => {
            let what = format!("lead {addr} {state}");
            let dhost = session.dhost(&what)?;
            let index = ifindex_of(dhost, addr, &what)?;
            dhost
                .execute(DhostMessage::lead(Some(addr), index, on))
                .map_err(|e| kernel_error(what, e))?;
        }
        LeadTarget::Dev(dev) => {
            let what = format!("lead {dev} {state}");
            let index = ifindex(&dev, &what)?;
            session
                .dhost(&what)?
                .execute(DhostMessage::lead(None, index, on))
                .map_err(|e| kernel_error(what, e))?;
        }
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct ShowEntry<'a> {
    addr: String,
    dev: String,
    #[serde(flatten)]
    info: &'a AddrInfo,
}

fn show_json(all: &[AddrInfo]) -> String {
    let entries: Vec<ShowEntry> = all
        .iter()
        .map(|a| ShowEntry {
            addr: a.addr.map(|a| a.to_string()).unwrap_or_default(),
            dev: ifname_of(a.ifindex),
            info: a,
        })
        .collect();
    format!("{}\n", serde_json::to_string(&entries).expect("plain data"))
}

fn show_text(all: &[AddrInfo]) -> String {
    all.iter()
        .map(|a| {
            format!(
                "{} dev {} ctx {} member {} of {} lead {} ports {}-{}\n",
                a.addr.map(|a| a.to_string()).unwrap_or_default(),
                ifname_of(a.ifindex),
                a.ctx,
                a.member,
                a.members,
                if a.lead { "on" } else { "off" },
                a.port_lo,
                a.port_hi
            )
        })
        .collect()
}
