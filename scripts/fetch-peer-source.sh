#!/bin/bash
# Unpack upstream Linux from Debian's linux-source-X.Y (trixie-backports) into
# build/peer-X.Y/linux, for scripts/peer-vmm.sh. A peer only: nothing of it goes into
# the series. Uses the private trixie apt state of scripts/fetch-qemu.sh.
#   fetch-peer-source.sh [X.Y]   (default 7.3)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

V=${1:-7.3}
P=$BUILD/peer-$V
APTROOT=$BUILD/apt-trixie
if [ -f "$P/linux/Makefile" ] && [ -f "$P/.version" ]; then
	log "peer source already unpacked: $(cat "$P/.version")"
	exit 0
fi
"$ROOT/scripts/fetch-qemu.sh" >/dev/null
APT_OPTS=(-o Dir::Etc::SourceList="$APTROOT/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$APTROOT/lists" -o Dir::State::status="$APTROOT/status"
	-o Dir::Cache="$APTROOT/cache" -o APT::Architecture=amd64 -o Debug::NoLocking=1)
rm -rf "$P" && mkdir -p "$P/dl"
log "downloading linux-source-$V from trixie-backports"
(cd "$P/dl" && apt-get "${APT_OPTS[@]}" -q download "linux-source-$V" >/dev/null) ||
	die "cannot download linux-source-$V"
deb=$(ls "$P"/dl/linux-source-"$V"_*.deb)
dpkg-deb -x "$deb" "$P/dl/x"
log "extracting $(basename "$deb")"
mkdir -p "$P/linux"
tar -xf "$P/dl/x/usr/src/linux-source-$V.tar.xz" -C "$P/linux" --strip-components=1
rm -rf "$P/dl"
basename "$deb" >"$P/.version"
log "peer source: $P/linux ($(cat "$P/.version"))"
