#!/bin/bash
# Boot the test VM: QEMU virt (TCG, GICv3+ITS), UEFI firmware so that ACPI/IORT
# describe the topology, and two SMMUv3 instances in nested stage, each fronting its
# own PCIe expander bus with an `edu` device behind a root port.
#   boot-vm.sh JOB LOG   JOB is passed to the guest's /init (vmjob=check|run|...).
# The console goes to LOG; lines starting with "@@@" are echoed as progress. The
# guest is killed after BOOT_TIMEOUT seconds (default 1800) and that is reported.
# INITRD picks the initramfs (default build/initramfs.cpio.gz; make check also boots
# build/initramfs-plain.cpio.gz, packed without the IORT override).
# KERNEL picks another Image (the peer run boots upstream Linux as the host).
# APPEND adds to the kernel command line (make fuzz passes its seeds and times).
# VIRT=1 adds virtualization=on (EL2 emulated: the kernel runs KVM in VHE mode), for
# the VMM suite, which runs QEMU with KVM inside this VM.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

job=$1
out=$2
image=${KERNEL:-$OBJ/arch/arm64/boot/Image}
initrd=${INITRD:-$BUILD/initramfs.cpio.gz}
firmware=${QEMU_EFI:-/usr/share/qemu-efi-aarch64/QEMU_EFI.fd}
limit=${BOOT_TIMEOUT:-1800}
for f in "$image" "$initrd" "$firmware"; do [ -f "$f" ] || die "missing $f"; done

machine=virt,gic-version=3
[ "${VIRT:-0}" = 1 ] && machine+=,virtualization=on
args=(-M "$machine" -cpu max,pauth-impdef=on -smp 2 -m 3G
	-bios "$firmware" -kernel "$image" -initrd "$initrd"
	-append "console=ttyAMA0 loglevel=4 panic=-1 oops=panic softlockup_panic=1 hung_task_panic=1 log_buf_len=32M vmjob=$job${APPEND:+ $APPEND}"
	-nographic -no-reboot -nic none -serial "file:$out" -monitor none)
for n in 1 2; do
	args+=(-device "pxb-pcie,id=pxb$n,bus_nr=0x${n}0,bus=pcie.0"
		-device "arm-smmuv3,primary-bus=pxb$n,stage=nested"
		-device "pcie-root-port,id=rp$n,bus=pxb$n,chassis=$n"
		-device "edu,bus=rp$n")
done

: >"$out"
log "booting QEMU (job=$job, initrd $(basename "$initrd"), limit ${limit}s, console -> $out)"
"$ROOT/scripts/qemu" "${args[@]}" </dev/null >"$out.qemu" 2>&1 &
qpid=$!
# Echo the guest's markers (and panics) as progress while it runs.
shown=0
progress() {
	local n
	n=$(wc -l <"$out")
	[ "$n" -gt "$shown" ] || return 0
	sed -n "$((shown + 1)),${n}p" "$out" | tr -d '\r' |
		grep -E '^@@@ (GUEST|BEGIN|END [a-z]|ALL)|Kernel panic' | sed 's/^/    guest: /' >&2 || true
	shown=$n
}
rc=0
t0=$(date +%s)
while kill -0 "$qpid" 2>/dev/null; do
	progress
	if [ $(($(date +%s) - t0)) -ge "$limit" ]; then
		echo "@@@ HOST: guest killed after ${limit}s (hung?)" | tee -a "$out" >&2
		kill -9 "$qpid" 2>/dev/null || true
		rc=124
		break
	fi
	sleep 1
done
wait "$qpid" 2>/dev/null || [ "$rc" = 124 ] || rc=$?
progress
if [ -s "$out.qemu" ]; then
	sed 's/^/qemu: /' "$out.qemu" >&2
fi
log "guest finished in $(($(date +%s) - t0))s (qemu status $rc)"
exit "$rc"
