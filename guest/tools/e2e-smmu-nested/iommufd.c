// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: thin iommufd wrappers (return 0 or -errno), and the guest
 * commands sent through a vIOMMU.
 */
#include "e2e.h"

int viommu_set_dev_id(int fd, uint32_t viommu, uint32_t dev_id, uint64_t vsid)
{
	struct iommu_viommu_set_dev_id s = {
		.size = sizeof(s), .viommu_id = viommu, .dev_id = dev_id, .vdev_id = vsid,
	};

	return ioctl(fd, IOMMU_VIOMMU_SET_DEV_ID, &s) ? -errno : 0;
}

int viommu_unset_dev_id(int fd, uint32_t viommu, uint32_t dev_id, uint64_t vsid)
{
	struct iommu_viommu_unset_dev_id s = {
		.size = sizeof(s), .viommu_id = viommu, .dev_id = dev_id, .vdev_id = vsid,
	};

	return ioctl(fd, IOMMU_VIOMMU_UNSET_DEV_ID, &s) ? -errno : 0;
}

int vdevice_alloc(int fd, uint32_t viommu, uint32_t dev_id, uint64_t vsid,
		  uint32_t *out)
{
	struct iommu_vdevice_alloc a = {
		.size = sizeof(a), .viommu_id = viommu, .dev_id = dev_id, .virt_id = vsid,
	};
	int ret = ioctl(fd, IOMMU_VDEVICE_ALLOC, &a) ? -errno : 0;

	*out = a.out_vdevice_id;
	return ret;
}

int hwpt_alloc_nested(int fd, uint32_t dev_id, uint32_t viommu,
		      const struct iommu_hwpt_arm_smmuv3 *ste, uint32_t *out)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a),
		.flags = 0,
		.dev_id = dev_id,
		.pt_id = viommu,
		.data_type = IOMMU_HWPT_DATA_ARM_SMMUV3,
		.data_len = sizeof(*ste),
		.data_uptr = (uintptr_t)ste,
	};
	int ret = ioctl(fd, IOMMU_HWPT_ALLOC, &a) ? -errno : 0;

	*out = a.out_hwpt_id;
	return ret;
}

/* Guest commands through a vIOMMU; *num in: entries, out: entries handled. */
int viommu_invalidate(int fd, uint32_t viommu,
		      struct iommu_viommu_arm_smmuv3_invalidate *cmds,
		      uint32_t *num)
{
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.hwpt_id = viommu,
		.data_uptr = (uintptr_t)cmds,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = sizeof(*cmds),
		.entry_num = *num,
	};
	int ret = ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv) ? -errno : 0;

	*num = inv.entry_num;
	return ret;
}

void cmd_tlbi_nh_asid(struct iommu_viommu_arm_smmuv3_invalidate *c, uint16_t asid)
{
	/* VMID field left 0: the kernel forces the vIOMMU's VMID. */
	c->cmd[0] = htole64(CMDQ_OP_TLBI_NH_ASID | CMDQ_TLBI_0_ASID(asid));
	c->cmd[1] = 0;
}

void cmd_cfgi_cd(struct iommu_viommu_arm_smmuv3_invalidate *c, uint64_t vsid)
{
	c->cmd[0] = htole64(CMDQ_OP_CFGI_CD | CMDQ_0_SID(vsid) | CMDQ_0_SSID(0));
	c->cmd[1] = htole64(CMDQ_CFGI_1_LEAF);
}
