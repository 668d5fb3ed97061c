#!/bin/sh
# vmm-case.sh NAME BDF...: one case of the VMM suite. Runs QEMU 11.1 (/vmm/qemu) with
# KVM as the VMM on this kernel: one `arm-smmuv3,accel=on` per given edu device
# (each behind its own physical SMMU), the device passed through with vfio-pci on
# /dev/iommu, and a UEFI/ACPI guest (/vmm/Image + /vmm/guest.cpio.gz) whose
# edu_dma module checks DMA through its own stage 1 over our stage 2.
# Prints one TAP stream (numbered here, plan last), then the guest's console, QEMU's
# output and its iommufd trace, prefixed so that only the TAP lines count.
# EDU_BENCH=N (default 4, make bench: more): the guest's edu_dma times N strict
# map + unmap pairs, each unmap a guest invalidation the VMM forwards to this kernel.
# EDU_FAULT=IOVA: the guest's edu_dma also DMAs to IOVA, never mapped; the guest's
# SMMU driver must log the fault QEMU relayed from this kernel's vEVENTQ.
# MEM=memfd|hugetlbfs: guest RAM from memory-backend-memfd (share=on), or from
# memory-backend-file on the test VM's hugetlbfs (2 MiB pages); QEMU then maps it
# with IOMMU_IOAS_MAP_FILE, which its trace must show succeeding.
# VMM_HOST_KERNEL=series|mainline (guest/job-vmm.sh asks once; asked here if unset):
# with devices behind two SMMUs, this series' kernel lets QEMU put both vIOMMUs on
# one NEST_PARENT stage-2 (checked); mainline refuses that attach, so QEMU allocates
# one per vSMMU (only printed).
. /lib/vmm-tap.sh
name=$1
shift
n=$#
W=/tmp/vmm-$name
rm -rf "$W" && mkdir -p "$W"
tap=$W/tap

# The guest sees the devices the same way round as the host: the first behind a
# vSMMU on pcie.0, each further one behind a vSMMU of its own on an expander bus.
set -- "$@" --
i=0
while [ "$1" != -- ]; do
	bdf=$1
	shift
	if [ "$i" = 0 ]; then
		bus=pcie.0
	else
		bus=pxb$i
		set -- "$@" -device "pxb-pcie,id=$bus,bus_nr=$((i * 32)),bus=pcie.0"
	fi
	set -- "$@" -device "arm-smmuv3,primary-bus=$bus,accel=on,id=vsmmu$i" \
		-device "pcie-root-port,id=rp$i,bus=$bus,chassis=$((i + 1))" \
		-device "vfio-pci,host=$bdf,iommufd=iommufd0,bus=rp$i,id=edu$i"
	i=$((i + 1))
done
shift

case ${MEM:-} in
'') mem=;;
memfd) mem="-object memory-backend-memfd,id=m0,size=512M,share=on" ;;
hugetlbfs)
	# 256 pages of 2 MiB for the guest's 512 MiB, beyond what the test VM keeps
	hp0=$(cat /proc/sys/vm/nr_hugepages)
	echo $((hp0 + 256)) >/proc/sys/vm/nr_hugepages
	echo "# hugetlbfs: $(grep -E 'HugePages_(Total|Free)' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
	mem="-object memory-backend-file,id=m0,size=512M,mem-path=/dev/hugepages,share=on,prealloc=on" ;;
*) echo "not ok 1 - unknown MEM=$MEM"; echo "1..1"; exit 1 ;;
esac
echo "# case $name: QEMU $(cat /vmm/qemu-version), $n edu device(s) passed through: $(ls -l /dev/vfio/devices | grep -c vfio) cdev(s)"
if [ "$n" -ge 2 ]; then
	host=${VMM_HOST_KERNEL:-$(/tests/uapi-vs-mainline --kernel 2>/dev/null)}
	echo "# host kernel: ${host:-unknown} (IOMMU_VIOMMU_SET_DEV_ID, 0xb0: ENOTTY on mainline)"
fi

# The kernel's own count of stage-2 page-table memory: SecPageTables (kB; KVM's
# stage 2 and the IOMMU's page tables) and nr_iommu_pages (pages; io-pgtable-arm
# allocates through iommu-pages.h, which counts both), sampled every 0.5 s while
# QEMU runs, for the peak.
mem_sample() {
	awk '/^SecPageTables:/ { s = $2 } $1 == "nr_iommu_pages" { p = $2 }
		END { print s, (p == "" ? "n/a" : p) }' /proc/meminfo /proc/vmstat
}
mem_sample >"$W/mem"
(while :; do mem_sample; sleep 0.5; done) >>"$W/mem" &
sampler=$!
t0=$(date +%s)
# shellcheck disable=SC2086
timeout -s KILL 420 /vmm/qemu -M virt,gic-version=3${mem:+,memory-backend=m0} $mem -accel kvm -cpu host -smp 1 -m 512M \
	-bios /vmm/QEMU_EFI.fd -kernel /vmm/Image -initrd /vmm/guest.cpio.gz \
	-append "console=ttyAMA0 loglevel=4 panic=-1 iommu.strict=1 kunit.enable=0 edu_expect=$n edu_bench=${EDU_BENCH:-4}${EDU_FAULT:+ edu_fault=$EDU_FAULT}" \
	-nodefaults -nographic -no-reboot -serial "file:$W/guest.log" -monitor none \
	-object iommufd,id=iommufd0 -trace 'iommufd_backend_*' -trace 'iommufd_cdev_*' -D "$W/trace.log" -msg timestamp=on \
	"$@" </dev/null >"$W/qemu.out" 2>&1
rc=$?
secs=$(($(date +%s) - t0))
kill "$sampler"
wait "$sampler" 2>/dev/null
tr -d '\r' <"$W/guest.log" >"$W/guest.txt" 2>/dev/null
[ -n "${hp0:-}" ] && echo "$hp0" >/proc/sys/vm/nr_hugepages

{
	if [ "$rc" = 0 ]; then
		echo "ok - QEMU ran the guest and exited cleanly (${secs}s)"
	else
		echo "not ok - QEMU exit status $rc after ${secs}s (137: killed at the 420 s limit)"
	fi
	viommus=$(grep 'iommufd_backend_alloc_viommu ' "$W/trace.log" 2>/dev/null | grep -c ' (0)$')
	if [ "$viommus" = "$n" ]; then
		echo "ok - QEMU allocated $n vIOMMU(s) on this kernel, one per physical SMMU"
	else
		echo "not ok - QEMU allocated $viommus vIOMMU(s), expected $n"
	fi
	# Which stage-2 each vIOMMU was allocated on
	hwpts=$(sed -n 's/.*iommufd_backend_alloc_viommu .* hwpt_id=\([0-9]*\) .* (0)$/\1/p' "$W/trace.log" | sort -u | tr '\n' ' ')
	# shellcheck disable=SC2086
	s2s=$(echo $hwpts | wc -w)
	if [ "$n" -ge 2 ] && [ "$host" = series ]; then
		if [ "$s2s" = 1 ] && grep 'iommufd_backend_alloc_hwpt .* flags=0x1 ' "$W/trace.log" 2>/dev/null |
			grep -q " out_hwpt=${hwpts% } (0)$"; then
			echo "ok - both vIOMMUs sit on ONE NEST_PARENT stage-2 (HWPT ${hwpts% })"
		else
			echo "not ok - the vIOMMUs sit on $s2s stage-2 HWPT(s) (${hwpts:-none}), expected one shared NEST_PARENT"
		fi
	elif [ "$n" -ge 2 ] && [ "$host" != mainline ]; then
		echo "not ok - cannot tell this host kernel from mainline (/tests/uapi-vs-mainline --kernel: '${host:-}')"
	fi
	vdevs=$(grep 'iommufd_backend_alloc_vdev ' "$W/trace.log" 2>/dev/null | grep -c ' (0)$')
	if [ "$vdevs" -ge "$n" ]; then
		echo "ok - QEMU registered the guest's vSID of each device ($vdevs vDEVICE(s))"
	else
		echo "not ok - QEMU registered $vdevs vDEVICE(s), expected $n"
	fi
	if [ -n "${MEM:-}" ]; then
		mf=$(grep -c 'iommufd_backend_map_file_dma ' "$W/trace.log" 2>/dev/null)
		mfbad=$(grep 'iommufd_backend_map_file_dma ' "$W/trace.log" 2>/dev/null | grep -vc ' (0)$')
		if [ "$mf" -gt 0 ] && [ "$mfbad" = 0 ]; then
			echo "ok - QEMU mapped the $MEM guest RAM with IOMMU_IOAS_MAP_FILE ($mf call(s), all succeeded)"
		else
			echo "not ok - IOMMU_IOAS_MAP_FILE: $mf call(s), $mfbad failed"
		fi
	fi
	if [ -n "${EDU_FAULT:-}" ]; then
		qemu_no_error "$W/qemu.out" vevent vEVENTQ
	fi
	inner_results "$W/guest.txt"
} >"$tap.raw"
tap_number "$tap.raw" "$tap"
cat "$tap"

# What QEMU did, for the record: which stage-2 each vIOMMU was allocated on, and
# how many NEST_PARENT HWPTs (flags=0x1) it allocated. QEMU first attaches a further
# device to the S2 it has: its iommufd_cdev_* trace shows that attach ("attached
# ... to id=3") when it succeeds; when it fails (EINVAL on mainline) QEMU traces
# nothing and allocates another S2. The count is checked on this series only.
nps=$(grep 'iommufd_backend_alloc_hwpt .* flags=0x1 ' "$W/trace.log" 2>/dev/null | grep -c ' (0)$')
echo "# stage-2 HWPT(s) under the vIOMMUs: ${hwpts:-none} ($s2s distinct for $viommus vIOMMU(s); $nps NEST_PARENT HWPT(s) allocated)"
# Stage-2 page-table memory: before QEMU started, and the peak while it ran
awk 'NR == 1 { s0 = $1; p0 = $2 } { if ($1 + 0 > s1) s1 = $1 + 0; if ($2 != "n/a" && $2 + 0 > p1) p1 = $2 + 0 }
	END { printf "# memory: SecPageTables before %d kB peak %d kB (+%d kB), nr_iommu_pages ", s0, s1, s1 - s0
		if (p0 == "n/a") print "n/a"; else printf "before %d peak %d (+%d)\n", p0, p1, p1 - p0 }' "$W/mem"
# Timings: trace lines start with a UTC time stamp (-msg timestamp=on), on the same
# clock as `date`; the guest prints its uptime.
ts=$(sed -n 's/^\([0-9-]*\)T\([0-9:]*\)\..*iommufd_backend_alloc_viommu .*/\1 \2/p' "$W/trace.log" | head -1)
first_viommu=$([ -n "$ts" ] && date -u -d "$ts" +%s)
up0=$(sed -n 's/^@@@ INNER BEGIN .*uptime=\([0-9.]*\).*/\1/p' "$W/guest.txt")
up1=$(sed -n 's/^@@@ INNER END uptime=\([0-9.]*\).*/\1/p' "$W/guest.txt")
# The guest RAM maps (512 MiB, IOAS_MAP or IOAS_MAP_FILE) and the NEST_PARENT HWPT
# allocations (a second one is filled from the IOAS's mappings, guest RAM included):
# each the time from the trace line before it to its own, which QEMU writes when the
# ioctl returned; summed, with the number of calls
ram_map=$(awk '{ split($1, a, /[T Z]/); split(a[2], x, ":"); now = x[1] * 3600 + x[2] * 60 + x[3] }
	/iommufd_backend_map(_file)?_dma .*size=0x20000000 / { m++; ms += now - prev }
	/iommufd_backend_alloc_hwpt .* flags=0x1 .*\(0\)$/ { h++; hs += now - prev }
	{ prev = now }
	END { if (m) printf "%.2fs in %d call(s), NEST_PARENT HWPT alloc(s) %.2fs in %d call(s)", ms, m, hs, h }' "$W/trace.log" 2>/dev/null)
echo "# timing: QEMU start to first vIOMMU allocated $([ -n "$first_viommu" ] && echo "$((first_viommu - t0))s" || echo n/a)," \
	"guest kernel up to /init ${up0:-n/a}s, guest tests $(awk -v a="${up0:-0}" -v b="${up1:-0}" 'BEGIN { if (b > 0) printf "%.1fs", b - a; else print "n/a" }')," \
	"QEMU start to exit ${secs}s, guest RAM map ${ram_map:-n/a}"
sed 's/^/  trace| /' "$W/trace.log" 2>/dev/null
sed 's/^/  qemu| /' "$W/qemu.out"
sed 's/^/  guest| /' "$W/guest.txt"
! grep -q '^not ok' "$tap"
