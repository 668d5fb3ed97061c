# make bench (vmjob=bench, QEMU started with virtualization=on): the benchmark
# programs at full size, on whatever host kernel this VM booted (this series, or
# Linux 7.3 as the peer). Results are "# BENCH ..." lines for scripts/bench-report.py.
# /etc/bench.conf (packed by scripts/bench.sh) may set BENCH_REPS and EDU_BENCH.
[ -f /etc/bench.conf ] && . /etc/bench.conf
bind_edu_vfio
cd /tests
# shellcheck disable=SC2086
suite bench viommu-bench 900 ./viommu-bench --reps "${BENCH_REPS:-11}"
# edu DMA through S1+S2 vs S2 only: the e2e bring-up needs SET_DEV_ID (this series)
if [ -n "$(uname -r | sed -n '/^6\.12\./p')" ]; then
	E2E_DMA_REPS=${EDU_DMA_REPS:-21} suite bench edu-dma-cost 900 \
		./e2e-smmu-nested -t edu_dma_nested_vs_s2
else
	suite bench edu-dma-cost 10 sh -c 'echo "1..1"; echo "ok 1 edu_dma_nested_vs_s2 # SKIP the e2e bring-up needs IOMMU_VIOMMU_SET_DEV_ID (this series only)"'
fi
edus=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1234:0x11e8" ] && edus="$edus $(basename "$d")"
done
# shellcheck disable=SC2086
set -- $edus
# The guest's strict unmap through QEMU 11.1 accel=on, one edu device
EDU_BENCH=${EDU_BENCH:-200} suite bench guest-unmap 600 sh /lib/vmm-case.sh bench-unmap "$1"
