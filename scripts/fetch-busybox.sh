#!/bin/bash
# Unpack Debian's static arm64 busybox into build/busybox (for the guest initramfs).
# apt-get download + dpkg-deb -x only: no arm64 binary is installed on the host.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BB=$BUILD/busybox
if [ -x "$BB/bin/busybox" ]; then
	log "busybox already unpacked: $(cat "$BB/.version")"
	exit 0
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	log "dpkg --add-architecture arm64"
	dpkg --add-architecture arm64
	apt-get -q update >/dev/null
fi
rm -rf "$BB.dl" && mkdir -p "$BB.dl"
(cd "$BB.dl" && apt-get -q download busybox-static:arm64 >/dev/null) ||
	{ apt-get -q update >/dev/null && (cd "$BB.dl" && apt-get -q download busybox-static:arm64); } ||
	die "cannot download busybox-static:arm64"
rm -rf "$BB.x" && mkdir -p "$BB.x/bin"
dpkg-deb -x "$BB.dl"/busybox-static_*_arm64.deb "$BB.x/pkg"
cp "$BB.x/pkg/bin/busybox" "$BB.x/bin/busybox"
file "$BB.x/bin/busybox" | grep -q 'ARM aarch64.*statically linked' || die "not a static arm64 busybox"
basename "$BB.dl"/busybox-static_*_arm64.deb >"$BB.x/.version"
rm -rf "$BB" "$BB.dl" && mv "$BB.x" "$BB"
log "busybox: $(cat "$BB/.version")"
