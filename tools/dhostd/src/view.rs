// SPDX-License-Identifier: GPL-2.0-only
//! The cluster view: every valid entry under the prefix, as the watch (and
//! this daemon's own writes) report them.

use std::collections::{BTreeMap, BTreeSet};

use vrctl::dhost::FwdKey;

use crate::keys::{parse_entry, Entry, Key, Proto};

/// One valid key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub entry: Entry,
    pub lease: i64,
    pub mod_revision: i64,
}

/// What happened to the view by one put or delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Nothing changed (an older revision, or the same record again).
    Same,
    Changed,
    /// A garbage value, reported for the first time: log this.
    Garbage(String),
}

#[derive(Debug, Default)]
pub struct View {
    prefix: String,
    members: u32,
    pub records: BTreeMap<Key, Record>,
    /// Keys deleted by this daemon, and when: an older put arriving later
    /// on the watch must not bring them back.
    tombstones: BTreeMap<String, i64>,
    /// Garbage keys already reported.
    reported: BTreeSet<String>,
}

/// The forwarding table the view asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Desired {
    pub peers: BTreeMap<u32, [u8; 6]>,
    pub entries: BTreeMap<FwdKey, u32>,
}

impl View {
    pub fn new(prefix: String, members: u32) -> Self {
        View {
            prefix,
            members,
            ..Default::default()
        }
    }

    /// Forgets everything (before a full read of the prefix).
    pub fn clear(&mut self) {
        self.records.clear();
        self.tombstones.clear();
    }

    /// Drops tombstones the watch has passed.
    pub fn seen_revision(&mut self, revision: i64) {
        self.tombstones.retain(|_, r| *r > revision);
    }

    fn record_of(&self, full: &str, value: &[u8]) -> Result<Option<Entry>, String> {
        let Some(rel) = full.strip_prefix(&self.prefix) else {
            return Ok(None);
        };
        parse_entry(rel, value, self.members).map(Some)
    }

    /// A put of `full` (the whole key) at `revision`.
    pub fn put(&mut self, full: &str, value: &[u8], lease: i64, revision: i64) -> Applied {
        if self.tombstones.get(full).is_some_and(|r| *r >= revision) {
            return Applied::Same;
        }
        match self.record_of(full, value) {
            Ok(None) => Applied::Same,
            Ok(Some(entry)) => {
                self.reported.remove(full);
                let key = entry.key();
                let rec = Record {
                    entry,
                    lease,
                    mod_revision: revision,
                };
                match self.records.get(&key) {
                    Some(old) if old.mod_revision > revision => Applied::Same,
                    Some(old) if *old == rec => Applied::Same,
                    _ => {
                        self.tombstones.remove(full);
                        self.records.insert(key, rec);
                        Applied::Changed
                    }
                }
            }
            Err(msg) => {
                // A garbage value replaces a valid one: the key no longer
                // says anything we can use.
                let removed = self.forget(full, revision);
                if self.reported.insert(full.to_string()) {
                    Applied::Garbage(format!("{full}: {msg}"))
                } else if removed {
                    Applied::Changed
                } else {
                    Applied::Same
                }
            }
        }
    }

    fn forget(&mut self, full: &str, revision: i64) -> bool {
        let Some(rel) = full.strip_prefix(&self.prefix) else {
            return false;
        };
        let Ok(key) = crate::keys::parse_key(rel, self.members) else {
            return false;
        };
        match self.records.get(&key) {
            Some(old) if old.mod_revision <= revision => {
                self.records.remove(&key);
                true
            }
            _ => false,
        }
    }

    /// A delete of `full` at `revision` (the watch's or our own).
    pub fn delete(&mut self, full: &str, revision: i64, ours: bool) -> Applied {
        self.reported.remove(full);
        if ours {
            self.tombstones.insert(full.to_string(), revision);
        }
        if self.forget(full, revision) {
            Applied::Changed
        } else {
            Applied::Same
        }
    }

    /// The owner of a port, and its record.
    pub fn port(&self, proto: Proto, port: u16) -> Option<(u32, &Record)> {
        let rec = self.records.get(&Key::Port(proto, port))?;
        match rec.entry {
            Entry::Owned { member, .. } => Some((member, rec)),
            _ => None,
        }
    }

    /// The forwarding table: every member's MAC, every port and connection.
    pub fn desired(&self) -> Desired {
        let mut d = Desired::default();
        for rec in self.records.values() {
            match &rec.entry {
                Entry::Member { member, mac, .. } => {
                    d.peers.insert(*member, *mac);
                }
                Entry::Owned { key, member } => {
                    let fk = match key {
                        Key::Port(p, port) => FwdKey {
                            proto: p.number(),
                            lport: *port,
                            remote: None,
                        },
                        Key::Conn {
                            lport,
                            raddr,
                            rport,
                        } => FwdKey {
                            proto: Proto::Tcp.number(),
                            lport: *lport,
                            remote: Some((*raddr, *rport)),
                        },
                        _ => continue,
                    };
                    d.entries.insert(fk, *member);
                }
                Entry::Conflict { .. } => {}
            }
        }
        d
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn view() -> View {
        View::new("/dhost/10.9.0.1/".into(), 3)
    }

    /// A view of 10.9.0.1 with member 1, tcp 80 owned by member 2, one
    /// connection to it owned by member `conn_member`, and member 3's
    /// conflict on tcp 80.
    pub fn sample(conn_member: u32) -> View {
        let mut v = view();
        v.put(
            "/dhost/10.9.0.1/members/1",
            br#"{"mac":"52:54:00:00:00:01","mgmt":"192.168.77.2","ifindex":2}"#,
            1,
            1,
        );
        v.put("/dhost/10.9.0.1/ports/tcp/80", br#"{"member":2}"#, 2, 2);
        v.put(
            "/dhost/10.9.0.1/conns/tcp/80/10.9.0.100:40000",
            format!(r#"{{"member":{conn_member}}}"#).as_bytes(),
            conn_member as i64,
            3,
        );
        v.put(
            "/dhost/10.9.0.1/conflicts/tcp/80/3",
            br#"{"member":3,"owner":2}"#,
            3,
            4,
        );
        v
    }

    #[test]
    fn puts_deletes_and_revisions() {
        let mut v = view();
        let k = "/dhost/10.9.0.1/ports/tcp/80";
        assert_eq!(v.put(k, br#"{"member":2}"#, 7, 10), Applied::Changed);
        assert_eq!(v.put(k, br#"{"member":2}"#, 7, 10), Applied::Same);
        // An older put (a watch event behind our own write) is ignored.
        assert_eq!(v.put(k, br#"{"member":3}"#, 8, 9), Applied::Same);
        assert_eq!(v.port(Proto::Tcp, 80).unwrap().0, 2);
        // Our delete at 12, then the watch's late put at 11: stays deleted.
        assert_eq!(v.delete(k, 12, true), Applied::Changed);
        assert_eq!(v.put(k, br#"{"member":2}"#, 7, 11), Applied::Same);
        assert!(v.port(Proto::Tcp, 80).is_none());
        v.seen_revision(12);
        assert_eq!(v.put(k, br#"{"member":1}"#, 9, 13), Applied::Changed);
        // Keys outside the prefix are not ours.
        assert_eq!(v.put("/other/x", b"1", 0, 14), Applied::Same);
    }

    #[test]
    fn garbage_is_reported_once_and_never_programmed() {
        let mut v = view();
        let k = "/dhost/10.9.0.1/ports/tcp/abc";
        assert_eq!(
            v.put(k, br#"{"member":2}"#, 0, 5),
            Applied::Garbage("/dhost/10.9.0.1/ports/tcp/abc: not a port".into())
        );
        assert_eq!(v.put(k, br#"{"member":2}"#, 0, 6), Applied::Same);
        let good = "/dhost/10.9.0.1/ports/udp/53";
        v.put(good, br#"{"member":1}"#, 0, 7);
        // A valid key turned garbage is dropped (and reported).
        assert!(matches!(v.put(good, b"{", 0, 8), Applied::Garbage(_)));
        assert_eq!(
            v.put("/dhost/10.9.0.1/members/9", b"{}", 0, 9),
            Applied::Garbage("/dhost/10.9.0.1/members/9: member 9 is out of range (1..=3)".into())
        );
        assert!(v.desired().entries.is_empty());
        assert!(v.desired().peers.is_empty());
    }

    #[test]
    fn desired_table() {
        let v = sample(3);
        let d = v.desired();
        assert_eq!(d.peers.get(&1), Some(&[0x52, 0x54, 0, 0, 0, 1]));
        assert_eq!(
            d.entries.into_iter().collect::<Vec<_>>(),
            vec![
                (
                    FwdKey {
                        proto: 6,
                        lport: 80,
                        remote: None
                    },
                    2
                ),
                (
                    FwdKey {
                        proto: 6,
                        lport: 80,
                        remote: Some((Ipv4Addr::new(10, 9, 0, 100), 40000))
                    },
                    3
                ),
            ]
        );
    }
}
