#!/bin/bash
# Exit 0 when build/linux holds nothing beyond what patches/ has: a clean work tree
# whose HEAD is the commit last created from, or exported to, patches/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ -d "$TREE/.git" ] || exit 0
cd "$TREE"
if [ -n "$(git status --porcelain)" ]; then
	echo "uncommitted changes in $TREE:" >&2
	git status --short | head -20 >&2
	exit 1
fi
head=$(git rev-parse HEAD)
if [ "$head" != "$(cat .git/exported-head 2>/dev/null)" ]; then
	echo "$TREE HEAD $head was never exported to patches/" >&2
	exit 1
fi
