#!/bin/bash
# Build the programs the test VM runs, all static arm64 against the uAPI headers that
# build-kernel.sh installed from the tree: the iommu kselftests from the tree, and
# the workbench's own guest tools (guest/tools/*.c).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -d "$HDR/include/linux" ] || die "no installed uAPI headers in $HDR: run 'make build'"
mkdir -p "$SELFTESTS"
log "building tools/testing/selftests/iommu (static arm64, headers from $HDR)"
run_logged "$SELFTESTS/build.log" make -C "$TREE/tools/testing/selftests/iommu" \
	ARCH=arm64 CROSS_COMPILE="$CROSS_COMPILE" OUTPUT="$SELFTESTS" \
	KHDR_INCLUDES="-isystem $HDR/include" USERCFLAGS="-static" LDFLAGS="-static" ||
	die "iommu selftests do not build (log: $SELFTESTS/build.log)"
for t in iommufd iommufd_fail_nth; do
	file "$SELFTESTS/$t" | grep -q 'aarch64.*statically linked' || die "$t is not a static arm64 binary"
done
# make bisect builds early prefixes of the series: the workbench's own tools
# use the uAPI of the whole series, so only the tree's selftests are built then.
if [ "${SELFTESTS_ONLY:-0}" = 1 ]; then
	log "selftests ready in $SELFTESTS (guest tools skipped)"
	exit 0
fi
mkdir -p "$SELFTESTS/tools"
for src in "$ROOT"/guest/tools/*.c; do
	bin=$SELFTESTS/tools/$(basename "$src" .c)
	stale=0
	for dep in "$src" "$HDR/include/linux/iommufd.h" "$ROOT"/guest/tools/*.h; do
		[ "$bin" -nt "$dep" ] || stale=1
	done
	[ "$stale" = 0 ] && continue
	log "building guest tool $(basename "$bin")"
	${CROSS_COMPILE}gcc -static -O2 -Wall -Wextra -Werror -isystem "$HDR/include" \
		-I "$TREE/tools/testing/selftests" -o "$bin" "$src"
done
log "guest programs ready in $SELFTESTS"
