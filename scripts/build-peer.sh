#!/bin/bash
# Build upstream Linux (Debian's linux-source-X.Y) as the peer host kernel, for
# make peer-vmm and make bench: same config fragment as this series (plus
# config/peer.config), same compiler and ccache. A peer only: nothing of its
# code goes into the series. Prints the Image's path on the last line.
#   build-peer.sh [X.Y]   (default 7.3)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

V=${1:-7.3}
P=$BUILD/peer-$V
# PEER_FLAVOUR=bench (make bench): config/bench.config on top, in its own object
# directory, so that make peer-vmm's build stays incremental.
flavour=${PEER_FLAVOUR:-}
obj=$P/obj${flavour:+-$flavour}
frags=$ROOT/config/peer.config
[ -z "$flavour" ] || frags="$frags $ROOT/config/$flavour.config"
"$ROOT/scripts/fetch-peer-source.sh" "$V" >&2
# Options only this series defines are absent upstream: allowed, and listed.
log "building the peer host kernel: Linux $V with config/test.config${flavour:+ + config/$flavour.config}" >&2
KTREE=$P/linux KOBJ=$obj KHDR=$P/usr ALLOW_UNDEFINED_OPTIONS=1 EXTRA_FRAGS=$frags \
	"$ROOT/scripts/build-kernel.sh" >&2
echo "$obj/arch/arm64/boot/Image"
