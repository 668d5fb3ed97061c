# make check-debug: the check job's suites on the debug kernel (KASAN, kmemleak,
# UBSAN, debug objects, lockdep), then one kmemleak scan that fails on any leak.
# Whatever boot itself left unreferenced is reported and forgotten first, so the
# scan at the end only sees what the suites leaked.
kmemleak_forget_boot
# The selftests' own per-test limits are scaled at build time
# (guest/harness-time-scale.h); the suites' limits here.
TSCALE=5
. /lib/job-check.sh
suite debug kmemleak 900 sh /lib/kmemleak-scan.sh
