// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: an IOAS whose domains belong to two drivers (an SMMUv3 and
 * the iommufd selftest's mock). Attaching a device to such an IOAS tries each
 * of its domains in turn; another driver's domain must be refused (EINVAL, so
 * the next one is tried), on a replace as on a first attach.
 */
#include "e2e.h"
#include "../../../drivers/iommu/iommufd/iommufd_test.h"

static int ioas_alloc(int fd, uint32_t *id)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int ret = ioctl(fd, IOMMU_IOAS_ALLOC, &a) ? -errno : 0;

	*id = ret ? 0 : a.out_ioas_id;
	return ret;
}

/* A mock device on @ioas: its stdev (IOMMU_DESTROY unbinds it) and domain */
static int mock_dev_alloc(int fd, uint32_t ioas, uint32_t *stdev, uint32_t *hwpt)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c), .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = ioas,
	};
	int ret = ioctl(fd, IOMMU_TEST_CMD, &c) ? -errno : 0;

	*stdev = ret ? 0 : c.mock_domain.out_stdev_id;
	*hwpt = ret ? 0 : c.mock_domain.out_hwpt_id;
	return ret;
}

static int mock_dev_replace(int fd, uint32_t stdev, uint32_t *pt_id)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c), .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev, .mock_domain_replace.pt_id = *pt_id,
	};
	int ret = ioctl(fd, IOMMU_TEST_CMD, &c) ? -errno : 0;

	if (!ret)
		*pt_id = c.mock_domain_replace.pt_id;
	return ret;
}

/* VFIO attach (a replace when attached) to @pt_id; the HWPT it landed on */
static int vfio_attach_pt(int devfd, uint32_t *pt_id)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at), .pt_id = *pt_id,
	};
	int ret = ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) ? -errno : 0;

	if (!ret)
		*pt_id = at.pt_id;
	return ret;
}

/*
 * dev0 goes from its nested HWPT to an IOAS holding a mock device's domain
 * (a replace) and must land on an SMMU domain of its own; then a mock device
 * is replaced onto an IOAS whose first domain is dev0's SMMU one and must land
 * on a mock domain; dev0 goes back to its nested HWPT and still does DMA.
 */
void check_foreign_domain_replace(struct __test_metadata *_metadata,
				  fixture_t *self)
{
	uint32_t ioas_mock, ioas_smmu, stdev, mock_hwpt, smmu_hwpt, pt;
	int fd = self->iommufd, ret;

	ASSERT_EQ(0, ioas_alloc(fd, &ioas_mock));
	ret = mock_dev_alloc(fd, ioas_mock, &stdev, &mock_hwpt);
	if (ret == -ENOTTY || ret == -EOPNOTSUPP)
		SKIP(return, "no iommufd selftest mock driver (CONFIG_IOMMUFD_TEST)");
	ASSERT_EQ(0, ret) {
		TH_LOG("mock device on IOAS %u: %s", ioas_mock, strerror(-ret));
	}
	note("IOAS %u: mock device on the mock's domain, HWPT %u", ioas_mock,
	     mock_hwpt);

	pt = ioas_mock;
	ret = vfio_attach_pt(self->dev[0].fd, &pt);
	ASSERT_EQ(0, ret) {
		TH_LOG("replace dev0 -> IOAS %u: %s", ioas_mock, strerror(-ret));
	}
	/* On a kernel without the check, the next attach of dev0 Oopses */
	ASSERT_NE(mock_hwpt, pt) {
		TH_LOG("dev0 (SMMUv3) was put on the mock driver's domain %u", pt);
	}
	note("replace dev0 -> IOAS %u: on HWPT %u, an SMMU domain of its own",
	     ioas_mock, pt);

	ASSERT_EQ(0, ioas_alloc(fd, &ioas_smmu));
	smmu_hwpt = ioas_smmu;
	ASSERT_EQ(0, vfio_attach_pt(self->dev[0].fd, &smmu_hwpt));
	pt = ioas_smmu;
	ret = mock_dev_replace(fd, stdev, &pt);
	EXPECT_EQ(0, ret) {
		TH_LOG("replace mock device -> IOAS %u (first domain: SMMU HWPT %u): %s",
		       ioas_smmu, smmu_hwpt, strerror(-ret));
	}
	if (!ret)
		EXPECT_NE(smmu_hwpt, pt);
	note("replace mock device -> IOAS %u (SMMU HWPT %u first): %s, on HWPT %u",
	     ioas_smmu, smmu_hwpt, strerror(-ret), ret ? 0 : pt);

	pt = self->dev[0].nested_id;
	ASSERT_EQ(0, vfio_attach_pt(self->dev[0].fd, &pt));
	EXPECT_EQ(0, obj_destroy(fd, stdev));
	EXPECT_EQ(0, obj_destroy(fd, ioas_smmu));
	EXPECT_EQ(0, obj_destroy(fd, ioas_mock));

	note("dev0 back on its nested HWPT still translates");
	memset(area_ptr(self, 0, AREA_DST), SENTINEL_A, PAGE_SZ);
	dev_dma_pattern(_metadata, self, 0, IOVA_DST, 0x6b);
	expect_pattern(_metadata, "dev0 DST page", area_ptr(self, 0, AREA_DST), 0x6b);
}
