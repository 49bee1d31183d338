// SPDX-License-Identifier: GPL-2.0-only
//! Thin socket wrappers for the matrix and bind tests: non-blocking sockets
//! as `OwnedFd`s, errors as plain errnos (the tests compare them), sockets
//! created in another network namespace, and `poll`.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use vrctx_uapi::IP_VRCTX;

/// `ICMP_FILTER` (linux/icmp.h), at level `SOL_RAW`.
const ICMP_FILTER: i32 = 1;

/// An errno.
pub(crate) type Errno = i32;

fn errno() -> Errno {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn check(rc: libc::c_int) -> Result<libc::c_int, Errno> {
    if rc < 0 {
        Err(errno())
    } else {
        Ok(rc)
    }
}

fn check_len(rc: libc::ssize_t) -> Result<usize, Errno> {
    usize::try_from(rc).map_err(|_| errno())
}

/// A new non-blocking, close-on-exec socket in the calling thread's network
/// namespace and context.
pub(crate) fn socket(domain: i32, ty: i32, proto: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: Plain system call; no pointers.
    let fd = check(unsafe {
        libc::socket(domain, ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, proto)
    })?;
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A socket created in the network namespace `/run/netns/NS`: a helper
/// thread enters the namespace (setns affects only the calling thread) and
/// creates it there. The socket keeps its namespace wherever it is used.
pub(crate) fn socket_in_netns(
    ns: &str,
    domain: i32,
    ty: i32,
    proto: i32,
) -> Result<OwnedFd, String> {
    let path = format!("/run/netns/{ns}");
    std::thread::scope(|s| {
        s.spawn(|| {
            let f = File::open(&path).map_err(|e| format!("open {path}: {e}"))?;
            // SAFETY: `f` is an open file; setns() only reads the descriptor
            // and moves this helper thread, which ends right after.
            check(unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) })
                .map_err(|e| format!("setns {path}: {}", crate::errno::name(e)))?;
            socket(domain, ty, proto)
                .map_err(|e| format!("socket in {ns}: {}", crate::errno::name(e)))
        })
        .join()
        .unwrap_or_else(|_| Err(format!("the thread entering {ns} panicked")))
    })
}

/// `setsockopt` with a plain-old-data value.
pub(crate) fn setsockopt<T: Copy>(
    fd: &OwnedFd,
    level: i32,
    name: i32,
    value: &T,
) -> Result<(), Errno> {
    // SAFETY: `value` points to `size_of::<T>()` readable bytes.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// `setsockopt` with an int.
pub(crate) fn set_int(fd: &OwnedFd, level: i32, name: i32, value: i32) -> Result<(), Errno> {
    setsockopt(fd, level, name, &value)
}

/// Puts the socket in context `ctx` (`IP_VRCTX`); only before bind/connect.
pub(crate) fn set_ctx(fd: &OwnedFd, ctx: u32) -> Result<(), Errno> {
    setsockopt(fd, libc::SOL_IP, IP_VRCTX, &ctx)
}

/// Makes a raw ICMP socket see only the ICMP types in `pass`.
pub(crate) fn icmp_filter(fd: &OwnedFd, pass: &[u8]) -> Result<(), Errno> {
    let mut blocked = !0u32;
    for t in pass {
        blocked &= !(1u32 << t);
    }
    setsockopt(fd, libc::SOL_RAW, ICMP_FILTER, &blocked)
}

/// Joins the IPv4 group `group` on the interface `ifindex`.
pub(crate) fn join(fd: &OwnedFd, group: Ipv4Addr, ifindex: u32) -> Result<(), Errno> {
    let m = libc::ip_mreqn {
        imr_multiaddr: in_addr(group),
        imr_address: in_addr(Ipv4Addr::UNSPECIFIED),
        imr_ifindex: ifindex as i32,
    };
    setsockopt(fd, libc::SOL_IP, libc::IP_ADD_MEMBERSHIP, &m)
}

/// Joins the IPv4 group `group` on the interface that has the address
/// `local` (the kernel finds it).
pub(crate) fn join_by_addr(fd: &OwnedFd, group: Ipv4Addr, local: Ipv4Addr) -> Result<(), Errno> {
    let m = libc::ip_mreqn {
        imr_multiaddr: in_addr(group),
        imr_address: in_addr(local),
        imr_ifindex: 0,
    };
    setsockopt(fd, libc::SOL_IP, libc::IP_ADD_MEMBERSHIP, &m)
}

/// Binds the socket to the interface `name` (SO_BINDTODEVICE).
pub(crate) fn bind_device(fd: &OwnedFd, name: &str) -> Result<(), Errno> {
    // SAFETY: `name` is readable for its length; the kernel copies it.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            name.as_ptr().cast(),
            name.len() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// Sends multicast out of the interface `ifindex`.
pub(crate) fn multicast_if(fd: &OwnedFd, ifindex: u32) -> Result<(), Errno> {
    let m = libc::ip_mreqn {
        imr_multiaddr: in_addr(Ipv4Addr::UNSPECIFIED),
        imr_address: in_addr(Ipv4Addr::UNSPECIFIED),
        imr_ifindex: ifindex as i32,
    };
    setsockopt(fd, libc::SOL_IP, libc::IP_MULTICAST_IF, &m)
}

/// The index of interface `name`.
pub(crate) fn ifindex(name: &str) -> Result<u32, String> {
    let c = std::ffi::CString::new(name).map_err(|_| format!("bad interface name {name:?}"))?;
    // SAFETY: `c` is a NUL-terminated string.
    match unsafe { libc::if_nametoindex(c.as_ptr()) } {
        0 => Err(format!("interface {name}: {}", crate::errno::name(errno()))),
        i => Ok(i),
    }
}

fn in_addr(a: Ipv4Addr) -> libc::in_addr {
    libc::in_addr {
        s_addr: u32::from(a).to_be(),
    }
}

/// A socket address in the kernel's layout.
struct RawAddr {
    storage: libc::sockaddr_storage,
    len: libc::socklen_t,
}

impl RawAddr {
    fn empty() -> Self {
        // SAFETY: sockaddr_storage is plain old data; all zeroes is valid.
        let storage = unsafe { std::mem::zeroed() };
        Self {
            storage,
            len: std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t,
        }
    }

    fn new(a: SocketAddr) -> Self {
        let mut r = Self::empty();
        match a {
            SocketAddr::V4(a) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: a.port().to_be(),
                    sin_addr: in_addr(*a.ip()),
                    sin_zero: [0; 8],
                };
                // SAFETY: sockaddr_storage is larger than sockaddr_in and
                // suitably aligned for it.
                unsafe { std::ptr::write((&raw mut r.storage).cast(), sin) };
                r.len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            }
            SocketAddr::V6(a) => {
                let sin6 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo(),
                    sin6_addr: libc::in6_addr {
                        s6_addr: a.ip().octets(),
                    },
                    sin6_scope_id: a.scope_id(),
                };
                // SAFETY: sockaddr_storage is larger than sockaddr_in6 and
                // suitably aligned for it.
                unsafe { std::ptr::write((&raw mut r.storage).cast(), sin6) };
                r.len = std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            }
        }
        r
    }

    fn ptr(&self) -> *const libc::sockaddr {
        (&raw const self.storage).cast()
    }

    fn get(&self) -> Option<SocketAddr> {
        match i32::from(self.storage.ss_family) {
            libc::AF_INET => {
                // SAFETY: the kernel wrote a sockaddr_in (family AF_INET).
                let sin: libc::sockaddr_in =
                    unsafe { std::ptr::read((&raw const self.storage).cast()) };
                Some(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)),
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 => {
                // SAFETY: the kernel wrote a sockaddr_in6 (family AF_INET6).
                let sin6: libc::sockaddr_in6 =
                    unsafe { std::ptr::read((&raw const self.storage).cast()) };
                Some(SocketAddr::V6(SocketAddrV6::new(
                    sin6.sin6_addr.s6_addr.into(),
                    u16::from_be(sin6.sin6_port),
                    sin6.sin6_flowinfo,
                    sin6.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }
}

pub(crate) fn bind(fd: &OwnedFd, a: SocketAddr) -> Result<(), Errno> {
    let r = RawAddr::new(a);
    // SAFETY: `r` holds a valid socket address of `r.len` bytes.
    check(unsafe { libc::bind(fd.as_raw_fd(), r.ptr(), r.len) }).map(drop)
}

/// The socket's local address.
pub(crate) fn local_addr(fd: &OwnedFd) -> Result<SocketAddr, Errno> {
    let mut r = RawAddr::empty();
    // SAFETY: `r.storage` has room for `r.len` bytes.
    check(unsafe { libc::getsockname(fd.as_raw_fd(), (&raw mut r.storage).cast(), &mut r.len) })?;
    r.get().ok_or(libc::EAFNOSUPPORT)
}

pub(crate) fn listen(fd: &OwnedFd, backlog: i32) -> Result<(), Errno> {
    // SAFETY: Plain system call on our descriptor.
    check(unsafe { libc::listen(fd.as_raw_fd(), backlog) }).map(drop)
}

/// Starts connecting; `Ok` also when the connection is still in progress
/// (non-blocking TCP), which `poll` for writing and `so_error` then finish.
pub(crate) fn connect(fd: &OwnedFd, a: SocketAddr) -> Result<(), Errno> {
    let r = RawAddr::new(a);
    // SAFETY: `r` holds a valid socket address of `r.len` bytes.
    match check(unsafe { libc::connect(fd.as_raw_fd(), r.ptr(), r.len) }) {
        Ok(_) | Err(libc::EINPROGRESS) => Ok(()),
        Err(e) => Err(e),
    }
}

/// `getsockopt` of an int.
pub(crate) fn get_int(fd: &OwnedFd, level: i32, name: i32) -> Result<i32, Errno> {
    let mut v: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: `v` has room for `len` bytes.
    check(unsafe { libc::getsockopt(fd.as_raw_fd(), level, name, (&raw mut v).cast(), &mut len) })?;
    Ok(v)
}

/// The pending error of the socket (`SO_ERROR`), cleared by reading it.
pub(crate) fn so_error(fd: &OwnedFd) -> Result<(), Errno> {
    match get_int(fd, libc::SOL_SOCKET, libc::SO_ERROR)? {
        0 => Ok(()),
        e => Err(e),
    }
}

/// Accepts one connection (non-blocking), with the peer's address.
pub(crate) fn accept(fd: &OwnedFd) -> Result<(OwnedFd, Option<SocketAddr>), Errno> {
    let mut r = RawAddr::empty();
    // SAFETY: `r.storage` has room for `r.len` bytes.
    let c = check(unsafe {
        libc::accept4(
            fd.as_raw_fd(),
            (&raw mut r.storage).cast(),
            &mut r.len,
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    })?;
    // SAFETY: `c` is a new descriptor that nothing else owns.
    Ok((unsafe { OwnedFd::from_raw_fd(c) }, r.get()))
}

pub(crate) fn send(fd: &OwnedFd, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is readable for its length.
    check_len(unsafe {
        libc::send(
            fd.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_NOSIGNAL,
        )
    })
}

pub(crate) fn send_to(fd: &OwnedFd, buf: &[u8], to: SocketAddr) -> Result<usize, Errno> {
    let r = RawAddr::new(to);
    // SAFETY: `buf` is readable for its length; `r` is a valid address.
    check_len(unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_NOSIGNAL,
            r.ptr(),
            r.len,
        )
    })
}

/// Receives one datagram (or stream chunk) and where it came from.
pub(crate) fn recv_from(
    fd: &OwnedFd,
    buf: &mut [u8],
) -> Result<(usize, Option<SocketAddr>), Errno> {
    let mut r = RawAddr::empty();
    // SAFETY: `buf` is writable for its length; `r.storage` has room for
    // `r.len` bytes.
    let n = check_len(unsafe {
        libc::recvfrom(
            fd.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            0,
            (&raw mut r.storage).cast(),
            &mut r.len,
        )
    })?;
    Ok((n, r.get()))
}

/// Waits up to `timeout` for the events in `fds`; fills in `revents` and
/// returns how many descriptors have some.
pub(crate) fn poll(fds: &mut [libc::pollfd], timeout: Duration) -> Result<usize, Errno> {
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    loop {
        // SAFETY: `fds` is a valid array of `fds.len()` pollfds.
        match check(unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) }) {
            Ok(n) => return Ok(n as usize),
            Err(libc::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// A pollfd for `fd`.
pub(crate) fn pollfd(fd: RawFd, events: i16) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// Waits until `fd` has one of `events`, or `timeout` passes (then
/// `ETIMEDOUT`).
pub(crate) fn wait_for(fd: &OwnedFd, events: i16, timeout: Duration) -> Result<i16, Errno> {
    let mut p = [pollfd(fd.as_raw_fd(), events)];
    match poll(&mut p, timeout)? {
        0 => Err(libc::ETIMEDOUT),
        _ => Ok(p[0].revents),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        for a in ["10.0.0.1:80", "[::]:8080", "[::ffff:10.0.0.2]:1234"] {
            let a: SocketAddr = a.parse().unwrap();
            assert_eq!(RawAddr::new(a).get(), Some(a));
        }
    }

    #[test]
    fn udp_on_loopback() {
        // Runs on the build host: plain loopback UDP through these wrappers.
        let a = socket(libc::AF_INET, libc::SOCK_DGRAM, 0).unwrap();
        bind(&a, "127.0.0.1:0".parse().unwrap()).unwrap();
        let to = local_addr(&a).unwrap();
        let b = socket(libc::AF_INET, libc::SOCK_DGRAM, 0).unwrap();
        connect(&b, to).unwrap();
        send(&b, b"hi").unwrap();
        wait_for(&a, libc::POLLIN, Duration::from_secs(2)).unwrap();
        let mut buf = [0u8; 8];
        let (n, from) = recv_from(&a, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"hi");
        assert!(matches!(from, Some(SocketAddr::V4(_))));
    }
}
