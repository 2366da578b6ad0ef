/*
 * Memory-ordering litmus tests between CPU 0 and CPU 1 (x86-TSO, SDM vol. 3,
 * 9.2.3):
 *  - message passing: stores are seen in program order, so a CPU that sees
 *    the flag also sees the data written before it;
 *  - store buffering with MFENCE between each CPU's store and its load of the
 *    other's flag: they can never both read 0. Without the fence both zero is
 *    allowed; that variant is only counted.
 */
#include "smp.h"

#ifndef MP_ROUNDS
#define MP_ROUNDS	100000
#endif
#ifndef SB_ROUNDS
#define SB_ROUNDS	100000
#endif
#define SB_CHUNK	8192		/* rounds between barriers */
#define MP_RING		1024
#define MP_WINDOW	1024
#define MP_SPACING	8		/* PAUSEs between publications, so the reader sees many */

static struct {
	volatile uint64_t data __attribute__((aligned(64)));
	volatile uint64_t flag __attribute__((aligned(64)));
	volatile uint64_t ack __attribute__((aligned(64)));
	volatile uint64_t ring[MP_RING] __attribute__((aligned(64)));
	struct barrier bar __attribute__((aligned(64)));
	/* reader's results */
	uint64_t seen, stale_data, stale_ring;
	volatile int timed_out;
} mp;

/*
 * The writer publishes round i as data = i, ring[i % MP_RING] = i, flag = i,
 * and never runs more than MP_WINDOW rounds ahead of the last flag value the
 * reader acknowledged, so the reader observes at least MP_ROUNDS / MP_WINDOW
 * distinct rounds. Having seen flag f, the reader must find data >= f and the
 * ring slot holding f (or a later round of that slot).
 */
static void mp_job(void *arg)
{
	(void)arg;
	unsigned id = this_cpu()->id;
	uint64_t end = rdtsc() + ms_to_tsc(20000);

	barrier_wait(&mp.bar, 2);
	if (id == 0) {
		for (uint64_t i = 1; i <= MP_ROUNDS; i++) {
			while (i - mp.ack > MP_WINDOW && !mp.timed_out)
				pause();
			mp.data = i;
			mp.ring[i % MP_RING] = i;
			mp.flag = i;
			for (unsigned k = 0; k < MP_SPACING; k++)
				pause();
		}
		return;
	}
	uint64_t last = 0, seen = 0, stale = 0, stale_ring = 0, loops = 0;
	while (last < MP_ROUNDS) {
		uint64_t f = mp.flag;		/* plain load */
		if (f == last) {
			if ((++loops & 0xfff) == 0 && rdtsc() > end) {
				mp.timed_out = 1;
				break;
			}
			continue;
		}
		uint64_t d = mp.data;
		uint64_t r = mp.ring[f % MP_RING];
		if (d < f)
			stale++;
		if (r < f || (r - f) % MP_RING != 0)
			stale_ring++;
		seen++;
		last = f;
		mp.ack = f;
	}
	mp.seen = seen;
	mp.stale_data = stale;
	mp.stale_ring = stale_ring;
}

static struct {
	volatile uint8_t x[SB_CHUNK] __attribute__((aligned(64)));
	volatile uint8_t y[SB_CHUNK] __attribute__((aligned(64)));
	uint8_t r0[SB_CHUNK] __attribute__((aligned(64)));
	uint8_t r1[SB_CHUNK] __attribute__((aligned(64)));
	struct barrier bar __attribute__((aligned(64)));
	int fenced;
	uint64_t both_zero, rounds;
} sb;

static void sb_job(void *arg)
{
	(void)arg;
	unsigned id = this_cpu()->id;
	volatile uint8_t *mine = id == 0 ? sb.x : sb.y;
	volatile uint8_t *other = id == 0 ? sb.y : sb.x;
	uint8_t *res = id == 0 ? sb.r0 : sb.r1;

	for (unsigned done = 0; done < SB_ROUNDS; done += SB_CHUNK) {
		barrier_wait(&sb.bar, 2);
		if (sb.fenced) {
			for (unsigned i = 0; i < SB_CHUNK; i++) {
				mine[i] = 1;
				__asm__ volatile("mfence" ::: "memory");
				res[i] = other[i];
			}
		} else {
			for (unsigned i = 0; i < SB_CHUNK; i++) {
				mine[i] = 1;
				__asm__ volatile("" ::: "memory");
				res[i] = other[i];
			}
		}
		barrier_wait(&sb.bar, 2);
		if (id == 0) {
			for (unsigned i = 0; i < SB_CHUNK; i++)
				if (!sb.r0[i] && !sb.r1[i])
					sb.both_zero++;
			sb.rounds += SB_CHUNK;
		}
		for (unsigned i = 0; i < SB_CHUNK; i++)
			mine[i] = 0;
		barrier_wait(&sb.bar, 2);
	}
}

void ordering_tests(void)
{
	struct check c;

	if (ncpus < 2) {
		skip("message passing", "needs 2 CPUs");
		skip("store buffering with mfence", "needs 2 CPUs");
		return;
	}

	uint64_t t0 = rdtsc();
	int ok = run_on_cpus(2, mp_job, 0, 30000);
	uint64_t t1 = rdtsc();
	check_begin(&c, "message passing (data then flag)");
	check_true(&c, "CPU 1 did not finish", ok);
	check_true(&c, "reader timed out", !mp.timed_out);
	check_eq(&c, "flag seen without its data word", mp.stale_data, 0);
	check_eq(&c, "flag seen without its ring slot", mp.stale_ring, 0);
	check_eq(&c, "final flag", mp.flag, MP_ROUNDS);
	check_true(&c, "reader saw fewer rounds than the window allows", mp.seen >= MP_ROUNDS / MP_WINDOW);
	check_end(&c, "%u publications, reader saw %lu flag values, %lu ms", MP_ROUNDS, mp.seen,
		  tsc_to_us(t1 - t0) / 1000);

	sb.fenced = 1;
	t0 = rdtsc();
	ok = run_on_cpus(2, sb_job, 0, 30000);
	t1 = rdtsc();
	check_begin(&c, "store buffering with mfence (Dekker)");
	check_true(&c, "CPU 1 did not finish", ok);
	check_eq(&c, "rounds", sb.rounds, (SB_ROUNDS + SB_CHUNK - 1) / SB_CHUNK * SB_CHUNK);
	check_eq(&c, "rounds where both loads saw 0", sb.both_zero, 0);
	check_end(&c, "%lu rounds, %lu ms", sb.rounds, tsc_to_us(t1 - t0) / 1000);

	sb.fenced = 0;
	sb.both_zero = sb.rounds = 0;
	t0 = rdtsc();
	ok = run_on_cpus(2, sb_job, 0, 30000);
	t1 = rdtsc();
	print_lock();
	kprintf("INFO store buffering without mfence: %lu of %lu rounds saw both 0 (allowed by x86-TSO), %lu ms%s\n",
		sb.both_zero, sb.rounds, tsc_to_us(t1 - t0) / 1000, ok ? "" : ", CPU 1 did not finish");
	print_unlock();
}
