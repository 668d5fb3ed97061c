// SPDX-License-Identifier: GPL-2.0
/*
 * viommu-bench, mock IOMMU: how the dev-id table of a vIOMMU scales with its
 * number of entries N (one mock device each, all on one IOAS).
 *  - devid.vdevice_alloc_ns_per_op: adding all N entries with
 *    IOMMU_VDEVICE_ALLOC to a fresh vIOMMU, per entry (small N: several
 *    fill/empty passes per repetition, only the fills timed);
 *  - devid.set_dev_id_ns_per_op: the same with IOMMU_VIOMMU_SET_DEV_ID (this
 *    series only);
 *  - devid.lookup_ns_per_cmd: the dev-id table's own scaling: vIOMMU
 *    invalidations whose entries name LOOKUP_HOT vdev_ids spread evenly over
 *    the N entries (so every size walks the table's full depth, and every
 *    size touches the same number of devices and the same user memory), per
 *    entry;
 *  - devid.lookup_spread_ns_per_cmd: invalidations naming all N vdev_ids in a
 *    pseudo-random order, per entry: the table plus the cache footprint of
 *    N devices' state (no target; see docs/bench-analysis.md);
 *  - and each at the largest N over the smallest, paired per repetition.
 * Every size runs on its own iommufd, closed (everything destroyed) after it.
 */
#include "common.h"

/* Entries per lookup invalidation */
#define LOOKUP_BATCH	64
/* Distinct vdev_ids the devid.lookup_ns_per_cmd commands name, at any size */
#define LOOKUP_HOT	8

static const char *const devid_figs[DEVID_FIGURES] = {
	"devid.vdevice_alloc_ns_per_op", "devid.set_dev_id_ns_per_op",
	"devid.lookup_ns_per_cmd", "devid.lookup_spread_ns_per_cmd",
	"devid.vdevice_alloc_ratio_10k_10", "devid.set_dev_id_ratio_10k_10",
	"devid.lookup_ratio_10k_10", "devid.lookup_spread_ratio_10k_10",
};
/* The samples of each figure, in devid_figs' order (ratios: + DEVID_KINDS) */
enum { F_VDEVICE, F_SET_DEV_ID, F_LOOKUP, F_SPREAD, DEVID_KINDS };

struct lookup_call {
	int fd;
	uint32_t viommu;
	const struct iommu_viommu_invalidate_selftest *cmds;
	unsigned int n;		/* entries in the table */
	unsigned int pos;	/* next entry of the cyclic order */
	bool cycle;		/* advance pos (F_SPREAD), else stay at 0 */
};

static int lookup_op(void *arg)
{
	struct lookup_call *c = arg;
	int ret;

	ret = hwpt_invalidate(c->fd, c->viommu,
			      IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
			      &c->cmds[c->pos], sizeof(*c->cmds), LOOKUP_BATCH);
	if (c->cycle)
		c->pos = (c->pos + LOOKUP_BATCH) % c->n;
	return ret;
}

/*
 * n + LOOKUP_BATCH entries, so that any window of LOOKUP_BATCH starting below
 * n continues the cycle. @spread: a fixed pseudo-random permutation of the n
 * vdev_ids, repeated; otherwise the LOOKUP_HOT entries k * n / LOOKUP_HOT in
 * turn (at n = 10: the first nine but one; at 10k: one per 1250), of which
 * only the first window is used: every call then copies the same user memory
 * at every size, and only the table differs.
 */
static struct iommu_viommu_invalidate_selftest *lookup_cmds(unsigned int n,
							     bool spread)
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
		j = (i % LOOKUP_HOT) * n / LOOKUP_HOT;
		cmds[i].vdev_id = ENTRY_VDEV_ID(spread ? perm[i % n] : j);
		cmds[i].cache_id = i % (MOCK_DEV_CACHE_ID_MAX + 1);
	}
	free(perm);
	return cmds;
}

/* [kind][size][repetition] */
struct devid_samples {
	double *v[DEVID_KINDS][MAX_SIZES];
};

/*
 * One repetition at size e->ndev on a fresh vIOMMU: fill its table (timed)
 * and empty it again until the fills add up to @sample_ns; then, with the
 * table full, time both lookups if @lc (two calls) is given.
 */
static void devid_rep(struct mock_env *e, uint64_t sample_ns,
		      bool by_set_dev_id, uint32_t *vdev, double *add_ns,
		      struct lookup_call *lc, unsigned long *lcalls,
		      double **lookup_ns, struct fail *f)
{
	unsigned int made = 0, passes = 0;
	uint64_t spent = 0, t0;
	uint32_t viommu;
	int ret, k;

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
	for (k = 0; !f->err && lc && k < 2; k++) {
		lc[k].viommu = viommu;
		ret = lcalls[k] ? 0 :
			calibrate(lookup_op, &lc[k], sample_ns, &lcalls[k]);
		if (!ret)
			ret = time_calls(lookup_op, &lc[k], lcalls[k],
					 lookup_ns[k]);
		if (ret)
			fail_set(f, ret, "IOMMU_HWPT_INVALIDATE vIOMMU, %u entries of %u",
				 LOOKUP_BATCH, e->ndev);
		else
			*lookup_ns[k] /= LOOKUP_BATCH;
	}
	entries_remove(e, viommu, by_set_dev_id, vdev, made, f);
	ret = obj_destroy(e->fd, viommu);
	if (ret)
		fail_set(f, ret, "IOMMU_DESTROY vIOMMU");
}

/* What one table size needs: its iommufd, devices and lookup commands */
struct devid_env {
	struct mock_env e;
	struct lookup_call lc[2];	/* F_LOOKUP, F_SPREAD */
	unsigned long lcalls[2];
	uint32_t *vdev;
};

static int devid_env_open(struct devid_env *d, unsigned int n,
			  struct fail *f)
{
	uint64_t t0 = now_ns();
	int k;

	memset(d, 0, sizeof(*d));
	d->e.fd = -1;
	d->vdev = calloc(n, sizeof(*d->vdev));
	for (k = 0; k < 2; k++) {
		d->lc[k].n = n;
		d->lc[k].cmds = lookup_cmds(n, k == 1);
		d->lc[k].cycle = k == 1;
	}
	if (!d->vdev || !d->lc[0].cmds || !d->lc[1].cmds) {
		fail_set(f, -ENOMEM, "%u entries", n);
		return f->err;
	}
	if (mock_env_open(&d->e, n, f))
		return f->err;
	d->lc[0].fd = d->lc[1].fd = d->e.fd;
	note("devid: %u mock devices made in %.1f s", n,
	     (now_ns() - t0) / 1e9);
	return 0;
}

static void devid_env_close(struct devid_env *d)
{
	if (d->e.fd >= 0)
		mock_env_close(&d->e);
	free(d->vdev);
	free((void *)d->lc[0].cmds);
	free((void *)d->lc[1].cmds);
}

/*
 * Every size set up first, then each repetition measures every size in turn:
 * whatever drifts during the run (deferred frees of earlier groups, the
 * host) weighs on all sizes alike, and the ratios pair samples taken
 * back to back. @fv: vDEVICE and lookup, @fs: SET_DEV_ID.
 */
static void devid_measure(const struct bench_cfg *cfg, struct devid_env *d,
			  struct devid_samples *s, struct fail *fv,
			  struct fail *fs)
{
	double *lookup_ns[2];
	int r, sz;

	for (r = 0; r < cfg->reps && !fv->err; r++)
		for (sz = 0; sz < cfg->nentries && !fv->err; sz++) {
			lookup_ns[0] = &s->v[F_LOOKUP][sz][r];
			lookup_ns[1] = &s->v[F_SPREAD][sz][r];
			devid_rep(&d[sz].e, cfg->sample_ns, false, d[sz].vdev,
				  &s->v[F_VDEVICE][sz][r], d[sz].lc,
				  d[sz].lcalls, lookup_ns, fv);
		}
	for (r = 0; cfg->series && r < cfg->reps && !fs->err; r++)
		for (sz = 0; sz < cfg->nentries && !fs->err; sz++)
			devid_rep(&d[sz].e, cfg->sample_ns, true, d[sz].vdev,
				  &s->v[F_SET_DEV_ID][sz][r], NULL, NULL, NULL,
				  fs);
}

void run_devid(const struct bench_cfg *cfg)
{
	struct devid_samples s = { 0 };
	struct fail fv = { 0 }, fs = { 0 };
	int last = cfg->nentries - 1, sz, i, k;
	struct devid_env d[MAX_SIZES];
	double ratio[cfg->reps];
	uint64_t t0;

	for (k = 0; k < DEVID_KINDS; k++)
		for (sz = 0; sz < cfg->nentries; sz++) {
			s.v[k][sz] = calloc(cfg->reps, sizeof(double));
			if (!s.v[k][sz])
				fail_set(&fv, -ENOMEM, "samples");
		}
	for (sz = 0; sz < cfg->nentries && !fv.err; sz++)
		devid_env_open(&d[sz], cfg->entries[sz], &fv);
	if (fv.err)
		fs = fv;
	else
		devid_measure(cfg, d, &s, &fv, &fs);
	t0 = now_ns();
	for (i = 0; i < sz; i++)
		devid_env_close(&d[i]);
	note("devid: every size measured, iommufds closed in %.1f s",
	     (now_ns() - t0) / 1e9);
	if (fv.skip) {
		group_failed(devid_figs, DEVID_FIGURES, &fv);
		goto out;
	}
	note("devid: ratios are entries=%u over entries=%u, paired per repetition",
	     cfg->entries[last], cfg->entries[0]);
	for (i = 0; i < DEVID_FIGURES; i++) {
		const struct fail *f;
		double **v;
		char keys[32];

		k = i % DEVID_KINDS;
		f = k == F_SET_DEV_ID ? &fs : &fv;
		v = s.v[k];
		if (k == F_SET_DEV_ID && !cfg->series) {
			fig_skip(devid_figs[i],
				 "no IOMMU_VIOMMU_SET_DEV_ID in this kernel");
			continue;
		}
		if (!f->err && i < DEVID_KINDS) {
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
	for (k = 0; k < DEVID_KINDS; k++)
		for (sz = 0; sz < cfg->nentries; sz++)
			free(s.v[k][sz]);
}
