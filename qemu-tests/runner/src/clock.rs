// SPDX-License-Identifier: GPL-2.0-only
//! The guest's clock. Under TCG a guest's TSC counts at the host's TSC
//! rate, but the guest kernel has no HPET or PM timer to calibrate it
//! against (no ACPI in the test kernels) and calibrates against the
//! emulated PIT: on a loaded host a descheduled vCPU either fails that
//! (no TSC: jiffies, which lose time under load) or gets a wrong rate and
//! keeps it (a guest whose clock ran 3.5 times too fast made etcd expire
//! the other members' leases in seconds). Measuring the rate here and
//! passing it as `tsc_early_khz=` gives every guest the host's time.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The host's TSC rate in kHz, measured once; None when the host's TSC is
/// not constant (then guests calibrate as before).
pub fn host_tsc_khz() -> Option<u64> {
    static KHZ: OnceLock<Option<u64>> = OnceLock::new();
    *KHZ.get_or_init(|| {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
        if !constant_tsc(&cpuinfo) {
            return None;
        }
        measure()
    })
}

/// Whether the first CPU's flags include constant_tsc.
fn constant_tsc(cpuinfo: &str) -> bool {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("flags"))
        .and_then(|l| l.split_once(':'))
        .is_some_and(|(_, f)| f.split_whitespace().any(|x| x == "constant_tsc"))
}

#[cfg(target_arch = "x86_64")]
fn tsc() -> u64 {
    // SAFETY: RDTSC has no preconditions; every x86_64 CPU has it.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Median of five 20 ms samples, each bracketed so that a preemption
/// between reading the clock and the TSC shows as a wide bracket and the
/// sample is dropped; None if the samples disagree or the rate is absurd.
#[cfg(target_arch = "x86_64")]
fn measure() -> Option<u64> {
    let read = || loop {
        let a = tsc();
        let t = Instant::now();
        let b = tsc();
        if b - a < 100_000 {
            return (a + (b - a) / 2, t);
        }
    };
    let mut khz = Vec::new();
    for _ in 0..5 {
        let (c0, t0) = read();
        std::thread::sleep(Duration::from_millis(20));
        let (c1, t1) = read();
        // At least the 20 ms slept: never zero.
        let ns = t1.duration_since(t0).as_nanos();
        khz.push(u128::from(c1 - c0) * 1_000_000 / ns);
    }
    plausible(khz)
}

#[cfg(not(target_arch = "x86_64"))]
fn measure() -> Option<u64> {
    None
}

/// The median of the samples, if at least three agree with it within
/// 0.1 % and it lies between 100 MHz and 10 GHz.
fn plausible(mut khz: Vec<u128>) -> Option<u64> {
    if khz.len() < 3 {
        return None;
    }
    khz.sort_unstable();
    let m = khz[khz.len() / 2];
    let close = khz.iter().filter(|&&k| k.abs_diff(m) * 1000 <= m).count();
    (close >= 3 && (100_000..=10_000_000).contains(&m)).then_some(m as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        let ci = "processor\t: 0\nflags\t\t: fpu tsc constant_tsc nonstop_tsc\nbugs\t\t:\n";
        assert!(constant_tsc(ci));
        assert!(!constant_tsc("flags\t\t: fpu tsc nonstop_tsc\n"));
        assert!(!constant_tsc("processor\t: 0\n"));
    }

    #[test]
    fn samples() {
        assert_eq!(
            plausible(vec![2_596_100, 2_596_150, 2_596_148, 9_000_000, 1]),
            Some(2_596_148)
        );
        // Too few, disagreeing, absurd.
        assert_eq!(plausible(vec![2_596_100, 2_596_150]), None);
        assert_eq!(plausible(vec![1_000_000, 2_000_000, 3_000_000]), None);
        assert_eq!(plausible(vec![50, 50, 50]), None);
    }

    #[test]
    fn this_host() {
        // Where the host has a constant TSC, the rate is measured.
        let ci = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        if cfg!(target_arch = "x86_64") && constant_tsc(&ci) {
            assert!(host_tsc_khz().is_some());
        }
    }
}
