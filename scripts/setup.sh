#!/bin/bash
# Install everything the workbench needs on a Debian bookworm host (idempotent, root).
# Host packages come from apt; QEMU 11.1 (trixie-backports) and the guest's arm64
# busybox are only unpacked into build/, never installed on the host.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "make setup installs packages: run it as root"
PKGS=(make gcc git gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
	ccache sparse bc flex bison libssl-dev libelf-dev cpio kmod rsync xz-utils gzip file
	python3 perl qemu-efi-aarch64 linux-source-6.12 dpkg-dev gnuplot-nox)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	mkdir -p "$BUILD"
	log "apt-get install ${missing[*]}"
	apt-get -q update >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get -q -y install --no-install-recommends "${missing[@]}" >"/tmp/viommu-setup-apt.log" 2>&1 ||
		{ tail -20 "/tmp/viommu-setup-apt.log"; die "apt-get install failed"; }
	rm -f "/tmp/viommu-setup-apt.log"
else
	log "host packages: all ${#PKGS[@]} installed"
fi
mkdir -p "$BUILD" "$CCACHE_DIR"

load_pin
have=$(dpkg-query -W -f='${Version}' "$BASE_PACKAGE")
if [ "$have" != "$BASE_VERSION" ]; then
	warn "apt installed $BASE_PACKAGE $have but the series is pinned to $BASE_VERSION;
!!! 'make tree' goes on only if every patch still applies."
else
	log "base: $BASE_PACKAGE $have (pinned)"
fi
"$ROOT/scripts/fetch-qemu.sh"
"$ROOT/scripts/fetch-busybox.sh"
log "setup complete"
