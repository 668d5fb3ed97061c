// SPDX-License-Identifier: GPL-2.0
/*
 * viommu-bench, mock IOMMU: the cost of a guest invalidation command.
 *  - inv.viommu_ns_per_cmd: IOMMU_HWPT_INVALIDATE on a mock vIOMMU, every
 *    entry naming a vdev_id, so the vdev_id -> device lookup is included;
 *  - inv.nested_ns_per_cmd: the same on a nested HWPT allocated straight on
 *    the nesting parent, without a vIOMMU (the old path);
 *  - inv.ratio_viommu_nested: their ratio, paired per repetition;
 *  - inv.ioctl_floor_ns: a trivial iommufd ioctl (IOMMU_OPTION get);
 *  - inv.batch1_over_floor: a 1-entry vIOMMU invalidation over that floor.
 */
#include "common.h"

#define INV_VDEV_ID	0x10

static const char *const inv_figs[INV_FIGURES] = {
	"inv.viommu_ns_per_cmd", "inv.nested_ns_per_cmd",
	"inv.ratio_viommu_nested", "inv.ioctl_floor_ns",
	"inv.batch1_over_floor",
};

struct inv_call {
	int fd;
	uint32_t id;
	uint32_t type;
	const void *entries;
	uint32_t len;
	uint32_t num;
};

static int inv_op(void *arg)
{
	struct inv_call *c = arg;

	return hwpt_invalidate(c->fd, c->id, c->type, c->entries, c->len,
			       c->num);
}

struct floor_call {
	int fd;
	uint32_t ioas;
};

static int floor_op(void *arg)
{
	struct floor_call *c = arg;
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = c->ioas,
	};

	return ioctl(c->fd, IOMMU_OPTION, &o) ? -errno : 0;
}

/* The samples of the group: [batch][rep], ns per command */
struct inv_samples {
	double *viommu[MAX_SIZES];
	double *nested[MAX_SIZES];
	double *floor;
};

static void inv_measure(const struct bench_cfg *cfg, struct mock_env *e,
			struct inv_samples *s, struct fail *f)
{
	struct iommu_viommu_invalidate_selftest *vcmd;
	struct iommu_hwpt_invalidate_selftest *ncmd;
	struct inv_call vc[MAX_SIZES], nc[MAX_SIZES];
	unsigned long vcalls[MAX_SIZES], ncalls[MAX_SIZES], fcalls;
	struct floor_call fc = { .fd = e->fd, .ioas = e->ioas };
	uint32_t viommu, vdev, nested;
	unsigned int i, maxb = 0;
	int b, r, ret;

	for (b = 0; b < cfg->nbatches; b++)
		if (cfg->batches[b] > maxb)
			maxb = cfg->batches[b];
	vcmd = calloc(maxb, sizeof(*vcmd));
	ncmd = calloc(maxb, sizeof(*ncmd));
	if (!vcmd || !ncmd) {
		fail_set(f, -ENOMEM, "%u invalidation entries", maxb);
		goto out;
	}
	for (i = 0; i < maxb; i++) {
		vcmd[i].vdev_id = INV_VDEV_ID;
		vcmd[i].cache_id = i % (MOCK_DEV_CACHE_ID_MAX + 1);
		ncmd[i].iotlb_id = i % (MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1);
	}

	ret = mock_viommu_alloc(e->fd, e->dev_id[0], e->parent, &viommu);
	if (ret) {
		fail_set(f, ret, "IOMMU_VIOMMU_ALLOC (mock)");
		goto out;
	}
	ret = vdevice_alloc(e->fd, viommu, e->dev_id[0], INV_VDEV_ID, &vdev);
	if (ret) {
		fail_set(f, ret, "IOMMU_VDEVICE_ALLOC");
		goto out;
	}
	ret = mock_nested_alloc(e->fd, e->dev_id[0], e->parent, &nested);
	if (ret) {
		fail_set(f, ret, "IOMMU_HWPT_ALLOC nested on the parent (mock)");
		goto out;
	}

	for (b = 0; b < cfg->nbatches; b++) {
		vc[b] = (struct inv_call){
			.fd = e->fd, .id = viommu,
			.type = IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
			.entries = vcmd, .len = sizeof(*vcmd),
			.num = cfg->batches[b],
		};
		nc[b] = (struct inv_call){
			.fd = e->fd, .id = nested,
			.type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
			.entries = ncmd, .len = sizeof(*ncmd),
			.num = cfg->batches[b],
		};
		ret = calibrate(inv_op, &vc[b], cfg->sample_ns, &vcalls[b]);
		if (ret) {
			fail_set(f, ret, "IOMMU_HWPT_INVALIDATE vIOMMU, %u entries",
				 cfg->batches[b]);
			goto out;
		}
		ret = calibrate(inv_op, &nc[b], cfg->sample_ns, &ncalls[b]);
		if (ret) {
			fail_set(f, ret, "IOMMU_HWPT_INVALIDATE nested, %u entries",
				 cfg->batches[b]);
			goto out;
		}
	}
	ret = calibrate(floor_op, &fc, cfg->sample_ns, &fcalls);
	if (ret) {
		fail_set(f, ret, "IOMMU_OPTION get");
		goto out;
	}

	/* Interleaved, the order flipping every repetition */
	for (r = 0; r < cfg->reps; r++) {
		for (b = 0; b < cfg->nbatches; b++) {
			double *first = r & 1 ? &s->nested[b][r] :
						&s->viommu[b][r];
			double *second = r & 1 ? &s->viommu[b][r] :
						 &s->nested[b][r];
			struct inv_call *c1 = r & 1 ? &nc[b] : &vc[b];
			struct inv_call *c2 = r & 1 ? &vc[b] : &nc[b];
			unsigned long n1 = r & 1 ? ncalls[b] : vcalls[b];
			unsigned long n2 = r & 1 ? vcalls[b] : ncalls[b];

			ret = time_calls(inv_op, c1, n1, first);
			if (!ret)
				ret = time_calls(inv_op, c2, n2, second);
			if (ret) {
				fail_set(f, ret, "IOMMU_HWPT_INVALIDATE, %u entries",
					 cfg->batches[b]);
				goto out;
			}
			s->viommu[b][r] /= cfg->batches[b];
			s->nested[b][r] /= cfg->batches[b];
		}
		ret = time_calls(floor_op, &fc, fcalls, &s->floor[r]);
		if (ret) {
			fail_set(f, ret, "IOMMU_OPTION get");
			goto out;
		}
	}
out:
	free(vcmd);
	free(ncmd);
}

void run_inv(const struct bench_cfg *cfg)
{
	struct inv_samples s = { 0 };
	struct fail f = { 0 };
	struct mock_env e;
	double ratio[cfg->reps];
	char keys[32];
	int b;

	for (b = 0; b < cfg->nbatches; b++) {
		s.viommu[b] = calloc(cfg->reps, sizeof(double));
		s.nested[b] = calloc(cfg->reps, sizeof(double));
		if (!s.viommu[b] || !s.nested[b])
			fail_set(&f, -ENOMEM, "samples");
	}
	s.floor = calloc(cfg->reps, sizeof(double));
	if (!s.floor)
		fail_set(&f, -ENOMEM, "samples");
	if (!f.err && !mock_env_open(&e, 1, &f)) {
		inv_measure(cfg, &e, &s, &f);
		mock_env_close(&e);
	}
	if (f.err) {
		group_failed(inv_figs, INV_FIGURES, &f);
		goto out;
	}

	for (b = 0; b < cfg->nbatches; b++) {
		snprintf(keys, sizeof(keys), "batch=%u", cfg->batches[b]);
		bench_line(inv_figs[0], keys, "ns", s.viommu[b], cfg->reps,
			   false);
	}
	fig_end(inv_figs[0], &f);
	for (b = 0; b < cfg->nbatches; b++) {
		snprintf(keys, sizeof(keys), "batch=%u", cfg->batches[b]);
		bench_line(inv_figs[1], keys, "ns", s.nested[b], cfg->reps,
			   false);
	}
	fig_end(inv_figs[1], &f);
	for (b = 0; b < cfg->nbatches; b++) {
		snprintf(keys, sizeof(keys), "batch=%u", cfg->batches[b]);
		ratios(s.viommu[b], s.nested[b], cfg->reps, ratio);
		bench_line(inv_figs[2], keys, "ratio", ratio, cfg->reps, true);
	}
	fig_end(inv_figs[2], &f);
	bench_line(inv_figs[3], "", "ns", s.floor, cfg->reps, false);
	fig_end(inv_figs[3], &f);
	/* batches[0] is 1: ns per command is ns per ioctl */
	ratios(s.viommu[0], s.floor, cfg->reps, ratio);
	bench_line(inv_figs[4], "", "ratio", ratio, cfg->reps, true);
	fig_end(inv_figs[4], &f);
out:
	for (b = 0; b < cfg->nbatches; b++) {
		free(s.viommu[b]);
		free(s.nested[b]);
	}
	free(s.floor);
}
