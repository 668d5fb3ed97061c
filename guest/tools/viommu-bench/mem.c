// SPDX-License-Identifier: GPL-2.0
/*
 * viommu-bench, mock IOMMU: kernel memory per object, as the growth of
 * "Slab:" in /proc/meminfo (kB) while the objects exist, per object.
 *  - mem.bytes_per_viommu: M mock vIOMMUs on one nesting parent;
 *  - mem.bytes_per_vdevice: N IOMMU_VDEVICE_ALLOC entries in one vIOMMU;
 *  - mem.bytes_per_set_dev_id: N IOMMU_VIOMMU_SET_DEV_ID entries (this
 *    series only).
 * Every cache is shrunk (/sys/kernel/slab/<cache>/shrink) before a reading,
 * and a reading waits for "Slab:" to stop falling, so that objects freed by
 * earlier runs do not hide the growth. Page
 * allocations (e.g. the mock vIOMMU's MMIO pages) are not in "Slab:".
 */
#include <dirent.h>

#include "common.h"


static const char *const mem_figs[MEM_FIGURES] = {
	"mem.bytes_per_viommu", "mem.bytes_per_vdevice",
	"mem.bytes_per_set_dev_id",
};

/* Release the empty and per-CPU slabs of every cache; 0 if there is no way */
static int slab_shrink(void)
{
	DIR *dir = opendir("/sys/kernel/slab");
	char path[PATH_MAX];
	struct dirent *de;
	int fd, n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 de->d_name);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (write(fd, "1", 1) == 1)
			n++;
		close(fd);
	}
	closedir(dir);
	return n;
}

/* "Slab:" of /proc/meminfo in kB, every cache shrunk first */
static int slab_read(long *kb)
{
	FILE *f;
	char line[128];
	int ret = -ENOENT;

	slab_shrink();
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Slab: %ld kB", kb) == 1) {
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * "Slab:" once it has stopped falling: frees deferred by RCU (e.g. of the
 * objects an earlier measurement destroyed) are given up to 2 s to land.
 */
int slab_kb(long *kb)
{
	long prev;
	int i, ret;

	ret = slab_read(kb);
	for (i = 0; !ret && i < 20; i++) {
		prev = *kb;
		usleep(100000);
		ret = slab_read(kb);
		if (*kb >= prev)
			break;
	}
	return ret;
}

/*
 * Up to @m mock vIOMMUs: the mock IOMMU of this series hands out a few VMIDs
 * per instance and then fails with ENOSPC, which ends the batch early.
 */
static void mem_viommus(struct mock_env *e, unsigned int m, double *bytes,
			long *kb, unsigned int *made, struct fail *f)
{
	uint32_t *id = calloc(m, sizeof(*id));
	long before, after;
	unsigned int i;
	int ret;

	*made = 0;
	if (!id) {
		fail_set(f, -ENOMEM, "%u vIOMMU IDs", m);
		return;
	}
	ret = slab_kb(&before);
	if (ret) {
		fail_set(f, ret, "Slab: in /proc/meminfo");
		goto out;
	}
	for (i = 0; i < m; i++, (*made)++) {
		ret = mock_viommu_alloc(e->fd, e->dev_id[0], e->parent, &id[i]);
		if (ret == -ENOSPC && i)
			break;
		if (ret) {
			fail_set(f, ret, "IOMMU_VIOMMU_ALLOC (mock) %u of %u",
				 i + 1, m);
			goto out;
		}
	}
	ret = slab_kb(&after);
	if (ret)
		fail_set(f, ret, "Slab: in /proc/meminfo");
	*kb = after - before;
	*bytes = *kb * 1024.0 / *made;
out:
	for (i = 0; i < *made; i++) {
		ret = obj_destroy(e->fd, id[i]);
		if (ret)
			fail_set(f, ret, "IOMMU_DESTROY vIOMMU");
	}
	free(id);
}

/* Entries for all e->ndev devices in a fresh vIOMMU */
static void mem_entries(struct mock_env *e, bool by_set_dev_id, uint32_t *vdev,
			double *bytes, struct fail *f)
{
	unsigned int made = 0;
	long before, after;
	uint32_t viommu;
	int ret;

	ret = mock_viommu_alloc(e->fd, e->dev_id[0], e->parent, &viommu);
	if (ret) {
		fail_set(f, ret, "IOMMU_VIOMMU_ALLOC (mock)");
		return;
	}
	ret = slab_kb(&before);
	if (ret) {
		fail_set(f, ret, "Slab: in /proc/meminfo");
	} else if (!entries_add(e, viommu, by_set_dev_id, vdev, &made, f)) {
		ret = slab_kb(&after);
		if (ret)
			fail_set(f, ret, "Slab: in /proc/meminfo");
		*bytes = (after - before) * 1024.0 / e->ndev;
	}
	entries_remove(e, viommu, by_set_dev_id, vdev, made, f);
	ret = obj_destroy(e->fd, viommu);
	if (ret)
		fail_set(f, ret, "IOMMU_DESTROY vIOMMU");
}

void run_mem(const struct bench_cfg *cfg)
{
	double viommu[MEM_REPS], vdevice[MEM_REPS], sdi[MEM_REPS];
	struct fail fv = { 0 }, fd = { 0 }, fs = { 0 };
	unsigned int made = 0, n = cfg->mem_entries;
	long kb[MEM_REPS];
	struct mock_env e;
	uint32_t *vdev;
	char keys[32], why[160];
	int r;

	if (mock_env_open(&e, 1, &fv)) {
		group_failed(mem_figs, MEM_FIGURES, &fv);
		return;
	}
	if (!slab_shrink())
		note("mem: cannot shrink slab caches (no /sys/kernel/slab): figures include reused free objects");
	for (r = 0; r < MEM_REPS && !fv.err; r++)
		mem_viommus(&e, cfg->mem_viommus, &viommu[r], &kb[r], &made,
			    &fv);
	mock_env_close(&e);
	if (fv.err) {
		fig_end(mem_figs[0], &fv);
	} else if (made < cfg->mem_viommus) {
		/* A few objects are below the kB and slab-page resolution */
		for (r = 0; r < MEM_REPS; r++)
			note("mem: %u mock vIOMMUs: Slab: grew by %ld kB",
			     made, kb[r]);
		snprintf(why, sizeof(why),
			 "the mock IOMMU allows only %u vIOMMUs (ENOSPC: VMIDs), too few to measure",
			 made);
		fig_skip(mem_figs[0], why);
	} else {
		snprintf(keys, sizeof(keys), "count=%u", made);
		bench_line(mem_figs[0], keys, "bytes", viommu, MEM_REPS, false);
		fig_end(mem_figs[0], &fv);
	}

	vdev = calloc(n, sizeof(*vdev));
	if (!vdev)
		fail_set(&fd, -ENOMEM, "%u vDEVICE IDs", n);
	else
		mock_env_open(&e, n, &fd);
	if (!fd.err) {
		for (r = 0; r < MEM_REPS && !fd.err; r++)
			mem_entries(&e, false, vdev, &vdevice[r], &fd);
		for (r = 0; cfg->series && r < MEM_REPS && !fs.err; r++)
			mem_entries(&e, true, vdev, &sdi[r], &fs);
		mock_env_close(&e);
	} else {
		fs = fd;
	}
	free(vdev);
	snprintf(keys, sizeof(keys), "count=%u", n);
	if (!fd.err)
		bench_line(mem_figs[1], keys, "bytes", vdevice, MEM_REPS,
			   false);
	fig_end(mem_figs[1], &fd);
	if (!cfg->series) {
		fig_skip(mem_figs[2], "no IOMMU_VIOMMU_SET_DEV_ID in this kernel");
		return;
	}
	if (!fs.err)
		bench_line(mem_figs[2], keys, "bytes", sdi, MEM_REPS, false);
	fig_end(mem_figs[2], &fs);
}
