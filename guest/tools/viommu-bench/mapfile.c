// SPDX-License-Identifier: GPL-2.0
/*
 * viommu-bench, guest RAM maps: what a VMM pays at start to map its guest's
 * RAM for DMA, by where the RAM comes from. One edu device behind an emulated
 * SMMUv3, attached to an IOAS (a plain stage-1 paging domain of the SMMU), and
 * one range of RAM_MAP_MB MiB, already populated (the pinning and the IOMMU
 * page table are what is compared), but for the first figure:
 *  - mapfile.anon_fresh_ms: IOMMU_IOAS_MAP of anonymous memory just mmapped,
 *    never touched, as QEMU maps its guest RAM at start: the pins fault every
 *    page in (allocate and zero it), in transparent huge pages where the
 *    kernel's THP setting gives them;
 *  - mapfile.anon_4k_ms: IOMMU_IOAS_MAP of anonymous memory in 4 KiB pages
 *    (MADV_NOHUGEPAGE);
 *  - mapfile.memfd_4k_ms: IOMMU_IOAS_MAP_FILE of a shmem memfd (4 KiB pages);
 *  - mapfile.hugetlb_2m_ms: IOMMU_IOAS_MAP_FILE of a hugetlbfs memfd (2 MiB);
 *  - mapfile.ratio_anon_memfd, mapfile.ratio_anon_hugetlb: the anonymous map
 *    over the other two, paired per repetition (above 1: the file is faster).
 * Each repetition maps the range at a fixed IOVA and unmaps it; the map alone
 * is timed. The hugetlbfs pages are reserved here and given back at the end.
 */
#include "common.h"

static const char *const mapfile_figs[MAPFILE_FIGURES] = {
	"mapfile.anon_fresh_ms", "mapfile.anon_4k_ms", "mapfile.memfd_4k_ms",
	"mapfile.hugetlb_2m_ms",
	"mapfile.ratio_anon_memfd", "mapfile.ratio_anon_hugetlb",
};

#define RAM_MAP_IOVA		0x40000000ULL	/* QEMU virt's RAM base */
#define HUGE_2M			(2ULL << 20)
#define NR_HUGEPAGES		"/proc/sys/vm/nr_hugepages"

enum { SRC_ANON, SRC_MEMFD, SRC_HUGETLB, NR_SRC };
#define FIG_FRESH	0	/* then the sources' figures, then the ratios */

struct ram_src {
	const char *name;
	void *va;		/* the range, mapped and populated */
	int memfd;		/* -1 for anonymous memory */
	const char *skip;	/* why this source cannot be measured */
};

struct mapfile_env {
	int fd;
	int devfd;
	uint32_t dev_id;
	uint32_t ioas;
	uint64_t len;
	struct ram_src src[NR_SRC];
	long hugepages_before;	/* -1: nr_hugepages untouched */
};

static long read_long(const char *path)
{
	char buf[32] = "";
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			v = strtol(buf, NULL, 10);
		fclose(f);
	}
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%ld\n", v) < 0 ? -EIO : 0;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/* Reserve enough 2 MiB pages for one range on top of what is there */
static void hugepages_reserve(struct mapfile_env *e)
{
	long have = read_long(NR_HUGEPAGES);

	e->hugepages_before = -1;
	if (have < 0)
		return;
	if (!write_long(NR_HUGEPAGES, have + (long)(e->len / HUGE_2M)))
		e->hugepages_before = have;
}

static int src_open(struct mapfile_env *e, int i)
{
	struct ram_src *s = &e->src[i];
	int flags = MAP_SHARED;

	s->memfd = -1;
	if (i == SRC_ANON) {
		s->name = "anonymous";
		flags = MAP_PRIVATE | MAP_ANONYMOUS;
	} else {
		s->name = i == SRC_MEMFD ? "memfd" : "hugetlbfs memfd";
		s->memfd = memfd_create(s->name, MFD_CLOEXEC |
					(i == SRC_HUGETLB ? MFD_HUGETLB : 0));
		if (s->memfd < 0) {
			s->skip = "memfd_create failed";
			return 0;
		}
		if (ftruncate(s->memfd, e->len)) {
			s->skip = i == SRC_HUGETLB ?
				"not enough free 2 MiB hugepages" :
				"ftruncate of the memfd failed";
			return 0;
		}
	}
	/* Anonymous: populated below, after the madvise() */
	s->va = mmap(NULL, e->len, PROT_READ | PROT_WRITE,
		     flags | (i == SRC_ANON ? 0 : MAP_POPULATE), s->memfd, 0);
	if (s->va == MAP_FAILED) {
		s->va = NULL;
		s->skip = i == SRC_HUGETLB ? "not enough free 2 MiB hugepages" :
					     "mmap of the range failed";
		return 0;
	}
	/* 4 KiB pages: no transparent huge pages in the anonymous range */
	if (i == SRC_ANON && madvise(s->va, e->len, MADV_NOHUGEPAGE)) {
		s->skip = "madvise(MADV_NOHUGEPAGE) failed";
		return 0;
	}
	/* Touch every page for writing: no later fault or copy-on-write */
	memset(s->va, 0x5a, e->len);
	return 0;
}

static void src_close(struct mapfile_env *e, int i)
{
	struct ram_src *s = &e->src[i];

	if (s->va)
		munmap(s->va, e->len);
	if (s->memfd >= 0)
		close(s->memfd);
	s->va = NULL;
	s->memfd = -1;
}

static int mapfile_open(struct mapfile_env *e, const struct bench_cfg *cfg,
			struct fail *f)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct edu_sysfs found[EDU_MAX];
	int n, ret, i;

	e->fd = e->devfd = -1;
	e->hugepages_before = -1;
	for (i = 0; i < NR_SRC; i++)
		e->src[i].memfd = -1;
	e->len = (uint64_t)(cfg->tiny ? 8 : RAM_MAP_MB) << 20;

	n = edu_sysfs_find_into(found, sizeof(found[0]), EDU_MAX);
	if (n < 1 || !found[0].cdev[0]) {
		fail_set(f, -ENODEV, "an edu device bound to vfio-pci");
		f->skip = "no edu device bound to vfio-pci (no VFIO cdev)";
		return f->err;
	}
	e->fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (e->fd < 0) {
		fail_set(f, -errno, "open /dev/iommu");
		return f->err;
	}
	e->devfd = open(found[0].cdev, O_RDWR | O_CLOEXEC);
	if (e->devfd < 0) {
		fail_set(f, -errno, "open %s", found[0].cdev);
		return f->err;
	}
	bind.iommufd = e->fd;
	if (ioctl(e->devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		fail_set(f, -errno, "VFIO_DEVICE_BIND_IOMMUFD %s", found[0].cdev);
		return f->err;
	}
	e->dev_id = bind.out_devid;
	ret = ioas_alloc(e->fd, &e->ioas);
	if (ret) {
		fail_set(f, ret, "IOMMU_IOAS_ALLOC");
		return ret;
	}
	ret = vfio_attach(e->devfd, e->ioas);
	if (ret) {
		fail_set(f, ret, "VFIO_DEVICE_ATTACH_IOMMUFD_PT to the IOAS");
		return ret;
	}
	note("mapfile: edu %s behind %s, %llu MiB per map", found[0].bdf,
	     found[0].smmu, (unsigned long long)(e->len >> 20));
	return 0;
}

static void mapfile_close(struct mapfile_env *e)
{
	int i;

	for (i = 0; i < NR_SRC; i++)
		src_close(e, i);
	if (e->devfd >= 0)
		close(e->devfd);
	if (e->fd >= 0)
		close(e->fd);
	if (e->hugepages_before >= 0)
		write_long(NR_HUGEPAGES, e->hugepages_before);
}

/* Map source @i at RAM_MAP_IOVA, timed, and unmap it: @ms is the map's time */
static int map_once(struct mapfile_env *e, int i, double *ms)
{
	struct ram_src *s = &e->src[i];
	uint64_t t0 = now_ns(), done;
	int ret;

	if (i == SRC_ANON)
		ret = ioas_map_fixed(e->fd, e->ioas, s->va, e->len,
				     RAM_MAP_IOVA);
	else
		ret = ioas_map_file_fixed(e->fd, e->ioas, s->memfd, e->len,
					  RAM_MAP_IOVA);
	*ms = (now_ns() - t0) / 1e6;
	if (ret)
		return ret;
	ret = ioas_unmap(e->fd, e->ioas, RAM_MAP_IOVA, e->len, &done);
	if (!ret && done != e->len)
		ret = -EIO;
	return ret;
}

/* Map anonymous memory never touched, timed, and unmap it: what QEMU does */
static int map_fresh_once(struct mapfile_env *e, double *ms)
{
	void *va = mmap(NULL, e->len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t t0, done;
	int ret;

	if (va == MAP_FAILED)
		return -errno;
	t0 = now_ns();
	ret = ioas_map_fixed(e->fd, e->ioas, va, e->len, RAM_MAP_IOVA);
	*ms = (now_ns() - t0) / 1e6;
	if (!ret) {
		ret = ioas_unmap(e->fd, e->ioas, RAM_MAP_IOVA, e->len, &done);
		if (!ret && done != e->len)
			ret = -EIO;
	}
	munmap(va, e->len);
	return ret;
}

static void run_fresh(struct mapfile_env *e, const struct bench_cfg *cfg)
{
	double ms[cfg->reps], warm;
	struct fail f = { 0 };
	int r, ret;

	ret = map_fresh_once(e, &warm);
	for (r = 0; !ret && r < cfg->reps; r++)
		ret = map_fresh_once(e, &ms[r]);
	if (ret)
		fail_set(&f, ret, "map + unmap of fresh anonymous memory");
	else
		bench_line(mapfile_figs[FIG_FRESH], "", "ms", ms, cfg->reps,
			   false);
	fig_end(mapfile_figs[FIG_FRESH], &f);
}

void run_mapfile(const struct bench_cfg *cfg)
{
	struct fail f[NR_SRC] = { 0 }, fo = { 0 };
	double *ms[NR_SRC] = { 0 }, ratio[cfg->reps];
	struct mapfile_env e = { 0 };
	int i, r;

	if (mapfile_open(&e, cfg, &fo)) {
		group_failed(mapfile_figs, MAPFILE_FIGURES, &fo);
		mapfile_close(&e);
		return;
	}
	run_fresh(&e, cfg);
	hugepages_reserve(&e);
	for (i = 0; i < NR_SRC; i++) {
		ms[i] = calloc(cfg->reps, sizeof(double));
		if (!ms[i]) {
			fail_set(&f[i], -ENOMEM, "calloc");
			continue;
		}
		src_open(&e, i);
		if (e.src[i].skip)
			continue;
		/* Warm-up: the first map also allocates the page tables */
		if (!f[i].err) {
			double warm;
			int ret = map_once(&e, i, &warm);

			if (ret == -ENOTTY && i != SRC_ANON)
				e.src[i].skip = "no IOMMU_IOAS_MAP_FILE (ENOTTY)";
			else if (ret)
				fail_set(&f[i], ret, "%s map + unmap",
					 e.src[i].name);
		}
		for (r = 0; !f[i].err && !e.src[i].skip && r < cfg->reps; r++) {
			int ret = map_once(&e, i, &ms[i][r]);

			if (ret)
				fail_set(&f[i], ret, "%s map + unmap, rep %d",
					 e.src[i].name, r);
		}
		/* One source in memory at a time: the VM's RAM is finite */
		src_close(&e, i);
	}

	for (i = 0; i < NR_SRC; i++) {
		const char *fig = mapfile_figs[FIG_FRESH + 1 + i];

		if (e.src[i].skip) {
			fig_skip(fig, e.src[i].skip);
			continue;
		}
		if (!f[i].err)
			bench_line(fig, "", "ms", ms[i], cfg->reps, false);
		fig_end(fig, &f[i]);
	}
	for (i = SRC_MEMFD; i < NR_SRC; i++) {
		const char *fig = mapfile_figs[FIG_FRESH + 1 + NR_SRC + i -
					       SRC_MEMFD];

		if (e.src[SRC_ANON].skip || e.src[i].skip) {
			fig_skip(fig, e.src[i].skip ?: e.src[SRC_ANON].skip);
			continue;
		}
		if (f[SRC_ANON].err || f[i].err) {
			fig_end(fig, f[i].err ? &f[i] : &f[SRC_ANON]);
			continue;
		}
		ratios(ms[SRC_ANON], ms[i], cfg->reps, ratio);
		bench_line(fig, "", "x", ratio, cfg->reps, true);
		fig_end(fig, &fo);
	}
	for (i = 0; i < NR_SRC; i++)
		free(ms[i]);
	mapfile_close(&e);
}
