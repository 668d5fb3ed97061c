// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: the live STE of a device, read back through /dev/mem
 * (read-only): SMMU registers -> stream table -> STE.
 */
#include "e2e.h"

/* The PCI RID "dddd:bb:dd.f" -> (bus << 8) | (dev << 3) | fn. */
static int bdf_to_sid(const char *bdf, uint32_t *sid)
{
	unsigned int dom, bus, dev, fn;
	char tail;

	if (sscanf(bdf, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4)
		return -1;
	if (bus > 0xff || dev > 0x1f || fn > 7)
		return -1;
	*sid = (bus << 8) | (dev << 3) | fn;
	return 0;
}

/* iommu sysfs name "smmu3.0x<hex>" -> MMIO base. */
static int smmu_name_to_base(const char *name, uint64_t *base)
{
	size_t plen = strlen(SMMU_NAME_PREFIX);
	char *end;

	if (strncmp(name, SMMU_NAME_PREFIX, plen) || strncmp(name + plen, "0x", 2))
		return -1;
	errno = 0;
	*base = strtoull(name + plen, &end, 16);
	if (errno || end == name + plen || *end || !*base)
		return -1;
	return 0;
}

/*
 * Read @n 64-bit little-endian words of physical memory at @pa (must not cross
 * a page) through a read-only MAP_SHARED mapping of /dev/mem.
 */
static void devmem_read64(struct __test_metadata *_metadata, int memfd,
			  uint64_t pa, uint64_t *out, unsigned int n)
{
	uint64_t pgsz = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t page = pa & ~(pgsz - 1);
	const volatile uint64_t *w;
	void *map;

	ASSERT_EQ(0ULL, pa & 7);
	ASSERT_LE(pa - page + n * 8ULL, pgsz) {
		TH_LOG("PA 0x%llx + %u words crosses a %llu-byte page",
		       (unsigned long long)pa, n, (unsigned long long)pgsz);
	}
	map = mmap(NULL, pgsz, PROT_READ, MAP_SHARED, memfd, (off_t)page);
	ASSERT_NE(MAP_FAILED, map) {
		TH_LOG("mmap /dev/mem at PA 0x%llx: %s", (unsigned long long)page,
		       strerror(errno));
	}
	w = (const volatile uint64_t *)((uint8_t *)map + (pa - page));
	for (unsigned int i = 0; i < n; i++)
		out[i] = le64toh(w[i]);
	munmap(map, pgsz);
}

/*
 * The STE the SMMU of device @d uses for it right now: SMMU base from the sysfs
 * name, STRTAB_BASE(_CFG) from its registers, StreamID = PCI RID, then a
 * linear or 2-level stream table walk in RAM. Prints every step.
 */
void ste_read(struct __test_metadata *_metadata, fixture_t *self, int d,
	      uint64_t ste[8])
{
	struct edu_dev *dev = &self->dev[d];
	uint64_t pgsz = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t smmu_base, strtab, ste_pa;
	uint32_t sid, lo, hi, cfg, fmt, split, log2size;
	const volatile uint32_t *regs;
	void *map;
	int memfd;

	ASSERT_EQ(0, bdf_to_sid(dev->bdf, &sid)) {
		TH_LOG("dev%d: cannot parse BDF '%s'", d, dev->bdf);
	}
	ASSERT_EQ(0, smmu_name_to_base(dev->smmu, &smmu_base)) {
		TH_LOG("dev%d: cannot parse SMMU base from iommu name '%s' (want smmu3.0x<hex>)",
		       d, dev->smmu);
	}
	ASSERT_EQ(0ULL, smmu_base & (pgsz - 1)) {
		TH_LOG("dev%d: SMMU base 0x%llx not aligned to the %llu-byte page",
		       d, (unsigned long long)smmu_base, (unsigned long long)pgsz);
	}
	memfd = open("/dev/mem", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, memfd) {
		TH_LOG("open /dev/mem: %s (need CONFIG_DEVMEM, no STRICT_DEVMEM, no lockdown)",
		       strerror(errno));
	}

	map = mmap(NULL, SMMU_REG_MAP_SIZE, PROT_READ, MAP_SHARED, memfd, (off_t)smmu_base);
	ASSERT_NE(MAP_FAILED, map) {
		TH_LOG("mmap /dev/mem SMMU registers at 0x%llx: %s",
		       (unsigned long long)smmu_base, strerror(errno));
	}
	regs = map;
	/* 32-bit reads: STRTAB_BASE as two halves, then STRTAB_BASE_CFG */
	lo = regs[SMMU_STRTAB_BASE / 4];
	hi = regs[SMMU_STRTAB_BASE / 4 + 1];
	cfg = regs[SMMU_STRTAB_BASE_CFG / 4];
	munmap(map, SMMU_REG_MAP_SIZE);

	strtab = (((uint64_t)hi << 32) | lo) & STRTAB_BASE_ADDR_MASK;
	fmt = STRTAB_CFG_FMT(cfg);
	split = STRTAB_CFG_SPLIT(cfg);
	log2size = STRTAB_CFG_LOG2SIZE(cfg);
	note("dev%d: %s: MMIO 0x%llx STRTAB_BASE 0x%08x%08x (table PA 0x%llx) STRTAB_BASE_CFG 0x%08x: FMT %u (%s) LOG2SIZE %u SPLIT %u; %s -> SID 0x%x",
	     d, dev->smmu, (unsigned long long)smmu_base, hi, lo,
	     (unsigned long long)strtab, cfg, fmt,
	     fmt == STRTAB_FMT_LINEAR ? "linear" : fmt == STRTAB_FMT_2LVL ? "2-level" : "?",
	     log2size, split, dev->bdf, sid);
	ASSERT_NE(0ULL, strtab) {
		TH_LOG("dev%d: STRTAB_BASE address is 0 (registers not readable?)", d);
	}
	ASSERT_LT((uint64_t)sid, 1ULL << log2size) {
		TH_LOG("dev%d: SID 0x%x beyond the stream table (LOG2SIZE %u)", d, sid, log2size);
	}

	if (fmt == STRTAB_FMT_LINEAR) {
		ste_pa = strtab + (uint64_t)sid * STE_SIZE;
	} else if (fmt == STRTAB_FMT_2LVL) {
		uint64_t l1_pa, l1, l2, idx;
		unsigned int span;

		ASSERT_TRUE(split >= 1 && split <= log2size) {
			TH_LOG("dev%d: 2-level stream table with SPLIT %u, LOG2SIZE %u",
			       d, split, log2size);
		}
		l1_pa = strtab + (uint64_t)(sid >> split) * 8;
		devmem_read64(_metadata, memfd, l1_pa, &l1, 1);
		span = STRTAB_L1_SPAN(l1);
		l2 = l1 & STRTAB_L1_L2PTR_MASK;
		idx = sid & ((1U << split) - 1);
		note("dev%d: L1 descriptor [%u] @PA 0x%llx = 0x%016llx: SPAN %u, L2 @PA 0x%llx, index %llu",
		     d, sid >> split, (unsigned long long)l1_pa, (unsigned long long)l1,
		     span, (unsigned long long)l2, (unsigned long long)idx);
		ASSERT_TRUE(span != 0 && l2 != 0) {
			TH_LOG("dev%d: L1 descriptor for SID 0x%x is invalid (0x%016llx)",
			       d, sid, (unsigned long long)l1);
		}
		ASSERT_LT(idx, 1ULL << (span - 1)) {
			TH_LOG("dev%d: SID 0x%x index %llu beyond the L2 span %u",
			       d, sid, (unsigned long long)idx, span);
		}
		ste_pa = l2 + idx * STE_SIZE;
	} else {
		ASSERT_TRUE(false) {
			TH_LOG("dev%d: STRTAB_BASE_CFG 0x%08x has unexpected FMT %u: cannot locate the STE",
			       d, cfg, fmt);
		}
		return;
	}
	devmem_read64(_metadata, memfd, ste_pa, ste, 8);
	close(memfd);
	note("dev%d: STE @PA 0x%llx: %016llx %016llx %016llx %016llx %016llx %016llx %016llx %016llx",
	     d, (unsigned long long)ste_pa,
	     (unsigned long long)ste[0], (unsigned long long)ste[1],
	     (unsigned long long)ste[2], (unsigned long long)ste[3],
	     (unsigned long long)ste[4], (unsigned long long)ste[5],
	     (unsigned long long)ste[6], (unsigned long long)ste[7]);
	note("dev%d: STE: V %llu Config %llu S1ContextPtr 0x%llx S2VMID %llu S2TTB 0x%llx",
	     d, (unsigned long long)(ste[0] & STE_0_V),
	     (unsigned long long)STE_0_CFG(ste[0]),
	     (unsigned long long)(ste[0] & STE_0_S1CTXPTR_MASK),
	     (unsigned long long)STE_2_S2VMID(ste[2]),
	     (unsigned long long)(ste[3] & STE_3_S2TTB_MASK));
}

/*
 * Checks on a STE of a device attached to a nested HWPT whose vSTE points at
 * the device's CD (which also proves we found the right STE). Returns the VMID.
 */
uint16_t ste_check_nested(struct __test_metadata *_metadata, fixture_t *self,
			  int d, const uint64_t ste[8])
{
	ASSERT_EQ(STE_0_V, ste[0] & STE_0_V) {
		TH_LOG("dev%d: STE not valid", d);
	}
	ASSERT_EQ(self->dev[d].cd_ipa, ste[0] & STE_0_S1CTXPTR_MASK) {
		TH_LOG("dev%d: STE S1ContextPtr is not the guest CD IPA: wrong STE (SID mapping not RID?)",
		       d);
	}
	ASSERT_EQ(STE_CFG_NESTED, STE_0_CFG(ste[0])) {
		TH_LOG("dev%d: STE Config %llu, want %llu (nested)", d,
		       (unsigned long long)STE_0_CFG(ste[0]), (unsigned long long)STE_CFG_NESTED);
	}
	ASSERT_NE(0ULL, STE_2_S2VMID(ste[2])) {
		TH_LOG("dev%d: nested STE with VMID 0 (reserved for bypass)", d);
	}
	ASSERT_NE(0ULL, ste[3] & STE_3_S2TTB_MASK) {
		TH_LOG("dev%d: nested STE without S2TTB", d);
	}
	return (uint16_t)STE_2_S2VMID(ste[2]);
}
