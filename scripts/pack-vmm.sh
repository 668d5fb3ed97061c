#!/bin/bash
# Pack what the VMM suite (guest/job-vmm.sh) runs inside the test VM, as one extra
# initramfs segment, build/vmm.cpio.gz, appended to the test VM's own initramfs:
#   /vmm/qemu          wrapper running QEMU 11.1 arm64 through its own loader
#   /vmm/root/...      qemu-system-aarch64 and its shared-library closure only
#   /vmm/QEMU_EFI.fd   the guest's UEFI firmware (accel=on needs an ACPI guest)
#   /vmm/Image         the guest kernel: the same Image as the test VM's
#   /vmm/guest.cpio.gz the guest's initramfs: busybox, guest/vmm-guest-init as
#                      /init and the test-only edu_dma.ko (guest/edu-dma)
# Then writes build/initramfs-vmm.cpio.gz = the test VM's initramfs + that segment.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

V=$BUILD/vmm
QROOT=$BUILD/qemu-arm64-root
image=$OBJ/arch/arm64/boot/Image
firmware=${QEMU_EFI:-/usr/share/qemu-efi-aarch64/QEMU_EFI.fd}
[ -f "$image" ] || die "no kernel Image: run 'make build'"
[ -f "$BUILD/initramfs.cpio.gz" ] || die "no build/initramfs.cpio.gz: run scripts/pack-initramfs.sh"
"$ROOT/scripts/fetch-qemu.sh" arm64

log "building the test-only guest module edu_dma.ko"
M=$BUILD/edu-dma
rm -rf "$M" && mkdir -p "$M"
cp "$ROOT"/guest/edu-dma/* "$M/"
# Module.symvers of the kernel (no in-tree module is =m: this only writes it).
run_logged "$M/symvers.log" kmake modules || die "make modules failed (log: $M/symvers.log)"
run_logged "$M/build.log" kmake M="$M" W=1 modules || die "edu_dma.ko does not build (log: $M/build.log)"
! grep -E 'warning:' "$M/build.log" >&2 || die "edu_dma.ko builds with warnings"

rm -rf "$V" && mkdir -p "$V/stage/vmm/root" "$V/guest"/{bin,dev,proc,sys,tmp}
log "guest initramfs: busybox, vmm-guest-init, edu_dma.ko"
cp "$BUILD/busybox/bin/busybox" "$V/guest/bin/busybox"
install -m 755 "$ROOT/guest/vmm-guest-init" "$V/guest/init"
cp "$M/edu_dma.ko" "$V/guest/edu_dma.ko"
(cd "$V/guest" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$V/stage/vmm/guest.cpio.gz"

log "QEMU arm64: qemu-system-aarch64 and its shared-library closure"
python3 "$ROOT/scripts/elf-closure.py" "$QROOT" usr/bin/qemu-system-aarch64 >"$V/closure.txt"
(cd "$QROOT" && cp -a --parents $(cat "$V/closure.txt") "$V/stage/vmm/root/")
loader=$(grep -m1 'aarch64-linux-gnu/ld-linux-aarch64.so.1$' "$V/closure.txt")
cat >"$V/stage/vmm/qemu" <<EOF
#!/bin/sh
# QEMU $(cut -d' ' -f2 "$QROOT/.qemu-version") (trixie-backports, arm64), run through its own loader.
exec /vmm/root/$loader --library-path /vmm/root/$(dirname "$loader") /vmm/root/usr/bin/qemu-system-aarch64 "\$@"
EOF
chmod 755 "$V/stage/vmm/qemu"
cp "$firmware" "$V/stage/vmm/QEMU_EFI.fd"
cp "$image" "$V/stage/vmm/Image"
cut -d' ' -f2 "$QROOT/.qemu-version" >"$V/stage/vmm/qemu-version"

(cd "$V/stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$BUILD/vmm.cpio.gz"
cat "$BUILD/initramfs.cpio.gz" "$BUILD/vmm.cpio.gz" >"$BUILD/initramfs-vmm.cpio.gz.tmp"
mv "$BUILD/initramfs-vmm.cpio.gz.tmp" "$BUILD/initramfs-vmm.cpio.gz"
log "initramfs-vmm: $BUILD/initramfs-vmm.cpio.gz ($(du -h "$BUILD/initramfs-vmm.cpio.gz" | cut -f1);" \
	"VMM payload $(du -sh "$V/stage" | cut -f1) unpacked, $(wc -l <"$V/closure.txt") QEMU files)"
