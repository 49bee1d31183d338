// SPDX-License-Identifier: GPL-2.0-only
//! The state document served on the unix socket (for `vrctl dhost ports`).

use serde::Serialize;

use crate::keys::{mac_text, Entry, Key, Proto};
use crate::view::View;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MemberAlive {
    pub member: u32,
    pub mac: String,
    pub mgmt: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Port {
    pub proto: Proto,
    pub port: u16,
    pub member: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Conn {
    pub proto: Proto,
    pub port: u16,
    pub remote: String,
    pub member: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Conflict {
    pub proto: Proto,
    pub port: u16,
    pub member: u32,
    pub owner: u32,
}

/// The whole document. `authoritative` is the leader's own authority
/// (renewed in its kernel); always false on other members.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub addr: String,
    pub member: u32,
    pub members: u32,
    pub lead: bool,
    pub authoritative: bool,
    /// "ok", or the last etcd error.
    pub etcd: String,
    pub members_alive: Vec<MemberAlive>,
    pub ports: Vec<Port>,
    pub conns: Vec<Conn>,
    pub conflicts: Vec<Conflict>,
}

impl Status {
    /// Fills the lists from the view.
    pub fn fill(&mut self, view: &View) {
        self.members_alive.clear();
        self.ports.clear();
        self.conns.clear();
        self.conflicts.clear();
        for rec in view.records.values() {
            match &rec.entry {
                Entry::Member {
                    member, mac, mgmt, ..
                } => self.members_alive.push(MemberAlive {
                    member: *member,
                    mac: mac_text(mac),
                    mgmt: mgmt.clone(),
                }),
                Entry::Owned {
                    key: Key::Port(proto, port),
                    member,
                } => self.ports.push(Port {
                    proto: *proto,
                    port: *port,
                    member: *member,
                }),
                Entry::Owned {
                    key:
                        Key::Conn {
                            lport,
                            raddr,
                            rport,
                        },
                    member,
                } => self.conns.push(Conn {
                    proto: Proto::Tcp,
                    port: *lport,
                    remote: format!("{raddr}:{rport}"),
                    member: *member,
                }),
                Entry::Owned { .. } => {}
                Entry::Conflict {
                    proto,
                    port,
                    member,
                    owner,
                } => self.conflicts.push(Conflict {
                    proto: *proto,
                    port: *port,
                    member: *member,
                    owner: *owner,
                }),
            }
        }
    }

    pub fn json(&self) -> String {
        format!("{}\n", serde_json::to_string(self).expect("plain data"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document() {
        let v = crate::view::tests::sample(2);
        let mut s = Status {
            addr: "10.9.0.1".into(),
            member: 2,
            members: 3,
            lead: false,
            authoritative: false,
            etcd: "ok".into(),
            members_alive: vec![],
            ports: vec![],
            conns: vec![],
            conflicts: vec![],
        };
        s.fill(&v);
        assert_eq!(
            s.json(),
            concat!(
                r#"{"addr":"10.9.0.1","member":2,"members":3,"lead":false,"authoritative":false,"etcd":"ok","#,
                r#""members_alive":[{"member":1,"mac":"52:54:00:00:00:01","mgmt":"192.168.77.2"}],"#,
                r#""ports":[{"proto":"tcp","port":80,"member":2}],"#,
                r#""conns":[{"proto":"tcp","port":80,"remote":"10.9.0.100:40000","member":2}],"#,
                r#""conflicts":[{"proto":"tcp","port":80,"member":3,"owner":2}]}"#,
                "\n"
            )
        );
    }
}
