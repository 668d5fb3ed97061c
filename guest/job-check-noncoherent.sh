# make check, second boot: the firmware's own IORT (no CANWBS override). The
# kernel must refuse SMMUv3 nesting here; plain iommufd use must still work.
bind_edu_vfio
cd /tests
suite e2e noncoherent-refusal 300 /tests/noncoherent-refusal
