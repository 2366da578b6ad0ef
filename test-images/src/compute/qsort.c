/*
 * Recursive quicksort (median of three, Hoare partition, insertion sort below
 * 16 elements) of generated 32-bit numbers. Checked: ascending order, and the
 * same sum and xor as the input.
 */
#include "bench.h"

static uint32_t *input, *work;
static uint32_t n;
static uint64_t in_sum;
static uint32_t in_xor;

static const char *setup(unsigned scale)
{
	n = (uint32_t)scaled(400000, scale, 1000);
	input = plat_alloc((uint64_t)n * 4);
	work = plat_alloc((uint64_t)n * 4);
	if (!input || !work)
		return "out of memory";
	uint64_t s = 1;
	in_sum = 0;
	in_xor = 0;
	for (uint32_t i = 0; i < n; i++) {
		input[i] = lcg64(&s);
		in_sum += input[i];
		in_xor ^= input[i];
	}
	return 0;
}

static void prepare(void)
{
	for (uint32_t i = 0; i < n; i++)
		work[i] = input[i];
}

static void insertion(uint32_t *a, int64_t lo, int64_t hi)
{
	for (int64_t i = lo + 1; i <= hi; i++) {
		uint32_t v = a[i];
		int64_t j = i - 1;
		while (j >= lo && a[j] > v) {
			a[j + 1] = a[j];
			j--;
		}
		a[j + 1] = v;
	}
}

static inline void swap(uint32_t *a, int64_t i, int64_t j)
{
	uint32_t t = a[i];
	a[i] = a[j];
	a[j] = t;
}

/* Recurses into the smaller part and loops on the larger: depth stays below log2(n). */
static void quicksort(uint32_t *a, int64_t lo, int64_t hi)
{
	while (hi - lo >= 16) {
		int64_t mid = lo + (hi - lo) / 2;
		if (a[mid] < a[lo])
			swap(a, lo, mid);
		if (a[hi] < a[lo])
			swap(a, lo, hi);
		if (a[hi] < a[mid])
			swap(a, mid, hi);
		uint32_t p = a[mid];
		int64_t i = lo - 1, j = hi + 1;
		for (;;) {
			do
				i++;
			while (a[i] < p);
			do
				j--;
			while (a[j] > p);
			if (i >= j)
				break;
			swap(a, i, j);
		}
		if (j - lo < hi - j) {
			quicksort(a, lo, j);
			lo = j + 1;
		} else {
			quicksort(a, j + 1, hi);
			hi = j;
		}
	}
	insertion(a, lo, hi);
}

static uint64_t run(void)
{
	quicksort(work, 0, (int64_t)n - 1);
	return ((uint64_t)work[0] << 32) | work[n - 1];
}

static const char *check(uint64_t sum)
{
	(void)sum;
	uint64_t s = 0;
	uint32_t x = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (i && work[i - 1] > work[i])
			return "not in ascending order";
		s += work[i];
		x ^= work[i];
	}
	return s == in_sum && x == in_xor ? 0 : "sum or xor differs from the input's";
}

static uint64_t size(void)
{
	return n;
}

const struct bench bench_qsort = { "qsort", setup, prepare, run, check, size };
