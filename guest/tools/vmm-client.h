/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest tools acting as a VMM share:
 *  - finding QEMU's edu test devices in sysfs, with the SMMU in front of each
 *    (the basename of /sys/bus/pci/devices/<bdf>/iommu, "smmu3.0x<base>") and
 *    the VFIO cdev vfio-pci gave it (/dev/vfio/devices/vfioN);
 *  - TAP comments, and thin iommufd / VFIO ioctl wrappers returning 0 or -errno.
 */
#ifndef VMM_CLIENT_H
#define VMM_CLIENT_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

/* TAP comment on stdout, flushed: tests run in forked children that _exit() */
static inline void __attribute__((format(printf, 1, 2)))
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
}

static inline int obj_destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &d) ? -errno : 0;
}

/* A vIOMMU of @type, no driver data, on the nesting parent @hwpt_id */
static inline int viommu_alloc_type(int fd, uint32_t type, uint32_t dev_id,
				    uint32_t hwpt_id, uint32_t *out)
{
	struct iommu_viommu_alloc a = {
		.size = sizeof(a),
		.type = type,
		.dev_id = dev_id,
		.hwpt_id = hwpt_id,
	};
	int ret = ioctl(fd, IOMMU_VIOMMU_ALLOC, &a) ? -errno : 0;

	*out = ret ? 0 : a.out_viommu_id;
	return ret;
}

/* An ARM_SMMUV3 vIOMMU for @dev_id on the nesting parent @hwpt_id */
static inline int viommu_alloc(int fd, uint32_t dev_id, uint32_t hwpt_id,
			       uint32_t *out)
{
	return viommu_alloc_type(fd, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, dev_id,
				 hwpt_id, out);
}

/* A vEVENTQ of @type on @viommu: its ID and its file descriptor */
static inline int veventq_alloc(int fd, uint32_t viommu, uint32_t type,
				uint32_t depth, uint32_t *id, int *qfd)
{
	struct iommu_veventq_alloc a = {
		.size = sizeof(a),
		.viommu_id = viommu,
		.type = type,
		.veventq_depth = depth,
	};

	if (ioctl(fd, IOMMU_VEVENTQ_ALLOC, &a))
		return -errno;
	*id = a.out_veventq_id;
	*qfd = a.out_veventq_fd;
	return 0;
}

/* IOAS_MAP of [@va, +@len) at the fixed @iova, read/write */
static inline int ioas_map_fixed(int fd, uint32_t ioas, void *va, uint64_t len,
				 uint64_t iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return ioctl(fd, IOMMU_IOAS_MAP, &m) ? -errno : 0;
}

/* IOAS_MAP_FILE of [0, +@len) of the memfd @memfd at the fixed @iova, read/write */
static inline int ioas_map_file_fixed(int fd, uint32_t ioas, int memfd,
				      uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map_file m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.fd = memfd,
		.start = 0,
		.length = len,
		.iova = iova,
	};

	return ioctl(fd, IOMMU_IOAS_MAP_FILE, &m) ? -errno : 0;
}

/* IOAS_UNMAP of [@iova, +@len); @out_len, if given: what was unmapped */
static inline int ioas_unmap(int fd, uint32_t ioas, uint64_t iova,
			     uint64_t len, uint64_t *out_len)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};
	int ret = ioctl(fd, IOMMU_IOAS_UNMAP, &u) ? -errno : 0;

	if (out_len)
		*out_len = u.length;
	return ret;
}

/* A NEST_PARENT stage-2 HWPT on @ioas, allocated through @dev_id */
static inline int nest_parent_alloc(int fd, uint32_t dev_id, uint32_t ioas,
				    uint32_t *out)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a),
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
		.dev_id = dev_id,
		.pt_id = ioas,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};
	int ret = ioctl(fd, IOMMU_HWPT_ALLOC, &a) ? -errno : 0;

	*out = ret ? 0 : a.out_hwpt_id;
	return ret;
}

static inline int vfio_attach(int devfd, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at), .flags = 0, .pt_id = pt_id,
	};

	return ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) ? -errno : 0;
}

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

/* The sysfs facts of an edu device; tools start their own struct with these */
#define EDU_SYSFS_MEMBERS	\
	char bdf[64];		\
	char smmu[128];		\
	char cdev[96]

struct edu_sysfs {
	EDU_SYSFS_MEMBERS;
};

#define EDU_MAX	8

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

/*
 * Fill up to @max elements of @stride bytes at @out, each starting with
 * EDU_SYSFS_MEMBERS, the rest of each element zeroed. Returns the count.
 */
static inline int edu_sysfs_find_into(void *out, size_t stride, int max)
{
	struct edu_sysfs found[EDU_MAX];
	int n, i;

	n = edu_sysfs_find(found, max < EDU_MAX ? max : EDU_MAX);
	for (i = 0; i < n; i++) {
		memset((char *)out + i * stride, 0, stride);
		memcpy((char *)out + i * stride, &found[i], sizeof(found[i]));
	}
	return n;
}

#endif
