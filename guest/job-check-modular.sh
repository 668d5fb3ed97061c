# make check, fourth boot: the modular variant of the test kernel (iommufd,
# arm-smmu-v3, vfio, vfio-pci as modules). Load them, dependencies first, then run
# the end-to-end suite on the emulated SMMUs as in the first boot. KUnit reports
# belong to the first boot; modules that run KUnit when loaded still print to the
# log, where the roll-up looks for splats.
suite modules load 120 sh /lib/load-modules.sh
lsmod
bind_edu_vfio
cd /tests
suite e2e modular-e2e-smmu-nested 600 /tests/e2e-smmu-nested
