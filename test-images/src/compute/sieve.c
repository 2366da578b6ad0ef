/*
 * Sieve of Eratosthenes over a byte array: counts the primes below a limit
 * taken from a table of published prime-counting values pi(x).
 */
#include "bench.h"

static const struct { uint32_t x, pi; } known[] = {
	{ 10000, 1229 }, { 20000, 2262 }, { 50000, 5133 },
	{ 100000, 9592 }, { 200000, 17984 }, { 500000, 41538 },
	{ 1000000, 78498 }, { 2000000, 148933 }, { 5000000, 348513 },
	{ 10000000, 664579 }, { 20000000, 1270607 }, { 50000000, 3001134 },
	{ 100000000, 5761455 },
};

static uint8_t *composite;
static uint32_t limit, expected;

/* The largest tabulated limit that does not exceed the scaled size. */
static const char *setup(unsigned scale)
{
	uint64_t want = scaled(2000000, scale, 1);
	limit = known[0].x;
	expected = known[0].pi;
	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (known[i].x <= want) {
			limit = known[i].x;
			expected = known[i].pi;
		}
	}
	composite = plat_alloc(limit);
	return composite ? 0 : "out of memory";
}

static uint64_t run(void)
{
	uint8_t *c = composite;
	uint32_t n = limit;

	for (uint32_t i = 0; i < n; i++)
		c[i] = 0;
	for (uint32_t i = 2; (uint64_t)i * i < n; i++) {
		if (c[i])
			continue;
		for (uint32_t j = i * i; j < n; j += i)
			c[j] = 1;
	}
	uint64_t count = 0;
	for (uint32_t i = 2; i < n; i++)
		count += !c[i];
	return count;
}

static const char *check(uint64_t sum)
{
	return sum == expected ? 0 : "prime count differs from pi(limit)";
}

static uint64_t size(void)
{
	return limit;
}

const struct bench bench_sieve = { "sieve", setup, 0, run, check, size };
