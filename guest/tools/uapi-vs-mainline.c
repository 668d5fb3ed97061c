// SPDX-License-Identifier: GPL-2.0
/*
 * uapi-vs-mainline: the cases where a VMM could tell this series from mainline
 * (Documentation/userspace-api/iommufd.rst, "Where a VMM Can Tell This Series
 * From Mainline"), each asked of the running kernel through the real ARM
 * SMMUv3 driver on an edu device bound to vfio-pci.
 *
 * The same binary runs on this series (make check's VMM boot) and on upstream
 * Linux as the host (make peer-vmm). It finds out which one it runs on by
 * asking for IOMMU_VIOMMU_SET_DEV_ID, which only the series has, and checks
 * each answer against that kernel's column of the docs table: a row that no
 * longer matches fails on the kernel that changed, so the table cannot drift.
 * Each result line says what was seen, e.g.
 *   ok 3 - entry_len_short # series: EINVAL (mainline: 0, zero-filled)
 *
 * uapi-vs-mainline [BDF [BDF2]]: the edu device to bring up (default: the
 * first), and one behind another SMMU for the stage-2 sharing row (default:
 * the first edu device behind an SMMU other than BDF's).
 * uapi-vs-mainline --kernel: prints "series" or "mainline" and exits, for the
 * VMM suite's scripts (guest/job-vmm.sh).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "vmm-client.h"

#define CMD_TLBI_NH_ASID	0x11ULL
#define CMD_ASID(a)		((uint64_t)(a) << 48)

static int iommufd = -1, devfd = -1, devfd2 = -1;
static uint32_t dev_id, dev2_id, ioas_id, s2_id, viommu_id;
static bool series;
static int tests, failed;

static const char *err_name(int ret)
{
	static char buf[32];

	switch (ret) {
	case 0: return "0";
	case -EINVAL: return "EINVAL";
	case -E2BIG: return "E2BIG";
	case -EBUSY: return "EBUSY";
	case -ENOENT: return "ENOENT";
	case -EFAULT: return "EFAULT";
	case -EOPNOTSUPP: return "EOPNOTSUPP";
	case -EPERM: return "EPERM";
	case -ENOTTY: return "ENOTTY";
	}
	if (ret > 0)	/* a count, not an error */
		snprintf(buf, sizeof(buf), "%d", ret);
	else
		snprintf(buf, sizeof(buf), "errno %d", -ret);
	return buf;
}

/* One row of the docs table: what this kernel must answer, and the other's */
static void expect(const char *name, int got, int want_series, int want_mainline,
		   const char *why)
{
	int want = series ? want_series : want_mainline;
	int other = series ? want_mainline : want_series;

	tests++;
	if (got != want)
		failed++;
	printf("%sok %d - %s # %s: %s", got == want ? "" : "not ", tests, name,
	       series ? "series" : "mainline", err_name(got));
	if (got != want)
		printf(", documented %s", err_name(want));
	printf(" (%s: %s%s%s)\n", series ? "mainline" : "series", err_name(other),
	       why ? ", " : "", why ? why : "");
	fflush(stdout);
}

static int die(const char *what, int ret)
{
	printf("Bail out! %s: %s\n", what, strerror(-ret));
	exit(1);
}

static int invalidate(uint32_t id, void *data, uint32_t entry_len,
		      uint32_t entry_num, uint32_t *out_num)
{
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.hwpt_id = id,
		.data_uptr = (uintptr_t)data,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = entry_len,
		.entry_num = entry_num,
	};
	int ret = ioctl(iommufd, IOMMU_HWPT_INVALIDATE, &inv) ? -errno : 0;

	if (out_num)
		*out_num = inv.entry_num;
	return ret;
}

/* Open @cdev and bind it to the iommufd: its fd, and its device ID in @id */
static int bind_cdev(const char *cdev, uint32_t *id)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	int fd = open(cdev, O_RDWR);

	if (fd < 0)
		die(cdev, -errno);
	bind.iommufd = iommufd;
	if (ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		die("VFIO_DEVICE_BIND_IOMMUFD", -errno);
	*id = bind.out_devid;
	return fd;
}

/* @cdev2, if any, is only bound: the stage-2 sharing row attaches it */
static void bring_up(const char *cdev, const char *cdev2)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	int ret;

	iommufd = open("/dev/iommu", O_RDWR);
	if (iommufd < 0)
		die("open /dev/iommu", -errno);
	devfd = bind_cdev(cdev, &dev_id);
	if (cdev2)
		devfd2 = bind_cdev(cdev2, &dev2_id);
	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &ioas))
		die("IOMMU_IOAS_ALLOC", -errno);
	ioas_id = ioas.out_ioas_id;
	ret = nest_parent_alloc(iommufd, dev_id, ioas_id, &s2_id);
	if (ret)
		die("IOMMU_HWPT_ALLOC(NEST_PARENT)", ret);
	ret = vfio_attach(devfd, s2_id);
	if (ret)
		die("attach to the S2", ret);
	ret = viommu_alloc(iommufd, dev_id, s2_id, &viommu_id);
	if (ret)
		die("IOMMU_VIOMMU_ALLOC", ret);
}

/* Only the series has IOMMU_VIOMMU_SET_DEV_ID (0xb0): mainline says ENOTTY */
static bool is_series(void)
{
	uint32_t zero[16] = { sizeof(zero) };

	return !(ioctl(iommufd, _IO(IOMMUFD_TYPE, 0xb0), zero) && errno == ENOTTY);
}

static void invalidate_rows(void)
{
	uint64_t cmd[3] = { CMD_TLBI_NH_ASID | CMD_ASID(1), 0, 0 };
	uint32_t num;
	int ret;

	num = 7;
	ret = invalidate(ioas_id, cmd, 16, 1, &num);
	expect("invalidate_on_ioas", ret, -EINVAL, -EINVAL, "6.12 said ENOENT");
	expect("invalidate_on_ioas_entry_num_out", num, 0, 0, "entry_num written back");
	ret = invalidate(s2_id, cmd, 16, 1, NULL);
	expect("invalidate_on_paging_hwpt", ret, -EINVAL, -EINVAL, NULL);

	ret = invalidate(viommu_id, cmd, 24, 1, &num);
	expect("entry_len_long_zero_padding", ret, 0, 0, NULL);
	expect("entry_len_long_zero_padding_done", num, 1, 1, "entry_num out");
	cmd[2] = 1;
	ret = invalidate(viommu_id, cmd, 24, 1, NULL);
	expect("entry_len_long_nonzero_padding", ret, -E2BIG, -E2BIG, NULL);
	ret = invalidate(viommu_id, cmd, 8, 1, NULL);
	expect("entry_len_short", ret, -EINVAL, 0, "mainline zero-fills the entry");
	ret = invalidate(viommu_id, cmd, 16, 0, &num);
	expect("entry_num_zero", ret, 0, -EINVAL, "the series' documented probe");
}

static void viommu_alloc_data_row(void)
{
	struct iommu_viommu_alloc a = {
		.size = sizeof(a),
		.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
		.dev_id = dev_id,
		.hwpt_id = s2_id,
		.data_len = 16,
		.data_uptr = 0,
	};
	int ret = ioctl(iommufd, IOMMU_VIOMMU_ALLOC, &a) ? -errno : 0;

	if (!ret)
		obj_destroy(iommufd, a.out_viommu_id);
	expect("viommu_alloc_data_len_without_uptr", ret, -EINVAL, 0,
	       "ARM SMMUv3 takes no data upstream");
}

static int veventq_alloc_ret(uint32_t type, uint32_t depth)
{
	uint32_t id = 0;
	int qfd = -1, ret;

	ret = veventq_alloc(iommufd, viommu_id, type, depth, &id, &qfd);
	if (!ret) {
		close(qfd);
		obj_destroy(iommufd, id);
	}
	return ret;
}

static void veventq_rows(void)
{
	expect("veventq_type_never_reported",
	       veventq_alloc_ret(IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, 16),
	       -EOPNOTSUPP, 0, "TEGRA241_CMDQV on a plain ARM SMMUv3 vIOMMU");
}

/*
 * IOMMU_IOAS_MAP_FILE of @len bytes of @mfd, on an IOAS of its own with no
 * domain (nothing is pinned at map time there), the IOAS destroyed after.
 */
static int map_file_ret(int mfd, uint64_t len, uint32_t flags)
{
	struct iommu_ioas_map_file m = {
		.size = sizeof(m),
		.flags = flags,
		.fd = mfd,
		.length = len,
	};
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int ret;

	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &a))
		die("IOMMU_IOAS_ALLOC", -errno);
	m.ioas_id = a.out_ioas_id;
	ret = ioctl(iommufd, IOMMU_IOAS_MAP_FILE, &m) ? -errno : 0;
	obj_destroy(iommufd, a.out_ioas_id);
	return ret;
}

static void map_file_rows(void)
{
	const uint32_t rw = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	int mfd = memfd_create("uapi-vs-mainline", MFD_ALLOW_SEALING);
	char path[64];
	int ro, p[2];

	if (mfd < 0 || ftruncate(mfd, 0x10000))
		die("memfd_create + ftruncate", -errno);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	ro = open(path, O_RDONLY);
	if (ro < 0)
		die("open the memfd read-only", -errno);
	expect("map_file_writeable_readonly_fd", map_file_ret(ro, 0x1000, rw),
	       -EPERM, 0, "DMA could write a file opened read-only");
	close(ro);
	expect("map_file_beyond_end_no_domain", map_file_ret(mfd, 0x20000, rw),
	       -EINVAL, 0, "mainline fails only when the pages are pinned");
	if (pipe(p))
		die("pipe", -errno);
	expect("map_file_not_memfd_no_domain", map_file_ret(p[0], 0x1000,
							    IOMMU_IOAS_MAP_READABLE),
	       -EINVAL, 0, "a pipe; mainline fails only when pinning");
	close(p[0]);
	close(p[1]);
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE))
		die("F_SEAL_WRITE", -errno);
	expect("map_file_writeable_sealed", map_file_ret(mfd, 0x1000, rw),
	       -EPERM, 0, "DMA could write a file sealed against writes");
	close(mfd);
}

/*
 * The second device, behind the other SMMU, attached to the NEST_PARENT
 * stage-2 the first one allocated: what QEMU tries before it allocates a
 * stage-2 per vSMMU. Then unbound, so the rows after it see what they did.
 */
static void attach_s2_other_smmu_row(void)
{
	int ret = vfio_attach(devfd2, s2_id);

	close(devfd2);
	devfd2 = -1;
	expect("attach_nest_parent_other_smmu", ret, 0, -EINVAL,
	       "mainline ties a stage-2 to the SMMU it was allocated on");
}

/* Last: it unbinds the device */
static void unbind_with_vdevice_row(void)
{
	struct iommu_vdevice_alloc v = {
		.size = sizeof(v),
		.viommu_id = viommu_id,
		.dev_id = dev_id,
		.virt_id = 0x10,
	};
	int ret;

	if (ioctl(iommufd, IOMMU_VDEVICE_ALLOC, &v))
		die("IOMMU_VDEVICE_ALLOC", -errno);
	close(devfd);	/* unbinds the device from the iommufd */
	devfd = -1;
	ret = obj_destroy(iommufd, viommu_id);
	expect("unbind_then_destroy_viommu", ret, -EBUSY, 0,
	       "the series' vDEVICE holds its vIOMMU until destroyed");
	ret = obj_destroy(iommufd, v.out_vdevice_id);
	expect("unbind_then_destroy_vdevice", ret, 0, -ENOENT,
	       "mainline destroyed it with the device");
	if (series) {
		ret = obj_destroy(iommufd, viommu_id);
		expect("destroy_viommu_after_vdevice", ret, 0, 0, NULL);
	}
}

/* The edu device @bdf (the first if NULL), bound to vfio-pci; NULL if none */
static struct edu_sysfs *find_edu(struct edu_sysfs *edu, int n, const char *bdf)
{
	int i;

	for (i = 0; i < n; i++)
		if ((!bdf || !strcmp(edu[i].bdf, bdf)) && edu[i].cdev[0])
			return &edu[i];
	return NULL;
}

/* The edu device @bdf, or the first behind another SMMU than @first's */
static struct edu_sysfs *find_other(struct edu_sysfs *edu, int n,
				    const char *bdf, struct edu_sysfs *first)
{
	int i;

	if (bdf)
		return find_edu(edu, n, bdf);
	for (i = 0; i < n; i++)
		if (edu[i].cdev[0] && strcmp(edu[i].smmu, first->smmu))
			return &edu[i];
	return NULL;
}

int main(int argc, char **argv)
{
	struct edu_sysfs edu[EDU_MAX], *e, *e2;
	int n = edu_sysfs_find(edu, EDU_MAX);

	if (argc == 2 && !strcmp(argv[1], "--kernel")) {
		iommufd = open("/dev/iommu", O_RDWR);
		if (iommufd < 0)
			die("open /dev/iommu", -errno);
		printf("%s\n", is_series() ? "series" : "mainline");
		return 0;
	}
	printf("TAP version 13\n");
	e = find_edu(edu, n, argc > 1 ? argv[1] : NULL);
	if (!e) {
		printf("1..0 # SKIP no edu device %s bound to vfio-pci\n",
		       argc > 1 ? argv[1] : "");
		return 4;
	}
	e2 = find_other(edu, n, argc > 2 ? argv[2] : NULL, e);
	if (e2 && !strcmp(e2->smmu, e->smmu))
		e2 = NULL;
	bring_up(e->cdev, e2 ? e2->cdev : NULL);
	series = is_series();
	note("kernel: %s; device %s behind %s", series ? "this series" :
	     "mainline (no IOMMU_VIOMMU_SET_DEV_ID)", e->bdf, e->smmu);
	if (e2)
		note("second device %s behind %s", e2->bdf, e2->smmu);
	printf("1..%d\n", series ? 18 : 17);
	invalidate_rows();
	viommu_alloc_data_row();
	veventq_rows();
	map_file_rows();
	if (e2) {
		attach_s2_other_smmu_row();
	} else {
		tests++;
		printf("ok %d - attach_nest_parent_other_smmu # SKIP no second edu device behind another SMMU\n",
		       tests);
	}
	unbind_with_vdevice_row();
	close(iommufd);
	return failed ? 1 : 0;
}
