#!/bin/bash
# make check-vmm: only the VMM suite (make check runs it too, as its third boot).
# Builds what it needs, boots the test VM with virtualization=on and runs QEMU 11.1
# with KVM inside it as the VMM on this kernel (guest/job-vmm.sh), then rolls up.
# KERNEL=<Image> boots another host kernel (scripts/peer-vmm.sh); the guest that QEMU
# boots is always this tree's Image. RES picks the results directory, KERNEL_NAME
# names the host kernel in the last line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RES=${RES:-$BUILD/results-vmm}
rm -rf "$RES"
mkdir -p "$RES"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
	"$ROOT/scripts/ensure-tree.sh"
	"$ROOT/scripts/build-kernel.sh"
	"$ROOT/scripts/build-guest-progs.sh"
	"$ROOT/scripts/pack-initramfs.sh"
	"$ROOT/scripts/make-iort-override.sh"
	"$ROOT/scripts/pack-vmm.sh"
fi
t0=$(date +%s)
INITRD=$BUILD/initramfs-vmm.cpio.gz VIRT=1 BOOT_TIMEOUT=${BOOT_TIMEOUT:-1200} \
	"$ROOT/scripts/boot-vm.sh" vmm "$RES/console-vmm.log" || true
rc=0
python3 "$ROOT/scripts/rollup.py" "$RES/console-vmm.log" \
	--expect vmm:uapi-vs-mainline --expect vmm:accel-one-smmu --expect vmm:accel-two-smmus --expect vmm:memfd --expect vmm:hugetlbfs --expect vmm:guest-fault --expect vmm:hotplug --expect vmm:cmdqv-refused | tee "$RES/rollup.txt" || rc=$?
echo "check-vmm: host kernel ${KERNEL_NAME:-of this series}, VM $(($(date +%s) - t0))s; console log: $RES/console-vmm.log"
exit "$rc"
