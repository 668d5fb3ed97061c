#!/bin/bash
# make check-debug: the test VM's suites (KUnit, iommufd selftests and fail_nth, e2e,
# the benchmark at its tiny size, the fuzzer's fixed seed and the concurrency stress)
# on a debug build of the same tree: config/test.config + config/debug.config
# (KASAN, kmemleak, UBSAN, debug objects, DEBUG_VM, lockdep, fault injection), in its
# own object directory build/obj-debug; then the firmware-IORT boot. Any KASAN,
# UBSAN, ODEBUG or lockdep report fails the run (scripts/rollup.py), and so does any
# object kmemleak finds unreferenced at the end. Not part of make check (cost:
# README.md); run it before calling an issue resolved (docs/reliability.md).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t_start=$(date +%s)
export KOBJ=$BUILD/obj-debug KHDR=$BUILD/usr-debug KSELFTESTS=$BUILD/selftests-debug
# The harness's per-test time limits, x10 (guest/harness-time-scale.h)
export SELFTEST_CFLAGS="-include $ROOT/guest/harness-time-scale.h"
export EXTRA_FRAGS=$ROOT/config/debug.config
RES=$BUILD/results-debug
rm -rf "$RES"
mkdir -p "$RES"
"$ROOT/scripts/ensure-tree.sh"
"$ROOT/scripts/build-kernel.sh"
"$ROOT/scripts/build-guest-progs.sh"
"$ROOT/scripts/pack-initramfs.sh"
"$ROOT/scripts/make-iort-override.sh"
t_boot=$(date +%s)
image=$KOBJ/arch/arm64/boot/Image
KERNEL=$image BOOT_TIMEOUT=${BOOT_TIMEOUT:-7200} \
	"$ROOT/scripts/boot-vm.sh" check-debug "$RES/console.log" || true
rm -f "$BUILD/initramfs-plain.cpio.gz"
NO_IORT_OVERRIDE=1 "$ROOT/scripts/pack-initramfs.sh" || true
KERNEL=$image INITRD=$BUILD/initramfs-plain.cpio.gz BOOT_TIMEOUT=${BOOT_TIMEOUT:-900} \
	"$ROOT/scripts/boot-vm.sh" check-noncoherent "$RES/console-noncoherent.log" || true
expect=(--expect kunit:arm-smmu-v3-kunit-test --expect kunit:tegra241-cmdqv-kunit-test
	--expect selftest:iommufd --expect selftest:iommufd_fail_nth --expect e2e:e2e-smmu-nested
	--expect bench:viommu-bench-tiny --expect reliability:iommufd-fuzz
	--expect reliability:viommu-stress --expect debug:kmemleak --expect e2e:noncoherent-refusal)
rc=0
python3 "$ROOT/scripts/rollup.py" "$RES/console.log" --log "$RES/console-noncoherent.log" \
	"${expect[@]}" | tee "$RES/rollup.txt" || rc=$?
t_end=$(date +%s)
echo "make check-debug: $((t_end - t_start))s wall (build $((t_boot - t_start))s, VM $((t_end - t_boot))s); console logs: $RES/console.log $RES/console-noncoherent.log"
exit "$rc"
