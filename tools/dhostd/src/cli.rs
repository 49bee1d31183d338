// SPDX-License-Identifier: GPL-2.0-only
//! Command line.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use clap::Parser;

const HELP: &str = "\
etcd layout, under /dhost/ADDR/ (JSON values; every key of this member under its lease):
  members/N                      {\"mac\":\"52:54:00:00:00:03\",\"mgmt\":\"192.168.77.3\",\"ifindex\":2}
  ports/tcp|udp/PORT             {\"member\":N}   first owner wins (transaction)
  conns/tcp/LPORT/RADDR:RPORT    {\"member\":N}   accepted connections on a port N does not own
  conflicts/tcp|udp/PORT/N       {\"member\":N,\"owner\":M}   N listens too, but M owns the port

The leader (vrctl lead ADDR on) programs its kernel's forwarding table with the view and
renews its authority every second while the view is current.

State: one JSON document per connection on --socket (vrctl dhost ports).
SIGTERM, SIGINT: authority dropped; this member's keys stay until its lease expires, so a
restarted daemon (same host, the old one gone) takes them over without a gap.

Example:
  dhostd --addr 10.9.0.1 --member 2 --etcd http://192.168.77.2:2379,http://192.168.77.3:2379";

/// The distributed-host cluster daemon: publishes this member's ports in
/// etcd and, on the leader, programs the kernel's forwarding table.
#[derive(Debug, Parser)]
#[command(name = "dhostd", version, after_long_help = HELP)]
pub struct Args {
    /// The distributed address (vrctl dhost add first)
    #[arg(long, value_name = "ADDR", value_parser = parse_addr)]
    pub addr: Ipv4Addr,
    /// This host's member number (must match the kernel's)
    #[arg(long, value_name = "N", value_parser = parse_member)]
    pub member: u32,
    /// etcd endpoints, comma-separated http://IP:PORT URLs (no DNS)
    #[arg(long, value_name = "URL,...", value_parser = parse_endpoints)]
    pub etcd: Endpoints,
    /// Management address published for this member [default: the local
    /// address towards the first etcd endpoint]
    #[arg(long, value_name = "ADDR", value_parser = parse_addr)]
    pub mgmt: Option<Ipv4Addr>,
    /// Unix socket serving the state as JSON
    #[arg(long, value_name = "PATH", default_value = "/run/dhostd.sock")]
    pub socket: PathBuf,
    /// Lease TTL in seconds (keys of a dead member expire after it)
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_ttl)]
    pub ttl: u64,
}

/// The etcd endpoints, as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints(pub Vec<String>);

impl Endpoints {
    pub fn text(&self) -> String {
        self.0.join(",")
    }

    /// The address and port of the first endpoint.
    pub fn first(&self) -> (IpAddr, u16) {
        split_url(&self.0[0]).expect("checked by the parser")
    }
}

fn parse_addr(s: &str) -> Result<Ipv4Addr, String> {
    s.parse()
        .map_err(|_| format!("\"{s}\" is not an IPv4 address"))
}

fn parse_member(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(n) if (1..=vrctx_members_max()).contains(&n) => Ok(n),
        _ => Err(format!(
            "member \"{s}\" is not a number in 1..={}",
            vrctx_members_max()
        )),
    }
}

fn vrctx_members_max() -> u32 {
    255
}

fn parse_ttl(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(n) if (2..=3600).contains(&n) => Ok(n),
        _ => Err(format!(
            "ttl \"{s}\" is not a number of seconds in 2..=3600"
        )),
    }
}

fn split_url(url: &str) -> Result<(IpAddr, u16), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("etcd endpoint \"{url}\": only http://IP:PORT is supported"))?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let bad =
        || format!("etcd endpoint \"{url}\": not http://IP:PORT (an IP address: there is no DNS)");
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let ip: IpAddr = host.parse().map_err(|_| bad())?;
    let port: u16 = port.parse().ok().filter(|p| *p != 0).ok_or_else(bad)?;
    Ok((ip, port))
}

fn parse_endpoints(s: &str) -> Result<Endpoints, String> {
    let list: Vec<String> = s
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(String::from)
        .collect();
    if list.is_empty() {
        return Err("no etcd endpoint given".into());
    }
    for e in &list {
        split_url(e)?;
    }
    Ok(Endpoints(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        Args::try_parse_from(["dhostd"].iter().chain(args)).map_err(|e| e.to_string())
    }

    #[test]
    fn full_command_line() {
        let a = parse(&[
            "--addr",
            "10.9.0.1",
            "--member",
            "2",
            "--etcd",
            "http://192.168.77.2:2379,http://192.168.77.3:2379,http://192.168.77.4:2379",
            "--mgmt",
            "192.168.77.3",
            "--ttl",
            "7",
        ])
        .unwrap();
        assert_eq!(a.addr, Ipv4Addr::new(10, 9, 0, 1));
        assert_eq!(a.member, 2);
        assert_eq!(a.etcd.0.len(), 3);
        assert_eq!(a.etcd.first(), ("192.168.77.2".parse().unwrap(), 2379));
        assert_eq!(a.mgmt, Some(Ipv4Addr::new(192, 168, 77, 3)));
        assert_eq!(a.ttl, 7);
        assert_eq!(a.socket, PathBuf::from("/run/dhostd.sock"));
        let d = parse(&[
            "--addr",
            "10.9.0.1",
            "--member",
            "1",
            "--etcd",
            "http://127.0.0.1:2379",
        ])
        .unwrap();
        assert_eq!((d.ttl, d.mgmt), (5, None));
    }

    #[test]
    fn bad_command_lines() {
        for (args, want) in [
            (
                &["--member", "1", "--etcd", "http://1.2.3.4:1"][..],
                "--addr",
            ),
            (
                &[
                    "--addr",
                    "10.9.0",
                    "--member",
                    "1",
                    "--etcd",
                    "http://1.2.3.4:1",
                ][..],
                "not an IPv4 address",
            ),
            (
                &[
                    "--addr",
                    "10.9.0.1",
                    "--member",
                    "0",
                    "--etcd",
                    "http://1.2.3.4:1",
                ][..],
                "member \"0\"",
            ),
            (
                &[
                    "--addr",
                    "10.9.0.1",
                    "--member",
                    "1",
                    "--etcd",
                    "http://etcd1:2379",
                ][..],
                "no DNS",
            ),
            (
                &[
                    "--addr",
                    "10.9.0.1",
                    "--member",
                    "1",
                    "--etcd",
                    "https://1.2.3.4:2379",
                ][..],
                "only http://",
            ),
            (
                &[
                    "--addr",
                    "10.9.0.1",
                    "--member",
                    "1",
                    "--etcd",
                    "http://1.2.3.4",
                ][..],
                "not http://IP:PORT",
            ),
            (
                &["--addr", "10.9.0.1", "--member", "1", "--etcd", ","][..],
                "no etcd endpoint",
            ),
            (
                &[
                    "--addr",
                    "10.9.0.1",
                    "--member",
                    "1",
                    "--etcd",
                    "http://1.2.3.4:1",
                    "--ttl",
                    "1",
                ][..],
                "ttl",
            ),
        ] {
            let e = parse(args).unwrap_err();
            assert!(e.contains(want), "{args:?}: {e}");
        }
        assert!(split_url("http://[::1]:2379/").is_ok());
    }
}
