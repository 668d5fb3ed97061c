# make check: every test suite, one after the other. Their time limits are
# multiplied by TSCALE (make check-debug's slower kernel sets it).
T=${TSCALE:-1}
kunit_results
bind_edu_vfio
cd /tests
suite selftest iommufd $((1500 * T)) ./iommufd
suite selftest iommufd_fail_nth $((900 * T)) ./iommufd_fail_nth
for t in /tests/e2e-*; do
	[ -x "$t" ] || continue
	suite e2e "$(basename "$t")" $((600 * T)) "$t"
done
# make bench's program at a tiny size: it still runs and reports every figure
# (figures are not checked against targets here; make bench does that).
suite bench viommu-bench-tiny $((300 * T)) ./viommu-bench --tiny
# Reliability (docs/reliability.md): the fuzzer's fixed seed and a short stress,
# both bounded by iterations and by time; make fuzz runs them longer.
suite reliability iommufd-fuzz $((300 * T)) ./iommufd-fuzz --seed 1 --secs 60
suite reliability viommu-stress $((300 * T)) ./viommu-stress --seed 1 --secs 60
