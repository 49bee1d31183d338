#!/usr/bin/env bash
# make kernel KIND=test|lean: fetch the pinned kernel source (or use
# KERNEL_SRC), apply kernel-patches/series, configure from tinyconfig plus
# configs/base.config and configs/KIND.config, build bzImage. Incremental:
# the patched tree under build/linux-src is patched forward/backward when the
# series changes, and the objects live in build/kernel-KIND (O=).
. "$(dirname "$0")/common.sh"
KIND=${1:-test}
case $KIND in test | lean) ;; *) die "unknown kernel kind '$KIND' (test or lean)" ;; esac
SRC=$BUILD/linux-src
OBJ=$BUILD/kernel-$KIND
APPLIED=$SRC/.vrctx-applied
KCONFIG_DEST=$SRC/net/vrctx/Kconfig
tool_env

fetch_source() {
	local deb=$CACHE/${KERNEL_PKG}_${KERNEL_VER}_all.deb ver=$KERNEL_VER sha=$KERNEL_SHA256
	mkdir -p "$CACHE"
	if [ ! -f "$deb" ] || ! echo "$sha  $deb" | sha256sum -c --status; then
		say "fetching $KERNEL_PKG=$KERNEL_VER (167 MB, cached in $CACHE)"
		if ! got=$("$TOP/scripts/apt-private.sh" download "$KERNEL_PKG=$KERNEL_VER" "$CACHE"); then
			ver=$("$TOP/scripts/apt-private.sh" versions "$KERNEL_PKG" | head -n1)
			[ -n "$ver" ] || die "no $KERNEL_PKG in the archive"
			warn "$KERNEL_PKG=$KERNEL_VER is gone from the archive; falling back to $ver (unverified: no pinned SHA256)"
			got=$("$TOP/scripts/apt-private.sh" download "$KERNEL_PKG=$ver" "$CACHE") || die "cannot fetch $KERNEL_PKG=$ver"
			deb=$got
		fi
	fi
	if [ "$ver" = "$KERNEL_VER" ]; then
		echo "$sha  $deb" | sha256sum -c --status || die "$deb: SHA256 mismatch (delete it to re-download)"
	fi
	say "unpacking $(basename "$deb")"
	rm -rf "$SRC.tmp" && mkdir -p "$SRC.tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -O --wildcards './usr/src/linux-source-*.tar.xz' |
		tar -xJ -C "$SRC.tmp" --strip-components=1
}

fresh_source() {
	rm -rf "$SRC"
	if [ -n "${KERNEL_SRC:-}" ]; then
		[ -f "$KERNEL_SRC/Makefile" ] || die "KERNEL_SRC=$KERNEL_SRC is not a kernel tree"
		say "copying KERNEL_SRC=$KERNEL_SRC"
		rm -rf "$SRC.tmp" && mkdir -p "$SRC.tmp"
		rsync -a --exclude .git "$KERNEL_SRC/" "$SRC.tmp/"
	else
		fetch_source
	fi
	mv "$SRC.tmp" "$SRC"
	mkdir -p "$APPLIED"
	: >"$APPLIED/series"
}

apply_series() {
	: >"$APPLIED/series"
	rm -f "$APPLIED/Kconfig.placeholder"
	local p
	while read -r p; do
		[ -n "$p" ] || continue
		if ! (cd "$SRC" && patch -s -p1 --forward --no-backup-if-mismatch -r - <"$TOP/kernel-patches/$p"); then
			echo "$p" >"$APPLIED/failed"
			return 1
		fi
		cp "$TOP/kernel-patches/$p" "$APPLIED/$p"
		echo "$p" >>"$APPLIED/series"
	done <"$TOP/kernel-patches/series"
}

patch_source() {
	local want=$TOP/kernel-patches/series
	if [ ! -f "$SRC/Makefile" ] || [ ! -f "$APPLIED/series" ] ||
		[ "${KERNEL_SRC:-}" != "$(cat "$APPLIED/origin" 2>/dev/null)" ]; then
		fresh_source
		echo "${KERNEL_SRC:-}" >"$APPLIED/origin"
	fi
	# Same series, same patch contents: nothing to do.
	if cmp -s "$want" "$APPLIED/series" &&
		(cd "$TOP/kernel-patches" && while read -r p; do cmp -s "$p" "$APPLIED/$p" || exit 1; done <series); then
		:
	else
		say "updating the patch series in $SRC"
		# Files the old or new series touch keep their mtime when their
		# content ends up unchanged, so that the rebuild stays incremental.
		keep=$BUILD/.kernel-keep
		rm -rf "$keep" && mkdir -p "$keep"
		touched=$( (cd "$APPLIED" && cat $(cat series) 2>/dev/null; cd "$TOP/kernel-patches" && cat $(cat series)) |
			sed -n 's|^+++ b/||p' | sort -u)
		for f in $touched; do
			[ -f "$SRC/$f" ] && mkdir -p "$keep/$(dirname "$f")" && cp -p "$SRC/$f" "$keep/$f"
		done
		# Put back the placeholder that the series created, then unapply the
		# old series, newest first; if either fails start afresh.
		if ! (cd "$SRC" && { [ ! -f "$APPLIED/Kconfig.placeholder" ] ||
			cp "$APPLIED/Kconfig.placeholder" "$KCONFIG_DEST"; } &&
			tac "$APPLIED/series" | while read -r p; do
				patch -s -p1 -R --no-backup-if-mismatch <"$APPLIED/$p" || exit 1
			done); then
			warn "could not unapply the previous series; starting from a fresh tree"
			fresh_source
			echo "${KERNEL_SRC:-}" >"$APPLIED/origin"
		fi
		if ! apply_series; then
			warn "the series did not apply on the updated tree; starting from a fresh tree"
			fresh_source
			echo "${KERNEL_SRC:-}" >"$APPLIED/origin"
			apply_series || die "kernel-patches/$(tail -n1 "$APPLIED/failed") does not apply to a fresh tree"
		fi
	fi
	if [ -d "${keep:-}" ]; then
		for f in $touched; do
			if [ -f "$keep/$f" ] && cmp -s "$keep/$f" "$SRC/$f"; then
				touch -r "$keep/$f" "$SRC/$f"
			fi
		done
		rm -rf "$keep"
	fi
	# The project's Kconfig goes over the placeholder the first patch creates.
	if [ ! -f "$APPLIED/Kconfig.placeholder" ]; then
		[ -f "$KCONFIG_DEST" ] || die "the series did not create $KCONFIG_DEST"
		cp "$KCONFIG_DEST" "$APPLIED/Kconfig.placeholder"
	fi
	cmp -s "$TOP/Kconfig" "$KCONFIG_DEST" || cp "$TOP/Kconfig" "$KCONFIG_DEST"
}

configure() {
	local stamp=$OBJ/.vrctx-config-inputs inputs
	inputs=$(cat "$TOP/configs/base.config" "$TOP/configs/$KIND.config" "$TOP/Kconfig" | sha256sum)
	if [ -f "$OBJ/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$inputs" ]; then
		return
	fi
	say "configuring the $KIND kernel (tinyconfig + configs/base.config + configs/$KIND.config)"
	mkdir -p "$OBJ"
	make -s -C "$SRC" O="$OBJ" "${KMAKE_RUST[@]}" tinyconfig >/dev/null
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" \
		"$TOP/configs/base.config" "$TOP/configs/$KIND.config" >"$OBJ/merge.log"
	make -s -C "$SRC" O="$OBJ" "${KMAKE_RUST[@]}" olddefconfig >/dev/null
	# Options the project cannot do without: fail early and say which.
	local want=(CONFIG_RUST CONFIG_NET_IP_VIRTUAL CONFIG_NETFILTER CONFIG_NETFILTER_FAMILY_ARP
		CONFIG_IP_MULTIPLE_TABLES CONFIG_IP_MULTICAST CONFIG_NET_NS CONFIG_VIRTIO_NET
		CONFIG_IPV6 CONFIG_NF_TABLES CONFIG_NET_VRF CONFIG_MPTCP)
	[ "$KIND" = test ] && want+=(CONFIG_PROVE_LOCKING CONFIG_DEBUG_KMEMLEAK CONFIG_KUNIT CONFIG_RUST_OVERFLOW_CHECKS)
	local o
	for o in "${want[@]}"; do
		grep -q "^$o=y" "$OBJ/.config" || {
			[ "$o" = CONFIG_RUST ] && make -C "$SRC" O="$OBJ" "${KMAKE_RUST[@]}" rustavailable >&2 || true
			die "$o is not set in build/kernel-$KIND/.config (see $OBJ/merge.log)"
		}
	done
	echo "$inputs" >"$stamp"
}

patch_source
configure
say "building the $KIND kernel in build/kernel-$KIND"
start=$(date +%s)
if ! make -C "$SRC" O="$OBJ" "${KMAKE_RUST[@]}" -j"$(nproc)" bzImage modules >"$OBJ/build.log" 2>&1; then
	grep -E 'error|Error' "$OBJ/build.log" | head -40 >&2
	tail -n 20 "$OBJ/build.log" >&2
	die "kernel build failed (full log: $OBJ/build.log)"
fi
# A compiler warning in a file the series touches fails the build, as a
# warning in the modules does.
touched=$(cd "$TOP/kernel-patches" && sed -n 's|^+++ b/||p' $(cat series) | sort -u)
warned=$(grep -E '^[^ ]+:[0-9]+:[0-9]+: warning:' "$OBJ/build.log" | sed "s|^$SRC/||" | sort -u || true)
bad=$(echo "$warned" | while IFS= read -r l; do
	[ -n "$l" ] || continue
	f=${l%%:*}
	echo "$touched" | grep -qxF "$f" && echo "$l"
done)
if [ -n "$bad" ]; then
	echo "$bad" >&2
	die "compiler warnings in files the kernel series touches (full log: $OBJ/build.log)"
fi
echo "kernel $KIND: $OBJ/arch/x86/boot/bzImage ($(($(date +%s) - start)) s)"
