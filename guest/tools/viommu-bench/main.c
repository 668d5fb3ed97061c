// SPDX-License-Identifier: GPL-2.0
/*
 * viommu-bench: performance figures of the vIOMMU uAPI, as TAP with one
 * "# BENCH" comment line per measured point.
 *   viommu-bench [--tiny] [--reps R] [--only mock|smmu|s2share|mem|mapfile]
 * mock: invalidation cost and dev-id table scaling on the iommufd selftest's
 * mock IOMMU, and a stage-2 shared by mock vIOMMUs on both mock instances
 * (mock.c, devid.c, mock-s2.c); smmu: a stage-2 shared by vIOMMUs on the
 * emulated SMMUv3s (smmu.c); s2share: one stage-2 attached directly to
 * devices behind both SMMUs against one stage-2 per SMMU (s2share.c);
 * mem: kernel memory per object (mem.c);
 * mapfile: mapping guest RAM from anonymous memory, a memfd and a hugetlbfs
 * memfd (mapfile.c).
 * The same binary runs on this series and on mainline: it uses only ioctls
 * and test ops that both have, and SKIPs what the kernel lacks.
 */
#include "common.h"

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--tiny] [--reps R] [--only mock|smmu|s2share|mem|mapfile]\n",
		prog);
	exit(2);
}

#define SET(arr, n, ...)						\
	do {								\
		const unsigned int v_[] = { __VA_ARGS__ };		\
		memcpy(arr, v_, sizeof(v_));				\
		n = sizeof(v_) / sizeof(v_[0]);				\
	} while (0)

/* This series answers IOMMU_VIOMMU_SET_DEV_ID; mainline has no such ioctl */
static bool kernel_is_series(void)
{
	struct iommu_viommu_set_dev_id s = { .size = sizeof(s) };
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	bool series;

	if (fd < 0)
		return false;
	series = ioctl(fd, IOMMU_VIOMMU_SET_DEV_ID, &s) == 0 ||
		 errno != ENOTTY;
	close(fd);
	return series;
}

int main(int argc, char **argv)
{
	struct bench_cfg cfg = { .reps = 11 };
	const char *only = NULL;
	bool reps_set = false;
	uint64_t t0 = now_ns();
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tiny")) {
			cfg.tiny = true;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			char *end;

			cfg.reps = strtol(argv[++i], &end, 10);
			if (*end || cfg.reps < 1 || cfg.reps > 1000)
				usage(argv[0]);
			reps_set = true;
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			only = argv[++i];
			if (strcmp(only, "mock") && strcmp(only, "smmu") &&
			    strcmp(only, "s2share") && strcmp(only, "mem") &&
			    strcmp(only, "mapfile"))
				usage(argv[0]);
		} else {
			usage(argv[0]);
		}
	}
	if (cfg.tiny) {
		if (!reps_set)
			cfg.reps = 2;
		SET(cfg.batches, cfg.nbatches, 1, 64);
		SET(cfg.entries, cfg.nentries, 10, 100);
		SET(cfg.viommus, cfg.nviommus, 1, 2);
		cfg.mem_viommus = 10;
		cfg.mem_entries = 100;
		cfg.sample_ns = 20000000;
	} else {
		SET(cfg.batches, cfg.nbatches, 1, 64, 4096);
		SET(cfg.entries, cfg.nentries, 10, 1000, 10000);
		SET(cfg.viommus, cfg.nviommus, 1, 2, 4);
		cfg.mem_viommus = 1000;
		cfg.mem_entries = 10000;
		cfg.sample_ns = 100000000;
	}
	cfg.series = kernel_is_series();

	if (!only || !strcmp(only, "mock"))
		n += INV_FIGURES + DEVID_FIGURES + MOCK_S2_FIGURES;
	if (!only || !strcmp(only, "smmu"))
		n += S2_FIGURES;
	if (!only || !strcmp(only, "s2share"))
		n += S2SHARE_FIGURES;
	if (!only || !strcmp(only, "mem"))
		n += MEM_FIGURES;
	if (!only || !strcmp(only, "mapfile"))
		n += MAPFILE_FIGURES;
	tap_begin(n);
	note("kernel: %s", cfg.series ? "series" : "mainline");
	note("reps=%d%s", cfg.reps, cfg.tiny ? " (tiny)" : "");

	if (!only || !strcmp(only, "mock")) {
		run_inv(&cfg);
		run_devid(&cfg);
		run_mock_s2(&cfg);
	}
	if (!only || !strcmp(only, "smmu"))
		run_smmu(&cfg);
	if (!only || !strcmp(only, "s2share"))
		run_s2share(&cfg);
	if (!only || !strcmp(only, "mem"))
		run_mem(&cfg);
	if (!only || !strcmp(only, "mapfile"))
		run_mapfile(&cfg);
	note("wall time %.1f s", (now_ns() - t0) / 1e9);
	return tap_failed() ? 1 : 0;
}
