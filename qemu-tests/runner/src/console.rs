//! Reading a guest's serial console: the markers printed by the guest's
//! /init (qemu-tests/guest/init) and the kernel-problem detector.
//!
//! Kernel-problem rule: a line counts as a kernel message only if it carries
//! the kernel's printk timestamp `[    1.234567]` (vmrun boots with
//! `printk.time=1`, so every console line from the kernel has one). The
//! timestamp may appear anywhere in the line, since kernel output can land in
//! the middle of a line a program was printing. The text after the timestamp
//! is checked against [`PROBLEMS`]. A script that prints "WARNING: x" itself
//! is therefore not a kernel problem; one that writes a timestamped line
//! (or writes to /dev/kmsg) is. "Kernel panic - not syncing" counts anywhere.

/// What the guest's /init reports, one marker per line: `@@VRCTX-<KIND> <arg>@@`.
#[derive(Debug, Clone, PartialEq)]
pub enum Marker {
    /// /init started; the guest's uptime in seconds.
    Init(f64),
    /// The test script's exit status.
    Exit(i32),
    /// insmod of a module failed.
    ModuleFailed(String),
    /// kmemleak found suspected leaks after the script.
    Kmemleak(String),
    /// /proc/sys/kernel/tainted after the script.
    Taint(u64),
}

pub fn parse_marker(line: &str) -> Option<Marker> {
    const OPEN: &str = "@@VRCTX-";
    let start = line.find(OPEN)? + OPEN.len();
    let rest = &line[start..];
    let body = &rest[..rest.find("@@")?];
    let (kind, arg) = body.split_once(' ').unwrap_or((body, ""));
    let arg = arg.trim();
    match kind {
        "INIT" => arg.parse().ok().map(Marker::Init),
        "EXIT" => arg.parse().ok().map(Marker::Exit),
        "MODULE-FAILED" => Some(Marker::ModuleFailed(arg.to_string())),
        "KMEMLEAK" => Some(Marker::Kmemleak(arg.to_string())),
        "TAINT" => arg.parse().ok().map(Marker::Taint),
        _ => None,
    }
}

/// Substrings that make a kernel message a problem.
pub const PROBLEMS: &[&str] = &[
    "WARNING:",
    "BUG:",
    "Oops",
    "Kernel panic",
    "general protection fault",
    "possible circular locking dependency",
    "possible recursive locking",
    "inconsistent lock state",
    "suspicious RCU usage",
    "UBSAN:",
    "panicked at",
    "Call Trace:",
];

/// Kernel messages that match [`PROBLEMS`] but are known to be harmless.
pub const BENIGN: &[&str] = &[];

/// If `line` contains a kernel printk timestamp, the text after it.
pub fn kernel_message(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    let mut i = 0;
    while let Some(off) = line[i..].find('[') {
        let s = i + off;
        let mut j = s + 1;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        let d0 = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > d0 && j < b.len() && b[j] == b'.' {
            j += 1;
            let f0 = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j - f0 == 6 && j < b.len() && b[j] == b']' {
                return Some(&line[j + 1..]);
            }
        }
        i = s + 1;
    }
    None
}

/// Whether this console line reports a kernel problem (see the module doc).
pub fn kernel_problem(line: &str) -> bool {
    if line.contains("Kernel panic - not syncing") {
        return true;
    }
    let Some(msg) = kernel_message(line) else {
        return false;
    };
    if BENIGN.iter().any(|p| msg.contains(p)) {
        return false;
    }
    PROBLEMS.iter().any(|p| msg.contains(p))
        || (msg.contains("INFO: task ") && msg.contains(" blocked"))
        || (msg.contains("kmemleak:") && msg.contains("suspected memory leak"))
}

/// Taint flags that mean something went wrong (B: bad page, D: oops/BUG,
/// W: warning, L: soft lockup). Out-of-tree/unsigned module taints are fine.
pub fn bad_taint(taint: u64) -> Option<String> {
    let flags = [(5, 'B'), (7, 'D'), (9, 'W'), (14, 'L')];
    let s: String = flags
        .iter()
        .filter(|(bit, _)| taint & (1 << bit) != 0)
        .map(|(_, c)| *c)
        .collect();
    (!s.is_empty()).then(|| format!("kernel tainted {taint} ({s})"))
}

/// Removes carriage returns and other control characters except tab.
pub fn clean_line(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .chars()
        .filter(|c| !c.is_control() || *c == '\t')
        .collect()
}

/// `line`, cut to at most `max` characters (marked with "...").
pub fn shorten(line: &str, max: usize) -> String {
    match line.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &line[..i]),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortened() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcd", 3), "abc...");
        assert_eq!(shorten("ééé", 2), "éé...");
    }

    #[test]
    fn markers() {
        assert_eq!(parse_marker("@@VRCTX-EXIT 0@@"), Some(Marker::Exit(0)));
        assert_eq!(parse_marker("@@VRCTX-EXIT 3@@"), Some(Marker::Exit(3)));
        assert_eq!(
            parse_marker("junk@@VRCTX-EXIT 255@@ more"),
            Some(Marker::Exit(255))
        );
        assert_eq!(
            parse_marker("@@VRCTX-INIT 0.71@@"),
            Some(Marker::Init(0.71))
        );
        assert_eq!(
            parse_marker("@@VRCTX-MODULE-FAILED dhost.ko@@"),
            Some(Marker::ModuleFailed("dhost.ko".into()))
        );
        assert_eq!(
            parse_marker("@@VRCTX-TAINT 4096@@"),
            Some(Marker::Taint(4096))
        );
        assert!(matches!(
            parse_marker("@@VRCTX-KMEMLEAK 2 suspected memory leaks@@"),
            Some(Marker::Kmemleak(_))
        ));
        assert_eq!(parse_marker("@@VRCTX-EXIT @@"), None);
        assert_eq!(parse_marker("@@VRCTX-EXIT 1"), None);
        assert_eq!(parse_marker("VRCTX-EXIT 0"), None);
        assert_eq!(parse_marker("@@VRCTX-BOGUS 1@@"), None);
        assert_eq!(parse_marker("exit 0"), None);
    }

    #[test]
    fn timestamps() {
        assert_eq!(kernel_message("[    1.234567] hello"), Some(" hello"));
        assert_eq!(kernel_message("[12345.000001] x"), Some(" x"));
        assert_eq!(
            kernel_message("output[    2.000000] WARNING: y"),
            Some(" WARNING: y")
        );
        assert_eq!(kernel_message("[1.23] x"), None);
        assert_eq!(kernel_message("[ abc ] [    1.5] x"), None);
        assert_eq!(kernel_message("[    ] x"), None);
        assert_eq!(kernel_message("no brackets"), None);
        assert_eq!(kernel_message("[[    0.100000] x"), Some(" x"));
    }

    #[test]
    fn true_positives() {
        for l in [
            "[    3.141592] WARNING: CPU: 0 PID: 1 at net/core/dev.c:123 foo+0x1/0x2",
            "[    3.141592] BUG: kernel NULL pointer dereference, address: 0000000000000000",
            "[    3.141592] Oops: general protection fault, probably for non-canonical address",
            "[    3.141592] Kernel panic - not syncing: Fatal exception",
            "Kernel panic - not syncing: Attempted to kill init!",
            "[    3.141592] WARNING: possible circular locking dependency detected",
            "[    3.141592] WARNING: possible recursive locking detected",
            "[    3.141592] WARNING: inconsistent lock state",
            "[    3.141592] WARNING: suspicious RCU usage",
            "[  123.000000] INFO: task ip:123 blocked for more than 120 seconds.",
            "[    3.141592] UBSAN: shift-out-of-bounds in net/x.c:1:2",
            "[    3.141592] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
            "[    3.141592] rust_kernel: panicked at vrctx/src/lib.rs:10:5:",
            "[    3.141592] Call Trace:",
            "some script output[    3.141592] WARNING: CPU: 0 PID: 1 at x",
            "[    3.141592][    T1] BUG: sleeping function called from invalid context",
        ] {
            assert!(kernel_problem(l), "not detected: {l}");
        }
    }

    #[test]
    fn false_positives() {
        for l in [
            "WARNING: this is the test script talking",
            "BUG: script found a bug in the test",
            "Call Trace: printed by a script",
            "[    1.000000] virtio_net virtio0 eth0: renamed",
            "[    1.000000] Run /init as init process",
            "[    1.000000] INFO: task list dumped",
            "vrctx-init: loaded vrctx.ko",
            "@@VRCTX-EXIT 0@@",
            "[1.0] WARNING: fake short timestamp",
        ] {
            assert!(!kernel_problem(l), "false positive: {l}");
        }
    }

    #[test]
    fn taint() {
        assert_eq!(bad_taint(0), None);
        assert_eq!(bad_taint(4096 | 8192), None); // O, E
        assert_eq!(bad_taint(512).as_deref(), Some("kernel tainted 512 (W)"));
        assert_eq!(
            bad_taint(128 | 512 | 4096).as_deref(),
            Some("kernel tainted 4736 (DW)")
        );
    }

    #[test]
    fn cleaning() {
        assert_eq!(clean_line(b"abc\r\n"), "abc");
        assert_eq!(clean_line(b"a\x1b[0mb\tc"), "a[0mb\tc");
        assert_eq!(clean_line(b"\xff ok"), "\u{fffd} ok");
    }
}
