# Developer loop: run only the commands of /etc/focus.sh (packed from FOCUS=file by
# scripts/pack-initramfs.sh), e.g. one selftest with -t, framed like any suite.
kunit_results
bind_edu_vfio
cd /tests
if [ -f /etc/focus.sh ]; then
	suite focus commands 1500 sh /etc/focus.sh
else
	echo "@@@ no /etc/focus.sh: pack the initramfs with FOCUS=file"
fi
