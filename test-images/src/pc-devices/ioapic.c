/*
 * PIT IRQ 0 through the I/O APIC (pin 2, the MADT's interrupt source
 * override) to the boot CPU's local APIC, with the PIC pair masked.
 */
#include "pcdev.h"

#define IOAPIC_BASE	0xfec00000ul
#define IOREGSEL	0x00
#define IOWIN		0x10
#define IOAPIC_ID	0x00
#define IOAPIC_VER	0x01
#define IOAPIC_REDTBL	0x10
#define RTE_MASKED	(1u << 16)
#define RTE_LEVEL	(1u << 15)

#define LAPIC_BASE	0xfee00000ul
#define LAPIC_ID	0x020
#define LAPIC_VER	0x030
#define LAPIC_TPR	0x080
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define LAPIC_ISR0	0x100
#define LAPIC_IRR0	0x200
#define LAPIC_LVT_LINT0	0x350
#define SVR_ENABLE	0x100

#define MSR_APIC_BASE	0x1b
#define APIC_BASE_EN	(1u << 11)
#define APIC_BASE_EXTD	(1u << 10)
#define APIC_BASE_BSP	(1u << 8)

static uint32_t ioapic_read(unsigned reg)
{
	mmio_write32(IOAPIC_BASE + IOREGSEL, reg);
	return mmio_read32(IOAPIC_BASE + IOWIN);
}

static void ioapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(IOAPIC_BASE + IOREGSEL, reg);
	mmio_write32(IOAPIC_BASE + IOWIN, v);
}

static uint32_t lapic_read(unsigned reg) { return mmio_read32(LAPIC_BASE + reg); }
static void lapic_write(unsigned reg, uint32_t v) { mmio_write32(LAPIC_BASE + reg, v); }

static volatile uint32_t lapic_isr_in_handler;

static void hook_lapic_eoi(unsigned vector)
{
	if (irq_count[vector] == 1)
		lapic_isr_in_handler = lapic_read(LAPIC_ISR0 + 0x10 * (vector / 32));
	lapic_write(LAPIC_EOI, 0);
}

unsigned ioapic_id(void)
{
	return ioapic_read(IOAPIC_ID) >> 24 & 0xf;
}

void ioapic_tests(void)
{
	struct check c;
	uint64_t base = rdmsr(MSR_APIC_BASE);

	cli();
	check_begin(&c, "local APIC as the firmware leaves it: xAPIC at 0xfee00000, BSP, LINT0 ExtINT");
	check_eq(&c, "IA32_APIC_BASE & ~0xfff", base & ~0xffful, LAPIC_BASE);
	check_eq(&c, "EN|EXTD|BSP", base & (APIC_BASE_EN | APIC_BASE_EXTD | APIC_BASE_BSP),
		 APIC_BASE_EN | APIC_BASE_BSP);
	check_eq(&c, "APIC ID", lapic_read(LAPIC_ID) >> 24, 0);
	check_eq(&c, "LINT0 delivery mode (ExtINT) and mask", lapic_read(LAPIC_LVT_LINT0) & 0x10700, 0x700);
	check_true(&c, "version register", (lapic_read(LAPIC_VER) & 0xff) >= 0x10);
	check_end(&c);

	uint32_t ver = ioapic_read(IOAPIC_VER);
	check_begin(&c, "I/O APIC at 0xfec00000: version and 24 pins, all masked");
	check_eq(&c, "version", ver & 0xff, 0x20);
	check_eq(&c, "max redirection entry", (ver >> 16) & 0xff, 23);
	for (unsigned pin = 0; pin < 24; pin++) {
		if (!(ioapic_read(IOAPIC_REDTBL + 2 * pin) & RTE_MASKED)) {
			check_true(&c, "an unmasked pin at boot", 0);
			break;
		}
	}
	check_end(&c);

	/* the PIC pair out of the way; the local APIC software-enabled */
	pic_set_masks(0xff, 0xff);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_APIC_SPURIOUS);
	ioapic_write(IOAPIC_REDTBL + 2 * 2 + 1, 0u << 24);	/* destination APIC ID 0 */
	ioapic_write(IOAPIC_REDTBL + 2 * 2, VEC_IOAPIC_PIT);	/* fixed, physical, high, edge */
	check_begin(&c, "I/O APIC redirection entry for pin 2 reads back");
	check_eq(&c, "low word", ioapic_read(IOAPIC_REDTBL + 2 * 2) & 0x1ffff & ~(1u << 12), VEC_IOAPIC_PIT);
	check_eq(&c, "high word", ioapic_read(IOAPIC_REDTBL + 2 * 2 + 1), 0);
	check_end(&c);

	irq_hooks[VEC_IOAPIC_PIT] = hook_lapic_eoi;
	irq_reset_counts();
	lapic_isr_in_handler = 0;
	check_begin(&c, "PIT mode 2 at 1 kHz: 30 IRQ 0 through I/O APIC pin 2 to vector 0x30, sti;hlt in between");
	pit_program(0, 2, 1193);
	struct irq_run r;
	irq_window(VEC_IOAPIC_PIT, 30, 1000000, 1, &r);
	kprintf("I/O APIC: IRQ 0 at 1 kHz, CPU halted between interrupts:\n");
	check_irq_rate(&c, &r, 30, 1000);
	check_eq(&c, "LAPIC ISR bit 0x30 in the handler", lapic_isr_in_handler, 1u << (VEC_IOAPIC_PIT % 32));
	check_eq(&c, "LAPIC ISR after EOI", lapic_read(LAPIC_ISR0 + 0x10), 0);
	check_eq(&c, "PIC vectors (PIC masked)", irq_count[VEC_PIC_MASTER], 0);
	check_eq(&c, "spurious", irq_count[VEC_APIC_SPURIOUS], 0);
	check_end(&c);

	/* TPR: a priority class at or above the vector's holds it in the local APIC's IRR */
	check_begin(&c, "local APIC TPR 0x40 holds vector 0x30 in IRR; TPR 0 lets it in");
	lapic_write(LAPIC_TPR, 0x40);
	irq_reset_counts();
	uint64_t d = tsc_after_us(500000);
	sti();
	while (!(lapic_read(LAPIC_IRR0 + 0x10) & 1u << (VEC_IOAPIC_PIT % 32)) && !tsc_passed(d))
		;
	delay_us(2000);
	cli();
	check_eq(&c, "interrupts with TPR 0x40", irq_count[VEC_IOAPIC_PIT], 0);
	check_eq(&c, "IRR bit 0x30", lapic_read(LAPIC_IRR0 + 0x10) >> (VEC_IOAPIC_PIT % 32) & 1, 1);
	lapic_write(LAPIC_TPR, 0x20);
	sti();
	__asm__ volatile("nop");
	cli();
	check_range(&c, "interrupts with TPR 0x20", irq_count[VEC_IOAPIC_PIT], 1, 2);
	lapic_write(LAPIC_TPR, 0);
	check_end(&c);

	/* masking the pin stops delivery */
	ioapic_write(IOAPIC_REDTBL + 2 * 2, RTE_MASKED | VEC_IOAPIC_PIT);
	irq_reset_counts();
	check_begin(&c, "I/O APIC masked pin delivers nothing");
	sti();
	delay_us(1000);		/* one request may already be on its way */
	irq_reset_counts();
	delay_us(5000);
	cli();
	check_eq(&c, "interrupts", irq_count[VEC_IOAPIC_PIT], 0);
	check_end(&c);

	pit_stop_channel0();
	irq_hooks[VEC_IOAPIC_PIT] = 0;
}
