/*
 * The 8259A pair: initialisation (ICW1-4), masks (OCW1), EOIs (OCW2), IRR and
 * ISR reads (OCW3), automatic EOI, and PIT IRQ 0 delivered through it.
 */
#include "pcdev.h"

#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xa0
#define PIC2_DATA	0xa1

#define ICW1_INIT_IC4	0x11	/* init, edge triggered, cascade, ICW4 follows */
#define ICW4_8086	0x01
#define ICW4_AEOI	0x02
#define OCW2_EOI	0x20
#define OCW2_SPEC_EOI	0x60
#define OCW3_READ_IRR	0x0a
#define OCW3_READ_ISR	0x0b

void pic_remap(uint8_t master_base, uint8_t slave_base, int auto_eoi)
{
	outb(PIC1_CMD, ICW1_INIT_IC4);
	outb(PIC2_CMD, ICW1_INIT_IC4);
	outb(PIC1_DATA, master_base);
	outb(PIC2_DATA, slave_base);
	outb(PIC1_DATA, 1 << 2);	/* slave on IR2 */
	outb(PIC2_DATA, 2);		/* cascade identity */
	outb(PIC1_DATA, ICW4_8086 | (auto_eoi ? ICW4_AEOI : 0));
	outb(PIC2_DATA, ICW4_8086);
}

void pic_set_masks(uint8_t master, uint8_t slave)
{
	outb(PIC1_DATA, master);
	outb(PIC2_DATA, slave);
}

/* OCW3 selects the register port 0x20/0xa0 reads; IRR is the default to leave. */
uint8_t pic_read_isr(uint16_t cmd_port)
{
	outb(cmd_port, OCW3_READ_ISR);
	uint8_t v = inb(cmd_port);
	outb(cmd_port, OCW3_READ_IRR);
	return v;
}

uint8_t pic_read_irr(uint16_t cmd_port)
{
	outb(cmd_port, OCW3_READ_IRR);
	return inb(cmd_port);
}

void pic_eoi_master(unsigned vector)
{
	(void)vector;
	outb(PIC1_CMD, OCW2_EOI);
}

static volatile uint8_t isr_in_handler;
static volatile uint64_t irq_tsc;

static void hook_nonspecific_eoi(unsigned vector)
{
	(void)vector;
	if (irq_count[VEC_PIC_MASTER] == 1) {
		isr_in_handler = pic_read_isr(PIC1_CMD);
		irq_tsc = rdtsc();
	}
	outb(PIC1_CMD, OCW2_EOI);
}

static void hook_specific_eoi(unsigned vector)
{
	(void)vector;
	outb(PIC1_CMD, OCW2_SPEC_EOI | 0);
}

static void hook_record_isr(unsigned vector)
{
	(void)vector;
	isr_in_handler = pic_read_isr(PIC1_CMD);
}

/* Lets whatever IRQ 0 is already latched in through the current hook. */
static void drain(void)
{
	sti();
	delay_us(1000);
	cli();
}

/* Busy with interrupts on until 3 IRQ 0s (1 kHz) came, or 500 ms passed. */
static void expect_irq0_flow(struct check *c)
{
	struct irq_run r;
	irq_window(VEC_PIC_MASTER, 3, 500000, 0, &r);
	check_irq_flow(c, &r, 3, 1000);
}

/* Waits up to us microseconds for IRQ 0 to show in the master's IRR. */
static int irr0_within(uint64_t us)
{
	uint64_t d = tsc_after_us(us);
	while (!(pic_read_irr(PIC1_CMD) & 1) && !tsc_passed(d))
		;
	return pic_read_irr(PIC1_CMD) & 1;
}

void pic_pit_tests(void)
{
	struct check c;

	cli();
	pic_remap(VEC_PIC_MASTER, VEC_PIC_SLAVE, 0);
	pic_set_masks(0xfe, 0xff);
	check_begin(&c, "PIC remap to 0x20/0x28 and OCW1 masks read back");
	check_eq(&c, "master IMR", inb(PIC1_DATA), 0xfe);
	check_eq(&c, "slave IMR", inb(PIC2_DATA), 0xff);
	check_eq(&c, "master ISR", pic_read_isr(PIC1_CMD), 0);
	check_end(&c);

	/* mode 2 at 1 kHz through the PIC, the CPU halted between interrupts */
	struct irq_run r;
	struct window w;
	irq_hooks[VEC_PIC_MASTER] = hook_nonspecific_eoi;
	irq_reset_counts();
	isr_in_handler = 0xff;
	check_begin(&c, "PIT mode 2 at 1 kHz: 50 IRQ 0 through the PIC, sti;hlt in between");
	pit_program(0, 2, 1193);
	irq_window(VEC_PIC_MASTER, 50, 1000000, 1, &r);
	kprintf("PIC: IRQ 0 at 1 kHz, CPU halted between interrupts:\n");
	check_irq_rate(&c, &r, 50, 1000);
	check_eq(&c, "ISR in the handler (OCW3)", isr_in_handler, 0x01);
	check_eq(&c, "ISR after the EOI", pic_read_isr(PIC1_CMD), 0);
	check_eq(&c, "other vectors", irq_count[VEC_APIC_SPURIOUS] + irq_count[0x27], 0);
	check_end(&c);

	/* mode 4: exactly one strobe, N+1 ticks after the count is written */
	pit_stop_channel0();
	drain();
	irq_reset_counts();
	/*
	 * Unikraft's idle: a mode 4 count, then sti;hlt until IRQ 0. The RTC's
	 * 2 Hz watchdog wakes the CPU should the PIT never interrupt.
	 */
	check_begin(&c, "PIT mode 4 one-shot wakes sti;hlt once, after 1 ms, and not again in 20 ms");
	rtc_watchdog(1);
	irq_reset_counts();
	/* timed from before the count is written: a stall in between only adds */
	win_start(&w, 500);
	pit_program(0, 4, 1193);
	while (irq_count[VEC_PIC_MASTER] == 0 && win_elapsed_us(&w) < 1000000) {
		sti_hlt();
		win_tick(&w);
	}
	sti();
	delay_us(20000);
	cli();
	rtc_watchdog(0);
	unsigned n = irq_count[VEC_PIC_MASTER];
	check_eq(&c, "interrupts", n, 1);
	if (n >= 1) {
		uint64_t us = tsc_to_us(irq_tsc - w.start);
		kprintf("PIT: one-shot interrupt %lu us after the count was written (%u watchdog wake-ups)\n",
			us, irq_count[VEC_PIC_SLAVE]);
		/* never early (N + 1 ticks); late only by host scheduling */
		check_range(&c, "microseconds to the interrupt", us, 990, 1000000);
	}
	check_end(&c);
	irq_hooks[VEC_PIC_MASTER] = 0;
	pit_stop_channel0();
}

void pic_tests(void)
{
	struct check c;

	cli();
	pic_set_masks(0xff, 0xff);
	irq_hooks[VEC_PIC_MASTER] = pic_eoi_master;
	irq_reset_counts();

	check_begin(&c, "PIC OCW1: masked IRQ 0 is held in IRR, delivered once unmasked");
	pit_program(0, 2, 1193);
	sti();
	check_true(&c, "IRR bit 0 clear for 500 ms", irr0_within(500000));
	delay_us(3000);
	cli();
	check_eq(&c, "interrupts while masked", irq_count[VEC_PIC_MASTER], 0);
	check_eq(&c, "IRR bit 0 while masked", pic_read_irr(PIC1_CMD) & 1, 1);
	pic_set_masks(0xfe, 0xff);
	expect_irq0_flow(&c);
	check_end(&c);

	/* without an EOI, IR0 stays in service and blocks further IRQ 0 */
	pit_stop_channel0();
	drain();
	irq_hooks[VEC_PIC_MASTER] = hook_record_isr;
	irq_reset_counts();
	check_begin(&c, "PIC ISR blocks IRQ 0 until its EOI; specific EOI for another level leaves it");
	pit_program(0, 2, 1193);
	uint64_t d = tsc_after_us(500000);
	sti();
	while (irq_count[VEC_PIC_MASTER] == 0 && !tsc_passed(d))
		;
	/* the next period's request waits in IRR behind IR0 in service */
	check_true(&c, "IRR bit 0 clear for 500 ms after the first interrupt", irr0_within(500000));
	delay_us(3000);
	cli();
	check_eq(&c, "interrupts without EOI", irq_count[VEC_PIC_MASTER], 1);
	check_eq(&c, "ISR in the handler", isr_in_handler, 0x01);
	check_eq(&c, "ISR after the handler", pic_read_isr(PIC1_CMD), 0x01);
	check_eq(&c, "IRR: the next request waits", pic_read_irr(PIC1_CMD) & 1, 1);
	outb(PIC1_CMD, OCW2_SPEC_EOI | 3);
	check_eq(&c, "ISR after specific EOI for IR3", pic_read_isr(PIC1_CMD), 0x01);
	outb(PIC1_CMD, OCW2_SPEC_EOI | 0);
	check_eq(&c, "ISR after specific EOI for IR0", pic_read_isr(PIC1_CMD), 0);
	check_end(&c);

	irq_hooks[VEC_PIC_MASTER] = hook_specific_eoi;
	irq_reset_counts();
	check_begin(&c, "PIC specific EOI in the handler");
	expect_irq0_flow(&c);
	check_eq(&c, "ISR", pic_read_isr(PIC1_CMD), 0);
	check_end(&c);

	/* OCW3 poll: the next read is the poll word, and acts as the INTA cycle */
	pit_stop_channel0();
	drain();
	irq_hooks[VEC_PIC_MASTER] = pic_eoi_master;
	check_begin(&c, "PIC poll command (OCW3 bit 2) with interrupts off");
	pit_program(0, 2, 1193);
	check_true(&c, "IRR bit 0 clear for 500 ms", irr0_within(500000));
	outb(PIC1_CMD, 0x0c);
	check_eq(&c, "poll word", inb(PIC1_CMD), 0x80);
	check_eq(&c, "ISR after the poll", pic_read_isr(PIC1_CMD), 0x01);
	outb(PIC1_CMD, OCW2_EOI);
	check_eq(&c, "ISR after the EOI", pic_read_isr(PIC1_CMD), 0);
	check_end(&c);

	/* ICW4.AEOI: the INTA cycle ends the interrupt, no EOI needed */
	pit_stop_channel0();
	drain();
	pic_remap(VEC_PIC_MASTER, VEC_PIC_SLAVE, 1);
	pic_set_masks(0xfe, 0xff);
	irq_hooks[VEC_PIC_MASTER] = hook_record_isr;
	irq_reset_counts();
	isr_in_handler = 0xff;
	check_begin(&c, "PIC automatic EOI mode (ICW4 bit 1)");
	pit_program(0, 2, 1193);
	expect_irq0_flow(&c);
	check_eq(&c, "ISR in the handler", isr_in_handler, 0);
	check_end(&c);

	pit_stop_channel0();
	pic_remap(VEC_PIC_MASTER, VEC_PIC_SLAVE, 0);
	pic_set_masks(0xff, 0xff);
	irq_hooks[VEC_PIC_MASTER] = 0;
}
