// SPDX-License-Identifier: GPL-2.0
/*
 * noncoherent-refusal: with the firmware's own IORT (QEMU: root complex
 * CPM|DACS, no CANWBS) and an SMMU without S2FWB, the kernel must refuse
 * SMMUv3 nesting through iommufd, while plain (non-nested) use still works.
 *
 * Runs in the test VM booted WITHOUT the IORT override (vmjob=check-noncoherent),
 * on every QEMU `edu` device (1234:11e8) bound to vfio-pci. For each device:
 *
 *   - IOMMU_GET_HW_INFO still reports IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
 *   - IOMMU_HWPT_ALLOC with IOMMU_HWPT_ALLOC_NEST_PARENT fails with EOPNOTSUPP;
 *   - a plain paging IOMMU_HWPT_ALLOC (flags 0) succeeds, the device attaches to
 *     it and detaches again;
 *   - IOMMU_VIOMMU_ALLOC of type IOMMU_VIOMMU_TYPE_ARM_SMMUV3 on that plain
 *     HWPT fails with EOPNOTSUPP (the driver refuses before the HWPT is looked at);
 *   - everything allocated is destroyed.
 *
 * Not named e2e-*: guest/job-check.sh runs every /tests/e2e-* in the normal
 * (CANWBS) boot, where nesting is offered and this test would fail.
 *
 * Build (static, kselftest harness):
 *   aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror \
 *     -isystem /work/main/build/usr/include \
 *     -I /work/main/build/linux/tools/testing/selftests \
 *     -o noncoherent-refusal noncoherent-refusal.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

/* The harness is not -Wextra clean: silence exactly what e2e-smmu-nested/e2e.h does. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

#include "vmm-client.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wclobbered"

struct edu_dev {
	EDU_SYSFS_MEMBERS;	/* first: see edu_sysfs_find_into() */
	int fd;
	uint32_t dev_id;
};

static int find_edu_devices(struct edu_dev *out, int max)
{
	int n = edu_sysfs_find_into(out, sizeof(*out), max), i;

	for (i = 0; i < n; i++)
		out[i].fd = -1;
	return n;
}

/* iommufd wrappers: 0 or -errno. */
static int hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags, uint32_t *out)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};
	int ret = ioctl(fd, IOMMU_HWPT_ALLOC, &a) ? -errno : 0;

	*out = ret ? 0 : a.out_hwpt_id;
	return ret;
}

static int vfio_detach(int devfd)
{
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt), .flags = 0 };

	return ioctl(devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt) ? -errno : 0;
}

static const char *err_name(int neg)
{
	return neg ? strerror(-neg) : "success";
}

FIXTURE(noncoherent)
{
	int iommufd;
	int n;
	struct edu_dev dev[EDU_MAX];
	uint32_t ioas_id;
};

FIXTURE_SETUP(noncoherent)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	int i;

	self->iommufd = -1;
	self->ioas_id = 0;
	self->n = find_edu_devices(self->dev, EDU_MAX);
	if (self->n == 0)
		SKIP(return, "no edu PCI device (1234:11e8) in this VM");

	ASSERT_EQ(0, access("/dev/iommu", F_OK)) {
		TH_LOG("no /dev/iommu (iommufd not available)");
	}
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd) {
		TH_LOG("open /dev/iommu: %s", strerror(errno));
	}
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &ioas)) {
		TH_LOG("IOMMU_IOAS_ALLOC: %s", strerror(errno));
	}
	self->ioas_id = ioas.out_ioas_id;

	for (i = 0; i < self->n; i++) {
		struct edu_dev *d = &self->dev[i];
		struct vfio_device_bind_iommufd bind = {
			.argsz = sizeof(bind), .flags = 0, .iommufd = self->iommufd,
		};

		ASSERT_NE(0, d->smmu[0]) {
			TH_LOG("edu %s has no iommu link", d->bdf);
		}
		ASSERT_NE(0, d->cdev[0]) {
			TH_LOG("edu %s has no vfio-dev cdev: not bound to vfio-pci?", d->bdf);
		}
		d->fd = open(d->cdev, O_RDWR);
		ASSERT_LE(0, d->fd) {
			TH_LOG("open %s: %s", d->cdev, strerror(errno));
		}
		ASSERT_EQ(0, ioctl(d->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
			TH_LOG("VFIO_DEVICE_BIND_IOMMUFD %s: %s", d->cdev, strerror(errno));
		}
		d->dev_id = bind.out_devid;
		note("dev%d: edu %s  %s  behind %s  -> dev_id %u (IOAS %u)", i, d->bdf,
		     d->cdev, d->smmu, d->dev_id, self->ioas_id);
	}
}

FIXTURE_TEARDOWN(noncoherent)
{
	int i;

	for (i = 0; i < self->n; i++)
		if (self->dev[i].fd >= 0)
			close(self->dev[i].fd);
	if (self->iommufd >= 0) {
		if (self->ioas_id)
			EXPECT_EQ(0, obj_destroy(self->iommufd, self->ioas_id));
		close(self->iommufd);
	}
}

/* The SMMU is still described to userspace as an SMMUv3. */
TEST_F(noncoherent, hw_info_is_arm_smmuv3)
{
	int i;

	for (i = 0; i < self->n; i++) {
		struct iommu_hw_info_arm_smmuv3 info;
		struct iommu_hw_info hi = {
			.size = sizeof(hi),
			.dev_id = self->dev[i].dev_id,
			.data_len = sizeof(info),
			.data_uptr = (uintptr_t)&info,
		};

		memset(&info, 0, sizeof(info));
		ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_GET_HW_INFO, &hi)) {
			TH_LOG("IOMMU_GET_HW_INFO dev%d: %s", i, strerror(errno));
		}
		ASSERT_EQ((uint32_t)IOMMU_HW_INFO_TYPE_ARM_SMMUV3, hi.out_data_type);
		note("dev%d: GET_HW_INFO type ARM_SMMUV3, IDR0 0x%08x IIDR 0x%08x AIDR 0x%08x",
		     i, info.idr[0], info.iidr, info.aidr);
	}
}

/* No CANWBS, no S2FWB: no nesting parent. */
TEST_F(noncoherent, nest_parent_refused)
{
	int i, ret;

	for (i = 0; i < self->n; i++) {
		uint32_t id;

		ret = hwpt_alloc(self->iommufd, self->dev[i].dev_id, self->ioas_id,
				 IOMMU_HWPT_ALLOC_NEST_PARENT, &id);
		if (!ret)
			EXPECT_EQ(0, obj_destroy(self->iommufd, id));
		ASSERT_EQ(-EOPNOTSUPP, ret) {
			TH_LOG("dev%d: HWPT_ALLOC NEST_PARENT gave %s (hwpt %u), want EOPNOTSUPP: nesting offered on a non-CANWBS root complex?",
			       i, err_name(ret), id);
		}
		note("dev%d: HWPT_ALLOC NEST_PARENT refused: EOPNOTSUPP", i);
	}
}

/* A plain paging HWPT still works: allocate, attach, detach, destroy. */
TEST_F(noncoherent, plain_paging_hwpt_works)
{
	int i, ret;

	for (i = 0; i < self->n; i++) {
		uint32_t id;

		ret = hwpt_alloc(self->iommufd, self->dev[i].dev_id, self->ioas_id, 0, &id);
		ASSERT_EQ(0, ret) {
			TH_LOG("dev%d: plain HWPT_ALLOC: %s", i, err_name(ret));
		}
		ret = vfio_attach(self->dev[i].fd, id);
		ASSERT_EQ(0, ret) {
			TH_LOG("dev%d: attach to plain HWPT %u: %s", i, id, err_name(ret));
		}
		ret = vfio_detach(self->dev[i].fd);
		ASSERT_EQ(0, ret) {
			TH_LOG("dev%d: detach from plain HWPT %u: %s", i, id, err_name(ret));
		}
		ret = obj_destroy(self->iommufd, id);
		ASSERT_EQ(0, ret) {
			TH_LOG("dev%d: destroy plain HWPT %u: %s", i, id, err_name(ret));
		}
		note("dev%d: plain paging HWPT %u allocated, attached, detached, destroyed", i, id);
	}
}

/* No vIOMMU either (the driver says no before looking at the HWPT). */
TEST_F(noncoherent, viommu_refused)
{
	int i, ret;

	for (i = 0; i < self->n; i++) {
		uint32_t hwpt, viommu;

		ret = hwpt_alloc(self->iommufd, self->dev[i].dev_id, self->ioas_id, 0, &hwpt);
		ASSERT_EQ(0, ret) {
			TH_LOG("dev%d: plain HWPT_ALLOC: %s", i, err_name(ret));
		}
		ret = viommu_alloc(self->iommufd, self->dev[i].dev_id, hwpt, &viommu);
		if (!ret)
			EXPECT_EQ(0, obj_destroy(self->iommufd, viommu));
		ASSERT_EQ(-EOPNOTSUPP, ret) {
			TH_LOG("dev%d: VIOMMU_ALLOC ARM_SMMUV3 on HWPT %u gave %s (viommu %u), want EOPNOTSUPP",
			       i, hwpt, err_name(ret), viommu);
		}
		ret = obj_destroy(self->iommufd, hwpt);
		ASSERT_EQ(0, ret) {
			TH_LOG("dev%d: destroy plain HWPT %u: %s", i, hwpt, err_name(ret));
		}
		note("dev%d: VIOMMU_ALLOC ARM_SMMUV3 refused: EOPNOTSUPP (plain HWPT %u destroyed)",
		     i, hwpt);
	}
}

TEST_HARNESS_MAIN
