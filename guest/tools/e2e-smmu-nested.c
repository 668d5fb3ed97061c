// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: VMM-style end-to-end test of the iommufd vIOMMU with ARM
 * SMMUv3 nesting, on two physical SMMUv3 instances sharing ONE stage-2.
 *
 * Runs as root in the arm64 test VM (QEMU virt, two SMMUv3 in nested mode, one
 * QEMU `edu` PCI device behind each, both bound to vfio-pci). It plays the VMM:
 *
 *   - one IOAS = "guest RAM" (an anonymous buffer mapped at IPA 0x4000000),
 *   - one nesting-parent HWPT (the stage-2) allocated on it,
 *   - one vIOMMU per physical SMMU, both on that same stage-2,
 *   - a "guest" stage-1 per device (CD + 3-level page tables) built inside
 *     guest RAM, installed through a vSTE (nested HWPT on the vIOMMU),
 *   - DMA from the edu devices through S1 then S2, guest TLB/CD invalidation
 *     through the vIOMMUs, and a stage-2 remap that must reach both SMMUs,
 *   - the live STEs read back through /dev/mem (VMIDs, shared S2TTB), and a
 *     stage-2 remap racing vIOMMU alloc/destroy in a second thread.
 *
 * The fixture setup does the VMM bring-up (steps 1-6) again for every test (the
 * harness forks per test), the teardown undoes it in order (step 12).
 *
 * Build (static, kselftest harness):
 *   aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror \
 *     -isystem /tmp/hdr-smmu/include \
 *     -I /work/main/build/linux/tools/testing/selftests \
 *     -o e2e-smmu-nested e2e-smmu-nested.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

/*
 * The harness is not -Wextra clean (unused parameter in its signal handler,
 * setjmp "clobbered" warnings in the TEST_F wrappers): silence exactly those.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

#include "vmm-client.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wclobbered"

/* ------------------------------------------------------------------------ */
/* Constants                                                                */
/* ------------------------------------------------------------------------ */

#define PAGE_SZ			0x1000ULL

/* Guest RAM: one anonymous buffer, mapped in the IOAS at this IPA. */
#define GUEST_IPA_BASE		0x4000000ULL	/* 64 MiB */
#define GUEST_RAM_SIZE		0x800000ULL	/* 8 MiB */
/* Page P: mapped by BOTH devices' S1, its own 4 KiB IOAS area (S2 remap). */
#define SHARED_P_OFF		0x400000ULL
#define IPA(off)		(GUEST_IPA_BASE + (uint64_t)(off))

/* Per-device 1 MiB area in guest RAM. */
#define DEV_AREA_OFF(i)		((uint64_t)(i) * 0x100000ULL)
#define AREA_CD			0x0000ULL	/* linear CD table, 1 entry */
#define AREA_PT_POOL		0x1000ULL	/* page-table pages ... */
#define AREA_PT_POOL_END	0x10000ULL	/* ... up to here (15 pages) */
#define AREA_DST		0x10000ULL	/* initial target of IOVA_DST */
#define AREA_SRC		0x11000ULL	/* target of IOVA_SRC */
#define AREA_DST_NEW		0x12000ULL	/* IOVA_DST after the S1 remap */
#define AREA_DST_CD2		0x13000ULL	/* IOVA_DST via the 2nd table set */

/* Stage-1 IOVAs (all < 256 MiB: edu's 28-bit DMA mask). */
#define IOVA_DST		0x1000000ULL
#define IOVA_SRC		0x1001000ULL
#define IOVA_SHARED		0x1002000ULL

#define VSID			0x10ULL		/* same vSID in both vIOMMUs */
#define VSID_NONE		0x77ULL		/* has no entry anywhere */
#define ASID			1		/* same ASID for both devices */

/* edu (QEMU hw/misc/edu.c) BAR0 */
#define EDU_REG_IDENT		0x00
#define EDU_REG_LIVE		0x04
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_CMD_RUN		0x1ULL
#define EDU_CMD_TO_RAM		0x2ULL	/* direction: device -> RAM */
#define EDU_IDENT		0x010000edU
#define EDU_DMA_BUF		0x40000ULL
#define EDU_DMA_BUF_SIZE	4096ULL
#define EDU_DMA_TIMEOUT_MS	5000

#define PCI_CMD_OFF		0x04
#define PCI_CMD_MEMORY		0x2
#define PCI_CMD_MASTER		0x4

/* SMMUv3 IDR0 */
#define IDR0_S2P		(1U << 0)
#define IDR0_S1P		(1U << 1)

/* VMSAv8-64 stage-1 descriptors, 4 KiB granule */
#define PTE_VALID		(1ULL << 0)
#define PTE_TYPE_TABLE_PAGE	(1ULL << 1)	/* table at L1/L2, page at L3 */
#define PTE_ATTRINDX(n)		((uint64_t)(n) << 2)
#define PTE_AP_EL0		(1ULL << 6)	/* AP[1]: EL0 access; AP[2]=0: RW */
#define PTE_SH_INNER		(3ULL << 8)
#define PTE_AF			(1ULL << 10)
#define PTE_NG			(1ULL << 11)	/* non-global: ASID-tagged */
#define PTE_ADDR_MASK		0x0000fffffffff000ULL
#define PT_ENTRIES		512

/* Context descriptor (arm-smmu-v3.h CTXDESC_CD_*) */
#define CD_0_T0SZ(x)		((uint64_t)(x) & 0x3f)
#define CD_0_TG0_4K		(0ULL << 6)
#define CD_0_IRGN0_WBWA		(1ULL << 8)
#define CD_0_ORGN0_WBWA		(1ULL << 10)
#define CD_0_SH0_IS		(3ULL << 12)
#define CD_0_EPD1		(1ULL << 30)
#define CD_0_V			(1ULL << 31)
#define CD_0_IPS(x)		(((uint64_t)(x) & 7) << 32)
#define CD_0_AFFD		(1ULL << 35)
#define CD_0_AA64		(1ULL << 41)
#define CD_0_R			(1ULL << 45)
#define CD_0_A			(1ULL << 46)
#define CD_0_ASET		(1ULL << 47)
#define CD_0_ASID(x)		((uint64_t)(x) << 48)
#define CD_1_TTB0_MASK		0x000ffffffffffff0ULL	/* [51:4] */
#define CD_IPS_44BIT		4

/* Stream table entry (arm-smmu-v3.h STRTAB_STE_*) */
#define STE_0_V			(1ULL << 0)
#define STE_0_CFG_S1_TRANS	(5ULL << 1)
#define STE_0_S1FMT_LINEAR	(0ULL << 4)
#define STE_0_S1CTXPTR_MASK	0x000fffffffffffc0ULL	/* [51:6] */
#define STE_0_S1CDMAX(x)	((uint64_t)(x) << 59)
#define STE_1_S1DSS_TERMINATE	(0ULL << 0)
#define STE_1_S1CIR_WBRA	(1ULL << 2)
#define STE_1_S1COR_WBRA	(1ULL << 4)
#define STE_1_S1CSH_IS		(3ULL << 6)

/* Command queue */
#define CMDQ_OP_CFGI_STE	0x03ULL
#define CMDQ_OP_CFGI_CD		0x05ULL
#define CMDQ_OP_TLBI_NH_ASID	0x11ULL
#define CMDQ_OP_ATC_INV		0x40ULL
#define CMDQ_0_SID(x)		((uint64_t)(x) << 32)
#define CMDQ_0_SSID(x)		(((uint64_t)(x) & 0xfffff) << 12)
#define CMDQ_TLBI_0_ASID(x)	((uint64_t)(x) << 48)
#define CMDQ_CFGI_1_LEAF	(1ULL << 0)


/* SMMUv3 registers and tables as the hardware sees them (read via /dev/mem) */
#define SMMU_NAME_PREFIX	"smmu3."	/* iommu sysfs name: "smmu3.%pa" */
#define SMMU_REG_MAP_SIZE	0x10000ULL	/* register page 0 */
#define SMMU_STRTAB_BASE	0x80
#define SMMU_STRTAB_BASE_CFG	0x88
#define STRTAB_BASE_ADDR_MASK	0x000fffffffffffc0ULL	/* [51:6] */
#define STRTAB_CFG_LOG2SIZE(r)	((r) & 0x3f)
#define STRTAB_CFG_SPLIT(r)	(((r) >> 6) & 0x1f)
#define STRTAB_CFG_FMT(r)	(((r) >> 16) & 0x3)
#define STRTAB_FMT_LINEAR	0
#define STRTAB_FMT_2LVL		1
#define STRTAB_L1_SPAN(x)	((x) & 0x1f)
#define STRTAB_L1_L2PTR_MASK	0x000fffffffffffc0ULL	/* [51:6] */
#define STE_SIZE		64
#define STE_0_CFG(w0)		(((w0) >> 1) & 7)
#define STE_CFG_NESTED		7ULL
#define STE_2_S2VMID(w2)	((w2) & 0xffff)
#define STE_3_S2TTB_MASK	0x000ffffffffffff0ULL	/* [51:4] */

/* s2_invalidation_races_viommu_churn */
#define CHURN_ROUNDS		5
#define CHURN_MAX_CYCLES	100000	/* safety bound; normally stopped */

/* ------------------------------------------------------------------------ */
/* Small helpers without harness state                                      */
/* ------------------------------------------------------------------------ */

static inline void io_barrier(void)
{
#if defined(__aarch64__)
	__asm__ __volatile__("dsb sy" ::: "memory");
#else
	__sync_synchronize();
#endif
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fill_pattern(uint8_t *p, uint8_t seed)
{
	for (unsigned int k = 0; k < PAGE_SZ; k++)
		p[k] = (uint8_t)(seed + k * 13 + (k >> 8));
}

/* Offset of the first byte that differs from the pattern, or -1. */
static long pattern_mismatch(const uint8_t *p, uint8_t seed)
{
	for (unsigned int k = 0; k < PAGE_SZ; k++)
		if (p[k] != (uint8_t)(seed + k * 13 + (k >> 8)))
			return k;
	return -1;
}

/* Offset of the first byte that is not @v, or -1. */
static long fill_mismatch(const uint8_t *p, uint8_t v)
{
	for (unsigned int k = 0; k < PAGE_SZ; k++)
		if (p[k] != v)
			return k;
	return -1;
}

#define SENTINEL_A		0x5a
#define SENTINEL_B		0xa5

/* ------------------------------------------------------------------------ */
/* Fixture                                                                  */
/* ------------------------------------------------------------------------ */

struct edu_dev {
	EDU_SYSFS_MEMBERS;	/* first: see edu_sysfs_find_into() */
	int fd;
	uint32_t dev_id;
	volatile uint8_t *bar0;
	size_t bar0_size;
	uint64_t cfg_off;	/* VFIO config region offset */
	uint32_t viommu_id;	/* vIOMMU of this device's SMMU */
	bool dev_id_set;	/* SET_DEV_ID(viommu, dev, VSID) done */
	uint32_t nested_id;	/* nested HWPT (vSTE) */
	uint64_t area;		/* offset of this device's area in guest RAM */
	uint64_t pt_next;	/* page-table pool bump pointer (area offset) */
	uint64_t l1_ipa;	/* root table of the S1 in use */
	uint64_t cd_ipa;
};

/* Background vIOMMU alloc/destroy (a pthread: same iommufd, same S2). */
struct viommu_churn {
	int iommufd;
	uint32_t dev_id;	/* device whose SMMU gets the vIOMMUs */
	uint32_t s2_id;
	unsigned int max_cycles;
	int stop;		/* set by the main thread (__atomic) */
	int started;		/* first alloc attempted (__atomic) */
	unsigned int cycles;	/* alloc + destroy both ok (__atomic) */
	unsigned int allocs;	/* successful allocs */
	unsigned int destroys;	/* successful destroys */
	unsigned int alloc_fail;
	unsigned int destroy_fail;
	int alloc_err;		/* -errno of the (first) failure */
	int destroy_err;
	uint32_t leaked_id;	/* vIOMMU whose destroy failed, 0 if none */
};

FIXTURE(smmu_nested)
{
	int iommufd;
	struct edu_dev dev[2];
	uint8_t *ram;		/* guest RAM, IPA GUEST_IPA_BASE */
	uint8_t *alt_page;	/* second host page for the S2 remap */
	uint32_t ioas_id;
	uint32_t s2_id;
	uint32_t vdev_id;	/* vDEVICE left by a test, 0 if none */
	/* A third vIOMMU and its objects, left by a test (0 / false if none). */
	uint32_t extra_viommu_id;
	uint32_t extra_nested_id;	/* nested HWPT on it */
	bool extra_dev_id_set;		/* SET_DEV_ID(extra, dev[extra_dev], VSID) */
	int extra_dev;
	/* Background vIOMMU churn thread, joined by the teardown if still running. */
	struct viommu_churn churn;
	pthread_t churn_thread;
	bool churn_running;
};

typedef FIXTURE_DATA(smmu_nested) fixture_t;

/* ------------------------------------------------------------------------ */
/* Guest memory                                                             */
/* ------------------------------------------------------------------------ */

static void *guest_ipa_to_ptr(struct __test_metadata *_metadata,
			      fixture_t *self, uint64_t ipa)
{
	ASSERT_TRUE(ipa >= GUEST_IPA_BASE && ipa < GUEST_IPA_BASE + GUEST_RAM_SIZE) {
		TH_LOG("IPA 0x%llx outside guest RAM", (unsigned long long)ipa);
	}
	return self->ram + (ipa - GUEST_IPA_BASE);
}

static uint8_t *area_ptr(fixture_t *self, int d, uint64_t off)
{
	return self->ram + self->dev[d].area + off;
}

static uint64_t area_ipa(fixture_t *self, int d, uint64_t off)
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

/* ------------------------------------------------------------------------ */
/* Guest stage-1: page tables and CD                                        */
/* ------------------------------------------------------------------------ */

/* A zeroed 4 KiB table page from the device's pool; returns its IPA. */
static uint64_t pt_alloc(struct __test_metadata *_metadata, fixture_t *self, int d)
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
static void pt_map_root(struct __test_metadata *_metadata, fixture_t *self,
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

static void pt_map(struct __test_metadata *_metadata, fixture_t *self, int d,
		   uint64_t iova, uint64_t ipa)
{
	pt_map_root(_metadata, self, d, self->dev[d].l1_ipa, iova, ipa);
}

/* 64-byte context descriptor: AArch64, 4K granule, T0SZ 32, TTB0 = @ttb0. */
static void cd_build(uint64_t cd[8], uint64_t ttb0, uint16_t asid)
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
static void cd_write(struct __test_metadata *_metadata, fixture_t *self,
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

static void vste_build(struct iommu_hwpt_arm_smmuv3 *ste, uint64_t cd_table_ipa)
{
	ste->ste[0] = htole64(STE_0_V | STE_0_CFG_S1_TRANS | STE_0_S1FMT_LINEAR |
			      (cd_table_ipa & STE_0_S1CTXPTR_MASK) |
			      STE_0_S1CDMAX(0));
	ste->ste[1] = htole64(STE_1_S1DSS_TERMINATE | STE_1_S1CIR_WBRA |
			      STE_1_S1COR_WBRA | STE_1_S1CSH_IS);
}

/* ------------------------------------------------------------------------ */
/* iommufd wrappers (return 0 or -errno)                                    */
/* ------------------------------------------------------------------------ */

static int ioas_map_fixed(int fd, uint32_t ioas, void *va, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return ioctl(fd, IOMMU_IOAS_MAP, &m) ? -errno : 0;
}

static int ioas_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *out_len)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len,
	};
	int ret = ioctl(fd, IOMMU_IOAS_UNMAP, &u) ? -errno : 0;

	if (out_len)
		*out_len = u.length;
	return ret;
}

static int viommu_set_dev_id(int fd, uint32_t viommu, uint32_t dev_id, uint64_t vsid)
{
	struct iommu_viommu_set_dev_id s = {
		.size = sizeof(s), .viommu_id = viommu, .dev_id = dev_id, .vdev_id = vsid,
	};

	return ioctl(fd, IOMMU_VIOMMU_SET_DEV_ID, &s) ? -errno : 0;
}

static int viommu_unset_dev_id(int fd, uint32_t viommu, uint32_t dev_id, uint64_t vsid)
{
	struct iommu_viommu_unset_dev_id s = {
		.size = sizeof(s), .viommu_id = viommu, .dev_id = dev_id, .vdev_id = vsid,
	};

	return ioctl(fd, IOMMU_VIOMMU_UNSET_DEV_ID, &s) ? -errno : 0;
}

static int vdevice_alloc(int fd, uint32_t viommu, uint32_t dev_id, uint64_t vsid,
			 uint32_t *out)
{
	struct iommu_vdevice_alloc a = {
		.size = sizeof(a), .viommu_id = viommu, .dev_id = dev_id, .virt_id = vsid,
	};
	int ret = ioctl(fd, IOMMU_VDEVICE_ALLOC, &a) ? -errno : 0;

	*out = a.out_vdevice_id;
	return ret;
}

static int hwpt_alloc_nested(int fd, uint32_t dev_id, uint32_t viommu,
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
static int viommu_invalidate(int fd, uint32_t viommu,
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

static void cmd_tlbi_nh_asid(struct iommu_viommu_arm_smmuv3_invalidate *c, uint16_t asid)
{
	/* VMID field left 0: the kernel forces the vIOMMU's VMID. */
	c->cmd[0] = htole64(CMDQ_OP_TLBI_NH_ASID | CMDQ_TLBI_0_ASID(asid));
	c->cmd[1] = 0;
}

static void cmd_cfgi_cd(struct iommu_viommu_arm_smmuv3_invalidate *c, uint64_t vsid)
{
	c->cmd[0] = htole64(CMDQ_OP_CFGI_CD | CMDQ_0_SID(vsid) | CMDQ_0_SSID(0));
	c->cmd[1] = htole64(CMDQ_CFGI_1_LEAF);
}

/* ------------------------------------------------------------------------ */
/* edu                                                                      */
/* ------------------------------------------------------------------------ */

static inline uint32_t edu_rd32(struct edu_dev *d, unsigned int off)
{
	return *(volatile uint32_t *)(d->bar0 + off);
}

static inline void edu_wr32(struct edu_dev *d, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(d->bar0 + off) = v;
}

static inline uint64_t edu_rd64(struct edu_dev *d, unsigned int off)
{
	return *(volatile uint64_t *)(d->bar0 + off);
}

static inline void edu_wr64(struct edu_dev *d, unsigned int off, uint64_t v)
{
	*(volatile uint64_t *)(d->bar0 + off) = v;
}

/*
 * One edu DMA between bus address (IOVA) @iova and the device buffer.
 * to_ram: device buffer -> @iova; else @iova -> device buffer.
 * Returns 0, -EBUSY if the engine was running, -ETIMEDOUT.
 */
static int edu_dma(struct edu_dev *d, uint64_t iova, uint64_t len, bool to_ram)
{
	uint64_t deadline;

	/* edu hw_error()s (kills QEMU) on a device-side range outside its buffer */
	if (!len || len > EDU_DMA_BUF_SIZE || iova >= (1ULL << 28))
		return -EINVAL;
	if (edu_rd64(d, EDU_REG_DMA_CMD) & EDU_CMD_RUN)
		return -EBUSY;
	io_barrier();	/* guest memory writes before the doorbell */
	edu_wr64(d, EDU_REG_DMA_SRC, to_ram ? EDU_DMA_BUF : iova);
	edu_wr64(d, EDU_REG_DMA_DST, to_ram ? iova : EDU_DMA_BUF);
	edu_wr64(d, EDU_REG_DMA_CNT, len);
	edu_wr64(d, EDU_REG_DMA_CMD, EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0));
	deadline = now_ms() + EDU_DMA_TIMEOUT_MS;
	while (edu_rd64(d, EDU_REG_DMA_CMD) & EDU_CMD_RUN) {
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(1000);
	}
	io_barrier();	/* DMA result visible before we read guest memory */
	return 0;
}

/*
 * Device @d writes one page with pattern @seed to stage-1 @iova_dst:
 * the pattern is put in the device's source page (IOVA_SRC), pulled into the
 * edu buffer (RAM -> device), then pushed to @iova_dst (device -> RAM).
 * Both legs go through S1 then S2. Use a fresh seed per call so a failed
 * first leg cannot be masked by an old edu buffer content.
 */
static void dev_dma_pattern(struct __test_metadata *_metadata, fixture_t *self,
			    int d, uint64_t iova_dst, uint8_t seed)
{
	struct edu_dev *dev = &self->dev[d];

	fill_pattern(area_ptr(self, d, AREA_SRC), seed);
	note("  dev%d: DMA RAM->edu from S1 IOVA 0x%llx, then edu->RAM to S1 IOVA 0x%llx (seed 0x%02x)",
	     d, (unsigned long long)IOVA_SRC, (unsigned long long)iova_dst, seed);
	ASSERT_EQ(0, edu_dma(dev, IOVA_SRC, EDU_DMA_BUF_SIZE, false)) {
		TH_LOG("dev%d: DMA RAM->device timed out", d);
	}
	ASSERT_EQ(0, edu_dma(dev, iova_dst, EDU_DMA_BUF_SIZE, true)) {
		TH_LOG("dev%d: DMA device->RAM timed out", d);
	}
}

static void expect_pattern(struct __test_metadata *_metadata, const char *what,
			   const uint8_t *p, uint8_t seed)
{
	long off = pattern_mismatch(p, seed);

	EXPECT_EQ(-1, off) {
		TH_LOG("%s: pattern 0x%02x missing: byte %ld is 0x%02x (want 0x%02x); first bytes %02x %02x %02x %02x",
		       what, seed, off, p[off], (uint8_t)(seed + off * 13 + (off >> 8)),
		       p[0], p[1], p[2], p[3]);
	}
	if (off == -1)
		note("  ok: %s holds pattern 0x%02x", what, seed);
}

static void expect_fill(struct __test_metadata *_metadata, const char *what,
			const uint8_t *p, uint8_t v)
{
	long off = fill_mismatch(p, v);

	EXPECT_EQ(-1, off) {
		TH_LOG("%s: should be untouched (0x%02x) but byte %ld is 0x%02x; first bytes %02x %02x %02x %02x",
		       what, v, off, p[off], p[0], p[1], p[2], p[3]);
	}
	if (off == -1)
		note("  ok: %s untouched", what);
}

/* ------------------------------------------------------------------------ */
/* Device discovery                                                         */
/* ------------------------------------------------------------------------ */

static int find_edu_devices(struct edu_dev *out, int max)
{
	int n = edu_sysfs_find_into(out, sizeof(*out), max), i;

	for (i = 0; i < n; i++)
		out[i].fd = -1;
	return n;
}

/* ------------------------------------------------------------------------ */
/* Live SMMU tables through /dev/mem (read-only)                            */
/* ------------------------------------------------------------------------ */

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
static void ste_read(struct __test_metadata *_metadata, fixture_t *self, int d,
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
static uint16_t ste_check_nested(struct __test_metadata *_metadata, fixture_t *self,
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

/* ------------------------------------------------------------------------ */
/* vIOMMU churn thread                                                      */
/* ------------------------------------------------------------------------ */

/*
 * No harness macros in here (they longjmp into the main thread's context):
 * only counters, checked by the main thread after the join.
 */
static void *viommu_churn_fn(void *arg)
{
	struct viommu_churn *c = arg;

	for (unsigned int i = 0; i < c->max_cycles; i++) {
		uint32_t id = 0;
		int ret;

		if (__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE))
			break;
		__atomic_store_n(&c->started, 1, __ATOMIC_RELEASE);
		ret = viommu_alloc(c->iommufd, c->dev_id, c->s2_id, &id);
		if (ret) {
			c->alloc_fail++;
			c->alloc_err = ret;
			break;
		}
		c->allocs++;
		ret = obj_destroy(c->iommufd, id);
		if (ret) {
			c->destroy_fail++;
			c->destroy_err = ret;
			c->leaked_id = id;
			break;
		}
		c->destroys++;
		__atomic_add_fetch(&c->cycles, 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&c->started, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Stop and join the churn thread if it runs; 0 or the pthread_join error. */
static int churn_stop(fixture_t *self)
{
	int ret;

	if (!self->churn_running)
		return 0;
	__atomic_store_n(&self->churn.stop, 1, __ATOMIC_RELEASE);
	ret = pthread_join(self->churn_thread, NULL);
	self->churn_running = false;
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Setup pieces                                                             */
/* ------------------------------------------------------------------------ */

static void dev_open_bind(struct __test_metadata *_metadata, fixture_t *self, int d)
{
	struct edu_dev *dev = &self->dev[d];
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind), .flags = 0, .iommufd = self->iommufd,
	};
	struct vfio_region_info bar = {
		.argsz = sizeof(bar), .index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	struct vfio_region_info cfg = {
		.argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	uint16_t cmd;
	void *map;

	ASSERT_NE(0, dev->cdev[0]) {
		TH_LOG("edu %s has no vfio-dev cdev: not bound to vfio-pci?", dev->bdf);
	}
	dev->fd = open(dev->cdev, O_RDWR);
	ASSERT_LE(0, dev->fd) {
		TH_LOG("open %s: %s", dev->cdev, strerror(errno));
	}
	ASSERT_EQ(0, ioctl(dev->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		TH_LOG("VFIO_DEVICE_BIND_IOMMUFD %s: %s", dev->cdev, strerror(errno));
	}
	dev->dev_id = bind.out_devid;
	note("dev%d: edu %s  %s  behind %s  -> dev_id %u", d, dev->bdf, dev->cdev,
	     dev->smmu, dev->dev_id);

	/* BAR0 */
	ASSERT_EQ(0, ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, &bar)) {
		TH_LOG("GET_REGION_INFO BAR0: %s", strerror(errno));
	}
	ASSERT_TRUE(!!(bar.flags & VFIO_REGION_INFO_FLAG_MMAP));
	ASSERT_LE(0x100ULL, bar.size);
	map = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd, bar.offset);
	ASSERT_NE(MAP_FAILED, map) {
		TH_LOG("mmap BAR0: %s", strerror(errno));
	}
	dev->bar0 = map;
	dev->bar0_size = bar.size;

	/* Memory decode + bus mastering through the VFIO config region. */
	ASSERT_EQ(0, ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, &cfg)) {
		TH_LOG("GET_REGION_INFO config: %s", strerror(errno));
	}
	dev->cfg_off = cfg.offset;
	ASSERT_EQ(2, pread(dev->fd, &cmd, 2, dev->cfg_off + PCI_CMD_OFF));
	cmd = htole16(le16toh(cmd) | PCI_CMD_MEMORY | PCI_CMD_MASTER);
	ASSERT_EQ(2, pwrite(dev->fd, &cmd, 2, dev->cfg_off + PCI_CMD_OFF));
	ASSERT_EQ(2, pread(dev->fd, &cmd, 2, dev->cfg_off + PCI_CMD_OFF));
	ASSERT_EQ(PCI_CMD_MASTER, le16toh(cmd) & PCI_CMD_MASTER);

	/* Is it alive? */
	ASSERT_EQ(EDU_IDENT, edu_rd32(dev, EDU_REG_IDENT));
	edu_wr32(dev, EDU_REG_LIVE, 0x12345678);
	ASSERT_EQ(~0x12345678U, edu_rd32(dev, EDU_REG_LIVE));
	ASSERT_EQ(0ULL, edu_rd64(dev, EDU_REG_DMA_CMD) & EDU_CMD_RUN);
}

static void dev_hw_info(struct __test_metadata *_metadata, fixture_t *self, int d)
{
	struct iommu_hw_info_arm_smmuv3 info;
	struct iommu_hw_info hi = {
		.size = sizeof(hi),
		.flags = 0,
		.dev_id = self->dev[d].dev_id,
		.data_len = sizeof(info),
		.data_uptr = (uintptr_t)&info,
	};

	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_GET_HW_INFO, &hi)) {
		TH_LOG("IOMMU_GET_HW_INFO dev%d: %s", d, strerror(errno));
	}
	ASSERT_EQ((uint32_t)IOMMU_HW_INFO_TYPE_ARM_SMMUV3, hi.out_data_type);
	note("dev%d: %s IDR0 0x%08x IDR1 0x%08x IDR2 0x%08x IDR3 0x%08x IDR4 0x%08x IDR5 0x%08x IIDR 0x%08x AIDR 0x%08x",
	     d, self->dev[d].smmu, info.idr[0], info.idr[1], info.idr[2], info.idr[3],
	     info.idr[4], info.idr[5], info.iidr, info.aidr);
	ASSERT_TRUE(!!(info.idr[0] & IDR0_S1P)) {
		TH_LOG("dev%d: SMMU IDR0 has no S1P", d);
	}
	ASSERT_TRUE(!!(info.idr[0] & IDR0_S2P)) {
		TH_LOG("dev%d: SMMU IDR0 has no S2P", d);
	}
}

/* Guest side: S1 page tables, CD and vSTE for device @d. */
static void guest_s1_build(struct __test_metadata *_metadata, fixture_t *self,
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

/* ------------------------------------------------------------------------ */
/* Setup: steps 1-6                                                         */
/* ------------------------------------------------------------------------ */

FIXTURE_SETUP(smmu_nested)
{
	struct edu_dev found[EDU_MAX];
	struct iommu_hwpt_arm_smmuv3 ste[2];
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_hwpt_alloc s2 = {
		.size = sizeof(s2),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};
	uint32_t bad_id = 0;
	int n, i, second = -1;
	int ret;

	self->iommufd = -1;
	self->dev[0].fd = self->dev[1].fd = -1;
	self->extra_viommu_id = 0;
	self->extra_nested_id = 0;
	self->extra_dev_id_set = false;
	self->extra_dev = -1;
	self->churn_running = false;

	if (access("/dev/iommu", F_OK))
		SKIP(return, "no /dev/iommu (iommufd not available)");
	n = find_edu_devices(found, EDU_MAX);
	if (n < 2)
		SKIP(return, "need 2 edu PCI devices (1234:11e8), found %d", n);

	/* d0 = first edu (sorted by SMMU), d1 = first one behind another SMMU. */
	for (i = 1; i < n; i++) {
		if (strcmp(found[i].smmu, found[0].smmu)) {
			second = i;
			break;
		}
	}
	ASSERT_NE(0, found[0].smmu[0]) {
		TH_LOG("edu %s has no iommu link", found[0].bdf);
	}
	ASSERT_NE(-1, second) {
		TH_LOG("all %d edu devices are behind %s: need two different SMMUs",
		       n, found[0].smmu);
	}
	self->dev[0] = found[0];
	self->dev[1] = found[second];
	self->dev[0].fd = self->dev[1].fd = -1;

	note("=== setup: VMM bring-up, two physical SMMUs, one shared stage-2 ===");

	/* Step 1: iommufd, bind both devices, hardware info. */
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd) {
		TH_LOG("open /dev/iommu: %s", strerror(errno));
	}
	for (i = 0; i < 2; i++)
		dev_open_bind(_metadata, self, i);
	for (i = 0; i < 2; i++)
		dev_hw_info(_metadata, self, i);

	/* Step 2: guest RAM in one IOAS at IPA 0x4000000. */
	self->ram = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	self->alt_page = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->alt_page);
	memset(self->ram, 0, GUEST_RAM_SIZE);
	memset(self->alt_page, SENTINEL_B, PAGE_SZ);

	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &ioas)) {
		TH_LOG("IOMMU_IOAS_ALLOC: %s", strerror(errno));
	}
	self->ioas_id = ioas.out_ioas_id;
	/* [0, P) and (P, end) as big areas, page P as its own area (remapped later) */
	ASSERT_EQ(0, ioas_map_fixed(self->iommufd, self->ioas_id, self->ram,
				    SHARED_P_OFF, IPA(0)));
	ASSERT_EQ(0, ioas_map_fixed(self->iommufd, self->ioas_id, self->ram + SHARED_P_OFF,
				    PAGE_SZ, IPA(SHARED_P_OFF)));
	ASSERT_EQ(0, ioas_map_fixed(self->iommufd, self->ioas_id,
				    self->ram + SHARED_P_OFF + PAGE_SZ,
				    GUEST_RAM_SIZE - SHARED_P_OFF - PAGE_SZ,
				    IPA(SHARED_P_OFF + PAGE_SZ)));
	note("IOAS %u: guest RAM %llu KiB at IPA 0x%llx (page P at IPA 0x%llx is its own area)",
	     self->ioas_id, (unsigned long long)(GUEST_RAM_SIZE >> 10),
	     (unsigned long long)GUEST_IPA_BASE, (unsigned long long)IPA(SHARED_P_OFF));

	/* Step 3: ONE stage-2 (nesting parent). */
	s2.dev_id = self->dev[0].dev_id;
	s2.pt_id = self->ioas_id;
	ret = ioctl(self->iommufd, IOMMU_HWPT_ALLOC, &s2) ? -errno : 0;
	ASSERT_EQ(0, ret) {
		TH_LOG("HWPT_ALLOC NEST_PARENT: %s%s", strerror(-ret),
		       ret == -EOPNOTSUPP ?
		       " (firmware does not declare the root complex coherent: no CANWBS?)" : "");
	}
	self->s2_id = s2.out_hwpt_id;
	note("stage-2: nesting-parent HWPT %u on IOAS %u (allocated via dev0)",
	     self->s2_id, self->ioas_id);

	/* Step 4: vIOMMU A (SMMU of d0), dev-id rules, vIOMMU B on the SAME S2. */
	ASSERT_EQ(0, viommu_alloc(self->iommufd, self->dev[0].dev_id, self->s2_id,
				  &self->dev[0].viommu_id));
	note("vIOMMU A = %u (dev0's SMMU %s) on S2 %u", self->dev[0].viommu_id,
	     self->dev[0].smmu, self->s2_id);
	ret = viommu_set_dev_id(self->iommufd, self->dev[0].viommu_id,
				self->dev[1].dev_id, VSID + 1);
	ASSERT_EQ(-EINVAL, ret) {
		TH_LOG("SET_DEV_ID(A, dev1 behind the other SMMU) gave %d, want -EINVAL", ret);
	}
	note("SET_DEV_ID(A, dev1, 0x%llx): EINVAL as expected (dev1 is behind another SMMU)",
	     (unsigned long long)(VSID + 1));
	ASSERT_EQ(0, viommu_alloc(self->iommufd, self->dev[1].dev_id, self->s2_id,
				  &self->dev[1].viommu_id));
	ASSERT_NE(self->dev[0].viommu_id, self->dev[1].viommu_id);
	note("vIOMMU B = %u (dev1's SMMU %s) on the same S2 %u", self->dev[1].viommu_id,
	     self->dev[1].smmu, self->s2_id);
	for (i = 0; i < 2; i++) {
		ret = viommu_set_dev_id(self->iommufd, self->dev[i].viommu_id,
					self->dev[i].dev_id, VSID);
		ASSERT_EQ(0, ret) {
			TH_LOG("SET_DEV_ID(%c, dev%d, 0x%llx): %s", 'A' + i, i,
			       (unsigned long long)VSID, strerror(-ret));
		}
		self->dev[i].dev_id_set = true;
	}
	note("SET_DEV_ID: A: vSID 0x%llx -> dev0, B: vSID 0x%llx -> dev1",
	     (unsigned long long)VSID, (unsigned long long)VSID);

	/* Step 5: guest stage-1 for each device, in guest RAM. */
	for (i = 0; i < 2; i++)
		guest_s1_build(_metadata, self, i, &ste[i]);

	/* Step 6: nested HWPTs on the vIOMMUs, and attach. */
	for (i = 0; i < 2; i++) {
		ret = hwpt_alloc_nested(self->iommufd, self->dev[i].dev_id,
					self->dev[i].viommu_id, &ste[i],
					&self->dev[i].nested_id);
		ASSERT_EQ(0, ret) {
			TH_LOG("HWPT_ALLOC nested dev%d on vIOMMU %c: %s", i, 'A' + i,
			       strerror(-ret));
		}
		note("dev%d: nested HWPT %u on vIOMMU %c", i, self->dev[i].nested_id, 'A' + i);
	}
	ret = hwpt_alloc_nested(self->iommufd, self->dev[1].dev_id,
				self->dev[0].viommu_id, &ste[1], &bad_id);
	ASSERT_EQ(-EINVAL, ret) {
		TH_LOG("HWPT_ALLOC nested dev1 on vIOMMU A gave %d (id %u), want -EINVAL",
		       ret, bad_id);
	}
	note("HWPT_ALLOC nested dev1 on vIOMMU A: EINVAL as expected");
	for (i = 0; i < 2; i++) {
		ret = vfio_attach(self->dev[i].fd, self->dev[i].nested_id);
		ASSERT_EQ(0, ret) {
			TH_LOG("ATTACH dev%d to nested HWPT %u: %s", i,
			       self->dev[i].nested_id, strerror(-ret));
		}
		note("dev%d: attached to nested HWPT %u", i, self->dev[i].nested_id);
	}
	note("=== setup done ===");
}

/* ------------------------------------------------------------------------ */
/* Teardown: step 12                                                        */
/* ------------------------------------------------------------------------ */

FIXTURE_TEARDOWN(smmu_nested)
{
	int i, ret;

	note("=== teardown ===");
	if (self->churn_running) {
		ret = churn_stop(self);
		EXPECT_EQ(0, ret) {
			TH_LOG("pthread_join churn thread: %s", strerror(ret));
		}
		note("vIOMMU churn thread stopped (%u cycles)", self->churn.cycles);
		if (self->churn.leaked_id && !self->extra_viommu_id)
			self->extra_viommu_id = self->churn.leaked_id;
	}
	for (i = 0; i < 2; i++) {
		ret = vfio_attach(self->dev[i].fd, self->ioas_id);
		EXPECT_EQ(0, ret) {
			TH_LOG("re-attach dev%d to IOAS %u: %s", i, self->ioas_id, strerror(-ret));
		}
	}
	note("devices attached back to IOAS %u", self->ioas_id);
	for (i = 0; i < 2; i++) {
		if (!self->dev[i].nested_id)
			continue;
		ret = obj_destroy(self->iommufd, self->dev[i].nested_id);
		EXPECT_EQ(0, ret) {
			TH_LOG("destroy nested HWPT %u: %s", self->dev[i].nested_id, strerror(-ret));
		}
	}
	if (self->extra_nested_id) {
		ret = obj_destroy(self->iommufd, self->extra_nested_id);
		EXPECT_EQ(0, ret) {
			TH_LOG("destroy nested HWPT %u (extra vIOMMU): %s",
			       self->extra_nested_id, strerror(-ret));
		}
	}
	note("nested HWPTs destroyed");
	if (self->vdev_id) {
		ret = obj_destroy(self->iommufd, self->vdev_id);
		EXPECT_EQ(0, ret) {
			TH_LOG("destroy vDEVICE %u: %s", self->vdev_id, strerror(-ret));
		}
	}
	for (i = 0; i < 2; i++) {
		if (!self->dev[i].dev_id_set)
			continue;
		ret = viommu_unset_dev_id(self->iommufd, self->dev[i].viommu_id,
					  self->dev[i].dev_id, VSID);
		EXPECT_EQ(0, ret) {
			TH_LOG("UNSET_DEV_ID(%c, dev%d): %s", 'A' + i, i, strerror(-ret));
		}
	}
	if (self->extra_dev_id_set) {
		ret = viommu_unset_dev_id(self->iommufd, self->extra_viommu_id,
					  self->dev[self->extra_dev].dev_id, VSID);
		EXPECT_EQ(0, ret) {
			TH_LOG("UNSET_DEV_ID(extra vIOMMU %u, dev%d): %s", self->extra_viommu_id,
			       self->extra_dev, strerror(-ret));
		}
	}
	note("dev-id entries removed");
	for (i = 0; i < 2; i++) {
		if (!self->dev[i].viommu_id)
			continue;
		ret = obj_destroy(self->iommufd, self->dev[i].viommu_id);
		EXPECT_EQ(0, ret) {
			TH_LOG("destroy vIOMMU %c (%u): %s", 'A' + i, self->dev[i].viommu_id,
			       strerror(-ret));
		}
	}
	if (self->extra_viommu_id) {
		ret = obj_destroy(self->iommufd, self->extra_viommu_id);
		EXPECT_EQ(0, ret) {
			TH_LOG("destroy extra vIOMMU %u: %s", self->extra_viommu_id,
			       strerror(-ret));
		}
	}
	note("vIOMMUs destroyed");
	ret = obj_destroy(self->iommufd, self->s2_id);
	EXPECT_EQ(0, ret) {
		TH_LOG("destroy S2 HWPT %u: %s", self->s2_id, strerror(-ret));
	}
	note("stage-2 destroyed");
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, munmap((void *)self->dev[i].bar0, self->dev[i].bar0_size));
		EXPECT_EQ(0, close(self->dev[i].fd));
	}
	note("device fds closed (unbound)");
	ret = obj_destroy(self->iommufd, self->ioas_id);
	EXPECT_EQ(0, ret) {
		TH_LOG("destroy IOAS %u: %s", self->ioas_id, strerror(-ret));
	}
	EXPECT_EQ(0, close(self->iommufd));
	munmap(self->ram, GUEST_RAM_SIZE);
	munmap(self->alt_page, PAGE_SZ);
	note("=== teardown done ===");
}

#define T_TIMEOUT	300	/* TCG is slow; each edu DMA takes ~100 ms */

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */
/* ------------------------------------------------------------------------ */

/* Steps 1-6 and 12 only (all their checks are in setup/teardown). */
TEST_F_TIMEOUT(smmu_nested, bringup, T_TIMEOUT)
{
	note("bring-up and teardown only");
}

/* Step 7: DMA through S1 then the shared S2, on both devices. */
TEST_F_TIMEOUT(smmu_nested, dma_s1_s2, T_TIMEOUT)
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
TEST_F_TIMEOUT(smmu_nested, asid_isolation, T_TIMEOUT)
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

/* Step 9: guest S1 remap + TLBI_NH_ASID (and CFGI_CD) through vIOMMU A. */
TEST_F_TIMEOUT(smmu_nested, s1_remap_tlbi, T_TIMEOUT)
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
TEST_F_TIMEOUT(smmu_nested, cd_switch_cfgi_cd, T_TIMEOUT)
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

/* Step 10: S2 change (IOAS unmap/remap) must reach both SMMUs. */
TEST_F_TIMEOUT(smmu_nested, shared_s2_remap, T_TIMEOUT)
{
	uint8_t *oldp = self->ram + SHARED_P_OFF;
	uint8_t *newp = self->alt_page;
	uint64_t unmapped = 0;
	int ret;

	note("step 10: both S1s map IOVA 0x%llx -> IPA 0x%llx (page P); warm both SMMUs' TLBs",
	     (unsigned long long)IOVA_SHARED, (unsigned long long)IPA(SHARED_P_OFF));
	memset(oldp, SENTINEL_A, PAGE_SZ);
	dev_dma_pattern(_metadata, self, 0, IOVA_SHARED, 0x61);
	expect_pattern(_metadata, "P (host page 1) after dev0", oldp, 0x61);
	dev_dma_pattern(_metadata, self, 1, IOVA_SHARED, 0x62);
	expect_pattern(_metadata, "P (host page 1) after dev1", oldp, 0x62);

	note("IOAS_UNMAP IPA 0x%llx (4 KiB)", (unsigned long long)IPA(SHARED_P_OFF));
	ret = ioas_unmap(self->iommufd, self->ioas_id, IPA(SHARED_P_OFF), PAGE_SZ, &unmapped);
	ASSERT_EQ(0, ret) {
		TH_LOG("IOAS_UNMAP P: %s", strerror(-ret));
	}
	ASSERT_EQ(PAGE_SZ, unmapped);
	memset(oldp, SENTINEL_A, PAGE_SZ);

	note("DMA to the unmapped IPA from both devices must not reach the old host page");
	dev_dma_pattern(_metadata, self, 0, IOVA_SHARED, 0x65);
	expect_fill(_metadata, "old host page after dev0 (S2 unmapped)", oldp, SENTINEL_A);
	dev_dma_pattern(_metadata, self, 1, IOVA_SHARED, 0x66);
	expect_fill(_metadata, "old host page after dev1 (S2 unmapped)", oldp, SENTINEL_A);

	note("IOAS_MAP a different host page at IPA 0x%llx", (unsigned long long)IPA(SHARED_P_OFF));
	memset(newp, SENTINEL_B, PAGE_SZ);
	ret = ioas_map_fixed(self->iommufd, self->ioas_id, newp, PAGE_SZ, IPA(SHARED_P_OFF));
	ASSERT_EQ(0, ret) {
		TH_LOG("IOAS_MAP new P: %s", strerror(-ret));
	}

	dev_dma_pattern(_metadata, self, 0, IOVA_SHARED, 0x63);
	expect_pattern(_metadata, "P (host page 2) after dev0", newp, 0x63);
	expect_fill(_metadata, "old host page after dev0", oldp, SENTINEL_A);
	dev_dma_pattern(_metadata, self, 1, IOVA_SHARED, 0x64);
	expect_pattern(_metadata, "P (host page 2) after dev1", newp, 0x64);
	expect_fill(_metadata, "old host page after dev1", oldp, SENTINEL_A);
}

/* Step 11: guest commands that must be refused. */
TEST_F_TIMEOUT(smmu_nested, invalidate_errors, T_TIMEOUT)
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
	 * Commands that would stall or fault the host's queue: an ATC_INV for a
	 * device that does not use ATS (the emulated SMMU has no ATS), and a
	 * SubstreamID beyond the SMMU's SSIDSIZE (0 here).
	 */
	c[0].cmd[0] = htole64(CMDQ_OP_ATC_INV | CMDQ_0_SID(VSID) | CMDQ_0_SSID(0));
	c[0].cmd[1] = 0;
	num = 1;
	ret = viommu_invalidate(self->iommufd, A, c, &num);
	EXPECT_EQ(-EIO, ret);
	EXPECT_EQ(0U, num);
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

/*
 * Cross-SMMU rules on attach and vDEVICE; a failed attach changes nothing; the
 * vDEVICE door fills the same dev-id table as SET_DEV_ID.
 */
TEST_F_TIMEOUT(smmu_nested, cross_smmu_rules, T_TIMEOUT)
{
	struct iommu_viommu_arm_smmuv3_invalidate c;
	uint32_t A = self->dev[0].viommu_id, B = self->dev[1].viommu_id;
	uint32_t vdev = 0, num;
	int ret;

	ret = vfio_attach(self->dev[1].fd, self->dev[0].nested_id);
	EXPECT_EQ(-EINVAL, ret) {
		TH_LOG("attach dev1 to dev0's nested HWPT (vIOMMU A) gave %d", ret);
	}
	note("attach dev1 to a nested HWPT of vIOMMU A: %s", strerror(-ret));

	note("dev1 still translates through its own nested HWPT");
	memset(area_ptr(self, 1, AREA_DST), SENTINEL_A, PAGE_SZ);
	dev_dma_pattern(_metadata, self, 1, IOVA_DST, 0x71);
	expect_pattern(_metadata, "dev1 DST page", area_ptr(self, 1, AREA_DST), 0x71);
	expect_fill(_metadata, "dev0 DST page", area_ptr(self, 0, AREA_DST), 0);

	/* Free dev1's entry first so that EEXIST cannot hide the EINVAL. */
	ret = viommu_unset_dev_id(self->iommufd, B, self->dev[1].dev_id, VSID);
	ASSERT_EQ(0, ret) {
		TH_LOG("UNSET_DEV_ID(B, dev1): %s", strerror(-ret));
	}
	self->dev[1].dev_id_set = false;
	note("UNSET_DEV_ID(B, dev1, 0x%llx): ok", (unsigned long long)VSID);

	cmd_cfgi_cd(&c, VSID);
	num = 1;
	ret = viommu_invalidate(self->iommufd, B, &c, &num);
	EXPECT_EQ(-EIO, ret);
	EXPECT_EQ(0U, num);
	note("CFGI_CD vSID 0x%llx via B after UNSET: %s", (unsigned long long)VSID,
	     strerror(-ret));

	ret = vdevice_alloc(self->iommufd, A, self->dev[1].dev_id, VSID + 1, &vdev);
	EXPECT_EQ(-EINVAL, ret) {
		TH_LOG("VDEVICE_ALLOC(A, dev1) gave %d (id %u)", ret, vdev);
	}
	if (!ret)
		self->vdev_id = vdev;
	note("VDEVICE_ALLOC(A, dev1): %s", strerror(-ret));
	if (!ret)
		return;	/* teardown destroys the stray vDEVICE */

	ret = vdevice_alloc(self->iommufd, B, self->dev[1].dev_id, VSID, &vdev);
	ASSERT_EQ(0, ret) {
		TH_LOG("VDEVICE_ALLOC(B, dev1, 0x%llx): %s", (unsigned long long)VSID,
		       strerror(-ret));
	}
	self->vdev_id = vdev;
	note("VDEVICE_ALLOC(B, dev1, 0x%llx): vDEVICE %u", (unsigned long long)VSID, vdev);

	ret = viommu_unset_dev_id(self->iommufd, B, self->dev[1].dev_id, VSID);
	EXPECT_EQ(-EBUSY, ret);
	note("UNSET_DEV_ID on the vDEVICE's entry: %s", strerror(-ret));

	ret = viommu_set_dev_id(self->iommufd, A, self->dev[0].dev_id, VSID);
	EXPECT_EQ(-EEXIST, ret);
	note("SET_DEV_ID(A, dev0) while dev0 has its entry: %s", strerror(-ret));

	cmd_cfgi_cd(&c, VSID);
	num = 1;
	ret = viommu_invalidate(self->iommufd, B, &c, &num);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(1U, num);
	note("CFGI_CD vSID 0x%llx via B (vDEVICE entry): %s", (unsigned long long)VSID,
	     ret ? strerror(-ret) : "ok");

	ret = obj_destroy(self->iommufd, vdev);
	ASSERT_EQ(0, ret) {
		TH_LOG("destroy vDEVICE %u: %s", vdev, strerror(-ret));
	}
	self->vdev_id = 0;
	ret = viommu_set_dev_id(self->iommufd, B, self->dev[1].dev_id, VSID);
	ASSERT_EQ(0, ret) {
		TH_LOG("SET_DEV_ID(B, dev1) after vDEVICE destroy: %s", strerror(-ret));
	}
	self->dev[1].dev_id_set = true;
	note("vDEVICE destroyed, SET_DEV_ID(B, dev1, 0x%llx) again: ok", (unsigned long long)VSID);

	memset(area_ptr(self, 1, AREA_DST), SENTINEL_A, PAGE_SZ);
	dev_dma_pattern(_metadata, self, 1, IOVA_DST, 0x72);
	expect_pattern(_metadata, "dev1 DST page", area_ptr(self, 1, AREA_DST), 0x72);
}

/* Object references: what must be refused while in use (nothing changes). */
TEST_F_TIMEOUT(smmu_nested, busy_objects, T_TIMEOUT)
{
	int ret;

	ret = obj_destroy(self->iommufd, self->s2_id);
	EXPECT_EQ(-EBUSY, ret);
	note("destroy S2 while vIOMMUs use it: %s", strerror(-ret));

	ret = obj_destroy(self->iommufd, self->dev[0].viommu_id);
	EXPECT_EQ(-EBUSY, ret);
	note("destroy vIOMMU A with nested HWPT + dev-id entry: %s", strerror(-ret));

	ret = obj_destroy(self->iommufd, self->dev[0].nested_id);
	EXPECT_EQ(-EBUSY, ret);
	note("destroy dev0's attached nested HWPT: %s", strerror(-ret));

	ret = viommu_unset_dev_id(self->iommufd, self->dev[0].viommu_id,
				  self->dev[0].dev_id, VSID + 1);
	EXPECT_EQ(-ENOENT, ret);
	note("UNSET_DEV_ID(A, dev0, wrong vSID): %s", strerror(-ret));

	ret = viommu_set_dev_id(self->iommufd, self->dev[0].viommu_id,
				self->dev[0].dev_id, VSID + 2);
	EXPECT_EQ(-EEXIST, ret);
	note("SET_DEV_ID(A, dev0, second vSID): %s", strerror(-ret));

	ret = viommu_set_dev_id(self->iommufd, self->dev[1].viommu_id,
				self->dev[1].dev_id, VSID);
	EXPECT_EQ(-EEXIST, ret);
	note("SET_DEV_ID(B, dev1, same vSID again): %s", strerror(-ret));
}

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
/*
 * The emulated SMMUs have no Tegra241 CMDQV: everything CMDQV-specific must be
 * refused cleanly, and the core's HW queue and mmap paths must not reach a
 * driver that has nothing to offer.
 */
TEST_F_TIMEOUT(smmu_nested, no_cmdqv_on_plain_smmu, T_TIMEOUT)
{
	struct iommu_viommu_alloc va = {
		.size = sizeof(va),
		.type = IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV,
		.dev_id = self->dev[0].dev_id,
		.hwpt_id = self->s2_id,
	};
	struct iommu_hw_queue_alloc qa = {
		.size = sizeof(qa),
		.viommu_id = self->dev[0].viommu_id,
		.type = IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV,
		.nesting_parent_iova = IPA(0),
		.length = 4096,
	};
	struct iommu_hw_info_tegra241_cmdqv cinfo;
	struct iommu_hw_info hi = {
		.size = sizeof(hi),
		.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE,
		.dev_id = self->dev[0].dev_id,
		.data_len = sizeof(cinfo),
		.data_uptr = (uintptr_t)&cinfo,
		.in_data_type = IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV,
	};
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	note("CMDQV requests on an SMMU without CMDQV");
	ASSERT_EQ(-1, ioctl(self->iommufd, IOMMU_GET_HW_INFO, &hi));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(-1, ioctl(self->iommufd, IOMMU_VIOMMU_ALLOC, &va));
	ASSERT_EQ(EOPNOTSUPP, errno);
	/* An ARM_SMMUV3 vIOMMU has no HW queues of any type */
	ASSERT_EQ(-1, ioctl(self->iommufd, IOMMU_HW_QUEUE_ALLOC, &qa));
	ASSERT_EQ(EOPNOTSUPP, errno);
	/* ... and registers no MMIO region */
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, self->iommufd, page);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENXIO, errno);
	/* The teardown unmaps the guest RAM, which a stray pin would refuse */
	note("all refused: EOPNOTSUPP x3, mmap ENXIO");
}

TEST_F_TIMEOUT(smmu_nested, vmids_differ, T_TIMEOUT)
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

/*
 * Shared-S2 invalidation while vIOMMUs on the same S2 come and go: a thread
 * allocates and destroys vIOMMUs on SMMU B while the main thread remaps page P
 * in the IOAS; both devices must see every new mapping.
 */
TEST_F_TIMEOUT(smmu_nested, s2_invalidation_races_viommu_churn, T_TIMEOUT)
{
	struct viommu_churn *c = &self->churn;
	uint8_t *cur = self->ram + SHARED_P_OFF;
	uint8_t *spare;
	uint64_t unmapped, deadline;
	unsigned int before, after;
	int it, ret;

	spare = mmap(NULL, 2 * PAGE_SZ, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, spare);
	memset(spare, SENTINEL_B, 2 * PAGE_SZ);

	memset(c, 0, sizeof(*c));
	c->iommufd = self->iommufd;
	c->dev_id = self->dev[1].dev_id;
	c->s2_id = self->s2_id;
	c->max_cycles = CHURN_MAX_CYCLES;
	ret = pthread_create(&self->churn_thread, NULL, viommu_churn_fn, c);
	ASSERT_EQ(0, ret) {
		TH_LOG("pthread_create: %s", strerror(ret));
	}
	self->churn_running = true;
	note("churn thread: VIOMMU_ALLOC(dev1 = SMMU %s, S2 %u) + DESTROY, up to %u cycles",
	     self->dev[1].smmu, self->s2_id, CHURN_MAX_CYCLES);
	deadline = now_ms() + 5000;
	while (!__atomic_load_n(&c->started, __ATOMIC_ACQUIRE) && now_ms() < deadline)
		usleep(1000);
	note("churn thread running: %u cycles so far",
	     __atomic_load_n(&c->cycles, __ATOMIC_ACQUIRE));

	for (it = 0; it < CHURN_ROUNDS; it++) {
		uint8_t *next = spare + (it & 1) * PAGE_SZ;
		uint8_t seed = (uint8_t)(0xa0 + it * 4);

		note("round %d/%d: warm both TLBs on IOVA 0x%llx -> IPA 0x%llx (current host page)",
		     it + 1, CHURN_ROUNDS, (unsigned long long)IOVA_SHARED,
		     (unsigned long long)IPA(SHARED_P_OFF));
		memset(cur, SENTINEL_A, PAGE_SZ);
		dev_dma_pattern(_metadata, self, 0, IOVA_SHARED, seed);
		expect_pattern(_metadata, "P (current host page) after dev0", cur, seed);
		dev_dma_pattern(_metadata, self, 1, IOVA_SHARED, seed + 1);
		expect_pattern(_metadata, "P (current host page) after dev1", cur, seed + 1);

		before = __atomic_load_n(&c->cycles, __ATOMIC_ACQUIRE);
		unmapped = 0;
		ret = ioas_unmap(self->iommufd, self->ioas_id, IPA(SHARED_P_OFF), PAGE_SZ,
				 &unmapped);
		ASSERT_EQ(0, ret) {
			TH_LOG("round %d: IOAS_UNMAP P: %s", it + 1, strerror(-ret));
		}
		ASSERT_EQ(PAGE_SZ, unmapped);
		memset(cur, SENTINEL_A, PAGE_SZ);
		memset(next, SENTINEL_B, PAGE_SZ);
		ret = ioas_map_fixed(self->iommufd, self->ioas_id, next, PAGE_SZ,
				     IPA(SHARED_P_OFF));
		ASSERT_EQ(0, ret) {
			TH_LOG("round %d: IOAS_MAP spare page %d at P: %s", it + 1, it & 1,
			       strerror(-ret));
		}
		after = __atomic_load_n(&c->cycles, __ATOMIC_ACQUIRE);
		note("round %d: IOAS_UNMAP + IOAS_MAP IPA 0x%llx -> spare host page %d; churn cycles %u (+%u during the remap)",
		     it + 1, (unsigned long long)IPA(SHARED_P_OFF), it & 1, after, after - before);

		dev_dma_pattern(_metadata, self, 0, IOVA_SHARED, seed + 2);
		expect_pattern(_metadata, "new host page after dev0", next, seed + 2);
		expect_fill(_metadata, "old host page after dev0", cur, SENTINEL_A);
		dev_dma_pattern(_metadata, self, 1, IOVA_SHARED, seed + 3);
		expect_pattern(_metadata, "new host page after dev1", next, seed + 3);
		expect_fill(_metadata, "old host page after dev1", cur, SENTINEL_A);
		cur = next;
	}

	ret = churn_stop(self);
	ASSERT_EQ(0, ret) {
		TH_LOG("pthread_join: %s", strerror(ret));
	}
	note("churn thread joined: %u cycles, %u allocs, %u destroys, %u alloc failures (%s), %u destroy failures (%s)",
	     c->cycles, c->allocs, c->destroys, c->alloc_fail,
	     c->alloc_fail ? strerror(-c->alloc_err) : "-", c->destroy_fail,
	     c->destroy_fail ? strerror(-c->destroy_err) : "-");
	if (c->leaked_id)
		self->extra_viommu_id = c->leaked_id;	/* teardown retries it */
	EXPECT_EQ(0U, c->destroy_fail) {
		TH_LOG("IOMMU_DESTROY of churn vIOMMU %u: %s", c->leaked_id,
		       strerror(-c->destroy_err));
	}
	EXPECT_EQ(0U, c->alloc_fail) {
		TH_LOG("VIOMMU_ALLOC in the churn thread: %s", strerror(-c->alloc_err));
	}
	EXPECT_EQ(c->allocs, c->destroys);
	ASSERT_LT(0U, c->cycles) {
		TH_LOG("churn thread completed no alloc/destroy cycle");
	}
}

TEST_HARNESS_MAIN
