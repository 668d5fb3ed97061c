# make check: every test suite, one after the other.
kunit_results
bind_edu_vfio
cd /tests
suite selftest iommufd 1500 ./iommufd
suite selftest iommufd_fail_nth 900 ./iommufd_fail_nth
for t in /tests/e2e-*; do
	[ -x "$t" ] || continue
	suite e2e "$(basename "$t")" 600 "$t"
done
# make bench's program at a tiny size: it still runs and reports every figure
# (figures are not checked against targets here; make bench does that).
suite bench viommu-bench-tiny 300 ./viommu-bench --tiny
