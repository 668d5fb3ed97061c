#!/bin/bash
# Build every prefix of the series (base+1 .. HEAD) in build/linux, one after the
# other in the same object directory, so each step is an incremental build: the
# kernel Image, the uAPI headers and the iommu selftests against them. The tree is
# returned to where it was. Result: build/results/bisect.tap.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RES=$BUILD/results
mkdir -p "$RES"
cd "$TREE"
[ -z "$(git status --porcelain)" ] || die "commit your changes in $TREE before 'make bisect'"
orig=$(git symbolic-ref -q --short HEAD || git rev-parse HEAD)
# On any exit, also forget which fragment configured build/obj: an interrupted run
# leaves the .config of an early prefix there, which the next build must redo.
trap 'git -C "$TREE" checkout -q "$orig"; rm -f "$OBJ/.fragment.sha"' EXIT
mapfile -t commits < <(git rev-list --reverse base..HEAD)
t0=$(date +%s)
# The base's own iommu selftests do not build against its uAPI (the series' first
# selftest patch fixes that). A prefix that has not touched them yet only has to
# build the kernel; a skip says so, and any later prefix must build them.
base_selftests_build=0
git checkout -q --detach base
log "bisect: do the base's selftests build against its headers?"
if kmake headers_install INSTALL_HDR_PATH="$HDR" >"$RES/bisect-0.log" 2>&1 &&
	SELFTESTS_ONLY=1 "$ROOT/scripts/build-guest-progs.sh" >>"$RES/bisect-0.log" 2>&1; then
	base_selftests_build=1
fi
{
	echo "# suite: bisect"
	i=0
	for c in "${commits[@]}"; do
		i=$((i + 1))
		subj=$(git log -1 --format=%s "$c")
		git checkout -q --detach "$c"
		# Each prefix gets its own Kconfig: apply the fragment again
		rm -f "$OBJ/.fragment.sha"
		log "bisect $i/${#commits[@]}: $subj" 
		if ! ALLOW_UNDEFINED_OPTIONS=1 "$ROOT/scripts/build-kernel.sh" >"$RES/bisect-$i.log" 2>&1; then
			echo "not ok $i - builds: $subj"
			grep -E 'error|ERROR' "$RES/bisect-$i.log" | head -10 | sed 's/^/# /' || true
		elif SELFTESTS_ONLY=1 "$ROOT/scripts/build-guest-progs.sh" >>"$RES/bisect-$i.log" 2>&1; then
			echo "ok $i - builds: $subj"
		elif [ "$base_selftests_build" = 0 ] &&
			git diff --quiet base "$c" -- tools/testing/selftests/iommu; then
			echo "ok $i - builds: $subj # SKIP selftests: as the base's, untouched so far, they do not build"
		else
			echo "not ok $i - builds: $subj"
			grep -E 'error|ERROR' "$RES/bisect-$i.log" | head -10 | sed 's/^/# /' || true
		fi
	done
	echo "1..$i"
} >"$RES/bisect.tap.new"
sed -i "1s/.*/# suite: bisect secs=$(($(date +%s) - t0))/" "$RES/bisect.tap.new"
mv "$RES/bisect.tap.new" "$RES/bisect.tap"
cat "$RES/bisect.tap" >&2
! grep -q '^not ok' "$RES/bisect.tap"
