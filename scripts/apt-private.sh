#!/usr/bin/env bash
# Private apt directory for packages from a suite the host does not list
# (trixie-backports: linux-source-7.3, rust-src). The system's apt state is
# never touched. The mirror is read from the machine's own apt sources.
#
#   apt-private.sh update
#   apt-private.sh download PKG=VER [DEST]      (prints the .deb path)
#   apt-private.sh versions PKG                 (newest first)
set -euo pipefail
SUITE=${VRCTX_APT_SUITE:-trixie-backports}
CACHE=${VRCTX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vrctx}
D=$CACHE/apt
die() { echo "apt-private: $*" >&2; exit 1; }

mirror() {
	local m=""
	if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
		m=$(awk '/^URIs:/ {print $2}' /etc/apt/sources.list.d/*.sources |
			grep -v -e security -e nodesource -e google | head -n1)
	fi
	if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
		m=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^(https?|file):/) {print $i; exit}}' /etc/apt/sources.list)
	fi
	[ -n "$m" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d/*.sources}"
	echo "$m"
}

opts() {
	echo "-o Dir::Etc::sourcelist=$D/sources.list -o Dir::Etc::sourceparts=- \
-o Dir::State::Lists=$D/lists -o Dir::State::status=/var/lib/dpkg/status \
-o Dir::Cache=$D/cache -o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1 -o APT::Sandbox::User=root"
}

update() {
	mkdir -p "$D/lists/partial" "$D/cache/archives/partial"
	local m; m=$(mirror)
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $m $SUITE main" >"$D/sources.list"
	# shellcheck disable=SC2046
	apt-get $(opts) -qq update >"$D/update.log" 2>&1 ||
		{ cat "$D/update.log" >&2; die "apt-get update of $SUITE from $m failed"; }
	touch "$D/stamp"
}

ensure_fresh() {
	# Refresh the list at most once a day.
	if [ ! -f "$D/stamp" ] || [ -n "$(find "$D/stamp" -mmin +1440)" ]; then update; fi
}

case "${1:-}" in
update) update ;;
versions)
	ensure_fresh
	# shellcheck disable=SC2046
	apt-cache $(opts) madison "$2" | awk -F'|' '{gsub(/ /,"",$2); print $2}' ;;
download)
	ensure_fresh
	dest=${3:-$CACHE}
	mkdir -p "$dest"
	cd "$dest"
	# shellcheck disable=SC2046
	apt-get $(opts) -qq download "$2" >&2 || die "cannot download $2 from $SUITE"
	name=${2%%=*}; ver=${2#*=}
	ls -t "$dest"/"${name}_${ver//:/%3a}"_*.deb | head -n1 ;;
*) die "usage: $0 update | versions PKG | download PKG=VER [DEST]" ;;
esac
