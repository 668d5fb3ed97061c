#!/bin/bash
# make peer-vmm: the VMM suite with upstream Linux (Debian's linux-source-7.3) as the
# host kernel, side by side with this series: same config fragment, same QEMU 11.1,
# same guest (this tree's Image and edu_dma.ko), same cases. A peer only: nothing of
# its code goes into the series. Results: build/results-vmm-peer-X.Y/.
#   PEER_VERSION=X.Y (default 7.3)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

V=${PEER_VERSION:-7.3}
P=$BUILD/peer-$V
"$ROOT/scripts/build-peer.sh" "$V" >/dev/null
# check-vmm.sh builds this tree's side (guest kernel, edu_dma.ko, initramfs) and boots
# the peer Image as the host.
RES=$BUILD/results-vmm-peer-$V KERNEL=$P/obj/arch/arm64/boot/Image KERNEL_NAME="Linux $V ($(cat "$P/.version"))" \
	"$ROOT/scripts/check-vmm.sh" || true
# This series' side: the newer of make check-vmm's and make check's VMM logs
ours=$BUILD/results-vmm/console-vmm.log
[ "$BUILD/results/console-vmm.log" -nt "$ours" ] && ours=$BUILD/results/console-vmm.log
python3 "$ROOT/scripts/vmm-table.py" "$ours" "$BUILD/results-vmm-peer-$V/console-vmm.log"
