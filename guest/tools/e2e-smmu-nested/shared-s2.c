// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: a stage-2 remap must reach both SMMUs that share the
 * stage-2, also while vIOMMUs on it are allocated and destroyed.
 */
#include "e2e.h"

/* Step 10: S2 change (IOAS unmap/remap) must reach both SMMUs. */
void check_shared_s2_remap(struct __test_metadata *_metadata, fixture_t *self)
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
int churn_stop(fixture_t *self)
{
	int ret;

	if (!self->churn_running)
		return 0;
	__atomic_store_n(&self->churn.stop, 1, __ATOMIC_RELEASE);
	ret = pthread_join(self->churn_thread, NULL);
	self->churn_running = false;
	return ret;
}

/*
 * Shared-S2 invalidation while vIOMMUs on the same S2 come and go: a thread
 * allocates and destroys vIOMMUs on SMMU B while the main thread remaps page P
 * in the IOAS; both devices must see every new mapping.
 */
void check_s2_invalidation_races_viommu_churn(struct __test_metadata *_metadata,
					      fixture_t *self)
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
