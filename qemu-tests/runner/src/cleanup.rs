//! Last-resort cleanup: every QEMU child and network namespace vmrun creates
//! is registered here, so a panic hook and the signal path can remove them
//! even when normal unwinding does not happen (the workspace's release
//! profile uses panic = "abort"). Normal paths clean up through `Drop`.
//!
//! SIGINT/SIGTERM/SIGHUP only set a flag; the run loop polls it, tears
//! everything down and vmrun exits with 128 + signal.

use std::process::Command;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};

static SIGNAL: AtomicI32 = AtomicI32::new(0);

#[derive(Default)]
struct Registry {
    pids: Vec<i32>,
    netns: Vec<String>,
    termios: Option<libc::termios>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

fn registry() -> MutexGuard<'static, Option<Registry>> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

fn with<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    let mut g = registry();
    f(g.get_or_insert_with(Registry::default))
}

extern "C" fn on_signal(sig: libc::c_int) {
    SIGNAL.store(sig, Ordering::SeqCst);
}

pub fn install() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: plain sigaction with a handler that only stores an atomic.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = libc::SA_RESTART;
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        emergency_cleanup();
        prev(info);
    }));
}

/// The signal received, if any.
pub fn signalled() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "signal",
    }
}

pub fn register_pid(pid: u32) {
    with(|r| r.pids.push(pid as i32));
}

pub fn unregister_pid(pid: u32) {
    with(|r| r.pids.retain(|p| *p != pid as i32));
}

pub fn register_netns(name: &str) {
    with(|r| r.netns.push(name.to_string()));
}

pub fn unregister_netns(name: &str) {
    with(|r| r.netns.retain(|n| n != name));
}

/// Remembers the terminal's settings (QEMU puts it in raw mode).
pub fn save_terminal() {
    // SAFETY: tcgetattr on fd 0 into a zeroed struct.
    unsafe {
        if libc::isatty(0) == 1 {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) == 0 {
                with(|r| r.termios = Some(t));
            }
        }
    }
}

pub fn restore_terminal() {
    if let Some(t) = with(|r| r.termios.take()) {
        // SAFETY: restoring settings read by tcgetattr.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &t);
        }
    }
}

/// Kills every registered child and deletes every registered namespace.
/// Used by the panic hook; must not block forever on the registry lock
/// (the panicking thread may hold it), but other threads (`vmrun suite
/// --jobs N`) only hold it briefly, so it retries for a while.
pub fn emergency_cleanup() {
    let mut g = None;
    for _ in 0..200 {
        match REGISTRY.try_lock() {
            Ok(l) => g = Some(l),
            Err(TryLockError::Poisoned(e)) => g = Some(e.into_inner()),
            Err(TryLockError::WouldBlock) => {
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            }
        }
        break;
    }
    let Some(mut g) = g else {
        return;
    };
    let Some(r) = g.as_mut() else {
        return;
    };
    for pid in r.pids.drain(..) {
        // SAFETY: sending a signal to a child we started.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
    }
    for ns in r.netns.drain(..) {
        let _ = Command::new("ip").args(["netns", "del", &ns]).status();
    }
    if let Some(t) = r.termios.take() {
        // SAFETY: restoring settings read by tcgetattr.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &t);
        }
    }
}
