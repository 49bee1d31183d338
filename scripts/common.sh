# Shared settings for the vrctx build scripts (sourced, not run).
# shellcheck shell=bash
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$TOP/build
CACHE=${VRCTX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vrctx}
export VRCTX_CACHE=$CACHE
CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin
PATH=$CARGO_BIN:$PATH

# Pinned downloads (docs/design.md §7): package=version and SHA256 of the .deb.
KERNEL_PKG=linux-source-7.3
KERNEL_VER=7.3.4-1~bpo13+1
KERNEL_SHA256=703e369ddd4cce971452f5a593ee55df3a5c10c83caf0fa0df039633ed181ee3
BINDGEN_VER=0.73.2
LIBCLANG_WHEEL_VER=18.1.1
# rust-src must match `rustc --version` exactly: rustc version -> deb version, sha256.
declare -A RUST_SRC_DEB=(
	[1.95.0]="1.95.0+dfsg1-2~bpo13+1 7b76db5b880a77f9e52975d2baa6209d2f76d2c9c2789515c3088cb960e2c83b"
)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

rustc_version() { rustc --version | awk '{print $2}'; }

# Where the Rust toolchain pieces are (set by deps.sh, read by the rest).
tool_env() {
	BINDGEN=$CARGO_BIN/bindgen
	[ -x "$BINDGEN" ] || BINDGEN=$(command -v bindgen || true)
	[ -f "$BUILD/toolchain.env" ] || die "toolchain not prepared: run 'make deps'"
	# shellcheck disable=SC1091
	. "$BUILD/toolchain.env"
	export LIBCLANG_PATH RUST_LIB_SRC
	KMAKE_RUST=(RUSTC=rustc "BINDGEN=$BINDGEN" "RUST_LIB_SRC=$RUST_LIB_SRC")
}
