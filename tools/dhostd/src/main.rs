// SPDX-License-Identifier: GPL-2.0-only
//! dhostd: the distributed-host cluster daemon (docs/design.md, section 5).
//!
//! ```text
//! dhostd --addr 10.9.0.1 --member N --etcd http://192.168.77.2:2379,http://192.168.77.3:2379
//!        [--mgmt 192.168.77.3] [--socket /run/dhostd.sock] [--ttl 5]
//! ```
//!
//! One daemon per member and distributed address. It publishes in etcd,
//! under `/dhost/<addr>/` and under its lease (TTL `--ttl`, kept alive every
//! TTL/3), this member (`members/<N>`: MAC, management address, ifindex),
//! the ports it serves (`ports/<tcp|udp>/<port>`, first owner wins), the
//! accepted connections on ports it does not own (`conns/tcp/...`) and the
//! ports it serves but another member owns (`conflicts/...`). Its sockets
//! are read from /proc/net at start, after every kernel socket event
//! (`dhost` events group, debounced 10 ms) and every 2 s.
//!
//! Every daemon watches the prefix; the leader's (the kernel's lead flag)
//! programs the kernel's forwarding table with the view, by diff, and
//! renews the table's authority every second while the view is current.
//!
//! The state is served as one JSON document per connection on the unix
//! socket `--socket` (`vrctl dhost ports`). SIGTERM and SIGINT drop the
//! authority and leave the keys to expire with the lease (a restarted
//! daemon takes them over). Errors: `dhostd: OBJECT: REASON`, exit 1.

mod cli;
mod daemon;
mod keys;
mod procnet;
mod reconcile;
mod status;
mod table;
mod view;

use clap::Parser;

fn main() {
    let args = match cli::Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let text = e.render().to_string();
            match text.strip_prefix("error: ") {
                Some(rest) => eprint!("dhostd: {rest}"),
                None if code == 1 => eprint!("{text}"),
                None => print!("{text}"),
            }
            std::process::exit(code);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dhostd: tokio runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = match rt.block_on(daemon::run(args)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("dhostd: {e}");
            1
        }
    };
    std::process::exit(code);
}
