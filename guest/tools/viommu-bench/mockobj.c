// SPDX-License-Identifier: GPL-2.0
/*
 * viommu-bench: the iommufd objects the figures time, as thin wrappers that
 * return 0 or -errno. Mock devices come from the iommufd selftest's
 * IOMMU_TEST_OP_MOCK_DOMAIN, whose number and layout are the same on this
 * series and on mainline; later test ops differ and are not used.
 */
#include "common.h"

int ioas_alloc(int fd, uint32_t *id)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &a))
		return -errno;
	*id = a.out_ioas_id;
	return 0;
}

/* A mock device attached to @ioas: its iommufd device ID in @dev_id */
/* A mock device on @ioas; @dev_flags MOCK_FLAGS_DEVICE_*, e.g. its instance */
int mock_dev_add(int fd, uint32_t ioas, uint32_t dev_flags, uint32_t *dev_id)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c),
		.op = dev_flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS :
				  IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = ioas,
	};

	c.mock_domain_flags.dev_flags = dev_flags;
	if (ioctl(fd, IOMMU_TEST_CMD, &c))
		return -errno;
	*dev_id = c.mock_domain.out_idev_id;
	return 0;
}

/* A nested mock HWPT straight on @parent: the path without a vIOMMU */
int mock_nested_alloc(int fd, uint32_t dev_id, uint32_t parent, uint32_t *id)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a),
		.dev_id = dev_id,
		.pt_id = parent,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};

	if (ioctl(fd, IOMMU_HWPT_ALLOC, &a))
		return -errno;
	*id = a.out_hwpt_id;
	return 0;
}

/* No driver data: the two kernels' struct iommu_viommu_selftest differ */
int mock_viommu_alloc(int fd, uint32_t dev_id, uint32_t hwpt, uint32_t *id)
{
	return viommu_alloc_type(fd, IOMMU_VIOMMU_TYPE_SELFTEST, dev_id, hwpt,
				 id);
}

int vdevice_alloc(int fd, uint32_t viommu, uint32_t dev_id, uint64_t virt_id,
		  uint32_t *id)
{
	struct iommu_vdevice_alloc a = {
		.size = sizeof(a),
		.viommu_id = viommu,
		.dev_id = dev_id,
		.virt_id = virt_id,
	};

	if (ioctl(fd, IOMMU_VDEVICE_ALLOC, &a))
		return -errno;
	*id = a.out_vdevice_id;
	return 0;
}

int set_dev_id(int fd, uint32_t viommu, uint32_t dev_id, uint64_t vdev_id)
{
	struct iommu_viommu_set_dev_id s = {
		.size = sizeof(s),
		.viommu_id = viommu,
		.dev_id = dev_id,
		.vdev_id = vdev_id,
	};

	return ioctl(fd, IOMMU_VIOMMU_SET_DEV_ID, &s) ? -errno : 0;
}

int unset_dev_id(int fd, uint32_t viommu, uint32_t dev_id, uint64_t vdev_id)
{
	struct iommu_viommu_unset_dev_id s = {
		.size = sizeof(s),
		.viommu_id = viommu,
		.dev_id = dev_id,
		.vdev_id = vdev_id,
	};

	return ioctl(fd, IOMMU_VIOMMU_UNSET_DEV_ID, &s) ? -errno : 0;
}

/*
 * Give every mock device of @e an entry in @viommu: vdev_id ENTRY_VDEV_ID(i),
 * by IOMMU_VDEVICE_ALLOC (vDEVICE IDs in @vdev) or IOMMU_VIOMMU_SET_DEV_ID.
 * @made: the entries made, also on failure.
 */
int entries_add(const struct mock_env *e, uint32_t viommu, bool by_set_dev_id,
		uint32_t *vdev, unsigned int *made, struct fail *f)
{
	unsigned int i;
	int ret;

	for (*made = 0, i = 0; i < e->ndev; i++, (*made)++) {
		ret = by_set_dev_id ?
			set_dev_id(e->fd, viommu, e->dev_id[i],
				   ENTRY_VDEV_ID(i)) :
			vdevice_alloc(e->fd, viommu, e->dev_id[i],
				      ENTRY_VDEV_ID(i), &vdev[i]);
		if (ret) {
			fail_set(f, ret, "%s %u of %u",
				 by_set_dev_id ? "IOMMU_VIOMMU_SET_DEV_ID" :
						 "IOMMU_VDEVICE_ALLOC",
				 i + 1, e->ndev);
			return ret;
		}
	}
	return 0;
}

/* Remove the first @made entries entries_add() made */
void entries_remove(const struct mock_env *e, uint32_t viommu,
		    bool by_set_dev_id, const uint32_t *vdev, unsigned int made,
		    struct fail *f)
{
	unsigned int i;
	int ret;

	for (i = 0; i < made; i++) {
		ret = by_set_dev_id ?
			unset_dev_id(e->fd, viommu, e->dev_id[i],
				     ENTRY_VDEV_ID(i)) :
			obj_destroy(e->fd, vdev[i]);
		if (ret)
			fail_set(f, ret, "%s",
				 by_set_dev_id ? "IOMMU_VIOMMU_UNSET_DEV_ID" :
						 "IOMMU_DESTROY vDEVICE");
	}
}

/* One IOMMU_HWPT_INVALIDATE of @num entries; all of them must be handled */
int hwpt_invalidate(int fd, uint32_t id, uint32_t type, const void *entries,
		    uint32_t len, uint32_t num)
{
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.hwpt_id = id,
		.data_uptr = (uintptr_t)entries,
		.data_type = type,
		.entry_len = len,
		.entry_num = num,
	};

	if (ioctl(fd, IOMMU_HWPT_INVALIDATE, &inv))
		return -errno;
	return inv.entry_num == num ? 0 : -EIO;
}

/*
 * An iommufd with an IOAS, @ndev mock devices attached to it and a nesting
 * parent; closing it destroys all of that.
 */
int mock_env_open(struct mock_env *e, unsigned int ndev, struct fail *f)
{
	unsigned int i;
	int ret;

	memset(e, 0, sizeof(*e));
	e->fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (e->fd < 0) {
		fail_set(f, -errno, "open /dev/iommu");
		if (f->err == -ENOENT)
			f->skip = "no /dev/iommu";
		return f->err;
	}
	e->dev_id = calloc(ndev, sizeof(*e->dev_id));
	if (!e->dev_id) {
		fail_set(f, -ENOMEM, "%u device IDs", ndev);
		goto err;
	}
	ret = ioas_alloc(e->fd, &e->ioas);
	if (ret) {
		fail_set(f, ret, "IOMMU_IOAS_ALLOC");
		goto err;
	}
	for (i = 0; i < ndev; i++, e->ndev++) {
		ret = mock_dev_add(e->fd, e->ioas, 0, &e->dev_id[i]);
		if (ret) {
			fail_set(f, ret, "IOMMU_TEST_OP_MOCK_DOMAIN (mock device %u of %u)",
				 i + 1, ndev);
			if (ret == -ENOTTY)
				f->skip = "no mock IOMMU (CONFIG_IOMMUFD_TEST off)";
			goto err;
		}
	}
	ret = nest_parent_alloc(e->fd, e->dev_id[0], e->ioas, &e->parent);
	if (ret) {
		fail_set(f, ret, "IOMMU_HWPT_ALLOC NEST_PARENT (mock)");
		goto err;
	}
	return 0;
err:
	mock_env_close(e);
	return f->err;
}

void mock_env_close(struct mock_env *e)
{
	if (e->fd >= 0)
		close(e->fd);
	free(e->dev_id);
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}
