/*
 * The 8254 PIT: TSC calibration against channel 0 the way Unikraft's
 * tscclock.c does it (mode 2, reload 11931, latch command and two reads),
 * the read-back command, channel 2 in mode 0 seen through port 0x61, and
 * byte access modes.
 */
#include "pcdev.h"

#define PIT_HZ		1193182ull
#define CALIB_RELOAD	11931u		/* PIT_HZ / 100: 10 ms */
#define CALIB_PERIODS	5

/* control word: SC1 SC0 RW1 RW0 M2 M1 M0 BCD */
#define CW_LATCH	0x00
#define CW_LSB		0x10
#define CW_MSB		0x20
#define CW_LSB_MSB	0x30
#define CW_READ_BACK	0xc0
#define RB_NO_COUNT	0x20
#define RB_NO_STATUS	0x10
#define ST_OUT		0x80
#define ST_NULL_COUNT	0x40

#define P61_GATE2	0x01
#define P61_SPEAKER	0x02
#define P61_OUT2	0x20

uint64_t tsc_khz = 1000000;	/* a guess until time_init or the calibration */
static uint64_t cpuid_khz;

uint64_t tsc_after_us(uint64_t us)
{
	return rdtsc() + us * tsc_khz / 1000;
}

int tsc_passed(uint64_t deadline)
{
	return (int64_t)(rdtsc() - deadline) >= 0;
}

void delay_us(uint64_t us)
{
	uint64_t d = tsc_after_us(us);
	while (!tsc_passed(d))
		;
}

uint64_t tsc_to_us(uint64_t ticks)
{
	return ticks * 1000 / tsc_khz;
}

void win_start(struct window *w, uint64_t threshold_us)
{
	w->start = w->last = rdtsc();
	w->threshold = threshold_us * tsc_khz / 1000;
	w->smooth = w->stalled = w->stalls = 0;
}

void win_tick(struct window *w)
{
	uint64_t now = rdtsc(), gap = now - w->last;

	if (gap > w->threshold) {
		w->stalled += gap;
		w->stalls++;
	} else {
		w->smooth += gap;
	}
	w->last = now;
}

uint64_t win_smooth_us(const struct window *w)
{
	return tsc_to_us(w->smooth);
}

uint64_t win_elapsed_us(const struct window *w)
{
	return tsc_to_us(w->last - w->start);
}

void time_init(void)
{
	uint32_t r[4];

	cpuid(0x40000000, 0, r);
	if (r[0] >= 0x40000010 && r[0] < 0x40000100) {
		cpuid(0x40000010, 0, r);
		cpuid_khz = r[0];
	}
	if (cpuid_khz)
		tsc_khz = cpuid_khz;
}

void pit_program(unsigned channel, unsigned mode, unsigned count)
{
	outb(PIT_MODE, channel << 6 | CW_LSB_MSB | mode << 1);
	outb(PIT_CH0 + channel, count & 0xff);
	outb(PIT_CH0 + channel, count >> 8);
}

/*
 * Channel 0 idle: a mode 4 control word with no count yet. OUT goes (or
 * stays) high and nothing counts, so no edge reaches IRQ 0, now or when
 * the next mode 2 or mode 4 count starts (both begin with OUT high).
 */
void pit_stop_channel0(void)
{
	outb(PIT_MODE, CW_LSB_MSB | 4 << 1);
}

/* Unikraft's i8254_gettick: counter latch command, low byte, high byte. */
static unsigned pit_gettick(void)
{
	unsigned v;

	outb(PIT_MODE, 0 << 6 | CW_LATCH);
	v = inb(PIT_CH0);
	v |= inb(PIT_CH0) << 8;
	return v;
}

/*
 * TSC ticks over CALIB_PERIODS periods of channel 0, counted poll by poll.
 * The host may deschedule the vCPU at any point, and a stall of a period or
 * more hides whole periods. So each poll is bracketed by two TSC reads and
 * taken at their midpoint; a poll that took over 50 us, or that follows the
 * previous one by more than half a period (by the TSC rate CPUID announces),
 * contributes nothing: it only starts a new run of polls. Without the CPUID
 * leaf, only slow polls are left out.
 */
#define POLL_MAX_US	50

static void calibration(void)
{
	struct check c;
	uint64_t ticks = 0, tsc = 0, want = (uint64_t)CALIB_PERIODS * CALIB_RELOAD;
	uint64_t gap_max = cpuid_khz ? cpuid_khz * 5 : ~0ull;		/* 5 ms */
	uint64_t poll_max = (cpuid_khz ? cpuid_khz : 10000000) * POLL_MAX_US / 1000;
	unsigned prev = 0, cur, polls = 0, out_of_range = 0, stalls = 0, have_prev = 0;
	uint64_t last = 0, deadline;

	check_begin(&c, "PIT channel 0 mode 2 calibrates the TSC (CPUID 0x40000010 +-2%)");
	pit_program(0, 2, CALIB_RELOAD);
	deadline = rdtsc() + 10000000000ull;	/* a guard if the counter stands still */
	while (ticks < want && !tsc_passed(deadline)) {
		uint64_t t0 = rdtsc();
		cur = pit_gettick();
		uint64_t t1 = rdtsc(), now = t0 + (t1 - t0) / 2;
		polls++;
		if (cur == 0 || cur > CALIB_RELOAD)
			out_of_range++;
		if (t1 - t0 > poll_max) {
			stalls++;
			have_prev = 0;
			continue;
		}
		if (have_prev) {
			/* mode 2 counts reload..1, then reloads */
			unsigned delta = cur > prev ? prev + CALIB_RELOAD - cur : prev - cur;
			if (now - last > gap_max) {
				stalls++;
			} else {
				ticks += delta;
				tsc += now - last;
			}
		}
		prev = cur;
		last = now;
		have_prev = 1;
	}
	check_true(&c, "the counter did not advance", ticks >= want);
	check_eq(&c, "counts outside 1..11931", out_of_range, 0);
	uint64_t measured_khz = ticks ? tsc * PIT_HZ / ticks / 1000 : 0;
	kprintf("PIT: %lu ticks in %u polls, %lu TSC ticks: %lu kHz; CPUID 0x40000010: %lu kHz; "
		"%u host stalls left out\n", ticks, polls, tsc, measured_khz, cpuid_khz, stalls);
	check_true(&c, "no CPUID leaf 0x40000010", cpuid_khz != 0);
	if (cpuid_khz) {
		uint64_t lo = cpuid_khz * 98 / 100, hi = cpuid_khz * 102 / 100;
		check_range(&c, "measured kHz", measured_khz, lo, hi);
		uint64_t dev = measured_khz > cpuid_khz ? measured_khz - cpuid_khz : cpuid_khz - measured_khz;
		kprintf("PIT: TSC rate deviation %lu ppm\n", dev * 1000000 / cpuid_khz);
	} else if (measured_khz) {
		tsc_khz = measured_khz;
	}
	check_end(&c);
}

static void read_back(void)
{
	struct check c;
	unsigned st, count, lo;

	/* channel 0 still runs mode 2, lo/hi, binary, from the calibration */
	check_begin(&c, "PIT read-back: status of channel 0");
	outb(PIT_MODE, CW_READ_BACK | RB_NO_COUNT | 1 << 1);
	st = inb(PIT_CH0);
	check_eq(&c, "status & 0x3f (lo/hi, mode 2, binary)", st & 0x3f, 0x34);
	check_eq(&c, "null count", st & ST_NULL_COUNT, 0);
	check_end(&c);

	check_begin(&c, "PIT read-back: count of channel 0");
	outb(PIT_MODE, CW_READ_BACK | RB_NO_STATUS | 1 << 1);
	count = inb(PIT_CH0);
	count |= inb(PIT_CH0) << 8;
	check_range(&c, "count", count, 1, CALIB_RELOAD);
	check_end(&c);

	/* status and count latched together: status first, then the count */
	check_begin(&c, "PIT read-back: status then count");
	outb(PIT_MODE, CW_READ_BACK | 1 << 1);
	st = inb(PIT_CH0);
	count = inb(PIT_CH0);
	count |= inb(PIT_CH0) << 8;
	check_eq(&c, "status & 0x3f", st & 0x3f, 0x34);
	check_range(&c, "count", count, 1, CALIB_RELOAD);
	check_end(&c);

	/* a latched count stays put until read, however long it waits */
	check_begin(&c, "PIT counter latch holds its value");
	unsigned moved = 0, after;
	struct window w;
	for (int tries = 0; tries < 5; tries++) {
		outb(PIT_MODE, 0 << 6 | CW_LATCH);
		win_start(&w, 500);
		while (win_elapsed_us(&w) < 2000)
			win_tick(&w);
		lo = inb(PIT_CH0);
		count = lo | inb(PIT_CH0) << 8;
		after = pit_gettick();
		/* a stall in the reads (the host compiling this code, say) counts too */
		win_tick(&w);
		/* 2 ms is 2386 ticks: the live count moved on (modulo the reload) */
		moved = count >= after ? count - after : count + CALIB_RELOAD - after;
		if (w.stalls == 0)
			break;
	}
	check_range(&c, "latched count", count, 1, CALIB_RELOAD);
	check_range(&c, "ticks between the latch and a fresh read", moved, 2000, 3500);
	check_end(&c);
}

/* Channel 2, mode 0, counted while port 0x61's gate bit is set; OUT2 in bit 5. */
static void channel2_mode0(void)
{
	struct check c;
	unsigned count, p61;

	check_begin(&c, "PIT channel 2 mode 0: gate low holds the count, OUT2 low");
	p61 = inb(PORT_61) & ~(P61_GATE2 | P61_SPEAKER);
	outb(PORT_61, p61);
	pit_program(2, 0, 1193);	/* 1 ms */
	delay_us(2000);
	check_eq(&c, "OUT2 (port 0x61 bit 5)", inb(PORT_61) & P61_OUT2, 0);
	outb(PIT_MODE, 2 << 6 | CW_LATCH);
	count = inb(PIT_CH2);
	count |= inb(PIT_CH2) << 8;
	check_eq(&c, "count with the gate low", count, 1193);
	check_end(&c);

	check_begin(&c, "PIT channel 2 mode 0: OUT2 rises 1 ms after the gate opens");
	struct window w;
	win_start(&w, 500);	/* before the gate opens: a stall in between only adds */
	outb(PORT_61, p61 | P61_GATE2);
	while (!(inb(PORT_61) & P61_OUT2) && win_elapsed_us(&w) < 500000)
		win_tick(&w);
	win_tick(&w);
	check_true(&c, "OUT2 still low after 500 ms", inb(PORT_61) & P61_OUT2);
	/* never early; late only by host stalls */
	check_range(&c, "microseconds elapsed", win_elapsed_us(&w), 990, 500000);
	check_range(&c, "microseconds not stalled", win_smooth_us(&w), 0, 3000);
	kprintf("PIT: channel 2 terminal count after %lu us (%lu us smooth)\n", win_elapsed_us(&w),
		win_smooth_us(&w));
	/* OUT stays high; the count wraps to 0xffff and keeps going */
	delay_us(200);
	check_true(&c, "OUT2 fell again", inb(PORT_61) & P61_OUT2);
	check_end(&c);

	/* null count: set by a control word and by a count write, until the count is loaded */
	outb(PORT_61, p61);
	check_begin(&c, "PIT status null-count flag: set after a control word, clear once the count loads");
	outb(PIT_MODE, 2 << 6 | CW_LSB_MSB | 0 << 1);
	outb(PIT_MODE, CW_READ_BACK | RB_NO_COUNT | 1 << 3);
	check_eq(&c, "after the control word", inb(PIT_CH2) & ST_NULL_COUNT, ST_NULL_COUNT);
	outb(PIT_CH2, 0x00);
	outb(PIT_CH2, 0x10);
	delay_us(100);
	outb(PIT_MODE, CW_READ_BACK | RB_NO_COUNT | 1 << 3);
	check_eq(&c, "100 us after the count", inb(PIT_CH2) & ST_NULL_COUNT, 0);
	check_end(&c);

	/* byte access modes, with the gate low so the count holds */
	outb(PORT_61, p61);
	check_begin(&c, "PIT access modes: low byte only, high byte only, low then high");
	outb(PIT_MODE, 2 << 6 | CW_LSB | 0 << 1);
	outb(PIT_CH2, 0x34);
	delay_us(100);
	outb(PIT_MODE, 2 << 6 | CW_LATCH);
	check_eq(&c, "LSB mode: count read", inb(PIT_CH2), 0x34);
	outb(PIT_MODE, 2 << 6 | CW_MSB | 0 << 1);
	outb(PIT_CH2, 0x12);
	delay_us(100);
	outb(PIT_MODE, 2 << 6 | CW_LATCH);
	check_eq(&c, "MSB mode: count read", inb(PIT_CH2), 0x12);
	outb(PIT_MODE, CW_READ_BACK | RB_NO_COUNT | 1 << 3);
	check_eq(&c, "MSB mode: status & 0x3f", inb(PIT_CH2) & 0x3f, 0x20);
	pit_program(2, 0, 0x5678);
	delay_us(100);
	outb(PIT_MODE, 2 << 6 | CW_LATCH);
	count = inb(PIT_CH2);
	count |= inb(PIT_CH2) << 8;
	check_eq(&c, "LSB/MSB mode: count read", count, 0x5678);
	check_end(&c);
}

void pit_tests(void)
{
	time_init();
	calibration();
	read_back();
	channel2_mode0();
	pit_stop_channel0();
}
