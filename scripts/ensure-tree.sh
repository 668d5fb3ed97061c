#!/bin/bash
# Make sure build/linux matches the series: create it when missing, re-create it
# when patches/ changed (e.g. after a git pull) and the tree holds nothing
# unexported. A tree with unexported work is used as it is, with a loud warning.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ ! -d "$TREE/.git" ]; then
	exec "$ROOT/scripts/make-tree.sh"
fi
if ! "$ROOT/scripts/tree-is-exported.sh" 2>/dev/null; then
	warn "build/linux has work that is not exported: testing the TREE, not patches/ ('make export')"
	exit 0
fi
if [ "$(cat "$TREE/.git/patches-sha" 2>/dev/null)" != "$(patches_sha)" ]; then
	log "patches/ changed since build/linux was made: re-creating it"
	FORCE=1 exec "$ROOT/scripts/make-tree.sh"
fi
log "build/linux is up to date with patches/ ($(git -C "$TREE" rev-list --count base..HEAD) patches)"
