//! `vmrun suite`: runs test files one after another and prints
//! `PASS name (..)` / `FAIL name: reason` per test and a final
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
    for t in &tests {
        if let Some(sig) = cleanup::signalled() {
            interrupted = Some(sig);
            break;
        }
        let text = match fs::read(&t.path) {
            Ok(b) => b,
            Err(e) => {
                println!("FAIL {}: cannot read {}: {e}", t.name, t.path.display());
                failed += 1;
                continue;
            }
        };
        let h = match header::parse(&String::from_utf8_lossy(&text)) {
            Ok(h) => h,
            Err(e) => {
                println!("FAIL {}: {e:#}", t.name);
                failed += 1;
                continue;
            }
        };
        let timeout = h.timeout.unwrap_or(cfg.timeout);
        let log_dir = cfg.log_dir.as_ref().map(|d| d.join(&t.name));
        let host = h.host.unwrap_or(t.in_host_dir);
        if cfg.verbose {
            println!(
                "---- {} ({} VM(s), timeout {timeout} s{})",
                t.name,
                h.vms,
                if host { ", host" } else { "" }
            );
        }
        let result = if host {
            run_host(
                t,
                &h,
                timeout,
                &kernel,
                &initrd,
                cfg.verbose,
                log_dir.as_deref(),
            )
        } else {
            let mut append: Vec<String> = cfg.append.iter().cloned().collect();
            append.extend(h.append.iter().cloned());
            let rc = RunConfig {
                kernel: kernel.clone(),
                initrd: initrd.clone(),
                vms: h.vms,
                timeout: Duration::from_secs(timeout),
                mem_mb: h.mem.unwrap_or(cfg.mem_mb),
                append,
                log_dir,
                echo: cfg.verbose,
                mode: Mode::Run {
                    script: text,
                    files: None,
                },
            };
            match vm::run(&rc) {
                Ok(o) => {
                    if let Some(sig) = o.interrupted {
                        interrupted = Some(sig);
                    }
                    let verdict = judge(h.expect, &o);
                    let time = format!("{:.1} s; {}", o.elapsed.as_secs_f64(), init_times(&o));
                    let tails = if verdict.is_err() {
                        failing_tails(&o, h.expect)
                    } else {
                        vec![]
                    };
                    TestResult {
                        verdict,
                        time,
                        tails,
                    }
                }
                Err(e) => TestResult {
                    verdict: Err(format!("{e:#}")),
                    time: String::new(),
                    tails: vec![],
                },
            }
        };
        match result.verdict {
            Ok(()) => {
                passed += 1;
                println!("PASS {} ({})", t.name, result.time);
            }
            Err(reason) => {
                failed += 1;
                println!("FAIL {}: {reason}", t.name);
                for (label, lines) in &result.tails {
                    println!("  --- last {} console lines of {label}:", lines.len());
                    for l in lines {
                        println!("  {label}| {l}");
                    }
                }
            }
        }
        if interrupted.is_some() {
            break;
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(match interrupted {
        Some(sig) => 128 + sig,
        None if failed > 0 => 1,
        None => 0,
    })
}

struct TestResult {
    verdict: Result<(), String>,
    time: String,
    tails: Vec<(String, Vec<String>)>,
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
    verbose: bool,
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
                if verbose {
                    println!("[host] {l}");
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
        verdict,
        time,
        tails,
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
