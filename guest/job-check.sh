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
