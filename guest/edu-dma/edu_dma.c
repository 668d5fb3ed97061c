// SPDX-License-Identifier: GPL-2.0
/*
 * edu_dma: a test-only driver for QEMU's "edu" PCI device, used by the VMM suite.
 *
 * It runs inside the guest of QEMU's accelerated vSMMU (arm-smmuv3,accel=on), where
 * the edu device is a VFIO-assigned physical device of the test VM. It moves data
 * with the device's DMA engine through the DMA API, so every address the device is
 * given is an IOVA of the guest's own stage 1; the host's stage 2 sits under it. A
 * correct result therefore proves nested translation end to end.
 *
 * Results go to the kernel log as TAP-like lines prefixed with "edu_dma_tap: "
 * ("ok - ...", "not ok - ...", "ok - ... # SKIP why"); the guest's init numbers
 * them. Nothing here is part of the kernel series.
 *
 * bench_cycles=N (make bench; make check passes a tiny N) also times N strict
 * dma_map_single() + dma_unmap_single() pairs without DMA: each unmap makes the
 * guest's SMMU driver invalidate its TLB and sync, which the VMM forwards to the
 * host through IOMMU_HWPT_INVALIDATE (edu's own DMA is paced by a 100 ms timer,
 * so timing it would measure nothing of ours). One line per device:
 *   edu_dma_tap: # BENCH e2e.guest_unmap_ns dev=BDF unit=ns reps=N min= med= max=
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>

#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_CMD_RUN		0x1
#define EDU_DMA_CMD_TO_RAM	0x2	/* clear: RAM -> device buffer */
#define EDU_ID_MAGIC_MASK	0xff
#define EDU_ID_MAGIC		0xed
#define EDU_BUF_ADDR		0x40000	/* device-side buffer, 4 KiB */
#define EDU_BUF_SIZE		4096
#define EDU_DMA_BITS		28	/* QEMU's edu masks DMA addresses to 28 bits */
#define EDU_DMA_TIMEOUT_MS	5000	/* the device paces DMA with a 100 ms timer */

#define tap(dev, ok, fmt, ...) \
	pr_info("edu_dma_tap: %s - %s: " fmt "\n", (ok) ? "ok" : "not ok", \
		pci_name(dev), ##__VA_ARGS__)

static int edu_dma_run(struct pci_dev *pdev, void __iomem *regs, u64 src, u64 dst,
		       u32 cmd)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(EDU_DMA_TIMEOUT_MS);

	writeq(src, regs + EDU_REG_DMA_SRC);
	writeq(dst, regs + EDU_REG_DMA_DST);
	writeq(EDU_BUF_SIZE, regs + EDU_REG_DMA_COUNT);
	writeq(cmd | EDU_DMA_CMD_RUN, regs + EDU_REG_DMA_CMD);
	while (readq(regs + EDU_REG_DMA_CMD) & EDU_DMA_CMD_RUN) {
		if (time_after(jiffies, deadline)) {
			dev_err(&pdev->dev, "DMA did not complete in %d ms\n",
				EDU_DMA_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		msleep(20);
	}
	return 0;
}

/* Copy BUF (RAM) into the device's buffer. */
static int edu_to_device(struct pci_dev *pdev, void __iomem *regs, void *buf,
			 dma_addr_t *iova)
{
	dma_addr_t a;
	int ret;

	a = dma_map_single(&pdev->dev, buf, EDU_BUF_SIZE, DMA_TO_DEVICE);
	if (dma_mapping_error(&pdev->dev, a))
		return -ENOMEM;
	ret = edu_dma_run(pdev, regs, a, EDU_BUF_ADDR, 0);
	dma_unmap_single(&pdev->dev, a, EDU_BUF_SIZE, DMA_TO_DEVICE);
	if (iova)
		*iova = a;
	return ret;
}

static unsigned int bench_cycles;
module_param(bench_cycles, uint, 0444);

/*
 * fault_iova=IOVA: at the end, the device also writes to IOVA, which this
 * driver never mapped: the guest's SMMU driver must then log the stage-1
 * fault its vSMMU received through the VMM (guest/vmm-guest-init checks).
 */
static unsigned long fault_iova;
module_param(fault_iova, ulong, 0444);
MODULE_PARM_DESC(bench_cycles, "time this many strict map + unmap pairs");

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void edu_dma_bench(struct pci_dev *pdev, void *buf)
{
	u64 *ns, map_total = 0;
	unsigned int i;

	ns = kcalloc(bench_cycles, sizeof(*ns), GFP_KERNEL);
	if (!ns) {
		tap(pdev, false, "bench: no memory for %u samples", bench_cycles);
		return;
	}
	for (i = 0; i != bench_cycles; i++) {
		u64 t0, t1, t2;
		dma_addr_t a;

		t0 = ktime_get_ns();
		a = dma_map_single(&pdev->dev, buf, EDU_BUF_SIZE, DMA_TO_DEVICE);
		t1 = ktime_get_ns();
		if (dma_mapping_error(&pdev->dev, a))
			break;
		dma_unmap_single(&pdev->dev, a, EDU_BUF_SIZE, DMA_TO_DEVICE);
		t2 = ktime_get_ns();
		map_total += t1 - t0;
		ns[i] = t2 - t1;
	}
	if (i != bench_cycles) {
		tap(pdev, false, "bench: dma_map_single failed at cycle %u", i);
		kfree(ns);
		return;
	}
	sort(ns, bench_cycles, sizeof(*ns), cmp_u64, NULL);
	pr_info("edu_dma_tap: # BENCH e2e.guest_unmap_ns dev=%s unit=ns reps=%u min=%llu med=%llu max=%llu\n",
		pci_name(pdev), bench_cycles, ns[0], ns[bench_cycles / 2],
		ns[bench_cycles - 1]);
	tap(pdev, true, "timed %u strict map + unmap pairs (map %llu ns, unmap %llu ns median)",
	    bench_cycles, map_total / bench_cycles, ns[bench_cycles / 2]);
	kfree(ns);
}

static void fill(u8 *buf, u8 seed)
{
	int i;

	for (i = 0; i < EDU_BUF_SIZE; i++)
		buf[i] = seed + i * 7;
}

static bool holds(const u8 *buf, u8 seed)
{
	int i;

	for (i = 0; i < EDU_BUF_SIZE; i++)
		if (buf[i] != (u8)(seed + i * 7))
			return false;
	return true;
}

static void edu_dma_tests(struct pci_dev *pdev, void __iomem *regs)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(&pdev->dev);
	u8 *src, *old, *new;
	dma_addr_t iova_src, iova_old, iova_new;
	u32 id;
	int ret;

	id = readl(regs + EDU_REG_ID);
	tap(pdev, (id & EDU_ID_MAGIC_MASK) == EDU_ID_MAGIC,
	    "edu identification register 0x%08x", id);
	writel(0x5a5a1234, regs + EDU_REG_LIVENESS);
	tap(pdev, readl(regs + EDU_REG_LIVENESS) == ~0x5a5a1234U, "edu liveness register inverts");

	/*
	 * Only a DMA (translating) domain of the guest's vSMMU proves anything: with
	 * an identity domain the device would be given guest physical addresses.
	 */
	tap(pdev, dom && dom->type == IOMMU_DOMAIN_DMA,
	    "behind the guest's vSMMU with a strict DMA domain (type %#x)",
	    dom ? dom->type : 0);

	src = kmalloc(EDU_BUF_SIZE, GFP_KERNEL);
	old = kmalloc(EDU_BUF_SIZE, GFP_KERNEL);
	new = kmalloc(EDU_BUF_SIZE, GFP_KERNEL);
	if (!src || !old || !new) {
		tap(pdev, false, "allocating the test buffers");
		goto out;
	}

	/* RAM -> device -> RAM, at IOVAs of the guest's stage 1 only. */
	fill(src, 0x11);
	memset(old, 0, EDU_BUF_SIZE);
	ret = edu_to_device(pdev, regs, src, &iova_src);
	tap(pdev, !ret, "DMA RAM -> device from IOVA %pad (rc %d)", &iova_src, ret);
	iova_old = dma_map_single(&pdev->dev, old, EDU_BUF_SIZE, DMA_FROM_DEVICE);
	if (dma_mapping_error(&pdev->dev, iova_old)) {
		tap(pdev, false, "dma_map_single of the destination");
		goto out;
	}
	ret = edu_dma_run(pdev, regs, EDU_BUF_ADDR, iova_old, EDU_DMA_CMD_TO_RAM);
	dma_sync_single_for_cpu(&pdev->dev, iova_old, EDU_BUF_SIZE, DMA_FROM_DEVICE);
	tap(pdev, !ret && holds(old, 0x11),
	    "DMA device -> RAM to IOVA %pad lands at guest PA %pa (rc %d)", &iova_old,
	    &(phys_addr_t){ virt_to_phys(old) }, ret);
	tap(pdev, iova_old != virt_to_phys(old) && iova_src != virt_to_phys(src),
	    "the IOVAs are not the guest physical addresses (stage 1 really translates)");

	/*
	 * Unmap and reuse: load a second pattern into the device while OLD is still
	 * mapped, then unmap OLD (a strict unmap invalidates the guest's vSMMU TLB,
	 * which reaches the physical SMMU only through the host's vIOMMU) and map NEW.
	 * The IOVA allocator hands the just-freed IOVA back; a stale translation
	 * anywhere would send the DMA to OLD instead of NEW.
	 */
	fill(src, 0x5c);
	ret = edu_to_device(pdev, regs, src, NULL);
	tap(pdev, !ret, "DMA RAM -> device of a second pattern (rc %d)", ret);
	dma_unmap_single(&pdev->dev, iova_old, EDU_BUF_SIZE, DMA_FROM_DEVICE);
	memset(new, 0, EDU_BUF_SIZE);
	iova_new = dma_map_single(&pdev->dev, new, EDU_BUF_SIZE, DMA_FROM_DEVICE);
	if (dma_mapping_error(&pdev->dev, iova_new)) {
		tap(pdev, false, "dma_map_single of the reused destination");
		goto out;
	}
	ret = edu_dma_run(pdev, regs, EDU_BUF_ADDR, iova_new, EDU_DMA_CMD_TO_RAM);
	dma_sync_single_for_cpu(&pdev->dev, iova_new, EDU_BUF_SIZE, DMA_FROM_DEVICE);
	dma_unmap_single(&pdev->dev, iova_new, EDU_BUF_SIZE, DMA_FROM_DEVICE);
	tap(pdev, !ret && holds(new, 0x5c),
	    "DMA to the remapped IOVA %pad reaches the new buffer (rc %d)", &iova_new, ret);
	if (iova_new == iova_old)
		tap(pdev, holds(old, 0x11),
		    "the unmapped buffer at the reused IOVA %pad was not written (guest TLB invalidation reached the SMMU)",
		    &iova_new);
	else
		pr_info("edu_dma_tap: ok - %s: stale-translation check # SKIP IOVA not reused (%pad then %pad), nothing to prove\n",
			pci_name(pdev), &iova_old, &iova_new);
	if (bench_cycles)
		edu_dma_bench(pdev, src);
	if (fault_iova) {
		/* Nothing is mapped there: the DMA faults, the engine stops */
		ret = edu_dma_run(pdev, regs, EDU_BUF_ADDR, fault_iova,
				  EDU_DMA_CMD_TO_RAM);
		tap(pdev, !ret, "DMA device -> RAM to the never-mapped IOVA %#lx issued (rc %d)",
		    fault_iova, ret);
	}
out:
	kfree(new);
	kfree(old);
	kfree(src);
	pr_info("edu_dma_tap: # %s: done\n", pci_name(pdev));
}

static int edu_dma_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	void __iomem *regs;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(EDU_DMA_BITS));
	if (ret)
		return ret;
	pci_set_master(pdev);
	regs = pcim_iomap(pdev, 0, 0);
	if (!regs)
		return -ENOMEM;
	edu_dma_tests(pdev, regs);
	return 0;
}

static const struct pci_device_id edu_dma_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_dma_ids);

static struct pci_driver edu_dma_driver = {
	.name = "edu_dma",
	.id_table = edu_dma_ids,
	.probe = edu_dma_probe,
};
module_pci_driver(edu_dma_driver);

MODULE_DESCRIPTION("Test-only DMA API driver for QEMU's edu device");
MODULE_LICENSE("GPL");
