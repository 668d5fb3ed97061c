// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd-fuzz: a seeded, bounded fuzzer over every iommufd ioctl of the
 * series, through the selftest mock driver (CONFIG_IOMMUFD_TEST).
 *
 *   iommufd-fuzz [--seed N] [--execs N] [--secs N] [--fds N] [--fail-nth PCT]
 *
 * Defaults: seed 1, 60000 executions, 60 s, up to 3 iommufds open; the run
 * stops at whichever limit comes first. Run as root in the test VM, e.g.
 * from /tests: ./iommufd-fuzz --seed 3 --secs 120
 *
 * Each execution picks an action from a weighted table: every iommufd ioctl,
 * IOMMU_TEST_CMD mock ops (mock device bind/unbind/replace, vEVENT and IOPF
 * triggers, accesses), mmap/munmap of a vIOMMU's MMIO region, reads and
 * writes of event fds, memfd truncation, fork, open/close of fds. Arguments
 * are mostly plausible (live IDs of the right type, right sizes and data
 * types) with random mutations (sizes, flags, reserved fields, wrong or stale
 * IDs, bad user pointers, odd IOVAs and lengths). All choices come from one
 * xorshift64* PRNG: a seed replays the same run (same binary, same kernel).
 *
 * --fail-nth PCT arms a kernel fault (fail-nth of this thread: the 1st to
 * 16th allocation or other injection point of the call fails) before PCT %
 * of the ioctls and counts those in which it was injected, so that error
 * paths run in random states too.
 *
 * Errnos are not checked. Failures: an ioctl returning other than 0/-1, a
 * success with ID 0 (or, for the mock vIOMMU, without its answer and MMIO
 * region), an executable mapping of an iommufd, a crash or hang (20 s alarm
 * per step) of the program or of a forked child, a core action that never
 * succeeded, and, once every mapping and fd is closed, VmPin not back to
 * 0 kB (IOMMU_OPTION_RLIMIT_MODE 1 is set on the first iommufd) or an
 * iommufd fd left. Kernel splats are for the caller to find in the console
 * log (the kernel's taint before and after is printed as a hint). Output is
 * TAP; the exit status is 0 iff every line is ok.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/falloc.h>
#include <linux/iommufd.h>

#include "../../../drivers/iommu/iommufd/iommufd_test.h"

#define MAX_FDS		8
#define MAX_OBJ		96
#define MAX_MAP		32
#define MAX_ENT		16
#define NDEAD		16
#define MAX_SFD		32
#define MAX_MM		16
#define NBUF		64	/* pages of the anonymous buffer and the memfds */
#define STEP_SECS	20

enum { T_IOAS, T_HWPT, T_S2, T_NESTED, T_STDEV, T_IDEV, T_VIOMMU, T_VDEV,
	T_HWQ, T_VEVQ, T_FAULT };

/*
 * A live object. parent: the IOAS of a HWPT or S2, the S2 of a vIOMMU, the
 * vIOMMU (or S2) of a nested HWPT, HW queue, vDEVICE or vEVENTQ; aux: the
 * idev of a stdev; inst: the mock IOMMU instance of an idev or vIOMMU;
 * off/len: the MMIO region of a vIOMMU.
 */
struct obj { uint32_t id, type, parent, aux, inst; uint64_t off, len; };
struct map { uint32_t ioas; uint64_t iova, len; };	/* a mapping made */
struct ent { uint32_t viommu, dev; uint64_t vdev; };	/* a SET_DEV_ID entry */
struct ctx {					/* one open /dev/iommu */
	int fd, nobj, nmap, nent, ndead;
	struct obj obj[MAX_OBJ];
	struct map map[MAX_MAP];
	struct ent ent[MAX_ENT];
	uint32_t dead[NDEAD];
};
/* vEVENTQ, fault and access fds: they can outlive their iommufd */
struct sfd { int fd, access, nitems; uint32_t items[4]; };

static struct ctx ctxs[MAX_FDS];
static struct sfd sfds[MAX_SFD];
static struct { uint8_t *p; size_t len; } mms[MAX_MM];
static struct obj scratch;
static int nsfd, nmm, maxfds = 3, mfd[4], nmfd;
static uint8_t *arena, *dbuf, *buf, *hole;
static size_t psz, asz;
static uint64_t rs, seed = 1;
static unsigned long nexec, nbad;
static const char *volatile cur_name = "setup";
static bool mutated;	/* the last xioctl() changed the size or address */
/* --fail-nth P: P % of the ioctls run with a fault armed through fail-nth */
static unsigned int failpct;
static int failfd = -1;
static unsigned long narmed, ninjected;
static pid_t failpid;	/* whose fail-nth failfd is: not a forked child's */

/* xorshift64* */
static uint64_t rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 0x2545F4914F6CDD1DULL;
}

static uint32_t rn(uint32_t n) { return n ? rnd() % n : 0; }
static bool pct(unsigned int p) { return rn(100) < p; }

static void bad(const char *fmt, ...)
{
	va_list ap;

	if (nbad++ >= 20)
		return;
	printf("# INVARIANT at execution %lu (%s): ", nexec, cur_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void chk_id(const char *what, uint32_t id)
{
	if (!id)
		bad("%s succeeded with ID 0", what);
}

/* A hang (the step's alarm) or a crash: say where, for a replay */
static void on_signal(int sig)
{
	char m[200];
	int n = snprintf(m, sizeof(m),
			 "not ok 1 - seed %llu: %s (signal %d) in action %s at execution %lu\n",
			 (unsigned long long)seed, sig == SIGALRM ? "hang" : "crash",
			 sig, cur_name, nexec);

	if (write(1, m, n) < 0)
		_exit(3);
	_exit(2);
}

/* ---- the tables of what exists ---- */

static struct obj *find(struct ctx *c, uint32_t id)
{
	for (int i = 0; i < c->nobj; i++)
		if (c->obj[i].id == id)
			return &c->obj[i];
	return NULL;
}

/* A random live object of @type, or NULL */
static struct obj *any(struct ctx *c, uint32_t type)
{
	int n = 0, k;

	for (int i = 0; i < c->nobj; i++)
		n += c->obj[i].type == type;
	k = n ? (int)rn(n) : -1;
	for (int i = 0; i < c->nobj; i++)
		if (c->obj[i].type == type && !k--)
			return &c->obj[i];
	return NULL;
}

static struct obj *add(struct ctx *c, uint32_t type, uint32_t id, uint32_t parent)
{
	struct obj *o = c->nobj < MAX_OBJ && !find(c, id) ? &c->obj[c->nobj++] : NULL;

	if (!o)
		return &scratch;
	*o = (struct obj){ .id = id, .type = type, .parent = parent };
	return o;
}

/* @id is gone; with a mock device go its idev and SET_DEV_ID entries */
static void forget(struct ctx *c, uint32_t id)
{
	struct obj *o = find(c, id);
	uint32_t idev;

	if (!o)
		return;
	idev = o->type == T_STDEV ? o->aux : 0;
	c->dead[c->ndead++ % NDEAD] = id;
	*o = c->obj[--c->nobj];
	for (int i = c->nent - 1; idev && i >= 0; i--)
		if (c->ent[i].dev == idev)
			c->ent[i] = c->ent[--c->nent];
	if (idev)
		forget(c, idev);
}

static struct ctx *any_ctx(void)
{
	int n = 0, k;

	for (int i = 0; i < maxfds; i++)
		n += ctxs[i].fd >= 0;
	k = n ? (int)rn(n) : -1;
	for (int i = 0; i < maxfds; i++)
		if (ctxs[i].fd >= 0 && !k--)
			return &ctxs[i];
	return NULL;
}

/* A wrong ID: 0, stale, of another type or iommufd, small, random */
static uint32_t bad_id(struct ctx *c)
{
	struct ctx *o = any_ctx();
	int nd = c->ndead < NDEAD ? c->ndead : NDEAD;
	uint32_t ids[] = {
		0, nd ? c->dead[rn(nd)] : 1, c->nobj ? c->obj[rn(c->nobj)].id : 2,
		o && o->nobj ? o->obj[rn(o->nobj)].id : 3, 1 + rn(64), rnd(),
	};

	return ids[rn(6)];
}

static uint32_t oid(struct ctx *c, struct obj *o)
{
	return o && pct(92) ? o->id : bad_id(c);
}

static uint32_t pick(struct ctx *c, uint32_t type) { return oid(c, any(c, type)); }

static uint32_t pick_hwpt(struct ctx *c)
{
	static const uint32_t ts[] = { T_HWPT, T_S2, T_S2, T_NESTED };

	return pick(c, ts[rn(4)]);
}

/* A device behind mock instance @inst, mostly */
static struct obj *dev_of(struct ctx *c, uint32_t inst)
{
	struct obj *o = any(c, T_IDEV);

	for (int i = 0; i < 4 && o && o->inst != inst && pct(90); i++)
		o = any(c, T_IDEV);
	return o;
}

/* A device with a dev-id entry, mostly */
static uint32_t entry_dev(struct ctx *c)
{
	return c->nent && pct(60) ? c->ent[rn(c->nent)].dev : pick(c, T_IDEV);
}

/* A mapping made, in @ioas if there is one (0: any) */
static struct map *any_map(struct ctx *c, uint32_t ioas)
{
	struct map *m = c->nmap ? &c->map[rn(c->nmap)] : NULL;

	for (int i = 0; ioas && m && i < 8 && m->ioas != ioas; i++)
		m = &c->map[rn(c->nmap)];
	return m;
}

static void add_map(struct ctx *c, uint32_t ioas, uint64_t iova, uint64_t len)
{
	c->map[c->nmap < MAX_MAP ? c->nmap++ : (int)rn(MAX_MAP)] =
		(struct map){ ioas, iova, len };
}

static void add_sfd(int fd, bool access)
{
	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (nsfd < MAX_SFD)
		sfds[nsfd++] = (struct sfd){ .fd = fd, .access = access };
	else
		close(fd);
}

/* ---- argument mutations ---- */

static uint32_t mflags(uint32_t good)
{
	return pct(93) ? good : pct(60) ? good | 1u << rn(32) : (uint32_t)rnd();
}

static uint32_t mrsv(void) { return pct(97) ? 0 : pct(50) ? 1 : rnd(); }

static uint64_t mlen(uint64_t good)
{
	static const uint64_t odd[] = { 0, 1, ~0ULL, 1ULL << 63, 1 << 24 };

	if (pct(90))
		return good;
	return pct(30) ? good + (pct(50) ? 1 : -1) : pct(50) ? odd[rn(5)] : rnd();
}

/* @good, or NULL, unmapped, unaligned, straddling a guard page, kernel, random */
static uint64_t mptr(void *good, size_t len)
{
	uint64_t bad[] = { 0, (uintptr_t)hole, (uintptr_t)good + 1 + rn(7),
			   (uintptr_t)(dbuf + asz - len / 2), 0xffff800000000000ULL,
			   rnd() };

	return pct(93) ? (uintptr_t)good : bad[rn(6)];
}

static uint64_t aper(unsigned int pages) { return MOCK_APERTURE_START + rn(pages) * psz; }

static uint64_t vdev_id(void)
{
	return pct(90) ? rn(8) : pct(50) ? MOCK_VDEV_ID_MAX + rn(2) : rnd();
}

/*
 * The ioctl on @s (@sz bytes, the size field first) copied into the arena,
 * now and then with another size (trailing bytes zero or not) or at a bad
 * address. Returns 0 or -errno; on success @s holds the kernel's answer.
 */
static int xioctl(int fd, unsigned long req, void *s, size_t sz)
{
	uint32_t usz = sz, r = rn(100);
	uint8_t *p = arena;
	char nth[16] = "";
	bool armed;
	int ret;

	mutated = r < 8;
	if (r < 5) {
		uint32_t sizes[] = { rn(sz), sz + 8 * (1 + rn(4)), 2 * psz,
				     1u << rn(32), rnd() };

		usz = sizes[rn(5)];
	} else if (r < 8) {
		uint8_t *bad[] = { NULL, hole, arena + asz - 4, arena + 1 + rn(7),
				   (uint8_t *)0xffff800000001000ULL };

		p = bad[rn(5)];
	}
	memset(arena, 0, usz + 8 >= asz ? asz : usz + 8 > sz ? usz + 8 : sz);
	if (p == arena + asz - 4) {
		memcpy(p, &usz, 4);	/* the rest is in the guard page */
	} else if (p >= arena && p < arena + 8) {
		memcpy(p, s, sz);
		memcpy(p, &usz, 4);
		if (usz > sz && usz <= sz + 32 && pct(50))
			p[sz + rn(usz - sz)] = 1 + rn(255);
	}
	armed = failpct && failfd >= 0 && getpid() == failpid && pct(failpct);
	if (armed) {
		/* Fail the Nth fault-injection point of this ioctl, if it has one */
		int len = snprintf(nth, sizeof(nth), "%u", 1 + rn(16));

		armed = pwrite(failfd, nth, len, 0) == len;
	}
	ret = ioctl(fd, req, p);
	if (armed) {
		int err = errno;

		narmed++;
		/* Reads back 0 once the fault was injected; else disarm */
		if (pread(failfd, nth, sizeof(nth) - 1, 0) > 0 && nth[0] == '0')
			ninjected++;
		else if (pwrite(failfd, "0", 1, 0) != 1)
			bad("cannot disarm fail-nth");
		errno = err;
	}
	if (ret != 0 && ret != -1)
		bad("ioctl 0x%lx returned %d", req, ret);
	if (ret)
		return -errno;
	if (p < arena || p >= arena + 8) {
		bad("ioctl 0x%lx succeeded on the bad address %p", req, p);
		return -EFAULT;
	}
	memcpy(s, p, sz);
	return 0;
}

/* The ctx's iommufd, or now and then some other fd */
static int cfd(struct ctx *c)
{
	int fds[] = { -1, nsfd ? sfds[rn(nsfd)].fd : 0, mfd[rn(nmfd)],
		      any_ctx()->fd };

	return pct(98) ? c->fd : fds[rn(4)];
}

/* An allocation: the ioctl, then the new ID (at @out in @s) checked, kept */
static struct obj *alloc(struct ctx *c, const char *what, unsigned long req,
			 void *s, size_t sz, uint32_t *out, uint32_t type,
			 uint32_t parent)
{
	if (xioctl(cfd(c), req, s, sz))
		return NULL;
	chk_id(what, *out);
	return add(c, type, *out, parent);
}

static int test_cmd(struct ctx *c, struct iommu_test_cmd *t)
{
	t->size = sizeof(*t);
	return xioctl(cfd(c), IOMMU_TEST_CMD, t, sizeof(*t));
}

/* ---- the actions; each returns whether its call succeeded ---- */

static bool act_open(struct ctx *unused)
{
	struct iommu_option o = { .size = sizeof(o), .val64 = 1,
				  .option_id = IOMMU_OPTION_RLIMIT_MODE,
				  .op = IOMMU_OPTION_OP_SET };
	static bool first = true;
	struct ctx *c = NULL;

	(void)unused;
	for (int i = 0; i < maxfds && !c; i++)
		c = ctxs[i].fd < 0 ? &ctxs[i] : NULL;
	if (!c)
		return false;
	memset(c, 0, sizeof(*c));
	c->fd = open("/dev/iommu", O_RDWR);
	if (c->fd < 0)
		return false;
	/* mm accounting (VmPin, VmLck) before anything else; always on the first */
	if ((first || pct(70)) && ioctl(c->fd, IOMMU_OPTION, &o) && first)
		bad("IOMMU_OPTION_RLIMIT_MODE 1: %s", strerror(errno));
	first = false;
	return true;
}

/* Close an event or access fd, now and then an iommufd */
static bool act_close(struct ctx *c)
{
	int i = rn(nsfd), fd;

	if (!nsfd || pct(10)) {
		fd = c->fd;
		c->fd = -1;
		return !close(fd);
	}
	fd = sfds[i].fd;
	sfds[i] = sfds[--nsfd];
	return !close(fd);
}

static bool destroy(struct ctx *c, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };
	int ret = xioctl(cfd(c), IOMMU_DESTROY, &d, sizeof(d));

	if (!ret || ret == -ENOENT)
		forget(c, id);
	return !ret;
}

static bool act_destroy(struct ctx *c)
{
	return destroy(c, c->nobj && pct(90) ? c->obj[rn(c->nobj)].id : bad_id(c));
}

static bool act_ioas_alloc(struct ctx *c)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a), .flags = mflags(0) };

	return alloc(c, "IOAS_ALLOC", IOMMU_IOAS_ALLOC, &a, sizeof(a),
		     &a.out_ioas_id, T_IOAS, 0);
}

static uint32_t map_flags(void)
{
	uint32_t f = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;

	if (pct(10))
		f = pct(50) ? IOMMU_IOAS_MAP_READABLE : IOMMU_IOAS_MAP_WRITEABLE;
	return mflags(f | (pct(50) ? IOMMU_IOAS_MAP_FIXED_IOVA : 0));
}

static bool act_ioas_map(struct ctx *c)
{
	unsigned int off = rn(NBUF - 8), n = 1 + rn(8);
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = map_flags(), .ioas_id = pick(c, T_IOAS),
		.__reserved = mrsv(), .user_va = mptr(buf + off * psz, n * psz),
		.length = mlen(n * psz), .iova = pct(95) ? aper(64) : rnd(),
	};

	if (xioctl(cfd(c), IOMMU_IOAS_MAP, &m, sizeof(m)))
		return false;
	add_map(c, m.ioas_id, m.iova, m.length);
	return true;
}

static bool act_ioas_map_file(struct ctx *c)
{
	unsigned int off = rn(NBUF - 8), n = 1 + rn(8);
	struct iommu_ioas_map_file m = {
		.size = sizeof(m), .flags = map_flags(), .ioas_id = pick(c, T_IOAS),
		.fd = pct(95) ? mfd[rn(nmfd)] : pct(50) ? -1 : c->fd,
		.start = pct(95) ? off * psz : rnd() % (NBUF * psz),
		.length = mlen(n * psz), .iova = pct(95) ? aper(64) : rnd(),
	};

	if (xioctl(cfd(c), IOMMU_IOAS_MAP_FILE, &m, sizeof(m)))
		return false;
	add_map(c, m.ioas_id, m.iova, m.length);
	return true;
}

/* Truncate, punch, seal or refill a memfd under its mappings */
static bool act_memfd_op(struct ctx *c)
{
	int fd = mfd[rn(nmfd)];

	(void)c;
	switch (rn(4)) {
	case 0:
		return !ftruncate(fd, rn(NBUF + 1) * psz);
	case 1:
		return !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  rn(NBUF) * psz, (1 + rn(8)) * psz);
	case 2:
		return !fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE);
	default:
		return !ftruncate(fd, NBUF * psz);
	}
}

static bool act_ioas_unmap(struct ctx *c)
{
	struct map *m = any_map(c, 0);
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = pick(c, T_IOAS), .iova = aper(64),
		.length = mlen((1 + rn(16)) * psz),
	};

	if (m && pct(70)) {
		u.ioas_id = pct(95) ? m->ioas : u.ioas_id;
		u.iova = m->iova;
		u.length = mlen(m->len);
	} else if (pct(50)) {
		u.iova = 0;
		u.length = ~0ULL;
	}
	if (xioctl(cfd(c), IOMMU_IOAS_UNMAP, &u, sizeof(u)))
		return false;
	for (int i = c->nmap - 1; i >= 0; i--)
		if (c->map[i].ioas == u.ioas_id && c->map[i].iova - u.iova < u.length)
			c->map[i] = c->map[--c->nmap];
	return true;
}

static bool act_ioas_copy(struct ctx *c)
{
	struct map *m = any_map(c, 0);
	struct iommu_ioas_copy cp = {
		.size = sizeof(cp), .flags = map_flags(),
		.dst_ioas_id = pick(c, T_IOAS), .src_ioas_id = pick(c, T_IOAS),
		.length = mlen(psz), .dst_iova = aper(64), .src_iova = aper(64),
	};

	if (m && pct(80)) {
		cp.src_ioas_id = pct(95) ? m->ioas : cp.src_ioas_id;
		cp.src_iova = m->iova;
		cp.length = mlen(m->len);
	}
	if (xioctl(cfd(c), IOMMU_IOAS_COPY, &cp, sizeof(cp)))
		return false;
	add_map(c, cp.dst_ioas_id, cp.dst_iova, cp.length);
	return true;
}

static bool act_iova_ranges(struct ctx *c)
{
	struct iommu_ioas_iova_ranges r = {
		.size = sizeof(r), .ioas_id = pick(c, T_IOAS), .num_iovas = rn(8),
		.__reserved = mrsv(), .allowed_iovas = mptr(dbuf, 8 * 16),
	};

	return !xioctl(cfd(c), IOMMU_IOAS_IOVA_RANGES, &r, sizeof(r));
}

static bool act_allow_iovas(struct ctx *c)
{
	struct iommu_iova_range *rg = (void *)dbuf;
	struct iommu_ioas_allow_iovas a = {
		.size = sizeof(a), .ioas_id = pick(c, T_IOAS),
		.num_iovas = pct(40) ? 0 : 1 + rn(3), .__reserved = mrsv(),
		.allowed_iovas = mptr(dbuf, 3 * sizeof(*rg)),
	};

	for (int i = 0; i < 3; i++) {
		rg[i].start = pct(50) ? 0 : aper(128);
		rg[i].last = pct(50) ? ~0ULL : rg[i].start + mlen(64 * psz) - 1;
	}
	return !xioctl(cfd(c), IOMMU_IOAS_ALLOW_IOVAS, &a, sizeof(a));
}

static bool act_change_process(struct ctx *c)
{
	struct iommu_ioas_change_process p = { .size = sizeof(p),
					       .__reserved = mrsv() };

	return !xioctl(cfd(c), IOMMU_IOAS_CHANGE_PROCESS, &p, sizeof(p));
}

/* RLIMIT_MODE (global) or HUGE_PAGES (of an IOAS), get or set */
static bool act_option(struct ctx *c)
{
	bool huge = pct(60);
	struct iommu_option o = {
		.size = sizeof(o), .option_id = pct(95) ? huge : rn(8),
		.op = pct(95) ? rn(2) : rnd(), .__reserved = mrsv(),
		.object_id = huge ? pick(c, T_IOAS) : pct(90) ? 0 : bad_id(c),
		.val64 = pct(90) ? rn(2) : rnd(),
	};

	return !xioctl(cfd(c), IOMMU_OPTION, &o, sizeof(o));
}

static bool act_vfio_ioas(struct ctx *c)
{
	struct iommu_vfio_ioas v = {
		.size = sizeof(v), .ioas_id = pick(c, T_IOAS),
		.op = pct(95) ? rn(3) : rnd(), .__reserved = mrsv(),
	};

	return !xioctl(cfd(c), IOMMU_VFIO_IOAS, &v, sizeof(v));
}

/* A kernel-managed HWPT on an IOAS: a nesting parent (S2), or plain paging */
static bool hwpt_paging(struct ctx *c, bool s2)
{
	uint32_t f = (s2 ? IOMMU_HWPT_ALLOC_NEST_PARENT : 0) |
		     (pct(20) ? IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0);
	struct iommu_hwpt_alloc h = {
		.size = sizeof(h), .dev_id = pick(c, T_IDEV), .pt_id = pick(c, T_IOAS),
		.__reserved = mrsv(), .__reserved2 = mrsv(),
	};

	if (pct(5)) {
		f |= IOMMU_HWPT_FAULT_ID_VALID;
		h.fault_id = pick(c, T_FAULT);
	}
	if (pct(4)) {
		h.data_type = rn(3);
		h.data_len = rn(32);
		h.data_uptr = mptr(dbuf, 32);
	}
	h.flags = mflags(f);
	return alloc(c, "HWPT_ALLOC", IOMMU_HWPT_ALLOC, &h, sizeof(h),
		     &h.out_hwpt_id, s2 ? T_S2 : T_HWPT, h.pt_id);
}

static bool act_hwpt_s2(struct ctx *c) { return hwpt_paging(c, true); }
static bool act_hwpt_paging(struct ctx *c) { return hwpt_paging(c, false); }

/* A nested HWPT on a vIOMMU, or (the older way) on a nesting parent */
static bool act_hwpt_nested(struct ctx *c)
{
	struct iommu_hwpt_selftest *d = (void *)dbuf;
	struct obj *pt = any(c, pct(70) ? T_VIOMMU : T_S2);
	uint32_t len = pct(90) ? sizeof(*d) : rn(3) * 4;
	struct iommu_hwpt_alloc h = {
		.size = sizeof(h), .dev_id = oid(c, dev_of(c, pt ? pt->inst : 0)),
		.pt_id = oid(c, pt), .__reserved = mrsv(), .__reserved2 = mrsv(),
		.data_type = pct(95) ? IOMMU_HWPT_DATA_SELFTEST : rn(4),
		.data_len = len, .data_uptr = mptr(dbuf, len),
	};

	d->iotlb = pct(90) ? IOMMU_TEST_IOTLB_DEFAULT : rnd();
	memset(dbuf + sizeof(*d), 0, 8);
	dbuf[4 + rn(4)] = pct(50);
	if (pct(20)) {
		h.flags = IOMMU_HWPT_FAULT_ID_VALID;
		h.fault_id = pick(c, T_FAULT);
	}
	h.flags = mflags(h.flags);
	return alloc(c, "HWPT_ALLOC nested", IOMMU_HWPT_ALLOC, &h, sizeof(h),
		     &h.out_hwpt_id, T_NESTED, h.pt_id);
}

/* Mock invalidation requests, to a vIOMMU (by vdev_id) or a nested HWPT */
static bool act_hwpt_invalidate(struct ctx *c)
{
	bool vi = pct(60);
	uint32_t elen = vi ? sizeof(struct iommu_viommu_invalidate_selftest) :
			     sizeof(struct iommu_hwpt_invalidate_selftest);
	uint32_t num = pct(20) ? 0 : 1 + rn(4);
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv), .hwpt_id = pick(c, vi ? T_VIOMMU : T_NESTED),
		.data_type = vi ? IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST :
				  IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		.__reserved = mrsv(),
	};

	if (pct(8))
		elen = pct(50) ? elen + 4 * (1 + rn(4)) : rn(elen);
	memset(dbuf, 0, 4 * 32);
	for (uint32_t i = 0; i < num; i++) {
		uint32_t *e = (uint32_t *)(dbuf + i * elen);

		e[0] = mflags(pct(30) ? IOMMU_TEST_INVALIDATE_FLAG_ALL : 0);
		e[1] = !vi ? rn(5) : c->nent && pct(80) ? c->ent[rn(c->nent)].vdev : rn(16);
		if (vi)
			e[2] = rn(5);
		if (elen > 12 && pct(30))
			dbuf[i * elen + 12 + rn(elen - 12)] = 1;
	}
	if (pct(5))
		inv.data_type = pct(50) ? IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID : rnd();
	inv.entry_len = pct(97) ? elen : rnd();
	inv.entry_num = pct(97) ? num : rnd();
	inv.data_uptr = mptr(dbuf, num * elen);
	return !xioctl(cfd(c), IOMMU_HWPT_INVALIDATE, &inv, sizeof(inv));
}

static bool act_set_dirty(struct ctx *c)
{
	struct iommu_hwpt_set_dirty_tracking d = {
		.size = sizeof(d), .flags = mflags(rn(2)),
		.hwpt_id = pick_hwpt(c), .__reserved = mrsv(),
	};

	return !xioctl(cfd(c), IOMMU_HWPT_SET_DIRTY_TRACKING, &d, sizeof(d));
}

static bool act_get_dirty(struct ctx *c)
{
	struct map *m = any_map(c, 0);
	struct iommu_hwpt_get_dirty_bitmap d = {
		.size = sizeof(d), .hwpt_id = pick_hwpt(c), .flags = mflags(rn(2)),
		.__reserved = mrsv(), .iova = m ? m->iova : aper(64),
		.length = mlen(m ? m->len : psz), .page_size = mlen(psz),
		.data = mptr(dbuf, 64),
	};

	return !xioctl(cfd(c), IOMMU_HWPT_GET_DIRTY_BITMAP, &d, sizeof(d));
}

static bool act_get_hw_info(struct ctx *c)
{
	struct iommu_hw_info h = {
		.size = sizeof(h), .dev_id = pick(c, T_IDEV),
		.flags = mflags(pct(30) ? IOMMU_HW_INFO_FLAG_INPUT_TYPE : 0),
		.data_len = pct(90) ? rn(17) : rnd(), .data_uptr = mptr(dbuf, 16),
		.in_data_type = pct(50) ? IOMMU_HW_INFO_TYPE_SELFTEST : rn(4),
	};

	h.__reserved[rn(3)] = mrsv();
	return !xioctl(cfd(c), IOMMU_GET_HW_INFO, &h, sizeof(h));
}

static bool act_fault_alloc(struct ctx *c)
{
	struct iommu_fault_alloc f = { .size = sizeof(f), .flags = mflags(0) };

	if (!alloc(c, "FAULT_QUEUE_ALLOC", IOMMU_FAULT_QUEUE_ALLOC, &f,
		   sizeof(f), &f.out_fault_id, T_FAULT, 0))
		return false;
	add_sfd(f.out_fault_fd, false);
	return true;
}

static bool act_viommu_alloc(struct ctx *c)
{
	struct iommu_viommu_selftest *d = (void *)dbuf;
	struct obj *dev = any(c, T_IDEV), *o;
	unsigned int r = rn(100), len = r < 60 ? sizeof(*d) : r < 80 ? 4 : 0;
	struct iommu_viommu_alloc v = {
		.size = sizeof(v), .flags = mflags(0), .dev_id = oid(c, dev),
		.type = pct(95) ? IOMMU_VIOMMU_TYPE_SELFTEST : rn(4),
		.hwpt_id = pct(90) ? pick(c, T_S2) : pick_hwpt(c),
		.__reserved = mrsv(),
	};

	memset(dbuf, 0, 2 * sizeof(*d));
	d->in_data = rnd();
	if (pct(5))
		len = pct(50) ? rn(2 * sizeof(*d)) : rnd();
	v.data_len = len;
	v.data_uptr = len || pct(10) ? mptr(dbuf, len) : 0;
	o = alloc(c, "VIOMMU_ALLOC", IOMMU_VIOMMU_ALLOC, &v, sizeof(v),
		  &v.out_viommu_id, T_VIOMMU, v.hwpt_id);
	if (!o)
		return false;
	o->inst = dev ? dev->inst : 0;
	if (len >= sizeof(*d) && v.data_uptr == (uintptr_t)d && !mutated) {
		if (!d->out_mmap_offset || d->out_data != ~d->in_data)
			bad("VIOMMU_ALLOC data: offset 0x%llx, out_data 0x%x for 0x%x",
			    (unsigned long long)d->out_mmap_offset, d->out_data,
			    d->in_data);
		o->off = d->out_mmap_offset;
		o->len = d->out_mmap_length;
	}
	return true;
}

static bool act_set_dev_id(struct ctx *c)
{
	struct obj *v = any(c, T_VIOMMU);
	struct iommu_viommu_set_dev_id s = {
		.size = sizeof(s), .viommu_id = oid(c, v), .__reserved = mrsv(),
		.dev_id = oid(c, dev_of(c, v ? v->inst : 0)), .vdev_id = vdev_id(),
	};

	if (xioctl(cfd(c), IOMMU_VIOMMU_SET_DEV_ID, &s, sizeof(s)))
		return false;
	if (c->nent < MAX_ENT)
		c->ent[c->nent++] = (struct ent){ s.viommu_id, s.dev_id, s.vdev_id };
	return true;
}

static bool act_unset_dev_id(struct ctx *c)
{
	struct ent *e = c->nent && pct(85) ? &c->ent[rn(c->nent)] : NULL;
	struct iommu_viommu_unset_dev_id u = {
		.size = sizeof(u), .viommu_id = pick(c, T_VIOMMU),
		.dev_id = pick(c, T_IDEV), .__reserved = mrsv(), .vdev_id = vdev_id(),
	};

	if (e && pct(95)) {
		u.viommu_id = e->viommu;
		u.dev_id = e->dev;
		u.vdev_id = e->vdev;
	}
	if (xioctl(cfd(c), IOMMU_VIOMMU_UNSET_DEV_ID, &u, sizeof(u)))
		return false;
	for (int i = c->nent - 1; i >= 0; i--)
		if (c->ent[i].viommu == u.viommu_id && c->ent[i].dev == u.dev_id)
			c->ent[i] = c->ent[--c->nent];
	return true;
}

static bool act_vdevice_alloc(struct ctx *c)
{
	struct obj *v = any(c, T_VIOMMU);
	struct iommu_vdevice_alloc a = {
		.size = sizeof(a), .viommu_id = oid(c, v),
		.dev_id = oid(c, dev_of(c, v ? v->inst : 0)), .virt_id = vdev_id(),
	};

	return alloc(c, "VDEVICE_ALLOC", IOMMU_VDEVICE_ALLOC, &a, sizeof(a),
		     &a.out_vdevice_id, T_VDEV, a.viommu_id);
}

/* A queue on a page mapped in the IOAS of the vIOMMU's S2, next index */
static bool act_hw_queue_alloc(struct ctx *c)
{
	struct obj *v = any(c, T_VIOMMU), *s2 = v ? find(c, v->parent) : NULL;
	struct map *m = any_map(c, s2 ? s2->parent : 0);
	uint64_t iova = m ? m->iova + rn(m->len / psz + 1) * psz : aper(64);
	struct iommu_hw_queue_alloc q = {
		.size = sizeof(q), .flags = mflags(0), .viommu_id = oid(c, v),
		.type = pct(95) ? IOMMU_HW_QUEUE_TYPE_SELFTEST : rn(3),
		.nesting_parent_iova = pct(95) ? iova + (pct(20) ? 64 * rn(8) : 0) : rnd(),
		.length = mlen(pct(30) ? 256 : psz),
	};
	uint32_t idx = 0;

	for (int i = 0; v && i < c->nobj; i++)
		idx += c->obj[i].type == T_HWQ && c->obj[i].parent == v->id;
	q.index = pct(85) ? idx : rn(4);
	return alloc(c, "HW_QUEUE_ALLOC", IOMMU_HW_QUEUE_ALLOC, &q, sizeof(q),
		     &q.out_hw_queue_id, T_HWQ, q.viommu_id);
}

static bool act_veventq_alloc(struct ctx *c)
{
	struct iommu_veventq_alloc e = {
		.size = sizeof(e), .flags = mflags(0), .viommu_id = pick(c, T_VIOMMU),
		.type = pct(95) ? IOMMU_VEVENTQ_TYPE_SELFTEST : rn(3),
		.veventq_depth = pct(90) ? 1 + rn(4) :
				 pct(50) ? IOMMU_VEVENTQ_MAX_DEPTH - 1 + rn(3) : rnd(),
		.__reserved = mrsv(),
	};

	if (!alloc(c, "VEVENTQ_ALLOC", IOMMU_VEVENTQ_ALLOC, &e, sizeof(e),
		   &e.out_veventq_id, T_VEVQ, e.viommu_id))
		return false;
	if ((int)e.out_veventq_fd < 0)
		bad("VEVENTQ_ALLOC succeeded with fd %d", (int)e.out_veventq_fd);
	add_sfd(e.out_veventq_fd, false);
	return true;
}

/* Map a vIOMMU's MMIO region (or not quite), and touch it */
static bool act_mmap(struct ctx *c)
{
	struct obj *v = any(c, T_VIOMMU);
	uint64_t off = v && v->len ? v->off : rnd() & ~(uint64_t)(psz - 1);
	size_t len = v && v->len ? v->len : 2 * psz;
	int prot = PROT_READ | (pct(70) ? PROT_WRITE : 0) | (pct(5) ? PROT_EXEC : 0);
	uint8_t *p;

	if (pct(10))
		off += pct(50) ? psz : -psz;
	if (pct(10))
		len = pct(50) ? len / 2 : len * 2;
	if (nmm == MAX_MM)
		return false;
	p = mmap(NULL, len, prot, pct(95) ? MAP_SHARED : MAP_PRIVATE,
		 pct(95) ? c->fd : any_ctx()->fd, off);
	if (p == MAP_FAILED)
		return false;
	mms[nmm].p = p;
	mms[nmm++].len = len;
	if (prot & PROT_EXEC)
		bad("an executable mapping of an iommufd");
	if (*(volatile uint32_t *)p != 0xffffffff && (prot & PROT_WRITE))
		*(volatile uint32_t *)(p + len - 4) = rnd();
	return true;
}

static bool act_munmap(struct ctx *c)
{
	int i = rn(nmm), head = pct(50);

	(void)c;
	if (!nmm)
		return false;
	if (pct(10) && !mprotect(mms[i].p, mms[i].len, PROT_READ | PROT_EXEC))
		bad("a vIOMMU mapping became executable");
	if (mms[i].len > psz && pct(30)) {	/* a part of it */
		if (munmap(mms[i].p + (head ? 0 : mms[i].len - psz), psz))
			return false;
		mms[i].p += head ? psz : 0;
		mms[i].len -= psz;
		return true;
	}
	if (munmap(mms[i].p, mms[i].len))
		return false;
	mms[i] = mms[--nmm];
	return true;
}

/* poll, read (odd sizes), pread or write an event or access fd */
static bool act_read_evfd(struct ctx *c)
{
	static const size_t sizes[] = { 0, 8, 12, 16, 32, 64, 4096 };
	struct iommu_hwpt_page_response *pr = (void *)dbuf;
	struct pollfd pfd = { .fd = nsfd ? sfds[rn(nsfd)].fd : -1, .events = POLLIN };

	(void)c;
	if (pfd.fd < 0)
		return false;
	poll(&pfd, 1, 0);
	if (pct(10))
		return pread(pfd.fd, dbuf, 64, 0) >= 0;
	if (pct(30)) {		/* a page response, to a fault fd */
		pr->cookie = pct(80) ? rn(4) : rnd();
		pr->code = pct(90) ? rn(2) : rnd();
		return write(pfd.fd, dbuf, pct(90) ? sizeof(*pr) : rn(16)) >= 0;
	}
	return read(pfd.fd, dbuf, sizes[rn(7)]) >= 0;
}

/* Bind a mock device (maybe behind the second mock instance) and attach it */
static bool act_mock_domain(struct ctx *c)
{
	static const uint32_t ts[] = { T_IOAS, T_IOAS, T_IOAS, T_HWPT, T_S2, T_NESTED };
	static const uint32_t fl[] = { 0, MOCK_FLAGS_DEVICE_INSTANCE1,
		MOCK_FLAGS_DEVICE_INSTANCE1, MOCK_FLAGS_DEVICE_NO_DIRTY,
		MOCK_FLAGS_DEVICE_HUGE_IOVA };
	struct iommu_test_cmd t = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
				    .id = pick(c, ts[rn(6)]), .__reserved = mrsv() };
	struct obj *pt = find(c, t.id), *o;
	uint32_t flags = mflags(fl[rn(5)]);

	if (pct(30))
		t.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	else
		t.mock_domain_flags.dev_flags = flags;
	if (test_cmd(c, &t))
		return false;
	chk_id("MOCK_DOMAIN stdev", t.mock_domain.out_stdev_id);
	chk_id("MOCK_DOMAIN hwpt", t.mock_domain.out_hwpt_id);
	chk_id("MOCK_DOMAIN idev", t.mock_domain.out_idev_id);
	add(c, T_STDEV, t.mock_domain.out_stdev_id, 0)->aux = t.mock_domain.out_idev_id;
	o = add(c, T_IDEV, t.mock_domain.out_idev_id, t.mock_domain.out_stdev_id);
	o->inst = t.op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS &&
		  (flags & MOCK_FLAGS_DEVICE_INSTANCE1);
	/* An auto domain of an IOAS, freed with its last device */
	if (pt && pt->type == T_IOAS)
		add(c, T_HWPT, t.mock_domain.out_hwpt_id, pt->id);
	return true;
}

static bool act_mock_unbind(struct ctx *c) { return destroy(c, pick(c, T_STDEV)); }

static bool act_mock_replace(struct ctx *c)
{
	static const uint32_t ts[] = { T_IOAS, T_HWPT, T_S2, T_NESTED, T_NESTED };
	struct iommu_test_cmd t = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
				    .id = pick(c, T_STDEV) };

	t.mock_domain_replace.pt_id = pick(c, ts[rn(5)]);
	return !test_cmd(c, &t);
}

static bool act_trigger_vevent(struct ctx *c)
{
	struct iommu_test_cmd t = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT };

	t.trigger_vevent.dev_id = entry_dev(c);
	return !test_cmd(c, &t);
}

/* Mock accesses (in-kernel users of an IOAS): create, pin, unpin, rw, replace */
static bool act_access(struct ctx *c)
{
	struct sfd *s = nsfd ? &sfds[rn(nsfd)] : NULL;
	struct map *m = any_map(c, 0);
	uint64_t iova = (m && pct(90) ? m->iova : aper(64)) + (pct(20) ? rn(64) : 0);
	struct iommu_test_cmd t = { .id = s && s->access && pct(95) ? (uint32_t)s->fd : bad_id(c) };

	switch (rn(5)) {
	case 0:
		t.op = IOMMU_TEST_OP_CREATE_ACCESS;
		t.id = pick(c, T_IOAS);
		t.create_access.flags =
			mflags(pct(70) ? MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES : 0);
		break;
	case 1:
		t.op = IOMMU_TEST_OP_ACCESS_PAGES;
		t.access_pages.flags = mflags(rn(2));
		t.access_pages.iova = iova;
		t.access_pages.length = pct(90) ? (1 + rn(4)) * psz : mlen(psz);
		break;
	case 2:
		t.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES;
		t.destroy_access_pages.access_pages_id =
			s && s->nitems && pct(90) ? s->items[rn(s->nitems)] : rn(8);
		break;
	case 3:
		t.op = IOMMU_TEST_OP_ACCESS_RW;
		t.access_rw.iova = iova;
		t.access_rw.length = pct(95) ? 1 + rn(2 * psz) : mlen(psz);
		t.access_rw.uptr = mptr(dbuf, 2 * psz);
		t.access_rw.flags = mflags(rn(2) | (pct(30) ? MOCK_ACCESS_RW_SLOW_PATH : 0));
		break;
	default:
		t.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS;
		t.access_replace_ioas.ioas_id = pick(c, T_IOAS);
	}
	if (test_cmd(c, &t))
		return false;
	if (t.op == IOMMU_TEST_OP_CREATE_ACCESS)
		add_sfd(t.create_access.out_access_fd, true);
	else if (t.op == IOMMU_TEST_OP_ACCESS_PAGES && s && s->nitems < 4)
		s->items[s->nitems++] = t.access_pages.out_access_pages_id;
	return true;
}

/* The other mock ops on the series' state */
static bool act_test_misc(struct ctx *c)
{
	struct iommu_test_cmd t = { .op = IOMMU_TEST_OP_VIOMMU_INFO,
				    .id = pick(c, T_VIOMMU) };

	switch (rn(7)) {
	case 0:
		t.op = IOMMU_TEST_OP_ADD_RESERVED;
		t.id = pick(c, T_IOAS);
		t.add_reserved.start = aper(256);
		t.add_reserved.length = mlen(psz);
		break;
	case 1:
		t.op = IOMMU_TEST_OP_VIOMMU_GET_DEV;
		t.viommu_get_dev.vdev_id = vdev_id();
		break;
	case 2:
		t.op = IOMMU_TEST_OP_DEV_CHECK_CACHE;
		t.id = entry_dev(c);
		t.check_dev_cache.id = rn(5);
		t.check_dev_cache.cache = pct(50) ? IOMMU_TEST_DEV_CACHE_DEFAULT : 0;
		break;
	case 3:
		t.op = IOMMU_TEST_OP_VEVENTQ_SET_SEQUENCE;
		t.id = pick(c, T_VEVQ);
		t.veventq_sequence.sequence = pct(50) ? 0x7fffffff - rn(3) : rnd();
		break;
	case 4:
		t.op = IOMMU_TEST_OP_TRIGGER_IOPF;
		t.trigger_iopf.dev_id = pick(c, T_IDEV);
		t.trigger_iopf.pasid = pct(70) ? 0 : rn(4);
		t.trigger_iopf.grpid = rn(4);
		t.trigger_iopf.perm = rn(16);
		t.trigger_iopf.addr = aper(64);
		break;
	case 5:
		t.op = IOMMU_TEST_OP_DIRTY;
		t.id = pick_hwpt(c);
		t.dirty.iova = aper(64);
		t.dirty.length = (1 + rn(16)) * psz;
		t.dirty.page_size = pct(90) ? psz : 1u << rn(16);
		t.dirty.uptr = mptr(dbuf, 64);
	}
	return !test_cmd(c, &t);
}

/* A child that does one or two things with the inherited iommufd, then exits */
static bool act_fork(struct ctx *c)
{
	struct iommu_ioas_change_process cp = { .size = sizeof(cp) };
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = pick(c, T_IOAS), .length = psz,
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)buf,
	};
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = m.ioas_id,
				      .length = ~0ULL };
	struct iommu_destroy d = { .size = sizeof(d), .id = bad_id(c) };
	static const unsigned long reqs[] = { IOMMU_IOAS_CHANGE_PROCESS,
		IOMMU_IOAS_MAP, IOMMU_IOAS_UNMAP, IOMMU_DESTROY };
	void *args[] = { &cp, &m, &u, &d };
	unsigned int ops = rnd();
	int st, ret = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return false;
	for (int i = 0; !pid && i < 2; i++, ops /= 5) {
		ret = ops % 5 == 4 ? close(c->fd) :
				      ioctl(c->fd, reqs[ops % 5], args[ops % 5]);
		if (ret != 0 && ret != -1)
			_exit(42);
	}
	if (!pid)
		_exit(!!ret);
	if (waitpid(pid, &st, 0) != pid)
		return false;
	if (WIFSIGNALED(st) || WEXITSTATUS(st) == 42)
		bad("forked child: wait status 0x%x", st);
	return WIFEXITED(st) && !WEXITSTATUS(st);
}

static int lowest_free_fd(void)
{
	int fd = fcntl(mfd[0], F_DUPFD, 0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* Any ioctl number of the iommufd (or VFIO compat) range, random payload */
static bool act_raw(struct ctx *c)
{
	uint32_t nr = pct(60) ? 0x80 + rn(0x35) : pct(60) ? 0x64 + rn(0x18) : rn(256);
	uint32_t *w = (uint32_t *)dbuf, len = 8 + rn(120);
	int ret, lo, hi;

	for (uint32_t i = 0; i < len / 4; i++)
		w[i] = pct(50) ? 0 : pct(50) ? rn(64) : rnd();
	w[0] = pct(80) ? len : rnd();
	/* Never the selftest's global memory limit */
	if (nr == 0xa0 && w[1] == IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT)
		w[1] = 0;
	lo = lowest_free_fd();
	ret = ioctl(cfd(c), _IO(IOMMUFD_TYPE, nr), dbuf);
	if (nr >= 0x80 && nr <= 0xb1 && ret != 0 && ret != -1)
		bad("ioctl nr 0x%x returned %d", nr, ret);
	/* Keep the fds it made (event queues, accesses) to close them */
	for (hi = lowest_free_fd(); lo < hi; lo++)
		add_sfd(lo, true);
	return !ret;
}

struct action {
	const char *name;
	bool (*fn)(struct ctx *c);
	unsigned int weight;
	bool core;	/* must reach success in any run */
	unsigned long calls, ok;
};

#define A(n, w, core) { #n, act_##n, w, core, 0, 0 }
static struct action acts[] = {
	A(open, 4, 0),		A(close, 5, 0),		A(destroy, 24, 1),
	A(ioas_alloc, 10, 1),	A(ioas_map, 30, 1),	A(ioas_map_file, 24, 1),
	A(memfd_op, 4, 0),	A(ioas_unmap, 16, 0),	A(ioas_copy, 8, 0),
	A(iova_ranges, 4, 0),	A(allow_iovas, 3, 0),	A(change_process, 4, 0),
	A(option, 4, 0),	A(vfio_ioas, 3, 0),	A(hwpt_s2, 16, 1),
	A(hwpt_paging, 6, 0),	A(hwpt_nested, 16, 0),	A(hwpt_invalidate, 16, 1),
	A(set_dirty, 4, 0),	A(get_dirty, 4, 0),	A(get_hw_info, 4, 0),
	A(fault_alloc, 4, 0),	A(viommu_alloc, 16, 1),	A(set_dev_id, 14, 1),
	A(unset_dev_id, 6, 0),	A(vdevice_alloc, 12, 1), A(hw_queue_alloc, 16, 1),
	A(veventq_alloc, 12, 1), A(mmap, 8, 0),		A(munmap, 6, 0),
	A(read_evfd, 10, 0),	A(mock_domain, 20, 1),	A(mock_unbind, 4, 0),
	A(mock_replace, 12, 0),	A(trigger_vevent, 12, 0), A(access, 10, 0),
	A(test_misc, 8, 0),	A(fork, 1, 0),		A(raw, 4, 0),
};
#define NACT (sizeof(acts) / sizeof(acts[0]))	/* ARRAY_SIZE() */

static struct action *act_by(const char *name)
{
	for (unsigned int i = 0; i < NACT; i++)
		if (!strcmp(acts[i].name, name))
			return &acts[i];
	return NULL;
}

static struct action *pick_action(void)
{
	unsigned int total = 0, r;

	for (unsigned int i = 0; i < NACT; i++)
		total += acts[i].weight;
	r = rn(total);
	for (unsigned int i = 0; i < NACT; r -= acts[i++].weight)
		if (r < acts[i].weight)
			return &acts[i];
	return &acts[0];
}

/* /proc/sys/kernel/tainted: the W bit (512) tells a WARN */
static long tainted(void)
{
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");
	long t = -1;

	if (f && fscanf(f, "%ld", &t) != 1)
		t = -1;
	if (f)
		fclose(f);
	return t;
}

static long vmpin_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f) &&
	       sscanf(line, "VmPin: %ld kB", &kb) != 1)
		;
	if (f)
		fclose(f);
	return kb;
}

/* fds left on /dev/iommu, or on an iommufd anon inode */
static int iommufd_fds_left(void)
{
	DIR *d = opendir("/proc/self/fd");
	char path[300], t[256];
	struct dirent *e;
	int n = 0;
	ssize_t l;

	while (d && (e = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		l = readlink(path, t, sizeof(t) - 1);
		if (l <= 0)
			continue;
		t[l] = 0;
		if (!strcmp(t, "/dev/iommu") || strstr(t, "iommufd"))
			printf("# left open: fd %s -> %s\n", e->d_name, t), n++;
	}
	if (d)
		closedir(d);
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The arena and dbuf (each before a guard page), a hole, the buffer, memfds */
static void setup_memory(void)
{
	char path[64];
	uint8_t *r;
	int fd;

	psz = sysconf(_SC_PAGESIZE);
	asz = 4 * psz;
	r = mmap(NULL, 2 * asz + 3 * psz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf = mmap(NULL, NBUF * psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = memfd_create("fz-shmem", 0);
	if (r == MAP_FAILED || buf == MAP_FAILED || fd < 0 ||
	    ftruncate(fd, NBUF * psz)) {
		perror("setup");
		exit(1);
	}
	arena = r;
	dbuf = r + asz + psz;
	hole = dbuf + asz + psz;
	mprotect(arena + asz, psz, PROT_NONE);
	mprotect(dbuf + asz, psz, PROT_NONE);
	munmap(hole, psz);
	memset(buf, 0x5a, NBUF * psz);
	/* shmem, the same read-only, a sealable one, hugetlb if it works */
	mfd[nmfd++] = fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	mfd[nmfd++] = open(path, O_RDONLY);
	fd = memfd_create("fz-sealable", MFD_ALLOW_SEALING);
	if (fd >= 0 && !ftruncate(fd, NBUF * psz))
		mfd[nmfd++] = fd;
	fd = memfd_create("fz-hugetlb", MFD_HUGETLB);
	if (fd >= 0 && !ftruncate(fd, 2 << 20))
		mfd[nmfd++] = fd;
	printf("# page size %zu, %d memfds%s\n", psz, nmfd,
	       nmfd == 4 ? " (one hugetlb)" : "");
}

int main(int argc, char **argv)
{
	unsigned long execs = 60000, secs = 60, i;
	char never[512] = "", core[512] = "";
	long pin0, pin = -1, taint0;
	int left, fails;
	double t0, el;

	for (int a = 1; a < argc; a += 2) {
		unsigned long v = a + 1 < argc ? strtoul(argv[a + 1], NULL, 0) : 0;

		if (!strcmp(argv[a], "--seed") && a + 1 < argc)
			seed = v;
		else if (!strcmp(argv[a], "--execs") && a + 1 < argc)
			execs = v;
		else if (!strcmp(argv[a], "--secs") && a + 1 < argc)
			secs = v;
		else if (!strcmp(argv[a], "--fds") && v >= 1 && v <= MAX_FDS)
			maxfds = v;
		else if (!strcmp(argv[a], "--fail-nth") && v <= 100)
			failpct = v;
		else
			return fprintf(stderr, "usage: %s [--seed N] [--execs N] [--secs N] [--fds N] [--fail-nth PCT]\n",
				       argv[0]), 2;
	}
	/* splitmix64 of the seed: never the all-zero state */
	rs = seed + 0x9E3779B97F4A7C15ULL;
	rs = (rs ^ (rs >> 30)) * 0xBF58476D1CE4E5B9ULL;
	rs = (rs ^ (rs >> 27)) * 0x94D049BB133111EBULL;
	rs = (rs ^ (rs >> 31)) | 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..4\n# iommufd-fuzz --seed %llu --execs %lu --secs %lu --fds %d --fail-nth %u\n",
	       (unsigned long long)seed, execs, secs, maxfds, failpct);
	if (failpct) {
		failfd = open("/proc/thread-self/fail-nth", O_RDWR);
		failpid = getpid();
		if (failfd < 0)
			printf("# no fail-nth (CONFIG_FAULT_INJECTION): no fault armed\n");
	}
	signal(SIGALRM, on_signal);
	signal(SIGSEGV, on_signal);
	signal(SIGBUS, on_signal);
	signal(SIGPIPE, SIG_IGN);
	setup_memory();
	for (int k = 0; k < MAX_FDS; k++)
		ctxs[k].fd = -1;
	pin0 = vmpin_kb();
	taint0 = tainted();

	t0 = now();
	for (i = 0; i < execs && now() - t0 < secs; i++) {
		struct ctx *c = any_ctx();
		struct action *a = c ? pick_action() : act_by("open");
		bool ok;

		if (c && c->nobj > MAX_OBJ - 8 && pct(50))
			a = act_by("destroy");
		nexec = i;
		cur_name = a->name;
		alarm(STEP_SECS);
		ok = a->fn(c);
		alarm(0);
		a->calls++;
		a->ok += ok;
	}
	el = now() - t0;

	/* Tear everything down: then no pin may be left */
	cur_name = "teardown";
	alarm(STEP_SECS);
	for (; nmm; nmm--)
		munmap(mms[nmm - 1].p, mms[nmm - 1].len);
	for (; nsfd; nsfd--)
		close(sfds[nsfd - 1].fd);
	for (int k = 0; k < MAX_FDS; k++)
		if (ctxs[k].fd >= 0)
			close(ctxs[k].fd);
	for (int k = 0; k < 100 && (pin = vmpin_kb()) != 0; k++)
		usleep(10000);	/* fput() of the last reference may be deferred */
	left = iommufd_fds_left();
	alarm(0);

	printf("ok 1 - seed %llu: %lu executions in %.0f s without a program crash or hang\n",
	       (unsigned long long)seed, i, el);
	printf("%sok 2 - every ioctl returned 0 or -1, no ID 0, no child crashed (%lu violations)\n",
	       nbad ? "not " : "", nbad);
	printf("# %-16s %7s %7s\n", "action", "calls", "ok");
	for (unsigned int k = 0; k < NACT; k++) {
		struct action *a = &acts[k];
		/* vDEVICE or SET_DEV_ID: either door to the dev-id table will do */
		bool either = (!strcmp(a->name, "set_dev_id") && act_by("vdevice_alloc")->ok) ||
			      (!strcmp(a->name, "vdevice_alloc") && act_by("set_dev_id")->ok);
		char *l = a->core && !either ? core : never;

		printf("# %-16s %7lu %7lu\n", a->name, a->calls, a->ok);
		if (!a->ok)
			snprintf(l + strlen(l), 512 - strlen(l), " %s", a->name);
	}
	if (*never || *core)
		printf("# never succeeded:%s%s\n", core, never);
	printf("%sok 3 - every action reached success at least once%s%s\n",
	       *core ? "not " : "", *core ? " # core actions failing:" : "", core);
	printf("%sok 4 - pinned pages back to 0 after closing every iommufd (VmPin %ld kB, %ld kB at start, %d iommufd fds left)\n",
	       pin == 0 && pin0 == 0 && !left ? "" : "not ", pin, pin0, left);
	/* Only a hint: splats are for the console log, where WARNs may not go */
	printf("# kernel taint %ld at start, %ld at the end%s\n", taint0, tainted(),
	       (tainted() & ~taint0 & 512) ? ": a WARN during the run, see dmesg" : "");
	printf("# seed %llu: %lu executions in %.1f s\n",
	       (unsigned long long)seed, i, el);
	if (failpct)
		printf("# fail-nth: a fault injected in %lu of %lu armed ioctls\n",
		       ninjected, narmed);
	fails = !!nbad + !!*core + !(pin == 0 && pin0 == 0 && !left);
	return fails ? 1 : 0;
}
