# make check, VMM boot (vmjob=vmm, QEMU started with virtualization=on so this
# kernel runs at EL2 with KVM): QEMU 11.1 as a real VMM on this kernel. Case 1 gives
# its guest the edu device behind SMMU 0; case 2 gives it both, behind the two
# physical SMMUs, so QEMU needs a vIOMMU on each (guest/vmm-case.sh).
bind_edu_vfio
edus=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1234:0x11e8" ] || continue
	echo "@@@ edu $(basename "$d") behind $(basename "$(readlink "$d/iommu")") driver=$(basename "$(readlink "$d/driver")")"
	edus="$edus $(basename "$d")"
done
echo "@@@ kvm: $(ls /dev/kvm 2>&1), $(dmesg | grep -m1 -i 'kvm.*\(VHE\|hyp\) mode' || echo 'no KVM mode line')"
# shellcheck disable=SC2086
set -- $edus
# The docs table of what a VMM can tell apart from mainline, asked of this host
# kernel (the same binary runs on Linux 7.3 under make peer-vmm); the second device,
# behind the other SMMU, is attached to the first one's stage-2.
suite vmm uapi-vs-mainline 60 /tests/uapi-vs-mainline "$1" "$2"
# Asked once: on this series QEMU puts both vIOMMUs of the two-SMMU case on one
# stage-2, which guest/vmm-case.sh checks; on mainline it only prints the count.
VMM_HOST_KERNEL=$(/tests/uapi-vs-mainline --kernel) || VMM_HOST_KERNEL=unknown
export VMM_HOST_KERNEL
echo "@@@ host kernel: $VMM_HOST_KERNEL"
suite vmm accel-one-smmu 480 sh /lib/vmm-case.sh accel-one-smmu "$1"
suite vmm accel-two-smmus 480 sh /lib/vmm-case.sh accel-two-smmus "$1" "$2"
# Guest RAM with a file behind it: QEMU maps it with IOMMU_IOAS_MAP_FILE
suite vmm memfd 480 env MEM=memfd sh /lib/vmm-case.sh memfd "$1"
suite vmm hugetlbfs 480 env MEM=hugetlbfs sh /lib/vmm-case.sh hugetlbfs "$1"
# The guest's device DMAs to an IOVA it never mapped: the fault must reach the
# guest's SMMU driver, through this kernel's vEVENTQ and QEMU. Not 0x8000000:
# that is the SMMU driver's MSI window, which the guest maps to its doorbell.
EDU_FAULT=0x4000000 suite vmm guest-fault 480 sh /lib/vmm-case.sh guest-fault "$1"
# QEMU starts with a vSMMU and no device; the guest boots and enables its event
# queue; the edu device is hot-plugged through QMP, checked, unplugged, plugged
# again and checked again: QEMU's whole vIOMMU setup (vEVENTQ included) per plug
suite vmm hotplug 480 sh /lib/vmm-hotplug.sh "$1" 2
# cmdqv=on behind an SMMU without CMDQV: QEMU's refusal must be clean, not a hang
suite vmm cmdqv-refused 180 sh /lib/vmm-cmdqv-refusal.sh "$1"
