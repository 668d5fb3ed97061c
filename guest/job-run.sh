# make run: show what the test VM sees of its IOMMUs.
echo "@@@ BEGIN show:smmu"
echo "=== SMMUv3 instances, ID registers decoded"
/tests/smmu-idr
echo
echo "=== kernel: arm-smmu-v3 probe messages"
dmesg | grep -i 'smmu' | sed 's/^/  /'
echo
echo "=== PCI devices (edu = 1234:11e8)"
for d in /sys/bus/pci/devices/*; do
	echo "  $(basename "$d") $(cat "$d/vendor"):$(cat "$d/device") class $(cat "$d/class")"
done
bind_edu_vfio
echo
echo "=== iommu groups (after binding edu to vfio-pci)"
for g in /sys/kernel/iommu_groups/*; do
	[ -d "$g" ] || continue
	for d in "$g"/devices/*; do
		echo "  group $(basename "$g"): $(basename "$d") -> $(basename "$(readlink "$d/iommu")") driver=$(basename "$(readlink "$d/driver")")"
	done
done
echo
echo "=== /dev/iommu and /dev/vfio/devices"
ls -l /dev/iommu /dev/vfio/devices/ 2>&1 | sed 's/^/  /'
echo "@@@ END show:smmu rc=0 secs=0"
# The VMM-style client: both edu devices through VFIO cdev + iommufd, one shared
# stage-2, a vIOMMU per SMMU (try the existing one, EINVAL, allocate another),
# guest stage-1 tables in memory, DMA through S1 then S2, a TLBI through the vIOMMU
# and a shared stage-2 remap seen by both SMMUs.
for t in bringup dma_s1_s2 s1_remap_tlbi shared_s2_remap; do
	suite demo "vmm-$t" 600 /tests/e2e-smmu-nested -t "$t"
done
