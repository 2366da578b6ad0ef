/*
 * The compute suite: benchmarks that build their own input, time themselves
 * with the TSC and check their answers. The same objects are linked into the
 * guest image (main.c) and into a Linux program (native.c), so both run
 * exactly the same machine code.
 */
#ifndef COMPUTE_BENCH_H
#define COMPUTE_BENCH_H

#include <stdint.h>
#include <stddef.h>

/* What the platform provides: main.c in the guest, native.c under Linux. */
void plat_puts(const char *s);		/* output; '\n' ends a line */
void *plat_alloc(size_t bytes);		/* 64-byte aligned; NULL when memory runs out */
void plat_release(void);		/* gives back everything plat_alloc handed out */

struct suite_config {
	unsigned scale;		/* problem sizes in percent of the default (100) */
	unsigned reps;		/* timed repetitions per benchmark; the best counts */
	uint64_t tsc_khz;	/* TSC rate when the platform knows it, else 0 */
	char only[128];		/* comma-separated benchmark names, or empty for all */
};

/* Defaults, then the words "scale=N", "reps=N", "only=a,b" of a command line. */
void suite_parse(struct suite_config *cfg, const char *cmdline);
/* Runs the suite and prints its report; returns the number of failed benchmarks. */
unsigned suite_run(const struct suite_config *cfg);

struct bench {
	const char *name;
	/* Builds the input for this scale (untimed); NULL, or why it cannot run. */
	const char *(*setup)(unsigned scale);
	/* Restores the input before each repetition (untimed); may be NULL. */
	void (*prepare)(void);
	/* The timed work; returns a checksum of its result. */
	uint64_t (*run)(void);
	/* Checks the repetition just run (untimed); NULL, or what is wrong. */
	const char *(*check)(uint64_t sum);
	/* The problem size chosen by setup, for the report. */
	uint64_t (*size)(void);
};

extern const struct bench bench_sieve, bench_crc32, bench_sha256, bench_matmul,
	bench_qsort, bench_strsearch, bench_interp, bench_hashtab, bench_listwalk;

/* TSC read fenced on both sides, so no work leaks into or out of the interval. */
static inline uint64_t tsc_read(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

/*
 * Input generators. lcg32 is Numerical Recipes' full-period generator modulo
 * 2^32: its first 2^32 outputs are all different, which the hash table relies
 * on. lcg64 (Knuth's MMIX constants) returns the better high half.
 */
static inline uint32_t lcg32(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s;
}

static inline uint32_t lcg64(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 32);
}

/* n * scale / 100, at least min. */
static inline uint64_t scaled(uint64_t n, unsigned scale, uint64_t min)
{
	uint64_t v = n * scale / 100;
	return v < min ? min : v;
}

#endif
