# make fuzz: longer runs of the seeded fuzzer and of the concurrency stress than
# make check's. Kernel command line: fuzz.seeds=FIRST-LAST fuzz.secs=SECONDS per
# seed, fuzz.fail=PCT of the fuzzer's ioctls with a fault armed through fail-nth,
# stress.secs=SECONDS (scripts/fuzz.sh sets them).
arg() { sed -n "s/.*$1=\([0-9-]*\).*/\1/p" /proc/cmdline; }
seeds=$(arg fuzz.seeds)
secs=$(arg fuzz.secs)
ssecs=$(arg stress.secs)
fail=$(arg fuzz.fail)
kmemleak_forget_boot
bind_edu_vfio
cd /tests
for seed in $(seq "${seeds%-*}" "${seeds#*-}"); do
	suite reliability "iommufd-fuzz-seed-$seed" $((secs + 600)) \
		./iommufd-fuzz --seed "$seed" --execs 100000000 --secs "$secs" --fail-nth "${fail:-0}"
done
suite reliability viommu-stress-long $((ssecs + 600)) \
	./viommu-stress --threads 4 --iters 100000000 --secs "$ssecs"
[ -w /sys/kernel/debug/kmemleak ] && suite debug kmemleak 900 sh /lib/kmemleak-scan.sh
