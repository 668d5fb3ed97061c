// SPDX-License-Identifier: GPL-2.0
/*
 * viommu-bench: how every figure is sampled and printed. A timed figure runs
 * its operation a fixed number of calls per repetition, calibrated once (the
 * calibration doubles as warm-up) so that a repetition lasts >= sample_ns;
 * the repetitions are summarized as min/median/max in a "# BENCH" line.
 */
#include "common.h"

static int tap_next = 1;
static int tap_bad;

/* Double @calls until that many calls of @fn last >= @target_ns */
int calibrate(op_fn fn, void *arg, uint64_t target_ns, unsigned long *calls)
{
	unsigned long n = 1;
	double ns;
	int ret;

	for (;;) {
		ret = time_calls(fn, arg, n, &ns);
		if (ret)
			return ret;
		if (ns * n >= target_ns)
			break;
		n *= 2;
	}
	*calls = n;
	return 0;
}

/* Run @calls calls of @fn: @ns is the time per call */
int time_calls(op_fn fn, void *arg, unsigned long calls, double *ns)
{
	uint64_t t0 = now_ns();
	unsigned long i;
	int ret;

	for (i = 0; i < calls; i++) {
		ret = fn(arg);
		if (ret)
			return ret;
	}
	*ns = (double)(now_ns() - t0) / calls;
	return 0;
}

void fail_set(struct fail *f, int err, const char *fmt, ...)
{
	va_list ap;

	if (f->err)
		return;
	f->err = err;
	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	va_end(ap);
}

void tap_begin(int nfigures)
{
	printf("TAP version 13\n1..%d\n", nfigures);
	fflush(stdout);
}

int tap_failed(void)
{
	return tap_bad;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* "# BENCH fig keys unit=.. reps=n min=.. med=.. max=.." over @v[0..n) */
void bench_line(const char *fig, const char *keys, const char *unit,
		const double *v, int n, bool ratio)
{
	const char *fmt = ratio ? "%s=%.3f" : "%s=%.0f";
	double s[n];

	memcpy(s, v, sizeof(s));
	qsort(s, n, sizeof(s[0]), cmp_double);
	printf("# BENCH %s%s%s unit=%s reps=%d ", fig, *keys ? " " : "", keys,
	       unit, n);
	printf(fmt, "min", s[0]);
	putchar(' ');
	printf(fmt, "med", n & 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2);
	putchar(' ');
	printf(fmt, "max", s[n - 1]);
	putchar('\n');
	fflush(stdout);
}

void fig_end(const char *fig, const struct fail *f)
{
	if (f->err) {
		note("%s: %s", f->what, strerror(-f->err));
		printf("not ok %d - %s\n", tap_next++, fig);
		tap_bad++;
	} else {
		printf("ok %d - %s\n", tap_next++, fig);
	}
	fflush(stdout);
}

void fig_skip(const char *fig, const char *reason)
{
	printf("ok %d - %s # SKIP %s\n", tap_next++, fig, reason);
	fflush(stdout);
}

/* None of @figs could be measured: SKIP them all, or fail them all */
void group_failed(const char *const *figs, int n, const struct fail *f)
{
	int i;

	for (i = 0; i < n; i++) {
		if (f->skip)
			fig_skip(figs[i], f->skip);
		else
			fig_end(figs[i], f);
	}
}

/* Paired ratios: out[i] = num[i] / den[i] */
void ratios(const double *num, const double *den, int n, double *out)
{
	int i;

	for (i = 0; i < n; i++)
		out[i] = den[i] > 0 ? num[i] / den[i] : 0;
}
