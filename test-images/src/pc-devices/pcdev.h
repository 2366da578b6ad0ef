/*
 * pc-devices: self-checks of the PC devices a Unikraft kernel meets (PIT,
 * PIC, I/O APIC, RTC/CMOS, ACPI tables, fw_cfg, VGA text, i8042), one
 * "PASS name" or "FAIL name: details" line per check on COM1.
 */
#ifndef PC_DEVICES_H
#define PC_DEVICES_H

#include "io.h"

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
/* hlt in the STI shadow: an interrupt that is already pending wakes it. */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

static inline uint32_t mmio_read32(uint64_t addr) { return *(volatile uint32_t *)addr; }
static inline void mmio_write32(uint64_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }

/* ---- checks (main.c) ---- */
struct check {
	const char *name;
	unsigned errors;
};
void check_begin(struct check *c, const char *name);
void check_eq(struct check *c, const char *what, uint64_t got, uint64_t want);
/* got within [lo, hi] */
void check_range(struct check *c, const char *what, uint64_t got, uint64_t lo, uint64_t hi);
void check_true(struct check *c, const char *what, int ok);
void check_end(struct check *c);
extern unsigned checks_passed, checks_failed;

/* ---- time (pit.c) ---- */
extern uint64_t tsc_khz;		/* CPUID 0x40000010, else the PIT measurement */
uint64_t tsc_after_us(uint64_t us);	/* the TSC value us microseconds from now */
int tsc_passed(uint64_t deadline);
void delay_us(uint64_t us);
void time_init(void);			/* tsc_khz from CPUID 0x40000010 */

/*
 * A stretch of guest time watched for host stalls. The emulator's devices
 * run on the host clock, so a vCPU thread the host deschedules sees time
 * jump: PIT periods pass unobserved and periodic interrupts coalesce. A
 * window counts gaps between two looks at the TSC longer than a threshold
 * as stalled; "smooth" time is the rest. Checks bound events from below by
 * smooth time and from above by elapsed time, so a busy host cannot fail
 * them while a device running at the wrong rate still does.
 */
struct window {
	uint64_t start, last, threshold, smooth, stalled, stalls;
};
void win_start(struct window *w, uint64_t threshold_us);
void win_tick(struct window *w);
uint64_t win_smooth_us(const struct window *w);
uint64_t win_elapsed_us(const struct window *w);
uint64_t tsc_to_us(uint64_t ticks);

/* ---- interrupts (idt.c, irq.S) ---- */
#define VEC_PIC_MASTER	0x20
#define VEC_PIC_SLAVE	0x28
#define VEC_IOAPIC_PIT	0x30
#define VEC_APIC_SPURIOUS 0xFF
typedef void (*irq_hook)(unsigned vector);
extern volatile unsigned irq_count[256];
extern irq_hook irq_hooks[256];
void idt_install(void);
void irq_reset_counts(void);
/*
 * Runs with interrupts enabled until want interrupts arrived on vector (or
 * max_us elapsed), halting between interrupts or busy. The periodic source
 * must already run. Host stalls (of the vCPU, or of the thread behind the
 * device's timer) stretch a few gaps between interrupts and merge what
 * fell into them; the median gap still shows the device's rate, and the
 * count can never exceed the periods elapsed.
 */
struct irq_run {
	unsigned count;
	uint64_t elapsed_us;
};
unsigned irq_window(unsigned vector, unsigned want, uint64_t max_us, int halt, struct irq_run *r);
void irq_record_arrival(unsigned vector);
/* want..(elapsed periods + 2) interrupts, median gap within -20%..+25% of the period */
void check_irq_rate(struct check *c, const struct irq_run *r, unsigned want, uint64_t period_us);
/* want..(elapsed periods + 2) interrupts */
void check_irq_flow(struct check *c, const struct irq_run *r, unsigned want, uint64_t period_us);

/* ---- PIC helpers (pic.c) ---- */
void pic_remap(uint8_t master_base, uint8_t slave_base, int auto_eoi);
void pic_set_masks(uint8_t master, uint8_t slave);
uint8_t pic_read_isr(uint16_t cmd_port);
uint8_t pic_read_irr(uint16_t cmd_port);
void pic_eoi_master(unsigned vector);

/* ---- PIT helpers (pit.c) ---- */
#define PIT_CH0		0x40
#define PIT_CH2		0x42
#define PIT_MODE	0x43
#define PORT_61		0x61
void pit_program(unsigned channel, unsigned mode, unsigned count);
void pit_stop_channel0(void);

/* ---- sections ---- */
void boot_info_report(uint32_t mbi);		/* bootinfo.c */
uint64_t mbi_ram_total(void);			/* type-1 bytes at or above 1 MiB, plus the first MiB */
uint64_t mbi_ram_end_below_4g(void);
uint64_t mbi_ram_above_4g(void);
int cmdline_has(const char *word);

void pit_tests(void);
void pic_pit_tests(void);
void pic_tests(void);
void ioapic_tests(void);
void rtc_tests(void);
void rtc_update_tests(void);
void rtc_watchdog(int on);		/* rtc.c: 2 Hz wake-ups on IRQ 8 */
void acpi_tests(void);
void fwcfg_tests(void);
void vga_tests(void);
void i8042_tests(void);

/* fw_cfg, shared by acpi.c */
unsigned fwcfg_cpu_count(void);
unsigned ioapic_id(void);
uint8_t cmos_read(uint8_t index);
void cmos_write(uint8_t index, uint8_t value);

#endif
