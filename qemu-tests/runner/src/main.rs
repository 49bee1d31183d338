//! vmrun: boots the vrctx test kernel in QEMU VMs joined by a private L2
//! segment (a bridge and taps inside a network namespace vmrun creates and
//! always removes) and runs guest test scripts. See qemu-tests/README.md.

mod cleanup;
mod clock;
mod console;
mod cpio;
mod header;
mod suite;
mod vm;

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};

const DEFAULT_TIMEOUT: u64 = 300;

#[derive(Parser)]
#[command(name = "vmrun", about = "Run vrctx guest tests in QEMU VMs")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Boot VMs, run SCRIPT in each, report. Exit status: 0 if every VM's
    /// script exited 0 with no kernel problem; else the first nonzero script
    /// status, 124 on timeout, 125 on a kernel problem, 128+N on signal N.
    Run(RunArgs),
    /// Run every test file (*.sh) of the given directories.
    Suite(SuiteArgs),
    /// Boot VMs with an interactive shell on VM 1's console (Ctrl-A x quits).
    Shell(ShellArgs),
}

#[derive(Args)]
struct Boot {
    /// Kernel image (bzImage)
    #[arg(long)]
    kernel: PathBuf,
    /// Base initramfs (scripts/mkinitramfs.sh)
    #[arg(long)]
    initrd: PathBuf,
    /// Guest memory in MB
    #[arg(long, default_value_t = 512)]
    mem: u32,
    /// Extra kernel command line
    #[arg(long)]
    append: Option<String>,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    boot: Boot,
    /// Number of VMs
    #[arg(long, default_value_t = 1)]
    vms: u32,
    /// Seconds before the VMs are killed (default: $TIMEOUT, else 300)
    #[arg(long)]
    timeout: Option<u64>,
    /// Write each VM's console to DIR/vmN.log
    #[arg(long)]
    log_dir: Option<PathBuf>,
    /// Directory shipped to the guests as /vrctx/files
    #[arg(long)]
    files: Option<PathBuf>,
    /// Do not print console lines as they arrive
    #[arg(long, short)]
    quiet: bool,
    /// Run the guest under QEMU's icount (TCG only): every guest
    /// instruction advances the guest's clocks by 2^SHIFT ns, so times
    /// measured inside count instructions, not host time
    #[arg(long, value_name = "SHIFT", value_parser = clap::value_parser!(u8).range(0..=10))]
    icount: Option<u8>,
    /// Guest script (busybox sh); `-` reads it from stdin
    script: PathBuf,
}

#[derive(Args)]
struct SuiteArgs {
    #[command(flatten)]
    boot: Boot,
    /// Default per-test timeout in seconds (a `# timeout:` header wins;
    /// default: $TIMEOUT, else 300)
    #[arg(long)]
    timeout: Option<u64>,
    /// Only run tests whose name contains SUBSTR
    #[arg(long)]
    filter: Option<String>,
    /// Keep consoles in DIR/<test>/vmN.log
    #[arg(long)]
    log_dir: Option<PathBuf>,
    /// Print every console line as it arrives (prefixed with the test name
    /// when --jobs > 1)
    #[arg(long, short)]
    verbose: bool,
    /// Run tests in parallel with at most N VMs at once (a host test counts
    /// as one; a test with more VMs than N runs alone). Default:
    /// $VMRUN_JOBS, else 1
    #[arg(long, short = 'j')]
    jobs: Option<u32>,
    /// Test directories (their *.sh files, sorted) or test files
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Args)]
struct ShellArgs {
    #[command(flatten)]
    boot: Boot,
    /// Number of VMs (consoles of VMs 2.. go to log files)
    #[arg(long, default_value_t = 1)]
    vms: u32,
    /// Where the other VMs' consoles go (default: a directory in /tmp)
    #[arg(long)]
    log_dir: Option<PathBuf>,
}

fn timeout(flag: Option<u64>) -> Result<u64> {
    if let Some(t) = flag {
        return Ok(t);
    }
    match std::env::var("TIMEOUT") {
        Ok(s) if !s.trim().is_empty() => s
            .trim()
            .parse()
            .with_context(|| format!("TIMEOUT={s:?} is not a number of seconds")),
        _ => Ok(DEFAULT_TIMEOUT),
    }
}

fn jobs(flag: Option<u32>) -> Result<u32> {
    let n = match flag {
        Some(n) => n,
        None => match std::env::var("VMRUN_JOBS") {
            Ok(s) if !s.trim().is_empty() => s
                .trim()
                .parse()
                .with_context(|| format!("VMRUN_JOBS={s:?} is not a number"))?,
            _ => 1,
        },
    };
    if n == 0 {
        bail!("--jobs must be at least 1");
    }
    Ok(n)
}

fn print_summary(o: &vm::Outcome) {
    for v in &o.vms {
        println!("vmrun: {}", v.text);
    }
    if let Some(sig) = o.interrupted {
        eprintln!("vmrun: interrupted by {}", cleanup::signal_name(sig));
    }
}

fn main() {
    cleanup::install();
    let code = match real_main() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vmrun: error: {e:#}");
            match cleanup::signalled() {
                Some(sig) => 128 + sig,
                None => 2,
            }
        }
    };
    std::process::exit(code);
}

fn real_main() -> Result<i32> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Run(a) => {
            let script = if a.script.as_os_str() == "-" {
                let mut b = Vec::new();
                std::io::stdin().read_to_end(&mut b)?;
                b
            } else {
                std::fs::read(&a.script)
                    .with_context(|| format!("reading script {}", a.script.display()))?
            };
            if let Some(f) = &a.files {
                if !f.is_dir() {
                    bail!("--files {}: not a directory", f.display());
                }
            }
            let t = timeout(a.timeout)?;
            let cfg = vm::RunConfig {
                kernel: a.boot.kernel,
                initrd: a.boot.initrd,
                vms: a.vms,
                timeout: Duration::from_secs(t),
                mem_mb: a.boot.mem,
                append: a.boot.append.into_iter().collect(),
                log_dir: a.log_dir,
                echo: !a.quiet,
                echo_prefix: String::new(),
                icount: a.icount,
                mode: vm::Mode::Run {
                    script,
                    files: a.files,
                },
            };
            let o = vm::run(&cfg)?;
            print_summary(&o);
            Ok(o.exit_code())
        }
        Cmd::Suite(a) => suite::run(&suite::SuiteConfig {
            kernel: a.boot.kernel,
            initrd: a.boot.initrd,
            timeout: timeout(a.timeout)?,
            mem_mb: a.boot.mem,
            append: a.boot.append,
            filter: a.filter,
            log_dir: a.log_dir,
            paths: a.paths,
            verbose: a.verbose,
            jobs: jobs(a.jobs)?,
        }),
        Cmd::Shell(a) => {
            let log_dir = match a.log_dir {
                Some(d) => d,
                None => {
                    std::env::temp_dir().join(format!("vrctx-vmrun-shell-{}", std::process::id()))
                }
            };
            if a.vms > 1 {
                eprintln!(
                    "vmrun: consoles of vm2..vm{} go to {}/",
                    a.vms,
                    log_dir.display()
                );
            }
            let cfg = vm::RunConfig {
                kernel: a.boot.kernel,
                initrd: a.boot.initrd,
                vms: a.vms,
                timeout: Duration::MAX,
                mem_mb: a.boot.mem,
                append: a.boot.append.into_iter().collect(),
                log_dir: (a.vms > 1).then_some(log_dir),
                echo: false,
                echo_prefix: String::new(),
                icount: None,
                mode: vm::Mode::Shell,
            };
            let o = vm::run(&cfg)?;
            print_summary(&o);
            Ok(o.interrupted.map(|s| 128 + s).unwrap_or(0))
        }
    }
}
