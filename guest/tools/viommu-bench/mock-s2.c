// SPDX-License-Identifier: GPL-2.0
/*
 * viommu-bench, mock IOMMU: what sharing one stage-2 among K vIOMMUs on both
 * mock instances costs the iommufd core (smmu.c measures what it costs the
 * SMMUv3 driver). One mock device behind each instance, both on one IOAS; a
 * nesting-parent S2 allocated via the instance-0 device; K mock vIOMMUs on
 * that S2, alternating the instance-1 / instance-0 device.
 *  - s2.mock_map_unmap_ns: IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP of one 4 KiB page;
 *  - s2.mock_ratio_4_1: that at the largest K over the smallest, paired per
 *    repetition.
 * Linux 7.3's mock has one instance: it skips both figures.
 */
#include "common.h"

static const char *const mock_s2_figs[MOCK_S2_FIGURES] = {
	"s2.mock_map_unmap_ns", "s2.mock_ratio_4_1",
};

#define MOCK_S2_IOVA		0x1000000ULL
#define MOCK_S2_PAGE		0x1000ULL
#define MOCK_S2_MAX_VIOMMUS	8

struct mock_s2 {
	int fd;
	uint32_t ioas;
	uint32_t dev_id[2];	/* behind instance 0, instance 1 */
	uint32_t s2;
	uint32_t viommu[MOCK_S2_MAX_VIOMMUS];
	unsigned int nviommu;
	void *buf;
};

static int mock_s2_map_unmap(void *arg)
{
	struct mock_s2 *m = arg;
	int ret;

	ret = ioas_map_fixed(m->fd, m->ioas, m->buf, MOCK_S2_PAGE,
			     MOCK_S2_IOVA);
	return ret ? ret : ioas_unmap(m->fd, m->ioas, MOCK_S2_IOVA,
				      MOCK_S2_PAGE, NULL);
}

static int mock_s2_open(struct mock_s2 *m, struct fail *f)
{
	int ret, i;

	m->fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (m->fd < 0) {
		fail_set(f, -errno, "open /dev/iommu");
		if (f->err == -ENOENT)
			f->skip = "no /dev/iommu";
		return f->err;
	}
	m->buf = mmap(NULL, MOCK_S2_PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->buf == MAP_FAILED) {
		m->buf = NULL;
		fail_set(f, -errno, "mmap 4 KiB");
		return f->err;
	}
	ret = ioas_alloc(m->fd, &m->ioas);
	if (ret) {
		fail_set(f, ret, "IOMMU_IOAS_ALLOC");
		return ret;
	}
	for (i = 0; i < 2; i++) {
		ret = mock_dev_add(m->fd, m->ioas,
				   i ? MOCK_FLAGS_DEVICE_INSTANCE1 : 0,
				   &m->dev_id[i]);
		if (ret) {
			fail_set(f, ret, "IOMMU_TEST_OP_MOCK_DOMAIN%s",
				 i ? "_FLAGS (instance 1)" : "");
			if (ret == -ENOTTY)
				f->skip = "no mock IOMMU (CONFIG_IOMMUFD_TEST off)";
			return ret;
		}
	}
	ret = nest_parent_alloc(m->fd, m->dev_id[0], m->ioas, &m->s2);
	if (ret)
		fail_set(f, ret, "IOMMU_HWPT_ALLOC NEST_PARENT (mock)");
	return ret;
}

/* Up to @k vIOMMUs on the S2, the next one via instance 1, then 0, ... */
static int mock_s2_add_viommus(struct mock_s2 *m, unsigned int k,
			       struct fail *f)
{
	int ret;

	for (; m->nviommu < k; m->nviommu++) {
		ret = mock_viommu_alloc(m->fd,
					m->dev_id[(m->nviommu + 1) % 2], m->s2,
					&m->viommu[m->nviommu]);
		if (ret) {
			fail_set(f, ret, "IOMMU_VIOMMU_ALLOC (mock vIOMMU %u, instance %u)",
				 m->nviommu + 1, (m->nviommu + 1) % 2);
			return ret;
		}
	}
	return 0;
}

void run_mock_s2(const struct bench_cfg *cfg)
{
	struct mock_s2 m = { .fd = -1 };
	double *ns[MAX_SIZES] = { 0 }, ratio[cfg->reps];
	struct fail f = { 0 };
	unsigned long calls;
	char keys[32];
	int i, r, ret;

	if (!cfg->series) {
		f.skip = "this kernel's mock IOMMU has one instance";
		group_failed(mock_s2_figs, MOCK_S2_FIGURES, &f);
		return;
	}
	if (cfg->viommus[cfg->nviommus - 1] > MOCK_S2_MAX_VIOMMUS)
		fail_set(&f, -EINVAL, "more than %d vIOMMUs",
			 MOCK_S2_MAX_VIOMMUS);
	if (!f.err)
		mock_s2_open(&m, &f);
	for (i = 0; i < cfg->nviommus && !f.err; i++) {
		ns[i] = calloc(cfg->reps, sizeof(double));
		if (!ns[i]) {
			fail_set(&f, -ENOMEM, "samples");
			break;
		}
		if (mock_s2_add_viommus(&m, cfg->viommus[i], &f))
			break;
		ret = calibrate(mock_s2_map_unmap, &m, cfg->sample_ns, &calls);
		for (r = 0; !ret && r < cfg->reps; r++)
			ret = time_calls(mock_s2_map_unmap, &m, calls,
					 &ns[i][r]);
		if (ret)
			fail_set(&f, ret, "IOMMU_IOAS_MAP/UNMAP 4 KiB (mock)");
	}
	if (f.skip) {
		group_failed(mock_s2_figs, MOCK_S2_FIGURES, &f);
		goto out;
	}
	for (i = 0; i < cfg->nviommus && !f.err; i++) {
		snprintf(keys, sizeof(keys), "viommus=%u", cfg->viommus[i]);
		bench_line(mock_s2_figs[0], keys, "ns", ns[i], cfg->reps,
			   false);
	}
	fig_end(mock_s2_figs[0], &f);
	if (!f.err) {
		note("s2 (mock): ratio is viommus=%u over viommus=%u, paired per repetition",
		     cfg->viommus[cfg->nviommus - 1], cfg->viommus[0]);
		ratios(ns[cfg->nviommus - 1], ns[0], cfg->reps, ratio);
		bench_line(mock_s2_figs[1], "", "ratio", ratio, cfg->reps,
			   true);
	}
	fig_end(mock_s2_figs[1], &f);
out:
	for (i = 0; i < cfg->nviommus; i++)
		free(ns[i]);
	if (m.fd >= 0)
		close(m.fd);	/* destroys every object of the run */
	if (m.buf)
		munmap(m.buf, MOCK_S2_PAGE);
}
