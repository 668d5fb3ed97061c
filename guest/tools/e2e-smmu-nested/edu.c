// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: DMA by the edu devices, and the page patterns that show
 * where it landed.
 */
#include "e2e.h"

uint64_t now_ms(void)
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
 * Device @d copies one page with pattern @seed from bus address @iova_src to
 * @iova_dst: the pattern is put in the device's source page (at @iova_src),
 * pulled into the edu buffer (RAM -> device), then pushed to @iova_dst
 * (device -> RAM). Use a fresh seed per call so a failed first leg cannot be
 * masked by an old edu buffer content.
 */
void dev_dma_copy(struct __test_metadata *_metadata, fixture_t *self, int d,
		  uint64_t iova_src, uint64_t iova_dst, uint8_t seed)
{
	struct edu_dev *dev = &self->dev[d];

	fill_pattern(area_ptr(self, d, AREA_SRC), seed);
	note("  dev%d: DMA RAM->edu from IOVA 0x%llx, then edu->RAM to IOVA 0x%llx (seed 0x%02x)",
	     d, (unsigned long long)iova_src, (unsigned long long)iova_dst, seed);
	ASSERT_EQ(0, edu_dma(dev, iova_src, EDU_DMA_BUF_SIZE, false)) {
		TH_LOG("dev%d: DMA RAM->device timed out", d);
	}
	ASSERT_EQ(0, edu_dma(dev, iova_dst, EDU_DMA_BUF_SIZE, true)) {
		TH_LOG("dev%d: DMA device->RAM timed out", d);
	}
}

/* The same through the guest stage-1: from IOVA_SRC, which maps AREA_SRC */
void dev_dma_pattern(struct __test_metadata *_metadata, fixture_t *self,
		     int d, uint64_t iova_dst, uint8_t seed)
{
	dev_dma_copy(_metadata, self, d, IOVA_SRC, iova_dst, seed);
}

void expect_pattern(struct __test_metadata *_metadata, const char *what,
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

void expect_fill(struct __test_metadata *_metadata, const char *what,
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
