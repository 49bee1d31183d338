//! Booting VMs: the guest payload cpio, the network namespace with a bridge
//! and one tap per VM, the QEMU processes, and the loop that reads their
//! consoles until every VM has powered off, the timeout expires or a signal
//! arrives. Everything started here is torn down on every path.

use std::collections::VecDeque;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::{cleanup, clock, console, cpio};

/// Lines of console output kept per VM for failure reports.
pub const TAIL_LINES: usize = 40;
/// A failing guest's `FAIL: ...` line is cut to this many characters in
/// its one-line summary (the whole line is in the tail and the log).
const FAIL_LINE_MAX: usize = 400;
/// How long the other VMs may go on after one VM has failed.
const GRACE_AFTER_FAILURE: Duration = Duration::from_secs(10);
/// How long to wait for a killed QEMU's console to close.
const DRAIN: Duration = Duration::from_secs(10);
const NETNS_PREFIX: &str = "vrctx-vm-";

pub enum Mode {
    /// Run `script` in every VM; `files` are shipped under /vrctx/files.
    Run {
        script: Vec<u8>,
        files: Option<PathBuf>,
    },
    /// Interactive shell on VM 1's console.
    Shell,
}

pub struct RunConfig {
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    pub vms: u32,
    pub timeout: Duration,
    pub mem_mb: u32,
    pub append: Vec<String>,
    pub log_dir: Option<PathBuf>,
    /// Print console lines as they arrive, prefixed with `[vmN]`.
    pub echo: bool,
    /// Put before `[vmN]` when echoing (`vmrun suite -v --jobs N`: the test
    /// name), else empty.
    pub echo_prefix: String,
    /// `-icount shift=N,sleep=off`: the guest's clocks count instructions
    /// (2^N ns each) instead of following the host's.
    pub icount: Option<u8>,
    pub mode: Mode,
}

/// The MAC address of VM `id` (1-based): 52:54:00:00:00:NN, NN in hex.
pub fn mac(id: u32) -> String {
    assert!((1..=255).contains(&id), "VM id {id} out of range");
    format!("52:54:00:00:00:{id:02x}")
}

/// `tsc_khz`: the host's TSC rate, which a TCG guest's TSC counts at (see
/// clock.rs): the guest takes it instead of calibrating, and trusts its TSC.
pub fn kernel_cmdline(
    id: u32,
    vms: u32,
    mode: &str,
    tsc_khz: Option<u64>,
    extra: &[String],
) -> String {
    let mut s = format!(
        "console=ttyS0 loglevel=5 printk.time=1 panic=-1 panic_on_warn=1 oops=panic \
         vrctx.vmid={id} vrctx.vms={vms} vrctx.mode={mode}"
    );
    if let Some(k) = tsc_khz {
        s.push_str(&format!(" tsc_early_khz={k} tsc=reliable"));
    }
    for e in extra.iter().filter(|e| !e.trim().is_empty()) {
        s.push(' ');
        s.push_str(e.trim());
    }
    s
}

static SEQ: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    )
}

// ---------------------------------------------------------------- payload

/// The extra cpio appended to the base initramfs: /vrctx/script and
/// /vrctx/files/... .
pub fn guest_payload(script: &[u8], files: Option<&Path>) -> Result<Vec<u8>> {
    let mut w = cpio::Writer::new(Vec::new());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as u32)
        .unwrap_or(0);
    w.set_mtime(now);
    w.dir("vrctx", 0o755)?;
    w.file("vrctx/script", 0o755, script)?;
    w.dir("vrctx/files", 0o755)?;
    if let Some(dir) = files {
        add_tree(&mut w, dir, "vrctx/files")
            .with_context(|| format!("packing {}", dir.display()))?;
    }
    Ok(w.finish()?)
}

fn add_tree(w: &mut cpio::Writer<Vec<u8>>, dir: &Path, prefix: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let name = name
            .to_str()
            .with_context(|| format!("non-UTF-8 name in {}", dir.display()))?;
        let path = e.path();
        let target = format!("{prefix}/{name}");
        let md = fs::symlink_metadata(&path)?;
        let perm = md.permissions().mode();
        if md.file_type().is_symlink() {
            let t = fs::read_link(&path)?;
            w.symlink(&target, t.to_str().context("non-UTF-8 symlink target")?)?;
        } else if md.is_dir() {
            w.dir(&target, perm)?;
            add_tree(w, &path, &target)?;
        } else if md.is_file() {
            w.file(&target, perm, &fs::read(&path)?)?;
        } else {
            bail!(
                "{}: only files, directories and symlinks can be shipped",
                path.display()
            );
        }
    }
    Ok(())
}

/// QEMU takes one -initrd file; cpio archives (compressed or not) may be
/// concatenated, each starting at a 4-byte boundary.
fn write_initrd(base: &Path, extra: &[u8], out: &Path) -> Result<()> {
    let mut f =
        BufWriter::new(File::create(out).with_context(|| format!("creating {}", out.display()))?);
    let mut b = File::open(base).with_context(|| format!("opening initrd {}", base.display()))?;
    let n = std::io::copy(&mut b, &mut f)?;
    let pad = (4 - (n % 4) as usize) % 4;
    f.write_all(&[0u8; 3][..pad])?;
    f.write_all(extra)?;
    f.flush()?;
    Ok(())
}

struct TempDir(PathBuf);

const TMP_PREFIX: &str = "vrctx-vmrun-";

impl TempDir {
    fn new() -> Result<Self> {
        // Directories of vmrun processes that are gone (SIGKILLed, say).
        if let Ok(rd) = fs::read_dir(std::env::temp_dir()) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = stale_pid(&name, TMP_PREFIX) {
                    if !pid_alive(pid) {
                        let _ = fs::remove_dir_all(e.path());
                    }
                }
            }
        }
        let p = std::env::temp_dir().join(unique(TMP_PREFIX));
        fs::create_dir_all(&p).with_context(|| format!("creating {}", p.display()))?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------- network

fn ip(args: &[&str]) -> Result<()> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("running `ip` (iproute2)")?;
    if !out.status.success() {
        bail!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// A network namespace holding bridge `br0` and taps `tap1..tapN` enslaved
/// to it: the VMs' private L2 segment. Deleted on drop.
pub struct Netns {
    name: String,
    vms: u32,
}

impl Netns {
    pub fn create(vms: u32) -> Result<Netns> {
        remove_stale_namespaces();
        let name = unique(NETNS_PREFIX);
        ip(&["netns", "add", &name])?;
        cleanup::register_netns(&name);
        let ns = Netns { name, vms };
        let n = ns.name.as_str();
        // No IPv6 on the bridge and taps: the segment carries only what the
        // guests send (no router solicitations or MLD from the host side).
        let _ = Command::new("ip")
            .args(["netns", "exec", n, "sh", "-c"])
            .arg(
                "for f in /proc/sys/net/ipv6/conf/default/disable_ipv6 \
                 /proc/sys/net/ipv6/conf/all/disable_ipv6; do [ -w $f ] && echo 1 > $f; done; true",
            )
            .stdin(Stdio::null())
            .status();
        // Multicast snooping off: the bridge floods multicast like a hub.
        ip(&[
            "-n",
            n,
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "mcast_snooping",
            "0",
        ])?;
        ip(&["-n", n, "link", "set", "br0", "up"])?;
        for id in 1..=vms {
            let tap = format!("tap{id}");
            ip(&["-n", n, "tuntap", "add", "dev", &tap, "mode", "tap"])?;
            ip(&["-n", n, "link", "set", &tap, "master", "br0", "up"])?;
        }
        Ok(ns)
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let n = self.name.clone();
        for id in 1..=self.vms {
            let _ = ip(&["-n", &n, "link", "del", &format!("tap{id}")]);
        }
        let _ = ip(&["-n", &n, "link", "del", "br0"]);
        if let Err(e) = ip(&["netns", "del", &n]) {
            eprintln!("vmrun: warning: {e}");
        }
        cleanup::unregister_netns(&n);
    }
}

/// Deletes namespaces left by vmrun processes that no longer exist (killed
/// with SIGKILL, say).
fn remove_stale_namespaces() {
    let Ok(rd) = fs::read_dir("/run/netns") else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = stale_pid(&name, NETNS_PREFIX) else {
            continue;
        };
        if !pid_alive(pid) {
            eprintln!("vmrun: removing stale network namespace {name}");
            let _ = ip(&["netns", "del", &name]);
        }
    }
}

/// The pid in a name made by [`unique`] (`<prefix><pid>-<seq>`).
fn stale_pid(name: &str, prefix: &str) -> Option<i32> {
    let rest = name.strip_prefix(prefix)?;
    let (pid, seq) = rest.split_once('-')?;
    seq.parse::<u32>().ok()?;
    pid.parse().ok()
}

/// Whether a process exists and is not a zombie.
fn pid_alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

// ---------------------------------------------------------------- QEMU

fn qemu_binary() -> String {
    std::env::var("QEMU").unwrap_or_else(|_| "qemu-system-x86_64".into())
}

fn accel() -> String {
    std::env::var("QEMU_ACCEL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "tcg".into())
}

fn qemu_command(cfg: &RunConfig, ns: &str, id: u32, initrd: &Path, interactive: bool) -> Command {
    let mode = if matches!(cfg.mode, Mode::Shell) {
        "shell"
    } else {
        "run"
    };
    // Under icount the guest's TSC counts virtual nanoseconds, not at the
    // host's rate: the guest calibrates it against the (equally virtual)
    // PIT instead.
    let tsc_khz = match cfg.icount {
        Some(_) => None,
        None => clock::host_tsc_khz(),
    };
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns]).arg(qemu_binary());
    if let Some(shift) = cfg.icount {
        c.args(["-icount", &format!("shift={shift},sleep=off")]);
    }
    c.args(["-accel", &accel()])
        .args(["-m", &cfg.mem_mb.to_string(), "-smp", "1"])
        .args([
            "-nodefaults",
            "-no-user-config",
            "-display",
            "none",
            "-no-reboot",
        ])
        .arg("-kernel")
        .arg(&cfg.kernel)
        .arg("-initrd")
        .arg(initrd)
        .args([
            "-append",
            &kernel_cmdline(id, cfg.vms, mode, tsc_khz, &cfg.append),
        ])
        .args([
            "-netdev",
            &format!("tap,id=n0,ifname=tap{id},script=no,downscript=no"),
            "-device",
            &format!("virtio-net-pci,netdev=n0,mac={}", mac(id)),
        ]);
    if interactive {
        // VM 1 of `vmrun shell`: the terminal is the console. Ctrl-C goes to
        // the guest; Ctrl-A x quits QEMU, Ctrl-A c toggles its monitor.
        c.args([
            "-chardev",
            "stdio,id=con,mux=on,signal=off",
            "-serial",
            "chardev:con",
            "-mon",
            "chardev=con,mode=readline",
        ]);
        c.stdin(Stdio::inherit())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit());
    } else {
        c.args(["-serial", "stdio"]);
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
    }
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        c.pre_exec(move || {
            // Die with vmrun even if it is SIGKILLed.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if !interactive {
                // Own process group: a terminal's Ctrl-C reaches vmrun only,
                // which then tears everything down in order.
                libc::setpgid(0, 0);
            }
            Ok(())
        });
    }
    c
}

enum Event {
    Line {
        vm: usize,
        stderr: bool,
        text: String,
    },
    Eof {
        vm: usize,
    },
}

fn spawn_reader(vm: usize, stderr: bool, stream: impl Read + Send + 'static, tx: Sender<Event>) {
    thread::spawn(move || {
        let mut r = BufReader::new(stream);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let text = console::clean_line(&buf);
                    if tx.send(Event::Line { vm, stderr, text }).is_err() {
                        return;
                    }
                }
            }
        }
        let _ = tx.send(Event::Eof { vm });
    });
}

struct Vm {
    id: u32,
    child: Option<Child>,
    /// QEMU leads its own process group (not the interactive one).
    own_group: bool,
    started: Instant,
    open_streams: u32,
    status: Option<ExitStatus>,
    ended: Option<Instant>,
    exit: Option<i32>,
    problem: Option<String>,
    module_failures: Vec<String>,
    init_wall: Option<Duration>,
    init_uptime: Option<f64>,
    timed_out: bool,
    stopped: Option<String>,
    last_stderr: Option<String>,
    /// The first `FAIL: ...` line the guest's test library printed.
    fail_line: Option<String>,
    tail: VecDeque<String>,
    log: Option<BufWriter<File>>,
}

impl Vm {
    fn done(&self) -> bool {
        self.status.is_some()
    }

    fn ok(&self) -> bool {
        self.exit == Some(0) && self.problem.is_none() && self.module_failures.is_empty()
    }

    fn kill(&mut self) {
        if let Some(c) = self.child.as_mut() {
            if self.own_group {
                // SAFETY: SIGKILL to the process group QEMU leads.
                unsafe { libc::kill(-(c.id() as i32), libc::SIGKILL) };
            }
            let _ = c.kill();
        }
    }

    /// Reaps QEMU once its console is closed (or, without pipes, polls).
    fn reap(&mut self, block: bool) {
        if self.status.is_some() {
            return;
        }
        let Some(c) = self.child.as_mut() else {
            return;
        };
        let st = if block {
            c.wait().ok()
        } else {
            c.try_wait().ok().flatten()
        };
        if let Some(st) = st {
            cleanup::unregister_pid(c.id());
            self.status = Some(st);
            self.ended = Some(Instant::now());
            self.child = None;
        }
    }

    /// `echo`: print the line, after this prefix.
    fn on_line(&mut self, text: String, stderr: bool, echo: Option<&str>) {
        let shown = if stderr {
            format!("qemu: {text}")
        } else {
            text
        };
        if let Some(prefix) = echo {
            println!("{prefix}[vm{}] {}", self.id, shown);
        }
        if let Some(l) = self.log.as_mut() {
            let _ = writeln!(l, "{shown}");
        }
        if stderr {
            self.last_stderr = Some(shown.clone());
        } else {
            if let Some(m) = console::parse_marker(&shown) {
                use console::Marker::*;
                match m {
                    Init(up) => {
                        self.init_wall.get_or_insert(self.started.elapsed());
                        self.init_uptime.get_or_insert(up);
                    }
                    Exit(n) => {
                        self.exit.get_or_insert(n);
                    }
                    ModuleFailed(m) => self.module_failures.push(m),
                    Kmemleak(s) => {
                        self.problem.get_or_insert(format!("kmemleak: {s}"));
                    }
                    Taint(t) => {
                        if let Some(p) = console::bad_taint(t) {
                            self.problem.get_or_insert(p);
                        }
                    }
                }
            }
            if self.fail_line.is_none() && shown.starts_with("FAIL: ") {
                self.fail_line = Some(console::shorten(&shown, FAIL_LINE_MAX));
            }
            if self.problem.is_none() && console::kernel_problem(&shown) {
                self.problem = Some(shown.clone());
            }
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(shown);
    }

    fn summary(&self, timeout: Duration) -> VmSummary {
        let total = self.ended.unwrap_or_else(Instant::now) - self.started;
        let mut d = if self.timed_out {
            format!("timed out after {} s", timeout.as_secs())
        } else if let Some(s) = &self.stopped {
            s.clone()
        } else if let Some(n) = self.exit {
            match &self.fail_line {
                Some(f) if n != 0 => format!("exit {n} ({f})"),
                _ => format!("exit {n}"),
            }
        } else if !self.own_group && self.status.is_some() {
            format!(
                "shell ended (QEMU: {})",
                self.status.map(|s| s.to_string()).unwrap_or_default()
            )
        } else {
            let st = self
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "not reaped".into());
            let mut s = format!("no exit marker (QEMU: {st})");
            if let Some(l) = &self.last_stderr {
                s.push_str(&format!(": {l}"));
            }
            s
        };
        if !self.module_failures.is_empty() {
            d.push_str(&format!(
                "; module load failed: {}",
                self.module_failures.join(", ")
            ));
        }
        let mut t = String::new();
        if let Some(w) = self.init_wall {
            t.push_str(&format!("init {:.1} s after start", w.as_secs_f64()));
            if let Some(u) = self.init_uptime {
                t.push_str(&format!(" (guest uptime {u:.2} s)"));
            }
            t.push_str(", ");
        }
        t.push_str(&format!("{:.1} s total", total.as_secs_f64()));
        VmSummary {
            id: self.id,
            exit: self.exit,
            timed_out: self.timed_out,
            problem: self.problem.clone(),
            module_failures: self.module_failures.clone(),
            init_wall: self.init_wall,
            tail: self.tail.iter().cloned().collect(),
            text: match &self.problem {
                Some(p) => format!("vm{}: {d} [{t}]; KERNEL PROBLEM: {p}", self.id),
                None => format!("vm{}: {d} [{t}]", self.id),
            },
        }
    }
}

/// Kills any QEMU still running when dropped.
struct Fleet(Vec<Vm>);

impl Drop for Fleet {
    fn drop(&mut self) {
        for vm in &mut self.0 {
            vm.kill();
            vm.reap(true);
        }
    }
}

#[derive(Debug, Clone)]
pub struct VmSummary {
    pub id: u32,
    pub exit: Option<i32>,
    pub timed_out: bool,
    pub problem: Option<String>,
    pub module_failures: Vec<String>,
    pub init_wall: Option<Duration>,
    pub tail: Vec<String>,
    /// One line: `vmN: exit 0 [init 1.2 s after start ..., 9.9 s total]`.
    pub text: String,
}

impl VmSummary {
    pub fn ok(&self) -> bool {
        self.exit == Some(0) && self.problem.is_none() && self.module_failures.is_empty()
    }
}

#[derive(Debug)]
pub struct Outcome {
    pub vms: Vec<VmSummary>,
    pub interrupted: Option<i32>,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn success(&self) -> bool {
        self.interrupted.is_none() && self.vms.iter().all(VmSummary::ok)
    }

    pub fn kernel_problem(&self) -> Option<(u32, &str)> {
        self.vms
            .iter()
            .find_map(|v| v.problem.as_deref().map(|p| (v.id, p)))
    }

    /// vmrun's exit code: 128+signal if interrupted; 125 for a kernel problem
    /// or failed module load; else the first nonzero script status; 124 for
    /// a timeout; 125 if a VM stopped without reporting; else 0.
    pub fn exit_code(&self) -> i32 {
        if let Some(s) = self.interrupted {
            return 128 + s;
        }
        if self
            .vms
            .iter()
            .any(|v| v.problem.is_some() || !v.module_failures.is_empty())
        {
            return 125;
        }
        if let Some(n) = self.vms.iter().filter_map(|v| v.exit).find(|n| *n != 0) {
            return n.clamp(1, 255);
        }
        if self.vms.iter().any(|v| v.timed_out) {
            return 124;
        }
        if self.vms.iter().any(|v| v.exit.is_none()) {
            return 125;
        }
        0
    }
}

fn open_log(dir: &Option<PathBuf>, id: u32) -> Result<Option<BufWriter<File>>> {
    let Some(d) = dir else { return Ok(None) };
    fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    let p = d.join(format!("vm{id}.log"));
    Ok(Some(BufWriter::new(
        File::create(&p).with_context(|| format!("creating {}", p.display()))?,
    )))
}

pub fn preflight(cfg: &RunConfig) -> Result<()> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        bail!("vmrun must run as root (it creates a network namespace and tap devices)");
    }
    if !cfg.kernel.is_file() {
        bail!("kernel not found: {}", cfg.kernel.display());
    }
    if !cfg.initrd.is_file() {
        bail!("initrd not found: {}", cfg.initrd.display());
    }
    if !(1..=255).contains(&cfg.vms) {
        bail!("--vms must be 1..=255");
    }
    Ok(())
}

/// Boots `cfg.vms` VMs and waits for them (see the module doc).
pub fn run(cfg: &RunConfig) -> Result<Outcome> {
    preflight(cfg)?;
    let start = Instant::now();
    let tmp = TempDir::new()?;
    let interactive = matches!(cfg.mode, Mode::Shell);
    let initrd = match &cfg.mode {
        Mode::Run { script, files } => {
            let p = tmp.0.join("initrd.img");
            write_initrd(&cfg.initrd, &guest_payload(script, files.as_deref())?, &p)?;
            p
        }
        Mode::Shell => cfg.initrd.clone(),
    };
    if let Some(sig) = cleanup::signalled() {
        return Ok(Outcome {
            vms: vec![],
            interrupted: Some(sig),
            elapsed: start.elapsed(),
        });
    }
    let ns = Netns::create(cfg.vms)?;
    let (tx, rx) = mpsc::channel();
    let mut fleet = Fleet(Vec::new());
    if interactive {
        cleanup::save_terminal();
    }
    for id in 1..=cfg.vms {
        let tty = interactive && id == 1;
        let mut child = qemu_command(cfg, ns.name(), id, &initrd, tty)
            .spawn()
            .context("starting qemu-system-x86_64 under `ip netns exec`")?;
        cleanup::register_pid(child.id());
        let mut open_streams = 0;
        let idx = fleet.0.len();
        if let Some(o) = child.stdout.take() {
            spawn_reader(idx, false, o, tx.clone());
            open_streams += 1;
        }
        if let Some(e) = child.stderr.take() {
            spawn_reader(idx, true, e, tx.clone());
            open_streams += 1;
        }
        fleet.0.push(Vm {
            id,
            child: Some(child),
            own_group: !tty,
            started: Instant::now(),
            open_streams,
            status: None,
            ended: None,
            exit: None,
            problem: None,
            module_failures: vec![],
            init_wall: None,
            init_uptime: None,
            timed_out: false,
            stopped: None,
            last_stderr: None,
            fail_line: None,
            tail: VecDeque::new(),
            log: open_log(&cfg.log_dir, id)?,
        });
    }
    drop(tx);
    let interrupted = event_loop(cfg, &mut fleet.0, &rx, interactive);
    if interactive {
        cleanup::restore_terminal();
    }
    let vms = fleet.0.iter_mut().map(|v| {
        if let Some(l) = v.log.as_mut() {
            let _ = l.flush();
        }
        v.summary(cfg.timeout)
    });
    let vms: Vec<_> = vms.collect();
    drop(fleet);
    drop(ns);
    drop(tmp);
    Ok(Outcome {
        vms,
        interrupted,
        elapsed: start.elapsed(),
    })
}

fn event_loop(
    cfg: &RunConfig,
    vms: &mut [Vm],
    rx: &Receiver<Event>,
    interactive: bool,
) -> Option<i32> {
    let start = Instant::now();
    // The shell has no timeout.
    let deadline = (!interactive).then(|| start + cfg.timeout);
    let mut grace: Option<Instant> = None;
    let mut drain: Option<Instant> = None;
    let mut interrupted = None;
    loop {
        for vm in vms.iter_mut() {
            if vm.open_streams == 0 {
                vm.reap(false);
            }
        }
        if vms.iter().all(Vm::done) {
            break;
        }
        if interactive && vms[0].done() {
            // The shell VM is gone: stop the others.
            for vm in vms.iter_mut().filter(|v| !v.done()) {
                vm.stopped = Some("stopped: the shell VM exited".into());
                vm.kill();
            }
            drain.get_or_insert(Instant::now() + DRAIN);
        }
        let now = Instant::now();
        if interrupted.is_none() {
            if let Some(sig) = cleanup::signalled() {
                eprintln!("vmrun: {}: stopping the VMs", cleanup::signal_name(sig));
                interrupted = Some(sig);
                for vm in vms.iter_mut().filter(|v| !v.done()) {
                    vm.stopped = Some(format!("stopped by {}", cleanup::signal_name(sig)));
                    vm.kill();
                }
                drain.get_or_insert(now + DRAIN);
            }
        }
        if let Some(d) = deadline {
            if now >= d && drain.is_none() {
                for vm in vms.iter_mut().filter(|v| !v.done()) {
                    vm.timed_out = true;
                    vm.kill();
                }
                drain = Some(now + DRAIN);
            }
        }
        if let Some(g) = grace {
            if now >= g && drain.is_none() {
                for vm in vms.iter_mut().filter(|v| !v.done()) {
                    vm.stopped = Some(format!(
                        "stopped {} s after another VM failed",
                        GRACE_AFTER_FAILURE.as_secs()
                    ));
                    vm.kill();
                }
                drain = Some(now + DRAIN);
            }
        }
        if let Some(d) = drain {
            if now >= d {
                eprintln!(
                    "vmrun: QEMU did not close its console after being killed; giving up on it"
                );
                for vm in vms.iter_mut() {
                    vm.reap(true);
                }
                break;
            }
        }
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Event::Line { vm, stderr, text }) => {
                let echo = cfg.echo.then_some(cfg.echo_prefix.as_str());
                vms[vm].on_line(text, stderr, echo)
            }
            Ok(Event::Eof { vm }) => {
                let v = &mut vms[vm];
                v.open_streams -= 1;
                if v.open_streams == 0 {
                    v.reap(true);
                    if !v.ok() && v.stopped.is_none() && !v.timed_out && grace.is_none() {
                        grace = Some(Instant::now() + GRACE_AFTER_FAILURE);
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {}
        }
    }
    interrupted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs() {
        assert_eq!(mac(1), "52:54:00:00:00:01");
        assert_eq!(mac(9), "52:54:00:00:00:09");
        assert_eq!(mac(10), "52:54:00:00:00:0a");
        assert_eq!(mac(16), "52:54:00:00:00:10");
        assert_eq!(mac(255), "52:54:00:00:00:ff");
    }

    #[test]
    #[should_panic]
    fn mac_zero() {
        mac(0);
    }

    #[test]
    fn stale_names() {
        assert_eq!(stale_pid("vrctx-vm-123-4", NETNS_PREFIX), Some(123));
        assert_eq!(stale_pid("vrctx-vm-123", NETNS_PREFIX), None);
        assert_eq!(stale_pid("vrctx-vm-x-1", NETNS_PREFIX), None);
        assert_eq!(stale_pid("vrctx-vmrun-9-0", TMP_PREFIX), Some(9));
        assert_eq!(stale_pid("vrctx-vmrun-shell-9", TMP_PREFIX), None);
        assert!(pid_alive(std::process::id() as i32));
    }

    #[test]
    fn cmdline() {
        let c = kernel_cmdline(2, 3, "run", None, &["foo=1".into(), " ".into()]);
        assert!(c.starts_with("console=ttyS0 "));
        assert!(c.contains(" panic_on_warn=1 "));
        assert!(c.ends_with("vrctx.vmid=2 vrctx.vms=3 vrctx.mode=run foo=1"));
        let c = kernel_cmdline(1, 1, "run", Some(2_596_148), &[]);
        assert!(c.ends_with("vrctx.mode=run tsc_early_khz=2596148 tsc=reliable"));
    }

    #[test]
    fn payload_and_padding() {
        let dir = std::env::temp_dir().join(unique("vmrun-payload-test-"));
        fs::create_dir_all(dir.join("files/sub")).unwrap();
        fs::write(dir.join("files/sub/a.txt"), b"A").unwrap();
        std::os::unix::fs::symlink("sub/a.txt", dir.join("files/l")).unwrap();
        let p = guest_payload(b"exit 0\n", Some(&dir.join("files"))).unwrap();
        let s = String::from_utf8_lossy(&p);
        for name in [
            "vrctx/script",
            "vrctx/files/sub/a.txt",
            "vrctx/files/l",
            "TRAILER!!!",
        ] {
            assert!(s.contains(name), "{name} missing");
        }
        // base of odd length gets padded so the payload starts 4-aligned
        fs::write(dir.join("base"), b"12345").unwrap();
        write_initrd(&dir.join("base"), &p, &dir.join("out")).unwrap();
        let out = fs::read(dir.join("out")).unwrap();
        assert_eq!(&out[..8], b"12345\0\0\0");
        assert_eq!(&out[8..14], b"070701");
        fs::remove_dir_all(&dir).unwrap();
    }

    fn vm_with(lines: &[&str]) -> Vm {
        let mut v = Vm {
            id: 1,
            child: None,
            own_group: false,
            started: Instant::now(),
            open_streams: 0,
            status: None,
            ended: None,
            exit: None,
            problem: None,
            module_failures: vec![],
            init_wall: None,
            init_uptime: None,
            timed_out: false,
            stopped: None,
            last_stderr: None,
            fail_line: None,
            tail: VecDeque::new(),
            log: None,
        };
        for l in lines {
            v.on_line(l.to_string(), false, None);
        }
        v
    }

    #[test]
    fn console_state() {
        let v = vm_with(&[
            "@@VRCTX-INIT 0.70@@",
            "WARNING: script says",
            "@@VRCTX-TAINT 4096@@",
            "@@VRCTX-EXIT 0@@",
        ]);
        assert!(v.ok());
        assert_eq!(v.init_uptime, Some(0.70));
        let v = vm_with(&[
            "[    2.000000] WARNING: CPU: 0 PID: 1 at x",
            "@@VRCTX-EXIT 0@@",
        ]);
        assert!(!v.ok());
        assert!(v
            .summary(Duration::from_secs(1))
            .text
            .contains("KERNEL PROBLEM"));
        let v = vm_with(&["@@VRCTX-TAINT 512@@", "@@VRCTX-EXIT 0@@"]);
        assert!(!v.ok());
        let v = vm_with(&["@@VRCTX-MODULE-FAILED dhost.ko@@", "@@VRCTX-EXIT 0@@"]);
        assert!(!v.ok());
        let v = vm_with(&["@@VRCTX-EXIT 3@@"]);
        assert_eq!(v.exit, Some(3));
        // The test's own reason is in the one-line summary (the tail may
        // be all captures it dumped).
        let v = vm_with(&[
            "FAIL: ping: lost",
            "== /tmp/cap",
            "FAIL: 2nd",
            "@@VRCTX-EXIT 1@@",
        ]);
        let t = v.summary(Duration::from_secs(1)).text;
        assert!(t.starts_with("vm1: exit 1 (FAIL: ping: lost) ["), "{t}");
        let v = vm_with(&["FAIL: not fatal after all", "@@VRCTX-EXIT 0@@"]);
        assert!(v
            .summary(Duration::from_secs(1))
            .text
            .starts_with("vm1: exit 0 ["));
        let many: Vec<String> = (0..100).map(|i| format!("line {i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let v = vm_with(&refs);
        assert_eq!(v.tail.len(), TAIL_LINES);
        assert_eq!(v.tail.back().unwrap(), "line 99");
    }

    #[test]
    fn exit_codes() {
        let s = |exit: Option<i32>, timed_out: bool, problem: bool| VmSummary {
            id: 1,
            exit,
            timed_out,
            problem: problem.then(|| "x".to_string()),
            module_failures: vec![],
            init_wall: None,
            tail: vec![],
            text: String::new(),
        };
        let o = |vms: Vec<VmSummary>| Outcome {
            vms,
            interrupted: None,
            elapsed: Duration::ZERO,
        };
        assert_eq!(o(vec![s(Some(0), false, false)]).exit_code(), 0);
        assert!(o(vec![s(Some(0), false, false), s(Some(0), false, false)]).success());
        assert_eq!(o(vec![s(Some(3), false, false)]).exit_code(), 3);
        assert_eq!(
            o(vec![s(Some(0), false, false), s(Some(7), false, false)]).exit_code(),
            7
        );
        assert_eq!(o(vec![s(None, true, false)]).exit_code(), 124);
        assert_eq!(o(vec![s(Some(0), false, true)]).exit_code(), 125);
        assert_eq!(o(vec![s(None, false, false)]).exit_code(), 125);
        let mut i = o(vec![s(Some(0), false, false)]);
        i.interrupted = Some(libc::SIGINT);
        assert_eq!(i.exit_code(), 130);
        assert!(!i.success());
    }
}
