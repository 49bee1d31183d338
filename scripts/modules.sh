#!/usr/bin/env bash
# make modules KIND=test|lean: build the out-of-tree Rust modules vrctx and
# dhost against build/kernel-KIND, into build/modules-KIND/.
. "$(dirname "$0")/common.sh"
KIND=${1:-test}
SRC=$BUILD/linux-src
OBJ=$BUILD/kernel-$KIND
OUT=$BUILD/modules-$KIND
tool_env
[ -f "$OBJ/vmlinux" ] || die "build/kernel-$KIND is not built: run 'make kernel KIND=$KIND'"
mkdir -p "$OUT"
for m in vrctx dhost; do
	# Kbuild writes objects next to the sources: build in a copy under build/.
	w=$BUILD/mod-$KIND/$m
	mkdir -p "$w"
	rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' --exclude '*.mod*' \
		--exclude modules.order --exclude Module.symvers "$TOP/$m/" "$w/" --filter 'P *.o' --filter 'P .*.cmd' \
		--filter 'P *.mod*' --filter 'P *.ko' --filter 'P modules.order' --filter 'P Module.symvers'
	if ! make -C "$SRC" O="$OBJ" "${KMAKE_RUST[@]}" M="$w" modules >"$w/build.log" 2>&1; then
		cat "$w/build.log" >&2
		die "module $m failed to build"
	fi
	grep -E 'warning' "$w/build.log" >&2 || true
	cp "$w/$m.ko" "$OUT/$m.ko"
done
echo "modules $KIND: $(cd "$OUT" && echo *.ko)"
