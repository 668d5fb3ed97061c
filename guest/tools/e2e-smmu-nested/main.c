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
 *     stage-2 remap racing vIOMMU alloc/destroy in a second thread,
 *   - a fault of a guest stage-1 read back from the vIOMMU's vEVENTQ.
 *
 * The fixture setup does the VMM bring-up (steps 1-6) again for every test (the
 * harness forks per test), the teardown undoes it in order (step 12).
 *
 * This file is the list of checks, in the order they run: TAP test
 * smmu_nested.NAME is check_NAME(), in the file named by what it checks.
 * The other files: setup.c (bring-up and teardown), stage1.c (guest stage-1
 * tables in guest RAM), ste.c (/dev/mem STE read-back), edu.c (edu DMA and
 * page patterns), iommufd.c (ioctl wrappers, guest commands), e2e.h.
 *
 * Build (static, kselftest harness): scripts/build-guest-progs.sh, i.e.
 *   aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror \
 *     -isystem build/usr/include -I build/linux/tools/testing/selftests \
 *     -o e2e-smmu-nested <every .c file in guest/tools/e2e-smmu-nested/>
 */
#define E2E_MAIN
#include "e2e.h"

#define T_TIMEOUT	300	/* TCG is slow; each edu DMA takes ~100 ms */

/* Its data, struct _test_data_smmu_nested, is in e2e.h for every file */
FIXTURE(smmu_nested);

FIXTURE_SETUP(smmu_nested)
{
	vmm_bringup(_metadata, self);
}

FIXTURE_TEARDOWN(smmu_nested)
{
	vmm_teardown(_metadata, self);
}

/* TAP test smmu_nested.NAME: the fixture's setup, check_NAME(), its teardown */
#define E2E_TEST(name)						\
	TEST_F_TIMEOUT(smmu_nested, name, T_TIMEOUT)		\
	{							\
		check_##name(_metadata, self);			\
	}

E2E_TEST(bringup)				/* setup.c */
E2E_TEST(dma_s1_s2)				/* dma.c */
E2E_TEST(asid_isolation)			/* dma.c */
E2E_TEST(s1_remap_tlbi)				/* invalidation.c */
E2E_TEST(cd_switch_cfgi_cd)			/* invalidation.c */
E2E_TEST(shared_s2_remap)			/* shared-s2.c */
E2E_TEST(invalidate_errors)			/* invalidation.c */
E2E_TEST(cross_smmu_rules)			/* cross-smmu.c */
E2E_TEST(busy_objects)				/* busy-objects.c */
E2E_TEST(no_cmdqv_on_plain_smmu)		/* cmdqv-refusals.c */
E2E_TEST(vmids_differ)				/* vmids.c */
E2E_TEST(s2_invalidation_races_viommu_churn)	/* shared-s2.c */
E2E_TEST(long_invalidation_max_entries)		/* invalidation.c */
E2E_TEST(edu_dma_nested_vs_s2)			/* dma-cost.c */
E2E_TEST(guest_fault_vevent)			/* vevent.c */
E2E_TEST(foreign_domain_replace)		/* foreign-domain.c */
E2E_TEST(shared_s2_direct_attach)		/* direct-s2.c */
E2E_TEST(shared_s2_incompatible_refused)	/* direct-s2.c */

TEST_HARNESS_MAIN
