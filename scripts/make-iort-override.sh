#!/bin/bash
# Build build/iort-override.cpio: an ACPI table upgrade (CONFIG_ACPI_TABLE_UPGRADE)
# replacing QEMU's IORT by the same table with the CANWBS memory access flag set on
# every PCI root complex node. A TCG root complex is coherent, but QEMU only reports
# CPM|DACS. pack-initramfs.sh prepends the cpio to the initramfs when it exists.
# The table is taken from the VM itself (guest job dump-iort), so the override only
# changes that flag, the OEM revision and the checksum. The result is cached; the key
# covers the QEMU command line (boot-vm.sh), the QEMU version and the patch step.
# Run after pack-initramfs.sh; re-packs the initramfs when it (re)builds the override.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$BUILD/iort-override.cpio
keyf=$BUILD/iort-override.key
dir=$BUILD/iort-override
key=$(cat "$ROOT/scripts/boot-vm.sh" "$BUILD/qemu-root/.qemu-version" \
	"$ROOT/scripts/patch-iort.py" "$ROOT/scripts/make-iort-override.sh" | sha256sum | cut -d' ' -f1)
if [ -f "$out" ] && [ "$(cat "$keyf" 2>/dev/null)" = "$key" ]; then
	log "IORT override: up to date ($out)"
	exit 0
fi

# The dump must see the firmware's table, not a previous override.
rm -f "$out" "$keyf"
rm -rf "$dir"
log "IORT override: dumping the firmware's IORT (plain initramfs)"
"$ROOT/scripts/pack-initramfs.sh"
dump=$BUILD/iort-dump.log
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300} "$ROOT/scripts/boot-vm.sh" dump-iort "$dump" ||
	die "the dump-iort boot failed (see $dump)"

mkdir -p "$dir/kernel/firmware/acpi"
python3 "$ROOT/scripts/patch-iort.py" "$dump" "$dir/kernel/firmware/acpi/iort.aml" ||
	die "could not build the IORT override from $dump"
# Uncompressed newc cpio: the kernel only looks for table upgrades in such a prefix.
(cd "$dir" && printf '%s\n' kernel kernel/firmware kernel/firmware/acpi \
	kernel/firmware/acpi/iort.aml | cpio -o -H newc --quiet -R 0:0) >"$out.tmp"
mv "$out.tmp" "$out"
echo "$key" >"$keyf"
log "IORT override: $out ($(stat -c %s "$out") bytes)"
"$ROOT/scripts/pack-initramfs.sh"
