#!/bin/bash
# make check: series checks, (bisect), build, boot the test VM, run every suite, roll up.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t_start=$(date +%s)
RES=$BUILD/results
rm -rf "$RES"
mkdir -p "$RES"
"$ROOT/scripts/ensure-tree.sh"
"$ROOT/scripts/check-series.sh"
hosts=(--host "$RES/series.tap" --host "$RES/checkpatch.tap")
if [ "${BISECT:-1}" = 1 ]; then
	log "bisect: building every prefix of the series (BISECT=0 skips)"
	"$ROOT/scripts/bisect.sh" || true
	hosts+=(--host "$RES/bisect.tap")
fi
"$ROOT/scripts/build-kernel.sh"
"$ROOT/scripts/build-guest-progs.sh"
"$ROOT/scripts/pack-initramfs.sh"
"$ROOT/scripts/make-iort-override.sh"
t_boot=$(date +%s)
"$ROOT/scripts/boot-vm.sh" check "$RES/console.log" || true
# The suites every run must report; the guest's own list adds whatever is in it.
expect=(--expect kunit:arm-smmu-v3-kunit-test --expect selftest:iommufd --expect selftest:iommufd_fail_nth)
rc=0
python3 "$ROOT/scripts/rollup.py" "$RES/console.log" "${hosts[@]}" "${expect[@]}" | tee "$RES/rollup.txt" || rc=$?
t_end=$(date +%s)
echo "make check: $((t_end - t_start))s wall (build and host checks $((t_boot - t_start))s, VM $((t_end - t_boot))s); console log: $RES/console.log"
exit "$rc"
