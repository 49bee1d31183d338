// SPDX-License-Identifier: GPL-2.0-only
//! `vrctl dhost ports`: the cluster state, as dhostd serves it on its unix
//! socket (one JSON document per connection).

use std::io::Read;
use std::os::unix::net::UnixStream;

use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Deserialize)]
struct Doc {
    addr: String,
    member: u32,
    members: u32,
    #[serde(default)]
    lead: bool,
    #[serde(default)]
    authoritative: bool,
    #[serde(default)]
    ports: Vec<Port>,
    #[serde(default)]
    conns: Vec<Conn>,
    #[serde(default)]
    conflicts: Vec<Conflict>,
}

#[derive(Debug, Deserialize)]
struct Port {
    proto: String,
    port: u16,
    member: u32,
}

#[derive(Debug, Deserialize)]
struct Conn {
    proto: String,
    port: u16,
    remote: String,
    member: u32,
}

#[derive(Debug, Deserialize)]
struct Conflict {
    proto: String,
    port: u16,
    member: u32,
    owner: u32,
}

/// The document from the daemon on `path`.
pub fn fetch(path: &str) -> Result<String> {
    let what = "dhost ports";
    let mut s = UnixStream::connect(path).map_err(|e| {
        Error::system(
            what,
            std::io::Error::other(format!(
                "no dhostd on {path} ({})",
                crate::error::io_message(&e)
            )),
        )
    })?;
    let mut text = String::new();
    s.read_to_string(&mut text)
        .map_err(|e| Error::system(format!("{what}: {path}"), e))?;
    Ok(text)
}

/// The text form: a header line, then one line per port, connection and
/// conflict.
pub fn text(json: &str) -> Result<String> {
    let d: Doc = serde_json::from_str(json).map_err(|e| Error::Protocol {
        what: "dhost ports".into(),
        msg: format!("dhostd sent {e}"),
    })?;
    let on = |b: bool, t: &'static str, f: &'static str| if b { t } else { f };
    let mut out = format!(
        "{} member {} of {} lead {} authoritative {}\n",
        d.addr,
        d.member,
        d.members,
        on(d.lead, "on", "off"),
        on(d.authoritative, "yes", "no")
    );
    for p in &d.ports {
        out += &format!("{} {} member {}\n", p.proto, p.port, p.member);
    }
    for c in &d.conns {
        out += &format!("{} {} {} member {}\n", c.proto, c.port, c.remote, c.member);
    }
    for c in &d.conflicts {
        out += &format!(
            "{} {} member {} conflict (owner {})\n",
            c.proto, c.port, c.member, c.owner
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form() {
        let json = r#"{"addr":"10.9.0.1","member":2,"members":3,"lead":false,"authoritative":false,"etcd":"ok","members_alive":[{"member":1,"mac":"52:54:00:00:00:01","mgmt":"192.168.77.2"}],"ports":[{"proto":"tcp","port":80,"member":2}],"conns":[{"proto":"tcp","port":80,"remote":"10.9.0.100:40000","member":2}],"conflicts":[{"proto":"tcp","port":80,"member":3,"owner":2}]}"#;
        assert_eq!(
            text(json).unwrap(),
            "10.9.0.1 member 2 of 3 lead off authoritative no\n\
             tcp 80 member 2\n\
             tcp 80 10.9.0.100:40000 member 2\n\
             tcp 80 member 3 conflict (owner 2)\n"
        );
        assert!(text("{").is_err());
    }

    #[test]
    fn no_daemon() {
        let e = fetch("/nonexistent/dhostd.sock").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dhost ports: no dhostd on /nonexistent/dhostd.sock (No such file or directory)"
        );
        assert_eq!(e.exit_code(), 2);
    }
}
