// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: what the guest stage-1 adds to an edu DMA on the emulated
 * SMMUs. dev0 copies a page through its nested domain (S1 then the shared
 * S2), then, attached straight to the stage-2 (no stage-1: bus address =
 * IPA), the same page; each copy is checked. make check runs 2 copies of
 * each; make bench sets E2E_DMA_REPS and reads the "# BENCH" lines:
 *  - e2e.edu_dma_ns translation=nested|s2: one copy (two DMAs);
 *  - e2e.edu_dma_ratio_nested_s2: nested over S2-only, paired per copy.
 * Each edu DMA waits for edu's 100 ms DMA timer in QEMU, so the translation
 * is a small part of what is timed (docs/bench-analysis.md).
 */
#include "e2e.h"

#define DMA_COST_MAX_REPS	1000

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* "# BENCH fig keys unit=.. reps=n min=.. med=.. max=.." */
static void bench_print(const char *fig, const char *keys, const char *unit,
			double scale, const uint64_t *v, int n)
{
	uint64_t s[DMA_COST_MAX_REPS];
	const char *fmt = scale == 1.0 ? "%.0f" : "%.3f";
	double med;

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(s[0]), cmp_u64);
	med = n & 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
	printf("# BENCH %s%s%s unit=%s reps=%d min=", fig, *keys ? " " : "",
	       keys, unit, n);
	printf(fmt, s[0] / scale);
	printf(" med=");
	printf(fmt, med / scale);
	printf(" max=");
	printf(fmt, s[n - 1] / scale);
	putchar('\n');
	fflush(stdout);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One checked copy into @dst (host view @dst_p), its duration in ns */
static uint64_t timed_copy(struct __test_metadata *_metadata, fixture_t *self,
			   uint64_t src, uint64_t dst, uint8_t *dst_p,
			   uint8_t seed, const char *what)
{
	uint64_t t0, t;

	memset(dst_p, SENTINEL_A, PAGE_SZ);
	t0 = now_ns();
	dev_dma_copy(_metadata, self, 0, src, dst, seed);
	t = now_ns() - t0;
	expect_pattern(_metadata, what, dst_p, seed);
	return t;
}

void check_edu_dma_nested_vs_s2(struct __test_metadata *_metadata,
				fixture_t *self)
{
	static uint64_t nested[DMA_COST_MAX_REPS], s2[DMA_COST_MAX_REPS];
	static uint64_t ratio[DMA_COST_MAX_REPS];
	uint8_t *dst = area_ptr(self, 0, AREA_DST);
	const char *env = getenv("E2E_DMA_REPS");
	int reps = env ? atoi(env) : 2;
	int r, ret;

	ASSERT_TRUE(reps > 0 && reps <= DMA_COST_MAX_REPS) {
		TH_LOG("E2E_DMA_REPS=%s: want 1..%d", env, DMA_COST_MAX_REPS);
	}
	note("dev0: %d page copies through S1+S2 (IOVA 0x%llx -> 0x%llx)", reps,
	     (unsigned long long)IOVA_SRC, (unsigned long long)IOVA_DST);
	for (r = 0; r < reps; r++)
		nested[r] = timed_copy(_metadata, self, IOVA_SRC, IOVA_DST, dst,
				       (uint8_t)(0x80 + r), "dev0 DST page (nested)");

	ret = vfio_attach(self->dev[0].fd, self->s2_id);
	ASSERT_EQ(0, ret) {
		TH_LOG("ATTACH dev0 to the S2 HWPT %u: %s", self->s2_id,
		       strerror(-ret));
	}
	note("dev0: attached straight to the S2 HWPT %u; %d copies IPA 0x%llx -> 0x%llx",
	     self->s2_id, reps, (unsigned long long)area_ipa(self, 0, AREA_SRC),
	     (unsigned long long)area_ipa(self, 0, AREA_DST));
	for (r = 0; r < reps; r++)
		s2[r] = timed_copy(_metadata, self, area_ipa(self, 0, AREA_SRC),
				   area_ipa(self, 0, AREA_DST), dst,
				   (uint8_t)(0x40 + r), "dev0 DST page (S2 only)");

	ret = vfio_attach(self->dev[0].fd, self->dev[0].nested_id);
	ASSERT_EQ(0, ret) {
		TH_LOG("re-ATTACH dev0 to its nested HWPT %u: %s",
		       self->dev[0].nested_id, strerror(-ret));
	}
	/* The nested path works again after the round trip */
	timed_copy(_metadata, self, IOVA_SRC, IOVA_DST, dst, 0x3c,
		   "dev0 DST page (nested again)");

	for (r = 0; r < reps; r++)
		ratio[r] = s2[r] ? nested[r] * 1000 / s2[r] : 0;
	bench_print("e2e.edu_dma_ns", "translation=nested", "ns", 1.0, nested,
		    reps);
	bench_print("e2e.edu_dma_ns", "translation=s2", "ns", 1.0, s2, reps);
	bench_print("e2e.edu_dma_ratio_nested_s2", "", "ratio", 1000.0, ratio,
		    reps);
}
