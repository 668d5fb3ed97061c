# Shared settings for the workbench scripts (sourced, not run).
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
# KTREE/KOBJ/KHDR point the kernel scripts at another tree (scripts/peer-vmm.sh).
TREE=${KTREE:-$BUILD/linux}
OBJ=${KOBJ:-$BUILD/obj}
HDR=${KHDR:-$BUILD/usr}
SELFTESTS=${KSELFTESTS:-$BUILD/selftests}
export ARCH=arm64
export CROSS_COMPILE=aarch64-linux-gnu-
# ccache lives outside the checkout so that fresh clones and `make clean` keep it.
export CCACHE_DIR=${CCACHE_DIR:-/var/cache/viommu-bench/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
# Paths under the checkout are hashed relative to it, so a fresh clone elsewhere (CI)
# and extra trees under build/ hit the same cache entries.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT}
# Deterministic commits in the generated tree, so that tree -> export -> tree is byte-identical.
export GIT_COMMITTER_NAME="viommu workbench"
export GIT_COMMITTER_EMAIL="workbench@localhost"
JOBS=${JOBS:-$(($(nproc) + 1))}

log() { printf '==> [%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '\n!!! WARNING: %s\n\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Load the base pin (BASE_PACKAGE, BASE_VERSION, BASE_TARBALL, BASE_SHA256).
load_pin() {
	# shellcheck disable=SC1091
	. "$ROOT/patches/base.pin"
}

kmake() {
	make -C "$TREE" O="$OBJ" ARCH=arm64 CROSS_COMPILE="$CROSS_COMPILE" \
		CC="ccache ${CROSS_COMPILE}gcc" -j"$JOBS" "$@"
}

# run_logged LOG CMD...: run CMD with its output in LOG, print a progress line every
# minute, and on failure show the errors and the tail of the log.
run_logged() {
	local logf=$1 rc=0 hb
	shift
	"$@" >"$logf" 2>&1 &
	local pid=$!
	(while sleep 60; do log "... still running ($(wc -l <"$logf") log lines: $(basename "$logf"))"; done) &
	hb=$!
	wait "$pid" || rc=$?
	kill "$hb" 2>/dev/null; wait "$hb" 2>/dev/null || true
	if [ "$rc" != 0 ]; then
		grep -E 'error:|Error [0-9]|undefined reference' "$logf" | head -40 >&2 || true
		tail -15 "$logf" >&2
		return "$rc"
	fi
}

# Fingerprint of the series as committed in patches/.
patches_sha() {
	cat "$ROOT"/patches/base.pin "$ROOT"/patches/*.patch 2>/dev/null | sha256sum | cut -d' ' -f1
}
