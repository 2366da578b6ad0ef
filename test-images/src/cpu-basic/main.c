/* cpu-basic: instruction, paging and exception checks, reported over COM1. */
#include "check.h"

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

void check_flags(struct check *c, uint64_t got, uint64_t want, uint64_t mask)
{
	if (((got ^ want) & mask) == 0)
		return;
	open_failure(c);
	kprintf("flags = 0x%03lx, expected 0x%03lx (mask 0x%03lx)", got & mask, want & mask, mask);
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

void check_pass_note(const char *name, const char *note)
{
	kprintf("PASS %s (%s)\n", name, note);
	checks_passed++;
}

void expect_eq(const char *name, uint64_t got, uint64_t want)
{
	struct check c;
	check_begin(&c, name);
	check_eq(&c, "result", got, want);
	check_end(&c);
}

void expect_alu(const char *name, uint64_t got, uint64_t want,
		uint64_t flags, uint64_t want_flags, uint64_t mask)
{
	struct check c;
	check_begin(&c, name);
	check_eq(&c, "result", got, want);
	check_flags(&c, flags, want_flags, mask);
	check_end(&c);
}

void kmain(uint32_t mbi)
{
	(void)mbi;
	serial_init();
	kprintf("cpu-basic: start\n");
	idt_install();

	arith_tests();
	bits_tests();
	string_tests();
	control_tests();
	system_tests();
	paging_tests();
	exception_tests();

	kprintf("cpu-basic: %u passed, %u failed\n", checks_passed, checks_failed);
	if (checks_failed == 0)
		poweroff();
	debug_exit(checks_failed);
}
