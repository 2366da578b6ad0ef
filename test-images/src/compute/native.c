/*
 * The compute suite as a Linux program: the same benchmark objects as the
 * guest image, with output on stdout (a line at a time) and memory from
 * malloc. Words on the command line as in the guest's: scale=N reps=N only=a,b.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

static void *blocks[64];
static int nblocks;

void *plat_alloc(size_t bytes)
{
	if (nblocks == (int)(sizeof(blocks) / sizeof(blocks[0])))
		return NULL;
	void *p = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	if (p)
		blocks[nblocks++] = p;
	return p;
}

void plat_release(void)
{
	while (nblocks)
		free(blocks[--nblocks]);
}

void plat_puts(const char *s)
{
	fputs(s, stdout);
	if (strchr(s, '\n'))
		fflush(stdout);
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The TSC rate against CLOCK_MONOTONIC over 200 ms. */
static uint64_t tsc_khz(void)
{
	uint64_t n0 = now_ns(), t0 = tsc_read(), n1, t1;
	do {
		n1 = now_ns();
		t1 = tsc_read();
	} while (n1 - n0 < 200000000u);
	return (t1 - t0) * 1000000u / (n1 - n0);
}

int main(int argc, char **argv)
{
	static char words[1024];
	static struct suite_config cfg;

	for (int i = 1; i < argc; i++) {
		if (strlen(words) + strlen(argv[i]) + 2 > sizeof(words)) {
			fprintf(stderr, "compute: command line too long\n");
			return 2;
		}
		strcat(words, " ");
		strcat(words, argv[i]);
	}
	suite_parse(&cfg, words);
	cfg.tsc_khz = tsc_khz();
	return suite_run(&cfg) ? 1 : 0;
}
