#!/bin/sh
# vmm-hotplug.sh BDF [PLUGS]: the VMM suite's hot-plug case. QEMU 11.1 starts with one
# `arm-smmuv3,accel=on` and an empty pcie-root-port behind it, no device at all; the
# guest boots (its SMMUv3 driver enables the vSMMU's event queue) and says so. Then
# this script hot-plugs the edu device BDF through QMP (`device_add vfio-pci,...`)
# into that root port, the guest's edu_dma checks DMA through its stage 1 over our
# stage 2, the device is unplugged (`device_del`), plugged again, and checked again:
# PLUGS rounds (default 2). QEMU sets up the vIOMMU, its vDEVICE and vEVENTQ only
# when the device arrives, so each plug exercises the whole setup on this kernel.
#
# QMP runs over a pipe chardev (two FIFOs, $W/qmp.in and $W/qmp.out); the guest's
# console is a file, on which the two sides meet through "@@@ HOTPLUG" markers.
# Prints one TAP stream, then the guest's console, QMP's log, QEMU's output and its
# iommufd trace, prefixed so that only the TAP lines count.
. /lib/vmm-tap.sh
bdf=$1
plugs=${2:-2}
W=/tmp/vmm-hotplug
rm -rf "$W" && mkdir -p "$W"
tap=$W/tap
limit=420

# wait_for_n PATTERN FILE N SECONDS: until FILE has N lines matching PATTERN
# (false once QEMU has exited or SECONDS have passed)
wait_for_n() {
	local i=0 n
	while :; do
		# A file QEMU has not created yet has no line: 0, not "" (which
		# made the test fail and the wait return at once, so the device
		# was plugged while the guest still booted)
		n=$(grep -c "$1" "$2" 2>/dev/null) || true
		[ "${n:-0}" -lt "$3" ] || break
		[ $i -ge $(($4 * 5)) ] && return 1
		kill -0 "$qpid" 2>/dev/null || return 1
		sleep 0.2
		i=$((i + 1))
	done
}

# wait_for PATTERN FILE SECONDS: until FILE has a line matching PATTERN
wait_for() {
	wait_for_n "$1" "$2" 1 "$3"
}

# qmp JSON: send one command; its answer lands in $W/qmp.log
qmp() {
	echo "$1" >&3
	echo "> $1" >>"$W/qmp.sent"
}

# answers N: how many {"return": ...} lines QMP has written so far
answers() {
	grep -c '"return"' "$W/qmp.log" 2>/dev/null
}

# lockdep.prove_locking=0: the guest's own PCIe hot-plug driver (pciehp, the same
# code in 6.12 and 7.3) takes pci_rescan_remove_lock and ctrl->reset_lock in an
# order lockdep reports as a possible circular dependency at the first plug. That
# is the guest's PCI core, not this series (which runs in the host); the other
# cases keep lockdep on in the guest.
mkfifo "$W/qmp.in" "$W/qmp.out"
t0=$(date +%s)
timeout -s KILL "$limit" /vmm/qemu -M virt,gic-version=3 -accel kvm -cpu host -smp 1 -m 512M \
	-bios /vmm/QEMU_EFI.fd -kernel /vmm/Image -initrd /vmm/guest.cpio.gz \
	-append "console=ttyAMA0 loglevel=4 panic=-1 iommu.strict=1 kunit.enable=0 lockdep.prove_locking=0 edu_expect=0 edu_hotplug=$plugs" \
	-nodefaults -nographic -no-reboot -serial "file:$W/guest.log" -monitor none \
	-chardev "pipe,id=qmp,path=$W/qmp" -mon chardev=qmp,mode=control \
	-object iommufd,id=iommufd0 -trace 'iommufd_backend_*' -D "$W/trace.log" -msg timestamp=on \
	-device arm-smmuv3,primary-bus=pcie.0,accel=on,ril=off,ats=off,oas=44,ssidsize=0,id=vsmmu0 \
	-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1 \
	</dev/null >"$W/qemu.out" 2>&1 &
qpid=$!
cat "$W/qmp.out" >"$W/qmp.log" &
cpid=$!
exec 3>"$W/qmp.in"
qmp '{"execute": "qmp_capabilities"}'

{
	r=1
	while [ "$r" -le "$plugs" ]; do
		if ! wait_for "@@@ HOTPLUG READY $r" "$W/guest.log" 180; then
			echo "not ok - plug $r: the guest never said it was ready for the device"
			break
		fi
		n=$(answers)
		qmp "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"vfio-pci\", \"host\": \"$bdf\", \"iommufd\": \"iommufd0\", \"bus\": \"rp0\", \"id\": \"edu0\"}}"
		i=0
		while [ "$(answers)" = "$n" ] && ! grep -q '"error"' "$W/qmp.log" && [ $i -lt 300 ]; do
			sleep 0.2
			i=$((i + 1))
		done
		if grep -q '"error"' "$W/qmp.log"; then
			echo "not ok - plug $r: QMP device_add failed: $(grep -m1 '"error"' "$W/qmp.log")"
			break
		fi
		echo "ok - plug $r: QMP device_add vfio-pci,host=$bdf,iommufd=iommufd0,bus=rp0 succeeded"
		if ! wait_for "@@@ HOTPLUG PLUGGED $r" "$W/guest.log" 120; then
			echo "not ok - plug $r: the guest never finished its checks of the plugged device"
			break
		fi
		[ "$r" = "$plugs" ] && break
		qmp '{"execute": "device_del", "arguments": {"id": "edu0"}}'
		if wait_for_n '"DEVICE_DELETED".*"device": "edu0"' "$W/qmp.log" "$r" 120; then
			echo "ok - unplug $r: QMP device_del, and QEMU reported edu0 deleted"
		else
			echo "not ok - unplug $r: QEMU never reported edu0 deleted"
			break
		fi
		if ! wait_for "@@@ HOTPLUG UNPLUGGED $r" "$W/guest.log" 60; then
			echo "not ok - unplug $r: the guest never saw the device leave"
			break
		fi
		r=$((r + 1))
	done
} >"$tap.host"

wait "$qpid"
rc=$?
secs=$(($(date +%s) - t0))
exec 3>&-
kill "$cpid" 2>/dev/null
tr -d '\r' <"$W/guest.log" >"$W/guest.txt" 2>/dev/null

{
	if [ "$rc" = 0 ]; then
		echo "ok - QEMU ran the guest and exited cleanly (${secs}s)"
	else
		echo "not ok - QEMU exit status $rc after ${secs}s (137: killed at the ${limit} s limit)"
	fi
	cat "$tap.host"
	viommus=$(grep 'iommufd_backend_alloc_viommu ' "$W/trace.log" 2>/dev/null | grep -c ' (0)$')
	bad=$(grep 'iommufd_backend_alloc_viommu \|iommufd_backend_alloc_vdev ' "$W/trace.log" 2>/dev/null | grep -vc ' (0)$')
	if [ "$viommus" -ge 1 ] && [ "$bad" = 0 ]; then
		echo "ok - QEMU allocated its vIOMMU(s) on this kernel when the device came ($viommus allocation(s) for $plugs plug(s), none failed)"
	else
		echo "not ok - QEMU allocated $viommus vIOMMU(s), $bad vIOMMU/vDEVICE allocation(s) failed"
	fi
	qemu_no_error "$W/qemu.out" 'vevent\|viommu\|vdev' "vIOMMU, vDEVICE or vEVENTQ"
	inner_results "$W/guest.txt"
} >"$tap.raw"
tap_number "$tap.raw" "$tap"
cat "$tap"
# What QEMU did, for the record: per plug a vIOMMU and vDEVICE; per unplug it frees
# its objects by ID (a refused IOMMU_DESTROY is EBUSY: the ID is still in use).
vdevs=$(grep 'iommufd_backend_alloc_vdev ' "$W/trace.log" 2>/dev/null | grep -c ' (0)$')
busy=$(grep -c 'iommufd_backend_free_id .*(-1)$' "$W/trace.log" 2>/dev/null)
echo "# timing: QEMU start to exit ${secs}s; QEMU allocated $viommus vIOMMU(s) and $vdevs vDEVICE(s) over $plugs plug(s), $busy IOMMU_DESTROY(s) refused at unplug"
sed 's/^/  qmp| /' "$W/qmp.sent" "$W/qmp.log" 2>/dev/null
sed 's/^/  trace| /' "$W/trace.log" 2>/dev/null
sed 's/^/  qemu| /' "$W/qemu.out"
sed 's/^/  guest| /' "$W/guest.txt"
! grep -q '^not ok' "$tap"
