#!/bin/bash
# Build the git tree under build/linux: one base commit (Debian's linux-source-6.12,
# checked against patches/base.pin) plus one commit per patch of the series (git am).
# Refuses to overwrite a tree that holds commits or changes that were not exported.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_pin

tarball=/usr/src/$BASE_TARBALL
[ -f "$tarball" ] || die "$tarball missing: run 'make setup' (installs $BASE_PACKAGE)"

if [ -d "$TREE/.git" ] && [ "${FORCE:-0}" != 1 ]; then
	"$(dirname "$0")/tree-is-exported.sh" ||
		die "$TREE holds work that is not in patches/ (run 'make export' first, or FORCE=1 to discard it)"
fi

have_version=$(dpkg-query -W -f='${Version}' "$BASE_PACKAGE" 2>/dev/null || echo unknown)
have_sha=$(sha256sum "$tarball" | cut -d' ' -f1)
mismatch=0
if [ "$have_version" != "$BASE_VERSION" ] || [ "$have_sha" != "$BASE_SHA256" ]; then
	mismatch=1
	warn "BASE MOVED: installed $BASE_PACKAGE is $have_version (sha256 $have_sha),
!!! the series is pinned to $BASE_VERSION (sha256 $BASE_SHA256).
!!! Continuing only if every patch still applies; results are NOT for the pinned base."
fi

log "extracting $tarball"
rm -rf "$TREE.new"
mkdir -p "$TREE.new"
tar -C "$TREE.new" --strip-components=1 -xf "$tarball"
cd "$TREE.new"
# Debian's packaging appends "ignore everything at the top level" to .gitignore; drop
# that block so new files show up in 'git status' as they do in a kernel.org tree.
n=$(grep -n '^# Debian packaging: ignore everything' .gitignore | cut -d: -f1 || true)
if [ -n "$n" ]; then
	head -n $((n - 3)) .gitignore >.gitignore.tmp && mv .gitignore.tmp .gitignore
fi
git init -q -b master
git config core.abbrev 12
git add -A -f
GIT_AUTHOR_NAME="$GIT_COMMITTER_NAME" GIT_AUTHOR_EMAIL="$GIT_COMMITTER_EMAIL" \
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
	git commit -q -m "Base: Debian $BASE_PACKAGE $have_version" \
	-m "Extracted from /usr/src/$BASE_TARBALL (sha256 $have_sha); Debian's
top-level .gitignore block for its packaging repository removed."
git tag base

mapfile -t series < <(ls "$ROOT"/patches/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '/0000-cover-letter.patch$' || true)
log "applying ${#series[@]} patches with git am"
for p in "${series[@]}"; do
	git am -q --committer-date-is-author-date "$p" ||
		{ git am --abort || true; die "patch does not apply: $(basename "$p")${mismatch:+ (base moved, see warning above)}"; }
done
git rev-parse HEAD >.git/exported-head
patches_sha >.git/patches-sha
cd "$ROOT"
rm -rf "$TREE"
mv "$TREE.new" "$TREE"
log "tree ready: $TREE ($(git -C "$TREE" rev-list --count base..HEAD) patches on base)"
