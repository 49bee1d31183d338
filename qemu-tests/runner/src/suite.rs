//! `vmrun suite`: runs test files (one after another, or with `--jobs N`
//! up to N VMs at once, each test in a thread of its own with its own
//! namespace, temp files and log directory) and prints `PASS name (..)` /
//! `FAIL name: reason` per test as it finishes and a final
//! `N passed, M failed` line.

use std::collections::VecDeque;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::header::{self, Expect, Header};
use crate::vm::{self, Mode, Outcome, RunConfig, TAIL_LINES};
use crate::{cleanup, console};

pub struct SuiteConfig {
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    pub timeout: u64,
    pub mem_mb: u32,
    pub append: Option<String>,
    pub filter: Option<String>,
    pub log_dir: Option<PathBuf>,
    pub paths: Vec<PathBuf>,
    pub verbose: bool,
    /// At most this many VMs (host tests: one each) at once.
    pub jobs: u32,
}

pub struct TestFile {
    pub name: String,
    pub path: PathBuf,
    /// Found in a directory named `host`.
    pub in_host_dir: bool,
}

/// The `*.sh` files of each directory (sorted by name), directories in the
/// order given; a file argument is taken as it is.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<TestFile>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let host = p.file_name().is_some_and(|n| n == "host");
            let mut files: Vec<PathBuf> = fs::read_dir(p)
                .with_context(|| format!("reading {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "sh"))
                .collect();
            files.sort();
            out.extend(files.into_iter().map(|f| test_file(f, host)));
        } else if p.is_file() {
            let host = p
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n == "host");
            out.push(test_file(p.clone(), host));
        } else {
            bail!("no such test file or directory: {}", p.display());
        }
    }
    Ok(out)
}

fn test_file(path: PathBuf, in_host_dir: bool) -> TestFile {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    TestFile {
        name,
        path,
        in_host_dir,
    }
}

/// Whether a guest run met the test's expectation; Err holds the reason.
pub fn judge(expect: Expect, o: &Outcome) -> Result<(), String> {
    if let Some(sig) = o.interrupted {
        return Err(format!("interrupted by {}", cleanup::signal_name(sig)));
    }
    if let Some((id, p)) = o.kernel_problem() {
        return Err(format!("vm{id}: kernel problem: {p}"));
    }
    if let Some(v) = o.vms.iter().find(|v| !v.module_failures.is_empty()) {
        return Err(format!(
            "vm{}: module load failed: {}",
            v.id,
            v.module_failures.join(", ")
        ));
    }
    let all = || {
        o.vms
            .iter()
            .map(|v| v.text.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    match expect {
        Expect::Pass if o.success() => Ok(()),
        Expect::Pass => Err(o
            .vms
            .iter()
            .find(|v| !v.ok())
            .map_or_else(all, |v| v.text.clone())),
        Expect::Fail => {
            let failed = o.vms.iter().any(|v| matches!(v.exit, Some(n) if n != 0));
            let timed_out = o.vms.iter().any(|v| v.timed_out);
            if failed && !timed_out {
                Ok(())
            } else {
                Err(format!("expected a nonzero script status, got: {}", all()))
            }
        }
        Expect::Timeout => {
            if o.vms.iter().any(|v| v.timed_out) {
                Ok(())
            } else {
                Err(format!("expected a timeout, got: {}", all()))
            }
        }
    }
}

fn init_times(o: &Outcome) -> String {
    let t: Vec<String> = o
        .vms
        .iter()
        .map(|v| match v.init_wall {
            Some(w) => format!("{:.1}", w.as_secs_f64()),
            None => "-".into(),
        })
        .collect();
    format!("init after {} s", t.join("/"))
}

/// Slot accounting for `--jobs N`: every VM uses one host core (TCG,
/// `-smp 1`), so a guest test takes one slot per VM and a host test one
/// slot; a test needing more slots than there are takes them all (runs
/// alone).
#[derive(Debug)]
pub struct Slots {
    capacity: u32,
    used: u32,
}

impl Slots {
    pub fn new(capacity: u32) -> Slots {
        Slots {
            capacity: capacity.max(1),
            used: 0,
        }
    }

    /// The slots a test takes.
    pub fn need(&self, vms: u32, host: bool) -> u32 {
        let n = if host { 1 } else { vms.max(1) };
        n.min(self.capacity)
    }

    pub fn idle(&self) -> bool {
        self.used == 0
    }

    pub fn fits(&self, need: u32) -> bool {
        self.used + need <= self.capacity
    }

    pub fn take(&mut self, need: u32) {
        assert!(self.fits(need), "taking {need} slots with {self:?}");
        self.used += need;
    }

    pub fn release(&mut self, need: u32) {
        assert!(need <= self.used, "releasing {need} slots with {self:?}");
        self.used -= need;
    }
}

/// Tests waiting for slots, in order. Each start takes, of the pending
/// tests that fit in the free slots, the one needing the most slots (the
/// earliest of those): multi-VM tests start as soon as enough slots are free
/// (at the start of the suite) instead of waiting for the end, where they
/// would leave slots idle until every other test is done. With one slot,
/// tests run strictly in order.
pub struct Scheduler<T> {
    slots: Slots,
    pending: VecDeque<T>,
}

impl<T> Scheduler<T> {
    pub fn new(jobs: u32, items: impl IntoIterator<Item = T>) -> Scheduler<T> {
        Scheduler {
            slots: Slots::new(jobs),
            pending: items.into_iter().collect(),
        }
    }

    /// Takes out the pending item to start next (see above), if one fits,
    /// and takes its slots (returned with it). `demand` gives an item's VM
    /// count and whether it is a host test, or None to drop the item (it
    /// cannot run). Items are looked at in order, and only until one needs
    /// all the free slots (with one slot: only the first).
    pub fn start_next(
        &mut self,
        mut demand: impl FnMut(&mut T) -> Option<(u32, bool)>,
    ) -> Option<(T, u32)> {
        let free = self.slots.capacity - self.slots.used;
        let mut best: Option<(usize, u32)> = None;
        let mut i = 0;
        while free > 0 && i < self.pending.len() {
            let Some((vms, host)) = demand(&mut self.pending[i]) else {
                self.pending.remove(i);
                continue;
            };
            let need = self.slots.need(vms, host);
            if need <= free && best.is_none_or(|(_, n)| need > n) {
                best = Some((i, need));
                if need == free {
                    break;
                }
            }
            i += 1;
        }
        let (i, need) = best?;
        self.slots.take(need);
        self.pending.remove(i).map(|t| (t, need))
    }

    /// A started item that took `need` slots has finished.
    pub fn finish(&mut self, need: u32) {
        self.slots.release(need);
    }

    /// Nothing left to start.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

/// A test file read and its header parsed.
struct Prepared {
    text: Vec<u8>,
    header: Header,
    host: bool,
    timeout: u64,
}

fn prepare(t: &TestFile, default_timeout: u64) -> Result<Prepared, String> {
    let text = fs::read(&t.path).map_err(|e| format!("cannot read {}: {e}", t.path.display()))?;
    let header = header::parse(&String::from_utf8_lossy(&text)).map_err(|e| format!("{e:#}"))?;
    Ok(Prepared {
        host: header.host.unwrap_or(t.in_host_dir),
        timeout: header.timeout.unwrap_or(default_timeout),
        text,
        header,
    })
}

pub fn run(cfg: &SuiteConfig) -> Result<i32> {
    let mut tests = collect(&cfg.paths)?;
    if let Some(f) = &cfg.filter {
        tests.retain(|t| t.name.contains(f.as_str()));
    }
    if tests.is_empty() {
        bail!("no tests found");
    }
    let kernel = fs::canonicalize(&cfg.kernel)
        .with_context(|| format!("kernel {}", cfg.kernel.display()))?;
    let initrd = fs::canonicalize(&cfg.initrd)
        .with_context(|| format!("initrd {}", cfg.initrd.display()))?;
    let (mut passed, mut failed) = (0, 0);
    let mut interrupted = None;
    let parallel = cfg.jobs > 1;
    let mut sched = Scheduler::new(cfg.jobs, (0..tests.len()).map(|i| (i, None)));
    let mut running = 0;
    let (tx, rx) = mpsc::channel::<(u32, thread::Result<TestResult>)>();
    thread::scope(|scope| {
        loop {
            if interrupted.is_none() {
                interrupted = cleanup::signalled();
            }
            while interrupted.is_none() {
                // Tests are read and parsed when the scheduler first looks
                // at them.
                let next = sched.start_next(|(i, p): &mut (usize, Option<Prepared>)| {
                    if p.is_none() {
                        match prepare(&tests[*i], cfg.timeout) {
                            Ok(x) => *p = Some(x),
                            Err(e) => {
                                println!("FAIL {}: {e}", tests[*i].name);
                                failed += 1;
                                return None;
                            }
                        }
                    }
                    p.as_ref().map(|p| (p.header.vms, p.host))
                });
                let Some(((i, p), need)) = next else {
                    break;
                };
                let t = &tests[i];
                let p = p.expect("prepared");
                if cfg.verbose {
                    println!(
                        "---- {} ({} VM(s), timeout {} s{})",
                        t.name,
                        p.header.vms,
                        p.timeout,
                        if p.host { ", host" } else { "" }
                    );
                }
                running += 1;
                let tx = tx.clone();
                let (kernel, initrd) = (&kernel, &initrd);
                scope.spawn(move || {
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run_test(cfg, t, &p, kernel, initrd, parallel)
                    }));
                    let _ = tx.send((need, r));
                });
            }
            if running == 0 && (sched.is_empty() || interrupted.is_some()) {
                break;
            }
            let (need, r) = rx.recv().expect("a running test reports");
            running -= 1;
            sched.finish(need);
            let r = match r {
                Ok(r) => r,
                // The panic hook has already torn down every VM.
                Err(p) => std::panic::resume_unwind(p),
            };
            if r.interrupted.is_some() {
                interrupted = interrupted.or(r.interrupted);
            }
            match &r.verdict {
                Ok(()) => passed += 1,
                Err(_) => failed += 1,
            }
            print!("{}", report(&r));
        }
        debug_assert!(sched.slots.idle());
    });
    println!("{passed} passed, {failed} failed");
    Ok(match interrupted {
        Some(sig) => 128 + sig,
        None if failed > 0 => 1,
        None => 0,
    })
}

/// One test's `PASS`/`FAIL` block (printed with one `print!`, so blocks of
/// tests finishing together never interleave).
fn report(r: &TestResult) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    match &r.verdict {
        Ok(()) => {
            let _ = writeln!(s, "PASS {} ({})", r.name, r.time);
        }
        Err(reason) => {
            let _ = writeln!(s, "FAIL {}: {reason}", r.name);
            for (label, lines) in &r.tails {
                let _ = writeln!(s, "  --- last {} console lines of {label}:", lines.len());
                for l in lines {
                    let _ = writeln!(s, "  {label}| {l}");
                }
            }
        }
    }
    s
}

/// Runs one test (in a thread of its own).
fn run_test(
    cfg: &SuiteConfig,
    t: &TestFile,
    p: &Prepared,
    kernel: &Path,
    initrd: &Path,
    parallel: bool,
) -> TestResult {
    let log_dir = cfg.log_dir.as_ref().map(|d| d.join(&t.name));
    let echo_prefix = if parallel {
        format!("[{}] ", t.name)
    } else {
        String::new()
    };
    let mut result = if p.host {
        run_host(
            t,
            &p.header,
            p.timeout,
            kernel,
            initrd,
            cfg.verbose.then_some(echo_prefix.as_str()),
            log_dir.as_deref(),
        )
    } else {
        let mut append: Vec<String> = cfg.append.iter().cloned().collect();
        append.extend(p.header.append.iter().cloned());
        let rc = RunConfig {
            kernel: kernel.to_path_buf(),
            initrd: initrd.to_path_buf(),
            vms: p.header.vms,
            timeout: Duration::from_secs(p.timeout),
            mem_mb: p.header.mem.unwrap_or(cfg.mem_mb),
            append,
            log_dir,
            echo: cfg.verbose,
            echo_prefix,
            icount: None,
            mode: Mode::Run {
                script: p.text.clone(),
                files: None,
            },
        };
        match vm::run(&rc) {
            Ok(o) => {
                let verdict = judge(p.header.expect, &o);
                let time = format!("{:.1} s; {}", o.elapsed.as_secs_f64(), init_times(&o));
                let tails = if verdict.is_err() {
                    failing_tails(&o, p.header.expect)
                } else {
                    vec![]
                };
                TestResult {
                    name: String::new(),
                    verdict,
                    time,
                    tails,
                    interrupted: o.interrupted,
                }
            }
            Err(e) => TestResult {
                name: String::new(),
                verdict: Err(format!("{e:#}")),
                time: String::new(),
                tails: vec![],
                interrupted: None,
            },
        }
    };
    result.name = t.name.clone();
    result
}

struct TestResult {
    name: String,
    verdict: Result<(), String>,
    time: String,
    tails: Vec<(String, Vec<String>)>,
    /// A guest run stopped by a signal.
    interrupted: Option<i32>,
}

fn failing_tails(o: &Outcome, expect: Expect) -> Vec<(String, Vec<String>)> {
    let bad: Vec<_> = o
        .vms
        .iter()
        .filter(|v| expect != Expect::Pass || !v.ok())
        .collect();
    let pick = if bad.is_empty() {
        o.vms.iter().collect()
    } else {
        bad
    };
    pick.into_iter()
        .map(|v| (format!("vm{}", v.id), v.tail.clone()))
        .collect()
}

/// A host test: the file runs on the host (directly if executable, else with
/// sh) with VMRUN, KERNEL and INITRD in its environment, in its own process
/// group, which gets SIGTERM (then SIGKILL) on timeout or interruption.
fn run_host(
    t: &TestFile,
    h: &Header,
    timeout: u64,
    kernel: &Path,
    initrd: &Path,
    echo: Option<&str>,
    log_dir: Option<&Path>,
) -> TestResult {
    let start = Instant::now();
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("vmrun"));
    let executable = fs::metadata(&t.path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0);
    let mut cmd = if executable {
        Command::new(&t.path)
    } else {
        let mut c = Command::new("sh");
        c.arg(&t.path);
        c
    };
    cmd.env("VMRUN", &exe)
        .env("KERNEL", kernel)
        .env("INITRD", initrd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::setpgid(0, 0);
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    let fail = |reason: String| TestResult {
        name: String::new(),
        interrupted: None,
        verdict: Err(reason),
        time: String::new(),
        tails: vec![],
    };
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot start {}: {e}", t.path.display())),
    };
    cleanup::register_pid(child.id());
    let pgid = child.id() as i32;
    let (tx, rx) = mpsc::channel::<Option<String>>();
    let readers: Vec<Box<dyn Read + Send>> = vec![
        Box::new(child.stdout.take().expect("piped")),
        Box::new(child.stderr.take().expect("piped")),
    ];
    for r in readers {
        let tx = tx.clone();
        thread::spawn(move || {
            let mut r = BufReader::new(r);
            let mut buf = Vec::new();
            while let Ok(n) = r.read_until(b'\n', &mut buf) {
                if n == 0 {
                    break;
                }
                let _ = tx.send(Some(console::clean_line(&buf)));
                buf.clear();
            }
            let _ = tx.send(None);
        });
    }
    drop(tx);
    let mut log = log_dir.and_then(|d| {
        fs::create_dir_all(d).ok()?;
        fs::File::create(d.join("host.log")).ok()
    });
    let mut tail = VecDeque::new();
    let deadline = start + Duration::from_secs(timeout);
    let mut open = 2;
    let mut timed_out = false;
    let mut interrupted = None;
    let mut term_sent: Option<Instant> = None;
    while open > 0 {
        let now = Instant::now();
        if term_sent.is_none() {
            if let Some(sig) = cleanup::signalled() {
                interrupted = Some(sig);
            }
            if now >= deadline {
                timed_out = true;
            }
            if timed_out || interrupted.is_some() {
                // SAFETY: signalling the test's own process group.
                unsafe { libc::kill(-pgid, libc::SIGTERM) };
                term_sent = Some(now);
            }
        } else if term_sent.is_some_and(|s| now > s + Duration::from_secs(15)) {
            // SAFETY: as above.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Some(l)) => {
                if let Some(prefix) = echo {
                    println!("{prefix}[host] {l}");
                }
                if let Some(f) = log.as_mut() {
                    use std::io::Write;
                    let _ = writeln!(f, "{l}");
                }
                if tail.len() == TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(l);
            }
            Ok(None) => open -= 1,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let status = child.wait();
    cleanup::unregister_pid(child.id());
    let time = format!("{:.1} s", start.elapsed().as_secs_f64());
    let code = status.as_ref().ok().and_then(|s| s.code());
    let verdict = if let Some(sig) = interrupted {
        Err(format!("interrupted by {}", cleanup::signal_name(sig)))
    } else {
        match (h.expect, timed_out, code) {
            (Expect::Timeout, true, _) => Ok(()),
            (_, true, _) => Err(format!("timed out after {timeout} s")),
            (Expect::Pass, false, Some(0)) => Ok(()),
            (Expect::Fail, false, Some(n)) if n != 0 => Ok(()),
            (_, false, _) => Err(format!(
                "host test exited with {:?}",
                status.map(|s| s.to_string())
            )),
        }
    };
    let tails = if verdict.is_err() {
        vec![("host".to_string(), tail.into())]
    } else {
        vec![]
    };
    TestResult {
        name: String::new(),
        verdict,
        time,
        tails,
        interrupted: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::VmSummary;

    fn vm(id: u32, exit: Option<i32>, timed_out: bool, problem: Option<&str>) -> VmSummary {
        VmSummary {
            id,
            exit,
            timed_out,
            problem: problem.map(String::from),
            module_failures: vec![],
            init_wall: None,
            tail: vec![],
            text: format!("vm{id}: ..."),
        }
    }

    fn o(vms: Vec<VmSummary>) -> Outcome {
        Outcome {
            vms,
            interrupted: None,
            elapsed: Duration::ZERO,
        }
    }

    /// Runs items (name, vms, host, duration) through a Scheduler with a
    /// simulated clock; returns (start time, name, slots) per start and the
    /// most slots ever in use.
    fn simulate(
        jobs: u32,
        items: &[(&'static str, u32, bool, u32)],
    ) -> (Vec<(u32, &'static str, u32)>, u32) {
        let mut s = Scheduler::new(jobs, items.iter().copied());
        let mut now = 0;
        let mut running: Vec<(u32, u32)> = vec![]; // (end, need)
        let mut starts = vec![];
        let mut peak = 0;
        loop {
            while let Some(((name, _, _, d), need)) = s.start_next(|t| Some((t.1, t.2))) {
                starts.push((now, name, need));
                running.push((now + d, need));
            }
            peak = peak.max(running.iter().map(|r| r.1).sum());
            assert!(peak <= jobs.max(1));
            if running.is_empty() {
                assert!(s.is_empty());
                break;
            }
            running.sort();
            let (end, need) = running.remove(0);
            now = end;
            s.finish(need);
        }
        assert!(s.slots.idle());
        (starts, peak)
    }

    #[test]
    fn slots() {
        let mut s = Slots::new(2);
        assert_eq!(s.need(1, false), 1);
        assert_eq!(s.need(2, false), 2);
        assert_eq!(s.need(5, false), 2, "more VMs than slots: all of them");
        assert_eq!(s.need(3, true), 1, "a host test takes one slot");
        assert_eq!(s.need(0, false), 1);
        assert!(s.idle() && s.fits(2));
        s.take(1);
        assert!(s.fits(1) && !s.fits(2));
        s.take(1);
        assert!(!s.fits(1));
        s.release(2);
        assert!(s.idle());
        assert_eq!(Slots::new(0).need(2, false), 1, "at least one slot");
    }

    #[test]
    #[should_panic]
    fn slots_overcommit() {
        let mut s = Slots::new(2);
        s.take(2);
        s.take(1);
    }

    #[test]
    fn one_job_keeps_order() {
        let items = [
            ("a", 1, false, 5),
            ("b", 2, false, 1),
            ("c", 9, false, 3),
            ("d", 1, true, 2),
        ];
        let (starts, peak) = simulate(1, &items);
        assert_eq!(starts, [(0, "a", 1), (5, "b", 1), (6, "c", 1), (9, "d", 1)]);
        assert_eq!(peak, 1);
    }

    #[test]
    fn two_jobs_count_vms() {
        let items = [
            ("a", 1, false, 10),
            ("b", 1, false, 4),
            ("c", 2, false, 3),
            ("d", 1, true, 3),
            ("e", 3, false, 2),
            ("f", 1, false, 1),
            ("g", 1, false, 5),
        ];
        let (starts, peak) = simulate(2, &items);
        assert_eq!(
            starts,
            [
                (0, "c", 2), // most slots first, while all are free
                (3, "e", 2), // 3 VMs > 2 slots: runs alone
                (5, "a", 1),
                (5, "b", 1),
                (9, "d", 1), // host test: one slot
                (12, "f", 1),
                (13, "g", 1),
            ]
        );
        assert_eq!(peak, 2);
        // A multi-VM test waits for its slots while one-slot tests go on.
        let items = [("a", 1, false, 10), ("b", 2, false, 4), ("c", 1, false, 3)];
        let mut s = Scheduler::new(2, items);
        assert_eq!(s.start_next(|t| Some((t.1, t.2))).unwrap().0 .0, "b");
        assert!(s.start_next(|t| Some((t.1, t.2))).is_none());
        s.finish(2);
        assert_eq!(s.start_next(|t| Some((t.1, t.2))).unwrap().0 .0, "a");
        assert_eq!(s.start_next(|t| Some((t.1, t.2))).unwrap().0 .0, "c");
        assert_eq!(
            simulate(3, &items).0,
            [(0, "b", 2), (0, "a", 1), (4, "c", 1)]
        );
    }

    #[test]
    fn dropped_items_are_skipped() {
        let mut s = Scheduler::new(2, [(1, false), (0, false), (1, false), (1, false)]);
        // (VMs 0 stands for "cannot run" here.)
        let looked = std::cell::Cell::new(0);
        let mut demand = |t: &mut (u32, bool)| {
            looked.set(looked.get() + 1);
            (t.0 > 0).then_some(*t)
        };
        assert_eq!(s.start_next(&mut demand), Some(((1, false), 1)));
        assert_eq!(s.start_next(&mut demand), Some(((1, false), 1)));
        // The first call looks at all four (none needs both slots), the
        // second stops at the first that needs the one free slot; when full,
        // nothing is looked at.
        assert_eq!(looked.get(), 5);
        assert_eq!(s.start_next(&mut demand), None);
        assert_eq!(looked.get(), 5);
        assert!(!s.is_empty());
        s.finish(1);
        assert_eq!(s.start_next(&mut demand), Some(((1, false), 1)));
        assert!(s.is_empty());
    }

    #[test]
    fn expectations() {
        let ok = o(vec![
            vm(1, Some(0), false, None),
            vm(2, Some(0), false, None),
        ]);
        assert!(judge(Expect::Pass, &ok).is_ok());
        assert!(judge(Expect::Fail, &ok).is_err());
        assert!(judge(Expect::Timeout, &ok).is_err());

        let failed = o(vec![vm(1, Some(3), false, None)]);
        assert!(judge(Expect::Pass, &failed).is_err());
        assert!(judge(Expect::Fail, &failed).is_ok());

        let hung = o(vec![vm(1, None, true, None)]);
        assert!(judge(Expect::Timeout, &hung).is_ok());
        assert!(judge(Expect::Fail, &hung).is_err());
        assert!(judge(Expect::Pass, &hung).is_err());

        // A kernel problem fails every expectation.
        let warn = o(vec![vm(1, Some(3), false, Some("[ 1.000000] WARNING: x"))]);
        assert!(judge(Expect::Fail, &warn)
            .unwrap_err()
            .contains("kernel problem"));
        let warn = o(vec![vm(1, None, true, Some("[ 1.000000] BUG: y"))]);
        assert!(judge(Expect::Timeout, &warn).is_err());

        let mut i = o(vec![vm(1, Some(0), false, None)]);
        i.interrupted = Some(libc::SIGTERM);
        assert!(judge(Expect::Pass, &i).unwrap_err().contains("SIGTERM"));
    }

    #[test]
    fn collects_sorted_sh_files() {
        let d = std::env::temp_dir().join(format!("vmrun-collect-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("host")).unwrap();
        for f in ["20-b.sh", "00-a.sh", "README.md", "10-c.sh"] {
            fs::write(d.join(f), "").unwrap();
        }
        fs::write(d.join("host/01-h.sh"), "").unwrap();
        let t = collect(&[d.clone(), d.join("host")]).unwrap();
        let names: Vec<_> = t.iter().map(|t| (t.name.as_str(), t.in_host_dir)).collect();
        assert_eq!(
            names,
            [
                ("00-a", false),
                ("10-c", false),
                ("20-b", false),
                ("01-h", true)
            ]
        );
        assert!(collect(&[d.join("nope")]).is_err());
        fs::remove_dir_all(&d).unwrap();
    }
}
