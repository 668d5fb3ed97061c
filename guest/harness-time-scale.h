/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Forced into every kselftest-harness program by make check-debug
 * (gcc -include): the harness's per-test time limits, which it arms with
 * alarm(), scaled by HARNESS_TIME_SCALE. A KASAN kernel under TCG runs the
 * iommu selftests about 7 times slower than the test kernel, so a test that
 * takes 10 s there would otherwise be killed at its 30 s limit. Nothing else
 * in those programs calls alarm().
 */
#include <unistd.h>

#ifndef HARNESS_TIME_SCALE
#define HARNESS_TIME_SCALE 10
#endif
#define alarm(seconds) alarm((seconds) * HARNESS_TIME_SCALE)
