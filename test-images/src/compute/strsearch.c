/*
 * Boyer-Moore-Horspool search for six patterns (4 to 32 bytes, taken from
 * the text) in a generated text of 16 letters and spaces, counting every
 * occurrence. Checked against a naive search run once in setup: the same
 * counts and the same positions (a hash over them).
 */
#include "bench.h"

#define NPAT 6

static const uint32_t pat_len[NPAT] = { 4, 6, 9, 13, 20, 32 };
static uint8_t *text;
static uint32_t n;
static const uint8_t *pat[NPAT];
static uint64_t expected;

/* Hash of the match positions, pattern after pattern, each in increasing order. */
static inline uint64_t mix(uint64_t h, uint64_t pos)
{
	return h * 0x100000001b3ull + pos + 1;
}

static uint64_t naive(void)
{
	uint64_t h = 0;
	for (int k = 0; k < NPAT; k++) {
		uint32_t m = pat_len[k];
		for (uint32_t i = 0; i + m <= n; i++) {
			uint32_t j = 0;
			while (j < m && text[i + j] == pat[k][j])
				j++;
			if (j == m)
				h = mix(h, i);
		}
	}
	return h;
}

static const char *setup(unsigned scale)
{
	n = (uint32_t)scaled(4 << 20, scale, 4096);
	text = plat_alloc(n);
	if (!text)
		return "out of memory";
	uint64_t s = 99;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = (lcg64(&s) >> 8) % 17;
		text[i] = r == 16 ? ' ' : (uint8_t)('a' + r);
	}
	for (int k = 0; k < NPAT; k++)
		pat[k] = text + lcg64(&s) % (n - pat_len[k]);
	expected = naive();
	return 0;
}

static uint64_t run(void)
{
	uint32_t shift[256];
	uint64_t h = 0;
	for (int k = 0; k < NPAT; k++) {
		const uint8_t *p = pat[k];
		uint32_t m = pat_len[k];
		for (int c = 0; c < 256; c++)
			shift[c] = m;
		for (uint32_t j = 0; j + 1 < m; j++)
			shift[p[j]] = m - 1 - j;
		uint8_t last = p[m - 1];
		for (uint32_t i = 0; i + m <= n;) {
			uint8_t c = text[i + m - 1];
			if (c == last) {
				uint32_t j = 0;
				while (j + 1 < m && text[i + j] == p[j])
					j++;
				if (j + 1 == m)
					h = mix(h, i);
			}
			i += shift[c];
		}
	}
	return h;
}

static const char *check(uint64_t sum)
{
	return sum == expected ? 0 : "matches differ from the naive search's";
}

static uint64_t size(void)
{
	return n;
}

const struct bench bench_strsearch = { "strsearch", setup, 0, run, check, size };
