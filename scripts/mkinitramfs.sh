#!/usr/bin/env bash
# mkinitramfs.sh KIND   (KIND = test | lean)
#
# Builds build/initramfs-KIND.cpio.gz for the QEMU test guests from:
#   - build/guest-userland/ (scripts/guest-userland.sh): Debian's busybox as
#     /bin/busybox (applet links are made at boot by /init), the Debian
#     programs in /usr/local/bin, their libraries, /etc/nginx, /etc/iproute2,
#   - vrctl into /usr/local/bin: $VRCTL, default
#     target/x86_64-unknown-linux-gnu/release/vrctl. It must exist;
#     VRCTL=none builds without it (with a warning).
#   - vrctx-probe (guest test tool) into /usr/local/bin: $VRCTX_PROBE, default
#     target/x86_64-unknown-linux-gnu/release/vrctx-probe, taken if it exists
#     (an explicit VRCTX_PROBE must exist),
#   - dhostd (cluster daemon) into /usr/local/bin: $DHOSTD, default
#     target/x86_64-unknown-linux-gnu/release/dhostd, taken if it exists,
#   - $GUEST_BINS: more programs for /usr/local/bin (space-separated paths;
#     each must exist),
#   - build/modules-KIND/*.ko (or $MODULES_DIR/*.ko) into /lib/modules/vrctx/,
#   - a minimal /etc (passwd, group, nsswitch, hosts, nginx default site),
#   - qemu-tests/guest/init as /init, qemu-tests/guest/lib.sh (the guest test
#     library every test sources) as /usr/lib/vrctx/lib.sh.
# Exits at once when no input changed since the last build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=$ROOT/build
die() { echo "mkinitramfs: error: $*" >&2; exit 1; }
# Absolute path without resolving links (the script cds into the staging dir).
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
log() { echo "mkinitramfs: $*" >&2; }

KIND=${1:-}
case "$KIND" in
test | lean) ;;
*) die "usage: $0 test|lean" ;;
esac

# Overrides (for experiments): INITRAMFS_OUT=file.cpio.gz, MODULES_DIR=dir.
OUTPUT=$(abspath "${INITRAMFS_OUT:-$B/initramfs-$KIND.cpio.gz}")
INPUTS=${OUTPUT%.cpio.gz}.inputs
STAGE=${OUTPUT%.cpio.gz}.d
USERLAND=$B/guest-userland
MODDIR=${MODULES_DIR:-$B/modules-$KIND}
INIT=$ROOT/qemu-tests/guest/init
TESTLIB=$ROOT/qemu-tests/guest/lib.sh
BUSYBOX=${BUSYBOX:-$USERLAND/bin/busybox}
VRCTL=${VRCTL:-$ROOT/target/x86_64-unknown-linux-gnu/release/vrctl}
MULTIARCH=x86_64-linux-gnu

[ "$(id -u)" = 0 ] || die "must run as root (device nodes, file owners)"
[ -f "$INIT" ] || die "missing $INIT"
[ -f "$TESTLIB" ] || die "missing $TESTLIB"
[ -f "$USERLAND/.stamp" ] || die "missing $USERLAND (run scripts/guest-userland.sh first)"
[ -f "$BUSYBOX" ] || die "missing $BUSYBOX (run scripts/guest-userland.sh)"
# A busybox whose sh prefers its applets to PATH (busybox-static's
# FEATURE_SH_STANDALONE) would run its own `ip` instead of iproute2's.
if env PATH=/nonexistent "$BUSYBOX" sh -c 'ip -V' >/dev/null 2>&1; then
	die "$BUSYBOX runs its applets ahead of PATH (a standalone-shell build such as busybox-static); use Debian's busybox package"
fi
if [ "$VRCTL" = none ]; then
	log "warning: VRCTL=none: building without vrctl"
	VRCTL=
else
	[ -f "$VRCTL" ] || die "vrctl not found at $VRCTL (build it, set VRCTL=/path/to/vrctl, or VRCTL=none)"
	VRCTL=$(abspath "$VRCTL")
fi
BUSYBOX=$(abspath "$BUSYBOX")
extra_bins=()
if [ -n "${VRCTX_PROBE:-}" ]; then
	[ -f "$VRCTX_PROBE" ] || die "vrctx-probe not found at VRCTX_PROBE=$VRCTX_PROBE"
	extra_bins+=("$(abspath "$VRCTX_PROBE")")
elif [ -f "$ROOT/target/x86_64-unknown-linux-gnu/release/vrctx-probe" ]; then
	extra_bins+=("$ROOT/target/x86_64-unknown-linux-gnu/release/vrctx-probe")
fi
# dhostd (the distributed-host cluster daemon): $DHOSTD, default the release
# build, taken if it exists (an explicit DHOSTD must exist).
if [ -n "${DHOSTD:-}" ]; then
	[ -f "$DHOSTD" ] || die "dhostd not found at DHOSTD=$DHOSTD"
	extra_bins+=("$(abspath "$DHOSTD")")
elif [ -f "$ROOT/target/x86_64-unknown-linux-gnu/release/dhostd" ]; then
	extra_bins+=("$ROOT/target/x86_64-unknown-linux-gnu/release/dhostd")
fi
for f in ${GUEST_BINS:-}; do
	[ -f "$f" ] || die "GUEST_BINS: $f not found"
	extra_bins+=("$(abspath "$f")")
done
modules=()
if [ -d "$MODDIR" ]; then
	for m in "$MODDIR"/*.ko; do [ -e "$m" ] && modules+=("$(abspath "$m")"); done
fi
[ ${#modules[@]} -gt 0 ] || log "warning: no modules in $MODDIR; the guest will load none"

# Up-to-date check: fingerprint of every input (path, size, mtime) and of this
# script; the set of modules is part of it, so removing one rebuilds too.
fingerprint() {
	{
		echo "kind=$KIND vrctl=${VRCTL:-none}"
		sha256sum "${BASH_SOURCE[0]}"
		cat "$USERLAND/.stamp"
		stat -L -c '%n %s %Y' "$INIT" "$TESTLIB" "$BUSYBOX" ${VRCTL:+"$VRCTL"} \
			${extra_bins[@]+"${extra_bins[@]}"} ${modules[@]+"${modules[@]}"}
	} | sha256sum | cut -d' ' -f1
}
fp=$(fingerprint)
if [ -f "$OUTPUT" ] && [ -f "$INPUTS" ] && [ "$(cat "$INPUTS")" = "$fp" ]; then
	log "up to date ($OUTPUT)"
	exit 0
fi

rm -rf "$STAGE"
mkdir -p "$STAGE"
cd "$STAGE"
mkdir -p bin sbin usr/bin usr/sbin usr/local/bin usr/local/sbin dev proc sys run tmp root \
	etc lib/modules/vrctx var/log/nginx var/lib/nginx var/www/html var/run vrctx
chmod 1777 tmp
mknod -m 600 dev/console c 5 1
mknod -m 666 dev/null c 1 3

install -m 755 "$INIT" init
cp -a "$USERLAND/." .
install -m 755 "$BUSYBOX" bin/busybox
install -D -m 644 "$TESTLIB" usr/lib/vrctx/lib.sh
rm -f .stamp .manifest

# Our own programs are meant to be static; if one is not, bring its libraries.
add_prog() {
	local src=$1 name=$2 l lib path
	install -m 755 "$src" "usr/local/bin/$name"
	while read -r l; do
		case "$l" in
		*"=> not found"*) die "$name needs ${l%% *}, not found on the host" ;;
		*" => /"*)
			lib=${l%% *}
			path=${l#* => }
			path=${path% (*}
			[ -e "lib/$MULTIARCH/$lib" ] || cp -L "$path" "lib/$MULTIARCH/$lib"
			;;
		esac
	done < <(ldd "$src" 2>/dev/null || true)
}
[ -z "$VRCTL" ] || add_prog "$VRCTL" vrctl
for f in ${extra_bins[@]+"${extra_bins[@]}"}; do add_prog "$f" "${f##*/}"; done
for m in ${modules[@]+"${modules[@]}"}; do install -m 644 "$m" lib/modules/vrctx/; done

cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/bin/false
tcpdump:x:104:104:tcpdump:/nonexistent:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >etc/group <<'EOF'
root:x:0:
www-data:x:33:
tcpdump:x:104:
nogroup:x:65534:
EOF
cat >etc/nsswitch.conf <<'EOF'
passwd: files
group: files
shadow: files
hosts: files
networks: files
protocols: files
services: files
EOF
cat >etc/hosts <<'EOF'
127.0.0.1 localhost
EOF
for f in /etc/protocols /etc/services; do [ -f "$f" ] && cp "$f" etc/; done
# nginx: the packaged nginx.conf (user www-data, /run/nginx.pid, logs in
# /var/log/nginx) with a tiny IPv4-only default site on port 80.
mkdir -p etc/nginx/sites-enabled
cat >etc/nginx/sites-enabled/default <<'EOF'
server {
	listen 80 default_server;
	root /var/www/html;
	index index.html;
	server_name _;
	location / {
		try_files $uri $uri/ =404;
	}
}
EOF
echo "vrctx test guest" >var/www/html/index.html
chown -R 33:33 var/lib/nginx

tmp=$OUTPUT.tmp.$$
trap 'rm -f "$tmp"' EXIT
find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --reproducible --quiet | gzip -n -6 >"$tmp"
mv "$tmp" "$OUTPUT"
trap - EXIT
echo "$fp" >"$INPUTS"
log "built $OUTPUT ($(du -h "$OUTPUT" | cut -f1); ${#modules[@]} modules; vrctl: ${VRCTL:-none}; extra: ${extra_bins[*]:-none})"
