#!/bin/bash
# Pack the guest initramfs: static busybox, guest/init and its job scripts, the
# iommu kselftests and the guest tools. One image serves every job (the kernel
# command line's vmjob= picks what /init runs).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

R=$BUILD/initramfs
out=$BUILD/initramfs.cpio.gz
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
# An ACPI table upgrade (scripts/make-iort-override.sh) must come first, as an
# uncompressed cpio; the kernel unpacks the concatenated archives in order.
override=$BUILD/iort-override.cpio
{
	if [ -f "$override" ]; then cat "$override"; fi
	(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1
} >"$out.tmp"
mv "$out.tmp" "$out"
note=
if [ -f "$override" ]; then note=", IORT override prepended"; fi
log "initramfs: $out ($(du -h "$out" | cut -f1)$note)"
