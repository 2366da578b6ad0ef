/* A 64-bit IDT: exceptions are fatal, device vectors count and call a hook. */
#include "pcdev.h"

#define SEL_CODE64	0x08
#define GATE_INTR64	0x8e	/* present, DPL 0, 64-bit interrupt gate */

volatile unsigned irq_count[256];
irq_hook irq_hooks[256];
extern const uint64_t irq_stubs[32 + 17 + 1];

static struct {
	uint64_t lo, hi;
} idt[256] __attribute__((aligned(16)));

static void set_gate(unsigned vector, uint64_t handler)
{
	idt[vector].lo = (handler & 0xffff) | (uint64_t)SEL_CODE64 << 16 |
			 (uint64_t)GATE_INTR64 << 40 | ((handler >> 16) & 0xffff) << 48;
	idt[vector].hi = handler >> 32;
}

void idt_install(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };

	for (unsigned v = 0; v < 32; v++)
		set_gate(v, irq_stubs[v]);
	for (unsigned v = 0x20; v <= 0x30; v++)
		set_gate(v, irq_stubs[32 + v - 0x20]);
	set_gate(0xff, irq_stubs[32 + 17]);
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void irq_reset_counts(void)
{
	for (unsigned v = 0; v < 256; v++)
		irq_count[v] = 0;
}

void irq_dispatch(uint64_t *frame);
void irq_dispatch(uint64_t *frame)
{
	unsigned vector = (unsigned)frame[0];

	if (vector < 32) {
		kprintf("FAIL unexpected exception: vector %u, error 0x%lx, rip 0x%lx\n",
			vector, frame[1], frame[2]);
		checks_failed++;
		kprintf("pc-devices: %u passed, %u failed\n", checks_passed, checks_failed);
		debug_exit(checks_failed);
	}
	irq_count[vector]++;
	irq_record_arrival(vector);
	if (irq_hooks[vector])
		irq_hooks[vector](vector);
}

/* arrival times on the vector irq_window watches */
#define ARRIVALS	128
static volatile uint64_t arrivals[ARRIVALS];
static volatile unsigned n_arrivals;
static volatile unsigned watched = ~0u;
static uint64_t gaps[ARRIVALS];
static unsigned n_gaps;

void irq_record_arrival(unsigned vector)
{
	if (vector == watched && n_arrivals < ARRIVALS)
		arrivals[n_arrivals++] = rdtsc();
}

unsigned irq_window(unsigned vector, unsigned want, uint64_t max_us, int halt, struct irq_run *r)
{
	struct window w;
	unsigned first = irq_count[vector];

	/* before halting, make sure interrupts come at all (a lost one would hang hlt) */
	if (halt) {
		win_start(&w, 1000);
		sti();
		while (irq_count[vector] == first && win_elapsed_us(&w) < max_us)
			win_tick(&w);
		cli();
		if (irq_count[vector] == first) {
			r->count = 0;
			r->elapsed_us = win_elapsed_us(&w);
			n_gaps = 0;
			return 0;
		}
		first = irq_count[vector];
	}
	n_arrivals = 0;
	watched = vector;
	win_start(&w, 1000);
	sti();
	while (irq_count[vector] - first < want && win_elapsed_us(&w) < max_us) {
		if (halt)
			sti_hlt();
		win_tick(&w);
	}
	cli();
	watched = ~0u;
	r->count = irq_count[vector] - first;
	r->elapsed_us = win_elapsed_us(&w);

	/* the gaps between arrivals, sorted, for check_irq_rate */
	n_gaps = 0;
	for (unsigned i = 1; i < n_arrivals; i++) {
		uint64_t g = arrivals[i] - arrivals[i - 1];
		unsigned j = n_gaps++;
		while (j > 0 && gaps[j - 1] > g) {
			gaps[j] = gaps[j - 1];
			j--;
		}
		gaps[j] = g;
	}
	return r->count;
}

/*
 * The median of the gaps between a quarter of a period and three periods.
 * Shorter ones are edges a late timer thread replayed back to back, longer
 * ones host stalls: neither tells the rate. A device at twice or half the
 * rate still shows it here (and the count bounds it from above anyway).
 */
void check_irq_rate(struct check *c, const struct irq_run *r, unsigned want, uint64_t period_us)
{
	uint64_t most = r->elapsed_us / period_us + 2;
	uint64_t lo = period_us * tsc_khz / 4000, hi = 3 * period_us * tsc_khz / 1000;
	unsigned a = 0, b = n_gaps;

	while (a < b && gaps[a] < lo)
		a++;
	while (b > a && gaps[b - 1] > hi)
		b--;
	uint64_t median = b > a ? tsc_to_us(gaps[a + (b - a) / 2]) : 0;
	kprintf("  %u interrupts in %lu us (at most %lu possible), median gap %lu us of %u (period %lu us)\n",
		r->count, r->elapsed_us, most, median, b - a, period_us);
	check_range(c, "interrupts", r->count, want, most);
	check_range(c, "gaps of 1/4 to 3 periods", b - a, want / 4, ARRIVALS);
	check_range(c, "their median (us)", median, period_us * 8 / 10, period_us * 5 / 4);
}

void check_irq_flow(struct check *c, const struct irq_run *r, unsigned want, uint64_t period_us)
{
	/*
	 * A host stall makes the PIT replay the periods it missed back to back (as QEMU's
	 * does), so a burst of up to BURST extra interrupts can land in a short window; the
	 * rate itself is judged elsewhere by the median gap between interrupts.
	 */
	enum { BURST = 8 };
	uint64_t hi = r->elapsed_us / period_us + 2;
	check_range(c, "interrupts", r->count, want, (hi > want ? hi : want) + BURST);
}
