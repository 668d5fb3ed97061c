// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: guest invalidation commands through a vIOMMU: TLBI and
 * CFGI_CD after stage-1 changes, the commands a vIOMMU must refuse, and the
 * longest call the kernel takes.
 */
#include "e2e.h"

/* Step 9: guest S1 remap + TLBI_NH_ASID (and CFGI_CD) through vIOMMU A. */
void check_s1_remap_tlbi(struct __test_metadata *_metadata, fixture_t *self)
{
	struct iommu_viommu_arm_smmuv3_invalidate c;
	uint8_t *old0 = area_ptr(self, 0, AREA_DST);
	uint8_t *new0 = area_ptr(self, 0, AREA_DST_NEW);
	uint8_t *dst1 = area_ptr(self, 1, AREA_DST);
	uint32_t num;
	int ret;

	note("step 9: warm the TLBs");
	memset(old0, SENTINEL_A, PAGE_SZ);
	memset(new0, SENTINEL_A, PAGE_SZ);
	memset(dst1, SENTINEL_A, PAGE_SZ);
	dev_dma_pattern(_metadata, self, 0, IOVA_DST, 0x41);
	expect_pattern(_metadata, "dev0 DST page", old0, 0x41);
	dev_dma_pattern(_metadata, self, 1, IOVA_DST, 0x42);
	expect_pattern(_metadata, "dev1 DST page", dst1, 0x42);

	note("remap dev0's S1 L3 entry: IOVA 0x%llx -> IPA 0x%llx (was 0x%llx)",
	     (unsigned long long)IOVA_DST,
	     (unsigned long long)area_ipa(self, 0, AREA_DST_NEW),
	     (unsigned long long)area_ipa(self, 0, AREA_DST));
	pt_map(_metadata, self, 0, IOVA_DST, area_ipa(self, 0, AREA_DST_NEW));
	memset(old0, SENTINEL_A, PAGE_SZ);

	cmd_tlbi_nh_asid(&c, ASID);
	num = 1;
	ret = viommu_invalidate(self->iommufd, self->dev[0].viommu_id, &c, &num);
	ASSERT_EQ(0, ret) {
		TH_LOG("TLBI_NH_ASID via vIOMMU A: %s", strerror(-ret));
	}
	ASSERT_EQ(1U, num);
	note("TLBI_NH_ASID(ASID %d) via vIOMMU A: ok", ASID);

	cmd_cfgi_cd(&c, VSID);
	num = 1;
	ret = viommu_invalidate(self->iommufd, self->dev[0].viommu_id, &c, &num);
	ASSERT_EQ(0, ret) {
		TH_LOG("CFGI_CD(vSID 0x%llx) via vIOMMU A: %s", (unsigned long long)VSID,
		       strerror(-ret));
	}
	ASSERT_EQ(1U, num);
	note("CFGI_CD(vSID 0x%llx, SSID 0, leaf) via vIOMMU A: ok", (unsigned long long)VSID);

	dev_dma_pattern(_metadata, self, 0, IOVA_DST, 0x43);
	expect_pattern(_metadata, "dev0 NEW page", new0, 0x43);
	expect_fill(_metadata, "dev0 OLD page", old0, SENTINEL_A);

	note("dev1 (vIOMMU B, same ASID, own tables) is unaffected");
	memset(dst1, SENTINEL_A, PAGE_SZ);
	dev_dma_pattern(_metadata, self, 1, IOVA_DST, 0x44);
	expect_pattern(_metadata, "dev1 DST page", dst1, 0x44);
	expect_pattern(_metadata, "dev0 NEW page (unchanged)", new0, 0x43);
}

/* Extra: switch dev0's CD to another table set; CFGI_CD must reach its pSID. */
void check_cd_switch_cfgi_cd(struct __test_metadata *_metadata, fixture_t *self)
{
	struct iommu_viommu_arm_smmuv3_invalidate c[2];
	uint8_t *old0 = area_ptr(self, 0, AREA_DST);
	uint8_t *cd2 = area_ptr(self, 0, AREA_DST_CD2);
	uint64_t root2, cd[8];
	uint32_t num;
	int ret;

	note("CD switch: dev0's CD TTB0 moves to a second S1 table set; CFGI_CD(vSID 0x%llx) + TLBI_NH_ASID",
	     (unsigned long long)VSID);
	memset(old0, SENTINEL_A, PAGE_SZ);
	memset(cd2, SENTINEL_A, PAGE_SZ);
	dev_dma_pattern(_metadata, self, 0, IOVA_DST, 0x51);
	expect_pattern(_metadata, "dev0 DST page", old0, 0x51);

	root2 = pt_alloc(_metadata, self, 0);
	pt_map_root(_metadata, self, 0, root2, IOVA_SRC, area_ipa(self, 0, AREA_SRC));
	pt_map_root(_metadata, self, 0, root2, IOVA_DST, area_ipa(self, 0, AREA_DST_CD2));
	pt_map_root(_metadata, self, 0, root2, IOVA_SHARED, IPA(SHARED_P_OFF));
	cd_build(cd, root2, ASID);
	cd_write(_metadata, self, self->dev[0].cd_ipa, cd);
	self->dev[0].l1_ipa = root2;
	note("dev0 CD TTB0 := IPA 0x%llx (IOVA 0x%llx -> IPA 0x%llx)",
	     (unsigned long long)root2, (unsigned long long)IOVA_DST,
	     (unsigned long long)area_ipa(self, 0, AREA_DST_CD2));
	memset(old0, SENTINEL_A, PAGE_SZ);

	cmd_cfgi_cd(&c[0], VSID);
	cmd_tlbi_nh_asid(&c[1], ASID);
	num = 2;
	ret = viommu_invalidate(self->iommufd, self->dev[0].viommu_id, c, &num);
	ASSERT_EQ(0, ret) {
		TH_LOG("[CFGI_CD, TLBI_NH_ASID] via vIOMMU A: %s (handled %u)",
		       strerror(-ret), num);
	}
	ASSERT_EQ(2U, num);

	dev_dma_pattern(_metadata, self, 0, IOVA_DST, 0x52);
	expect_pattern(_metadata, "dev0 CD2 page", cd2, 0x52);
	expect_fill(_metadata, "dev0 old DST page", old0, SENTINEL_A);
}

/* Step 11: guest commands that must be refused. */
void check_invalidate_errors(struct __test_metadata *_metadata, fixture_t *self)
{
	struct iommu_viommu_arm_smmuv3_invalidate c[2];
	uint32_t A = self->dev[0].viommu_id, B = self->dev[1].viommu_id;
	uint32_t num;
	int ret;

	note("step 11: vIOMMU command filtering");

	num = 0;
	ret = viommu_invalidate(self->iommufd, A, c, &num);
	ASSERT_EQ(0, ret) {
		TH_LOG("empty array (data_type probe): %s", strerror(-ret));
	}
	ASSERT_EQ(0U, num);
	note("empty array: ok");

	cmd_tlbi_nh_asid(&c[0], ASID);
	num = 1;
	ASSERT_EQ(0, viommu_invalidate(self->iommufd, A, c, &num));
	ASSERT_EQ(1U, num);
	note("TLBI_NH_ASID: ok");

	c[0].cmd[0] = htole64(CMDQ_OP_ATC_INV | CMDQ_0_SID(VSID_NONE) | CMDQ_0_SSID(0));
	c[0].cmd[1] = 0;
	num = 1;
	ret = viommu_invalidate(self->iommufd, A, c, &num);
	EXPECT_EQ(-EIO, ret);
	EXPECT_EQ(0U, num);
	note("ATC_INV vSID 0x%llx (no entry): %s, handled %u", (unsigned long long)VSID_NONE,
	     strerror(-ret), num);

	cmd_cfgi_cd(&c[0], VSID_NONE);
	num = 1;
	ret = viommu_invalidate(self->iommufd, A, c, &num);
	EXPECT_EQ(-EIO, ret);
	EXPECT_EQ(0U, num);
	note("CFGI_CD vSID 0x%llx (no entry): %s, handled %u", (unsigned long long)VSID_NONE,
	     strerror(-ret), num);

	c[0].cmd[0] = htole64(CMDQ_OP_CFGI_STE | CMDQ_0_SID(VSID));
	c[0].cmd[1] = htole64(CMDQ_CFGI_1_LEAF);
	num = 1;
	ret = viommu_invalidate(self->iommufd, A, c, &num);
	EXPECT_EQ(-EIO, ret);
	EXPECT_EQ(0U, num);
	note("CFGI_STE (unsupported opcode): %s, handled %u", strerror(-ret), num);

	/*
	 * An ATC_INV for a device that does not use ATS (the emulated SMMU has
	 * no ATS) is what a Linux guest sends when it turns ATS off: accepted
	 * and counted, but never sent, as there is no ATC to invalidate. A
	 * SubstreamID beyond the device's PASID width (0 here) would stall or
	 * fault the host's queue and is refused.
	 */
	c[0].cmd[0] = htole64(CMDQ_OP_ATC_INV | CMDQ_0_SID(VSID) | CMDQ_0_SSID(0));
	c[0].cmd[1] = 0;
	num = 1;
	ret = viommu_invalidate(self->iommufd, A, c, &num);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(1U, num);
	note("ATC_INV vSID 0x%llx (device without ATS): %s, handled %u",
	     (unsigned long long)VSID, strerror(-ret), num);

	c[0].cmd[0] = htole64(CMDQ_OP_CFGI_CD | CMDQ_0_SID(VSID) | CMDQ_0_SSID(1));
	c[0].cmd[1] = htole64(CMDQ_CFGI_1_LEAF);
	num = 1;
	ret = viommu_invalidate(self->iommufd, A, c, &num);
	EXPECT_EQ(-EIO, ret);
	EXPECT_EQ(0U, num);
	note("CFGI_CD SSID 1 (beyond SSIDSIZE 0): %s, handled %u", strerror(-ret), num);

	cmd_tlbi_nh_asid(&c[0], ASID);
	c[1].cmd[0] = htole64(CMDQ_OP_CFGI_STE | CMDQ_0_SID(VSID));
	c[1].cmd[1] = htole64(CMDQ_CFGI_1_LEAF);
	num = 2;
	ret = viommu_invalidate(self->iommufd, A, c, &num);
	EXPECT_EQ(-EIO, ret);
	EXPECT_EQ(1U, num);
	note("[TLBI_NH_ASID, CFGI_STE]: %s, handled %u", strerror(-ret), num);

	/* Through B: its own vSID 0x10 is fine, 0x11 has no entry there. */
	cmd_cfgi_cd(&c[0], VSID);
	num = 1;
	ret = viommu_invalidate(self->iommufd, B, c, &num);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(1U, num);
	cmd_cfgi_cd(&c[0], VSID + 1);
	num = 1;
	ret = viommu_invalidate(self->iommufd, B, c, &num);
	EXPECT_EQ(-EIO, ret);
	EXPECT_EQ(0U, num);
	note("vIOMMU B: CFGI_CD vSID 0x%llx ok, vSID 0x%llx refused (%s)",
	     (unsigned long long)VSID, (unsigned long long)(VSID + 1), strerror(-ret));

	/* the devices still work */
	memset(area_ptr(self, 0, AREA_DST), SENTINEL_A, PAGE_SZ);
	dev_dma_pattern(_metadata, self, 0, IOVA_DST, 0x81);
	expect_pattern(_metadata, "dev0 DST page", area_ptr(self, 0, AREA_DST), 0x81);
}

/* IOMMU_HWPT_INVALIDATE takes at most this many entries in one call */
#define INVALIDATE_ENTRY_NUM_MAX	(1U << 19)

/*
 * Long invalidation calls: one IOMMU_HWPT_INVALIDATE with the largest entry_num
 * the kernel takes, every entry a TLBI_NH_ASID for the guest's ASID through
 * vIOMMU A. All must be handled; the time it takes is reported, not checked.
 */
void check_long_invalidation_max_entries(struct __test_metadata *_metadata,
					  fixture_t *self)
{
	struct iommu_viommu_arm_smmuv3_invalidate *c;
	size_t len = (size_t)INVALIDATE_ENTRY_NUM_MAX * sizeof(*c);
	struct timespec t0, t1;
	uint32_t num, i;
	double ms;
	int ret;

	c = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c) {
		TH_LOG("mmap %zu bytes of commands: %s", len, strerror(errno));
	}
	for (i = 0; i < INVALIDATE_ENTRY_NUM_MAX; i++)
		cmd_tlbi_nh_asid(&c[i], ASID);
	note("one call of %u x TLBI_NH_ASID(ASID %d) via vIOMMU A (%zu KiB of commands)",
	     INVALIDATE_ENTRY_NUM_MAX, ASID, len >> 10);

	num = INVALIDATE_ENTRY_NUM_MAX;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = viommu_invalidate(self->iommufd, self->dev[0].viommu_id, c, &num);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	munmap(c, len);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	ASSERT_EQ(0, ret) {
		TH_LOG("%u x TLBI_NH_ASID via vIOMMU A: %s after %.1f ms (handled %u)",
		       INVALIDATE_ENTRY_NUM_MAX, strerror(-ret), ms, num);
	}
	ASSERT_EQ(INVALIDATE_ENTRY_NUM_MAX, num) {
		TH_LOG("entry_num came back %u, want %u", num, INVALIDATE_ENTRY_NUM_MAX);
	}
	note("maximal invalidation: %u entries in %.1f ms", num, ms);
}
