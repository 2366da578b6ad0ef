/*
 * smp-basic: brings up every CPU through a real-mode trampoline, then checks
 * atomics under contention, IPIs, HLT wake-up, the APIC timer, x2APIC mode
 * transitions and memory ordering. Reports over COM1 like cpu-basic.
 */
#include "smp.h"

struct percpu percpu[MAX_CPUS];
unsigned ncpus = 1;
uint64_t tsc_khz, apic_bus_khz;

/* AP stacks, indexed by APIC ID (entry.S); CPU 0 keeps the boot stack */
char ap_stacks[MAX_CPUS][1 << AP_STACK_SHIFT] __attribute__((aligned(16)));
/* APs whose APIC ID is beyond MAX_CPUS (they halt in entry.S) */
volatile uint32_t ap_overflow;

extern const char smp_tramp_start[], smp_tramp_end[], smp_tramp_cr3[];
extern const char trap_stubs[];
void ap_main(uint32_t id);

static unsigned checks_passed, checks_failed, checks_skipped;

/* ------------------------------------------------------------------ reporting */

static volatile uint32_t print_owner = ~0u, print_depth;

static uint32_t my_id(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	return r[1] >> 24;
}

void print_lock(void)
{
	uint32_t me = my_id();
	if (print_owner == me) {
		print_depth++;
		return;
	}
	for (;;) {
		uint32_t free = ~0u;
		__asm__ volatile("lock cmpxchgl %2, %1" : "+a"(free), "+m"(print_owner) : "r"(me) : "memory", "cc");
		if (free == ~0u)
			break;
		pause();
	}
	print_depth = 1;
}

void print_unlock(void)
{
	if (--print_depth == 0)
		print_owner = ~0u;
}

void check_begin(struct check *c, const char *name)
{
	c->name = name;
	c->errors = 0;
}

static void open_failure(struct check *c)
{
	print_lock();
	if (c->errors++ == 0)
		kprintf("FAIL %s: ", c->name);
	else
		kprintf("; ");
}

void check_eq(struct check *c, const char *what, uint64_t got, uint64_t want)
{
	if (got == want)
		return;
	open_failure(c);
	kprintf("%s = %lu (0x%lx), expected %lu (0x%lx)", what, got, got, want, want);
	print_unlock();
}

void check_true(struct check *c, const char *what, int ok)
{
	if (ok)
		return;
	open_failure(c);
	kprintf("%s", what);
	print_unlock();
}

void check_range(struct check *c, const char *what, uint64_t got, uint64_t lo, uint64_t hi)
{
	if (got >= lo && got <= hi)
		return;
	open_failure(c);
	kprintf("%s = %lu, expected %lu..%lu", what, got, lo, hi);
	print_unlock();
}

void check_finish(struct check *c)
{
	print_lock();
	if (c->errors) {
		checks_failed++;
	} else {
		kprintf("PASS %s", c->name);
		checks_passed++;
	}
}

void skip(const char *name, const char *why)
{
	print_lock();
	kprintf("SKIP %s (%s)\n", name, why);
	checks_skipped++;
	print_unlock();
}

static __attribute__((noreturn)) void finish(void)
{
	print_lock();
	kprintf("smp-basic: %u passed, %u failed, %u skipped (%u CPUs)\n",
		checks_passed, checks_failed, checks_skipped, ncpus);
	if (checks_failed == 0)
		poweroff();
	debug_exit(checks_failed);
}

/* ------------------------------------------------------------------ interrupts */

struct trap_frame {
	uint64_t r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

static struct {
	uint64_t lo, hi;
} idt[256] __attribute__((aligned(16)));

static struct {
	uint16_t pad[3];
	uint16_t limit;
	uint64_t base;
} __attribute__((packed, aligned(8))) idtr;

static void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t h = (uint64_t)(trap_stubs + 16 * v);
		idt[v].lo = (h & 0xffff) | (uint64_t)SEL_CODE64 << 16 | 0x8eul << 40 | ((h >> 16) & 0xffff) << 48;
		idt[v].hi = h >> 32;
	}
	idtr.limit = sizeof(idt) - 1;
	idtr.base = (uint64_t)idt;
}

static void idt_load(void)
{
	__asm__ volatile("lidt %0" : : "m"(idtr.limit));
}

/* CPU 1's V_PING handler answers here (ipi.c) */
volatile uint32_t pong_target;

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
	struct percpu *p = this_cpu();
	unsigned v = (unsigned)f->vector;

	if (v < 32) {
		if (p->trap_resume) {
			p->trap_vector = v;
			p->trap_error = f->error;
			p->trap_rip = f->rip;
			p->trap_count++;
			f->rip = p->trap_resume;
			p->trap_resume = 0;
			return;
		}
		uint64_t cr2;
		__asm__ volatile("movq %%cr2, %0" : "=r"(cr2));
		print_lock();
		kprintf("FAIL unexpected exception on CPU %u: vector %u, error 0x%lx, rip 0x%lx, cr2 0x%lx\n",
			p->id, v, f->error, f->rip, cr2);
		checks_failed++;
		finish();
	}
	p->irq[v]++;
	p->last_vector = v;
	switch (v) {
	case V_TIMER:
		p->timer_tsc[p->timer_fires & 7] = rdtsc();
		p->timer_fires++;
		break;
	case V_PING:
		apic_send(pong_target, V_PONG);
		break;
	case V_SPURIOUS:
		return;		/* no EOI for the spurious vector */
	default:
		break;
	}
	apic_eoi();
}

/* ------------------------------------------------------------------ APIC, jobs */

void apic_send(uint32_t dest, uint32_t lo)
{
	if (this_cpu()->x2apic) {
		wrmsr(MSR_X2APIC_BASE + (APIC_ICR_LO >> 4), (uint64_t)dest << 32 | lo);
		return;
	}
	*xapic_reg(APIC_ICR_HI) = dest << 24;
	*xapic_reg(APIC_ICR_LO) = lo;
	for (unsigned i = 0; i < 100000 && (*xapic_reg(APIC_ICR_LO) & ICR_DELIVERY_PENDING); i++)
		pause();
}

void barrier_wait(struct barrier *b, unsigned n)
{
	uint32_t gen = b->gen;
	if (atomic_add32(&b->count, 1) == n - 1) {
		b->count = 0;
		b->gen = gen + 1;
		return;
	}
	while (b->gen == gen)
		pause();
}

void run_on(unsigned cpu, void (*fn)(void *), void *arg)
{
	struct percpu *p = &percpu[cpu];
	p->job_fn = fn;
	p->job_arg = arg;
	p->job_seq = p->job_seq + 1;
	apic_send(cpu, V_WAKE);
}

int wait_job(unsigned cpu, uint64_t ms)
{
	struct percpu *p = &percpu[cpu];
	return WAIT_UNTIL(p->job_done == p->job_seq, ms);
}

int run_on_cpus(unsigned n, void (*fn)(void *), void *arg, uint64_t ms)
{
	for (unsigned i = 1; i < n; i++)
		run_on(i, fn, arg);
	fn(arg);
	int ok = 1;
	for (unsigned i = 1; i < n; i++)
		if (!wait_job(i, ms))
			ok = 0;
	return ok;
}

/* An AP's life after check-in: take jobs, else sleep in sti;hlt until an IPI. */
static __attribute__((noreturn)) void ap_idle(struct percpu *p)
{
	uint64_t seen = 0;
	for (;;) {
		cli();
		uint64_t seq = p->job_seq;
		if (seq != seen) {
			seen = seq;
			void (*fn)(void *) = p->job_fn;
			void *arg = p->job_arg;
			sti();
			fn(arg);
			p->job_done = seq;
			continue;
		}
		/* the STI shadow covers HLT: an IPI after the check above still wakes us */
		__asm__ volatile("sti; hlt" ::: "memory");
	}
}

/* ------------------------------------------------------------------ bring-up */

struct checkin {
	volatile uint32_t count;	/* times this CPU reached ap_main */
	uint32_t cpuid_id;		/* CPUID.1:EBX[31:24] */
	uint32_t mmio_id;		/* xAPIC ID register [31:24] */
	uint32_t x2_id;			/* x2APIC ID MSR 0x802 */
	uint64_t apic_base;		/* IA32_APIC_BASE at entry */
	uint64_t tsc;			/* when it checked in */
} __attribute__((aligned(64)));
static struct checkin checkins[MAX_CPUS];
static volatile uint32_t cpus_online = 1;

static void percpu_init(uint32_t id)
{
	struct percpu *p = &percpu[id];
	p->self = p;
	p->id = id;
	wrmsr(MSR_GS_BASE, (uint64_t)p);
	idt_load();
}

/* Records who we are through CPUID and the xAPIC ID register; enables the APIC. */
static void record_identity(uint32_t cpuid_id)
{
	struct percpu *p = this_cpu();
	struct checkin *c = &checkins[p->id];

	c->cpuid_id = cpuid_id;
	c->apic_base = rdmsr(MSR_APIC_BASE);
	p->x2apic = 0;
	c->mmio_id = *xapic_reg(APIC_ID) >> 24;
	*xapic_reg(APIC_SVR) = SVR_ENABLE | V_SPURIOUS;
}

/* xAPIC -> x2APIC, as Unikraft does on every CPU; records the x2APIC ID. */
static void enter_x2apic(void)
{
	struct percpu *p = this_cpu();
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
	p->x2apic = 1;
	checkins[p->id].x2_id = (uint32_t)rdmsr(MSR_X2APIC_BASE + (APIC_ID >> 4));
	apic_write(APIC_SVR, SVR_ENABLE | V_SPURIOUS);
	checkins[p->id].tsc = rdtsc();
}

void ap_main(uint32_t id)
{
	percpu_init(id);
	record_identity(id);
	enter_x2apic();
	__asm__ volatile("lock incl %0" : "+m"(checkins[id].count) : : "memory", "cc");
	atomic_add32(&cpus_online, 1);
	ap_idle(&percpu[id]);
}

static void io_delay(unsigned n)
{
	while (n--)
		outb(0x80, 0);
}

/* INIT, 10 ms, start-up IPI twice, each followed by a short delay: Unikraft's sequence. */
static void start_ap(uint32_t id, int x2apic)
{
	uint32_t vector = TRAMPOLINE_BASE >> 12;
	if (x2apic) {
		wrmsr(MSR_X2APIC_BASE + (APIC_ICR_LO >> 4), (uint64_t)id << 32 | ICR_LEVEL | ICR_ASSERT | ICR_INIT);
		io_delay(10000);
		for (int i = 0; i < 2; i++) {
			wrmsr(MSR_X2APIC_BASE + (APIC_ICR_LO >> 4),
			      (uint64_t)id << 32 | ICR_LEVEL | ICR_ASSERT | ICR_STARTUP | vector);
			io_delay(200);
		}
		return;
	}
	*xapic_reg(APIC_ICR_HI) = id << 24;
	*xapic_reg(APIC_ICR_LO) = ICR_LEVEL | ICR_ASSERT | ICR_INIT;
	io_delay(10000);
	for (int i = 0; i < 2; i++) {
		*xapic_reg(APIC_ICR_HI) = id << 24;
		*xapic_reg(APIC_ICR_LO) = ICR_LEVEL | ICR_ASSERT | ICR_STARTUP | vector;
		io_delay(200);
	}
}

static unsigned cpus_reported(void)
{
	uint32_t r[4];
	unsigned leaf1, leafb = 0;

	cpuid(1, 0, r);
	leaf1 = (r[3] & (1u << 28)) ? (r[1] >> 16) & 0xff : 1;
	cpuid(0, 0, r);
	if (r[0] >= 0xb) {
		cpuid(0xb, 1, r);
		if (((r[2] >> 8) & 0xff) == 2)		/* level type "core" */
			leafb = r[1] & 0xffff;
	}
	kprintf("smp-basic: CPUID reports %u logical CPUs (leaf 1 EBX[23:16]: %u, leaf 0xB: %u)\n",
		leafb ? leafb : leaf1, leaf1, leafb);
	return leafb ? leafb : leaf1;
}

static void bring_up(void)
{
	struct check c;
	unsigned reported = cpus_reported();
	unsigned want = reported > MAX_CPUS ? MAX_CPUS : reported;
	unsigned via_xapic = 0, via_x2apic = 0;
	uint64_t t0 = rdtsc(), slowest = 0;

	if (reported > MAX_CPUS)
		kprintf("smp-basic: only CPUs 0..%u are started (the image handles %u)\n", MAX_CPUS - 1, MAX_CPUS);

	/* The trampoline page, with the BSP's page-table root */
	uint8_t *tramp = (uint8_t *)(uintptr_t)TRAMPOLINE_BASE;
	uint64_t cr3;
	__asm__ volatile("movq %%cr3, %0" : "=r"(cr3));
	memcpy(tramp, smp_tramp_start, (size_t)(smp_tramp_end - smp_tramp_start));
	*(volatile uint32_t *)(tramp + (smp_tramp_cr3 - smp_tramp_start)) = (uint32_t)cr3;

	check_begin(&c, "ap bring-up");
	for (uint32_t id = 1; id < want; id++) {
		/* CPU 1 through the xAPIC MMIO ICR, before the BSP leaves xAPIC mode */
		int x2 = id != 1;
		if (x2 && !percpu[0].x2apic)
			enter_x2apic();
		uint64_t s = rdtsc();
		start_ap(id, x2);
		if (!WAIT_UNTIL(checkins[id].count != 0, 5000)) {
			check_true(&c, "an AP did not check in within 5 s", 0);
			kprintf(" (APIC ID %u)", id);
			break;
		}
		if (checkins[id].tsc - s > slowest)
			slowest = checkins[id].tsc - s;
		ncpus = id + 1;
		if (x2)
			via_x2apic++;
		else
			via_xapic++;
	}
	if (!percpu[0].x2apic)
		enter_x2apic();
	uint64_t t1 = rdtsc();

	/* Nobody answers at an APIC ID that does not exist (the first one past the count) */
	unsigned phantom = reported <= MAX_CPUS && reported < 255 ? reported : 0;
	if (phantom) {
		start_ap(phantom, 1);
		WAIT_UNTIL(cpus_online > ncpus || ap_overflow, 100);
		check_eq(&c, "CPUs checked in after starting a non-existent APIC ID", cpus_online, ncpus);
		check_eq(&c, "APs beyond MAX_CPUS", ap_overflow, 0);
	}

	check_eq(&c, "CPUs up", ncpus, want);
	check_eq(&c, "cpus_online", cpus_online, ncpus);
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		struct checkin *k = &checkins[i];
		unsigned ok = i < ncpus;
		if (k->count != ok || (ok && (k->cpuid_id != i || k->mmio_id != i || k->x2_id != i))) {
			check_true(&c, "check-in", 0);
			kprintf(" CPU %u: %u times, CPUID id %u, xAPIC id %u, x2APIC id %u",
				i, k->count, k->cpuid_id, k->mmio_id, k->x2_id);
		}
		if (ok && (k->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD | APIC_BASE_BSP)) !=
				  (APIC_BASE_EN | (i == 0 ? APIC_BASE_BSP : 0))) {
			check_true(&c, "IA32_APIC_BASE at entry", 0);
			kprintf(" CPU %u: 0x%lx", i, k->apic_base);
		}
	}
	check_end(&c, "%u CPUs, %u started via the xAPIC ICR, %u via the x2APIC ICR, %lu ms, slowest %lu us",
		  ncpus, via_xapic, via_x2apic, tsc_to_us(t1 - t0) / 1000, tsc_to_us(slowest));
}

static void checkins_still_once(void)
{
	struct check c;
	check_begin(&c, "every CPU checked in exactly once");
	for (unsigned i = 0; i < MAX_CPUS; i++)
		check_eq(&c, "check-ins", checkins[i].count, i < ncpus);
	check_eq(&c, "cpus_online", cpus_online, ncpus);
	check_end(&c, "at the end: a late start-up IPI restarted no AP");
}

static void time_base(void)
{
	uint32_t r[4];
	cpuid(0x40000000, 0, r);
	if (r[0] >= 0x40000010) {
		cpuid(0x40000010, 0, r);
		tsc_khz = r[0];
		apic_bus_khz = r[1];
	}
	struct check c;
	check_begin(&c, "TSC and APIC bus frequency from CPUID 0x40000010");
	check_true(&c, "no TSC frequency", tsc_khz != 0);
	check_true(&c, "no APIC bus frequency", apic_bus_khz != 0);
	if (!tsc_khz)
		tsc_khz = 2500000;
	if (!apic_bus_khz)
		apic_bus_khz = 1000000;
	check_end(&c, "TSC %lu kHz, bus %lu kHz", tsc_khz, apic_bus_khz);
}

/* The multiboot command line (flags bit 2), or "" */
static const char *cmdline(uint32_t mbi)
{
	const volatile uint32_t *info = (const volatile uint32_t *)(uintptr_t)mbi;
	if (!mbi || !(info[0] & (1u << 2)) || !info[4])
		return "";
	return (const char *)(uintptr_t)info[4];
}

/* True if the space-separated word w is in s */
static int has_word(const char *s, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = s; *p; p++)
		if ((p == s || p[-1] == ' ') && strlen(p) >= n && memcmp(p, w, n) == 0 &&
		    (p[n] == 0 || p[n] == ' '))
			return 1;
	return 0;
}

void kmain(uint32_t mbi)
{
	serial_init();
	/* "only=atomics": bring-up and the counter checks, for repeated stress runs */
	int atomics_only = has_word(cmdline(mbi), "only=atomics");
	mixed_split = has_word(cmdline(mbi), "mixed-split");
	kprintf("smp-basic: start (handles up to %u CPUs)%s\n", MAX_CPUS, atomics_only ? ", atomics only" : "");
	idt_init();
	/*
	 * The firmware leaves the PICs at vectors 0x08/0x70 with the timer unmasked: mask
	 * them before interrupts go on, as any OS does, so IRQ0 cannot land on vector 8.
	 */
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
	percpu_init(0);
	checkins[0].count = 1;
	record_identity(0);
	sti();

	uint64_t t0 = rdtsc();
	time_base();
	bring_up();
	kprintf("smp-basic: %u CPUs found\n", ncpus);

	atomics_tests();
	if (!atomics_only) {
		ipi_tests();
		timer_tests();
		apic_mode_tests();
		ordering_tests();
	}
	checkins_still_once();

	kprintf("smp-basic: checks took %lu ms\n", tsc_to_us(rdtsc() - t0) / 1000);
	finish();
}
