// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: DMA through stage-1 then the shared stage-2, and ASID
 * isolation between the two vIOMMUs.
 */
#include "e2e.h"

/* Step 7: DMA through S1 then the shared S2, on both devices. */
void check_dma_s1_s2(struct __test_metadata *_metadata, fixture_t *self)
{
	const uint8_t seed[2] = { 0x11, 0x22 };
	int d;

	note("step 7: each device writes through its S1 IOVA 0x%llx -> its own guest page -> S2 -> host",
	     (unsigned long long)IOVA_DST);
	for (d = 0; d < 2; d++)
		memset(area_ptr(self, d, AREA_DST), SENTINEL_A, PAGE_SZ);
	for (d = 0; d < 2; d++) {
		dev_dma_pattern(_metadata, self, d, IOVA_DST, seed[d]);
		expect_pattern(_metadata, d ? "dev1 DST page" : "dev0 DST page",
			       area_ptr(self, d, AREA_DST), seed[d]);
	}
	/* the other pages the S1 maps did not move */
	expect_fill(_metadata, "page P", self->ram + SHARED_P_OFF, 0);
	expect_fill(_metadata, "dev0 DST_NEW page", area_ptr(self, 0, AREA_DST_NEW), 0);
	expect_fill(_metadata, "dev1 DST_NEW page", area_ptr(self, 1, AREA_DST_NEW), 0);
}

/* Step 8: same ASID, different page tables, two vIOMMUs (two VMIDs). */
void check_asid_isolation(struct __test_metadata *_metadata, fixture_t *self)
{
	uint8_t *dst0 = area_ptr(self, 0, AREA_DST);
	uint8_t *dst1 = area_ptr(self, 1, AREA_DST);

	note("step 8: both devices use ASID %d with DIFFERENT S1 tables for IOVA 0x%llx.",
	     ASID, (unsigned long long)IOVA_DST);
	note("VMIDs are not visible through iommufd (vmids_differ reads the STEs); if vIOMMU A and B shared a VMID, (VMID, ASID)-tagged");
	note("TLB entries could alias and a DMA would land in the other device's page. Check d0, d1, d0.");
	note("(Each SMMU also has its own TLB, so this is a functional check, not a VMID readout.)");
	memset(dst0, SENTINEL_A, PAGE_SZ);
	memset(dst1, SENTINEL_A, PAGE_SZ);

	dev_dma_pattern(_metadata, self, 0, IOVA_DST, 0x31);
	expect_pattern(_metadata, "dev0 DST page", dst0, 0x31);
	expect_fill(_metadata, "dev1 DST page", dst1, SENTINEL_A);

	dev_dma_pattern(_metadata, self, 1, IOVA_DST, 0x32);
	expect_pattern(_metadata, "dev1 DST page", dst1, 0x32);
	expect_pattern(_metadata, "dev0 DST page (unchanged)", dst0, 0x31);

	dev_dma_pattern(_metadata, self, 0, IOVA_DST, 0x33);
	expect_pattern(_metadata, "dev0 DST page", dst0, 0x33);
	expect_pattern(_metadata, "dev1 DST page (unchanged)", dst1, 0x32);
}
