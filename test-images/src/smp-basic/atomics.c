/*
 * Atomics under contention: every CPU hammers the same words at once (after a
 * barrier) and the totals must come out exact.
 */
#include "smp.h"

#ifndef ITER_XADD
#define ITER_XADD	1000000		/* lock xadd per CPU */
#endif
#ifndef ITER_CAS
#define ITER_CAS	1000000		/* successful lock cmpxchg per CPU */
#endif
#ifndef ITER_LOCK
#define ITER_LOCK	100000		/* spinlock-protected increments per CPU */
#endif
#ifndef ITER_MIX
#define ITER_MIX	100000		/* overlapping LOCK ops of different alignment per CPU */
#endif
#ifndef ITER_SPLIT
#define ITER_SPLIT	100000		/* lock add/inc on each misaligned or page-split counter per CPU */
#endif

static struct {
	volatile uint64_t xadd __attribute__((aligned(64)));
	volatile uint64_t cas __attribute__((aligned(64)));
	volatile uint32_t lock __attribute__((aligned(64)));
	volatile uint64_t locked __attribute__((aligned(64)));
	struct barrier bar __attribute__((aligned(64)));
	uint64_t stage_tsc[8];
} a;

struct atom_result {
	uint64_t xadd_sum;		/* sum of the old values lock xadd returned */
	uint64_t cas_retries;
	uint64_t lock_spins;
} __attribute__((aligned(64)));
static struct atom_result res[MAX_CPUS];

/* Four pages: counters across a cache line, and across page boundaries */
#define SPLIT_PAGES	4
static uint8_t split_area[SPLIT_PAGES * 4096] __attribute__((aligned(4096)));
#define M32_OFF		62			/* 4 bytes across a 64-byte line */
#define M64_OFF		(128 + 61)		/* 8 bytes across a line, 5 mod 8 */
#define S32_OFF		(4096 - 2)		/* 4 bytes across a page boundary */
#define S64_OFF		(2 * 4096 - 4)		/* 8 bytes across a page boundary */
#define S16_OFF		(3 * 4096 - 1)		/* 2 bytes across a page boundary */
/*
 * Overlapping LOCK ops: an aligned counter that even CPUs lock-increment, and
 * a misaligned word over part of it that odd CPUs lock-add 0 to (Linux's
 * smp_mb() idiom). Adding 0 changes nothing, so the counter must still come
 * out exact: a locked op is atomic with respect to every other access.
 */
#define MIX32_OFF	(3 * 4096 + 64 + 4)	/* aligned dword, upper half of a qword */
#define MIX32_OVER	(MIX32_OFF - 2)		/* dword over its low half, inside the same qword */
#define MIX64_OFF	(3 * 4096 + 128)	/* aligned qword */
#define MIX64_OVER	(MIX64_OFF - 4)		/* qword across the qword boundary below it */
#define GUARD		0xA5

static void stage(unsigned n, unsigned id, unsigned k)
{
	barrier_wait(&a.bar, n);
	if (id == 0)
		a.stage_tsc[k] = rdtsc();
}

static void worker(void *arg)
{
	unsigned n = (unsigned)(uintptr_t)arg;
	unsigned id = this_cpu()->id;
	struct atom_result *r = &res[id];

	stage(n, id, 0);

	/* lock xadd: every old value 0..N*ITER-1 comes back exactly once */
	uint64_t sum = 0;
	for (unsigned i = 0; i < ITER_XADD; i++) {
		uint64_t v = 1;
		__asm__ volatile("lock xaddq %0, %1" : "+r"(v), "+m"(a.xadd) : : "memory", "cc");
		sum += v;
	}
	r->xadd_sum = sum;
	stage(n, id, 1);

	/* lock cmpxchg retry loop */
	uint64_t retries = 0, old = a.cas;
	for (unsigned i = 0; i < ITER_CAS; i++) {
		for (;;) {
			uint64_t expected = old;
			__asm__ volatile("lock cmpxchgq %2, %1"
					 : "+a"(old), "+m"(a.cas) : "r"(expected + 1) : "memory", "cc");
			if (old == expected) {
				old = expected + 1;
				break;
			}
			retries++;
		}
	}
	r->cas_retries = retries;
	stage(n, id, 2);

	/* test-and-test-and-set lock (xchg) around a plain read, add, write */
	uint64_t spins = 0;
	for (unsigned i = 0; i < ITER_LOCK; i++) {
		for (;;) {
			uint32_t v = 1;
			__asm__ volatile("xchgl %0, %1" : "+r"(v), "+m"(a.lock) : : "memory");
			if (v == 0)
				break;
			while (a.lock) {
				pause();
				spins++;
			}
		}
		uint64_t c = a.locked;
		a.locked = c + 1;
		__asm__ volatile("" ::: "memory");
		a.lock = 0;
	}
	r->lock_spins = spins;
	stage(n, id, 3);

	/* misaligned and split LOCK read-modify-writes */
	uint8_t *s = split_area;
	for (unsigned i = 0; i < ITER_SPLIT; i++) {
		__asm__ volatile("lock incl %0" : "+m"(*(uint32_t *)(s + M32_OFF)) : : "memory", "cc");
		__asm__ volatile("lock addq $1, %0" : "+m"(*(uint64_t *)(s + M64_OFF)) : : "memory", "cc");
		__asm__ volatile("lock addl $1, %0" : "+m"(*(uint32_t *)(s + S32_OFF)) : : "memory", "cc");
		__asm__ volatile("lock incq %0" : "+m"(*(uint64_t *)(s + S64_OFF)) : : "memory", "cc");
		__asm__ volatile("lock addw $1, %0" : "+m"(*(uint16_t *)(s + S16_OFF)) : : "memory", "cc");
	}
	stage(n, id, 4);

	int wide = 1; /* "mixed-split" is kept as a no-op word for old command lines */
	(void)mixed_split;
	if (id & 1) {
		for (unsigned i = 0; i < ITER_MIX; i++) {
			__asm__ volatile("lock addl $0, %0" : "+m"(*(uint32_t *)(s + MIX32_OVER)) : : "memory", "cc");
			if (wide)
				__asm__ volatile("lock addq $0, %0" : "+m"(*(uint64_t *)(s + MIX64_OVER)) : : "memory", "cc");
		}
	} else {
		for (unsigned i = 0; i < ITER_MIX; i++) {
			__asm__ volatile("lock incl %0" : "+m"(*(uint32_t *)(s + MIX32_OFF)) : : "memory", "cc");
			if (wide)
				__asm__ volatile("lock incq %0" : "+m"(*(uint64_t *)(s + MIX64_OFF)) : : "memory", "cc");
		}
	}
	stage(n, id, 5);
}

/* Kernel command line word "mixed-split" (main.c); the check now always runs */
int mixed_split;

static uint64_t load(unsigned off, unsigned size)
{
	uint64_t v = 0;
	memcpy(&v, split_area + off, size);
	return v;
}

static unsigned guards_broken(void)
{
	static const unsigned spans[][2] = {
		{ M32_OFF, 4 }, { M64_OFF, 8 }, { S32_OFF, 4 }, { S64_OFF, 8 }, { S16_OFF, 2 },
	};
	unsigned bad = 0;
	for (unsigned k = 0; k < 5; k++) {
		if (split_area[spans[k][0] - 1] != GUARD)
			bad++;
		if (split_area[spans[k][0] + spans[k][1]] != GUARD)
			bad++;
	}
	return bad;
}

static uint64_t ms(unsigned from, unsigned to)
{
	return tsc_to_us(a.stage_tsc[to] - a.stage_tsc[from]) / 1000;
}

void atomics_tests(void)
{
	unsigned n = ncpus;
	struct check c;

	memset(split_area, GUARD, sizeof(split_area));
	memset(split_area + M32_OFF, 0, 4);
	memset(split_area + M64_OFF, 0, 8);
	memset(split_area + S32_OFF, 0, 4);
	memset(split_area + S64_OFF, 0, 8);
	memset(split_area + S16_OFF, 0, 2);
	memset(split_area + MIX32_OVER, 0, 8);
	memset(split_area + MIX64_OVER, 0, 12);

	check_begin(&c, "atomics workers finish");
	check_true(&c, "an AP did not finish within 60 s",
		   run_on_cpus(n, worker, (void *)(uintptr_t)n, 60000));
	check_end(&c, "%u CPUs, %lu ms in all", n, ms(0, 5));

	uint64_t total = (uint64_t)n * ITER_XADD, sum = 0;
	for (unsigned i = 0; i < n; i++)
		sum += res[i].xadd_sum;
	check_begin(&c, "lock xadd counter");
	check_eq(&c, "counter", a.xadd, total);
	check_eq(&c, "sum of returned old values", sum, total * (total - 1) / 2);
	check_end(&c, "%u CPUs x %u = %lu, %lu ms", n, ITER_XADD, a.xadd, ms(0, 1));

	uint64_t retries = 0;
	for (unsigned i = 0; i < n; i++)
		retries += res[i].cas_retries;
	check_begin(&c, "lock cmpxchg retry loop");
	check_eq(&c, "counter", a.cas, (uint64_t)n * ITER_CAS);
	check_end(&c, "%u CPUs x %u = %lu, %lu retries, %lu ms", n, ITER_CAS, a.cas, retries, ms(1, 2));

	uint64_t spins = 0;
	for (unsigned i = 0; i < n; i++)
		spins += res[i].lock_spins;
	check_begin(&c, "xchg spinlock around a plain counter");
	check_eq(&c, "counter", a.locked, (uint64_t)n * ITER_LOCK);
	check_eq(&c, "lock word", a.lock, 0);
	check_end(&c, "%u CPUs x %u = %lu, %lu spins, %lu ms", n, ITER_LOCK, a.locked, spins, ms(2, 3));

	uint64_t want = (uint64_t)n * ITER_SPLIT;
	check_begin(&c, "lock add/inc on misaligned and line-split counters");
	check_eq(&c, "4-byte counter across a cache line", load(M32_OFF, 4), want & 0xffffffff);
	check_eq(&c, "8-byte counter across a cache line", load(M64_OFF, 8), want);
	check_end(&c, "%u CPUs x %u each", n, ITER_SPLIT);

	check_begin(&c, "lock add/inc on page-straddling counters");
	check_eq(&c, "4-byte counter across a page", load(S32_OFF, 4), want & 0xffffffff);
	check_eq(&c, "8-byte counter across a page", load(S64_OFF, 8), want);
	check_eq(&c, "2-byte counter across a page", load(S16_OFF, 2), want & 0xffff);
	check_eq(&c, "neighbouring bytes changed", guards_broken(), 0);
	check_end(&c, "%u CPUs x %u each, %lu ms for all five", n, ITER_SPLIT, ms(3, 4));

	unsigned incs = (n + 1) / 2;
	check_begin(&c, "lock ops of different alignment on the same bytes");
	check_eq(&c, "aligned dword counter", load(MIX32_OFF, 4), (uint64_t)incs * ITER_MIX);
	check_eq(&c, "bytes below it", load(MIX32_OVER, 2), 0);
	check_end(&c, "%u CPUs lock inc x %u, %u lock add 0 over half of it, %lu ms", incs, ITER_MIX, n - incs,
		  ms(4, 5));

	check_begin(&c, "lock op across a qword boundary vs. lock inc on the same bytes");
	check_eq(&c, "aligned qword counter", load(MIX64_OFF, 8), (uint64_t)incs * ITER_MIX);
	check_eq(&c, "bytes below it", load(MIX64_OVER, 4), 0);
	check_end(&c, "%u CPUs lock inc x %u, %u lock add 0 across its low half", incs, ITER_MIX, n - incs);
}
