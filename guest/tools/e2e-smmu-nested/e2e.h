/* SPDX-License-Identifier: GPL-2.0 */
/*
 * e2e-smmu-nested, internal: the constants of the test VM's devices and SMMUs,
 * the fixture's data, and what each file offers the others (main.c lists the
 * checks and their order).
 */
#ifndef E2E_SMMU_NESTED_H
#define E2E_SMMU_NESTED_H

#define _GNU_SOURCE
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
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
 *
 * It is also written for one-file tests: next to its macros and static helpers
 * it defines _fixture_global, __active_test, __run_test() and __wait_for_test()
 * with external linkage. main.c (E2E_MAIN), which holds the TEST_F()s, owns
 * them; the other files only use ASSERT/EXPECT/TH_LOG/SKIP on the _metadata
 * they are passed, so their copies are weak (the linker keeps main.c's) and
 * the harness's runner functions, unused there, are not warned about.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#ifndef E2E_MAIN
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include "kselftest_harness.h"

#include "../vmm-client.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wclobbered"
#ifndef E2E_MAIN
#pragma weak _fixture_global
#pragma weak __active_test
#pragma weak __run_test
#pragma weak __wait_for_test
#endif

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
#define STE_CFG_S1_TRANS	5ULL
#define STE_CFG_S2_TRANS	6ULL
#define STE_CFG_NESTED		7ULL
#define STE_2_S2VMID(w2)	((w2) & 0xffff)
#define STE_3_S2TTB_MASK	0x000ffffffffffff0ULL	/* [51:4] */

/* s2_invalidation_races_viommu_churn */
#define CHURN_ROUNDS		5
#define CHURN_MAX_CYCLES	100000	/* safety bound; normally stopped */

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

/* The data of main.c's FIXTURE(smmu_nested), here for every file */
FIXTURE_DATA(smmu_nested)
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
/* Register access                                                          */
/* ------------------------------------------------------------------------ */

static inline void io_barrier(void)
{
#if defined(__aarch64__)
	__asm__ __volatile__("dsb sy" ::: "memory");
#else
	__sync_synchronize();
#endif
}

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

/* ------------------------------------------------------------------------ */
/* What the files offer each other                                          */
/* ------------------------------------------------------------------------ */

/* edu.c: edu DMA and page patterns */
uint64_t now_ms(void);
void dev_dma_copy(struct __test_metadata *_metadata, fixture_t *self, int d,
		  uint64_t iova_src, uint64_t iova_dst, uint8_t seed);
void dev_dma_pattern(struct __test_metadata *_metadata, fixture_t *self,
		     int d, uint64_t iova_dst, uint8_t seed);
void expect_pattern(struct __test_metadata *_metadata, const char *what,
		    const uint8_t *p, uint8_t seed);
void expect_fill(struct __test_metadata *_metadata, const char *what,
		 const uint8_t *p, uint8_t v);

/* stage1.c: guest RAM and the guest stage-1 */
uint8_t *area_ptr(fixture_t *self, int d, uint64_t off);
uint64_t area_ipa(fixture_t *self, int d, uint64_t off);
uint64_t pt_alloc(struct __test_metadata *_metadata, fixture_t *self, int d);
void pt_map_root(struct __test_metadata *_metadata, fixture_t *self,
		 int d, uint64_t root, uint64_t iova, uint64_t ipa);
void pt_map(struct __test_metadata *_metadata, fixture_t *self, int d,
	    uint64_t iova, uint64_t ipa);
void cd_build(uint64_t cd[8], uint64_t ttb0, uint16_t asid);
void cd_write(struct __test_metadata *_metadata, fixture_t *self,
	      uint64_t cd_ipa, const uint64_t cd[8]);
void vste_build(struct iommu_hwpt_arm_smmuv3 *ste, uint64_t cd_table_ipa);
void guest_s1_build(struct __test_metadata *_metadata, fixture_t *self,
		    int d, struct iommu_hwpt_arm_smmuv3 *ste);

/* iommufd.c: iommufd wrappers (0 or -errno) and guest commands */
int viommu_set_dev_id(int fd, uint32_t viommu, uint32_t dev_id, uint64_t vsid);
int viommu_unset_dev_id(int fd, uint32_t viommu, uint32_t dev_id, uint64_t vsid);
int vdevice_alloc(int fd, uint32_t viommu, uint32_t dev_id, uint64_t vsid,
		  uint32_t *out);
int hwpt_alloc_nested(int fd, uint32_t dev_id, uint32_t viommu,
		      const struct iommu_hwpt_arm_smmuv3 *ste, uint32_t *out);
int viommu_invalidate(int fd, uint32_t viommu,
		      struct iommu_viommu_arm_smmuv3_invalidate *cmds,
		      uint32_t *num);
void cmd_tlbi_nh_asid(struct iommu_viommu_arm_smmuv3_invalidate *c, uint16_t asid);
void cmd_cfgi_cd(struct iommu_viommu_arm_smmuv3_invalidate *c, uint64_t vsid);

/* ste.c: live STEs through /dev/mem */
void ste_read(struct __test_metadata *_metadata, fixture_t *self, int d,
	      uint64_t ste[8]);
uint16_t ste_check_nested(struct __test_metadata *_metadata, fixture_t *self,
			  int d, const uint64_t ste[8]);

/* setup.c: the fixture's setup (steps 1-6) and teardown (step 12) */
void vmm_bringup(struct __test_metadata *_metadata, fixture_t *self);
void vmm_teardown(struct __test_metadata *_metadata, fixture_t *self);

/* shared-s2.c: the vIOMMU churn thread, stopped by the teardown too */
int churn_stop(fixture_t *self);

/* The checks, one per TAP test, each in the file named by what it checks */
#define E2E_CHECK(name) \
	void check_##name(struct __test_metadata *_metadata, fixture_t *self)
E2E_CHECK(bringup);				/* setup.c */
E2E_CHECK(dma_s1_s2);				/* dma.c */
E2E_CHECK(asid_isolation);			/* dma.c */
E2E_CHECK(s1_remap_tlbi);			/* invalidation.c */
E2E_CHECK(cd_switch_cfgi_cd);			/* invalidation.c */
E2E_CHECK(invalidate_errors);			/* invalidation.c */
E2E_CHECK(long_invalidation_max_entries);	/* invalidation.c */
E2E_CHECK(shared_s2_remap);			/* shared-s2.c */
E2E_CHECK(s2_invalidation_races_viommu_churn);	/* shared-s2.c */
E2E_CHECK(cross_smmu_rules);			/* cross-smmu.c */
E2E_CHECK(busy_objects);			/* busy-objects.c */
E2E_CHECK(no_cmdqv_on_plain_smmu);		/* cmdqv-refusals.c */
E2E_CHECK(vmids_differ);			/* vmids.c */
E2E_CHECK(edu_dma_nested_vs_s2);		/* dma-cost.c */
E2E_CHECK(guest_fault_vevent);			/* vevent.c */
E2E_CHECK(foreign_domain_replace);		/* foreign-domain.c */
E2E_CHECK(shared_s2_direct_attach);		/* direct-s2.c */
E2E_CHECK(shared_s2_incompatible_refused);	/* direct-s2.c */

#endif
