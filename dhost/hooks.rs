// SPDX-License-Identifier: GPL-2.0

//! The netfilter hooks: in every network namespace, count the packets seen
//! at IPv4 pre-routing and local-in and at ARP in and out, and accept them.
//! No `unsafe`.
//!
//! The hook functions run in softirq context on every CPU: they only add
//! to atomic counters. Process context (namespace setup, netlink) keeps
//! the namespaces' counters in [`Namespaces`], under a mutex.

#![deny(unsafe_code)]

use kernel::{
    net::{
        netfilter::{HookOps, HookPoint, Hooks, Packet, PernetHooks, Priority, State, Verdict},
        Namespace,
    },
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc,
    },
    uapi,
};

use crate::NAMESPACES;

/// The hook points, indexed by `enum dhost_hook`.
pub(crate) const POINTS: [HookPoint; uapi::dhost_hook___DHOST_HOOK_MAX as usize] = {
    let mut p = [HookPoint::Ipv4PreRouting; uapi::dhost_hook___DHOST_HOOK_MAX as usize];
    p[uapi::dhost_hook_DHOST_HOOK_IPV4_PRE_ROUTING as usize] = HookPoint::Ipv4PreRouting;
    p[uapi::dhost_hook_DHOST_HOOK_IPV4_LOCAL_IN as usize] = HookPoint::Ipv4LocalIn;
    p[uapi::dhost_hook_DHOST_HOOK_ARP_IN as usize] = HookPoint::ArpIn;
    p[uapi::dhost_hook_DHOST_HOOK_ARP_OUT as usize] = HookPoint::ArpOut;
    p
};

/// The `enum dhost_hook` value of hook point `point`.
pub(crate) fn index_of(point: HookPoint) -> Option<usize> {
    POINTS.iter().position(|&p| p == point)
}

/// The packet counters of one namespace, which its hooks see.
pub(crate) struct Counters {
    packets: [Atomic<u64>; POINTS.len()],
}

impl Counters {
    fn new() -> Self {
        Counters {
            packets: [const { Atomic::new(0) }; POINTS.len()],
        }
    }

    /// The packets the hook `enum dhost_hook` `hook` saw.
    pub(crate) fn packets(&self, hook: usize) -> Option<u64> {
        self.packets.get(hook).map(|c| c.load(Relaxed))
    }
}

/// The registration of the hooks in every namespace.
pub(crate) static HOOKS: PernetHooks<Counters> = PernetHooks::new();

impl Hooks for Counters {
    // Counting only: at the filter priority, where the distributed-host
    // rules will drop what is not ours.
    const OPS: &'static [HookOps] = &[
        HookOps::new(HookPoint::Ipv4PreRouting, Priority::FILTER),
        HookOps::new(HookPoint::Ipv4LocalIn, Priority::FILTER),
        HookOps::new(HookPoint::ArpIn, Priority::FILTER),
        HookOps::new(HookPoint::ArpOut, Priority::FILTER),
    ];

    fn pernet_hooks() -> &'static PernetHooks<Self> {
        &HOOKS
    }

    fn init(net: &Namespace) -> Result<Arc<Self>> {
        let counters = Arc::new(Counters::new(), GFP_KERNEL)?;
        NAMESPACES.lock().insert(net.cookie(), counters.clone())?;
        Ok(counters)
    }

    fn exit(net: &Namespace, _this: Arc<Self>) {
        NAMESPACES.lock().remove(net.cookie());
    }

    fn hook(&self, _pkt: &Packet, state: &State) -> Verdict {
        if let Some(c) = state
            .hook()
            .and_then(index_of)
            .and_then(|i| self.packets.get(i))
        {
            c.add(1, Relaxed);
        }
        Verdict::Accept
    }
}

/// The counters of every namespace, by namespace cookie.
pub(crate) struct Namespaces {
    all: KVec<(u64, Arc<Counters>)>,
}

impl Namespaces {
    /// No namespace yet.
    pub(crate) const fn new() -> Self {
        Namespaces { all: KVec::new() }
    }

    /// Records the counters of namespace `net`.
    fn insert(&mut self, net: u64, counters: Arc<Counters>) -> Result {
        self.all.push((net, counters), GFP_KERNEL)?;
        Ok(())
    }

    /// Forgets the counters of namespace `net`.
    fn remove(&mut self, net: u64) {
        if let Some(i) = self.all.iter().position(|(n, _)| *n == net) {
            // In range: `position` found it.
            let _ = self.all.remove(i);
        }
    }

    /// The counters of namespace `net`.
    pub(crate) fn get(&self, net: u64) -> Option<Arc<Counters>> {
        self.all
            .iter()
            .find(|(n, _)| *n == net)
            .map(|(_, c)| c.clone())
    }
}

#[kunit_tests(dhost_hooks)]
mod tests {
    use super::*;

    #[test]
    fn hook_numbers() {
        assert_eq!(
            index_of(HookPoint::Ipv4PreRouting),
            Some(uapi::dhost_hook_DHOST_HOOK_IPV4_PRE_ROUTING as usize)
        );
        assert_eq!(
            index_of(HookPoint::Ipv4LocalIn),
            Some(uapi::dhost_hook_DHOST_HOOK_IPV4_LOCAL_IN as usize)
        );
        assert_eq!(
            index_of(HookPoint::ArpIn),
            Some(uapi::dhost_hook_DHOST_HOOK_ARP_IN as usize)
        );
        assert_eq!(
            index_of(HookPoint::ArpOut),
            Some(uapi::dhost_hook_DHOST_HOOK_ARP_OUT as usize)
        );
        assert_eq!(index_of(HookPoint::Ipv4Forward), None);
        // Every hook point is registered once.
        assert_eq!(Counters::OPS.len(), POINTS.len());
    }

    #[test]
    fn namespaces() {
        let mut ns = Namespaces::new();
        let a = Arc::new(Counters::new(), GFP_KERNEL).unwrap();
        a.packets[1].add(3, Relaxed);
        ns.insert(7, a).unwrap();
        ns.insert(9, Arc::new(Counters::new(), GFP_KERNEL).unwrap())
            .unwrap();
        assert_eq!(ns.get(7).unwrap().packets(1), Some(3));
        assert_eq!(ns.get(9).unwrap().packets(1), Some(0));
        assert_eq!(ns.get(7).unwrap().packets(POINTS.len()), None);
        ns.remove(7);
        assert!(ns.get(7).is_none());
        assert!(ns.get(9).is_some());
    }
}
