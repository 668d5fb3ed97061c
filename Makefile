# Workbench for the iommufd vIOMMU series on Linux 6.12. See README.md.
#   make setup   install host tools, unpack QEMU 11.1 and the guest busybox (root)
#   make tree    build/linux: base + one commit per patch (refuses to drop unexported work)
#   make export  write build/linux's commits back to patches/
#   make build   arm64 Image + uAPI headers + static guest programs
#   make run     build, boot the VM, show its SMMUs and run the demo
#   make check   series checks, bisect build, boot, every test suite, roll-up
#   make check-vmm  only the VMM suite (QEMU 11.1 accel=on on this kernel, in the VM)
#   make peer-vmm   the VMM suite with upstream Linux 7.3 as the host kernel
#   make bench      benchmarks: ratios in the same boot, and against Linux 7.3
#   make check-debug  the test VM's suites on a KASAN/kmemleak/UBSAN/debug-objects kernel
#   make fuzz    longer runs of the seeded fuzzer and the concurrency stress
#   make bisect  build every prefix of the series
SHELL := /bin/bash
S := scripts

.PHONY: all setup tree export build run check check-debug fuzz check-vmm peer-vmm bench bisect checkpatch clean distclean
all: check

setup:
	@$(S)/setup.sh

tree:
	@$(S)/make-tree.sh

export:
	@$(S)/export.sh

build: setup
	@$(S)/ensure-tree.sh
	@$(S)/build-kernel.sh
	@$(S)/build-guest-progs.sh

run: setup
	@$(S)/run.sh

check: setup
	@$(S)/check.sh

check-debug: setup
	@$(S)/check-debug.sh

fuzz: setup
	@$(S)/fuzz.sh

check-vmm: setup
	@$(S)/check-vmm.sh

peer-vmm: setup
	@$(S)/peer-vmm.sh

bench: setup
	@$(S)/bench.sh

bisect: setup
	@$(S)/ensure-tree.sh
	@$(S)/bisect.sh

checkpatch:
	@$(S)/ensure-tree.sh
	@$(S)/check-series.sh

# Generated files only; the kernel tree is kept unless it is fully exported.
clean:
	rm -rf build/obj build/selftests build/initramfs build/initramfs*.cpio.gz build/results* build/usr \
		build/vmm build/vmm.cpio.gz build/edu-dma

distclean:
	@$(S)/tree-is-exported.sh || { echo "build/linux has unexported work: make export first"; exit 1; }
	rm -rf build
