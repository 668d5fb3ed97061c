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
# Second boot: the firmware's own IORT (no CANWBS override), where the kernel must
# refuse SMMUv3 nesting. A stale plain initramfs is never booted: a failed pack
# leaves no file, the boot then leaves no log and the roll-up reports that.
rm -f "$BUILD/initramfs-plain.cpio.gz"
NO_IORT_OVERRIDE=1 "$ROOT/scripts/pack-initramfs.sh" || true
INITRD=$BUILD/initramfs-plain.cpio.gz BOOT_TIMEOUT=${BOOT_TIMEOUT:-600} \
	"$ROOT/scripts/boot-vm.sh" check-noncoherent "$RES/console-noncoherent.log" || true
# Fourth boot (run before the VMM one): the modular variant of the test kernel,
# iommufd, arm-smmu-v3, vfio and vfio-pci as modules, built through modpost in its
# own object directory, loaded from the initramfs, running the e2e suite.
# MODULAR=0 skips it (and its suites are then not expected): a developer shortcut.
rm -f "$BUILD/initramfs-modular.cpio.gz"
t_mod=$(date +%s)
if [ "${MODULAR:-1}" = 0 ]; then
	log "modular variant skipped (MODULAR=0)"
elif "$ROOT/scripts/build-modular.sh" >"$RES/build-modular.log" 2>&1; then
	printf '# suite: modular-build secs=%s\nok 1 - iommufd, arm-smmu-v3, vfio, vfio-pci build as modules (modpost)\n1..1\n' \
		"$(($(date +%s) - t_mod))" >"$RES/modular-build.tap"
	MODULES=$BUILD/modules-root "$ROOT/scripts/pack-initramfs.sh" || true
else
	{ printf '# suite: modular-build secs=%s\nnot ok 1 - iommufd, arm-smmu-v3, vfio, vfio-pci build as modules (modpost)\n' \
		"$(($(date +%s) - t_mod))"
	  grep -E 'error|ERROR' "$RES/build-modular.log" | head -10 | sed 's/^/# /'
	  echo "1..1"; } >"$RES/modular-build.tap"
fi
if [ "${MODULAR:-1}" != 0 ]; then
	KERNEL=$BUILD/obj-modular/arch/arm64/boot/Image INITRD=$BUILD/initramfs-modular.cpio.gz \
		BOOT_TIMEOUT=${BOOT_TIMEOUT:-600} "$ROOT/scripts/boot-vm.sh" check-modular "$RES/console-modular.log" || true
	hosts+=(--host "$RES/modular-build.tap")
fi
# Third boot: QEMU 11.1 as a real VMM on this kernel (VIRT=1: EL2, KVM in VHE mode),
# passing the edu devices through to a guest behind accelerated vSMMUs.
rm -f "$BUILD/initramfs-vmm.cpio.gz"
"$ROOT/scripts/pack-vmm.sh" || true
INITRD=$BUILD/initramfs-vmm.cpio.gz VIRT=1 BOOT_TIMEOUT=${BOOT_TIMEOUT:-1200} \
	"$ROOT/scripts/boot-vm.sh" vmm "$RES/console-vmm.log" || true
# The suites every run must report; the guest's own list adds whatever is in it.
expect=(--expect kunit:arm-smmu-v3-kunit-test --expect kunit:tegra241-cmdqv-kunit-test --expect selftest:iommufd --expect selftest:iommufd_fail_nth
	--expect e2e:e2e-smmu-nested --expect e2e:noncoherent-refusal --expect bench:viommu-bench-tiny
	--expect reliability:iommufd-fuzz --expect reliability:viommu-stress
	--expect vmm:uapi-vs-mainline --expect vmm:accel-one-smmu --expect vmm:accel-two-smmus --expect vmm:memfd --expect vmm:hugetlbfs --expect vmm:guest-fault --expect vmm:hotplug --expect vmm:cmdqv-refused)
[ "${MODULAR:-1}" = 0 ] || expect+=(--expect modules:load --expect e2e:modular-e2e-smmu-nested)
rc=0
logs=(--log "$RES/console-noncoherent.log" --log "$RES/console-vmm.log")
[ "${MODULAR:-1}" = 0 ] || logs+=(--log "$RES/console-modular.log")
python3 "$ROOT/scripts/rollup.py" "$RES/console.log" "${logs[@]}" \
	"${hosts[@]}" "${expect[@]}" | tee "$RES/rollup.txt" || rc=$?
t_end=$(date +%s)
echo "make check: $((t_end - t_start))s wall (build and host checks $((t_boot - t_start))s, VM and modular build $((t_end - t_boot))s); console logs: $RES/console.log $RES/console-noncoherent.log $RES/console-modular.log $RES/console-vmm.log"
exit "$rc"
