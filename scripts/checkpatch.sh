#!/usr/bin/env bash
# Every patch of the series must be clean under checkpatch --strict.
. "$(dirname "$0")/common.sh"
cp=$BUILD/linux-src/scripts/checkpatch.pl
[ -f "$cp" ] || die "no kernel tree yet: run 'make kernel'"
bad=0
while read -r p; do
	[ -n "$p" ] || continue
	if ! out=$(perl "$cp" --no-tree --strict --quiet "$TOP/kernel-patches/$p" 2>&1); then
		echo "checkpatch: $p"
		echo "$out"
		bad=1
	fi
done <"$TOP/kernel-patches/series"
exit $bad
