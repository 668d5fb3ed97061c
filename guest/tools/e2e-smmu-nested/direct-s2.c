// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: the stage-2 allocated through dev0 (SMMU A) attached
 * directly, with no vIOMMU and no nested HWPT, to both edu devices: dev1 is
 * behind SMMU B, which gives the domain a VMID of its own. And a domain the
 * other SMMU cannot use refused.
 *
 * An S2-only DMA uses bus address = IPA (0x40xxxxx), which the guest stage-1s
 * do not map; a nested DMA uses IOVA_DST (0x1000000), which is no IPA of guest
 * RAM: a DMA that lands shows which translation the device has.
 */
#include "e2e.h"

/* Device @d copies its SRC page to its DST page at bus address = IPA. */
static void ipa_dma_check(struct __test_metadata *_metadata, fixture_t *self,
			  int d, uint8_t seed, const char *what)
{
	uint8_t *dst = area_ptr(self, d, AREA_DST);
	char buf[96];

	memset(dst, SENTINEL_A, PAGE_SZ);
	dev_dma_copy(_metadata, self, d, area_ipa(self, d, AREA_SRC),
		     area_ipa(self, d, AREA_DST), seed);
	snprintf(buf, sizeof(buf), "dev%d DST page (%s, bus address = IPA)", d, what);
	expect_pattern(_metadata, buf, dst, seed);
}

/* Device @d writes IOVA_DST through its guest stage-1 and the S2. */
static void nested_dma_check(struct __test_metadata *_metadata, fixture_t *self,
			     int d, uint8_t seed)
{
	uint8_t *dst = area_ptr(self, d, AREA_DST);

	memset(dst, SENTINEL_A, PAGE_SZ);
	dev_dma_pattern(_metadata, self, d, IOVA_DST, seed);
	expect_pattern(_metadata, d ? "dev1 DST page (nested)" : "dev0 DST page (nested)",
		       dst, seed);
}

static void to_s2(struct __test_metadata *_metadata, fixture_t *self, int d)
{
	int ret = vfio_attach(self->dev[d].fd, self->s2_id);

	ASSERT_EQ(0, ret) {
		TH_LOG("attach dev%d (%s) straight to the S2 HWPT %u allocated through dev0 (%s): %s, want success%s",
		       d, self->dev[d].smmu, self->s2_id, self->dev[0].smmu, strerror(-ret),
		       d && ret == -EINVAL ?
		       " (before the feature, and on 7.3, a device behind another SMMU got EINVAL)" : "");
	}
	note("dev%d (%s): attached straight to the S2 HWPT %u", d, self->dev[d].smmu,
	     self->s2_id);
}

static void to_nested(struct __test_metadata *_metadata, fixture_t *self, int d)
{
	int ret = vfio_attach(self->dev[d].fd, self->dev[d].nested_id);

	ASSERT_EQ(0, ret) {
		TH_LOG("move dev%d back to its nested HWPT %u: %s, want success", d,
		       self->dev[d].nested_id, strerror(-ret));
	}
	note("dev%d: back on its nested HWPT %u", d, self->dev[d].nested_id);
}

/* The live STE of device @d on the S2 HWPT: S2-only; its S2TTB and VMID. */
static uint16_t ste_check_s2(struct __test_metadata *_metadata, fixture_t *self,
			     int d, uint64_t *s2ttb)
{
	uint64_t ste[8];

	ste_read(_metadata, self, d, ste);
	ASSERT_EQ(STE_0_V, ste[0] & STE_0_V) {
		TH_LOG("dev%d: STE not valid, want a valid S2-only STE", d);
	}
	ASSERT_EQ(STE_CFG_S2_TRANS, STE_0_CFG(ste[0])) {
		TH_LOG("dev%d: STE Config %llu, want %llu (0b110, stage-2 only)", d,
		       (unsigned long long)STE_0_CFG(ste[0]),
		       (unsigned long long)STE_CFG_S2_TRANS);
	}
	*s2ttb = ste[3] & STE_3_S2TTB_MASK;
	ASSERT_NE(0ULL, *s2ttb) {
		TH_LOG("dev%d: S2-only STE without S2TTB", d);
	}
	ASSERT_NE(0ULL, STE_2_S2VMID(ste[2])) {
		TH_LOG("dev%d: S2-only STE with VMID 0, want the domain's VMID on %s", d,
		       self->dev[d].smmu);
	}
	return (uint16_t)STE_2_S2VMID(ste[2]);
}

/*
 * Both devices write page P at its IPA (both SMMUs' TLBs now hold it); P's
 * IOAS area is replaced by another host page, which both must then write.
 * P's area is put back as the setup made it.
 */
static void p_remap_seen_by_both(struct __test_metadata *_metadata, fixture_t *self)
{
	uint8_t *oldp = self->ram + SHARED_P_OFF, *newp = self->alt_page;
	uint64_t ipa = IPA(SHARED_P_OFF), unmapped = 0;
	char what[64];
	int d, ret;

	note("both devices write IPA 0x%llx (page P): both SMMUs' TLBs hold it",
	     (unsigned long long)ipa);
	for (d = 0; d < 2; d++) {
		memset(oldp, SENTINEL_A, PAGE_SZ);
		dev_dma_copy(_metadata, self, d, area_ipa(self, d, AREA_SRC), ipa, 0xd0 + d);
		snprintf(what, sizeof(what), "P (host page 1) after dev%d", d);
		expect_pattern(_metadata, what, oldp, 0xd0 + d);
	}
	ret = ioas_unmap(self->iommufd, self->ioas_id, ipa, PAGE_SZ, &unmapped);
	ASSERT_EQ(0, ret) {
		TH_LOG("IOAS_UNMAP P: %s", strerror(-ret));
	}
	ASSERT_EQ(PAGE_SZ, unmapped);
	memset(newp, SENTINEL_B, PAGE_SZ);
	ret = ioas_map_fixed(self->iommufd, self->ioas_id, newp, PAGE_SZ, ipa);
	ASSERT_EQ(0, ret) {
		TH_LOG("IOAS_MAP another host page at P: %s", strerror(-ret));
	}
	note("IOAS_UNMAP + IOAS_MAP: IPA 0x%llx -> another host page; both must write it",
	     (unsigned long long)ipa);
	for (d = 0; d < 2; d++) {
		memset(oldp, SENTINEL_A, PAGE_SZ);
		dev_dma_copy(_metadata, self, d, area_ipa(self, d, AREA_SRC), ipa, 0xd2 + d);
		snprintf(what, sizeof(what), "P (host page 2) after dev%d", d);
		expect_pattern(_metadata, what, newp, 0xd2 + d);
		snprintf(what, sizeof(what), "old host page of P after dev%d (stale TLB?)", d);
		expect_fill(_metadata, what, oldp, SENTINEL_A);
	}
	ASSERT_EQ(0, ioas_unmap(self->iommufd, self->ioas_id, ipa, PAGE_SZ, NULL));
	ASSERT_EQ(0, ioas_map_fixed(self->iommufd, self->ioas_id, oldp, PAGE_SZ, ipa));
	note("page P mapped back as the setup made it");
}

void check_shared_s2_direct_attach(struct __test_metadata *_metadata, fixture_t *self)
{
	uint64_t ste[8], ttb_nested, ttb[2];
	uint16_t vmid[2], v;
	uint8_t seed = 0xc0;
	int d, r, first, other;

	ste_read(_metadata, self, 0, ste);
	ste_check_nested(_metadata, self, 0, ste);
	ttb_nested = ste[3] & STE_3_S2TTB_MASK;

	note("both devices straight onto the S2 HWPT %u (no vIOMMU, no nested HWPT)",
	     self->s2_id);
	for (d = 0; d < 2; d++)
		to_s2(_metadata, self, d);
	for (d = 0; d < 2; d++)
		ipa_dma_check(_metadata, self, d, seed++, "S2 only");

	p_remap_seen_by_both(_metadata, self);

	for (d = 0; d < 2; d++)
		vmid[d] = ste_check_s2(_metadata, self, d, &ttb[d]);
	note("S2-only STEs: dev0 on %s VMID %u S2TTB 0x%llx; dev1 on %s VMID %u S2TTB 0x%llx",
	     self->dev[0].smmu, vmid[0], (unsigned long long)ttb[0],
	     self->dev[1].smmu, vmid[1], (unsigned long long)ttb[1]);
	note("(each VMID is from its own SMMU's space: equal values are allowed)");
	EXPECT_EQ(ttb[0], ttb[1]) {
		TH_LOG("dev0 S2TTB 0x%llx != dev1 S2TTB 0x%llx: want one shared S2 table",
		       (unsigned long long)ttb[0], (unsigned long long)ttb[1]);
	}
	EXPECT_EQ(ttb_nested, ttb[0]) {
		TH_LOG("S2-only S2TTB 0x%llx != the nested STEs' S2TTB 0x%llx: want the same table",
		       (unsigned long long)ttb[0], (unsigned long long)ttb_nested);
	}

	/* Round 1: dev1 leaves first, round 2: dev0 leaves first. */
	for (r = 0; r < 2; r++) {
		first = r ? 0 : 1;
		other = !first;
		if (r) {
			note("round 2: both devices straight onto the S2 HWPT again");
			for (d = 0; d < 2; d++)
				to_s2(_metadata, self, d);
			for (d = 0; d < 2; d++) {
				vmid[d] = ste_check_s2(_metadata, self, d, &ttb[d]);
				ipa_dma_check(_metadata, self, d, seed++, "S2 only");
			}
			note("S2-only STEs: dev0 VMID %u, dev1 VMID %u", vmid[0], vmid[1]);
		}
		note("round %d: dev%d (%s) leaves the S2 first, dev%d (%s) stays", r + 1,
		     first, self->dev[first].smmu, other, self->dev[other].smmu);
		to_nested(_metadata, self, first);
		v = ste_check_s2(_metadata, self, other, &ttb[other]);
		EXPECT_EQ(vmid[other], v) {
			TH_LOG("dev%d's S2 VMID changed %u -> %u when dev%d (other SMMU) left",
			       other, vmid[other], v, first);
		}
		EXPECT_EQ(ttb_nested, ttb[other]);
		ipa_dma_check(_metadata, self, other, seed++, "still S2 only");
		nested_dma_check(_metadata, self, first, seed++);

		to_nested(_metadata, self, other);
		nested_dma_check(_metadata, self, other, seed++);
	}
}

/* A plain paging HWPT (flags 0) on @ioas through @dev_id */
static int paging_alloc(int fd, uint32_t dev_id, uint32_t ioas, uint32_t *out)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .flags = 0, .dev_id = dev_id, .pt_id = ioas,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};
	int ret = ioctl(fd, IOMMU_HWPT_ALLOC, &a) ? -errno : 0;

	*out = ret ? 0 : a.out_hwpt_id;
	return ret;
}

/*
 * Both emulated SMMUs have identical features, so the only domain here that
 * the other SMMU can never use is a stage-1 (a plain paging domain is one on
 * SMMUs with S1P). The feature-mismatch rules (page sizes, IAS/OAS, S2FWB,
 * coherent walk) are covered by the driver's KUnit test.
 */
void check_shared_s2_incompatible_refused(struct __test_metadata *_metadata,
					  fixture_t *self)
{
	uint64_t ste0[8], ste1[8], ste1_after[8];
	uint32_t s1 = 0;
	int ret;

	ste_read(_metadata, self, 1, ste1);
	ste_check_nested(_metadata, self, 1, ste1);

	ret = paging_alloc(self->iommufd, self->dev[0].dev_id, self->ioas_id, &s1);
	ASSERT_EQ(0, ret) {
		TH_LOG("HWPT_ALLOC flags 0 on IOAS %u via dev0: %s", self->ioas_id,
		       strerror(-ret));
	}
	ret = vfio_attach(self->dev[0].fd, s1);
	ASSERT_EQ(0, ret) {
		TH_LOG("attach dev0 to its own paging HWPT %u: %s", s1, strerror(-ret));
	}
	ste_read(_metadata, self, 0, ste0);
	ASSERT_EQ(STE_CFG_S1_TRANS, STE_0_CFG(ste0[0])) {
		TH_LOG("dev0 on paging HWPT %u: STE Config %llu, want %llu (stage-1)", s1,
		       (unsigned long long)STE_0_CFG(ste0[0]),
		       (unsigned long long)STE_CFG_S1_TRANS);
	}
	note("paging HWPT %u via dev0 is a stage-1 on %s (STE Config %llu); dev0 attached",
	     s1, self->dev[0].smmu, (unsigned long long)STE_CFG_S1_TRANS);
	ipa_dma_check(_metadata, self, 0, 0xe0, "stage-1 domain");

	ret = vfio_attach(self->dev[1].fd, s1);
	EXPECT_EQ(-EINVAL, ret) {
		TH_LOG("attach dev1 (%s) to dev0's stage-1 HWPT %u gave %d, want -EINVAL: another SMMU can never share a stage-1",
		       self->dev[1].smmu, s1, ret);
	}
	note("attach dev1 (%s) to the stage-1 HWPT %u: %s", self->dev[1].smmu, s1,
	     ret ? strerror(-ret) : "ok (wrong)");
	if (!ret)
		to_nested(_metadata, self, 1);

	ste_read(_metadata, self, 1, ste1_after);
	EXPECT_EQ(0, memcmp(ste1, ste1_after, sizeof(ste1))) {
		TH_LOG("dev1's STE changed by the refused attach, want it unchanged");
	}
	nested_dma_check(_metadata, self, 1, 0xe1);

	to_nested(_metadata, self, 0);
	nested_dma_check(_metadata, self, 0, 0xe2);
	ret = obj_destroy(self->iommufd, s1);
	ASSERT_EQ(0, ret) {
		TH_LOG("destroy paging HWPT %u: %s", s1, strerror(-ret));
	}
	note("paging HWPT %u destroyed", s1);
}
