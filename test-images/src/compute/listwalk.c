/*
 * Pointer chasing: a linked list threaded through an array of nodes in the
 * order of a random cyclic permutation (Sattolo's shuffle, which makes a
 * single cycle), walked several times round. Every walk visits each node
 * once and ends where it began, so the sum of the visited values is known.
 */
#include "bench.h"

#define PASSES	8

struct node {
	struct node *next;
	uint64_t value;
};

static struct node *nodes;
static struct node *end;
static uint32_t n;

static const char *setup(unsigned scale)
{
	n = (uint32_t)scaled(1 << 18, scale, 16);
	nodes = plat_alloc((uint64_t)n * sizeof(struct node));
	uint32_t *perm = plat_alloc((uint64_t)n * 4);
	if (!nodes || !perm)
		return "out of memory";
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	uint64_t s = 2024;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = lcg64(&s) % i;
		uint32_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (uint32_t i = 0; i < n; i++) {
		nodes[i].next = &nodes[perm[i]];
		nodes[i].value = i;
	}
	return 0;
}

static uint64_t run(void)
{
	struct node *p = nodes;
	uint64_t sum = 0;
	for (uint32_t pass = 0; pass < PASSES; pass++) {
		for (uint32_t i = 0; i < n; i++) {
			sum += p->value;
			p = p->next;
		}
	}
	end = p;
	return sum;
}

static const char *check(uint64_t sum)
{
	if (end != nodes)
		return "the walk did not come back to the first node";
	return sum == (uint64_t)PASSES * n * (n - 1) / 2 ? 0 : "sum of visited values differs from n(n-1)/2 per pass";
}

static uint64_t size(void)
{
	return n;
}

const struct bench bench_listwalk = { "listwalk", setup, 0, run, check, size };
