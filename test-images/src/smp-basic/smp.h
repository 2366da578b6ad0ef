/*
 * smp-basic: what every check shares. Per-CPU data is reached through the GS
 * base (%gs:0 holds the struct's own address), the local APIC through either
 * interface (xAPIC MMIO or x2APIC MSRs, whichever mode this CPU is in), and
 * work reaches an idle CPU as a job plus a wake-up IPI, the way Unikraft's
 * lcpu API does it.
 */
#ifndef SMP_BASIC_SMP_H
#define SMP_BASIC_SMP_H

/* Shared with entry.S */
#define MAX_CPUS		16	/* the image handles this many; more are reported, not started */
#define AP_STACK_SHIFT		14	/* 16 KiB per CPU */
#define TRAMPOLINE_BASE		0x8000	/* below 1 MiB, page aligned: start-up IPI vector 8 */
#define SEL_CODE64		0x08
#define SEL_DATA		0x10

#ifndef __ASSEMBLER__

#include "io.h"

/* Interrupt vectors (priority class = vector >> 4, all above 0x20) */
#define V_TIMER		0x30
#define V_WAKE		0x40	/* "look at your job" */
#define V_PING		0x50
#define V_PONG		0x51
#define V_HLT		0x60
#define V_COUNT		0x70	/* just counted */
#define V_SPURIOUS	0xFF

#define VEC_GP		13
#define NO_FAULT	(~0u)

/* MSRs */
#define MSR_APIC_BASE		0x1B
#define MSR_TSC_DEADLINE	0x6E0
#define MSR_X2APIC_BASE		0x800
#define MSR_GS_BASE		0xC0000101
#define APIC_BASE_BSP		(1ul << 8)
#define APIC_BASE_EXTD		(1ul << 10)
#define APIC_BASE_EN		(1ul << 11)

/* Local APIC registers: xAPIC offset; x2APIC MSR = 0x800 + offset / 16 */
#define XAPIC_MMIO		0xFEE00000ul
#define APIC_ID			0x020
#define APIC_VERSION		0x030
#define APIC_TPR		0x080
#define APIC_EOI		0x0B0
#define APIC_LDR		0x0D0
#define APIC_SVR		0x0F0
#define APIC_ESR		0x280
#define APIC_ICR_LO		0x300
#define APIC_ICR_HI		0x310
#define APIC_LVT_TIMER		0x320
#define APIC_TIMER_INITIAL	0x380
#define APIC_TIMER_CURRENT	0x390
#define APIC_TIMER_DIVIDE	0x3E0
#define APIC_SELF_IPI		0x3F0

#define SVR_ENABLE		0x100
#define LVT_MASKED		(1u << 16)
#define LVT_ONESHOT		(0u << 17)
#define LVT_PERIODIC		(1u << 17)
#define LVT_TSC_DEADLINE	(2u << 17)
#define ICR_DELIVERY_PENDING	(1u << 12)
#define ICR_INIT		0x0500
#define ICR_STARTUP		0x0600
#define ICR_ASSERT		0x4000
#define ICR_LEVEL		0x8000
#define ICR_SELF		(1u << 18)
#define ICR_ALL_BUT_SELF	(3u << 18)

struct percpu {
	struct percpu *self;			/* %gs:0 */
	uint32_t id;				/* APIC ID = CPU index */
	volatile uint32_t x2apic;		/* which register interface this CPU uses now */
	/* exceptions a check expects: resume address, what was taken */
	volatile uint64_t trap_resume;
	volatile uint64_t trap_vector, trap_error, trap_rip, trap_count;
	/* interrupts */
	volatile uint32_t irq[256];
	volatile uint64_t last_vector;
	volatile uint32_t timer_fires;
	volatile uint64_t timer_tsc[8];
	/* one job at a time, posted by the BSP */
	void (*volatile job_fn)(void *);
	void *volatile job_arg;
	volatile uint64_t job_seq, job_done;
} __attribute__((aligned(64)));

extern struct percpu percpu[MAX_CPUS];
extern unsigned ncpus;		/* CPUs started and checked in (CPU 0 .. ncpus-1) */
extern uint64_t tsc_khz, apic_bus_khz;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/* WRMSR/RDMSR that may fault: NO_FAULT, or the vector taken (the CPU resumes after it). */
static inline unsigned wrmsr_safe(uint32_t msr, uint64_t v)
{
	struct percpu *p = this_cpu();
	uint64_t n = p->trap_count;
	__asm__ volatile("leaq 1f(%%rip), %%r11\n\t"
			 "movq %%r11, %c[res](%[p])\n\t"
			 "wrmsr\n"
			 "1:\n\t"
			 "movq $0, %c[res](%[p])"
			 : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)), [p] "r"(p),
			   [res] "i"(offsetof(struct percpu, trap_resume))
			 : "r11", "memory");
	return p->trap_count != n ? (unsigned)p->trap_vector : NO_FAULT;
}

static inline unsigned rdmsr_safe(uint32_t msr, uint64_t *v)
{
	struct percpu *p = this_cpu();
	uint64_t n = p->trap_count;
	uint32_t lo = 0, hi = 0;
	__asm__ volatile("leaq 1f(%%rip), %%r11\n\t"
			 "movq %%r11, %c[res](%[p])\n\t"
			 "rdmsr\n"
			 "1:\n\t"
			 "movq $0, %c[res](%[p])"
			 : "+a"(lo), "+d"(hi) : "c"(msr), [p] "r"(p),
			   [res] "i"(offsetof(struct percpu, trap_resume))
			 : "r11", "memory");
	*v = (uint64_t)hi << 32 | lo;
	return p->trap_count != n ? (unsigned)p->trap_vector : NO_FAULT;
}

static inline void pause(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline void mfence(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

static inline uint64_t ms_to_tsc(uint64_t ms)
{
	return ms * tsc_khz;
}

static inline uint64_t tsc_to_us(uint64_t t)
{
	return t * 1000 / tsc_khz;
}

/* Spins (with PAUSE) until COND holds or MS milliseconds of TSC time passed; COND's final value. */
#define WAIT_UNTIL(cond, ms) ({							\
	uint64_t end_ = rdtsc() + ms_to_tsc(ms);					\
	while (!(cond) && rdtsc() < end_)						\
		pause();								\
	(cond) ? 1 : 0;									\
})

/* Local APIC, through whichever interface this CPU is in */
static inline volatile uint32_t *xapic_reg(unsigned reg)
{
	return (volatile uint32_t *)(XAPIC_MMIO + reg);
}

static inline uint32_t apic_read(unsigned reg)
{
	if (this_cpu()->x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC_BASE + (reg >> 4));
	return *xapic_reg(reg);
}

static inline void apic_write(unsigned reg, uint32_t v)
{
	if (this_cpu()->x2apic)
		wrmsr(MSR_X2APIC_BASE + (reg >> 4), v);
	else
		*xapic_reg(reg) = v;
}

static inline void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

/* ICR write: in x2APIC mode one MSR with a 32-bit destination, else ICR_HI then ICR_LO. */
void apic_send(uint32_t dest, uint32_t lo);

/* Atomics used by the harness */
static inline uint32_t atomic_add32(volatile uint32_t *p, uint32_t v)
{
	__asm__ volatile("lock xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory", "cc");
	return v;
}

static inline uint64_t atomic_add64(volatile uint64_t *p, uint64_t v)
{
	__asm__ volatile("lock xaddq %0, %1" : "+r"(v), "+m"(*p) : : "memory", "cc");
	return v;
}

struct barrier {
	volatile uint32_t count;
	volatile uint32_t gen;
};
/* All N callers leave together; reusable. */
void barrier_wait(struct barrier *b, unsigned n);

/* Jobs: fn(arg) on CPU `cpu` (an AP idling in sti;hlt), woken by a V_WAKE IPI. */
void run_on(unsigned cpu, void (*fn)(void *), void *arg);
int wait_job(unsigned cpu, uint64_t ms);
/* fn(arg) on CPUs 0..n-1 (the BSP runs its own share); 0 if some AP did not finish in ms. */
int run_on_cpus(unsigned n, void (*fn)(void *), void *arg, uint64_t ms);

/* Reporting (BSP): one PASS/FAIL/SKIP line per check */
struct check {
	const char *name;
	unsigned errors;
};
void check_begin(struct check *c, const char *name);
void check_eq(struct check *c, const char *what, uint64_t got, uint64_t want);
void check_true(struct check *c, const char *what, int ok);
void check_range(struct check *c, const char *what, uint64_t got, uint64_t lo, uint64_t hi);
/* Ends the check: "PASS name" or "FAIL name: ...", counted; then the note and a newline. */
void check_finish(struct check *c);
#define check_end(c, ...) do {							\
	check_finish(c);								\
	kprintf(" (");									\
	kprintf(__VA_ARGS__);								\
	kprintf(")\n");									\
	print_unlock();									\
} while (0)
void skip(const char *name, const char *why);
/* Serialises output from several CPUs. */
void print_lock(void);
void print_unlock(void);

/* Kernel command line word "mixed-split": also check a LOCK op across a qword boundary
 * against aligned ones on the same bytes (a known emulator gap, so off by default) */
extern int mixed_split;

/* The checks */
void atomics_tests(void);
void ipi_tests(void);
void timer_tests(void);
void apic_mode_tests(void);
void ordering_tests(void);

#endif /* __ASSEMBLER__ */
#endif
