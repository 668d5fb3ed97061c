// SPDX-License-Identifier: GPL-2.0
/*
 * viommu-stress: a multi-threaded stress of the iommufd vIOMMU uAPI.
 *
 * The threads share ONE iommufd: one IOAS, one NEST_PARENT stage-2 that an
 * "anchor" mock device stays attached to, and small tables ("slots") of mock
 * devices behind both mock IOMMU instances, vIOMMUs, vDEVICEs, nested HWPTs,
 * HW queues and vEVENTQs. Each thread loops over random operations on random
 * slots, so the SAME objects are used, replaced and destroyed concurrently:
 *
 *  - SET/UNSET_DEV_ID and VDEVICE_ALLOC/DESTROY of random (device, vIOMMU,
 *    vdev_id), racing each other, the device's unbind (IOMMU_DESTROY of its
 *    selftest object) and the replace of its attachment;
 *  - vIOMMU alloc/destroy (EBUSY while held), nested HWPTs on a vIOMMU;
 *  - IOAS_MAP/UNMAP of the stage-2's IOAS under HW queues pinning its pages,
 *    HW queue alloc/destroy (queue 1 depends on queue 0);
 *  - HWPT_INVALIDATE through a vIOMMU naming random vdev_ids;
 *  - mmap of a vIOMMU's MMIO region, kept for a while or handed to a fork()ed
 *    child that reads it and exits;
 *  - vEVENTQ alloc, TRIGGER_VEVENT, non-blocking read, close, destroy;
 *  - IDs of this iommufd used on a second iommufd;
 *  - and, in one more thread, the same on an edu PCI device through its VFIO
 *    cdev and the same IOAS (ARM SMMUv3 vIOMMU, vSTEs, guest commands), with
 *    close = unbind and rebind.
 *
 * Checked: every failing call returns an errno of its op's allowed set (a
 * stale ID may name a newer object of another type: hence EINVAL next to
 * ENOENT; never ENOMEM), plus what the uAPI promises on the way (entry_num,
 * whole vEVENTQ records with increasing sequence numbers, region contents,
 * EBUSY for objects that must be held, no entry left after an unbind, no op
 * slower than 20 s). After the join: the dev-id tables agree with themselves
 * and with the mock driver; a teardown in random order destroys everything;
 * every ID ever returned is gone; the IOAS is empty; VmPin is back to 0. A
 * watchdog bails out when nothing progresses for 60 s. Output is TAP; kernel
 * splats are found by the console scan outside.
 *
 * Usage: viommu-stress [--threads N] [--iters N] [--secs N] [--seed N]
 * (defaults 4 threads, 5000 ops per thread, 60 s, seed = time): about 45 s
 * under TCG with lockdep. Runs as root (IOMMU_OPTION_RLIMIT_MODE), then drops
 * CAP_IPC_LOCK so that the pins are charged to the mm.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/capability.h>

#include "vmm-client.h"
#include "../../../drivers/iommu/iommufd/iommufd_test.h"

#define NDEV		6	/* mock devices: slot i behind instance i % 2 */
#define NVIOMMU		4
#define NVDEV		4
#define NNESTED		4
#define NHWQ		4
#define NVEVQ		3
#define NCHUNK		16
#define CHUNK		0x10000UL
#define IOVA(k)		(0x1000000ULL + (uint64_t)(k) * CHUNK) /* < edu MSI */
#define NVDEV_ID	4	/* vdev_ids 1..4: collisions wanted */
#define EDU_VSID	0x10
#define MAGIC		0x5eed5eedU
#define REGION		(MOCK_MMAP_PAGES * g.page)
#define DYING		(1ULL << 63)
#define SKIP		1
#define MAX_ID		65536
#define NLOG		20
#define NERR		136
#define NSEC		1000000000ULL
#define PACK(hi, lo)	(((uint64_t)(hi) << 32) | (uint32_t)(lo))
#define LO(v)		((uint32_t)(v))
#define HI(v)		((uint32_t)((v) >> 32) & 0x7fffffff)
#define ARGS(w, ...)	snprintf((w)->args, sizeof((w)->args), __VA_ARGS__)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

typedef _Atomic uint64_t slot_t;

struct worker {
	int idx;
	bool edu;
	pthread_t thread;
	uint64_t rng, ops, unexpected;
	_Atomic int cur;
	_Atomic uint64_t started;
	char args[160];
	void *map;		/* a vIOMMU region this thread keeps mapped */
	struct op_stats {
		uint64_t tries, ok, skipped, max_ns;
		uint32_t err[NERR];
	} *st;
};

struct op {
	const char *name;
	int (*fn)(struct worker *w);
	unsigned int weight;
	bool edu;
	int ok_err[6];	/* errnos a race explains, 0-terminated */
	slot_t *slots;	/* of the objects a destroy op destroys */
	int nslots;
};

static struct {
	int fd, fd2;
	size_t page;
	char *buf;
	uint32_t ioas, s2, anchor, anchor_idev;
	uint32_t ioas2, stdev2, idev2, hwpt2, s2_2, viommu2;
	uint64_t viommu2_off;
	slot_t dev[NDEV], entry[NDEV], viommu[NVIOMMU], vdev[NVDEV];
	slot_t nested[NNESTED], hwq[NHWQ];
	struct vevq {
		pthread_mutex_t lock;	/* serializes read() for the seq check */
		uint32_t id, viommu;
		int fd;
		int64_t last_seq;
	} vevq[NVEVQ];
	pthread_rwlock_t fork_lock;	/* children hold copies of our fds */
	_Atomic uint64_t progress;
	const char *_Atomic phase;
	uint64_t t0, deadline, seed;
	unsigned int threads, iters, secs;
	_Atomic uint64_t seen[2][MAX_ID / 64];
} g;

static struct {
	struct edu_sysfs sys;
	int devfd;
	uint32_t dev_id, s2, nested, vdev;
	uint32_t viommu;		/* read by the mock threads too */
	uint64_t vsid, vdev_vsid;	/* live entries of the bound device */
	unsigned int binds;
	char skip[160];
} edu = { .devfd = -1 };

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char unexp_log[NLOG][300];
static unsigned int n_unexp;
static struct worker *workers;
static struct worker tw = { .idx = -1, .cur = -1 }; /* main: checks, teardown */
static const struct op ops[];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static unsigned int rnd(struct worker *w, unsigned int n)
{
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return (w->rng * 0x2545f4914f6cdd1dULL >> 16) % n;
}

static const char *ename(int e)
{
	const char *s = strerrorname_np(e);

	return e ? s ?: "E?" : "success";
}

static void __attribute__((format(printf, 2, 3)))
unexpected(struct worker *w, const char *fmt, ...)
{
	int cur = atomic_load(&w->cur);
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->unexpected++;
	pthread_mutex_lock(&log_lock);
	if (n_unexp < NLOG) {
		snprintf(unexp_log[n_unexp], sizeof(unexp_log[0]),
			 "[t%d] %s(%.80s): %.150s", w->idx,
			 cur >= 0 ? ops[cur].name : atomic_load(&g.phase),
			 w->args, msg);
		note("UNEXPECTED %s", unexp_log[n_unexp]);
	}
	n_unexp++;
	pthread_mutex_unlock(&log_lock);
}

/*
 * Slots: 0 empty, DYING alone reserved for an allocation, DYING | v being
 * destroyed (invisible, so that its ID is not used once it may be reused).
 */
static uint64_t slot_get(slot_t *s)
{
	uint64_t v = atomic_load(s);

	return v & DYING ? 0 : v;
}

static bool slot_reserve(slot_t *s)
{
	uint64_t z = 0;

	return atomic_compare_exchange_strong(s, &z, DYING);
}

static uint64_t slot_claim(slot_t *s)
{
	uint64_t v = slot_get(s);

	return v && atomic_compare_exchange_strong(s, &v, v | DYING) ? v : 0;
}

static void seen(int fdi, uint32_t id)
{
	if (id && id < MAX_ID)
		atomic_fetch_or(&g.seen[fdi][id / 64], 1ULL << (id % 64));
}

/* ---- ioctl wrappers, 0 or -errno ---- */

static int io(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static int test_cmd(int fd, struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return io(fd, IOMMU_TEST_CMD, c);
}

static int mock_dev_new(int fd, uint32_t pt, bool inst1, uint32_t *stdev,
			uint32_t *idev)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, .id = pt,
		.mock_domain_flags.dev_flags =
			inst1 ? MOCK_FLAGS_DEVICE_INSTANCE1 : 0,
	};
	int rc = test_cmd(fd, &c);

	*stdev = c.mock_domain_flags.out_stdev_id;
	*idev = c.mock_domain_flags.out_idev_id;
	seen(fd != g.fd, *stdev);
	seen(fd != g.fd, *idev);
	seen(fd != g.fd, c.mock_domain_flags.out_hwpt_id);
	return rc;
}

static int replace(int fd, uint32_t stdev, uint32_t pt)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
				    .id = stdev, .mock_domain_replace.pt_id = pt };
	int rc = test_cmd(fd, &c);

	seen(0, c.mock_domain_replace.pt_id);	/* an auto-domain */
	return rc;
}

static int dev_id_op(int fd, unsigned long req, uint32_t viommu, uint32_t dev,
		     uint64_t vid)
{
	struct iommu_viommu_set_dev_id s = { .size = sizeof(s),
		.viommu_id = viommu, .dev_id = dev, .vdev_id = vid };

	return io(fd, req, &s);
}

static int get_dev(uint32_t viommu, uint64_t vid, uint32_t *dev)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_VIOMMU_GET_DEV,
				    .id = viommu, .viommu_get_dev.vdev_id = vid };
	int rc = test_cmd(g.fd, &c);

	*dev = c.viommu_get_dev.out_dev_id;
	return rc;
}

static int trigger(uint32_t idev)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT,
				    .trigger_vevent.dev_id = idev };

	return test_cmd(g.fd, &c);
}

static int mock_viommu_new(struct worker *w, int fd, uint32_t dev, uint32_t s2,
			   uint32_t *id, uint64_t *off)
{
	struct iommu_viommu_selftest data = { .in_data = MAGIC };
	struct iommu_viommu_alloc a = {
		.size = sizeof(a), .type = IOMMU_VIOMMU_TYPE_SELFTEST,
		.dev_id = dev, .hwpt_id = s2, .data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	int rc = io(fd, IOMMU_VIOMMU_ALLOC, &a);

	*id = a.out_viommu_id;
	*off = data.out_mmap_offset;
	if (!rc && (data.out_data != ~MAGIC || !*off || *off % g.page ||
		    data.out_mmap_length != REGION))
		unexpected(w, "vIOMMU %u data: out %#x mmap %#llx+%#llx", *id,
			   data.out_data, (unsigned long long)*off,
			   (unsigned long long)data.out_mmap_length);
	return rc;
}

static int destroy_retry(uint32_t id)
{
	int rc, i;

	/* Only a racing lookup of a stale ID may hold it, briefly */
	for (i = 0; i < 200; i++, usleep(5000)) {
		rc = obj_destroy(g.fd, id);
		if (rc != -EBUSY)
			break;
	}
	return rc;
}

/* Close an fd that no fork()ed child holds a copy of any more */
static void close_unshared(int fd)
{
	pthread_rwlock_wrlock(&g.fork_lock);
	close(fd);
	pthread_rwlock_unlock(&g.fork_lock);
}

/* Whole records, increasing sequence numbers, virt_ids the table can have */
static int vevq_read(struct worker *w, struct vevq *q)
{
	static const size_t sizes[] = { 8, 12, 20, 36, 64 };
	struct iommufd_vevent_header h;
	uint32_t buf[17], virt;	/* + a word past the last header */
	ssize_t n = read(q->fd, buf, sizes[rnd(w, ARRAY_SIZE(sizes))]);
	size_t off = 0;

	if (n < 0)
		return -errno;
	for (; off < (size_t)n; off += sizeof(h) + (h.flags ? 0 : 4)) {
		memcpy(&h, (char *)buf + off, sizeof(h));
		memcpy(&virt, (char *)buf + off + sizeof(h), sizeof(virt));
		if (h.flags & ~IOMMU_VEVENTQ_FLAG_LOST_EVENTS)
			unexpected(w, "vEVENT flags %#x", h.flags);
		else if (!h.flags && off + sizeof(h) + 4 > (size_t)n)
			unexpected(w, "part of a record at %zu of %zd", off, n);
		else if (!h.flags && (virt < 1 || virt > NVDEV_ID))
			unexpected(w, "vEVENT virt_id %u", virt);
		if ((int64_t)h.sequence <= q->last_seq)
			unexpected(w, "vEVENT sequence %u after %lld",
				   h.sequence, (long long)q->last_seq);
		q->last_seq = h.sequence;
	}
	return 0;
}

/* ---- mock operations ---- */

static uint32_t pick_viommu(struct worker *w, bool edu_too)
{
	if (edu_too && !rnd(w, 10))	/* EINVAL for mock devices */
		return __atomic_load_n(&edu.viommu, __ATOMIC_RELAXED);
	return LO(slot_get(&g.viommu[rnd(w, NVIOMMU)]));
}

static uint64_t pick_vid(struct worker *w)
{
	return rnd(w, 64) ? 1 + rnd(w, NVDEV_ID) : MOCK_VDEV_ID_MAX + 1;
}

/* idev of a random slot, or of the anchor when @anchor and picked */
static uint32_t pick_idev(struct worker *w, bool anchor)
{
	unsigned int d = rnd(w, NDEV + anchor);

	return d == NDEV ? g.anchor_idev : HI(slot_get(&g.dev[d]));
}

/* IOMMU_DESTROY of a random slot's object */
static int op_destroy(struct worker *w)
{
	const struct op *op = &ops[w->cur];
	int i = rnd(w, op->nslots), rc;
	uint64_t v = slot_claim(&op->slots[i]);

	if (!v)
		return SKIP;
	ARGS(w, "slot %d id %u", i, LO(v));
	rc = obj_destroy(g.fd, LO(v));
	atomic_store(&op->slots[i], rc ? v : 0);
	return rc;
}

static int op_dev_create(struct worker *w)
{
	int i = rnd(w, NDEV), rc;
	uint32_t pt = rnd(w, 4) ? g.ioas : g.s2, stdev, idev;

	if (!slot_reserve(&g.dev[i]))
		return SKIP;
	ARGS(w, "slot %d instance %d pt %u", i, i & 1, pt);
	rc = mock_dev_new(g.fd, pt, i & 1, &stdev, &idev);
	atomic_store(&g.entry[i], 0);
	atomic_store(&g.dev[i], rc ? 0 : PACK(idev, stdev));
	return rc;
}

static int op_dev_replace(struct worker *w)
{
	uint64_t v = slot_get(&g.dev[rnd(w, NDEV)]);
	uint32_t pt = rnd(w, 2) ? g.ioas : g.s2;

	if (!v)
		return SKIP;
	if (rnd(w, 2))
		pt = LO(slot_get(&g.nested[rnd(w, NNESTED)])) ?: pt;
	ARGS(w, "stdev %u -> pt %u", LO(v), pt);
	return replace(g.fd, LO(v), pt);
}

static int op_viommu_alloc(struct worker *w)
{
	int i = rnd(w, NVIOMMU), rc;
	uint32_t dev = pick_idev(w, true), id;
	uint64_t off;

	if (!dev || !slot_reserve(&g.viommu[i]))
		return SKIP;
	ARGS(w, "slot %d dev %u s2 %u", i, dev, g.s2);
	rc = mock_viommu_new(w, g.fd, dev, g.s2, &id, &off);
	if (!rc)
		seen(0, id);
	atomic_store(&g.viommu[i], rc ? 0 : PACK(off / g.page, id));
	return rc;
}

static int op_set_dev_id(struct worker *w)
{
	int d = rnd(w, NDEV), rc;
	uint64_t v = slot_get(&g.dev[d]), vid = pick_vid(w);
	uint32_t viommu = pick_viommu(w, true);

	if (!v || !viommu)
		return SKIP;
	ARGS(w, "viommu %u dev %u vdev_id %#llx", viommu, HI(v),
	     (unsigned long long)vid);
	rc = dev_id_op(g.fd, IOMMU_VIOMMU_SET_DEV_ID, viommu, HI(v), vid);
	if (!rc)
		atomic_store(&g.entry[d], PACK(vid, viommu));
	return rc;
}

static int op_unset_dev_id(struct worker *w)
{
	int d = rnd(w, NDEV), rc;
	uint64_t v = slot_get(&g.dev[d]), e = atomic_load(&g.entry[d]);

	if (!e || !rnd(w, 4))	/* mostly what a SET left, else anything */
		e = PACK(pick_vid(w), pick_viommu(w, true));
	if (!v || !LO(e))
		return SKIP;
	ARGS(w, "viommu %u dev %u vdev_id %#x", LO(e), HI(v), HI(e));
	rc = dev_id_op(g.fd, IOMMU_VIOMMU_UNSET_DEV_ID, LO(e), HI(v), HI(e));
	if (!rc)
		atomic_compare_exchange_strong(&g.entry[d], &e, 0);
	return rc;
}

static int op_vdev_alloc(struct worker *w)
{
	int i = rnd(w, NVDEV), rc;
	struct iommu_vdevice_alloc a = {
		.size = sizeof(a), .viommu_id = pick_viommu(w, true),
		.dev_id = pick_idev(w, false), .virt_id = pick_vid(w),
	};

	if (!a.viommu_id || !a.dev_id || !slot_reserve(&g.vdev[i]))
		return SKIP;
	ARGS(w, "slot %d viommu %u dev %u virt_id %#llx", i, a.viommu_id,
	     a.dev_id, (unsigned long long)a.virt_id);
	rc = io(g.fd, IOMMU_VDEVICE_ALLOC, &a);
	if (!rc)
		seen(0, a.out_vdevice_id);
	atomic_store(&g.vdev[i], rc ? 0 : a.out_vdevice_id);
	return rc;
}

static int op_nested_alloc(struct worker *w)
{
	int i = rnd(w, NNESTED), rc;
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .dev_id = pick_idev(w, true),
		.pt_id = pick_viommu(w, true),
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data), .data_uptr = (uintptr_t)&data,
	};

	if (!a.dev_id || !a.pt_id || !slot_reserve(&g.nested[i]))
		return SKIP;
	ARGS(w, "slot %d dev %u viommu %u", i, a.dev_id, a.pt_id);
	rc = io(g.fd, IOMMU_HWPT_ALLOC, &a);
	if (!rc)
		seen(0, a.out_hwpt_id);
	atomic_store(&g.nested[i], rc ? 0 : a.out_hwpt_id);
	return rc;
}

static int op_map(struct worker *w)
{
	unsigned int k = rnd(w, NCHUNK);
	unsigned int n = k + 1 < NCHUNK && !rnd(w, 4) ? 2 : 1;

	ARGS(w, "iova %#llx len %#lx", (unsigned long long)IOVA(k), n * CHUNK);
	return ioas_map_fixed(g.fd, g.ioas, g.buf + k * CHUNK, n * CHUNK,
			      IOVA(k));
}

static int op_unmap(struct worker *w)
{
	unsigned int k = rnd(w, NCHUNK);
	uint64_t iova = IOVA(k), done = 0;
	uint64_t len = (k + 1 < NCHUNK && !rnd(w, 4) ? 2 : 1) * CHUNK;
	int rc;

	if (!rnd(w, 16)) {	/* everything */
		iova = 0;
		len = UINT64_MAX;
	}
	ARGS(w, "iova %#llx len %#llx", (unsigned long long)iova,
	     (unsigned long long)len);
	rc = ioas_unmap(g.fd, g.ioas, iova, len, &done);
	if (!rc && iova && (!done || done > len))
		unexpected(w, "unmapped %#llx bytes", (unsigned long long)done);
	return rc;
}

static int op_invalidate(struct worker *w)
{
	struct iommu_viommu_invalidate_selftest vi[3];
	struct iommu_hwpt_invalidate_selftest hi[3];
	bool nested = !rnd(w, 8);
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.hwpt_id = nested ? LO(slot_get(&g.nested[rnd(w, NNESTED)])) :
				    pick_viommu(w, true),
		.data_uptr = nested ? (uintptr_t)hi : (uintptr_t)vi,
		.data_type = nested ? IOMMU_HWPT_INVALIDATE_DATA_SELFTEST :
				      IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
		.entry_len = nested ? sizeof(hi[0]) : sizeof(vi[0]),
		.entry_num = 1 + rnd(w, 3),
	};
	unsigned int j, n = inv.entry_num;
	int rc;

	if (!inv.hwpt_id)
		return SKIP;
	for (j = 0; j < n; j++) {
		hi[j].flags = vi[j].flags =
			rnd(w, 2) ? IOMMU_TEST_INVALIDATE_FLAG_ALL : 0;
		hi[j].iotlb_id = rnd(w, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1);
		vi[j].vdev_id = 1 + rnd(w, NVDEV_ID + 1);
		vi[j].cache_id = rnd(w, MOCK_DEV_CACHE_ID_MAX + 1);
	}
	ARGS(w, "%s %u, %u entries, vdev_id %u..", nested ? "nested" : "viommu",
	     inv.hwpt_id, n, vi[0].vdev_id);
	rc = io(g.fd, IOMMU_HWPT_INVALIDATE, &inv);
	if (rc ? inv.entry_num >= n : inv.entry_num != n)
		unexpected(w, "entry_num %u of %u with %s", inv.entry_num, n,
			   ename(-rc));
	return rc;
}

static int op_hwq_alloc(struct worker *w)
{
	int i = rnd(w, NHWQ), j, rc;
	uint64_t iova = IOVA(rnd(w, NCHUNK)) + rnd(w, CHUNK / g.page) * g.page;
	struct iommu_hw_queue_alloc a = {
		.size = sizeof(a), .type = IOMMU_HW_QUEUE_TYPE_SELFTEST,
		.nesting_parent_iova = iova + (rnd(w, 2) ? 0 : 64 * rnd(w, 8)),
	};

	/* Half of the time queue 1, on a vIOMMU that has a queue 0 */
	for (j = rnd(w, 2) ? 0 : NHWQ; j < NHWQ; j++) {
		uint64_t q = slot_get(&g.hwq[j]);

		if (q && !(HI(q) & 1)) {
			a.viommu_id = HI(q) >> 1;
			a.index = 1;
			break;
		}
	}
	a.viommu_id = a.viommu_id ?: pick_viommu(w, false);
	a.length = iova + g.page - a.nesting_parent_iova; /* one page */
	if (!a.viommu_id || !slot_reserve(&g.hwq[i]))
		return SKIP;
	ARGS(w, "slot %d viommu %u index %u iova %#llx len %#llx", i,
	     a.viommu_id, a.index, (unsigned long long)a.nesting_parent_iova,
	     (unsigned long long)a.length);
	rc = io(g.fd, IOMMU_HW_QUEUE_ALLOC, &a);
	if (!rc)
		seen(0, a.out_hw_queue_id);
	atomic_store(&g.hwq[i], rc ? 0 : PACK(a.viommu_id << 1 | a.index,
					      a.out_hw_queue_id));
	return rc;
}

static void *map_region(struct worker *w, int fd, uint64_t v, int *rc)
{
	volatile uint32_t *p;

	ARGS(w, "fd%d viommu %u offset %#llx", fd == g.fd ? 1 : 2, LO(v),
	     (unsigned long long)HI(v) * g.page);
	p = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)HI(v) * g.page);
	if (p == MAP_FAILED) {
		*rc = -errno;
		return NULL;
	}
	if (*p != MAGIC)
		unexpected(w, "region reads %#x, not %#x", *p, MAGIC);
	p[g.page / 4] = w->idx;
	return (void *)p;
}

static int op_mmap(struct worker *w)
{
	uint64_t v = slot_get(&g.viommu[rnd(w, NVIOMMU)]);
	int rc = 0;
	void *p;

	if (!v)
		return SKIP;
	p = map_region(w, g.fd, v, &rc);
	if (!p)
		return rc;
	if (w->map)
		munmap(w->map, REGION);
	w->map = rnd(w, 2) ? p : NULL;	/* held, the vIOMMU stays busy */
	if (!w->map)
		munmap(p, REGION);
	return 0;
}

static int op_munmap(struct worker *w)
{
	int rc;

	if (!w->map)
		return SKIP;
	ARGS(w, "%p", w->map);
	/* Sometimes a page at a time: the split VMA holds the vIOMMU too */
	if (!rnd(w, 2) && munmap((char *)w->map + g.page, REGION - g.page))
		rc = -errno;
	else
		rc = munmap(w->map, REGION) ? -errno : 0;
	w->map = NULL;
	return rc;
}

/* A child reads the region through its copy of the mapping and exits */
static int op_fork(struct worker *w)
{
	uint64_t v = slot_get(&g.viommu[rnd(w, NVIOMMU)]);
	int rc = 0, pfd[2], status = 0;
	bool early = rnd(w, 2);
	pid_t pid;
	char c;
	void *p;

	if (!v)
		return SKIP;
	p = map_region(w, g.fd, v, &rc);
	if (p && pipe(pfd)) {
		rc = -errno;
		munmap(p, REGION);
		p = NULL;
	}
	if (!p)
		return rc;
	pthread_rwlock_rdlock(&g.fork_lock);
	pid = fork();
	if (!pid) {
		volatile uint32_t *q = p;

		/* Drop the copies of our fds before the parent goes on */
		if (pfd[1] > 3)
			syscall(SYS_close_range, 3, pfd[1] - 1, 0);
		syscall(SYS_close_range, pfd[1] + 1, ~0U, 0);
		if (write(pfd[1], "x", 1) != 1)
			_exit(2);
		close(pfd[1]);
		q[g.page / 4 + 1] = q[0];
		_exit(q[0] == MAGIC ? 0 : 3);
	}
	rc = pid < 0 ? -errno : 0;
	close(pfd[1]);
	if (pid > 0 && read(pfd[0], &c, 1) != 1)
		unexpected(w, "child %d did not report", pid);
	close(pfd[0]);
	pthread_rwlock_unlock(&g.fork_lock);
	if (early || pid < 0)	/* the child's copy alone holds the vIOMMU */
		munmap(p, REGION);
	if (pid > 0 && waitpid(pid, &status, 0) == pid &&
	    (!WIFEXITED(status) || WEXITSTATUS(status)))
		unexpected(w, "child status %#x", status);
	if (!early && pid > 0)
		munmap(p, REGION);
	return rc;
}

static int op_vevq_alloc(struct worker *w)
{
	struct vevq *q = &g.vevq[rnd(w, NVEVQ)];
	uint32_t viommu = pick_viommu(w, false), id = 0, depth = 1 + rnd(w, 4);
	int rc = SKIP, qfd = -1;

	if (!viommu || pthread_mutex_trylock(&q->lock))
		return SKIP;
	if (!q->id) {
		ARGS(w, "viommu %u depth %u", viommu, depth);
		rc = veventq_alloc(g.fd, viommu, IOMMU_VEVENTQ_TYPE_SELFTEST,
				   depth, &id, &qfd);
		if (!rc) {
			seen(0, id);
			q->id = id;
			q->fd = qfd;
			q->viommu = viommu;
			q->last_seq = -1;
		}
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static int op_trigger(struct worker *w)
{
	uint32_t dev = pick_idev(w, false);

	if (!dev)
		return SKIP;
	ARGS(w, "dev %u", dev);
	return trigger(dev);
}

static int op_vevq_read(struct worker *w)
{
	struct vevq *q = &g.vevq[rnd(w, NVEVQ)];
	int rc = SKIP;

	pthread_mutex_lock(&q->lock);
	if (q->id) {
		ARGS(w, "vevq %u fd %d viommu %u", q->id, q->fd, q->viommu);
		rc = vevq_read(w, q);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static int op_vevq_close(struct worker *w)
{
	struct vevq *q = &g.vevq[rnd(w, NVEVQ)];
	int rc = SKIP;

	pthread_mutex_lock(&q->lock);
	if (q->id) {
		ARGS(w, "vevq %u fd %d viommu %u", q->id, q->fd, q->viommu);
		rc = obj_destroy(g.fd, q->id);
		if (rc != -EBUSY)
			unexpected(w, "destroy with its fd open: %s",
				   ename(-rc));
		close_unshared(q->fd);
		rc = rc ? destroy_retry(q->id) : 0;
		if (!rc)
			q->id = 0;
		else	/* kept for the teardown */
			q->fd = open("/dev/null", O_RDONLY);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* IDs of the first iommufd mean nothing to the second one */
static int op_cross(struct worker *w)
{
	uint64_t v = slot_get(&g.viommu[rnd(w, NVIOMMU)]);
	uint32_t id = LO(v), out = 0;
	int rc = 0, want = -ENOENT, qfd = -1;
	void *p;

	if (!v || id <= g.viommu2)	/* fd2's own IDs are 1..viommu2 */
		return SKIP;
	switch (rnd(w, 3)) {
	case 0:
		ARGS(w, "fd2 SET_DEV_ID viommu %u dev %u", id, g.idev2);
		rc = dev_id_op(g.fd2, IOMMU_VIOMMU_SET_DEV_ID, id, g.idev2, 1);
		break;
	case 1:
		ARGS(w, "fd2 VEVENTQ_ALLOC viommu %u", id);
		rc = veventq_alloc(g.fd2, id, IOMMU_VEVENTQ_TYPE_SELFTEST, 1,
				   &out, &qfd);
		if (!rc)
			close(qfd);
		break;
	default:
		if ((uint64_t)HI(v) * g.page == g.viommu2_off)
			return SKIP;
		p = map_region(w, g.fd2, v, &rc);
		if (p)
			munmap(p, REGION);
		want = -ENXIO;
	}
	if (!rc) {
		unexpected(w, "the second iommufd took vIOMMU %u", id);
		if (out)
			obj_destroy(g.fd2, out);
	}
	return rc == want ? 0 : rc;
}

static int op_s2_busy(struct worker *w)
{
	int rc;

	ARGS(w, "s2 %u, anchor %u attached", g.s2, g.anchor);
	rc = obj_destroy(g.fd, g.s2);
	if (!rc)
		unexpected(w, "the S2 went while a device is attached to it");
	return rc == -EBUSY ? 0 : rc;
}

/* ---- edu operations: one thread, its VFIO cdev on the same IOAS ---- */

/* Open and bind the cdev, or close it: the unbind takes every entry along */
static int edu_bind(struct worker *w)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b),
					      .iommufd = g.fd };
	uint64_t vsid;
	uint32_t dev;
	int rc;

	if (edu.devfd >= 0 && rnd(w, 4))
		return SKIP;
	if (edu.devfd >= 0) {
		ARGS(w, "close dev %u, viommu %u", edu.dev_id, edu.viommu);
		close_unshared(edu.devfd);
		edu.devfd = -1;
		edu.vsid = edu.vdev_vsid = 0;
		for (vsid = EDU_VSID; edu.viommu && vsid < EDU_VSID + 2; vsid++)
			if ((rc = get_dev(edu.viommu, vsid, &dev)) != -ENOENT)
				unexpected(w, "vSID %#llx -> %u after the unbind: %s",
					   (unsigned long long)vsid, dev, ename(-rc));
		return 0;
	}
	ARGS(w, "open+bind %s", edu.sys.cdev);
	edu.devfd = open(edu.sys.cdev, O_RDWR);
	rc = edu.devfd < 0 ? -errno : io(edu.devfd, VFIO_DEVICE_BIND_IOMMUFD, &b);
	if (rc && edu.devfd >= 0)
		close(edu.devfd);
	if (rc) {
		edu.devfd = -1;
		return rc;
	}
	edu.binds++;
	seen(0, edu.dev_id = b.out_devid);
	return 0;
}

/*
 * Never the IOAS nor a mock HWPT: a replace onto a domain of another driver
 * is not refused (iommu_replace_group_handle() has no domain->owner check),
 * the mock driver takes the PCI device, and the next SMMU attach Oopses.
 * The auto-domains of the shared IOAS are mock ones.
 */
static int edu_attach(struct worker *w)
{
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };

	at.pt_id = rnd(w, 3) ? edu.nested : edu.s2;
	if (edu.devfd < 0 || (!at.pt_id && rnd(w, 4)))
		return SKIP;
	ARGS(w, "dev %u to %u", edu.dev_id, at.pt_id);
	if (!at.pt_id)
		return io(edu.devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt);
	return io(edu.devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
}

/* Destroy an edu object (EBUSY while held), or allocate it with @alloc */
static int edu_toggle(struct worker *w, uint32_t *id,
		      int (*alloc)(struct worker *w))
{
	int rc;

	if (*id) {
		ARGS(w, "destroy %u", *id);
		rc = obj_destroy(g.fd, *id);
		*id = rc ? *id : 0;
		return rc;
	}
	if (edu.devfd < 0)
		return SKIP;
	rc = alloc(w);
	seen(0, *id);
	return rc;
}

static int edu_s2_alloc(struct worker *w)
{
	ARGS(w, "NEST_PARENT for dev %u on IOAS %u", edu.dev_id, g.ioas);
	return nest_parent_alloc(g.fd, edu.dev_id, g.ioas, &edu.s2);
}

static int edu_viommu_alloc(struct worker *w)
{
	if (!edu.s2)
		return SKIP;
	ARGS(w, "ARM_SMMUV3 vIOMMU, dev %u on S2 %u", edu.dev_id, edu.s2);
	return viommu_alloc(g.fd, edu.dev_id, edu.s2, &edu.viommu);
}

/* Invalid (abort), valid abort or valid bypass vSTE: STE.Config [3:1] */
static int edu_nested_alloc(struct worker *w)
{
	static const uint64_t ste0[] = { 0, 1, 1 | 4 << 1 };
	struct iommu_hwpt_arm_smmuv3 ste = { .ste = { ste0[rnd(w, 3)] } };
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .dev_id = edu.dev_id, .pt_id = edu.viommu,
		.data_type = IOMMU_HWPT_DATA_ARM_SMMUV3,
		.data_len = sizeof(ste), .data_uptr = (uintptr_t)&ste,
	};
	int rc;

	if (!a.pt_id)
		return SKIP;
	ARGS(w, "dev %u viommu %u ste0 %#llx", a.dev_id, a.pt_id,
	     (unsigned long long)ste.ste[0]);
	rc = io(g.fd, IOMMU_HWPT_ALLOC, &a);
	edu.nested = rc ? 0 : a.out_hwpt_id;
	return rc;
}

static int edu_s2(struct worker *w)
{
	return edu_toggle(w, &edu.s2, edu_s2_alloc);
}

static int edu_viommu(struct worker *w)
{
	return edu_toggle(w, &edu.viommu, edu_viommu_alloc);
}

static int edu_nested(struct worker *w)
{
	return edu_toggle(w, &edu.nested, edu_nested_alloc);
}

/* An entry by SET_DEV_ID or a vDEVICE (in a mock vIOMMU: EINVAL), or none */
static int edu_dev_id(struct worker *w)
{
	struct iommu_vdevice_alloc a = { .size = sizeof(a),
		.viommu_id = rnd(w, 4) ? edu.viommu : pick_viommu(w, false),
		.dev_id = edu.dev_id, .virt_id = EDU_VSID + rnd(w, 2) };
	bool vdev = !edu.vdev && rnd(w, 2);
	int rc;

	if (edu.vdev && rnd(w, 2)) {
		ARGS(w, "destroy vDEVICE %u", edu.vdev);
		rc = destroy_retry(edu.vdev);
		if (rc == -ENOENT)
			unexpected(w, "the edu's vDEVICE %u: ENOENT", edu.vdev);
		edu.vdev = rc ? edu.vdev : 0;
		edu.vdev_vsid = rc ? edu.vdev_vsid : 0;
		return rc;
	}
	if (edu.vsid) {
		ARGS(w, "UNSET viommu %u dev %u vsid %#llx", edu.viommu,
		     edu.dev_id, (unsigned long long)edu.vsid);
		rc = dev_id_op(g.fd, IOMMU_VIOMMU_UNSET_DEV_ID, edu.viommu,
			       edu.dev_id, edu.vsid);
		if (rc == -ENOENT)
			unexpected(w, "UNSET of the edu's own entry: ENOENT");
		edu.vsid = rc ? edu.vsid : 0;
		return rc;
	}
	if (edu.devfd < 0 || !a.viommu_id)
		return SKIP;
	ARGS(w, "%s viommu %u dev %u vsid %#llx", vdev ? "VDEVICE" : "SET",
	     a.viommu_id, a.dev_id, (unsigned long long)a.virt_id);
	rc = vdev ? io(g.fd, IOMMU_VDEVICE_ALLOC, &a) :
		    dev_id_op(g.fd, IOMMU_VIOMMU_SET_DEV_ID, a.viommu_id,
			      a.dev_id, a.virt_id);
	/*
	 * A mock vIOMMU read from a slot can be destroyed by another worker
	 * before the ioctl (ENOENT, allowed above); the edu's own cannot.
	 */
	if (rc == -ENOENT && a.viommu_id == edu.viommu)
		unexpected(w, "the edu's own vIOMMU %u: ENOENT", a.viommu_id);
	if (!rc && a.viommu_id != edu.viommu)
		unexpected(w, "the edu device got an entry in a mock vIOMMU");
	else if (!rc && vdev)
		seen(0, edu.vdev = a.out_vdevice_id);
	if (!rc)
		*(vdev ? &edu.vdev_vsid : &edu.vsid) = a.virt_id;
	return rc;
}

/* TLBI_NH_ASID, CFGI_CD_ALL of a vSID (one with an entry must work), ... */
static int edu_invalidate(struct worker *w)
{
	struct iommu_viommu_arm_smmuv3_invalidate cmd[3] = {};
	uint64_t vsid = edu.devfd < 0 ? 0 : edu.vsid ?: edu.vdev_vsid;
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv), .hwpt_id = edu.viommu,
		.data_uptr = (uintptr_t)cmd,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = sizeof(cmd[0]), .entry_num = 2 + rnd(w, 2),
	};
	unsigned int n = inv.entry_num;
	int rc;

	if (!inv.hwpt_id)
		return SKIP;
	cmd[0].cmd[0] = htole64(0x11 | (uint64_t)rnd(w, 4) << 48);
	cmd[1].cmd[0] = htole64(0x06 | (vsid ?: EDU_VSID + rnd(w, 2)) << 32);
	cmd[2].cmd[0] = htole64(0x30);	/* ... TLBI_NSNH_ALL */
	ARGS(w, "viommu %u, %u cmds, vsid %#llx%s", inv.hwpt_id, n,
	     (unsigned long long)le64toh(cmd[1].cmd[0]) >> 32,
	     vsid ? " (has an entry)" : "");
	rc = io(g.fd, IOMMU_HWPT_INVALIDATE, &inv);
	if (vsid && rc)
		unexpected(w, "commands for a vSID with an entry: %s",
			   ename(-rc));
	if (rc ? inv.entry_num >= n : inv.entry_num != n)
		unexpected(w, "entry_num %u of %u", inv.entry_num, n);
	return rc;
}

#define OP(name, fn, weight, edu, ...) \
	{ name, fn, weight, edu, { __VA_ARGS__ }, NULL, 0 }
#define DOP(name, slots, n) { name, op_destroy, 3, 0, { EBUSY }, slots, n }

static const struct op ops[] = {
	OP("dev_create", op_dev_create, 3, 0, 0),
	DOP("dev_destroy", g.dev, NDEV),
	OP("dev_replace", op_dev_replace, 6, 0, ENOENT, EINVAL),
	OP("viommu_alloc", op_viommu_alloc, 3, 0, ENOENT),
	DOP("viommu_destroy", g.viommu, NVIOMMU),
	OP("set_dev_id", op_set_dev_id, 8, 0, ENOENT, EINVAL, EEXIST),
	OP("unset_dev_id", op_unset_dev_id, 6, 0, ENOENT, EBUSY),
	OP("vdevice_alloc", op_vdev_alloc, 5, 0, ENOENT, EINVAL, EEXIST),
	DOP("vdevice_destroy", g.vdev, NVDEV),
	OP("nested_alloc", op_nested_alloc, 4, 0, ENOENT, EINVAL),
	DOP("nested_destroy", g.nested, NNESTED),
	OP("ioas_map", op_map, 5, 0, EEXIST),
	OP("ioas_unmap", op_unmap, 5, 0, ENOENT, EBUSY),
	/* a stale vIOMMU ID may name a nested HWPT now: E2BIG, EOPNOTSUPP */
	OP("invalidate", op_invalidate, 8, 0, ENOENT, EINVAL, E2BIG, EOPNOTSUPP),
	OP("hwq_alloc", op_hwq_alloc, 4, 0, ENOENT, EEXIST, EIO),
	DOP("hwq_destroy", g.hwq, NHWQ),
	OP("mmap", op_mmap, 3, 0, ENXIO),
	OP("munmap", op_munmap, 2, 0, 0),
	OP("mmap_fork", op_fork, 1, 0, ENXIO),
	OP("veventq_alloc", op_vevq_alloc, 3, 0, ENOENT, EEXIST),
	OP("trigger_vevent", op_trigger, 6, 0, ENOENT, EOPNOTSUPP, EOVERFLOW),
	OP("veventq_read", op_vevq_read, 4, 0, 0),
	OP("veventq_close", op_vevq_close, 3, 0, 0),
	OP("cross_fd", op_cross, 2, 0, 0),
	OP("s2_destroy_busy", op_s2_busy, 1, 0, 0),
	OP("edu_bind_close", edu_bind, 3, 1, 0),
	OP("edu_attach", edu_attach, 5, 1, 0),
	OP("edu_s2", edu_s2, 2, 1, EBUSY),
	OP("edu_viommu", edu_viommu, 2, 1, EBUSY),
	OP("edu_dev_id", edu_dev_id, 8, 1, ENOENT, EINVAL, EEXIST),
	OP("edu_nested", edu_nested, 3, 1, EBUSY),
	OP("edu_invalidate", edu_invalidate, 5, 1, EIO),
};
#define NOPS ARRAY_SIZE(ops)

static void run_op(struct worker *w, int i)
{
	struct op_stats *st = &w->st[i];
	uint64_t t0 = now_ns(), dt;
	const int *e;
	int rc;

	w->args[0] = 0;
	atomic_store(&w->started, t0);
	atomic_store(&w->cur, i);
	rc = ops[i].fn(w);
	dt = now_ns() - t0;
	atomic_store(&g.progress, t0 + dt);
	if (rc == SKIP) {
		st->skipped++;
	} else {
		w->ops++;
		st->tries++;
		st->ok += !rc;
		st->err[-rc < NERR ? -rc : NERR - 1]++;
		st->max_ns = dt > st->max_ns ? dt : st->max_ns;
		if (dt > 20 * NSEC)
			unexpected(w, "took %llu ms",
				   (unsigned long long)dt / 1000000);
		for (e = ops[i].ok_err; rc && *e && *e != -rc; e++)
			;
		if (rc && !*e)
			unexpected(w, "%s", ename(-rc));
	}
	atomic_store(&w->cur, -1);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int total = 0, i, r;

	for (i = 0; i < NOPS; i++)
		total += ops[i].edu == w->edu ? ops[i].weight : 0;
	while (w->ops < g.iters && now_ns() < g.deadline) {
		r = rnd(w, total);
		for (i = 0; ops[i].edu != w->edu || r >= ops[i].weight; i++)
			r -= ops[i].edu == w->edu ? ops[i].weight : 0;
		run_op(w, i);
	}
	if (w->map)
		munmap(w->map, REGION);
	return NULL;
}

static void *watchdog(void *arg __attribute__((unused)))
{
	unsigned int i;

	for (;; usleep(500000)) {
		uint64_t last = atomic_load(&g.progress), now = now_ns();
		uint64_t idle = now > last ? now - last : 0;

		if (idle < 60 * NSEC && now - g.t0 < (g.secs + 120) * NSEC)
			continue;
		note("watchdog: no progress for %llu s, %llu s since the start, in %s",
		     (unsigned long long)idle / NSEC,
		     (unsigned long long)(now - g.t0) / NSEC,
		     atomic_load(&g.phase));
		for (i = 0; i <= g.threads; i++) {
			struct worker *w = &workers[i];
			int cur = atomic_load(&w->cur);

			last = atomic_load(&w->started);
			note("  thread %d%s: %s(%s) for %llu s", i,
			     w->edu ? " (edu)" : "",
			     cur >= 0 ? ops[cur].name : "-", w->args,
			     cur < 0 || last > now ? 0ULL :
			     (unsigned long long)(now - last) / NSEC);
		}
		printf("Bail out! watchdog: stuck\n");
		fflush(stdout);
		_exit(1);
	}
	return NULL;
}

#define MUST(call) do {							\
	int __rc = (call);						\
	if (__rc) {							\
		printf("Bail out! %s: %s\n", #call, ename(-__rc));	\
		exit(1);						\
	}								\
} while (0)

static void setup(void)
{
	struct iommu_option opt = {
		.size = sizeof(opt), .option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET, .val64 = 1,
	};
	struct __user_cap_header_struct ch = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct cd[2];
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	uint32_t stdev, idev, id;
	uint64_t off;
	int i;

	g.fd = open("/dev/iommu", O_RDWR);
	g.fd2 = open("/dev/iommu", O_RDWR);
	MUST(g.fd < 0 || g.fd2 < 0 ? -errno : 0);
	/* Pins charged to this mm, and really: without CAP_IPC_LOCK */
	MUST(io(g.fd, IOMMU_OPTION, &opt));
	MUST(setrlimit(RLIMIT_MEMLOCK, &rl) ? -errno : 0);
	MUST(syscall(SYS_capget, &ch, cd) ? -errno : 0);
	cd[0].effective &= ~(1U << CAP_IPC_LOCK);
	MUST(syscall(SYS_capset, &ch, cd) ? -errno : 0);
	MUST(io(g.fd, IOMMU_IOAS_ALLOC, &ia));
	seen(0, g.ioas = ia.out_ioas_id);
	g.buf = mmap(NULL, NCHUNK * CHUNK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	MUST(g.buf == MAP_FAILED ? -errno : 0);
	for (i = 0; i < NCHUNK; i += 2)
		MUST(ioas_map_fixed(g.fd, g.ioas, g.buf + i * CHUNK, CHUNK,
				    IOVA(i)));
	/* The anchor keeps the shared S2 busy: it moves there and stays */
	MUST(mock_dev_new(g.fd, g.ioas, false, &g.anchor, &g.anchor_idev));
	MUST(nest_parent_alloc(g.fd, g.anchor_idev, g.ioas, &g.s2));
	seen(0, g.s2);
	MUST(replace(g.fd, g.anchor, g.s2));
	for (i = 0; i < NDEV; i++) {
		MUST(mock_dev_new(g.fd, g.ioas, i & 1, &stdev, &idev));
		atomic_store(&g.dev[i], PACK(idev, stdev));
	}
	for (i = 0; i < 2; i++) {	/* one vIOMMU on each instance */
		MUST(mock_viommu_new(&tw, g.fd, HI(slot_get(&g.dev[i])), g.s2,
				     &id, &off));
		seen(0, id);
		atomic_store(&g.viommu[i], PACK(off / g.page, id));
	}
	/* The second iommufd: its own IOAS, device, S2 and vIOMMU */
	MUST(io(g.fd2, IOMMU_IOAS_ALLOC, &ia));
	g.ioas2 = ia.out_ioas_id;
	MUST(mock_dev_new(g.fd2, g.ioas2, true, &g.stdev2, &g.idev2));
	MUST(nest_parent_alloc(g.fd2, g.idev2, g.ioas2, &g.s2_2));
	MUST(mock_viommu_new(&tw, g.fd2, g.idev2, g.s2_2, &g.viommu2,
			     &g.viommu2_off));
	for (id = 1; id <= g.viommu2; id++)
		seen(1, id);
	for (i = 0; i < NVEVQ; i++)
		pthread_mutex_init(&g.vevq[i].lock, NULL);
	pthread_rwlock_init(&g.fork_lock, NULL);
}

static void edu_setup(void)
{
	struct edu_sysfs found[EDU_MAX];
	int n = edu_sysfs_find(found, EDU_MAX), i, rc;

	for (i = 0; i < n && !found[i].cdev[0]; i++)
		;
	if (i == n || access(found[i].cdev, F_OK)) {
		snprintf(edu.skip, sizeof(edu.skip), "no VFIO cdev (%d edu)", n);
		return;
	}
	edu.sys = found[i];
	rc = edu_bind(&tw) ?: edu_s2_alloc(&tw);
	seen(0, edu.s2);
	if (rc)
		snprintf(edu.skip, sizeof(edu.skip), "%.60s: %s (%.60s)",
			 edu.sys.cdev, ename(-rc), tw.args);
}

/* Quiesced: the core's dev-id tables agree with themselves and the driver */
static void check_tables(void)
{
	uint32_t idevs[NDEV + 1], vi, dev;
	unsigned int cnt[NDEV + 1] = {}, i, d;
	uint64_t vid;
	int rc;

	atomic_store(&g.phase, "dev-id table check");
	for (d = 0; d <= NDEV; d++)
		idevs[d] = d < NDEV ? HI(slot_get(&g.dev[d])) : g.anchor_idev;
	for (i = 0; i <= NVIOMMU; i++) {
		vi = i < NVIOMMU ? LO(slot_get(&g.viommu[i])) : edu.viommu;
		for (vid = 1; vi && vid <= EDU_VSID + 1; vid++) {
			ARGS(&tw, "viommu %u vdev_id %#llx", vi,
			     (unsigned long long)vid);
			rc = get_dev(vi, vid, &dev);
			for (d = 0; !rc && d <= NDEV && idevs[d] != dev; d++)
				;
			if (rc && rc != -ENOENT)
				unexpected(&tw, "GET_DEV: %s", ename(-rc));
			else if (!rc && d <= NDEV)
				cnt[d]++;
			else if (!rc && (dev != edu.dev_id || edu.devfd < 0))
				unexpected(&tw, "-> %u, no bound device", dev);
		}
	}
	for (d = 0; d <= NDEV; d++) {
		ARGS(&tw, "dev %u in %u entries", idevs[d], cnt[d]);
		rc = idevs[d] ? trigger(idevs[d]) : -ENOENT;
		if (cnt[d] > 1 || (cnt[d] ? rc == -ENOENT : rc != -ENOENT))
			unexpected(&tw, "vEVENT: %s", ename(-rc));
	}
	for (i = 0; i < NVEVQ; i++)	/* what the triggers queued */
		if (g.vevq[i].id)
			vevq_read(&tw, &g.vevq[i]);
}

/* Random order, in rounds: what is still held answers EBUSY */
static void teardown(void)
{
	struct { int fd, kind; uint32_t id; const char *what; } it[64], t;
	unsigned int n = 0, i, j, k, round;
	uint64_t len;
	int rc;

#define ADD(_fd, _kind, _id, _what) do {				\
	if (_id)							\
		it[n++] = (typeof(t)){ _fd, _kind, _id, _what };	\
} while (0)
	atomic_store(&g.phase, "teardown");
	for (i = 0; i < NDEV; i++)
		ADD(g.fd, 0, LO(slot_get(&g.dev[i])), "mock device");
	for (i = 0; i < NVIOMMU; i++)
		ADD(g.fd, 0, LO(slot_get(&g.viommu[i])), "vIOMMU");
	for (i = 0; i < NVDEV; i++)
		ADD(g.fd, 0, LO(slot_get(&g.vdev[i])), "vDEVICE");
	for (i = 0; i < NNESTED; i++)
		ADD(g.fd, 0, LO(slot_get(&g.nested[i])), "nested HWPT");
	for (i = 0; i < NHWQ; i++)
		ADD(g.fd, 0, LO(slot_get(&g.hwq[i])), "HW queue");
	for (i = 0; i < NVEVQ; i++) {
		ADD(g.fd, 1, g.vevq[i].id ? g.vevq[i].fd : 0, "vEVENTQ fd");
		ADD(g.fd, 0, g.vevq[i].id, "vEVENTQ");
	}
	ADD(g.fd, 0, g.anchor, "anchor device");
	ADD(g.fd, 0, g.s2, "shared S2");
	ADD(g.fd, 2, g.ioas, "unmap all of IOAS");
	ADD(g.fd, 1, edu.devfd >= 0 ? edu.devfd : 0, "edu cdev fd");
	ADD(g.fd, 0, edu.s2, "edu S2");
	ADD(g.fd, 0, edu.viommu, "edu vIOMMU");
	ADD(g.fd, 0, edu.nested, "edu nested HWPT");
	ADD(g.fd, 0, edu.vdev, "edu vDEVICE");
	ADD(g.fd2, 0, g.stdev2, "fd2 device");
	ADD(g.fd2, 0, g.viommu2, "fd2 vIOMMU");
	ADD(g.fd2, 0, g.s2_2, "fd2 S2");
	for (round = 1; n; round++) {
		for (i = n; i > 1; i--) {
			j = rnd(&tw, i);
			t = it[i - 1];
			it[i - 1] = it[j];
			it[j] = t;
		}
		for (i = 0, k = 0; i < n; i++) {
			ARGS(&tw, "%s %u", it[i].what, it[i].id);
			rc = it[i].kind == 1 ? close(it[i].id) ? -errno : 0 :
			     it[i].kind == 2 ? ioas_unmap(it[i].fd, it[i].id,
							  0, UINT64_MAX, &len) :
			     obj_destroy(it[i].fd, it[i].id);
			atomic_store(&g.progress, now_ns());
			if (rc == -EBUSY)
				it[k++] = it[i];
			else if (rc)
				unexpected(&tw, "%s", ename(-rc));
		}
		if (k == n)
			break;
		n = k;
	}
	for (i = 0; i < n; i++) {
		ARGS(&tw, "%s %u", it[i].what, it[i].id);
		unexpected(&tw, "still EBUSY after %u rounds", round);
	}
	note("teardown: %u rounds in random order", round);
}

/* The IOASes are empty, and no ID ever returned names an object any more */
static void check_ids_gone(void)
{
	int rc, f, fds[2] = { g.fd, g.fd2 }, ioas[2] = { g.ioas, g.ioas2 };
	struct iommu_iova_range r[8];
	struct iommu_ioas_iova_ranges ir = { .size = sizeof(ir), .num_iovas = 8,
					     .allowed_iovas = (uintptr_t)r };
	uint64_t len = 0;
	uint32_t id;

	atomic_store(&g.phase, "ID check");
	for (f = 0; f < 2; f++) {
		ARGS(&tw, "IOAS %u of fd%d", ioas[f], f + 1);
		ir.ioas_id = ioas[f];
		rc = io(fds[f], IOMMU_IOAS_IOVA_RANGES, &ir) ?:
		     ioas_unmap(fds[f], ioas[f], 0, UINT64_MAX, &len);
		if (rc || len)
			unexpected(&tw, "IOVA_RANGES, unmap all: %s, %#llx left",
				   ename(-rc), (unsigned long long)len);
		rc = obj_destroy(fds[f], ioas[f]);
		if (rc)
			unexpected(&tw, "destroy: %s", ename(-rc));
		for (id = 1; id < MAX_ID; id++) {
			if (!(atomic_load(&g.seen[f][id / 64]) & 1ULL << id % 64))
				continue;
			ARGS(&tw, "ID %u of fd%d", id, f + 1);
			rc = obj_destroy(fds[f], id);
			if (rc != -ENOENT)
				unexpected(&tw, "left behind: IOMMU_DESTROY %s",
					   ename(-rc));
		}
	}
}

static long vm_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			kb = strtol(line + strlen(key), NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

/* Sum the threads' stats, print them; the ops that never succeeded */
static void report_ops(bool edu_ran, char never[2][512])
{
	struct op_stats t;
	unsigned int i, o, e;
	char errs[256];
	int len;

	note("%-16s %6s %6s %6s %7s  %s", "op", "tries", "ok", "skip", "max ms",
	     "expected errnos");
	for (o = 0; o < NOPS; o++) {
		memset(&t, 0, sizeof(t));
		for (i = 0; i < g.threads + edu_ran; i++) {
			struct op_stats *s = &workers[i].st[o];

			t.tries += s->tries;
			t.ok += s->ok;
			t.skipped += s->skipped;
			t.max_ns = s->max_ns > t.max_ns ? s->max_ns : t.max_ns;
			for (e = 1; e < NERR; e++)
				t.err[e] += s->err[e];
		}
		if (ops[o].edu && !edu_ran)
			continue;
		for (e = 1, len = 0, errs[0] = 0; e < NERR; e++)
			if (t.err[e] && len < (int)sizeof(errs) - 32)
				len += snprintf(errs + len, sizeof(errs) - len,
						"%s %u ", ename(e), t.err[e]);
		note("%-16s %6llu %6llu %6llu %7llu  %s", ops[o].name,
		     (unsigned long long)t.tries, (unsigned long long)t.ok,
		     (unsigned long long)t.skipped,
		     (unsigned long long)t.max_ns / 1000000, errs);
		if (!t.ok)
			strcat(strcat(never[ops[o].edu], " "), ops[o].name);
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "threads", 1, NULL, 't' }, { "iters", 1, NULL, 'i' },
		{ "secs", 1, NULL, 's' }, { "seed", 1, NULL, 'r' }, {}
	};
	char never[2][512] = { "", "" };
	uint64_t ops_done = 0, unexp = 0, u0, secs;
	long pin = -1, pin_open;
	bool edu_ran, ok[7];
	unsigned int i;
	pthread_t wd;
	int c;

	g.threads = 4;
	g.iters = 5000;
	g.secs = 60;
	g.seed = time(NULL);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == '?' || !optarg) {
			printf("usage: %s [--threads N] [--iters N] [--secs N] [--seed N]\n",
			       argv[0]);
			return 2;
		}
		if (c == 'r')
			g.seed = strtoull(optarg, NULL, 0);
		else
			*(c == 't' ? &g.threads : c == 'i' ? &g.iters :
				     &g.secs) = strtoul(optarg, NULL, 0);
	}
	printf("TAP version 13\n1..6\n");
	note("viommu-stress --threads %u --iters %u --secs %u --seed %llu",
	     g.threads, g.iters, g.secs, (unsigned long long)g.seed);
	if (!g.threads || g.threads > 64) {
		printf("Bail out! --threads 1..64\n");
		return 1;
	}
	g.page = sysconf(_SC_PAGESIZE);
	tw.rng = g.seed * 0x9e3779b97f4a7c15ULL | 1;
	workers = calloc(g.threads + 1, sizeof(*workers));
	for (i = 0; i <= g.threads; i++)
		workers[i].cur = -1;
	atomic_store(&g.phase, "setup");
	g.t0 = now_ns();
	atomic_store(&g.progress, g.t0);
	pthread_create(&wd, NULL, watchdog, NULL);
	setup();
	edu_setup();
	edu_ran = !edu.skip[0];
	note("setup: IOAS %u, S2 %u (anchor %u), vIOMMUs %u/%u, VmPin %ld kB, "
	     "VmLck %ld kB, edu: %s",
	     g.ioas, g.s2, g.anchor, LO(slot_get(&g.viommu[0])),
	     LO(slot_get(&g.viommu[1])), vm_kb("VmPin:"), vm_kb("VmLck:"),
	     edu_ran ? edu.sys.cdev : edu.skip);

	atomic_store(&g.phase, "run");
	g.deadline = now_ns() + g.secs * NSEC;
	for (i = 0; i < g.threads + edu_ran; i++) {
		struct worker *w = &workers[i];

		w->idx = i;
		w->edu = i == g.threads;
		w->rng = (g.seed + i + 1) * 0x9e3779b97f4a7c15ULL | 1;
		w->st = calloc(NOPS, sizeof(*w->st));
		pthread_create(&w->thread, NULL, worker_main, w);
	}
	for (i = 0; i < g.threads + edu_ran; i++) {
		pthread_join(workers[i].thread, NULL);
		ops_done += i < g.threads ? workers[i].ops : 0;
		unexp += i < g.threads ? workers[i].unexpected : 0;
	}
	secs = (now_ns() + g.secs * NSEC - g.deadline) / NSEC;
	report_ops(edu_ran, never);

	check_tables();
	ok[6] = !tw.unexpected;
	u0 = tw.unexpected;
	teardown();
	check_ids_gone();
	ok[3] = tw.unexpected == u0;
	pin_open = vm_kb("VmPin:");
	close(g.fd);
	close(g.fd2);
	for (i = 0; i < 10 && pin; i++, usleep(50000))
		pin = vm_kb("VmPin:");
	atomic_store(&g.phase, "report");

	ok[1] = !unexp;
	printf("%s 1 - %u threads x %u iterations (%llu ops in %llu s%s), %s\n",
	       ok[1] ? "ok" : "not ok", g.threads, g.iters,
	       (unsigned long long)ops_done, (unsigned long long)secs,
	       ops_done < (uint64_t)g.threads * g.iters ? ", cut by --secs" : "",
	       ok[1] ? "no unexpected errno" : "UNEXPECTED results");
	ok[2] = !never[0][0];
	printf("%s 2 - every op succeeded at least once%s%s\n",
	       ok[2] ? "ok" : "not ok", ok[2] ? "" : "; never:", never[0]);
	printf("%s 3 - every object ID gone after teardown\n",
	       ok[3] ? "ok" : "not ok");
	ok[4] = !pin;
	printf("%s 4 - no pinned pages left (VmPin %ld kB; %ld kB before close, VmLck %ld kB)\n",
	       ok[4] ? "ok" : "not ok", pin, pin_open, vm_kb("VmLck:"));
	ok[5] = !edu_ran || (!workers[g.threads].unexpected && !never[1][0]);
	if (edu_ran)
		printf("%s 5 - edu %s behind %s: %llu ops, %u binds, %s%s%s\n",
		       ok[5] ? "ok" : "not ok", edu.sys.bdf, edu.sys.smmu,
		       (unsigned long long)workers[g.threads].ops, edu.binds,
		       workers[g.threads].unexpected ? "UNEXPECTED results" :
						       "no unexpected errno",
		       never[1][0] ? "; never succeeded:" : "", never[1]);
	else
		printf("ok 5 # SKIP %s\n", edu.skip);
	printf("%s 6 - dev-id tables consistent after the run\n",
	       ok[6] ? "ok" : "not ok");
	if (n_unexp)
		note("%u unexpected results, the first %u:", n_unexp,
		     n_unexp < NLOG ? n_unexp : NLOG);
	for (i = 0; i < n_unexp && i < NLOG; i++)
		note("  %s", unexp_log[i]);
	for (i = 1; i <= 6; i++)
		if (!ok[i])
			return 1;
	return 0;
}
