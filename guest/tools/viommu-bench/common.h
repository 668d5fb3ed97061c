/* SPDX-License-Identifier: GPL-2.0 */
/*
 * viommu-bench, internal: the run's configuration, timing and statistics, the
 * TAP/BENCH output, the mock-IOMMU objects (iommufd selftest ops), and the
 * figure groups main.c runs (mock.c, devid.c, mock-s2.c, smmu.c, s2share.c,
 * mem.c, mapfile.c).
 */
#ifndef VIOMMU_BENCH_H
#define VIOMMU_BENCH_H

#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../vmm-client.h"
#include "../../../drivers/iommu/iommufd/iommufd_test.h"

#define MAX_SIZES	4

struct bench_cfg {
	bool tiny;
	bool series;		/* the kernel has IOMMU_VIOMMU_SET_DEV_ID */
	int reps;
	unsigned int batches[MAX_SIZES];	/* inv: entries per ioctl */
	int nbatches;
	unsigned int entries[MAX_SIZES];	/* devid: dev-id table sizes */
	int nentries;
	unsigned int viommus[MAX_SIZES];	/* s2: vIOMMUs on the S2 */
	int nviommus;
	unsigned int mem_viommus;		/* mem: M */
	unsigned int mem_entries;		/* mem: N */
	uint64_t sample_ns;	/* a timed repetition lasts at least this */
};

/* stats.c: clock, time-bounded loops, TAP and BENCH lines */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One call of the operation a loop times: 0 or -errno */
typedef int (*op_fn)(void *arg);

int calibrate(op_fn fn, void *arg, uint64_t target_ns, unsigned long *calls);
int time_calls(op_fn fn, void *arg, unsigned long calls, double *ns);

/* The first failure of a group of figures: what failed, and its -errno */
struct fail {
	int err;
	char what[192];
	const char *skip;	/* not a failure: the kernel lacks a feature */
};

void __attribute__((format(printf, 3, 4)))
fail_set(struct fail *f, int err, const char *fmt, ...);

void tap_begin(int nfigures);
int tap_failed(void);
void bench_line(const char *fig, const char *keys, const char *unit,
		const double *v, int n, bool ratio);
void fig_end(const char *fig, const struct fail *f);
void fig_skip(const char *fig, const char *reason);
void ratios(const double *num, const double *den, int n, double *out);

/* mockobj.c: iommufd objects, the mock IOMMU's and the generic ones */
struct mock_env {
	int fd;
	uint32_t ioas;
	uint32_t parent;	/* NEST_PARENT hwpt, allocated via dev_id[0] */
	unsigned int ndev;
	uint32_t *dev_id;
};

/* The vdev_id that entries_add() gives mock device @i */
#define ENTRY_VDEV_ID(i)	((uint64_t)(i) + 1)

int mock_dev_add(int fd, uint32_t ioas, uint32_t dev_flags, uint32_t *dev_id);
int mock_env_open(struct mock_env *e, unsigned int ndev, struct fail *f);
void mock_env_close(struct mock_env *e);
int mock_viommu_alloc(int fd, uint32_t dev_id, uint32_t hwpt, uint32_t *id);
int mock_nested_alloc(int fd, uint32_t dev_id, uint32_t parent, uint32_t *id);
int vdevice_alloc(int fd, uint32_t viommu, uint32_t dev_id, uint64_t virt_id,
		  uint32_t *id);
int set_dev_id(int fd, uint32_t viommu, uint32_t dev_id, uint64_t vdev_id);
int unset_dev_id(int fd, uint32_t viommu, uint32_t dev_id, uint64_t vdev_id);
int entries_add(const struct mock_env *e, uint32_t viommu, bool by_set_dev_id,
		uint32_t *vdev, unsigned int *made, struct fail *f);
void entries_remove(const struct mock_env *e, uint32_t viommu,
		    bool by_set_dev_id, const uint32_t *vdev, unsigned int made,
		    struct fail *f);
int hwpt_invalidate(int fd, uint32_t id, uint32_t type, const void *entries,
		    uint32_t len, uint32_t num);
int ioas_alloc(int fd, uint32_t *id);

/* The figure groups: the number of TAP lines each prints, and the group */
#define INV_FIGURES	5
#define DEVID_FIGURES	8
#define S2_FIGURES	5
#define S2SHARE_FIGURES	6
#define MOCK_S2_FIGURES	2
#define MEM_FIGURES	3
#define MAPFILE_FIGURES	6
#define RAM_MAP_MB	512	/* mapfile: the guest RAM QEMU maps at start */

void run_inv(const struct bench_cfg *cfg);
void run_devid(const struct bench_cfg *cfg);
void run_smmu(const struct bench_cfg *cfg);
void run_s2share(const struct bench_cfg *cfg);
void run_mock_s2(const struct bench_cfg *cfg);
void run_mem(const struct bench_cfg *cfg);
void run_mapfile(const struct bench_cfg *cfg);
/* mem.c: "Slab:" in kB once it has stopped falling, caches shrunk */
int slab_kb(long *kb);
#define MEM_REPS	3
void group_failed(const char *const *figs, int n, const struct fail *f);

#endif
