// SPDX-License-Identifier: GPL-2.0
/*
 * e2e-smmu-nested: a fault of the guest's stage-1 reaches the VMM through the
 * vIOMMU's vEVENTQ, with the guest's vSID in place of the physical StreamID.
 */
#include "e2e.h"

/* Mapped by neither guest stage-1 (below edu's 28-bit DMA mask) */
#define IOVA_UNMAPPED		0x2000000ULL
#define VEVENT_WAIT_MS		10000
#define EVT_ID_F_TRANSLATION	0x10ULL
#define EVT_1_RnW		(1ULL << 35)
#define EVT_1_S2		(1ULL << 39)

struct arm_vevent_record {
	struct iommufd_vevent_header hdr;
	struct iommu_vevent_arm_smmuv3 data;
};

/* Step 13: dev0 writes to an IOVA its stage-1 does not map */
void check_guest_fault_vevent(struct __test_metadata *_metadata,
			      fixture_t *self)
{
	struct arm_vevent_record rec;
	struct pollfd pfd = { .events = POLLIN };
	uint32_t veventq_id = 0, other_id = 0;
	uint64_t evt0, evt1, evt2;
	int qfd = -1, other_fd = -1, ret;
	ssize_t n;

	ret = veventq_alloc(self->iommufd, self->dev[0].viommu_id,
			    IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 16, &veventq_id, &qfd);
	ASSERT_EQ(0, ret) {
		TH_LOG("VEVENTQ_ALLOC ARM_SMMUV3 on vIOMMU A: %s",
		       strerror(-ret));
	}
	note("step 13: vEVENTQ %u (fd %d) on vIOMMU A", veventq_id, qfd);
	pfd.fd = qfd;
	/* One per type and vIOMMU; the other vIOMMU has its own */
	ASSERT_EQ(-EEXIST, veventq_alloc(self->iommufd, self->dev[0].viommu_id,
					 IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 16,
					 &other_id, &other_fd));
	ASSERT_EQ(0, veventq_alloc(self->iommufd, self->dev[1].viommu_id,
				   IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 16, &other_id,
				   &other_fd));
	ASSERT_EQ(0, poll(&pfd, 1, 0));

	note("dev0 DMA edu->RAM to S1 IOVA 0x%llx, which its S1 does not map",
	     (unsigned long long)IOVA_UNMAPPED);
	dev_dma_copy(_metadata, self, 0, IOVA_SRC, IOVA_UNMAPPED, 0x5a);
	ret = poll(&pfd, 1, VEVENT_WAIT_MS);
	ASSERT_EQ(1, ret) {
		TH_LOG("no vEVENT within %d ms", VEVENT_WAIT_MS);
	}
	n = read(pfd.fd, &rec, sizeof(rec));
	ASSERT_EQ((ssize_t)sizeof(rec), n) {
		TH_LOG("read: %zd (%s)", n, n < 0 ? strerror(errno) : "short");
	}
	evt0 = le64toh(rec.data.evt[0]);
	evt1 = le64toh(rec.data.evt[1]);
	evt2 = le64toh(rec.data.evt[2]);
	note("vEVENT seq %u flags 0x%x: 0x%016llx 0x%016llx 0x%016llx 0x%016llx",
	     rec.hdr.sequence, rec.hdr.flags, (unsigned long long)evt0,
	     (unsigned long long)evt1, (unsigned long long)evt2,
	     (unsigned long long)le64toh(rec.data.evt[3]));
	EXPECT_EQ(0U, rec.hdr.flags);
	EXPECT_EQ(0U, rec.hdr.sequence);
	EXPECT_EQ(EVT_ID_F_TRANSLATION, evt0 & 0xff);
	/* The guest's vSID, not the physical StreamID */
	EXPECT_EQ(VSID, evt0 >> 32);
	EXPECT_EQ(IOVA_UNMAPPED, evt2 & ~0xfffULL);
	/* A stage-1 write */
	EXPECT_EQ(0ULL, evt1 & EVT_1_S2);
	EXPECT_EQ(0ULL, evt1 & EVT_1_RnW);
	/* dev1's vIOMMU got nothing */
	pfd.fd = other_fd;
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	/* The teardown destroys the vIOMMUs: the queues and files go first */
	ASSERT_EQ(0, close(other_fd));
	ASSERT_EQ(0, close(qfd));
	ASSERT_EQ(0, obj_destroy(self->iommufd, other_id));
	ASSERT_EQ(0, obj_destroy(self->iommufd, veventq_id));
}
