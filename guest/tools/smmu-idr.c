// SPDX-License-Identifier: GPL-2.0
/*
 * smmu-idr: print and decode the ID registers of every SMMUv3 instance the guest
 * kernel registered (found in /sys/class/iommu, read through /dev/mem, read-only).
 * Used by `make run` to show what the test VM's SMMUs offer.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BIT(n) (1u << (n))
#define FIELD(v, hi, lo) (((v) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))

static const char *yes(uint32_t v)
{
	return v ? "yes" : "no";
}

static void decode(unsigned long long base, const volatile uint32_t *r)
{
	uint32_t idr0 = r[0], idr1 = r[1], idr3 = r[3], idr5 = r[5];
	static const char *const ttf[] = { "reserved", "AArch32", "AArch64", "AArch32+AArch64" };
	static const int oas[] = { 32, 36, 40, 42, 44, 48, 52, 56 };

	printf("SMMUv3 @ 0x%llx: AIDR v3.%u  IIDR 0x%08x\n", base, FIELD(r[7], 3, 0), r[6]);
	for (int i = 0; i < 6; i++)
		printf("  IDR%d = 0x%08x\n", i, r[i]);
	printf("  stage 1 (S1P): %s   stage 2 (S2P): %s   nesting (S1P+S2P): %s\n",
	       yes(idr0 & BIT(1)), yes(idr0 & BIT(0)),
	       yes((idr0 & BIT(0)) && (idr0 & BIT(1))));
	printf("  translation tables: %s   COHACC: %s   BTM: %s   HTTU: %u\n",
	       ttf[FIELD(idr0, 3, 2)], yes(idr0 & BIT(4)), yes(idr0 & BIT(5)),
	       FIELD(idr0, 7, 6));
	printf("  ATS: %s   PRI: %s   MSI: %s   VMID16: %s   ASID16: %s   2-level CD: %s   ST levels: %u\n",
	       yes(idr0 & BIT(10)), yes(idr0 & BIT(16)), yes(idr0 & BIT(13)),
	       yes(idr0 & BIT(18)), yes(idr0 & BIT(12)), yes(idr0 & BIT(19)),
	       FIELD(idr0, 28, 27) + 1);
	printf("  SIDSIZE: %u bits   SSIDSIZE: %u bits   CMDQ: 2^%u entries\n",
	       FIELD(idr1, 5, 0), FIELD(idr1, 10, 6), FIELD(idr1, 25, 21));
	printf("  S2FWB (IDR3.FWB): %s   RIL: %s   BBML: %u\n", yes(idr3 & BIT(8)),
	       yes(idr3 & BIT(10)), FIELD(idr3, 12, 11));
	printf("  OAS: %d bits   granules:%s%s%s\n", oas[FIELD(idr5, 2, 0)],
	       idr5 & BIT(4) ? " 4K" : "", idr5 & BIT(5) ? " 16K" : "",
	       idr5 & BIT(6) ? " 64K" : "");
}

int main(void)
{
	DIR *dir = opendir("/sys/class/iommu");
	struct dirent *de;
	int fd, found = 0;

	if (!dir) {
		perror("/sys/class/iommu");
		return 1;
	}
	fd = open("/dev/mem", O_RDONLY | O_SYNC);
	if (fd < 0) {
		perror("/dev/mem");
		return 1;
	}
	/* arm-smmu-v3 names its iommu_device "smmu3.0x<MMIO base>". */
	while ((de = readdir(dir))) {
		unsigned long long base;
		const volatile uint32_t *regs;

		if (sscanf(de->d_name, "smmu3.%llx", &base) != 1)
			continue;
		regs = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, base);
		if (regs == MAP_FAILED) {
			perror("mmap /dev/mem");
			return 1;
		}
		printf("%s:\n", de->d_name);
		decode(base, regs);
		munmap((void *)regs, 4096);
		found++;
	}
	closedir(dir);
	printf("%d SMMUv3 instance(s)\n", found);
	return found ? 0 : 1;
}
