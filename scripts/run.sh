#!/bin/bash
# make run: build, boot the test VM and show what it sees of its IOMMUs, then run the
# VMM-style demo programs (guest/tools/demo-*) if the series has them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/ensure-tree.sh"
"$ROOT/scripts/build-kernel.sh"
"$ROOT/scripts/build-guest-progs.sh"
"$ROOT/scripts/pack-initramfs.sh"
"$ROOT/scripts/make-iort-override.sh"
out=$BUILD/run.log
"$ROOT/scripts/boot-vm.sh" run "$out"
echo
# Show the guest's own output (everything between the first and the dmesg markers).
tr -d '\r' <"$out" | sed -n '/^@@@ GUEST UP/,/^@@@ BEGIN dmesg/p' | grep -v '^@@@ BEGIN dmesg'
grep -q '^@@@ ALL DONE' "$out" || die "the guest did not finish (see $out)"
