# make bench (vmjob=bench, QEMU started with virtualization=on): the benchmark
# programs at full size, on whatever host kernel this VM booted (this series, or
# Linux 7.3 as the peer). Results are "# BENCH ..." lines for scripts/bench-report.py.
# /etc/bench.conf (packed by scripts/bench.sh) may set BENCH_REPS and EDU_BENCH.
[ -f /etc/bench.conf ] && . /etc/bench.conf
bind_edu_vfio
cd /tests
# shellcheck disable=SC2086
suite bench viommu-bench 900 ./viommu-bench --reps "${BENCH_REPS:-11}"
edus=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1234:0x11e8" ] && edus="$edus $(basename "$d")"
done
# shellcheck disable=SC2086
set -- $edus
# The guest's strict unmap through QEMU 11.1 accel=on, one edu device
EDU_BENCH=${EDU_BENCH:-200} suite bench guest-unmap 600 sh /lib/vmm-case.sh bench-unmap "$1"
