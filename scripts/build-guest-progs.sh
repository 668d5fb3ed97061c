#!/bin/bash
# Build the programs the test VM runs, all static arm64 against the uAPI headers that
# build-kernel.sh installed from the tree: the iommu kselftests from the tree, and
# the workbench's own guest tools (guest/tools/NAME.c and guest/tools/NAME/).
# KSELFTESTS picks the output directory; SELFTEST_CFLAGS adds compiler flags to the
# tree's selftests (make check-debug: its own directory, harness time limits scaled).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -d "$HDR/include/linux" ] || die "no installed uAPI headers in $HDR: run 'make build'"
mkdir -p "$SELFTESTS"
log "building tools/testing/selftests/iommu (static arm64, headers from $HDR)"
run_logged "$SELFTESTS/build.log" make -C "$TREE/tools/testing/selftests/iommu" \
	ARCH=arm64 CROSS_COMPILE="$CROSS_COMPILE" OUTPUT="$SELFTESTS" \
	KHDR_INCLUDES="-isystem $HDR/include" USERCFLAGS="-static ${SELFTEST_CFLAGS:-}" LDFLAGS="-static" ||
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
# A guest tool is guest/tools/NAME.c, or a directory guest/tools/NAME/ whose .c
# files make one program NAME (its .h files are its own); all share
# guest/tools/*.h. Each is rebuilt when any of its files (or, for a directory,
# the set of its files) or headers is newer than the program.
shopt -s nullglob
build_tool() { # NAME DEP... -- SOURCE...
	local bin=$SELFTESTS/tools/$1 dep stale=0
	shift
	while [ "$1" != -- ]; do
		[ "$bin" -nt "$1" ] || stale=1
		shift
	done
	shift
	for dep in "$HDR/include/linux/iommufd.h" "$ROOT"/guest/tools/*.h; do
		[ "$bin" -nt "$dep" ] || stale=1
	done
	[ "$stale" = 0 ] && return 0
	log "building guest tool $(basename "$bin")"
	${CROSS_COMPILE}gcc -static -O2 -Wall -Wextra -Werror -isystem "$HDR/include" \
		-I "$TREE/tools/testing/selftests" -o "$bin" "$@"
}
mkdir -p "$SELFTESTS/tools"
for src in "$ROOT"/guest/tools/*.c; do
	build_tool "$(basename "$src" .c)" "$src" -- "$src"
done
for dir in "$ROOT"/guest/tools/*/; do
	dir=${dir%/}
	srcs=("$dir"/*.c)
	[ "${#srcs[@]}" -gt 0 ] || die "guest tool directory $dir has no .c file"
	build_tool "$(basename "$dir")" "$dir" "${srcs[@]}" "$dir"/*.h -- "${srcs[@]}"
done
log "guest programs ready in $SELFTESTS"
