#!/usr/bin/env bash
# make modules KIND=test|lean: build the out-of-tree Rust modules vrctx and
# dhost against build/kernel-KIND, into build/modules-KIND/. A compiler
# warning fails the build.
#
# scripts/modules.sh KIND --lint: instead, check the modules' Rust like the
# userspace crates: rustfmt (the kernel's .rustfmt.toml) and clippy (the
# kernel's CLIPPY=1 build, its lint set); any finding fails.
. "$(dirname "$0")/common.sh"
KIND=${1:-test}
MODE=${2:-build}
SRC=$BUILD/linux-src
OBJ=$BUILD/kernel-$KIND
OUT=$BUILD/modules-$KIND
tool_env
[ -f "$OBJ/vmlinux" ] || die "build/kernel-$KIND is not built: run 'make kernel KIND=$KIND'"
mkdir -p "$OUT"

if [ "$MODE" = --lint ]; then
	rustfmt --check --config-path "$SRC/.rustfmt.toml" "$TOP"/vrctx/*.rs "$TOP"/dhost/*.rs ||
		die "module Rust is not rustfmt-clean (rustfmt --config-path build/linux-src/.rustfmt.toml vrctx/*.rs dhost/*.rs)"
fi

for m in vrctx dhost; do
	# Kbuild writes objects next to the sources: build in a copy under build/.
	w=$BUILD/mod-$KIND/$m
	[ "$MODE" = --lint ] && w=$BUILD/mod-$KIND-clippy/$m
	mkdir -p "$w"
	rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' --exclude '*.mod*' \
		--exclude modules.order --exclude Module.symvers "$TOP/$m/" "$w/" --filter 'P *.o' --filter 'P .*.cmd' \
		--filter 'P *.mod*' --filter 'P *.ko' --filter 'P modules.order' --filter 'P Module.symvers'
	extra=()
	if [ "$MODE" = --lint ]; then
		extra=(CLIPPY=1)
		# Every file again: clippy only sees what it compiles.
		find "$w" -name '*.o' -delete
	fi
	if ! make -C "$SRC" O="$OBJ" "${KMAKE_RUST[@]}" "${extra[@]}" M="$w" modules >"$w/build.log" 2>&1; then
		cat "$w/build.log" >&2
		die "module $m failed to build"
	fi
	if grep -q -E '^(warning|error)' "$w/build.log"; then
		grep -E -A12 '^(warning|error)' "$w/build.log" >&2
		die "module $m: compiler warnings (full log: $w/build.log)"
	fi
	[ "$MODE" = --lint ] && continue
	cp "$w/$m.ko" "$OUT/$m.ko"
done
if [ "$MODE" = --lint ]; then
	echo "modules $KIND: rustfmt and clippy clean"
else
	echo "modules $KIND: $(cd "$OUT" && echo *.ko)"
fi
