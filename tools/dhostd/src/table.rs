// SPDX-License-Identifier: GPL-2.0-only
//! The leader's side: the kernel's forwarding table of the address, kept
//! equal to the view by diff (never a flush), and its authority.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use vrctl::dhost::{Dhost, DhostMessage, FwdKey, FwdTable};
use vrctl::genl::NlError;

use crate::view::Desired;

/// The kernel's forwarding table of one address (a fake in the tests).
pub trait Table {
    fn set(&mut self, key: &FwdKey, member: u32) -> Result<(), String>;
    fn del(&mut self, key: &FwdKey) -> Result<(), String>;
    /// `Some(mac)`: member `member` has that MAC; `None`: forget it.
    fn peer(&mut self, member: u32, mac: Option<[u8; 6]>) -> Result<(), String>;
    fn auth(&mut self, msecs: u32) -> Result<(), String>;
    fn dump(&mut self) -> Result<FwdTable, String>;
}

/// The real table, over the `dhost` generic netlink family.
pub struct Netlink {
    pub dhost: Dhost,
    pub addr: Ipv4Addr,
    pub ifindex: u32,
}

fn text(what: String, e: NlError) -> String {
    vrctl::error::nl_fail(what, vrctl::error::Op::Dhost, false, e).to_string()
}

fn key_text(k: &FwdKey) -> String {
    let proto = match k.proto {
        6 => "tcp".to_string(),
        17 => "udp".to_string(),
        p => format!("proto {p}"),
    };
    match k.remote {
        None => format!("{proto} {}", k.lport),
        Some((a, p)) => format!("{proto} {} {a}:{p}", k.lport),
    }
}

impl Table for Netlink {
    fn set(&mut self, key: &FwdKey, member: u32) -> Result<(), String> {
        self.dhost
            .execute(DhostMessage::fwd_set(self.addr, self.ifindex, key, member))
            .map(drop)
            .map_err(|e| text(format!("forward {} to member {member}", key_text(key)), e))
    }
    fn del(&mut self, key: &FwdKey) -> Result<(), String> {
        self.dhost
            .execute(DhostMessage::fwd_del(self.addr, self.ifindex, key))
            .map(drop)
            .map_err(|e| text(format!("remove forwarding of {}", key_text(key)), e))
    }
    fn peer(&mut self, member: u32, mac: Option<[u8; 6]>) -> Result<(), String> {
        let msg = match mac {
            Some(mac) => DhostMessage::peer_set(self.addr, self.ifindex, member, mac),
            None => DhostMessage::peer_del(self.addr, self.ifindex, member),
        };
        self.dhost
            .execute(msg)
            .map(drop)
            .map_err(|e| text(format!("peer member {member}"), e))
    }
    fn auth(&mut self, msecs: u32) -> Result<(), String> {
        self.dhost
            .execute(DhostMessage::auth(self.addr, self.ifindex, msecs))
            .map(drop)
            .map_err(|e| text(format!("authority {msecs} ms"), e))
    }
    fn dump(&mut self) -> Result<FwdTable, String> {
        self.dhost
            .fwd_table(self.addr, self.ifindex)
            .map_err(|e| text(format!("forwarding table of {}", self.addr), e))
    }
}

/// What one sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub set: usize,
    pub deleted: usize,
    pub failed: usize,
}

/// Keeps the kernel's table equal to the view.
#[derive(Debug, Default)]
pub struct Programmer {
    /// What the kernel holds, as far as we know (`None`: not read yet).
    programmed: Option<Desired>,
    /// The last sync left nothing undone.
    clean: bool,
}

impl Programmer {
    /// Forget what the kernel holds (leadership lost): the next sync
    /// starts with a dump.
    pub fn forget(&mut self) {
        self.programmed = None;
        self.clean = false;
    }

    /// The kernel's table equals the view.
    pub fn synced(&self) -> bool {
        self.programmed.is_some() && self.clean
    }

    /// Makes the kernel's table equal to `want`: peers first (entries name
    /// them), then entries, then removed peers. Errors are returned with
    /// the counts; what failed is tried again at the next sync.
    pub fn sync(&mut self, t: &mut dyn Table, want: &Desired) -> (Counts, Vec<String>) {
        let mut errors = Vec::new();
        let mut counts = Counts::default();
        if self.programmed.is_none() {
            match t.dump() {
                Ok(table) => {
                    self.programmed = Some(Desired {
                        peers: table.peers.into_iter().collect(),
                        entries: table.entries.into_iter().collect(),
                    })
                }
                Err(e) => {
                    self.clean = false;
                    counts.failed += 1;
                    return (counts, vec![e]);
                }
            }
        }
        let have = self.programmed.as_mut().expect("dumped above");
        let mut run = |r: Result<(), String>, counts: &mut Counts| match r {
            Ok(()) => true,
            Err(e) => {
                counts.failed += 1;
                errors.push(e);
                false
            }
        };
        for (m, mac) in &want.peers {
            if have.peers.get(m) != Some(mac) && run(t.peer(*m, Some(*mac)), &mut counts) {
                have.peers.insert(*m, *mac);
                counts.set += 1;
            }
        }
        for (k, m) in &want.entries {
            if have.entries.get(k) != Some(m) && run(t.set(k, *m), &mut counts) {
                have.entries.insert(*k, *m);
                counts.set += 1;
            }
        }
        let gone: Vec<FwdKey> = have
            .entries
            .keys()
            .filter(|k| !want.entries.contains_key(k))
            .copied()
            .collect();
        for k in gone {
            if run(t.del(&k), &mut counts) {
                have.entries.remove(&k);
                counts.deleted += 1;
            }
        }
        let gone: Vec<u32> = have
            .peers
            .keys()
            .filter(|m| !want.peers.contains_key(m))
            .copied()
            .collect();
        for m in gone {
            if run(t.peer(m, None), &mut counts) {
                have.peers.remove(&m);
                counts.deleted += 1;
            }
        }
        self.clean = counts.failed == 0;
        (counts, errors)
    }
}

/// How long the watch may go without an answer (events or a progress
/// notification; one is requested every second) before the view no longer
/// counts as current: etcd in a TCG guest answers a request in up to ~1.5 s.
pub const PROGRESS_WINDOW: Duration = Duration::from_secs(4);

/// Whether the leader's view is current, so its table may be authoritative.
#[derive(Debug, Clone)]
pub struct Health {
    pub ttl: Duration,
    /// The watch stream is up.
    pub stream_up: bool,
    /// The initial read of the prefix and the first table sync are done.
    pub synced: bool,
    /// The last keepalive answer of our lease.
    pub keepalive: Option<Instant>,
    /// The last answer on the watch stream (events or progress).
    pub progress: Option<Instant>,
}

impl Health {
    pub fn new(ttl: Duration) -> Self {
        Health {
            ttl,
            stream_up: false,
            synced: false,
            keepalive: None,
            progress: None,
        }
    }

    /// `Ok` while the view is current; else why not.
    pub fn current(&self, now: Instant) -> Result<(), &'static str> {
        let within =
            |t: Option<Instant>, d: Duration| t.is_some_and(|t| now.duration_since(t) <= d);
        if !self.stream_up {
            Err("the etcd watch is down")
        } else if !self.synced {
            Err("the table is not in sync with etcd")
        } else if !within(self.keepalive, self.ttl / 2) {
            Err("the lease keepalive is late")
        } else if !within(self.progress, PROGRESS_WINDOW) {
            Err("the etcd watch made no progress for 4 s")
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A kernel table in memory; `fail` makes every call fail.
    #[derive(Default)]
    pub struct Fake {
        pub table: FwdTable,
        pub auth: Vec<u32>,
        pub calls: Vec<String>,
        pub fail: bool,
    }

    impl Table for Fake {
        fn set(&mut self, key: &FwdKey, member: u32) -> Result<(), String> {
            if self.fail {
                return Err("no".into());
            }
            self.calls.push(format!("set {} {member}", key_text(key)));
            self.table.entries.retain(|(k, _)| k != key);
            self.table.entries.push((*key, member));
            Ok(())
        }
        fn del(&mut self, key: &FwdKey) -> Result<(), String> {
            if self.fail {
                return Err("no".into());
            }
            self.calls.push(format!("del {}", key_text(key)));
            self.table.entries.retain(|(k, _)| k != key);
            Ok(())
        }
        fn peer(&mut self, member: u32, mac: Option<[u8; 6]>) -> Result<(), String> {
            if self.fail {
                return Err("no".into());
            }
            self.calls.push(format!("peer {member} {}", mac.is_some()));
            self.table.peers.retain(|(m, _)| *m != member);
            if let Some(mac) = mac {
                self.table.peers.push((member, mac));
            }
            Ok(())
        }
        fn auth(&mut self, msecs: u32) -> Result<(), String> {
            self.auth.push(msecs);
            Ok(())
        }
        fn dump(&mut self) -> Result<FwdTable, String> {
            if self.fail {
                return Err("no dump".into());
            }
            self.calls.push("dump".into());
            Ok(self.table.clone())
        }
    }

    fn port(p: u16) -> FwdKey {
        FwdKey {
            proto: 6,
            lport: p,
            remote: None,
        }
    }

    #[test]
    fn sync_by_diff_from_a_dump() {
        let mut fake = Fake::default();
        // What an earlier daemon left: port 80 on member 2 (still right),
        // port 81 on member 3 (gone), peer 3 (gone).
        fake.table.entries = vec![(port(80), 2), (port(81), 3)];
        fake.table.peers = vec![(2, [2; 6]), (3, [3; 6])];
        let want = Desired {
            peers: BTreeMap::from([(1, [1; 6]), (2, [2; 6])]),
            entries: BTreeMap::from([(port(80), 2), (port(22), 1)]),
        };
        let mut p = Programmer::default();
        let (c, e) = p.sync(&mut fake, &want);
        assert!(e.is_empty());
        assert_eq!(
            fake.calls,
            vec![
                "dump",
                "peer 1 true",
                "set tcp 22 1",
                "del tcp 81",
                "peer 3 false"
            ]
        );
        assert_eq!(
            c,
            Counts {
                set: 2,
                deleted: 2,
                failed: 0
            }
        );
        assert!(p.synced());
        // Nothing to do the second time, no second dump.
        fake.calls.clear();
        p.sync(&mut fake, &want);
        assert!(fake.calls.is_empty());
    }

    #[test]
    fn failures_are_retried() {
        let mut fake = Fake {
            fail: true,
            ..Default::default()
        };
        let want = Desired {
            peers: BTreeMap::from([(1, [1; 6])]),
            entries: BTreeMap::from([(port(80), 1)]),
        };
        let mut p = Programmer::default();
        let (c, e) = p.sync(&mut fake, &want);
        assert_eq!(
            (c.failed, e, p.synced()),
            (1, vec!["no dump".to_string()], false)
        );
        fake.fail = false;
        p.sync(&mut fake, &want);
        assert!(p.synced());
        assert_eq!(fake.table.entries, vec![(port(80), 1)]);
    }

    #[test]
    fn health() {
        let t0 = Instant::now();
        let mut h = Health::new(Duration::from_secs(5));
        assert_eq!(h.current(t0), Err("the etcd watch is down"));
        h.stream_up = true;
        assert!(h.current(t0).unwrap_err().contains("not in sync"));
        h.synced = true;
        assert!(h.current(t0).unwrap_err().contains("keepalive"));
        h.keepalive = Some(t0);
        h.progress = Some(t0);
        assert_eq!(h.current(t0 + Duration::from_millis(1500)), Ok(()));
        assert!(h
            .current(t0 + Duration::from_millis(2600))
            .unwrap_err()
            .contains("keepalive"));
        h.keepalive = Some(t0 + Duration::from_secs(4));
        assert_eq!(h.current(t0 + Duration::from_millis(3900)), Ok(()));
        assert!(h
            .current(t0 + Duration::from_millis(4100))
            .unwrap_err()
            .contains("progress"));
    }
}
