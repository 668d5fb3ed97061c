#!/bin/bash
# Host-side checks of patches/, written as TAP files for the roll-up:
#   build/results/series.tap      every patch applies on the pinned base (git am in a
#                                  scratch worktree) and tree -> export -> tree is
#                                  byte-identical
#   build/results/checkpatch.tap  scripts/checkpatch.pl --strict on every patch: errors
#                                  fail, warnings and checks are listed
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RES=$BUILD/results
mkdir -p "$RES"
scratch=$BUILD/series-check
[ -d "$TREE/.git" ] || die "no tree: run 'make tree'"
mapfile -t series < <(ls "$ROOT"/patches/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-cover-letter.patch$')

t0=$(date +%s)
log "series: applying ${#series[@]} patches on base in a scratch worktree"
git -C "$TREE" worktree remove --force "$scratch" 2>/dev/null || rm -rf "$scratch"
git -C "$TREE" worktree prune
git -C "$TREE" worktree add -q --detach "$scratch" base
{
	i=0
	for p in "${series[@]}"; do
		i=$((i + 1))
		if git -C "$scratch" am -q --committer-date-is-author-date "$p" 2>/dev/null; then
			echo "ok $i - applies: $(basename "$p")"
		else
			git -C "$scratch" am --abort 2>/dev/null || true
			echo "not ok $i - applies: $(basename "$p")"
			break
		fi
	done
	out=$(mktemp -d)
	i=$((i + 1))
	if "$ROOT/scripts/export.sh" "$scratch" "$out" >/dev/null 2>&1 && diff -r "$ROOT/patches" "$out" -x base.pin >/dev/null; then
		echo "ok $i - round trip: patches -> tree -> export is byte-identical"
	else
		echo "not ok $i - round trip: patches -> tree -> export differs"
		diff -r "$ROOT/patches" "$out" -x base.pin | head -20 | sed 's/^/# /' || true
	fi
	rm -rf "$out"
	echo "1..$i"
} >"$RES/series.body"
{
	echo "# suite: series secs=$(($(date +%s) - t0))"
	cat "$RES/series.body"
} >"$RES/series.tap"
git -C "$TREE" worktree remove --force "$scratch"

t0=$(date +%s)
log "checkpatch --strict on ${#series[@]} patches"
{
	i=0
	for p in "${series[@]}"; do
		i=$((i + 1))
		out=$("$TREE/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
			--ignore FILE_PATH_CHANGES,GERRIT_CHANGE_ID "$p" 2>&1 || true)
		if echo "$out" | grep -q ': ERROR:'; then
			echo "not ok $i - checkpatch: $(basename "$p")"
		else
			echo "ok $i - checkpatch: $(basename "$p")"
		fi
		echo "$out" | grep -E ': (ERROR|WARNING|CHECK):' | sed 's/^/# /' || true
	done
	echo "1..$i"
} >"$RES/checkpatch.body"
{
	echo "# suite: checkpatch secs=$(($(date +%s) - t0))"
	cat "$RES/checkpatch.body"
} >"$RES/checkpatch.tap"
rm -f "$RES"/*.body
grep -h '^# .*: \(ERROR\|WARNING\|CHECK\):' "$RES/checkpatch.tap" >&2 || true
grep -h '^not ok' "$RES/series.tap" "$RES/checkpatch.tap" >&2 || true
log "series checks written to $RES"
