// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: the guest's stage-1, built in guest RAM: 3-level page
 * tables, the CD, and the vSTE that points at it.
 */
#include "e2e.h"

static void *guest_ipa_to_ptr(struct __test_metadata *_metadata,
			      fixture_t *self, uint64_t ipa)
{
	ASSERT_TRUE(ipa >= GUEST_IPA_BASE && ipa < GUEST_IPA_BASE + GUEST_RAM_SIZE) {
		TH_LOG("IPA 0x%llx outside guest RAM", (unsigned long long)ipa);
	}
	return self->ram + (ipa - GUEST_IPA_BASE);
}

uint8_t *area_ptr(fixture_t *self, int d, uint64_t off)
{
	return self->ram + self->dev[d].area + off;
}

uint64_t area_ipa(fixture_t *self, int d, uint64_t off)
{
	return IPA(self->dev[d].area + off);
}

static inline void write_le64(void *p, uint64_t v)
{
	*(volatile uint64_t *)p = htole64(v);
}

static inline uint64_t read_le64(const void *p)
{
	return le64toh(*(const volatile uint64_t *)p);
}

/* A zeroed 4 KiB table page from the device's pool; returns its IPA. */
uint64_t pt_alloc(struct __test_metadata *_metadata, fixture_t *self, int d)
{
	struct edu_dev *dev = &self->dev[d];
	uint64_t off = dev->pt_next;

	ASSERT_LT(off, AREA_PT_POOL_END) {
		TH_LOG("dev%d: page-table pool exhausted", d);
	}
	dev->pt_next += PAGE_SZ;
	memset(area_ptr(self, d, off), 0, PAGE_SZ);
	__sync_synchronize();
	return area_ipa(self, d, off);
}

/*
 * Map stage-1 @iova -> @ipa (one 4 KiB page) in the table rooted at @root.
 * T0SZ = 32: the walk starts at level 1 (index = VA[31:30]), then L2 (VA[29:21])
 * and L3 (VA[20:12]). Missing L2/L3 tables are allocated from the pool.
 */
void pt_map_root(struct __test_metadata *_metadata, fixture_t *self,
		 int d, uint64_t root, uint64_t iova, uint64_t ipa)
{
	uint64_t table = root;
	uint64_t *t;
	uint64_t e;
	int level;

	ASSERT_EQ(0ULL, iova & (PAGE_SZ - 1));
	ASSERT_EQ(0ULL, ipa & (PAGE_SZ - 1));
	ASSERT_LT(iova, 1ULL << 32);

	for (level = 1; level < 3; level++) {
		unsigned int shift = 39 - 9 * level;	/* 30, 21 */
		unsigned int idx = (iova >> shift) & (PT_ENTRIES - 1);

		t = guest_ipa_to_ptr(_metadata, self, table);
		e = read_le64(&t[idx]);
		if (!(e & PTE_VALID)) {
			uint64_t next = pt_alloc(_metadata, self, d);

			/* Table is zeroed and visible before it is linked. */
			__sync_synchronize();
			write_le64(&t[idx], next | PTE_TYPE_TABLE_PAGE | PTE_VALID);
			e = next | PTE_TYPE_TABLE_PAGE | PTE_VALID;
		}
		ASSERT_EQ(PTE_TYPE_TABLE_PAGE | PTE_VALID, e & 3);
		table = e & PTE_ADDR_MASK;
	}
	t = guest_ipa_to_ptr(_metadata, self, table);
	write_le64(&t[(iova >> 12) & (PT_ENTRIES - 1)],
		   (ipa & PTE_ADDR_MASK) | PTE_VALID | PTE_TYPE_TABLE_PAGE |
		   PTE_ATTRINDX(0) | PTE_AP_EL0 | PTE_SH_INNER | PTE_AF | PTE_NG);
	io_barrier();
}

void pt_map(struct __test_metadata *_metadata, fixture_t *self, int d,
	    uint64_t iova, uint64_t ipa)
{
	pt_map_root(_metadata, self, d, self->dev[d].l1_ipa, iova, ipa);
}

/* 64-byte context descriptor: AArch64, 4K granule, T0SZ 32, TTB0 = @ttb0. */
void cd_build(uint64_t cd[8], uint64_t ttb0, uint16_t asid)
{
	memset(cd, 0, 8 * sizeof(uint64_t));
	cd[0] = CD_0_T0SZ(32) | CD_0_TG0_4K | CD_0_IRGN0_WBWA | CD_0_ORGN0_WBWA |
		CD_0_SH0_IS | CD_0_EPD1 | CD_0_V | CD_0_IPS(CD_IPS_44BIT) |
		CD_0_AFFD | CD_0_AA64 | CD_0_R | CD_0_A | CD_0_ASET |
		CD_0_ASID(asid);
	cd[1] = ttb0 & CD_1_TTB0_MASK;
	cd[3] = 0xff;	/* MAIR: attr0 = Normal, inner/outer WB RW-allocate */
}

/* Write a CD into guest memory: words 1..7 first, word 0 (with V) last. */
void cd_write(struct __test_metadata *_metadata, fixture_t *self,
	      uint64_t cd_ipa, const uint64_t cd[8])
{
	uint64_t *p = guest_ipa_to_ptr(_metadata, self, cd_ipa);

	ASSERT_EQ(0ULL, cd_ipa & 63);
	for (int w = 1; w < 8; w++)
		write_le64(&p[w], cd[w]);
	__sync_synchronize();
	write_le64(&p[0], cd[0]);
	io_barrier();
}

void vste_build(struct iommu_hwpt_arm_smmuv3 *ste, uint64_t cd_table_ipa)
{
	ste->ste[0] = htole64(STE_0_V | STE_0_CFG_S1_TRANS | STE_0_S1FMT_LINEAR |
			      (cd_table_ipa & STE_0_S1CTXPTR_MASK) |
			      STE_0_S1CDMAX(0));
	ste->ste[1] = htole64(STE_1_S1DSS_TERMINATE | STE_1_S1CIR_WBRA |
			      STE_1_S1COR_WBRA | STE_1_S1CSH_IS);
}

/* Guest side: S1 page tables, CD and vSTE for device @d. */
void guest_s1_build(struct __test_metadata *_metadata, fixture_t *self,
		    int d, struct iommu_hwpt_arm_smmuv3 *ste)
{
	struct edu_dev *dev = &self->dev[d];
	uint64_t cd[8];

	dev->area = DEV_AREA_OFF(d);
	dev->pt_next = AREA_PT_POOL;
	dev->cd_ipa = area_ipa(self, d, AREA_CD);
	dev->l1_ipa = pt_alloc(_metadata, self, d);

	pt_map(_metadata, self, d, IOVA_DST, area_ipa(self, d, AREA_DST));
	pt_map(_metadata, self, d, IOVA_SRC, area_ipa(self, d, AREA_SRC));
	pt_map(_metadata, self, d, IOVA_SHARED, IPA(SHARED_P_OFF));

	cd_build(cd, dev->l1_ipa, ASID);
	cd_write(_metadata, self, dev->cd_ipa, cd);
	vste_build(ste, dev->cd_ipa);

	note("dev%d: guest S1: CD @IPA 0x%llx (ASID %d), L1 @IPA 0x%llx; IOVA 0x%llx->IPA 0x%llx, 0x%llx->0x%llx, 0x%llx->0x%llx (shared P)",
	     d, (unsigned long long)dev->cd_ipa, ASID, (unsigned long long)dev->l1_ipa,
	     (unsigned long long)IOVA_DST, (unsigned long long)area_ipa(self, d, AREA_DST),
	     (unsigned long long)IOVA_SRC, (unsigned long long)area_ipa(self, d, AREA_SRC),
	     (unsigned long long)IOVA_SHARED, (unsigned long long)IPA(SHARED_P_OFF));
	note("dev%d: CD = 0x%016llx 0x%016llx 0 0x%016llx", d, (unsigned long long)cd[0],
	     (unsigned long long)cd[1], (unsigned long long)cd[3]);
	note("dev%d: vSTE = 0x%016llx 0x%016llx", d,
	     (unsigned long long)le64toh(ste->ste[0]), (unsigned long long)le64toh(ste->ste[1]));
}
