// SPDX-License-Identifier: GPL-2.0
/*
 * viommu-bench, mock IOMMU: how the dev-id table of a vIOMMU scales with its
 * number of entries N (one mock device each, all on one IOAS).
 *  - devid.vdevice_alloc_ns_per_op: adding all N entries with
 *    IOMMU_VDEVICE_ALLOC to a fresh vIOMMU, per entry (small N: several
 *    fill/empty passes per repetition, only the fills timed);
 *  - devid.set_dev_id_ns_per_op: the same with IOMMU_VIOMMU_SET_DEV_ID (this
 *    series only);
 *  - devid.lookup_ns_per_cmd: vIOMMU invalidations whose entries name the N
 *    vdev_ids in a pseudo-random order, per entry;
 *  - and each at the largest N over the smallest, paired per repetition.
 * Every size runs on its own iommufd, closed (everything destroyed) after it.
 */
#include "common.h"

/* Entries per lookup invalidation */
#define LOOKUP_BATCH	64

static const char *const devid_figs[DEVID_FIGURES] = {
	"devid.vdevice_alloc_ns_per_op", "devid.set_dev_id_ns_per_op",
	"devid.lookup_ns_per_cmd", "devid.vdevice_alloc_ratio_10k_10",
	"devid.set_dev_id_ratio_10k_10", "devid.lookup_ratio_10k_10",
};

struct lookup_call {
	int fd;
	uint32_t viommu;
	const struct iommu_viommu_invalidate_selftest *cmds;
	unsigned int n;		/* entries in the table */
	unsigned int pos;	/* next entry of the cyclic order */
};

static int lookup_op(void *arg)
{
	struct lookup_call *c = arg;
	int ret;

	ret = hwpt_invalidate(c->fd, c->viommu,
			      IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
			      &c->cmds[c->pos], sizeof(*c->cmds), LOOKUP_BATCH);
	c->pos = (c->pos + LOOKUP_BATCH) % c->n;
	return ret;
}

/*
 * n + LOOKUP_BATCH entries: a fixed pseudo-random permutation of the n
 * vdev_ids, repeated, so that any window of LOOKUP_BATCH starting below n
 * continues the cycle.
 */
static struct iommu_viommu_invalidate_selftest *lookup_cmds(unsigned int n)
{
	struct iommu_viommu_invalidate_selftest *cmds;
	unsigned int *perm, i, j, t;
	uint32_t x = 0x9e3779b9;

	perm = malloc(n * sizeof(*perm));
	cmds = calloc(n + LOOKUP_BATCH, sizeof(*cmds));
	if (!perm || !cmds) {
		free(perm);
		free(cmds);
		return NULL;
	}
	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = n - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		j = x % (i + 1);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (i = 0; i < n + LOOKUP_BATCH; i++) {
		cmds[i].vdev_id = ENTRY_VDEV_ID(perm[i % n]);
		cmds[i].cache_id = i % (MOCK_DEV_CACHE_ID_MAX + 1);
	}
	free(perm);
	return cmds;
}

struct devid_samples {
	double *vdevice[MAX_SIZES];
	double *set_dev_id[MAX_SIZES];
	double *lookup[MAX_SIZES];
};

/*
 * One repetition at size e->ndev on a fresh vIOMMU: fill its table (timed)
 * and empty it again until the fills add up to @sample_ns; then, with the
 * table full, time the lookup if @lc is given.
 */
static void devid_rep(struct mock_env *e, uint64_t sample_ns,
		      bool by_set_dev_id, uint32_t *vdev, double *add_ns,
		      struct lookup_call *lc, unsigned long *lcalls,
		      double *lookup_ns, struct fail *f)
{
	unsigned int made = 0, passes = 0;
	uint64_t spent = 0, t0;
	uint32_t viommu;
	int ret;

	ret = mock_viommu_alloc(e->fd, e->dev_id[0], e->parent, &viommu);
	if (ret) {
		fail_set(f, ret, "IOMMU_VIOMMU_ALLOC (mock)");
		return;
	}
	for (;;) {
		t0 = now_ns();
		ret = entries_add(e, viommu, by_set_dev_id, vdev, &made, f);
		spent += now_ns() - t0;
		passes++;
		if (ret || spent >= sample_ns)
			break;
		entries_remove(e, viommu, by_set_dev_id, vdev, made, f);
		made = 0;
		if (f->err)
			break;
	}
	if (!f->err)
		*add_ns = (double)spent / ((double)passes * e->ndev);
	if (!f->err && lc) {
		lc->viommu = viommu;
		ret = *lcalls ? 0 : calibrate(lookup_op, lc, sample_ns, lcalls);
		if (!ret)
			ret = time_calls(lookup_op, lc, *lcalls, lookup_ns);
		if (ret)
			fail_set(f, ret, "IOMMU_HWPT_INVALIDATE vIOMMU, %u entries of %u",
				 LOOKUP_BATCH, e->ndev);
		else
			*lookup_ns /= LOOKUP_BATCH;
	}
	entries_remove(e, viommu, by_set_dev_id, vdev, made, f);
	ret = obj_destroy(e->fd, viommu);
	if (ret)
		fail_set(f, ret, "IOMMU_DESTROY vIOMMU");
}

/* All figures of one size; @fv: vDEVICE and lookup, @fs: SET_DEV_ID */
static void devid_size(const struct bench_cfg *cfg, int sz,
		       struct devid_samples *s, struct fail *fv,
		       struct fail *fs)
{
	unsigned int n = cfg->entries[sz];
	struct lookup_call lc = { .n = n };
	unsigned long lcalls = 0;
	struct mock_env e;
	uint32_t *vdev;
	uint64_t t0;
	int r;

	vdev = calloc(n, sizeof(*vdev));
	lc.cmds = lookup_cmds(n);
	if (!vdev || !lc.cmds) {
		fail_set(fv, -ENOMEM, "%u entries", n);
		fail_set(fs, -ENOMEM, "%u entries", n);
		goto out;
	}
	t0 = now_ns();
	if (mock_env_open(&e, n, fv)) {
		*fs = *fv;
		goto out;
	}
	lc.fd = e.fd;
	note("devid: %u mock devices made in %.1f s", n,
	     (now_ns() - t0) / 1e9);
	for (r = 0; r < cfg->reps && !fv->err; r++)
		devid_rep(&e, cfg->sample_ns, false, vdev, &s->vdevice[sz][r],
			  &lc, &lcalls, &s->lookup[sz][r], fv);
	for (r = 0; cfg->series && r < cfg->reps && !fs->err; r++)
		devid_rep(&e, cfg->sample_ns, true, vdev,
			  &s->set_dev_id[sz][r], NULL, NULL, NULL, fs);
	t0 = now_ns();
	mock_env_close(&e);
	note("devid: %u entries measured, iommufd closed in %.1f s", n,
	     (now_ns() - t0) / 1e9);
out:
	free(vdev);
	free((void *)lc.cmds);
}

void run_devid(const struct bench_cfg *cfg)
{
	struct devid_samples s = { 0 };
	struct fail fv = { 0 }, fs = { 0 };
	int last = cfg->nentries - 1, sz, i;
	double ratio[cfg->reps];
	double **fig_v[3] = { s.vdevice, s.set_dev_id, s.lookup };
	const struct fail *fig_f[3] = { &fv, &fs, &fv };

	for (sz = 0; sz < cfg->nentries; sz++) {
		s.vdevice[sz] = calloc(cfg->reps, sizeof(double));
		s.set_dev_id[sz] = calloc(cfg->reps, sizeof(double));
		s.lookup[sz] = calloc(cfg->reps, sizeof(double));
		if (!s.vdevice[sz] || !s.set_dev_id[sz] || !s.lookup[sz])
			fail_set(&fv, -ENOMEM, "samples");
	}
	for (sz = 0; sz < cfg->nentries; sz++)
		if (!fv.err || (cfg->series && !fs.err))
			devid_size(cfg, sz, &s, &fv, &fs);
	if (fv.skip) {
		group_failed(devid_figs, DEVID_FIGURES, &fv);
		goto out;
	}
	note("devid: ratios are entries=%u over entries=%u, paired per repetition",
	     cfg->entries[last], cfg->entries[0]);
	for (i = 0; i < DEVID_FIGURES; i++) {
		const struct fail *f = fig_f[i % 3];
		double **v = fig_v[i % 3];
		char keys[32];

		if (i % 3 == 1 && !cfg->series) {
			fig_skip(devid_figs[i],
				 "no IOMMU_VIOMMU_SET_DEV_ID in this kernel");
			continue;
		}
		if (!f->err && i < 3) {
			for (sz = 0; sz < cfg->nentries; sz++) {
				snprintf(keys, sizeof(keys), "entries=%u",
					 cfg->entries[sz]);
				bench_line(devid_figs[i], keys, "ns", v[sz],
					   cfg->reps, false);
			}
		} else if (!f->err) {
			ratios(v[last], v[0], cfg->reps, ratio);
			bench_line(devid_figs[i], "", "ratio", ratio,
				   cfg->reps, true);
		}
		fig_end(devid_figs[i], f);
	}
out:
	for (sz = 0; sz < cfg->nentries; sz++) {
		free(s.vdevice[sz]);
		free(s.set_dev_id[sz]);
		free(s.lookup[sz]);
	}
}
