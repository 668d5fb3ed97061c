#!/bin/bash
# The modular variant of the test kernel: config/test.config + config/modular.config
# (iommufd, arm-smmu-v3, vfio, vfio-pci as modules, as distributions build them), in
# its own object directory, through modpost, with the modules installed into
# build/modules-root for the initramfs. Same tree, so ccache serves what both share.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

export KOBJ=$BUILD/obj-modular KHDR=$BUILD/usr-modular
export EXTRA_FRAGS=$ROOT/config/modular.config
"$ROOT/scripts/build-kernel.sh"
mods=$BUILD/modules-root
rm -rf "$mods"
log "installing the modules into $mods"
make -C "$TREE" O="$KOBJ" ARCH=arm64 CROSS_COMPILE="$CROSS_COMPILE" \
	INSTALL_MOD_PATH="$mods" INSTALL_MOD_STRIP=1 DEPMOD=/sbin/depmod modules_install >/dev/null
n=$(find "$mods" -name '*.ko' | wc -l)
[ "$n" -gt 0 ] || die "no modules installed in $mods"
for m in iommufd arm_smmu_v3 vfio vfio-pci; do
	find "$mods" -name "$m.ko" | grep -q . || die "$m.ko was not built: is config/modular.config still honoured?"
done
log "modular kernel ready: $KOBJ/arch/arm64/boot/Image, $n modules"
