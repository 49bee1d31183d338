// SPDX-License-Identifier: GPL-2.0-only
//! The parts of vrctl other programs use: the generic netlink socket, the
//! `dhost` family's messages and vrctl's errors. The cluster daemon
//! (tools/dhostd) talks to the kernel through them.

pub mod dhost;
pub mod error;
pub mod genl;
