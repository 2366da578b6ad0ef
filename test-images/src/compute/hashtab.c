/*
 * Open-addressing hash table (linear probing, Fibonacci hashing, load factor
 * at most 1/2): n inserts of distinct generated keys, then n lookups of which
 * every other one is a key that was inserted. The generator's outputs are all
 * different, so the hits and the sum of the values found are known in closed
 * form.
 */
#include "bench.h"

#define SEED	12345u

static uint64_t *keys;		/* key + 1; 0 is an empty slot */
static uint32_t *values;
static uint32_t n, bits;
static uint64_t hits, value_sum;

static const char *setup(unsigned scale)
{
	n = (uint32_t)scaled(400000, scale, 100);
	bits = 1;
	while ((1ull << bits) < 2ull * n)
		bits++;
	keys = plat_alloc(8ull << bits);
	values = plat_alloc(4ull << bits);
	return keys && values ? 0 : "out of memory";
}

static inline uint32_t slot(uint32_t key)
{
	return (uint32_t)(key * 0x9E3779B1u) >> (32 - bits);
}

static uint64_t run(void)
{
	uint32_t mask = (1u << bits) - 1;
	for (uint32_t i = 0; i <= mask; i++)
		keys[i] = 0;

	uint32_t s = SEED;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = lcg32(&s);
		uint32_t h = slot(k);
		while (keys[h])
			h = (h + 1) & mask;
		keys[h] = (uint64_t)k + 1;
		values[h] = i;
	}

	/* s now stands n outputs further on: keys that were never inserted */
	uint32_t in = SEED, out = s;
	hits = 0;
	value_sum = 0;
	for (uint32_t j = 0; j < n; j++) {
		uint32_t a = lcg32(&in), b = lcg32(&out);
		uint64_t want = (uint64_t)(j & 1 ? b : a) + 1;
		uint32_t h = slot((uint32_t)(want - 1));
		while (keys[h]) {
			if (keys[h] == want) {
				hits++;
				value_sum += values[h];
				break;
			}
			h = (h + 1) & mask;
		}
	}
	return hits << 40 ^ value_sum;
}

static const char *check(uint64_t sum)
{
	(void)sum;
	/* the even j < n were inserted as the j-th key, with value j */
	uint64_t even = ((uint64_t)n + 1) / 2;
	if (hits != even)
		return "lookups found a different number of keys";
	return value_sum == even * (even - 1) ? 0 : "lookups found different values";
}

static uint64_t size(void)
{
	return n;
}

const struct bench bench_hashtab = { "hashtab", setup, 0, run, check, size };
