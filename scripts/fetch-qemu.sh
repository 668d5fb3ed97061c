#!/bin/bash
# Unpack QEMU (qemu-system-aarch64) from Debian trixie-backports, with its whole
# library closure. Nothing is installed on the (bookworm) host: a private apt state
# resolves trixie's dependency closure and dpkg-deb -x unpacks it.
#   fetch-qemu.sh          amd64 build into build/qemu-root (scripts/qemu runs it
#                          through the unpacked dynamic loader)
#   fetch-qemu.sh arm64    arm64 build into build/qemu-arm64-root: the VMM that the
#                          VMM suite runs inside the test VM (scripts/make-vmm-root.sh)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

QARCH=${1:-amd64}
WANT=${QEMU_MIN_VERSION:-1:11.1}
case "$QARCH" in
amd64) APTROOT=$BUILD/apt-trixie QROOT=$BUILD/qemu-root ;;
arm64) APTROOT=$BUILD/apt-trixie-arm64 QROOT=$BUILD/qemu-arm64-root ;;
*) die "fetch-qemu.sh: unknown architecture '$QARCH' (amd64 or arm64)" ;;
esac
stamp=$QROOT/.qemu-version

if [ -f "$stamp" ] && [ -x "$QROOT/usr/bin/qemu-system-aarch64" ]; then
	log "QEMU ($QARCH) already unpacked: $(cat "$stamp")"
	exit 0
fi

log "preparing a private $QARCH apt state for trixie + trixie-backports in $APTROOT"
mkdir -p "$APTROOT"/{lists/partial,cache/archives/partial,etc/preferences.d}
: >"$APTROOT/status"
cat >"$APTROOT/etc/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-updates main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security trixie-security main
SRC
APT_OPTS=(-o Dir::Etc::SourceList="$APTROOT/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts="$APTROOT/etc/preferences.d"
	-o Dir::State::Lists="$APTROOT/lists" -o Dir::State::status="$APTROOT/status"
	-o Dir::Cache="$APTROOT/cache" -o APT::Architecture="$QARCH" -o APT::Architectures::="$QARCH"
	-o APT::Install-Recommends=false -o Debug::NoLocking=1)
apt-get "${APT_OPTS[@]}" -q update >"$APTROOT/update.log" 2>&1 ||
	{ tail "$APTROOT/update.log"; die "apt-get update for trixie failed"; }

ver=$(apt-cache "${APT_OPTS[@]}" madison qemu-system-arm | awk -F'|' '/trixie-backports/ {gsub(/ /,"",$2); print $2; exit}')
[ -n "$ver" ] || die "qemu-system-arm not found in trixie-backports"
dpkg --compare-versions "$ver" ge "$WANT" || die "trixie-backports offers qemu $ver, need >= $WANT"
log "downloading qemu-system-arm $ver ($QARCH) and its dependency closure"
apt-get "${APT_OPTS[@]}" -q -y --download-only -t trixie-backports install "qemu-system-arm=$ver" >"$APTROOT/download.log" 2>&1 ||
	{ tail -20 "$APTROOT/download.log"; die "downloading QEMU's closure failed"; }

log "unpacking $(ls "$APTROOT"/cache/archives/*.deb | wc -l) packages into $QROOT"
rm -rf "$QROOT"
mkdir -p "$QROOT"
for deb in "$APTROOT"/cache/archives/*.deb; do
	dpkg-deb -x "$deb" "$QROOT"
done
echo "qemu-system-arm $ver $QARCH" >"$stamp"
[ "$QARCH" != amd64 ] || "$ROOT/scripts/qemu" --version | head -1
