#!/bin/bash
# Write the tree's commits (base..HEAD) back to patches/ as a format-patch series.
#   export.sh [TREE [OUTDIR]]   (defaults: build/linux, patches/)
# The cover letter's From/Date/subject and text are kept from the existing
# 0000-cover-letter.patch; only its patch count, shortlog and diffstat are regenerated.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=${1:-$TREE}
dst=${2:-$ROOT/patches}
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 || die "no tree at $src"
cd "$src"
[ -z "$(git status --porcelain)" ] || die "$src has uncommitted changes: commit them first"
n=$(git rev-list --count base..HEAD)
[ "$n" -gt 0 ] || die "no commits on top of base"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -c core.abbrev=12 -c diff.noprefix=false format-patch -q --zero-commit --no-signature \
	--cover-letter --subject-prefix="PATCH v2" -o "$tmp" base..HEAD
cover=$dst/0000-cover-letter.patch
[ -f "$cover" ] || cover=$ROOT/patches/0000-cover-letter.patch
python3 "$ROOT/scripts/cover-letter.py" "$cover" "$tmp/0000-cover-letter.patch"

mkdir -p "$dst"
rm -f "$dst"/[0-9][0-9][0-9][0-9]-*.patch
cp "$tmp"/*.patch "$dst/"
if [ "$src" = "$TREE" ] && [ "$dst" = "$ROOT/patches" ]; then
	git rev-parse HEAD >.git/exported-head
	patches_sha >.git/patches-sha
fi
log "exported $n patches + cover letter to $dst"
