// SPDX-License-Identifier: GPL-2.0
/*
 * viommu-bench, emulated SMMUv3s: one stage-2 shared by devices behind both
 * SMMUs (this series) against one stage-2 per SMMU (what Linux 7.3 allows,
 * and what QEMU did before). The test VM has only two devices, one edu behind
 * each SMMU, so the "users" of the shared S2 are (SMMU, VMID) pairs:
 *  - layout shared: one NEST_PARENT S2 allocated via dev0 on its own IOAS;
 *    attach=1: dev0 attached to it directly (dev1 stays on the per_smmu
 *    layout's S2 #2, in another IOAS);
 *    attach=2: dev0 and dev1 (behind the other SMMU) attached to it directly;
 *    attach=4: those two, plus one ARM_SMMUV3 vIOMMU on it via dev0 and one
 *    via dev1: 4 (SMMU, VMID) users over the 2 SMMUs;
 *  - layout per_smmu: S2 #1 allocated via dev0 on IOAS A, S2 #2 via dev1 on
 *    IOAS B, dev0 on #1 and dev1 on #2, both IOASes mapping the same guest
 *    RAM: a VMM does every map and unmap once per IOAS.
 * Figures:
 *  - s2share.map_unmap_ns attach=N: IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP of
 *    64 KiB (16 pages of 4 KiB) on the shared S2's IOAS, per pair;
 *  - s2share.per_smmu_map_unmap_ns: the same 64 KiB mapped in IOAS A and B,
 *    then unmapped from both: the per_smmu layout's price of one guest map;
 *  - s2share.ratio_shared_per_smmu: attach=2 over per_smmu, and
 *    s2share.ratio_4_1: attach=4 over attach=1, paired per repetition (every
 *    repetition sets up each layout in turn and times it);
 *  - s2share.pt_bytes layout=shared|per_smmu: the IOMMU page-table memory
 *    for mapping 64 MiB (8 MiB with --tiny) of 4 KiB pages (MADV_NOHUGEPAGE,
 *    the pages faulted in out of order so that no 2 MiB run is physically
 *    contiguous), shared with attach=2: the growth of nr_iommu_pages in
 *    /proc/vmstat (x page size) across the map(s), checked against
 *    SecPageTables in /proc/meminfo (counters folded through
 *    /proc/sys/vm/stat_refresh). Each repetition maps at a fresh 1 GiB-aligned
 *    IOVA, so no table of an earlier repetition is reused: the figure is one
 *    level-2 table plus a leaf table per 2 MiB, per S2;
 *  - s2share.pt_ratio_per_smmu_shared: per_smmu over shared, per repetition.
 * A kernel that refuses dev1 on an S2 of dev0's SMMU (Linux 7.3: EINVAL)
 * runs attach=1 and the per_smmu figures; the rest is not run, and says why.
 */
#include "common.h"

static const char *const ss_figs[S2SHARE_FIGURES] = {
	"s2share.map_unmap_ns", "s2share.per_smmu_map_unmap_ns",
	"s2share.ratio_shared_per_smmu", "s2share.ratio_4_1",
	"s2share.pt_bytes", "s2share.pt_ratio_per_smmu_shared",
};

#define SS_IOVA			0x1000000ULL
#define SS_LEN			0x10000ULL	/* 64 KiB: 16 pages */
#define SS_PT_MIB		64
#define SS_PT_MIB_TINY		8
/* A fresh 1 GiB window per repetition, below the first 512 GiB table */
#define SS_PT_IOVA(r)		((1ULL + (r) % 240) << 30)
#define SS_LEAF_SPAN		(2ULL << 20)	/* one leaf table's 4 KiB pages */
#define STAT_REFRESH		"/proc/sys/vm/stat_refresh"

enum ss_layout { SS_PER_SMMU, SS_ATTACH1, SS_ATTACH2, SS_ATTACH4, SS_NR };

static const char *const ss_name[SS_NR] = {
	"per_smmu", "attach=1", "attach=2", "attach=4",
};

struct ss_dev {
	EDU_SYSFS_MEMBERS;
	int fd;
	uint32_t dev_id;
	uint32_t pt;		/* what it is attached to, 0: nothing */
};

struct ss_env {
	int fd;
	struct ss_dev dev[2];
	uint32_t ioas_s, s2;		/* shared: allocated via dev0 */
	uint32_t ioas[2], s2_own[2];	/* per_smmu: #1 via dev0, #2 via dev1 */
	uint32_t viommu[2];		/* attach=4: via dev0, via dev1 */
	void *buf;			/* SS_LEN */
	void *pt_buf;
	size_t pt_len;
};

static int shared_op(void *arg)
{
	struct ss_env *s = arg;
	int ret = ioas_map_fixed(s->fd, s->ioas_s, s->buf, SS_LEN, SS_IOVA);

	return ret ? ret : ioas_unmap(s->fd, s->ioas_s, SS_IOVA, SS_LEN, NULL);
}

/* The VMM of the per_smmu layout: each guest map, then unmap, per IOAS */
static int per_smmu_op(void *arg)
{
	struct ss_env *s = arg;
	int ret, d;

	for (d = 0; d < 2; d++) {
		ret = ioas_map_fixed(s->fd, s->ioas[d], s->buf, SS_LEN,
				     SS_IOVA);
		if (ret)
			return ret;
	}
	for (d = 0; d < 2; d++) {
		ret = ioas_unmap(s->fd, s->ioas[d], SS_IOVA, SS_LEN, NULL);
		if (ret)
			return ret;
	}
	return 0;
}

static op_fn ss_op(enum ss_layout l)
{
	return l == SS_PER_SMMU ? per_smmu_op : shared_op;
}

/* Two edu devices behind different SMMUs, bound to vfio-pci; else why not */
static const char *ss_find(struct ss_env *s)
{
	struct ss_dev found[EDU_MAX];
	int n, i;

	n = edu_sysfs_find_into(found, sizeof(found[0]), EDU_MAX);
	for (i = 1; i < n; i++)
		if (strcmp(found[i].smmu, found[0].smmu))
			break;
	if (n < 2 || i == n)
		return "need two edu PCI devices behind two SMMUs";
	s->dev[0] = found[0];
	s->dev[1] = found[i];
	s->dev[0].fd = s->dev[1].fd = -1;
	if (!s->dev[0].cdev[0] || !s->dev[1].cdev[0])
		return "edu devices not bound to vfio-pci (no VFIO cdev)";
	return NULL;
}

static int ss_bind(struct ss_env *s, int d, struct fail *f)
{
	struct ss_dev *dev = &s->dev[d];
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind), .iommufd = s->fd,
	};

	dev->fd = open(dev->cdev, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0) {
		fail_set(f, -errno, "open %s", dev->cdev);
		return f->err;
	}
	if (ioctl(dev->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		fail_set(f, -errno, "VFIO_DEVICE_BIND_IOMMUFD %s", dev->cdev);
		return f->err;
	}
	dev->dev_id = bind.out_devid;
	note("s2share: dev%d: edu %s behind %s, dev_id %u", d, dev->bdf,
	     dev->smmu, dev->dev_id);
	return 0;
}

/* An IOAS and a NEST_PARENT S2 on it, allocated via dev @d */
static int ss_s2_alloc(struct ss_env *s, int d, uint32_t *ioas, uint32_t *s2,
		       const char *what, struct fail *f)
{
	int ret = ioas_alloc(s->fd, ioas);

	if (ret) {
		fail_set(f, ret, "IOMMU_IOAS_ALLOC for the %s", what);
		return ret;
	}
	ret = nest_parent_alloc(s->fd, s->dev[d].dev_id, *ioas, s2);
	if (ret)
		fail_set(f, ret, "IOMMU_HWPT_ALLOC NEST_PARENT via dev%d (%s)",
			 d, what);
	return ret;
}

/* 4 KiB pages, faulted in even pages first: no physically contiguous run */
static void *ss_buf(size_t len, struct fail *f)
{
	size_t pg = sysconf(_SC_PAGESIZE), off;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fail_set(f, -errno, "mmap %zu KiB", len >> 10);
		return NULL;
	}
	if (madvise(p, len, MADV_NOHUGEPAGE)) {
		fail_set(f, -errno, "madvise MADV_NOHUGEPAGE");
		munmap(p, len);
		return NULL;
	}
	for (off = 0; off < len; off += 2 * pg)
		p[off] = 1;
	for (off = pg; off < len; off += 2 * pg)
		p[off] = 1;
	return p;
}

static int ss_open(const struct bench_cfg *cfg, struct ss_env *s,
		   struct fail *f)
{
	s->fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (s->fd < 0) {
		fail_set(f, -errno, "open /dev/iommu");
		if (f->err == -ENOENT)
			f->skip = "no /dev/iommu";
		return f->err;
	}
	if (ss_bind(s, 0, f) || ss_bind(s, 1, f))
		return f->err;
	if (ss_s2_alloc(s, 0, &s->ioas_s, &s->s2, "shared S2", f) ||
	    ss_s2_alloc(s, 0, &s->ioas[0], &s->s2_own[0], "per_smmu S2 #1", f) ||
	    ss_s2_alloc(s, 1, &s->ioas[1], &s->s2_own[1], "per_smmu S2 #2", f))
		return f->err;
	s->pt_len = (size_t)(cfg->tiny ? SS_PT_MIB_TINY : SS_PT_MIB) << 20;
	s->buf = ss_buf(SS_LEN, f);
	if (s->buf)
		s->pt_buf = ss_buf(s->pt_len, f);
	return f->err;
}

static void ss_close(struct ss_env *s)
{
	int d;

	for (d = 0; d < 2; d++)
		if (s->dev[d].fd >= 0)
			close(s->dev[d].fd);
	if (s->fd >= 0)
		close(s->fd);	/* destroys every object of the run */
	if (s->buf)
		munmap(s->buf, SS_LEN);
	if (s->pt_buf)
		munmap(s->pt_buf, s->pt_len);
}

static const char *ss_pt_name(const struct ss_env *s, uint32_t pt)
{
	if (pt == s->s2)
		return "the shared S2";
	return pt == s->s2_own[0] ? "S2 #1" : "S2 #2";
}

/* Attach (or replace) dev @d to @pt, unless it is there already */
static int ss_attach(struct ss_env *s, int d, uint32_t pt, struct fail *f)
{
	int ret;

	if (s->dev[d].pt == pt)
		return 0;
	ret = vfio_attach(s->dev[d].fd, pt);
	if (ret) {
		fail_set(f, ret, "VFIO_DEVICE_ATTACH_IOMMUFD_PT dev%d (%s) -> %s allocated via dev%d (%s)",
			 d, s->dev[d].smmu, ss_pt_name(s, pt),
			 pt == s->s2_own[1] ? 1 : 0,
			 s->dev[pt == s->s2_own[1] ? 1 : 0].smmu);
		return ret;
	}
	s->dev[d].pt = pt;
	return 0;
}

/* Set up layout @l from whatever the previous one left */
static int ss_layout(struct ss_env *s, enum ss_layout l, struct fail *f)
{
	int d, ret;

	for (d = 0; d < 2 && l != SS_ATTACH4; d++) {
		if (s->viommu[d])
			obj_destroy(s->fd, s->viommu[d]);
		s->viommu[d] = 0;
	}
	if (l == SS_PER_SMMU) {
		for (d = 0; d < 2; d++)
			if (ss_attach(s, d, s->s2_own[d], f))
				return f->err;
		return 0;
	}
	if (ss_attach(s, 0, s->s2, f))
		return f->err;
	if (ss_attach(s, 1, l == SS_ATTACH1 ? s->s2_own[1] : s->s2, f))
		return f->err;
	for (d = 0; d < 2 && l == SS_ATTACH4; d++) {
		if (s->viommu[d])
			continue;
		ret = viommu_alloc(s->fd, s->dev[d].dev_id, s->s2,
				   &s->viommu[d]);
		if (ret) {
			fail_set(f, ret, "IOMMU_VIOMMU_ALLOC ARM_SMMUV3 via dev%d (%s) on the shared S2",
				 d, s->dev[d].smmu);
			return ret;
		}
	}
	return 0;
}

/* nr_iommu_pages (pages) and SecPageTables (kB), the counters folded first */
static int pt_counters(long *pages, long *sec_kb)
{
	char line[128];
	int fd, found = 0;
	FILE *f;

	fd = open(STAT_REFRESH, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			note("s2share: write %s: %s", STAT_REFRESH,
			     strerror(errno));
		close(fd);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "nr_iommu_pages %ld", pages) == 1)
			found |= 1;
	fclose(f);
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SecPageTables: %ld kB", sec_kb) == 1)
			found |= 2;
	fclose(f);
	return found == 3 ? 0 : -ENOENT;
}

/*
 * The page-table bytes mapping pt_buf at repetition @r's window costs in the
 * @n IOASes @ioas, into @bytes; then unmapped again.
 */
static void ss_pt(struct ss_env *s, const uint32_t *ioas, int n, int r,
		  const char *layout, double *bytes, struct fail *f)
{
	long pg = sysconf(_SC_PAGESIZE), p0, p1, k0, k1, pages, leaves, tol;
	uint64_t iova = SS_PT_IOVA(r);
	int i, mapped = 0, ret;

	ret = pt_counters(&p0, &k0);
	if (ret) {
		fail_set(f, ret, "nr_iommu_pages in /proc/vmstat, SecPageTables in /proc/meminfo");
		return;
	}
	for (i = 0; i < n && !ret; i++, mapped++)
		ret = ioas_map_fixed(s->fd, ioas[i], s->pt_buf, s->pt_len,
				     iova);
	if (ret) {
		mapped--;
		fail_set(f, ret, "IOMMU_IOAS_MAP %zu MiB at 0x%llx, layout %s",
			 s->pt_len >> 20, (unsigned long long)iova, layout);
	} else {
		ret = pt_counters(&p1, &k1);
		if (ret)
			fail_set(f, ret, "nr_iommu_pages, SecPageTables");
	}
	for (i = 0; i < mapped; i++) {
		int uret = ioas_unmap(s->fd, ioas[i], iova, s->pt_len, NULL);

		if (uret)
			fail_set(f, uret, "IOMMU_IOAS_UNMAP %zu MiB, layout %s",
				 s->pt_len >> 20, layout);
	}
	if (ret)
		return;
	pages = p1 - p0;
	leaves = n * (long)(s->pt_len / SS_LEAF_SPAN);
	tol = pages / 100 + 1;
	if (r == 0)
		note("s2share: pt layout=%s: %zu MiB in %d IOAS(es) at 0x%llx: nr_iommu_pages +%ld (%ld leaf tables for 4 KiB pages), SecPageTables +%ld kB",
		     layout, s->pt_len >> 20, n, (unsigned long long)iova,
		     pages, leaves, k1 - k0);
	if (pages < leaves)
		fail_set(f, -ERANGE, "layout %s: nr_iommu_pages grew by %ld, fewer than the %ld leaf tables 4 KiB pages need",
			 layout, pages, leaves);
	else if (labs((k1 - k0) - pages * (pg >> 10)) > tol * (pg >> 10))
		fail_set(f, -ERANGE, "layout %s: SecPageTables grew by %ld kB, nr_iommu_pages by %ld kB",
			 layout, k1 - k0, pages * (pg >> 10));
	*bytes = (double)pages * pg;
}

static void ss_not_run(const char *fig, const char *keys, const char *why)
{
	note("%s %s: not run: %s", fig, keys, why);
}

void run_s2share(const struct bench_cfg *cfg)
{
	struct ss_env s = { .fd = -1 };
	struct fail f = { 0 }, fp = { 0 };
	double *ns[SS_NR] = { 0 }, *pt[2] = { 0 }, ratio[cfg->reps];
	unsigned long calls[SS_NR];
	const char *refused = NULL;
	char why[320];
	int nl = SS_NR, l, r, ret;

	refused = ss_find(&s);
	if (refused) {
		f.skip = refused;
		group_failed(ss_figs, S2SHARE_FIGURES, &f);
		return;
	}
	refused = NULL;
	if (ss_open(cfg, &s, &f)) {
		group_failed(ss_figs, S2SHARE_FIGURES, &f);
		goto out;
	}
	for (l = 0; l < SS_NR; l++)
		ns[l] = calloc(cfg->reps, sizeof(double));
	pt[0] = calloc(cfg->reps, sizeof(double));
	pt[1] = calloc(cfg->reps, sizeof(double));
	for (l = 0; l < SS_NR; l++)
		if (!ns[l])
			fail_set(&f, -ENOMEM, "samples");
	if (!pt[0] || !pt[1])
		fail_set(&fp, -ENOMEM, "samples");

	/* Calibrate each layout (the warm-up): and learn what the kernel lets */
	for (l = 0; l < nl && !f.err; l++) {
		ret = ss_layout(&s, l, &f);
		if (ret == -EINVAL && l == SS_ATTACH2 && !cfg->series) {
			snprintf(why, sizeof(why),
				 "this kernel refuses a device behind another SMMU on the S2 (%s: %s)",
				 f.what, strerror(-ret));
			refused = why;
			memset(&f, 0, sizeof(f));
			nl = SS_ATTACH2;
			break;
		}
		if (ret)
			break;
		ret = calibrate(ss_op(l), &s, cfg->sample_ns, &calls[l]);
		if (ret)
			fail_set(&f, ret, "IOMMU_IOAS_MAP/UNMAP 64 KiB, %s",
				 ss_name[l]);
	}
	if (refused)
		note("s2share: %s", refused);
	/* Every repetition times each layout in turn: the ratios are paired */
	for (r = 0; r < cfg->reps && !f.err; r++) {
		for (l = 0; l < nl && !f.err; l++) {
			if (ss_layout(&s, l, &f))
				break;
			ret = time_calls(ss_op(l), &s, calls[l], &ns[l][r]);
			if (ret)
				fail_set(&f, ret, "IOMMU_IOAS_MAP/UNMAP 64 KiB, %s",
					 ss_name[l]);
		}
	}
	for (r = 0; r < cfg->reps && !fp.err; r++) {
		if (ss_layout(&s, SS_PER_SMMU, &fp))
			break;
		ss_pt(&s, s.ioas, 2, r, "per_smmu", &pt[1][r], &fp);
		if (nl <= SS_ATTACH2 || fp.err)
			continue;
		if (ss_layout(&s, SS_ATTACH2, &fp))
			break;
		ss_pt(&s, &s.ioas_s, 1, r, "shared", &pt[0][r], &fp);
	}

	if (!f.err) {
		for (l = SS_ATTACH1; l < SS_NR; l++) {
			if (l < nl)
				bench_line(ss_figs[0], ss_name[l], "ns", ns[l],
					   cfg->reps, false);
			else
				ss_not_run(ss_figs[0], ss_name[l], refused);
		}
		bench_line(ss_figs[1], "", "ns", ns[SS_PER_SMMU], cfg->reps,
			   false);
	}
	fig_end(ss_figs[0], &f);
	fig_end(ss_figs[1], &f);
	if (refused && !f.err) {
		fig_skip(ss_figs[2], refused);
		fig_skip(ss_figs[3], refused);
	} else {
		if (!f.err) {
			note("s2share: ratio is attach=2 over per_smmu, paired per repetition");
			ratios(ns[SS_ATTACH2], ns[SS_PER_SMMU], cfg->reps,
			       ratio);
			bench_line(ss_figs[2], "", "ratio", ratio, cfg->reps,
				   true);
		}
		fig_end(ss_figs[2], &f);
		if (!f.err) {
			note("s2share: ratio is attach=4 over attach=1, paired per repetition");
			ratios(ns[SS_ATTACH4], ns[SS_ATTACH1], cfg->reps,
			       ratio);
			bench_line(ss_figs[3], "", "ratio", ratio, cfg->reps,
				   true);
		}
		fig_end(ss_figs[3], &f);
	}

	if (!fp.err) {
		if (refused)
			ss_not_run(ss_figs[4], "layout=shared", refused);
		else
			bench_line(ss_figs[4], "layout=shared", "bytes", pt[0],
				   cfg->reps, false);
		bench_line(ss_figs[4], "layout=per_smmu", "bytes", pt[1],
			   cfg->reps, false);
	}
	fig_end(ss_figs[4], &fp);
	if (refused && !fp.err) {
		fig_skip(ss_figs[5], refused);
	} else {
		if (!fp.err) {
			note("s2share: pt ratio is per_smmu over shared, per repetition");
			ratios(pt[1], pt[0], cfg->reps, ratio);
			bench_line(ss_figs[5], "", "ratio", ratio, cfg->reps,
				   true);
		}
		fig_end(ss_figs[5], &fp);
	}
out:
	for (l = 0; l < SS_NR; l++)
		free(ns[l]);
	free(pt[0]);
	free(pt[1]);
	ss_close(&s);
}
