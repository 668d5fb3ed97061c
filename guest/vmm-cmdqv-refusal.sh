#!/bin/sh
# vmm-cmdqv-refusal.sh BDF: QEMU 11.1 asked for `arm-smmuv3,accel=on,cmdqv=on` with
# the edu device BDF behind an SMMU that has no Tegra241 CMDQV (the emulated SMMUv3).
# This kernel answers IOMMU_GET_HW_INFO for TEGRA241_CMDQV with EOPNOTSUPP, and QEMU
# must refuse to start, saying why, rather than hang or boot a guest with a vSMMU it
# cannot back. Prints one TAP stream, then QEMU's output, prefixed.
bdf=$1
W=/tmp/vmm-cmdqv-refusal
rm -rf "$W" && mkdir -p "$W"
limit=120
warn0=$(dmesg | grep -c -E 'WARNING|BUG:')

t0=$(date +%s)
timeout -s KILL "$limit" /vmm/qemu -M virt,gic-version=3 -accel kvm -cpu host -smp 1 -m 512M \
	-bios /vmm/QEMU_EFI.fd -kernel /vmm/Image -initrd /vmm/guest.cpio.gz \
	-append "console=ttyAMA0 loglevel=4 panic=-1 kunit.enable=0 edu_expect=1" \
	-nodefaults -nographic -no-reboot -serial "file:$W/guest.log" -monitor none \
	-object iommufd,id=iommufd0 \
	-device arm-smmuv3,primary-bus=pcie.0,accel=on,cmdqv=on,id=vsmmu0 \
	-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1 \
	-device "vfio-pci,host=$bdf,iommufd=iommufd0,bus=rp0,id=edu0" \
	</dev/null >"$W/qemu.out" 2>&1
rc=$?
secs=$(($(date +%s) - t0))
msg=$(grep -m1 -i 'cmdqv' "$W/qemu.out")

echo "1..4"
if [ "$rc" != 137 ]; then
	echo "ok 1 - QEMU stopped by itself after ${secs}s (not killed at the ${limit}s limit)"
else
	echo "not ok 1 - QEMU hung: killed at the ${limit}s limit"
fi
if [ "$rc" != 0 ] && [ "$rc" != 137 ]; then
	echo "ok 2 - QEMU refused to start (exit status $rc)"
else
	echo "not ok 2 - QEMU exit status $rc: it did not refuse cmdqv=on"
fi
case $msg in
*"CMDQV requested but not supported"*)
	echo "ok 3 - QEMU says why: $msg" ;;
*)
	echo "not ok 3 - QEMU did not say that CMDQV is unsupported (first cmdqv line: ${msg:-none})" ;;
esac
if [ "$(dmesg | grep -c -E 'WARNING|BUG:')" = "$warn0" ]; then
	echo "ok 4 - no kernel warning while QEMU set up and tore down its iommufd objects"
else
	echo "not ok 4 - the kernel warned: $(dmesg | grep -E 'WARNING|BUG:' | tail -1)"
fi
sed 's/^/  qemu| /' "$W/qemu.out"
echo	# QEMU's last line has no newline
