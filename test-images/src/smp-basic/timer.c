/*
 * The local APIC timer on CPU 0 in its three modes, timed with RDTSC against
 * the TSC frequency from CPUID 0x40000010.
 *
 * Host timing is noisy (vCPU and timer threads share host cores with other
 * work), so the bounds are +-50% of the programmed time. A timer must never
 * fire early; one that fired late is measured again, up to ATTEMPTS times in
 * all, and the check uses the last measurement: a timer that is late every
 * time fails, one that met a descheduled host thread once does not.
 */
#include "smp.h"

/* long enough that +-50% leaves tens of ms for scheduling delays */
#define ONESHOT_MS	50
#define PERIOD_MS	25
#define PERIODS		4
#define DEADLINE_MS	50
#define ATTEMPTS	3

static uint64_t elapsed_us(uint64_t from, uint64_t to)
{
	return to > from ? tsc_to_us(to - from) : 0;
}

static void timer_stop(void)
{
	apic_write(APIC_LVT_TIMER, LVT_MASKED | V_TIMER);
	apic_write(APIC_TIMER_INITIAL, 0);
	wrmsr(MSR_TSC_DEADLINE, 0);
}

struct oneshot_run {
	int fired;
	uint32_t fires, c1, c2, c3;
	uint64_t us;
};

static void oneshot_once(struct oneshot_run *r, uint64_t ticks)
{
	struct percpu *p = this_cpu();

	apic_write(APIC_TIMER_DIVIDE, 0xB);	/* divide by 1 */
	apic_write(APIC_LVT_TIMER, LVT_ONESHOT | V_TIMER);
	p->timer_fires = 0;
	uint64_t t0 = rdtsc();
	apic_write(APIC_TIMER_INITIAL, (uint32_t)ticks);
	r->c1 = apic_read(APIC_TIMER_CURRENT);
	WAIT_UNTIL(0, 1);
	r->c2 = apic_read(APIC_TIMER_CURRENT);
	r->fired = WAIT_UNTIL(p->timer_fires >= 1, 2000);
	uint64_t at = p->timer_tsc[0];
	WAIT_UNTIL(0, 2 * ONESHOT_MS);		/* it must not fire again */
	r->fires = p->timer_fires;
	r->c3 = apic_read(APIC_TIMER_CURRENT);
	timer_stop();
	r->us = r->fired ? elapsed_us(t0, at) : 0;
}

static void oneshot(void)
{
	struct check c;
	struct oneshot_run r;
	uint64_t ticks = apic_bus_khz * ONESHOT_MS;
	unsigned attempt = 0;

	do
		oneshot_once(&r, ticks);
	while (++attempt < ATTEMPTS && r.fired && r.us > ONESHOT_MS * 1500);

	check_begin(&c, "APIC timer one-shot");
	check_true(&c, "tick count does not fit in 32 bits", ticks <= 0xffffffff);
	check_true(&c, "never fired", r.fired);
	check_eq(&c, "fires", r.fires, 1);
	check_true(&c, "current count above the initial count", r.c1 <= ticks);
	check_true(&c, "current count does not run down", r.c2 < r.c1);
	check_eq(&c, "current count after expiry", r.c3, 0);
	check_range(&c, "fired after (us)", r.us, ONESHOT_MS * 500, ONESHOT_MS * 1500);
	check_end(&c, "%u ms requested, fired after %lu us, count %u -> %u, attempt %u", ONESHOT_MS, r.us,
		  r.c1, r.c2, attempt);
}

struct periodic_run {
	int fired;
	uint32_t after_stop;
	uint64_t us[PERIODS];
};

static void periodic_once(struct periodic_run *r, uint64_t ticks)
{
	struct percpu *p = this_cpu();

	apic_write(APIC_TIMER_DIVIDE, 0x3);	/* divide by 16 */
	apic_write(APIC_LVT_TIMER, LVT_PERIODIC | V_TIMER);
	p->timer_fires = 0;
	uint64_t t0 = rdtsc();
	apic_write(APIC_TIMER_INITIAL, (uint32_t)ticks);
	r->fired = WAIT_UNTIL(p->timer_fires >= PERIODS, 2000);
	apic_write(APIC_TIMER_INITIAL, 0);		/* stops it */
	uint32_t stopped_at = p->timer_fires;
	for (unsigned i = 0; i < PERIODS; i++)
		r->us[i] = i < stopped_at ? elapsed_us(t0, p->timer_tsc[i]) : 0;
	WAIT_UNTIL(0, 2 * PERIOD_MS);
	r->after_stop = p->timer_fires - stopped_at;
	timer_stop();
}

static void periodic(void)
{
	struct check c;
	struct periodic_run r;
	uint64_t ticks = apic_bus_khz * PERIOD_MS / 16;
	uint64_t lo = PERIODS * PERIOD_MS * 500, hi = PERIODS * PERIOD_MS * 1500;
	unsigned attempt = 0;

	do
		periodic_once(&r, ticks);
	while (++attempt < ATTEMPTS && r.fired && r.us[PERIODS - 1] > hi);

	check_begin(&c, "APIC timer periodic");
	check_true(&c, "fewer than 4 interrupts in 2 s", r.fired);
	check_range(&c, "4th interrupt after (us)", r.us[PERIODS - 1], lo, hi);
	check_true(&c, "1st interrupt came early", r.us[0] >= PERIOD_MS * 500);
	check_true(&c, "kept firing after initial count 0", r.after_stop <= 1);
	check_end(&c, "%u ms period (divide by 16), interrupts after %lu, %lu, %lu, %lu us, attempt %u", PERIOD_MS,
		  r.us[0], r.us[1], r.us[2], r.us[3], attempt);
}

struct deadline_run {
	int fired, past, disarm_late;
	uint32_t fires, disarmed_fires;
	uint64_t deadline, armed, at, after, us;
};

static void deadline_once(struct deadline_run *r)
{
	struct percpu *p = this_cpu();

	apic_write(APIC_LVT_TIMER, LVT_TSC_DEADLINE | V_TIMER);
	mfence();	/* SDM 11.5.4.1: order the LVT write before the deadline write */
	p->timer_fires = 0;
	uint64_t t0 = rdtsc();
	r->deadline = t0 + ms_to_tsc(DEADLINE_MS);
	wrmsr(MSR_TSC_DEADLINE, r->deadline);
	r->armed = rdmsr(MSR_TSC_DEADLINE);
	r->fired = WAIT_UNTIL(p->timer_fires >= 1, 2000);
	r->at = p->timer_tsc[0];
	r->after = rdmsr(MSR_TSC_DEADLINE);
	WAIT_UNTIL(0, 2 * DEADLINE_MS);
	r->fires = p->timer_fires;
	r->us = r->fired ? elapsed_us(t0, r->at) : 0;

	/* a deadline in the past fires at once; writing 0 disarms */
	p->timer_fires = 0;
	wrmsr(MSR_TSC_DEADLINE, rdtsc() - 1);
	r->past = WAIT_UNTIL(p->timer_fires >= 1, 1000);
	p->timer_fires = 0;
	uint64_t arm = rdtsc();
	wrmsr(MSR_TSC_DEADLINE, arm + ms_to_tsc(20));
	wrmsr(MSR_TSC_DEADLINE, 0);
	/* a host that stalls this vCPU past the deadline between the two writes proves nothing */
	r->disarm_late = rdtsc() - arm >= ms_to_tsc(20);
	WAIT_UNTIL(0, 40);
	r->disarmed_fires = p->timer_fires;
	timer_stop();
}

static void tsc_deadline(void)
{
	struct check c;
	struct deadline_run r;
	uint32_t id[4];
	unsigned attempt = 0;

	cpuid(1, 0, id);
	if (!(id[2] & (1u << 24))) {
		skip("APIC timer TSC-deadline", "CPUID.1:ECX[24] clear");
		return;
	}
	do
		deadline_once(&r);
	while (++attempt < ATTEMPTS && ((r.fired && r.us > DEADLINE_MS * 1500) || r.disarm_late));

	check_begin(&c, "APIC timer TSC-deadline");
	check_eq(&c, "MSR 0x6E0 while armed", r.armed, r.deadline);
	check_true(&c, "never fired", r.fired);
	check_eq(&c, "fires", r.fires, 1);
	check_true(&c, "fired before the deadline", r.at >= r.deadline);
	check_range(&c, "fired after (us)", r.us, DEADLINE_MS * 1000, DEADLINE_MS * 1500);
	check_eq(&c, "MSR 0x6E0 after firing", r.after, 0);
	check_true(&c, "a deadline in the past did not fire", r.past);
	check_eq(&c, "fires after writing 0", r.disarmed_fires, 0);
	check_end(&c, "%u ms deadline, fired after %lu us, %lu us late, attempt %u", DEADLINE_MS, r.us,
		  r.at >= r.deadline ? tsc_to_us(r.at - r.deadline) : 0, attempt);
}

/*
 * The deadline is compared with this CPU's TSC, which software can move: a
 * write to IA32_TSC (MSR 0x10) sets it, and the timer must follow.
 */
#define MSR_TSC		0x10
#define TSC_JUMP_MS	1000

static void tsc_deadline_moved(void)
{
	struct check c;
	struct deadline_run r;
	uint32_t id[4];
	unsigned attempt = 0;

	cpuid(1, 0, id);
	if (!(id[2] & (1u << 24))) {
		skip("APIC timer TSC-deadline after an IA32_TSC write", "CPUID.1:ECX[24] clear");
		return;
	}
	uint64_t before = rdtsc();
	wrmsr(MSR_TSC, before + ms_to_tsc(TSC_JUMP_MS));
	uint64_t moved = rdtsc() - before;
	do
		deadline_once(&r);
	while (++attempt < ATTEMPTS && r.fired && r.us > DEADLINE_MS * 1500);
	/* back to the other CPUs' time base (off by the few cycles of these instructions) */
	wrmsr(MSR_TSC, rdtsc() - ms_to_tsc(TSC_JUMP_MS));

	check_begin(&c, "APIC timer TSC-deadline after an IA32_TSC write");
	check_range(&c, "TSC moved by (ms)", tsc_to_us(moved) / 1000, TSC_JUMP_MS, TSC_JUMP_MS + 500);
	check_true(&c, "never fired", r.fired);
	check_eq(&c, "fires", r.fires, 1);
	check_true(&c, "fired before the deadline", r.at >= r.deadline);
	check_range(&c, "fired after (us)", r.us, DEADLINE_MS * 1000, DEADLINE_MS * 1500);
	check_eq(&c, "MSR 0x6E0 after firing", r.after, 0);
	check_end(&c, "TSC set %u ms ahead, %u ms deadline fired after %lu us, attempt %u", TSC_JUMP_MS,
		  DEADLINE_MS, r.us, attempt);
}

void timer_tests(void)
{
	oneshot();
	periodic();
	tsc_deadline();
	tsc_deadline_moved();
}
