#!/bin/bash
# Pack the guest initramfs: static busybox, guest/init and its job scripts, the
# iommu kselftests and the guest tools. One image serves every job (the kernel
# command line's vmjob= picks what /init runs).
# NO_IORT_OVERRIDE=1 writes build/initramfs-plain.cpio.gz instead, without the IORT
# override, so that the guest sees the firmware's own IORT (no CANWBS).
# FOCUS=file packs that shell script as /etc/focus.sh for the developer job;
# BENCH_CONF=file packs the benchmark sizes as /etc/bench.conf (make bench)
# (scripts/boot-vm.sh focus LOG runs only it, after the KUnit results).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

R=$BUILD/initramfs
out=$BUILD/initramfs.cpio.gz
override=$BUILD/iort-override.cpio
if [ "${NO_IORT_OVERRIDE:-0}" = 1 ]; then
	out=$BUILD/initramfs-plain.cpio.gz
	override=
fi
# MODULES=dir (scripts/build-modular.sh's modules-root) writes
# build/initramfs-modular.cpio.gz with those modules in /lib/modules and, in
# /lib/modules/load-order, the order the modular job loads them in.
modules=${MODULES:-}
[ -z "$modules" ] || out=$BUILD/initramfs-modular.cpio.gz
[ -x "$BUILD/busybox/bin/busybox" ] || die "no busybox: run 'make setup'"
rm -rf "$R"
mkdir -p "$R"/{bin,sbin,lib,tests,proc,sys,dev,tmp,etc,root}
cp "$BUILD/busybox/bin/busybox" "$R/bin/busybox"
install -m 755 "$ROOT/guest/init" "$R/init"
cp "$ROOT"/guest/*.sh "$R/lib/"
for t in iommufd iommufd_fail_nth; do
	cp "$SELFTESTS/$t" "$R/tests/"
done
cp "$SELFTESTS"/tools/* "$R/tests/" 2>/dev/null || true
[ -z "${FOCUS:-}" ] || install -m 755 "$FOCUS" "$R/etc/focus.sh"
[ -z "${BENCH_CONF:-}" ] || install -m 644 "$BENCH_CONF" "$R/etc/bench.conf"
if [ -n "$modules" ]; then
	cp -a "$modules/lib/modules" "$R/lib/"
	python3 "$ROOT/scripts/module-load-order.py" "$R/lib/modules"/*/modules.dep \
		iommufd arm_smmu_v3 vfio-pci >"$R/lib/modules/load-order"
fi
# An ACPI table upgrade (scripts/make-iort-override.sh) must come first, as an
# uncompressed cpio; the kernel unpacks the concatenated archives in order.
{
	if [ -n "$override" ] && [ -f "$override" ]; then cat "$override"; fi
	(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1
} >"$out.tmp"
mv "$out.tmp" "$out"
note=
if [ -z "$override" ]; then
	note=", no IORT override: firmware's IORT"
elif [ -f "$override" ]; then
	note=", IORT override prepended"
fi
log "initramfs: $out ($(du -h "$out" | cut -f1)$note)"
