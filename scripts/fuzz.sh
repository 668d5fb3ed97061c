#!/bin/bash
# make fuzz: the seeded fuzzer over more seeds and longer, and the concurrency stress
# longer, than make check's fixed seed (docs/reliability.md). On the debug kernel
# (KASAN, kmemleak, ...) when it is built (make check-debug builds it), else on the
# test kernel. FUZZ_SEEDS=FIRST-LAST (default 1-8), FUZZ_SECS per seed (default 300),
# FUZZ_FAIL (percent of the fuzzer's ioctls run with a kernel fault armed through
# fail-nth, default 10), STRESS_SECS (default 600); a seed that fails is replayed with
#   iommufd-fuzz --seed N --execs M --fail-nth P   (M: the count it printed).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

seeds=${FUZZ_SEEDS:-1-8}
secs=${FUZZ_SECS:-300}
ssecs=${STRESS_SECS:-600}
fail=${FUZZ_FAIL:-10}
[[ "$seeds" =~ ^[0-9]+-[0-9]+$ ]] || die "FUZZ_SEEDS must be FIRST-LAST, not '$seeds'"
image=$BUILD/obj-debug/arch/arm64/boot/Image
if [ ! -f "$image" ]; then
	log "no debug kernel ($image): fuzzing the test kernel (make check-debug builds the debug one)"
	"$ROOT/scripts/ensure-tree.sh"
	"$ROOT/scripts/build-kernel.sh"
	image=$OBJ/arch/arm64/boot/Image
else
	export KHDR=$BUILD/usr-debug
fi
"$ROOT/scripts/build-guest-progs.sh"
"$ROOT/scripts/pack-initramfs.sh"
"$ROOT/scripts/make-iort-override.sh"
RES=$BUILD/results-fuzz
rm -rf "$RES"
mkdir -p "$RES"
n=$((${seeds#*-} - ${seeds%-*} + 1))
KERNEL=$image APPEND="fuzz.seeds=$seeds fuzz.secs=$secs fuzz.fail=$fail stress.secs=$ssecs" \
	BOOT_TIMEOUT=$((n * (secs + 120) + ssecs + 1800)) \
	"$ROOT/scripts/boot-vm.sh" fuzz "$RES/console.log" || true
python3 "$ROOT/scripts/rollup.py" "$RES/console.log" --expect reliability:viommu-stress-long |
	tee "$RES/rollup.txt"
