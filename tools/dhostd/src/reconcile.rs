// SPDX-License-Identifier: GPL-2.0-only
//! A reconcile, as a pure plan: this member's real sockets against what it
//! holds in etcd (the view's keys under its lease) and what others own.

use std::collections::BTreeMap;

use crate::keys::{ConflictValue, Entry, Key, OwnerValue, Proto};
use crate::procnet::Sockets;
use crate::view::View;

/// What to write.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Ports nobody has: create them (first owner wins).
    pub claims: Vec<(Proto, u16)>,
    /// Ports of this member under another lease (an earlier run): take
    /// them over if unchanged since `mod_revision`.
    pub takeovers: Vec<(Key, i64)>,
    /// Keys to write under our lease, and their JSON values.
    pub puts: Vec<(Key, String)>,
    /// Our ports no longer served (deleted only if still under our lease).
    pub releases: Vec<Key>,
    /// Our other keys no longer true.
    pub deletes: Vec<Key>,
    /// Keys of this member under another lease (an earlier run), deleted
    /// if unchanged since `mod_revision`.
    pub stale: Vec<(Key, i64)>,
}

#[cfg(test)]
impl Plan {
    pub fn is_empty(&self) -> bool {
        *self == Plan::default()
    }
}

/// `incoming(lport)`: an established connection on `lport` was accepted
/// (not connected from here).
pub fn plan(
    me: u32,
    lease: i64,
    sockets: &Sockets,
    incoming: impl Fn(u16) -> bool,
    view: &View,
) -> Plan {
    let mut p = Plan::default();
    let mut want: BTreeMap<Key, Entry> = BTreeMap::new();
    for &(proto, port) in &sockets.ports {
        match view.port(proto, port) {
            None => p.claims.push((proto, port)),
            Some((m, rec)) if m == me => {
                if rec.lease != lease {
                    p.takeovers.push((Key::Port(proto, port), rec.mod_revision));
                }
            }
            Some((owner, _)) => {
                let e = Entry::Conflict {
                    proto,
                    port,
                    member: me,
                    owner,
                };
                want.insert(e.key(), e);
            }
        }
    }
    // Owned and kept (a port being released is no longer ours).
    let owned_by_us = |lport: u16| {
        sockets.ports.contains(&(Proto::Tcp, lport))
            && view
                .port(Proto::Tcp, lport)
                .is_some_and(|(m, rec)| m == me && rec.lease == lease)
    };
    for &(lport, raddr, rport) in &sockets.established {
        if incoming(lport) && !owned_by_us(lport) {
            let key = Key::Conn {
                lport,
                raddr,
                rport,
            };
            want.insert(key.clone(), Entry::Owned { key, member: me });
        }
    }
    for (key, rec) in &view.records {
        if rec.entry.writer() != me || matches!(key, Key::Member(_)) {
            continue;
        }
        let wanted_port = match key {
            Key::Port(proto, port) => Some(sockets.ports.contains(&(*proto, *port))),
            _ => None,
        };
        match (rec.lease == lease, wanted_port) {
            (true, Some(true)) => {}
            (true, Some(false)) => p.releases.push(key.clone()),
            (true, None) => {
                if want.get(key) == Some(&rec.entry) {
                    want.remove(key);
                } else if !want.contains_key(key) {
                    p.deletes.push(key.clone());
                }
            }
            (false, Some(true)) => {} // a takeover, above
            (false, _) => {
                // Right but under the old lease: `want` writes it again
                // under ours.
                if want.get(key) != Some(&rec.entry) {
                    p.stale.push((key.clone(), rec.mod_revision));
                }
            }
        }
    }
    for (key, e) in want {
        let value = match e {
            Entry::Conflict { member, owner, .. } => {
                serde_json::to_string(&ConflictValue { member, owner })
            }
            _ => serde_json::to_string(&OwnerValue { member: me }),
        }
        .expect("plain data");
        p.puts.push((key, value));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const P: &str = "/dhost/10.9.0.1/";
    const LEASE: i64 = 100;

    fn view(entries: &[(&str, &str, i64)]) -> View {
        let mut v = View::new(P.into(), 3);
        for (i, (k, val, lease)) in entries.iter().enumerate() {
            v.put(&format!("{P}{k}"), val.as_bytes(), *lease, i as i64 + 1);
        }
        v
    }

    fn sockets(ports: &[(Proto, u16)], est: &[(u16, u16)]) -> Sockets {
        let c = Ipv4Addr::new(10, 9, 0, 100);
        Sockets {
            ports: ports.iter().copied().collect(),
            established: est.iter().map(|&(l, r)| (l, c, r)).collect(),
        }
    }

    #[test]
    fn claims_conflicts_and_releases() {
        let v = view(&[
            ("ports/tcp/80", r#"{"member":3}"#, 300),
            ("ports/tcp/22", r#"{"member":2}"#, LEASE),
            ("ports/udp/53", r#"{"member":2}"#, LEASE),
        ]);
        let s = sockets(
            &[(Proto::Tcp, 80), (Proto::Tcp, 22), (Proto::Tcp, 443)],
            &[],
        );
        let p = plan(2, LEASE, &s, |_| true, &v);
        assert_eq!(p.claims, vec![(Proto::Tcp, 443)]);
        assert_eq!(
            p.puts,
            vec![(
                Key::Conflict(Proto::Tcp, 80, 2),
                r#"{"member":2,"owner":3}"#.to_string()
            )]
        );
        assert_eq!(p.releases, vec![Key::Port(Proto::Udp, 53)]);
        assert!(p.deletes.is_empty() && p.stale.is_empty() && p.takeovers.is_empty());
    }

    #[test]
    fn steady_state_writes_nothing() {
        let v = view(&[
            ("ports/tcp/80", r#"{"member":3}"#, 300),
            ("conflicts/tcp/80/2", r#"{"member":2,"owner":3}"#, LEASE),
            ("ports/tcp/22", r#"{"member":2}"#, LEASE),
        ]);
        let s = sockets(&[(Proto::Tcp, 80), (Proto::Tcp, 22)], &[(22, 40000)]);
        assert!(plan(2, LEASE, &s, |_| true, &v).is_empty());
    }

    #[test]
    fn owner_gone_conflict_dropped_and_claimed() {
        let v = view(&[("conflicts/tcp/80/2", r#"{"member":2,"owner":3}"#, LEASE)]);
        let s = sockets(&[(Proto::Tcp, 80)], &[]);
        let p = plan(2, LEASE, &s, |_| true, &v);
        assert_eq!(p.claims, vec![(Proto::Tcp, 80)]);
        assert_eq!(p.deletes, vec![Key::Conflict(Proto::Tcp, 80, 2)]);
    }

    #[test]
    fn connections_outlive_their_listener() {
        let v = view(&[("ports/tcp/80", r#"{"member":2}"#, LEASE)]);
        // The listener closed; one connection remains, one is outgoing.
        let s = sockets(&[], &[(80, 40000), (45000, 80)]);
        let p = plan(2, LEASE, &s, |lport| lport == 80, &v);
        assert_eq!(p.releases, vec![Key::Port(Proto::Tcp, 80)]);
        let conn = Key::Conn {
            lport: 80,
            raddr: Ipv4Addr::new(10, 9, 0, 100),
            rport: 40000,
        };
        assert_eq!(p.puts, vec![(conn.clone(), r#"{"member":2}"#.to_string())]);
        // The connection ends: its key goes.
        let v = view(&[("conns/tcp/80/10.9.0.100:40000", r#"{"member":2}"#, LEASE)]);
        let p = plan(2, LEASE, &sockets(&[], &[]), |_| true, &v);
        assert_eq!(p.deletes, vec![conn]);
    }

    #[test]
    fn an_earlier_run_is_cleaned_up() {
        let v = view(&[
            ("ports/tcp/80", r#"{"member":2}"#, 42),
            ("ports/tcp/81", r#"{"member":2}"#, 42),
            ("conflicts/tcp/82/2", r#"{"member":2,"owner":1}"#, 42),
            ("ports/tcp/82", r#"{"member":1}"#, 1),
            ("ports/tcp/83", r#"{"member":1}"#, 1),
        ]);
        let s = sockets(&[(Proto::Tcp, 80), (Proto::Tcp, 82)], &[]);
        let p = plan(2, LEASE, &s, |_| true, &v);
        assert_eq!(p.takeovers, vec![(Key::Port(Proto::Tcp, 80), 1)]);
        assert_eq!(
            p.stale,
            vec![(Key::Port(Proto::Tcp, 81), 2)],
            "the conflict key is rewritten, not deleted"
        );
        assert_eq!(
            p.puts,
            vec![(
                Key::Conflict(Proto::Tcp, 82, 2),
                r#"{"member":2,"owner":1}"#.to_string()
            )]
        );
    }
}
