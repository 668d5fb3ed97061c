# Helpers for the guest jobs (sourced by /init).

# suite KIND NAME TIMEOUT CMD...: run CMD framed by BEGIN/END markers, killed after
# TIMEOUT seconds (reported as rc=124 by the roll-up).
suite() {
	local kind=$1 name=$2 limit=$3 t0 rc
	shift 3
	echo "@@@ BEGIN $kind:$name"
	t0=$(date +%s)
	timeout -s KILL "$limit" "$@" </dev/null 2>&1
	rc=$?
	echo "@@@ END $kind:$name rc=$rc secs=$(($(date +%s) - t0))"
}

# Built-in KUnit suites ran at boot; their KTAP results sit in debugfs.
kunit_results() {
	local d
	for d in /sys/kernel/debug/kunit/*/; do
		[ -f "$d/results" ] || continue
		echo "@@@ BEGIN kunit:$(basename "$d")"
		cat "$d/results"
		echo "@@@ END kunit:$(basename "$d") rc=0 secs=0"
	done
}

# Bind every QEMU edu device (1234:11e8) to vfio-pci. A PCI device behind the SMMU
# only gets an iommu group (and a /dev/vfio/devices node) once a driver binds.
bind_edu_vfio() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1234:0x11e8" ] || continue
		echo vfio-pci >"$d/driver_override"
		echo "$(basename "$d")" >/sys/bus/pci/drivers_probe
	done
}

# kmemleak (debug kernel only): report and forget what boot left unreferenced, so
# that the scan at the end (kmemleak-scan.sh) only sees what the suites leaked.
kmemleak_forget_boot() {
	local f=/sys/kernel/debug/kmemleak
	[ -w "$f" ] || return 0
	echo scan >"$f"
	echo "@@@ kmemleak: $(grep -c '^unreferenced object' "$f") objects from boot forgotten"
	echo clear >"$f"
}
