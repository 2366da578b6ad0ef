/*
 * The MC146818 RTC and CMOS RAM: time in BCD, binary and 12-hour forms, the
 * periodic, update-ended and alarm interrupts on IRQ 8 (slave PIC IR0), CMOS
 * RAM, and the memory sizes the firmware stores there.
 */
#include "pcdev.h"

#define RTC_INDEX	0x70
#define RTC_DATA	0x71
#define NMI_DISABLE	0x80

#define R_SEC		0x00
#define R_SEC_ALARM	0x01
#define R_MIN		0x02
#define R_MIN_ALARM	0x03
#define R_HOUR		0x04
#define R_HOUR_ALARM	0x05
#define R_DAY		0x07
#define R_MON		0x08
#define R_YEAR		0x09
#define R_A		0x0a
#define R_B		0x0b
#define R_C		0x0c
#define R_D		0x0d
#define R_CENTURY	0x32

#define A_UIP		0x80
#define B_PIE		0x40
#define B_AIE		0x20
#define B_UIE		0x10
#define B_DM		0x04
#define B_24H		0x02
#define C_IRQF		0x80
#define C_PF		0x40
#define C_AF		0x20
#define C_UF		0x10

#define CMOS_SCRATCH	0x4f	/* not used by QEMU's pc machine or SeaBIOS */

uint8_t cmos_read(uint8_t index)
{
	outb(RTC_INDEX, index | NMI_DISABLE);
	return inb(RTC_DATA);
}

void cmos_write(uint8_t index, uint8_t value)
{
	outb(RTC_INDEX, index | NMI_DISABLE);
	outb(RTC_DATA, value);
}

struct rtc_time {
	unsigned sec, min, hour, day, mon, year, century;
};

/* After UIP reads clear, the registers hold still for at least 244 us. */
static int rtc_wait_uip(void)
{
	uint64_t deadline = tsc_after_us(10000);
	while (cmos_read(R_A) & A_UIP)
		if (tsc_passed(deadline))
			return 0;
	return 1;
}

static void rtc_read_time(struct rtc_time *t)
{
	t->sec = cmos_read(R_SEC);
	t->min = cmos_read(R_MIN);
	t->hour = cmos_read(R_HOUR);
	t->day = cmos_read(R_DAY);
	t->mon = cmos_read(R_MON);
	t->year = cmos_read(R_YEAR);
	t->century = cmos_read(R_CENTURY);
}

static int is_bcd(unsigned v)
{
	return (v & 0xf) <= 9 && (v >> 4) <= 9;
}

static unsigned bcd2bin(unsigned v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static unsigned bin2bcd(unsigned v)
{
	return (v / 10) << 4 | v % 10;
}

static int same_time(const struct rtc_time *a, const struct rtc_time *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static void rtc_to_bin(struct rtc_time *t)
{
	t->sec = bcd2bin(t->sec);
	t->min = bcd2bin(t->min);
	t->hour = bcd2bin(t->hour);
	t->day = bcd2bin(t->day);
	t->mon = bcd2bin(t->mon);
	t->year = bcd2bin(t->year);
	t->century = bcd2bin(t->century);
}

static void time_and_formats(void)
{
	struct check c;
	struct rtc_time t, b1, b2, bin;

	check_begin(&c, "RTC registers A-D hold the reset values (32.768 kHz, 1024 Hz, 24h BCD, VRT)");
	check_eq(&c, "A & 0x7f", cmos_read(R_A) & 0x7f, 0x26);
	check_eq(&c, "B", cmos_read(R_B), B_24H);
	check_eq(&c, "D", cmos_read(R_D), 0x80);
	check_end(&c);

	check_begin(&c, "RTC time in BCD: UIP clears, fields in range, year >= 2024");
	check_true(&c, "UIP stays set", rtc_wait_uip());
	rtc_read_time(&t);
	check_true(&c, "not BCD", is_bcd(t.sec) && is_bcd(t.min) && is_bcd(t.hour) && is_bcd(t.day) &&
				   is_bcd(t.mon) && is_bcd(t.year) && is_bcd(t.century));
	rtc_to_bin(&t);
	kprintf("RTC: %u%02u-%02u-%02u %02u:%02u:%02u\n", t.century, t.year, t.mon, t.day, t.hour, t.min, t.sec);
	check_range(&c, "seconds", t.sec, 0, 59);
	check_range(&c, "minutes", t.min, 0, 59);
	check_range(&c, "hours", t.hour, 0, 23);
	check_range(&c, "day", t.day, 1, 31);
	check_range(&c, "month", t.mon, 1, 12);
	check_range(&c, "year", t.century * 100 + t.year, 2024, 2199);
	check_end(&c);

	/* binary mode (DM), compared with BCD reads on both sides of it */
	check_begin(&c, "RTC binary mode (register B DM) reads the same time as BCD");
	int tries = 0, stable = 0;
	while (!stable && tries++ < 4) {
		rtc_wait_uip();
		rtc_read_time(&b1);
		cmos_write(R_B, B_24H | B_DM);
		rtc_read_time(&bin);
		cmos_write(R_B, B_24H);
		rtc_read_time(&b2);
		stable = same_time(&b1, &b2);
	}
	check_true(&c, "no stable reading", stable);
	rtc_to_bin(&b1);
	check_true(&c, "binary and BCD times differ", same_time(&b1, &bin));
	if (!same_time(&b1, &bin))
		kprintf(" (binary %u %u-%u-%u %u:%u:%u)", bin.century, bin.year, bin.mon, bin.day,
			bin.hour, bin.min, bin.sec);
	check_end(&c);

	/* 12-hour mode: 1-12 with bit 7 for PM */
	check_begin(&c, "RTC 12-hour mode (register B bit 1 clear)");
	unsigned h24 = 0, h12 = 0, again = 1;
	stable = 0;
	for (tries = 0; !stable && tries < 4; tries++) {
		rtc_wait_uip();
		h24 = bcd2bin(cmos_read(R_HOUR));
		cmos_write(R_B, 0);
		h12 = cmos_read(R_HOUR);
		cmos_write(R_B, B_24H);
		again = bcd2bin(cmos_read(R_HOUR));
		stable = h24 == again;
	}
	unsigned want = h24 == 0 ? 0x12 : h24 < 12 ? bin2bcd(h24) : h24 == 12 ? 0x92 : 0x80 | bin2bcd(h24 - 12);
	check_eq(&c, "hour register", h12, want);
	check_end(&c);
}

static volatile uint8_t rtc_flags, rtc_isr_master, rtc_isr_slave, uf_sec;
static volatile uint64_t uf_tsc;
static volatile unsigned uf_count, af_count;

static void hook_rtc(unsigned vector)
{
	(void)vector;
	uint8_t c = cmos_read(R_C);	/* reading C acknowledges the RTC's interrupt */
	if (irq_count[VEC_PIC_SLAVE] == 1) {
		rtc_isr_slave = pic_read_isr(0xa0);
		rtc_isr_master = pic_read_isr(0x20);
	}
	rtc_flags |= c;
	if ((c & C_UF) && uf_count++ == 0) {
		uf_tsc = rdtsc();
		uf_sec = cmos_read(R_SEC);
	}
	if (c & C_AF)
		af_count++;
	outb(0xa0, 0x20);	/* slave first, then the master's cascade input */
	outb(0x20, 0x20);
}

static void hook_rtc_ack(unsigned vector)
{
	(void)vector;
	cmos_read(R_C);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

/*
 * A 2 Hz RTC periodic interrupt that wakes a halted CPU, so a check can
 * sti;hlt while waiting for another device without hanging if that device
 * never interrupts. Leaves the slave PIC's other inputs masked.
 */
void rtc_watchdog(int on)
{
	uint8_t master = inb(0x21);

	if (on) {
		cmos_write(R_A, 0x2f);		/* rate 15: 2 Hz */
		cmos_read(R_C);
		irq_hooks[VEC_PIC_SLAVE] = hook_rtc_ack;
		pic_set_masks(master & ~0x04, 0xfe);
		cmos_write(R_B, B_24H | B_PIE);
	} else {
		cmos_write(R_B, B_24H);
		cmos_read(R_C);
		pic_set_masks(master | 0x04, 0xff);
		cmos_write(R_A, 0x26);
		irq_hooks[VEC_PIC_SLAVE] = 0;
	}
}

static void periodic(void)
{
	struct check c;

	cli();
	cmos_write(R_A, 0x26);		/* 32.768 kHz, rate 6: 1024 Hz */
	cmos_read(R_C);
	irq_hooks[VEC_PIC_SLAVE] = hook_rtc;
	irq_reset_counts();
	rtc_flags = 0;
	pic_set_masks(0xfb, 0xfe);	/* cascade IR2, RTC on slave IR0 */
	check_begin(&c, "RTC periodic interrupt at 1024 Hz: 50 on IRQ 8 (slave PIC), sti;hlt in between");
	cmos_write(R_B, B_24H | B_PIE);
	struct irq_run r;
	irq_window(VEC_PIC_SLAVE, 50, 1000000, 1, &r);
	cmos_write(R_B, B_24H);
	kprintf("RTC: periodic interrupt at 1024 Hz, CPU halted between interrupts:\n");
	check_irq_rate(&c, &r, 50, 977);
	check_eq(&c, "register C flags seen", rtc_flags & (C_IRQF | C_PF), C_IRQF | C_PF);
	check_eq(&c, "slave ISR in the handler", rtc_isr_slave, 0x01);
	check_eq(&c, "master ISR in the handler", rtc_isr_master, 0x04);
	check_eq(&c, "slave ISR after EOIs", pic_read_isr(0xa0), 0);
	check_eq(&c, "master ISR after EOIs", pic_read_isr(0x20), 0);
	check_end(&c);

	/* with PIE clear, nothing more arrives */
	sti();
	delay_us(2000);
	cli();
	cmos_read(R_C);
	irq_reset_counts();
	check_begin(&c, "RTC with PIE clear raises no interrupt");
	sti();
	delay_us(5000);
	cli();
	check_eq(&c, "interrupts", irq_count[VEC_PIC_SLAVE], 0);
	check_end(&c);
	pic_set_masks(0xff, 0xff);
}

static void cmos_ram(void)
{
	struct check c;
	uint8_t old = cmos_read(CMOS_SCRATCH);

	check_begin(&c, "CMOS RAM byte 0x4f writes and reads back");
	cmos_write(CMOS_SCRATCH, 0xa5);
	check_eq(&c, "after writing 0xa5", cmos_read(CMOS_SCRATCH), 0xa5);
	cmos_write(CMOS_SCRATCH, 0x5a);
	check_eq(&c, "after writing 0x5a", cmos_read(CMOS_SCRATCH), 0x5a);
	cmos_write(CMOS_SCRATCH, old);
	check_end(&c);

	uint64_t below = mbi_ram_end_below_4g(), above = mbi_ram_above_4g();
	uint64_t ext16 = below > (16ul << 20) ? (below - (16ul << 20)) >> 16 : 0;
	uint64_t ext1 = below > (1ul << 20) ? (below - (1ul << 20)) >> 10 : 0;
	if (ext16 > 0xffff)
		ext16 = 0xffff;
	if (ext1 > 0xffff)
		ext1 = 0xffff;
	check_begin(&c, "CMOS memory sizes match the multiboot memory map");
	check_eq(&c, "0x15/0x16 base memory KiB", cmos_read(0x15) | cmos_read(0x16) << 8, 640);
	check_eq(&c, "0x17/0x18 extended KiB", cmos_read(0x17) | cmos_read(0x18) << 8, ext1);
	check_eq(&c, "0x30/0x31 extended KiB", cmos_read(0x30) | cmos_read(0x31) << 8, ext1);
	check_eq(&c, "0x34/0x35 64 KiB units above 16 MiB", cmos_read(0x34) | cmos_read(0x35) << 8, ext16);
	check_eq(&c, "0x5b-0x5d 64 KiB units above 4 GiB",
		 cmos_read(0x5b) | cmos_read(0x5c) << 8 | (uint32_t)cmos_read(0x5d) << 16, above >> 16);
	check_end(&c);
}

void rtc_tests(void)
{
	time_and_formats();
	periodic();
	cmos_ram();
}

/* Update-ended and alarm interrupts come once a second: up to a second's wait. */
void rtc_update_tests(void)
{
	struct check c;

	cli();
	cmos_write(R_SEC_ALARM, 0xff);	/* 0xc0-0xff: "don't care", so the alarm rings every second */
	cmos_write(R_MIN_ALARM, 0xff);
	cmos_write(R_HOUR_ALARM, 0xff);
	cmos_read(R_C);
	irq_hooks[VEC_PIC_SLAVE] = hook_rtc;
	irq_reset_counts();
	rtc_flags = 0;
	uf_count = af_count = 0;
	pic_set_masks(0xfb, 0xfe);
	/*
	 * Set the clock (register B SET holds updates) to the last second of
	 * 2099; the update this check waits for carries into every field.
	 */
	struct rtc_time set = { 0x59, 0x59, 0x23, 0x31, 0x12, 0x99, 0x20 }, after;
	check_begin(&c, "RTC set through register B SET reads back while SET holds it");
	cmos_write(R_B, B_24H | 0x80);
	cmos_write(R_SEC, set.sec);
	cmos_write(R_MIN, set.min);
	cmos_write(R_HOUR, set.hour);
	cmos_write(R_DAY, set.day);
	cmos_write(R_MON, set.mon);
	cmos_write(R_YEAR, set.year);
	cmos_write(R_CENTURY, set.century);
	delay_us(2000);
	rtc_read_time(&after);
	check_true(&c, "time changed while SET was on", same_time(&set, &after));
	check_end(&c);

	check_begin(&c, "RTC update-ended and alarm interrupts within 1.1 s");
	cmos_write(R_B, B_24H);
	unsigned sec0 = bcd2bin(cmos_read(R_SEC));
	struct window w;
	win_start(&w, 5000);
	/* PIE at 1024 Hz wakes the halted CPU to look at the clock */
	cmos_write(R_B, B_24H | B_UIE | B_AIE | B_PIE);
	while (!uf_count && win_smooth_us(&w) < 1100000 && win_elapsed_us(&w) < 3000000) {
		sti_hlt();
		win_tick(&w);
	}
	delay_us(5000);		/* the alarm may come in its own interrupt */
	cli();
	cmos_write(R_B, B_24H);
	cmos_read(R_C);
	check_eq(&c, "update-ended interrupts", uf_count, 1);
	check_eq(&c, "alarm interrupts (with the update)", af_count, 1);
	if (uf_count) {
		kprintf("RTC: update-ended interrupt after %lu ms\n", (uf_tsc - w.start) / tsc_khz);
		check_eq(&c, "seconds after the update", bcd2bin(uf_sec), (sec0 + 1) % 60);
	}
	check_end(&c);

	if (uf_count && sec0 == 59) {
		check_begin(&c, "RTC update carries 2099-12-31 23:59:59 into 2100-01-01 00:00:00");
		rtc_wait_uip();
		rtc_read_time(&after);
		kprintf("RTC: after the update: %02x%02x-%02x-%02x %02x:%02x:%02x\n", after.century, after.year,
			after.mon, after.day, after.hour, after.min, after.sec);
		check_eq(&c, "century", after.century, 0x21);
		check_eq(&c, "year", after.year, 0x00);
		check_eq(&c, "month", after.mon, 0x01);
		check_eq(&c, "day", after.day, 0x01);
		check_eq(&c, "hour", after.hour, 0x00);
		check_eq(&c, "minute", after.min, 0x00);
		check_range(&c, "second", after.sec, 0, 1);
		check_end(&c);
	}
	pic_set_masks(0xff, 0xff);
	irq_hooks[VEC_PIC_SLAVE] = 0;
}
