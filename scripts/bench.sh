#!/bin/bash
# make bench: what the vIOMMU costs. Builds this series and the peer (Linux 7.3, as
# make peer-vmm does), both with config/test.config + config/bench.config (no lock
# debugging) in object directories of their own (build/obj-bench,
# build/peer-7.3/obj-bench), then boots the test VM twice, one after the other, with
# the same QEMU, machine, initramfs and guest: once with this series as the host
# kernel, once with Linux 7.3. Each boot runs guest/job-bench.sh: viommu-bench (mock and
# emulated-SMMU figures, each a ratio measured in that boot, with min/median/max over
# repetitions) and the guest's strict unmap through QEMU 11.1 accel=on.
# scripts/bench-report.py then prints every figure with its in-boot ratio and the
# ratio ours/7.3, and writes docs/bench.md and docs/bench.svg.
#   BENCH_REPS=R (default 11)  EDU_BENCH=N (default 200)  PEER_VERSION=X.Y (7.3)
#   BENCH_DOCS=0 prints the report without writing docs/
set -euo pipefail
. "$(dirname "$0")/lib.sh"

V=${PEER_VERSION:-7.3}
RES=$BUILD/results-bench
rm -rf "$RES" && mkdir -p "$RES"
t0=$(date +%s)
"$ROOT/scripts/ensure-tree.sh"
# The test kernel's uAPI headers build the guest programs; the bench kernel boots.
"$ROOT/scripts/build-kernel.sh"
"$ROOT/scripts/build-guest-progs.sh"
KOBJ=$BUILD/obj-bench EXTRA_FRAGS=$ROOT/config/bench.config "$ROOT/scripts/build-kernel.sh"
peer_image=$(PEER_FLAVOUR=bench "$ROOT/scripts/build-peer.sh" "$V" | tail -1)
printf 'BENCH_REPS=%s\nEDU_BENCH=%s\n' "${BENCH_REPS:-11}" "${EDU_BENCH:-200}" >"$RES/bench.conf"
BENCH_CONF=$RES/bench.conf "$ROOT/scripts/pack-initramfs.sh"
"$ROOT/scripts/make-iort-override.sh"
"$ROOT/scripts/pack-vmm.sh"
# A copy: later packs (make check, focus runs) must not change what the 2nd boot gets
cp "$BUILD/initramfs-vmm.cpio.gz" "$RES/initramfs-bench.cpio.gz"
"$ROOT/scripts/pack-initramfs.sh" # the default image again, without bench.conf

rc=0
for side in series peer; do
	log "bench boot: host kernel $([ $side = series ] && echo "of this series" || echo "Linux $V")"
	if [ $side = series ]; then kernel=$BUILD/obj-bench/arch/arm64/boot/Image; else kernel=$peer_image; fi
	KERNEL=$kernel INITRD=$RES/initramfs-bench.cpio.gz VIRT=1 BOOT_TIMEOUT=${BOOT_TIMEOUT:-2400} \
		"$ROOT/scripts/boot-vm.sh" bench "$RES/console-$side.log" || true
	python3 "$ROOT/scripts/rollup.py" "$RES/console-$side.log" \
		--expect bench:viommu-bench --expect bench:edu-dma-cost --expect bench:guest-unmap >"$RES/rollup-$side.txt" || rc=1
	sed "s/^/    $side: /" "$RES/rollup-$side.txt" >&2
done
docs=()
[ "${BENCH_DOCS:-1}" = 0 ] || docs=(--md "$ROOT/docs/bench.md" --plot "$ROOT/docs/bench.svg")
python3 "$ROOT/scripts/bench-report.py" --series "$RES/console-series.log" --peer "$RES/console-peer.log" \
	--peer-name "Linux $V ($(cat "$BUILD/peer-$V/.version"))" --commit "$(git -C "$ROOT" rev-parse --short HEAD)" \
	--series-head "$(git -C "$TREE" rev-parse --short HEAD)" "${docs[@]}" | tee "$RES/report.md"
log "make bench: $(($(date +%s) - t0)) s; console logs in $RES"
exit "$rc"
