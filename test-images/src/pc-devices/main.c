/* pc-devices: device checks, reported over COM1, then power-off (or a reset test). */
#include "pcdev.h"

unsigned checks_passed, checks_failed;

void check_begin(struct check *c, const char *name)
{
	c->name = name;
	c->errors = 0;
}

static void open_failure(struct check *c)
{
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
	kprintf("%s = 0x%lx, expected 0x%lx", what, got, want);
}

void check_range(struct check *c, const char *what, uint64_t got, uint64_t lo, uint64_t hi)
{
	if (got >= lo && got <= hi)
		return;
	open_failure(c);
	kprintf("%s = %lu, expected %lu..%lu", what, got, lo, hi);
}

void check_true(struct check *c, const char *what, int ok)
{
	if (ok)
		return;
	open_failure(c);
	kprintf("%s", what);
}

void check_end(struct check *c)
{
	if (c->errors) {
		kprintf("\n");
		checks_failed++;
	} else {
		kprintf("PASS %s\n", c->name);
		checks_passed++;
	}
}

/*
 * The reset test keeps its state in RAM the loader does not write (above the
 * image, its modules and the multiboot data): a system reset reloads the
 * kernel but leaves the rest of RAM alone, as on QEMU.
 */
#define RESET_STATE	0x800000ul
#define RESET_MAGIC	0x52534554u	/* "TESR" */

struct reset_state {
	uint32_t magic;
	uint32_t boots;
};

static __attribute__((noreturn)) void finish(void)
{
	kprintf("pc-devices: %u passed, %u failed\n", checks_passed, checks_failed);
	if (checks_failed == 0)
		poweroff();
	debug_exit(checks_failed);
}

static __attribute__((noreturn)) void reset_test(void)
{
	volatile struct reset_state *st = (volatile struct reset_state *)RESET_STATE;
	struct check c;

	if (st->magic == RESET_MAGIC) {
		kprintf("reset-test: boot %u, after a keyboard-controller reset\n", st->boots + 1);
		check_begin(&c, "i8042 reset restarted the kernel, RAM kept");
		check_eq(&c, "boots before", st->boots, 1);
		check_end(&c);
		st->magic = 0;
		finish();
	}
	st->magic = RESET_MAGIC;
	st->boots = 1;
	kprintf("reset-test: resetting through the keyboard controller (0xfe to port 0x64)\n");
	/* wait until the controller's input buffer is empty, as a BIOS does */
	for (int i = 0; i < 100000 && (inb(0x64) & 0x02); i++)
		;
	outb(0x64, 0xfe);
	uint64_t deadline = tsc_after_us(100000);
	while (!tsc_passed(deadline))
		;
	st->magic = 0;
	check_begin(&c, "i8042 reset");
	check_true(&c, "still running 100 ms after the reset command", 0);
	check_end(&c);
	finish();
}

void kmain(uint32_t mbi)
{
	serial_init();
	kprintf("pc-devices: start\n");
	idt_install();
	boot_info_report(mbi);

	/* "info-only": the boot information above, no device checks */
	if (cmdline_has("info-only"))
		finish();
	if (cmdline_has("reset-test")) {
		time_init();	/* the TSC rate the timeout needs */
		reset_test();
	}

	pit_tests();
	pic_pit_tests();
	pic_tests();
	ioapic_tests();
	rtc_tests();
	acpi_tests();
	fwcfg_tests();
	vga_tests();
	i8042_tests();
	rtc_update_tests();	/* last: waits for a second boundary */
	finish();
}
