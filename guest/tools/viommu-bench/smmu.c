// SPDX-License-Identifier: GPL-2.0
/*
 * viommu-bench, emulated SMMUv3s: the price of sharing one stage-2 among K
 * ARM_SMMUV3 vIOMMUs. Two edu devices, one behind each SMMU, bound to one
 * iommufd; a nesting-parent S2 allocated via device 0 and attached to it;
 * K vIOMMUs on that S2, alternating device 1 / device 0.
 *  - s2.map_unmap_ns: IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP of one 4 KiB page;
 *  - s2.ratio_4_1: that at the largest K over the smallest, paired per rep;
 *  - s2.unmap_cmds: the commands one unmap puts on each SMMU's command
 *    queue, read through /dev/mem (read-only) from SMMU_CMDQ_BASE/PROD and
 *    the queue memory.
 */
#include "common.h"

static const char *const s2_figs[S2_FIGURES] = {
	"s2.map_unmap_ns", "s2.ratio_4_1", "s2.unmap_cmds",
	"mem.bytes_per_arm_viommu", "e2e.host_invalidate_ns",
};

#define S2_IOVA			0x1000000ULL
#define S2_PAGE			0x1000ULL
#define S2_MAX_VIOMMUS		8

#define SMMU_NAME_PREFIX	"smmu3."
#define SMMU_CMDQ_BASE		0x90
#define SMMU_CMDQ_PROD		0x98
#define SMMU_REG_MAP_SIZE	0x1000ULL
#define CMDQ_BASE_ADDR_MASK	(((1ULL << 52) - 1) & ~0x1fULL)
#define CMDQ_BASE_LOG2SIZE(b)	((unsigned int)((b) & 0x1f))
#define CMDQ_ENT_SIZE		16

#define CMDQ_OP_TLBI_FIRST	0x10	/* TLBI_NH_ALL */
#define CMDQ_OP_TLBI_LAST	0x30	/* TLBI_NSNH_ALL */
#define CMDQ_OP_SYNC		0x46

struct s2_dev {
	EDU_SYSFS_MEMBERS;
	int fd;
	uint32_t dev_id;
};

/* The command queue of one SMMU, mapped read-only through /dev/mem */
struct cmdq {
	const volatile uint32_t *regs;
	const volatile uint64_t *ents;
	void *ents_map;
	size_t ents_len;
	size_t ents_off;
	unsigned int log2size;
};

struct s2_env {
	int fd;
	uint32_t ioas;
	uint32_t s2;
	struct s2_dev dev[2];
	uint32_t viommu[S2_MAX_VIOMMUS];
	unsigned int nviommu;
	void *buf;
	int memfd;
	struct cmdq q[2];
};

/* One 4 KiB page of the S2 at S2_IOVA: map it, or unmap it; 0 or -errno */
static int s2_page(struct s2_env *s, bool map_it)
{
	if (map_it)
		return ioas_map_fixed(s->fd, s->ioas, s->buf, S2_PAGE, S2_IOVA);
	return ioas_unmap(s->fd, s->ioas, S2_IOVA, S2_PAGE, NULL);
}

/*
 * What the VMM does for each strict unmap of its guest: one guest TLBI_NH_VA
 * (ASID 1, leaf, no range fields) through IOMMU_HWPT_INVALIDATE on an ARM
 * SMMUv3 vIOMMU, which the kernel issues with a CMD_SYNC and waits for.
 */
static int guest_tlbi_op(void *arg)
{
	struct s2_env *s = arg;
	uint64_t cmd[2] = {
		htole64(0x12ULL | 1ULL << 48),		/* TLBI_NH_VA, ASID 1 */
		htole64(0x1000ULL | 1ULL),		/* ADDR, LEAF */
	};
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.hwpt_id = s->viommu[0],
		.data_uptr = (uintptr_t)cmd,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = sizeof(cmd),
		.entry_num = 1,
	};

	return ioctl(s->fd, IOMMU_HWPT_INVALIDATE, &inv) ? -errno : 0;
}

static int map_unmap_op(void *arg)
{
	int ret = s2_page(arg, true);

	return ret ? ret : s2_page(arg, false);
}

/* Two edu devices behind different SMMUs, bound to vfio-pci; else why not */
static const char *s2_find(struct s2_env *s)
{
	struct s2_dev found[EDU_MAX];
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

static int dev_bind(struct s2_env *s, int d, struct fail *f)
{
	struct s2_dev *dev = &s->dev[d];
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
	note("s2: dev%d: edu %s behind %s, dev_id %u", d, dev->bdf, dev->smmu,
	     dev->dev_id);
	return 0;
}

static int s2_open(struct s2_env *s, struct fail *f)
{
	int ret;

	s->fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (s->fd < 0) {
		fail_set(f, -errno, "open /dev/iommu");
		if (f->err == -ENOENT)
			f->skip = "no /dev/iommu";
		return f->err;
	}
	if (dev_bind(s, 0, f) || dev_bind(s, 1, f))
		return f->err;
	ret = ioas_alloc(s->fd, &s->ioas);
	if (ret) {
		fail_set(f, ret, "IOMMU_IOAS_ALLOC");
		return ret;
	}
	ret = nest_parent_alloc(s->fd, s->dev[0].dev_id, s->ioas, &s->s2);
	if (ret) {
		fail_set(f, ret, "IOMMU_HWPT_ALLOC NEST_PARENT via dev0");
		return ret;
	}
	ret = vfio_attach(s->dev[0].fd, s->s2);
	if (ret) {
		fail_set(f, ret, "VFIO_DEVICE_ATTACH_IOMMUFD_PT dev0 -> S2");
		return ret;
	}
	s->buf = mmap(NULL, S2_PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (s->buf == MAP_FAILED) {
		s->buf = NULL;
		fail_set(f, -errno, "mmap 4 KiB");
		return f->err;
	}
	return 0;
}

static void cmdq_unmap(struct cmdq *q)
{
	if (q->regs)
		munmap((void *)q->regs, SMMU_REG_MAP_SIZE);
	if (q->ents_map)
		munmap(q->ents_map, q->ents_len);
	memset(q, 0, sizeof(*q));
}

static void s2_close(struct s2_env *s)
{
	unsigned int i;

	for (i = 0; i < s->nviommu; i++)
		obj_destroy(s->fd, s->viommu[i]);
	for (i = 0; i < 2; i++) {
		if (s->dev[i].fd >= 0)
			close(s->dev[i].fd);
		cmdq_unmap(&s->q[i]);
	}
	if (s->memfd >= 0)
		close(s->memfd);
	if (s->fd >= 0)
		close(s->fd);
	if (s->buf)
		munmap(s->buf, S2_PAGE);
}

/* Map the registers and queue of the SMMU of @dev; NULL or why not */
static const char *cmdq_map(int memfd, const struct s2_dev *dev, struct cmdq *q,
			    char *why, size_t len)
{
	size_t plen = strlen(SMMU_NAME_PREFIX), pgsz = sysconf(_SC_PAGESIZE);
	uint64_t base, qbase, qpa;
	char *end;
	void *map;

	if (strncmp(dev->smmu, SMMU_NAME_PREFIX, plen))
		goto bad_name;
	errno = 0;
	base = strtoull(dev->smmu + plen, &end, 16);
	if (errno || *end || !base || base & (pgsz - 1))
		goto bad_name;
	map = mmap(NULL, SMMU_REG_MAP_SIZE, PROT_READ, MAP_SHARED, memfd,
		   (off_t)base);
	if (map == MAP_FAILED) {
		snprintf(why, len, "mmap /dev/mem at SMMU 0x%llx: %s",
			 (unsigned long long)base, strerror(errno));
		return why;
	}
	q->regs = map;
	qbase = q->regs[SMMU_CMDQ_BASE / 4] |
		(uint64_t)q->regs[SMMU_CMDQ_BASE / 4 + 1] << 32;
	q->log2size = CMDQ_BASE_LOG2SIZE(qbase);
	qpa = qbase & CMDQ_BASE_ADDR_MASK;
	q->ents_off = qpa & (pgsz - 1);
	q->ents_len = q->ents_off + ((size_t)CMDQ_ENT_SIZE << q->log2size);
	map = mmap(NULL, q->ents_len, PROT_READ, MAP_SHARED, memfd,
		   (off_t)(qpa - q->ents_off));
	if (map == MAP_FAILED) {
		snprintf(why, len, "mmap /dev/mem at command queue 0x%llx: %s",
			 (unsigned long long)qpa, strerror(errno));
		return why;
	}
	q->ents_map = map;
	q->ents = (const volatile uint64_t *)((char *)map + q->ents_off);
	note("s2: %s: SMMU_CMDQ_BASE 0x%016llx (queue PA 0x%llx, %u entries)",
	     dev->smmu, (unsigned long long)qbase, (unsigned long long)qpa,
	     1U << q->log2size);
	return NULL;
bad_name:
	snprintf(why, len, "cannot parse an SMMU base from '%s'", dev->smmu);
	return why;
}

/* PROD as a (log2size + 1)-bit counter: index and wrap bit */
static uint32_t cmdq_prod(const struct cmdq *q)
{
	return q->regs[SMMU_CMDQ_PROD / 4] & ((2U << q->log2size) - 1);
}

/* Count TLBIs and CMD_SYNCs in [from, to) and list the opcodes */
static void cmdq_count(const struct cmdq *q, const char *smmu,
		       unsigned int k, uint32_t from, uint32_t to,
		       unsigned int *tlbi, unsigned int *sync)
{
	uint32_t n = (to - from) & ((2U << q->log2size) - 1), i;
	char ops[3 * 32 + 4] = "", *p = ops;

	*tlbi = *sync = 0;
	for (i = 0; i < n; i++) {
		uint32_t idx = (from + i) & ((1U << q->log2size) - 1);
		unsigned int op = le64toh(q->ents[idx * 2]) & 0xff;

		if (op >= CMDQ_OP_TLBI_FIRST && op <= CMDQ_OP_TLBI_LAST)
			(*tlbi)++;
		else if (op == CMDQ_OP_SYNC)
			(*sync)++;
		if (i < 32)
			p += sprintf(p, " %02x", op);
		else if (i == 32)
			snprintf(p, ops + sizeof(ops) - p, " ...");
	}
	note("s2: viommus=%u %s: one unmap queued %u commands:%s", k, smmu, n,
	     n ? ops : " none");
}

/* What one unmap queued on one SMMU */
struct cmd_count {
	unsigned int k;
	int d;
	unsigned int tlbi, sync;
};

/* The commands one unmap queues on each SMMU, into @c[0..1] */
static void s2_count_cmds(struct s2_env *s, unsigned int k,
			  struct cmd_count *c, struct fail *f)
{
	uint32_t before[2], after[2];
	int d, ret = s2_page(s, true);

	if (ret) {
		fail_set(f, ret, "IOMMU_IOAS_MAP");
		return;
	}
	for (d = 0; d < 2; d++)
		before[d] = cmdq_prod(&s->q[d]);
	ret = s2_page(s, false);
	if (ret) {
		fail_set(f, ret, "IOMMU_IOAS_UNMAP");
		return;
	}
	for (d = 0; d < 2; d++)
		after[d] = cmdq_prod(&s->q[d]);
	for (d = 0; d < 2; d++) {
		c[d].k = k;
		c[d].d = d;
		cmdq_count(&s->q[d], s->dev[d].smmu, k, before[d], after[d],
			   &c[d].tlbi, &c[d].sync);
	}
}

/* Grow to @k vIOMMUs: even slots on dev1's SMMU where the kernel allows it */
static int s2_add_viommus(const struct bench_cfg *cfg, struct s2_env *s,
			  unsigned int k, struct fail *f)
{
	int ret;

	while (s->nviommu < k) {
		int d = s->nviommu % 2 == 0 && cfg->series ? 1 : 0;

		ret = viommu_alloc(s->fd, s->dev[d].dev_id, s->s2,
				   &s->viommu[s->nviommu]);
		if (ret) {
			fail_set(f, ret, "IOMMU_VIOMMU_ALLOC ARM_SMMUV3 #%u via dev%d on the S2",
				 s->nviommu + 1, d);
			return ret;
		}
		s->nviommu++;
	}
	return 0;
}

/* Mainline: say what a vIOMMU on the other SMMU's device gets */
static void s2_probe_other_smmu(struct s2_env *s)
{
	uint32_t id;
	int ret = viommu_alloc(s->fd, s->dev[1].dev_id, s->s2, &id);

	if (!ret)
		obj_destroy(s->fd, id);
	note("s2: mainline: a vIOMMU via dev1 (%s) on the S2 of dev0's SMMU: %s; all vIOMMUs go on dev0's SMMU %s",
	     s->dev[1].smmu, ret ? strerror(-ret) : "accepted",
	     s->dev[0].smmu);
}

/*
 * mem.bytes_per_arm_viommu: "Slab:" growth per ARM_SMMUV3 vIOMMU, M of them
 * on the S2 via dev0 (the mock's figure cannot be taken on the series, whose
 * mock IOMMU has only a few VMIDs; a real SMMU has 2^16).
 */
static void s2_mem_viommus(const struct bench_cfg *cfg, struct s2_env *s,
			   struct fail *f)
{
	unsigned int m = cfg->mem_viommus, i, made;
	uint32_t *id = calloc(m, sizeof(*id));
	double bytes[MEM_REPS];
	long before, after;
	char keys[32];
	int r, ret = 0;

	if (!id) {
		fail_set(f, -ENOMEM, "%u vIOMMU IDs", m);
		return;
	}
	for (r = 0; r < MEM_REPS && !f->err; r++) {
		ret = slab_kb(&before);
		if (ret) {
			fail_set(f, ret, "Slab: in /proc/meminfo");
			break;
		}
		for (made = 0; !ret && made < m; made++)
			ret = viommu_alloc(s->fd, s->dev[0].dev_id, s->s2,
					   &id[made]);
		if (ret) {
			made--;
			fail_set(f, ret, "IOMMU_VIOMMU_ALLOC ARM_SMMUV3 %u of %u",
				 made + 1, m);
		} else if (!(ret = slab_kb(&after))) {
			bytes[r] = (after - before) * 1024.0 / m;
		} else {
			fail_set(f, ret, "Slab: in /proc/meminfo");
		}
		for (i = 0; i < made; i++)
			obj_destroy(s->fd, id[i]);
	}
	free(id);
	if (f->err)
		return;
	snprintf(keys, sizeof(keys), "count=%u", m);
	bench_line(s2_figs[3], keys, "bytes", bytes, MEM_REPS, false);
}

void run_smmu(const struct bench_cfg *cfg)
{
	struct s2_env s = { .fd = -1, .memfd = -1 };
	struct fail ft = { 0 }, fc = { 0 };
	double *ns[MAX_SIZES] = { 0 }, ratio[cfg->reps];
	struct cmd_count counts[2 * MAX_SIZES];
	char why[160], keys[192];
	const char *reason;
	unsigned long calls;
	int i, r, d, ret, ncounts = 0;

	reason = s2_find(&s);
	if (reason) {
		fc.skip = reason;
		group_failed(s2_figs, S2_FIGURES, &fc);
		return;
	}
	if (s2_open(&s, &ft)) {
		group_failed(s2_figs, S2_FIGURES, &ft);
		goto out;
	}
	s.memfd = open("/dev/mem", O_RDONLY | O_CLOEXEC);
	if (s.memfd < 0) {
		snprintf(why, sizeof(why), "open /dev/mem: %s",
			 strerror(errno));
		fc.skip = why;
	}
	for (d = 0; d < 2 && !fc.skip; d++)
		fc.skip = cmdq_map(s.memfd, &s.dev[d], &s.q[d], why,
				   sizeof(why));

	if (!cfg->series)
		s2_probe_other_smmu(&s);
	for (i = 0; i < cfg->nviommus && !ft.err; i++) {
		ns[i] = calloc(cfg->reps, sizeof(double));
		if (!ns[i]) {
			fail_set(&ft, -ENOMEM, "samples");
			break;
		}
		if (s2_add_viommus(cfg, &s, cfg->viommus[i], &ft))
			break;
		ret = calibrate(map_unmap_op, &s, cfg->sample_ns, &calls);
		for (r = 0; !ret && r < cfg->reps; r++)
			ret = time_calls(map_unmap_op, &s, calls, &ns[i][r]);
		if (ret) {
			fail_set(&ft, ret, "IOMMU_IOAS_MAP/UNMAP 4 KiB");
			break;
		}
		if (!fc.skip) {
			s2_count_cmds(&s, cfg->viommus[i], &counts[ncounts],
				      &fc);
			ncounts += 2;
		}
	}

	for (i = 0; i < cfg->nviommus && !ft.err; i++) {
		snprintf(keys, sizeof(keys), "viommus=%u", cfg->viommus[i]);
		bench_line(s2_figs[0], keys, "ns", ns[i], cfg->reps, false);
	}
	fig_end(s2_figs[0], &ft);
	if (!ft.err) {
		note("s2: ratio is viommus=%u over viommus=%u, paired per repetition",
		     cfg->viommus[cfg->nviommus - 1], cfg->viommus[0]);
		ratios(ns[cfg->nviommus - 1], ns[0], cfg->reps, ratio);
		bench_line(s2_figs[1], "", "ratio", ratio, cfg->reps, true);
	}
	fig_end(s2_figs[1], &ft);
	if (fc.skip) {
		fig_skip(s2_figs[2], fc.skip);
	} else {
		if (ft.err)
			fail_set(&fc, ft.err, "%s", ft.what);
		for (i = 0; i < ncounts && !fc.err; i++) {
			const struct cmd_count *c = &counts[i];
			double v = c->tlbi + c->sync;

			snprintf(keys, sizeof(keys),
				 "viommus=%u smmu=%s tlbi=%u sync=%u", c->k,
				 s.dev[c->d].smmu, c->tlbi, c->sync);
			bench_line(s2_figs[2], keys, "cmds", &v, 1, false);
		}
		fig_end(s2_figs[2], &fc);
	}
	if (ft.err) {
		fig_end(s2_figs[3], &ft);
		fig_end(s2_figs[4], &ft);
	} else {
		struct fail fm = { 0 }, fi = { 0 };
		double tns[cfg->reps];

		s2_mem_viommus(cfg, &s, &fm);
		fig_end(s2_figs[3], &fm);

		ret = calibrate(guest_tlbi_op, &s, cfg->sample_ns, &calls);
		for (r = 0; !ret && r < cfg->reps; r++)
			ret = time_calls(guest_tlbi_op, &s, calls, &tns[r]);
		if (ret)
			fail_set(&fi, ret, "IOMMU_HWPT_INVALIDATE, one TLBI_NH_VA");
		else
			bench_line(s2_figs[4], "", "ns", tns, cfg->reps,
				   false);
		fig_end(s2_figs[4], &fi);
	}
out:
	for (i = 0; i < cfg->nviommus; i++)
		free(ns[i]);
	s2_close(&s);
}
