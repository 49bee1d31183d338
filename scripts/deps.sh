#!/usr/bin/env bash
# make deps: install what the build needs, each step idempotent and skipped
# when already satisfied. Writes build/toolchain.env for the other scripts.
. "$(dirname "$0")/common.sh"

APT_PKGS=(build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils
	kmod dwarves rsync qemu-system-x86 iproute2 python3-venv
	file protobuf-compiler)

missing=()
for p in "${APT_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing Debian packages: ${missing[*]}"
	[ "$(id -u)" = 0 ] || die "need root to install ${missing[*]} (or install them yourself)"
	apt-get update -qq || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
fi

command -v rustc >/dev/null || die "rustc not found: install Rust (rustup) first"
command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
RUSTV=$(rustc_version)

# bindgen-cli, exactly the pinned version.
if ! "$CARGO_BIN/bindgen" --version 2>/dev/null | grep -qx "bindgen $BINDGEN_VER"; then
	say "installing bindgen-cli $BINDGEN_VER with cargo (about 1 minute)"
	cargo install -q bindgen-cli --version "$BINDGEN_VER" --locked ||
		die "cargo install bindgen-cli $BINDGEN_VER failed"
fi

# libclang >= 17: a system one if present, else the PyPI wheel in a venv.
LIBCLANG_PATH=""
for v in 22 21 20 19 18 17; do
	if [ -e "/usr/lib/llvm-$v/lib/libclang.so" ] || [ -e "/usr/lib/llvm-$v/lib/libclang-$v.so.1" ]; then
		LIBCLANG_PATH=/usr/lib/llvm-$v/lib
		break
	fi
done
if [ -z "$LIBCLANG_PATH" ]; then
	venv=$BUILD/libclang-venv
	native=$(ls -d "$venv"/lib/python3*/site-packages/clang/native 2>/dev/null | head -n1 || true)
	if [ -z "$native" ] || [ ! -e "$native/libclang.so" ]; then
		say "installing libclang $LIBCLANG_WHEEL_VER (PyPI wheel) into $venv"
		PY=/usr/bin/python3
		[ -x "$PY" ] || PY=$(command -v python3) || die "python3 not found (needed for the libclang wheel)"
		rm -rf "$venv"
		"$PY" -m venv "$venv" || die "python3 -m venv failed (install python3-venv)"
		"$venv/bin/pip" install -q "libclang==$LIBCLANG_WHEEL_VER" ||
			die "pip install libclang==$LIBCLANG_WHEEL_VER failed"
		native=$(ls -d "$venv"/lib/python3*/site-packages/clang/native | head -n1)
	fi
	LIBCLANG_PATH=$native
fi

# rust-src matching rustc exactly.
RUST_LIB_SRC=""
sysroot_lib=$(rustc --print sysroot)/lib/rustlib/src/rust/library
if [ -d "$sysroot_lib/core" ]; then
	RUST_LIB_SRC=$sysroot_lib
else
	entry=${RUST_SRC_DEB[$RUSTV]:-}
	[ -n "$entry" ] || die "rustc $RUSTV has no matching rust-src package; install rust-src for it (rustup component add rust-src) or use rustc 1.95.0"
	debver=${entry% *}; sha=${entry#* }
	dest=$BUILD/rust-src
	if [ ! -d "$dest/usr/src/rustc-$RUSTV/library/core" ]; then
		deb=$CACHE/rust-src_${debver}_all.deb
		if [ ! -f "$deb" ] || ! echo "$sha  $deb" | sha256sum -c --status; then
			say "fetching rust-src $debver"
			got=$("$TOP/scripts/apt-private.sh" download "rust-src=$debver" "$CACHE") ||
				die "cannot fetch rust-src=$debver"
			[ "$got" = "$deb" ] || mv "$got" "$deb"
		fi
		echo "$sha  $deb" | sha256sum -c --status || die "rust-src $debver: SHA256 mismatch ($deb)"
		rm -rf "$dest" && mkdir -p "$dest"
		dpkg-deb -x "$deb" "$dest"
	fi
	RUST_LIB_SRC=$dest/usr/src/rustc-$RUSTV/library
fi

mkdir -p "$BUILD"
cat >"$BUILD/toolchain.env.new" <<EOT
RUSTC_VERSION=$RUSTV
LIBCLANG_PATH=$LIBCLANG_PATH
RUST_LIB_SRC=$RUST_LIB_SRC
EOT
mv "$BUILD/toolchain.env.new" "$BUILD/toolchain.env"
echo "deps ok: rustc $RUSTV, bindgen $BINDGEN_VER, libclang in $LIBCLANG_PATH, rust-src $RUST_LIB_SRC"
