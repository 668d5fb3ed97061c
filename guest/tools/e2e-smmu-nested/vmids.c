// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: the VMIDs and the shared S2TTB in the live STEs, with a
 * second vIOMMU on one SMMU.
 */
#include "e2e.h"

/* Move dev0 from its current vIOMMU/nested HWPT to vIOMMU @to (dev-id VSID). */
static void dev0_move_to_viommu(struct __test_metadata *_metadata, fixture_t *self,
				uint32_t to, bool to_extra)
{
	struct iommu_hwpt_arm_smmuv3 ste;
	uint32_t nested = 0;
	int ret;

	ret = vfio_attach(self->dev[0].fd, self->ioas_id);
	ASSERT_EQ(0, ret) {
		TH_LOG("attach dev0 to IOAS %u: %s", self->ioas_id, strerror(-ret));
	}
	note("dev0 attached back to IOAS %u", self->ioas_id);
	if (self->extra_nested_id) {
		ret = obj_destroy(self->iommufd, self->extra_nested_id);
		ASSERT_EQ(0, ret) {
			TH_LOG("destroy nested HWPT %u (vIOMMU C): %s", self->extra_nested_id,
			       strerror(-ret));
		}
		note("nested HWPT %u (vIOMMU C) destroyed", self->extra_nested_id);
		self->extra_nested_id = 0;
	}
	if (self->dev[0].nested_id) {
		ret = obj_destroy(self->iommufd, self->dev[0].nested_id);
		ASSERT_EQ(0, ret) {
			TH_LOG("destroy nested HWPT %u (vIOMMU A): %s", self->dev[0].nested_id,
			       strerror(-ret));
		}
		note("nested HWPT %u (vIOMMU A) destroyed", self->dev[0].nested_id);
		self->dev[0].nested_id = 0;
	}
	if (self->extra_dev_id_set) {
		ret = viommu_unset_dev_id(self->iommufd, self->extra_viommu_id,
					  self->dev[0].dev_id, VSID);
		ASSERT_EQ(0, ret) {
			TH_LOG("UNSET_DEV_ID(C, dev0): %s", strerror(-ret));
		}
		self->extra_dev_id_set = false;
		note("UNSET_DEV_ID(C, dev0, 0x%llx): ok", (unsigned long long)VSID);
	}
	if (self->dev[0].dev_id_set) {
		ret = viommu_unset_dev_id(self->iommufd, self->dev[0].viommu_id,
					  self->dev[0].dev_id, VSID);
		ASSERT_EQ(0, ret) {
			TH_LOG("UNSET_DEV_ID(A, dev0): %s", strerror(-ret));
		}
		self->dev[0].dev_id_set = false;
		note("UNSET_DEV_ID(A, dev0, 0x%llx): ok", (unsigned long long)VSID);
	}

	ret = viommu_set_dev_id(self->iommufd, to, self->dev[0].dev_id, VSID);
	ASSERT_EQ(0, ret) {
		TH_LOG("SET_DEV_ID(%c, dev0, 0x%llx): %s", to_extra ? 'C' : 'A',
		       (unsigned long long)VSID, strerror(-ret));
	}
	if (to_extra) {
		self->extra_dev = 0;
		self->extra_dev_id_set = true;
	} else {
		self->dev[0].dev_id_set = true;
	}
	note("SET_DEV_ID(%c = %u, dev0, 0x%llx): ok", to_extra ? 'C' : 'A', to,
	     (unsigned long long)VSID);

	/* same guest S1: same CD, same vSTE */
	vste_build(&ste, self->dev[0].cd_ipa);
	ret = hwpt_alloc_nested(self->iommufd, self->dev[0].dev_id, to, &ste, &nested);
	ASSERT_EQ(0, ret) {
		TH_LOG("HWPT_ALLOC nested dev0 on vIOMMU %c: %s", to_extra ? 'C' : 'A',
		       strerror(-ret));
	}
	if (to_extra)
		self->extra_nested_id = nested;
	else
		self->dev[0].nested_id = nested;
	ret = vfio_attach(self->dev[0].fd, nested);
	ASSERT_EQ(0, ret) {
		TH_LOG("attach dev0 to nested HWPT %u (vIOMMU %c): %s", nested,
		       to_extra ? 'C' : 'A', strerror(-ret));
	}
	note("dev0: nested HWPT %u on vIOMMU %c (same vSTE), attached", nested,
	     to_extra ? 'C' : 'A');
}

/*
 * The VMIDs as the SMMUs see them, read from the live stream tables: each
 * vIOMMU holds its own VMID on its SMMU, all nested STEs walk the one S2 table.
 */
void check_vmids_differ(struct __test_metadata *_metadata, fixture_t *self)
{
	uint64_t ste[2][8], ste_c[8], ste_a2[8];
	uint16_t vmid[2], vmid_c, vmid_a2;
	uint8_t *dst0 = area_ptr(self, 0, AREA_DST);
	uint8_t *dst1 = area_ptr(self, 1, AREA_DST);
	uint32_t C = 0;
	int d, ret;

	note("VMIDs from the live STEs (/dev/mem): SMMU registers -> stream table -> STE of each device");
	for (d = 0; d < 2; d++) {
		ste_read(_metadata, self, d, ste[d]);
		vmid[d] = ste_check_nested(_metadata, self, d, ste[d]);
	}
	note("dev0 on %s (vIOMMU A %u): VMID %u; dev1 on %s (vIOMMU B %u): VMID %u",
	     self->dev[0].smmu, self->dev[0].viommu_id, vmid[0],
	     self->dev[1].smmu, self->dev[1].viommu_id, vmid[1]);
	note("(A and B are on different SMMUs, separate VMID spaces: equal values are allowed)");
	EXPECT_EQ(ste[0][3] & STE_3_S2TTB_MASK, ste[1][3] & STE_3_S2TTB_MASK) {
		TH_LOG("dev0 S2TTB 0x%llx != dev1 S2TTB 0x%llx: not one shared stage-2",
		       (unsigned long long)(ste[0][3] & STE_3_S2TTB_MASK),
		       (unsigned long long)(ste[1][3] & STE_3_S2TTB_MASK));
	}
	note("both STEs: S2TTB 0x%llx / 0x%llx (one stage-2 table for both SMMUs)",
	     (unsigned long long)(ste[0][3] & STE_3_S2TTB_MASK),
	     (unsigned long long)(ste[1][3] & STE_3_S2TTB_MASK));

	note("vIOMMU C: a second vIOMMU on dev0's SMMU %s, same S2 %u", self->dev[0].smmu,
	     self->s2_id);
	ret = viommu_alloc(self->iommufd, self->dev[0].dev_id, self->s2_id, &C);
	ASSERT_EQ(0, ret) {
		TH_LOG("VIOMMU_ALLOC C (dev0, S2 %u): %s", self->s2_id, strerror(-ret));
	}
	self->extra_viommu_id = C;
	ASSERT_NE(self->dev[0].viommu_id, C);
	ASSERT_NE(self->dev[1].viommu_id, C);
	note("vIOMMU C = %u", C);

	note("move dev0 from vIOMMU A to C: IOAS attach, destroy A's nested HWPT, UNSET(A), SET(C), nested HWPT on C, attach");
	dev0_move_to_viommu(_metadata, self, C, true);

	ste_read(_metadata, self, 0, ste_c);
	vmid_c = ste_check_nested(_metadata, self, 0, ste_c);
	note("dev0 on vIOMMU C: VMID %u (on vIOMMU A it was %u)", vmid_c, vmid[0]);
	EXPECT_NE(vmid[0], vmid_c) {
		TH_LOG("vIOMMU A and C on the same SMMU %s share VMID %u", self->dev[0].smmu,
		       vmid_c);
	}
	EXPECT_EQ(ste[0][3] & STE_3_S2TTB_MASK, ste_c[3] & STE_3_S2TTB_MASK) {
		TH_LOG("S2TTB changed with the vIOMMU: 0x%llx -> 0x%llx",
		       (unsigned long long)(ste[0][3] & STE_3_S2TTB_MASK),
		       (unsigned long long)(ste_c[3] & STE_3_S2TTB_MASK));
	}
	note("dev0 on C: S2TTB 0x%llx (same shared stage-2)",
	     (unsigned long long)(ste_c[3] & STE_3_S2TTB_MASK));

	note("DMA through dev0 on vIOMMU C (and dev1 on B, unaffected)");
	memset(dst0, SENTINEL_A, PAGE_SZ);
	memset(dst1, SENTINEL_A, PAGE_SZ);
	dev_dma_pattern(_metadata, self, 0, IOVA_DST, 0x91);
	expect_pattern(_metadata, "dev0 DST page (via C)", dst0, 0x91);
	expect_fill(_metadata, "dev1 DST page", dst1, SENTINEL_A);
	dev_dma_pattern(_metadata, self, 1, IOVA_DST, 0x92);
	expect_pattern(_metadata, "dev1 DST page", dst1, 0x92);
	expect_pattern(_metadata, "dev0 DST page (unchanged)", dst0, 0x91);

	note("restore: dev0 back to vIOMMU A, then destroy C");
	dev0_move_to_viommu(_metadata, self, self->dev[0].viommu_id, false);
	ret = obj_destroy(self->iommufd, C);
	ASSERT_EQ(0, ret) {
		TH_LOG("destroy vIOMMU C %u: %s", C, strerror(-ret));
	}
	self->extra_viommu_id = 0;
	note("vIOMMU C %u destroyed", C);

	ste_read(_metadata, self, 0, ste_a2);
	vmid_a2 = ste_check_nested(_metadata, self, 0, ste_a2);
	EXPECT_EQ(vmid[0], vmid_a2) {
		TH_LOG("dev0 back on vIOMMU A has VMID %u, A had %u", vmid_a2, vmid[0]);
	}
	note("dev0 back on vIOMMU A: VMID %u", vmid_a2);
	memset(dst0, SENTINEL_A, PAGE_SZ);
	dev_dma_pattern(_metadata, self, 0, IOVA_DST, 0x93);
	expect_pattern(_metadata, "dev0 DST page (via A again)", dst0, 0x93);
}
