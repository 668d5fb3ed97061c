#!/bin/bash
# Cross-build the arm64 test kernel: allnoconfig + config/test.config, verify every
# requested option, build Image, install uAPI headers.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -f "$TREE/Makefile" ] || die "no kernel tree at $TREE: run 'make tree' first"
mkdir -p "$OBJ" "$CCACHE_DIR"
FRAG=$ROOT/config/test.config
EXTRA_FRAGS=${EXTRA_FRAGS:-}

# Regenerate .config only when the fragment (or the Kconfig files) changed, so that
# incremental builds stay incremental.
stamp=$OBJ/.fragment.sha
want=$(cat "$FRAG" $EXTRA_FRAGS | sha256sum | cut -d' ' -f1)
if [ ! -f "$OBJ/.config" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	log "configuring: allnoconfig + $(basename "$FRAG") $EXTRA_FRAGS"
	(cd "$TREE" && KCONFIG_CONFIG="$OBJ/.config" ARCH=arm64 \
		scripts/kconfig/merge_config.sh -n -O "$OBJ" "$FRAG" $EXTRA_FRAGS >"$OBJ/merge_config.log" 2>&1) ||
		{ tail -20 "$OBJ/merge_config.log"; die "merge_config.sh failed"; }
	echo "$want" >"$stamp"
else
	kmake olddefconfig >/dev/null
fi

# Every option the fragments ask for must really have the value asked (=y, =m or not
# set; a later fragment overrides an earlier one, as in merge_config.sh). When building an
# early prefix of the series (make bisect), options that the prefix's Kconfig does
# not define yet are allowed to be absent: ALLOW_UNDEFINED_OPTIONS=1.
defined() {
	[ "${ALLOW_UNDEFINED_OPTIONS:-0}" = 1 ] || return 0
	grep -rqxE --include='Kconfig*' "(menu)?config ${1#CONFIG_}" "$TREE"
}
# "# CONFIG_X is not set" in a later fragment (config/bench.config) turns an option off.
wanted=$(cat "$FRAG" $EXTRA_FRAGS |
	sed -nE 's/^(CONFIG_[A-Z0-9_]*=[ym])$/\1/p; s/^# (CONFIG_[A-Z0-9_]*) is not set$/\1=n/p' |
	awk -F= '{ v[$1] = $2 } END { for (k in v) print k "=" v[k] }' | sort)
missing=$(echo "$wanted" | while read -r want; do
		if [ "${want#*=}" = n ]; then
			grep -q "^${want%=*}=[ym]$" "$OBJ/.config" || continue
		else
			grep -qx "$want" "$OBJ/.config" && continue
		fi
		if defined "${want%=*}"; then echo "$want"; else log "not defined by this tree's Kconfig: ${want%=*}" >&2; fi
	done)
[ -z "$missing" ] || die "requested options did not end up as asked (missing dependency?): $(echo $missing)"
log "config verified: $(echo "$wanted" | wc -l) requested options are as asked"

targets=(Image)
grep -q '=m$' "$OBJ/.config" && targets+=(modules)
log "building ${targets[*]} (ccache in $CCACHE_DIR, -j$JOBS)"
run_logged "$OBJ/build.log" kmake "${targets[@]}" || die "kernel build failed (log: $OBJ/build.log)"
grep -E 'warning:' "$OBJ/build.log" >&2 || true
[ -f "$OBJ/arch/arm64/boot/Image" ] || die "no Image produced"

log "installing uAPI headers into $HDR"
kmake headers_install INSTALL_HDR_PATH="$HDR" >/dev/null
log "kernel ready: $OBJ/arch/arm64/boot/Image"
