/*
 * Interprocessor interrupts: a fixed-IPI ping-pong between CPU 0 and CPU 1,
 * waking an AP out of sti;hlt, and a broadcast with the all-but-self
 * shorthand.
 */
#include "smp.h"

#define PINGS		1000

extern volatile uint32_t pong_target;

void ipi_tests(void)
{
	struct check c;

	if (ncpus < 2) {
		skip("IPI ping-pong", "needs 2 CPUs");
		skip("HLT wake-up by IPI", "needs 2 CPUs");
		skip("broadcast IPI", "needs 2 CPUs");
		return;
	}

	/* CPU 1 answers every V_PING with a V_PONG from its handler */
	struct percpu *me = this_cpu(), *p1 = &percpu[1];
	uint32_t ping0 = p1->irq[V_PING], pong0 = me->irq[V_PONG];
	unsigned done = 0;
	pong_target = 0;
	uint64_t t0 = rdtsc();
	for (; done < PINGS; done++) {
		apic_send(1, V_PING);
		if (!WAIT_UNTIL(me->irq[V_PONG] - pong0 == done + 1, 2000))
			break;
	}
	uint64_t t1 = rdtsc();
	WAIT_UNTIL(0, 20);	/* let a stray extra interrupt show up */
	check_begin(&c, "IPI ping-pong");
	check_eq(&c, "round trips", done, PINGS);
	check_eq(&c, "pings CPU 1 took", p1->irq[V_PING] - ping0, PINGS);
	check_eq(&c, "pongs CPU 0 took", me->irq[V_PONG] - pong0, PINGS);
	check_end(&c, "%u round trips, %lu us each", done, done ? tsc_to_us(t1 - t0) / done : 0);

	/* HLT wake-up: the last AP sleeps in sti;hlt, CPU 0 wakes it */
	extern void hlt_job(void *);
	extern volatile uint32_t hlt_state;
	extern volatile uint64_t hlt_woke_tsc, hlt_vector;
	unsigned cpu = ncpus - 1;
	struct percpu *pa = &percpu[cpu];
	uint32_t before = pa->irq[V_HLT];
	hlt_state = 0;
	run_on(cpu, hlt_job, (void *)(uintptr_t)pa->irq[V_WAKE]);
	int ready = WAIT_UNTIL(hlt_state == 1, 2000);
	WAIT_UNTIL(0, 5);		/* give it time to reach HLT */
	int still_asleep = hlt_state == 1;
	uint64_t sent = rdtsc();
	apic_send(cpu, V_HLT);
	int woke = WAIT_UNTIL(hlt_state == 2, 2000);
	check_begin(&c, "HLT wake-up by IPI");
	check_true(&c, "AP never got ready", ready);
	check_true(&c, "AP left HLT before the IPI", still_asleep);
	check_true(&c, "AP did not wake within 2 s", woke);
	check_eq(&c, "V_HLT interrupts on the AP", pa->irq[V_HLT] - before, 1);
	check_eq(&c, "vector that woke it", hlt_vector, V_HLT);
	check_true(&c, "job did not finish", wait_job(cpu, 1000));
	check_end(&c, "CPU %u, woke %lu us after the IPI", cpu, woke ? tsc_to_us(hlt_woke_tsc - sent) : 0);

	/* Broadcast to all but self: every AP counts exactly one, CPU 0 none */
	uint32_t cnt[MAX_CPUS];
	for (unsigned i = 0; i < ncpus; i++)
		cnt[i] = percpu[i].irq[V_COUNT];
	apic_send(0, ICR_ALL_BUT_SELF | V_COUNT);
	int all = 1;
	for (unsigned i = 1; i < ncpus; i++)
		all &= WAIT_UNTIL(percpu[i].irq[V_COUNT] - cnt[i] >= 1, 2000);
	WAIT_UNTIL(0, 20);
	check_begin(&c, "broadcast IPI (all-but-self shorthand)");
	check_true(&c, "an AP did not get it", all);
	for (unsigned i = 0; i < ncpus; i++)
		check_eq(&c, "V_COUNT interrupts", percpu[i].irq[V_COUNT] - cnt[i], i != 0);
	check_end(&c, "%u APs", ncpus - 1);
}

volatile uint32_t hlt_state;
volatile uint64_t hlt_woke_tsc, hlt_vector;

/* arg: the AP's V_WAKE count before this job was posted */
void hlt_job(void *arg)
{
	struct percpu *p = this_cpu();
	/* the wake-up IPI that brought this job must not be the one that ends the HLT below */
	while (p->irq[V_WAKE] == (uint32_t)(uintptr_t)arg)
		pause();
	cli();
	p->last_vector = 0;
	hlt_state = 1;
	__asm__ volatile("sti; hlt" ::: "memory");
	hlt_woke_tsc = rdtsc();
	hlt_vector = p->last_vector;
	hlt_state = 2;
}
