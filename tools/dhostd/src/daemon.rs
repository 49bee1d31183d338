// SPDX-License-Identifier: GPL-2.0-only
//! The daemon: etcd session, watch, reconcile, leader table, state socket.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::net::{Ipv4Addr, UdpSocket};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, EventType, GetOptions, LeaseKeepAliveStream,
    LeaseKeeper, PutOptions, Txn, TxnOp, TxnOpResponse, WatchOptions, WatchResponse, WatchStream,
    Watcher,
};
use tokio::io::AsyncWriteExt;
use tokio::net::UnixListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, timeout};
use tokio_stream::StreamExt;
use vrctl::dhost::{AddrInfo, Dhost};

use crate::cli::Args;
use crate::keys::{prefix, Key, MemberValue, OwnerValue};
use crate::procnet;
use crate::reconcile::{plan, Plan};
use crate::status::Status;
use crate::table::{Health, Netlink, Programmer, Table};
use crate::view::{Applied, View};

type Res<T> = Result<T, String>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const DEBOUNCE: Duration = Duration::from_millis(10);
const AUTH_MS: u32 = 3000;

fn log(msg: impl AsRef<str>) {
    let _ = writeln!(std::io::stderr(), "dhostd: {}", msg.as_ref());
}

/// The MAC of interface `ifindex`, and its name.
fn interface(ifindex: u32) -> Res<(String, String)> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has room for IF_NAMESIZE bytes, as the call requires.
    let p = unsafe { libc::if_indextoname(ifindex, buf.as_mut_ptr()) };
    if p.is_null() {
        return Err(format!(
            "interface {ifindex}: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: on success `buf` holds a NUL-terminated name.
    let name = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    let path = format!("/sys/class/net/{name}/address");
    let mac = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    crate::keys::parse_mac(mac.trim()).map_err(|e| format!("{path}: {e}"))?;
    Ok((name, mac.trim().to_string()))
}

/// The local address towards the first etcd endpoint (no packet is sent).
fn local_towards(args: &Args) -> String {
    let (ip, port) = args.etcd.first();
    UdpSocket::bind(("0.0.0.0", 0))
        .and_then(|s| s.connect((ip, port)).and_then(|()| s.local_addr()))
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}

/// The state socket: refuses to start over a live daemon, removes a stale
/// file.
fn bind_socket(path: &Path) -> Res<UnixListener> {
    let what = path.display();
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(format!("{what}: another dhostd answers there"));
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{what}: {e}")),
    }
    UnixListener::bind(path).map_err(|e| format!("{what}: {e}"))
}

fn serve(listener: UnixListener, doc: Arc<Mutex<String>>) {
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                continue;
            };
            let text = doc.lock().map(|d| d.clone()).unwrap_or_default();
            tokio::spawn(async move {
                let _ = timeout(Duration::from_secs(2), conn.write_all(text.as_bytes())).await;
                let _ = conn.shutdown().await;
            });
        }
    });
}

/// Kernel socket events on a std thread: each one (or a lost burst) is a
/// reason to reconcile.
fn monitor(tx: mpsc::UnboundedSender<()>) {
    std::thread::spawn(move || loop {
        let r = Dhost::connect("dhostd: monitor")
            .map_err(|e| e.to_string())
            .and_then(|mut d| {
                let lost = tx.clone();
                d.monitor(
                    |_| Ok(tx.send(()).is_ok()),
                    || {
                        let _ = lost.send(());
                    },
                )
                .map_err(|e| {
                    vrctl::error::nl_fail("monitor".into(), vrctl::error::Op::Dhost, false, e)
                        .to_string()
                })
            });
        if tx.is_closed() {
            return;
        }
        if let Err(e) = r {
            log(format!(
                "kernel socket events: {e} (periodic reconcile only; retrying in 5 s)"
            ));
        }
        std::thread::sleep(Duration::from_secs(5));
    });
}

fn lease_opts(lease: i64) -> Option<PutOptions> {
    Some(PutOptions::new().with_lease(lease))
}

struct Daemon {
    args: Args,
    info: AddrInfo,
    prefix: String,
    client: Client,
    lease: i64,
    member_value: String,
    keeper: Option<LeaseKeeper>,
    ka: Option<LeaseKeepAliveStream>,
    watcher: Option<Watcher>,
    wstream: Option<WatchStream>,
    view: View,
    table: Netlink,
    programmer: Programmer,
    health: Health,
    auth_on: bool,
    ever_listened: BTreeSet<u16>,
    etcd_error: Option<String>,
    table_error: Option<String>,
    doc: Arc<Mutex<String>>,
    reconcile_at: Option<tokio::time::Instant>,
    /// When the keepalive stream was last opened.
    ka_opened: Option<Instant>,
}

pub async fn run(args: Args) -> Res<()> {
    let addr = args.addr;
    let mut dhost = Dhost::connect("dhostd").map_err(|e| e.to_string())?;
    let info = dhost
        .addrs()
        .map_err(|e| {
            vrctl::error::nl_fail(
                "distributed addresses".into(),
                vrctl::error::Op::Dhost,
                false,
                e,
            )
            .to_string()
        })?
        .into_iter()
        .find(|a| a.addr == Some(addr))
        .ok_or_else(|| format!("{addr} is not a distributed address (vrctl dhost add first)"))?;
    if info.member != args.member {
        return Err(format!(
            "member {}: the kernel says this host is member {} of {} for {addr}",
            args.member, info.member, info.members
        ));
    }
    let (_ifname, mac) = interface(info.ifindex)?;
    let listener = bind_socket(&args.socket)?;
    let mgmt = args
        .mgmt
        .map(|m| m.to_string())
        .unwrap_or_else(|| local_towards(&args));
    let member_value = serde_json::to_string(&MemberValue {
        mac,
        mgmt,
        ifindex: info.ifindex,
        boot: boot_id(),
        pid: std::process::id(),
    })
    .expect("plain data");
    let endpoints = args.etcd.text();
    let etcd_err = |e: String| format!("etcd {endpoints}: {e}");
    let opts = ConnectOptions::new()
        .with_connect_timeout(CONNECT_TIMEOUT)
        .with_timeout(CONNECT_TIMEOUT)
        .with_keep_alive(Duration::from_secs(2), Duration::from_secs(2));
    let mut client = timeout(CONNECT_TIMEOUT, Client::connect(&args.etcd.0, Some(opts)))
        .await
        .map_err(|_| etcd_err("connect timed out".into()))?
        .map_err(|e| etcd_err(e.to_string()))?;
    let pre = prefix(addr);
    let member_key = format!("{pre}{}", Key::Member(args.member));
    // Claimed by a live daemon? Checked before anything is written.
    let existing = timeout(CONNECT_TIMEOUT, client.get(member_key.as_str(), None))
        .await
        .map_err(|_| etcd_err("no answer within 5 s".into()))?
        .map_err(|e| etcd_err(e.to_string()))?;
    if let Some(kv) = existing.kvs().first() {
        match predecessor(kv.value()) {
            Some(pid) => log(format!(
                "member {} of {addr}: taking over from an earlier run here (pid {pid}, gone)",
                args.member
            )),
            None => return Err(claimed_message(&args, addr, kv.value())),
        }
    }
    let cleanup_socket = args.socket.clone();
    let doc = Arc::new(Mutex::new(String::new()));
    serve(listener, doc.clone());
    let table = Netlink {
        dhost,
        addr,
        ifindex: info.ifindex,
    };
    let ttl = Duration::from_secs(args.ttl);
    let mut d = Daemon {
        prefix: pre.clone(),
        view: View::new(pre, info.members),
        info,
        client,
        lease: 0,
        member_value,
        keeper: None,
        ka: None,
        watcher: None,
        wstream: None,
        table,
        programmer: Programmer::default(),
        health: Health::new(ttl),
        auth_on: false,
        ever_listened: BTreeSet::new(),
        etcd_error: None,
        table_error: None,
        doc,
        reconcile_at: None,
        ka_opened: None,
        args,
    };
    let r = d.main().await;
    let _ = std::fs::remove_file(cleanup_socket);
    r
}

/// This host's boot id (empty if unknown: then nothing is taken over).
fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The pid of the daemon that wrote member value `value`, if it ran on this
/// host since its boot and is gone: a restarted daemon takes its keys over
/// (a second daemon for the same member, here or elsewhere, is refused).
fn predecessor(value: &[u8]) -> Option<u32> {
    let v: MemberValue = serde_json::from_slice(value).ok()?;
    let boot = boot_id();
    if boot.is_empty() || v.boot != boot || v.pid == 0 {
        return None;
    }
    if v.pid == std::process::id() {
        // Ours, under a lease we gave up on: ours again.
        return Some(v.pid);
    }
    let pid = libc::pid_t::try_from(v.pid).ok()?;
    // SAFETY: kill() with signal 0 only checks that the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH);
    (!alive).then_some(v.pid)
}

fn claimed_message(args: &Args, addr: Ipv4Addr, value: &[u8]) -> String {
    let mgmt = serde_json::from_slice::<MemberValue>(value)
        .map(|v| v.mgmt)
        .unwrap_or_else(|_| "unknown".into());
    format!(
        "member {} of {addr} is already claimed by another daemon (mgmt {mgmt})",
        args.member
    )
}

impl Daemon {
    fn key(&self, k: &Key) -> String {
        format!("{}{k}", self.prefix)
    }

    /// A lease, member key claimed under it, keepalive stream.
    async fn register(&mut self) -> Res<()> {
        let ttl = self.args.ttl as i64;
        let granted = self
            .client
            .lease_grant(ttl, None)
            .await
            .map_err(|e| format!("etcd {}: lease: {e}", self.args.etcd.text()))?;
        let lease = granted.id();
        // etcd may raise the TTL (to 1.5 × its election timeout).
        self.health.ttl = Duration::from_secs(u64::try_from(granted.ttl()).unwrap_or(0).max(1));
        let key = self.key(&Key::Member(self.args.member));
        let txn = Txn::new()
            .when([Compare::create_revision(key.as_str(), CompareOp::Equal, 0)])
            .and_then([TxnOp::put(
                key.as_str(),
                self.member_value.as_str(),
                lease_opts(lease),
            )])
            .or_else([TxnOp::get(key.as_str(), None)]);
        let resp = self
            .client
            .txn(txn)
            .await
            .map_err(|e| format!("etcd: claim {key}: {e}"))?;
        let mut resp = resp;
        if !resp.succeeded() {
            let existing = resp.op_responses().into_iter().find_map(|r| match r {
                TxnOpResponse::Get(g) => g
                    .kvs()
                    .first()
                    .map(|kv| (kv.value().to_vec(), kv.mod_revision())),
                _ => None,
            });
            let (value, rev) = existing.unwrap_or_default();
            // A predecessor on this host that is gone: its key, unchanged
            // since we read it, becomes ours.
            let taken = if predecessor(&value).is_some() {
                let txn = Txn::new()
                    .when([Compare::mod_revision(key.as_str(), CompareOp::Equal, rev)])
                    .and_then([TxnOp::put(
                        key.as_str(),
                        self.member_value.as_str(),
                        lease_opts(lease),
                    )]);
                match self.client.txn(txn).await {
                    Ok(r) if r.succeeded() => Some(r),
                    _ => None,
                }
            } else {
                None
            };
            match taken {
                Some(r) => resp = r,
                None => {
                    let _ = self.client.lease_revoke(lease).await;
                    return Err(claimed_message(&self.args, self.args.addr, &value));
                }
            }
        }
        self.lease = lease;
        let rev = resp.header().map_or(0, |h| h.revision());
        self.view
            .put(&key, self.member_value.as_bytes(), lease, rev);
        log(format!(
            "member {} of {} claimed (lease {lease:x}, ttl {ttl} s)",
            self.args.member, self.args.addr
        ));
        self.open_keepalive().await;
        Ok(())
    }

    /// Opens the keepalive stream of our lease; false if it could not.
    async fn open_keepalive(&mut self) -> bool {
        self.ka_opened = Some(Instant::now());
        match self.client.lease_keep_alive(self.lease).await {
            Ok((k, s)) => {
                self.keeper = Some(k);
                self.ka = Some(s);
                self.health.keepalive = Some(Instant::now());
                true
            }
            Err(e) => {
                self.etcd_failed(format!("lease keepalive: {e}"));
                false
            }
        }
    }

    /// Whether etcd says our lease is gone (it expired while etcd did not
    /// hear from us, e.g. while it was electing a leader): keepalives
    /// cannot bring it back, only registering again can. etcd answers TTL
    /// -1 for a lease it does not know; an error says nothing.
    async fn lease_gone(&mut self) -> bool {
        matches!(
            self.client.lease_time_to_live(self.lease, None).await,
            Ok(r) if r.ttl() < 0
        )
    }

    fn etcd_failed(&mut self, e: String) {
        if self.etcd_error.as_deref() != Some(e.as_str()) {
            log(format!("etcd: {e}"));
        }
        self.etcd_error = Some(e);
    }

    fn etcd_ok(&mut self) {
        if self.etcd_error.take().is_some() {
            log("etcd: ok again");
        }
    }

    /// Reads the prefix and watches it from the next revision.
    async fn start_watch(&mut self) -> Res<()> {
        let resp = self
            .client
            .get(self.prefix.as_str(), Some(GetOptions::new().with_prefix()))
            .await
            .map_err(|e| format!("read {}: {e}", self.prefix))?;
        let rev = resp.header().map_or(0, |h| h.revision());
        self.view.clear();
        for kv in resp.kvs() {
            let key = String::from_utf8_lossy(kv.key()).into_owned();
            if let Applied::Garbage(msg) =
                self.view
                    .put(&key, kv.value(), kv.lease(), kv.mod_revision())
            {
                log(msg);
            }
        }
        let opts = WatchOptions::new()
            .with_prefix()
            .with_start_revision(rev + 1)
            .with_progress_notify();
        let (w, s) = self
            .client
            .watch(self.prefix.as_str(), Some(opts))
            .await
            .map_err(|e| format!("watch {}: {e}", self.prefix))?;
        self.watcher = Some(w);
        self.wstream = Some(s);
        self.health.stream_up = true;
        self.health.progress = Some(Instant::now());
        Ok(())
    }

    fn watch_down(&mut self, why: String) {
        self.etcd_failed(why);
        self.watcher = None;
        self.wstream = None;
        self.health.stream_up = false;
        self.health.synced = false;
        self.check_auth(false);
    }

    fn on_watch(&mut self, resp: WatchResponse) {
        self.health.progress = Some(Instant::now());
        if resp.canceled() || resp.compact_revision() > 0 {
            self.watch_down(format!("watch canceled: {}", resp.cancel_reason()));
            return;
        }
        let mut changed = false;
        let mine = self.args.member;
        for ev in resp.events() {
            let Some(kv) = ev.kv() else { continue };
            let key = String::from_utf8_lossy(kv.key()).into_owned();
            let before = key
                .strip_prefix(&self.prefix)
                .and_then(|rel| crate::keys::parse_key(rel, self.info.members).ok())
                .and_then(|k| self.view.records.get(&k).cloned().map(|r| (k, r)));
            let applied = match ev.event_type() {
                EventType::Put => self
                    .view
                    .put(&key, kv.value(), kv.lease(), kv.mod_revision()),
                EventType::Delete => self.view.delete(&key, kv.mod_revision(), false),
            };
            match applied {
                Applied::Same => continue,
                Applied::Garbage(msg) => log(msg),
                Applied::Changed => {}
            }
            changed = true;
            // Ours, changed by someone else; or a port freed: reconcile.
            let ours_before = before
                .as_ref()
                .is_some_and(|(_, r)| r.lease == self.lease && r.entry.writer() == mine);
            if let (true, Some((Key::Port(p, port), _))) = (ours_before, &before) {
                log(format!(
                    "{p} port {port} lost (changed in etcd by another writer)"
                ));
            }
            if ours_before || ev.event_type() == EventType::Delete {
                self.schedule(DEBOUNCE);
            }
        }
        if let Some(h) = resp.header() {
            self.view.seen_revision(h.revision());
        }
        if changed {
            self.after_change();
        }
    }

    fn schedule(&mut self, after: Duration) {
        let at = tokio::time::Instant::now() + after;
        if self.reconcile_at.is_none_or(|t| t > at) {
            self.reconcile_at = Some(at);
        }
    }

    /// The kernel's lead flag for the address, re-read.
    fn refresh_lead(&mut self) {
        let addr = self.args.addr;
        let found = match self.table.dhost.addrs() {
            Ok(all) => all.into_iter().find(|a| a.addr == Some(addr)),
            Err(_) => return,
        };
        let Some(info) = found else {
            if self.info.lead || self.info.members != 0 {
                log(format!("{addr} is no longer a distributed address"));
            }
            self.set_lead(false);
            self.info.members = 0;
            return;
        };
        if info.members != self.info.members && self.info.members != 0 {
            log(format!(
                "{addr}: now member {} of {}",
                info.member, info.members
            ));
        }
        let lead = info.lead;
        self.info.member = info.member;
        self.info.members = info.members;
        self.info.ifindex = info.ifindex;
        self.info.port_lo = info.port_lo;
        self.info.port_hi = info.port_hi;
        self.set_lead(lead);
    }

    fn set_lead(&mut self, lead: bool) {
        if lead == self.info.lead {
            return;
        }
        self.info.lead = lead;
        self.programmer.forget();
        if lead {
            log(format!(
                "leader of {}: programming the forwarding table",
                self.args.addr
            ));
            self.after_change();
        } else {
            log(format!("no longer leader of {}", self.args.addr));
            self.check_auth(false);
            self.health.synced = false;
        }
    }

    /// After the view changed: the leader's table, the state document.
    fn after_change(&mut self) {
        if self.info.lead {
            let want = self.view.desired();
            let (c, errors) = self.programmer.sync(&mut self.table, &want);
            if c.set + c.deleted > 0 {
                log(format!(
                    "leader: table synced: {} set, {} deleted, {} failed",
                    c.set, c.deleted, c.failed
                ));
            }
            let first = errors.into_iter().next();
            if first.is_some() && first != self.table_error {
                log(format!("leader: {}", first.as_deref().unwrap_or("")));
            }
            self.table_error = first;
            self.health.synced = self.health.stream_up && self.programmer.synced();
            if !self.health.synced {
                self.check_auth(false);
            }
        }
        self.publish();
    }

    fn publish(&mut self) {
        let mut s = Status {
            addr: self.args.addr.to_string(),
            member: self.args.member,
            members: self.info.members,
            lead: self.info.lead,
            authoritative: self.info.lead && self.auth_on,
            etcd: self
                .etcd_error
                .as_ref()
                .map_or_else(|| "ok".into(), |e| format!("error: {e}")),
            members_alive: vec![],
            ports: vec![],
            conns: vec![],
            conflicts: vec![],
        };
        s.fill(&self.view);
        if let Ok(mut d) = self.doc.lock() {
            *d = s.json();
        }
    }

    /// Renews the authority (`renew`) while the view is current; drops it
    /// as soon as it is not.
    fn check_auth(&mut self, renew: bool) {
        let verdict = if self.info.lead {
            self.health.current(Instant::now())
        } else {
            Err("not the leader")
        };
        match verdict {
            Ok(()) if renew => match self.table.auth(AUTH_MS) {
                Ok(()) => {
                    if !self.auth_on {
                        log("authoritative on");
                        self.auth_on = true;
                        self.publish();
                    }
                }
                Err(e) => {
                    if self.auth_on || self.table_error.as_deref() != Some(e.as_str()) {
                        log(format!("leader: {e}"));
                    }
                    self.table_error = Some(e);
                    self.auth_on = false;
                }
            },
            Ok(()) => {}
            Err(why) => {
                if self.auth_on {
                    if let Err(e) = self.table.auth(0) {
                        log(format!("leader: {e}"));
                    }
                    log(format!("authoritative off: {why}"));
                    self.auth_on = false;
                    self.publish();
                }
            }
        }
    }

    async fn txn(&mut self, txn: Txn) -> Res<(bool, i64, Vec<TxnOpResponse>)> {
        let r = self.client.txn(txn).await.map_err(|e| e.to_string())?;
        Ok((
            r.succeeded(),
            r.header().map_or(0, |h| h.revision()),
            r.op_responses(),
        ))
    }

    fn owner_value(&self) -> String {
        serde_json::to_string(&OwnerValue {
            member: self.args.member,
        })
        .expect("plain data")
    }

    /// Create `ports/...` if nobody has it (first owner wins).
    async fn claim(&mut self, k: Key, over: Option<i64>) -> Res<()> {
        let key = self.key(&k);
        let value = self.owner_value();
        let cmp = match over {
            None => Compare::create_revision(key.as_str(), CompareOp::Equal, 0),
            Some(rev) => Compare::mod_revision(key.as_str(), CompareOp::Equal, rev),
        };
        let txn = Txn::new()
            .when([cmp])
            .and_then([TxnOp::put(
                key.as_str(),
                value.as_str(),
                lease_opts(self.lease),
            )])
            .or_else([TxnOp::get(key.as_str(), None)]);
        let (ok, rev, resps) = self
            .txn(txn)
            .await
            .map_err(|e| format!("claim {key}: {e}"))?;
        if ok {
            self.view.put(&key, value.as_bytes(), self.lease, rev);
            if let Key::Port(p, port) = k {
                log(format!(
                    "{p} port {port} claimed by member {}",
                    self.args.member
                ));
            }
            return Ok(());
        }
        for r in resps {
            if let TxnOpResponse::Get(g) = r {
                for kv in g.kvs() {
                    if let Applied::Garbage(msg) =
                        self.view
                            .put(&key, kv.value(), kv.lease(), kv.mod_revision())
                    {
                        log(msg);
                    }
                }
            }
        }
        Ok(())
    }

    async fn reconcile(&mut self) {
        self.refresh_lead();
        if self.info.members == 0 {
            return;
        }
        let sockets = match procnet::read(self.args.addr, (self.info.port_lo, self.info.port_hi)) {
            Ok(s) => s,
            Err(e) => {
                log(format!("sockets: {e}"));
                return;
            }
        };
        for (p, port) in &sockets.ports {
            if *p == crate::keys::Proto::Tcp {
                self.ever_listened.insert(*port);
            }
        }
        let r = self.apply(&sockets).await;
        match r {
            Ok(()) => self.etcd_ok(),
            Err(e) => self.etcd_failed(e),
        }
        self.after_change();
    }

    fn plan(&self, sockets: &procnet::Sockets) -> Plan {
        let (lo, hi) = (self.info.port_lo, self.info.port_hi);
        let listened = &self.ever_listened;
        plan(
            self.args.member,
            self.lease,
            sockets,
            |lport| !(lo..=hi).contains(&lport) || listened.contains(&lport),
            &self.view,
        )
    }

    /// Deletes `key` if `cmp` holds, and from the view; whether it did.
    async fn delete_if(&mut self, key: String, cmp: Compare, what: &str) -> Res<bool> {
        let txn = Txn::new()
            .when([cmp])
            .and_then([TxnOp::delete(key.as_str(), None)]);
        let (ok, rev, _) = self
            .txn(txn)
            .await
            .map_err(|e| format!("{what} {key}: {e}"))?;
        if ok {
            self.view.delete(&key, rev, true);
        }
        Ok(ok)
    }

    async fn apply(&mut self, sockets: &procnet::Sockets) -> Res<()> {
        let first = self.plan(sockets);
        for (proto, port) in first.claims {
            self.claim(Key::Port(proto, port), None).await?;
        }
        for (k, rev) in first.takeovers {
            self.claim(k, Some(rev)).await?;
        }
        let p = self.plan(sockets);
        for k in p.releases {
            let key = self.key(&k);
            let still_ours = Compare::lease(key.as_str(), CompareOp::Equal, self.lease);
            if self.delete_if(key, still_ours, "release").await? {
                if let Key::Port(p, port) = k {
                    log(format!("{p} port {port} released"));
                }
            }
        }
        for (k, mod_rev) in p.stale {
            let key = self.key(&k);
            let unchanged = Compare::mod_revision(key.as_str(), CompareOp::Equal, mod_rev);
            if self.delete_if(key.clone(), unchanged, "delete").await? {
                log(format!("{key}: deleted (left by an earlier run)"));
            }
        }
        let mut ops: Vec<(String, Option<String>)> = Vec::new();
        for (k, v) in &p.puts {
            if let Key::Conflict(proto, port, n) = k {
                let owner = self.view.port(*proto, *port).map_or(0, |(m, _)| m);
                log(format!(
                    "{proto} port {port} belongs to member {owner}: member {n}'s socket gets no traffic"
                ));
            }
            ops.push((self.key(k), Some(v.clone())));
        }
        for k in &p.deletes {
            ops.push((self.key(k), None));
        }
        for chunk in ops.chunks(64) {
            let txn = Txn::new().and_then(
                chunk
                    .iter()
                    .map(|(k, v)| match v {
                        Some(v) => TxnOp::put(k.as_str(), v.as_str(), lease_opts(self.lease)),
                        None => TxnOp::delete(k.as_str(), None),
                    })
                    .collect::<Vec<_>>(),
            );
            let (_, rev, _) = self.txn(txn).await.map_err(|e| format!("write: {e}"))?;
            for (k, v) in chunk {
                match v {
                    Some(v) => self.view.put(k, v.as_bytes(), self.lease, rev),
                    None => self.view.delete(k, rev, true),
                };
            }
        }
        Ok(())
    }

    async fn lease_lost(&mut self) -> Res<()> {
        log("lease lost: registering again");
        self.keeper = None;
        self.ka = None;
        self.health.keepalive = None;
        self.check_auth(false);
        self.register().await?;
        self.schedule(Duration::ZERO);
        Ok(())
    }

    async fn main(&mut self) -> Res<()> {
        let (tx, mut kernel_rx) = mpsc::unbounded_channel();
        monitor(tx);
        let mut term = signal(SignalKind::terminate()).map_err(|e| format!("SIGTERM: {e}"))?;
        let mut int = signal(SignalKind::interrupt()).map_err(|e| format!("SIGINT: {e}"))?;
        self.register().await?;
        if let Err(e) = self.start_watch().await {
            self.watch_down(e);
        }
        self.info.lead = false;
        self.refresh_lead();
        self.reconcile().await;
        let mut second = tokio::time::interval(Duration::from_secs(1));
        let mut ka_tick = tokio::time::interval(Duration::from_millis(self.args.ttl * 1000 / 3));
        let mut ticks: u64 = 0;
        loop {
            let at = self.reconcile_at;
            tokio::select! {
                Some(()) = kernel_rx.recv() => {
                    while kernel_rx.try_recv().is_ok() {}
                    self.schedule(DEBOUNCE);
                }
                _ = sleep_until(at.unwrap_or_else(tokio::time::Instant::now)), if at.is_some() => {
                    self.reconcile_at = None;
                    self.reconcile().await;
                }
                m = async { self.wstream.as_mut()?.next().await }, if self.wstream.is_some() => match m {
                    Some(Ok(resp)) => self.on_watch(resp),
                    Some(Err(e)) => self.watch_down(format!("watch: {e}")),
                    None => self.watch_down("watch: stream closed".into()),
                },
                k = async { self.ka.as_mut()?.next().await }, if self.ka.is_some() => match k {
                    Some(Ok(r)) if r.ttl() > 0 => self.health.keepalive = Some(Instant::now()),
                    Some(Ok(_)) => {
                        if let Err(e) = self.lease_lost().await {
                            self.etcd_failed(e);
                        }
                    }
                    Some(Err(e)) => { self.ka = None; self.etcd_failed(format!("lease keepalive: {e}")); }
                    None => { self.ka = None; self.etcd_failed("lease keepalive: stream closed".into()); }
                },
                _ = ka_tick.tick() => {
                    if let Some(k) = self.keeper.as_mut() {
                        if let Err(e) = k.keep_alive().await {
                            self.ka = None;
                            self.keeper = None;
                            self.etcd_failed(format!("lease keepalive: {e}"));
                        }
                    }
                }
                _ = second.tick() => {
                    ticks += 1;
                    if let Some(w) = self.watcher.as_mut() {
                        let _ = w.request_progress().await;
                    }
                    if self.wstream.is_none() {
                        match self.start_watch().await {
                            Ok(()) => { self.etcd_ok(); self.after_change(); }
                            Err(e) => self.etcd_failed(e),
                        }
                    }
                    // A late answer is not a lost lease (etcd in a loaded
                    // guest answers late): the stream is opened again, and
                    // only etcd saying the lease is gone (TTL 0 on the
                    // stream, or TTL -1 when the stream cannot be opened)
                    // makes us register again.
                    let lease_late = self.health.keepalive.is_none_or(|t| t.elapsed() > self.health.ttl);
                    let reopened_late = self.ka_opened.is_none_or(|t| t.elapsed() > self.health.ttl);
                    if self.ka.is_none() || (lease_late && reopened_late) {
                        if lease_late {
                            self.etcd_failed("lease keepalive: no answer within the TTL".into());
                        }
                        if !self.open_keepalive().await && self.lease_gone().await {
                            if let Err(e) = self.lease_lost().await {
                                self.etcd_failed(e);
                            }
                        }
                    }
                    if ticks % 2 == 0 {
                        self.schedule(Duration::ZERO);
                    }
                    if self.info.lead && !self.programmer.synced() {
                        self.after_change();
                    }
                    self.check_auth(true);
                }
                _ = term.recv() => break,
                _ = int.recv() => break,
            }
        }
        self.shutdown().await;
        Ok(())
    }

    async fn shutdown(&mut self) {
        if self.auth_on || self.info.lead {
            let _ = self.table.auth(0);
            if self.auth_on {
                log("authoritative off: stopping");
            }
        }
        // The keys stay until the lease expires: the sockets are still
        // there, and a daemon restarted in time takes them over without a
        // moment in which the leader would answer for this member's ports.
        log(format!(
            "stopped: this member's keys stay until lease {:x} expires ({} s)",
            self.lease, self.args.ttl
        ));
    }
}
