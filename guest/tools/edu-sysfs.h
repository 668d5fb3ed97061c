/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest tools: find QEMU's edu test devices in sysfs, with the SMMU in front
 * of each (the basename of /sys/bus/pci/devices/<bdf>/iommu, "smmu3.0x<base>")
 * and the VFIO cdev vfio-pci gave it (/dev/vfio/devices/vfioN).
 */
#ifndef EDU_SYSFS_H
#define EDU_SYSFS_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

struct edu_sysfs {
	char bdf[64];
	char smmu[128];
	char cdev[96];
};

static inline int edu_read_sysfs_hex(const char *path, unsigned long *val)
{
	char buf[64];
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	*val = strtoul(buf, NULL, 16);
	return 0;
}

static inline int edu_sysfs_cmp(const void *a, const void *b)
{
	const struct edu_sysfs *x = a, *y = b;
	int r = strcmp(x->smmu, y->smmu);

	return r ? r : strcmp(x->bdf, y->bdf);
}

/* All edu functions, sorted by (SMMU name, BDF); cdev is empty if unbound. */
static inline int edu_sysfs_find(struct edu_sysfs *out, int max)
{
	DIR *dir = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	int n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir)) && n < max) {
		char path[PATH_MAX], link[PATH_MAX];
		unsigned long vendor, device;
		struct edu_sysfs *e = &out[n];
		struct dirent *ve;
		ssize_t len;
		DIR *vd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 de->d_name);
		if (edu_read_sysfs_hex(path, &vendor) || vendor != EDU_VENDOR)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 de->d_name);
		if (edu_read_sysfs_hex(path, &device) || device != EDU_DEVICE)
			continue;

		memset(e, 0, sizeof(*e));
		snprintf(e->bdf, sizeof(e->bdf), "%.63s", de->d_name);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu",
			 de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len > 0) {
			link[len] = 0;
			snprintf(e->smmu, sizeof(e->smmu), "%.127s",
				 strrchr(link, '/') ? strrchr(link, '/') + 1 :
						      link);
		}
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev",
			 de->d_name);
		vd = opendir(path);
		if (vd) {
			while ((ve = readdir(vd))) {
				if (!strncmp(ve->d_name, "vfio", 4)) {
					snprintf(e->cdev, sizeof(e->cdev),
						 "/dev/vfio/devices/%.64s",
						 ve->d_name);
					break;
				}
			}
			closedir(vd);
		}
		n++;
	}
	closedir(dir);
	qsort(out, n, sizeof(*out), edu_sysfs_cmp);
	return n;
}

#endif
