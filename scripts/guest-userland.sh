#!/usr/bin/env bash
# Guest userland for the QEMU test VMs: unmodified Debian 12 programs plus the
# shared libraries they need, assembled into build/guest-userland/ for
# scripts/mkinitramfs.sh.
#
#  - .debs are fetched with the host's own apt (`apt-get download`) into
#    ${VRCTX_CACHE:-~/.cache/vrctx}/debs and reused across runs; `apt-get update`
#    runs only when a download fails (e.g. no package lists yet).
#  - They are unpacked with `dpkg -x` into build/guest-debs/ and are NEVER
#    installed on the host (that would start nginx/iperf3/etcd services here).
#  - Library packages are fetched only when the host does not have them
#    installed (a fresh Debian 12 machine lacks e.g. libiperf0, libpcap0.8,
#    libsctp1, libwrap0); every other library is copied from the host.
#  - Each program's libraries are resolved with `ldd` with LD_LIBRARY_PATH over
#    the unpacked lib dirs first, then the host's. A statically linked program
#    (ldd: "not a dynamic executable" or "statically linked") needs none.
#
# Output: build/guest-userland/{bin/busybox,usr/local/bin,lib/x86_64-linux-gnu,lib64,etc}
# and usr/lib/vrctx/compat/bin (programs for `make compat` only, off PATH).
# A second run with unchanged inputs exits at once (stamp file).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=$ROOT/build
CACHE=${VRCTX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vrctx}
DEBS=$CACHE/debs
DEBDIR=$B/guest-debs
OUT=$B/guest-userland
MULTIARCH=x86_64-linux-gnu

# Packages holding the programs (bookworm's nginx-light is a transitional
# package on top of `nginx`, which holds the binary; nginx-common has the
# config; libiperf0 is iperf3's library).
#
# etcd-server/etcd-client (3.4.23): /usr/bin/etcd and /usr/bin/etcdctl, Go
# programs linked against libc only, the database of the distributed-host
# cluster (docs/cluster.md). Together they add ~38 MB to the initramfs
# unpacked (~14 MB gzipped). Their other dependencies (adduser,
# init-system-helpers) are for the packages' maintainer scripts, not needed.
#
# busybox: Debian's regular `busybox` package, NOT busybox-static. The static
# build has FEATURE_SH_STANDALONE: its sh runs its own `ip`, `tc`, `setpriv`
# applets even when /usr/local/bin/ip comes first in PATH, which breaks the
# guest contract (iproute2 ip ahead of busybox). The regular build obeys PATH.
PKGS="busybox iproute2 socat iperf3 libiperf0 nginx nginx-common tcpdump util-linux nftables etcd-server etcd-client"
# Programs that go to /usr/local/bin/<name> (busybox goes to /bin/busybox).
PROGS="ip ss bridge tc socat iperf3 nginx tcpdump setpriv nft etcd etcdctl"

# For `make compat` only (scripts/compat.sh): what Linux's VRF selftest
# fcnal-test.sh and its lib.sh need beyond busybox. They go to
# /usr/lib/vrctx/compat/bin, which is NOT on the guest's PATH (the compat
# driver puts it first): iputils' ping prints other messages than busybox's,
# which the guest tests match, so the guest contract stays as it is.
#   bash          fcnal-test.sh and lib.sh are bash (arrays, [[ ]], ${x,,})
#   iputils-ping  ping -r (SO_DONTROUTE) and -f (flood) used by the tests;
#                 busybox ping has neither
#   procps        pgrep: lib.sh's kill_procs waits until no nettest/ping is
#                 left (busybox has no pgrep, so it would not wait); sysctl
#   coreutils     readlink -e (lib.sh locates itself with it) and date +%N
#                 (lib.sh's timeouts count in ms); busybox has neither
COMPAT_PKGS="bash iputils-ping procps coreutils"
COMPAT_PROGS="bash ping sysctl pgrep readlink date"
COMPAT_BIN=usr/lib/vrctx/compat/bin

die() { echo "guest-userland: error: $*" >&2; exit 1; }
log() { echo "guest-userland: $*" >&2; }

for t in apt-get dpkg-deb dpkg-query ldd sha256sum; do
	command -v "$t" >/dev/null || die "'$t' not found on the host"
done

stamp_key() {
	{
		sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1
		echo "$PKGS|$PROGS|$COMPAT_PKGS|$COMPAT_PROGS"
		# Host libraries get copied: a host upgrade must rebuild.
		stat -c '%n %Y' /var/lib/dpkg/status 2>/dev/null || true
		ls "$DEBS" 2>/dev/null || true
	} | sha256sum | cut -d' ' -f1
}

if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$(stamp_key)" ]; then
	log "up to date ($OUT)"
	exit 0
fi

mkdir -p "$DEBS"
updated=0

# Newest cached .deb of a package, if any.
cached_deb() {
	local p=$1 f best=""
	for f in "$DEBS/${p}"_*.deb; do
		[ -e "$f" ] || continue
		if [ -z "$best" ]; then best=$f; continue; fi
		local vb vf
		vb=$(dpkg-deb -f "$best" Version)
		vf=$(dpkg-deb -f "$f" Version)
		if dpkg --compare-versions "$vf" gt "$vb"; then best=$f; fi
	done
	echo "$best"
}

fetch() {
	local p=$1 f
	f=$(cached_deb "$p")
	if [ -n "$f" ]; then echo "$f"; return; fi
	log "apt-get download $p"
	if ! (cd "$DEBS" && apt-get download -q "$p" >"$DEBS/.download.log" 2>&1); then
		if [ "$updated" = 0 ]; then
			log "download of $p failed; running apt-get update once"
			apt-get update -q >"$DEBS/.update.log" 2>&1 ||
				{ cat "$DEBS/.update.log" >&2; die "apt-get update failed"; }
			updated=1
		fi
		(cd "$DEBS" && apt-get download -q "$p" >"$DEBS/.download.log" 2>&1) ||
			{ cat "$DEBS/.download.log" >&2; die "apt-get download $p failed"; }
	fi
	f=$(cached_deb "$p")
	[ -n "$f" ] || die "apt-get download $p left no .deb in $DEBS"
	echo "$f"
}

host_has() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# Library dependencies (lib*, zlib*) of a .deb, names only.
lib_deps() {
	{
		dpkg-deb -f "$1" Pre-Depends
		echo ,
		dpkg-deb -f "$1" Depends
	} | tr ',|' '\n\n' | sed -e 's/(.*)//' -e 's/:any//' -e 's/[[:space:]]//g' |
		grep -E '^(lib|zlib)' | sort -u || true
}

# Breadth-first: the program packages, then every library package they need
# (transitively) that the host does not have installed.
declare -A seen=()
queue=()
for p in $PKGS $COMPAT_PKGS; do queue+=("$p"); seen[$p]=1; done
deb_files=()
while [ ${#queue[@]} -gt 0 ]; do
	p=${queue[0]}
	queue=("${queue[@]:1}")
	f=$(fetch "$p")
	deb_files+=("$f")
	for d in $(lib_deps "$f"); do
		[ -n "${seen[$d]:-}" ] && continue
		seen[$d]=1
		host_has "$d" && continue
		queue+=("$d")
	done
done

log "unpacking ${#deb_files[@]} packages into $DEBDIR"
rm -rf "$DEBDIR"
mkdir -p "$DEBDIR"
for f in "${deb_files[@]}"; do
	dpkg -x "$f" "$DEBDIR"
	basename "$f" >>"$DEBDIR/.debs"
done

find_prog() {
	local d
	for d in bin sbin usr/bin usr/sbin; do
		if [ -f "$DEBDIR/$d/$1" ] && [ ! -L "$DEBDIR/$d/$1" ]; then
			echo "$DEBDIR/$d/$1"
			return
		fi
	done
	return 1
}

rm -rf "$OUT"
mkdir -p "$OUT/usr/local/bin" "$OUT/$COMPAT_BIN" "$OUT/lib/$MULTIARCH" "$OUT/lib64" "$OUT/etc"
LDPATH=$DEBDIR/lib/$MULTIARCH:$DEBDIR/usr/lib/$MULTIARCH:$DEBDIR/lib:$DEBDIR/usr/lib
missing=()
declare -A libsrc=()
mkdir -p "$OUT/bin"
for prog in busybox $PROGS $COMPAT_PROGS; do
	src=$(find_prog "$prog") ||
		die "program '$prog' not found in the unpacked packages ($PKGS $COMPAT_PKGS)"
	if [ "$prog" = busybox ]; then
		dest=bin/busybox
	elif [[ " $COMPAT_PROGS " == *" $prog "* ]]; then
		dest=$COMPAT_BIN/$prog
	else
		dest=usr/local/bin/$prog
	fi
	cp -p "$src" "$OUT/$dest"
	echo "$dest <- ${src#"$DEBDIR"/}" >>"$OUT/.manifest"
	# glibc's ldd exits 1 with "not a dynamic executable" for a static
	# program (0 with "statically linked" for a static-pie one): no libraries.
	if ! out=$(LD_LIBRARY_PATH=$LDPATH ldd "$src" 2>&1); then
		case "$out" in
		*"not a dynamic executable"*) continue ;;
		*) die "ldd $src failed: $out" ;;
		esac
	fi
	while read -r l; do
		case "$l" in
		*"=> not found"*) missing+=("${l%% *} (needed by $prog)") ;;
		*" => "*)
			name=${l%% *}
			path=${l#* => }
			path=${path% (*}
			libsrc[$name]=$path
			;;
		/*ld-linux*)
			libsrc[ld-linux-x86-64.so.2]=${l% (*}
			;;
		esac
	done <<<"$out"
done
if [ ${#missing[@]} -gt 0 ]; then
	die "libraries not found (neither in the unpacked packages nor on the host): ${missing[*]}"
fi
for name in "${!libsrc[@]}"; do
	path=${libsrc[$name]}
	[ -e "$path" ] || die "library $name resolved to $path, which does not exist"
	# Keep the real file name (programs such as `ip -V` look for it) with the
	# soname as a link to it.
	real=$(readlink -f "$path")
	cp "$real" "$OUT/lib/$MULTIARCH/${real##*/}"
	[ "${real##*/}" = "$name" ] || ln -sf "${real##*/}" "$OUT/lib/$MULTIARCH/$name"
	case "$path" in
	"$DEBDIR"/*) echo "lib/$MULTIARCH/$name <- deb:${path#"$DEBDIR"/}" ;;
	*) echo "lib/$MULTIARCH/$name <- host:$path" ;;
	esac >>"$OUT/.manifest"
done
[ -e "$OUT/lib/$MULTIARCH/ld-linux-x86-64.so.2" ] || die "dynamic loader not found by ldd"
ln -s "../lib/$MULTIARCH/ld-linux-x86-64.so.2" "$OUT/lib64/ld-linux-x86-64.so.2"

# Configuration the programs read.
cp -a "$DEBDIR/etc/nginx" "$OUT/etc/nginx"
[ -d "$DEBDIR/etc/iproute2" ] && cp -a "$DEBDIR/etc/iproute2" "$OUT/etc/iproute2"
[ -d "$DEBDIR/usr/share/iproute2" ] && mkdir -p "$OUT/usr/share" &&
	cp -a "$DEBDIR/usr/share/iproute2" "$OUT/usr/share/iproute2"

stamp_key >"$OUT/.stamp"
log "done: $(ls "$OUT/usr/local/bin" | tr '\n' ' ')+ compat: $COMPAT_PROGS + $(find "$OUT/lib/$MULTIARCH" -type f | wc -l) libraries -> $OUT"
