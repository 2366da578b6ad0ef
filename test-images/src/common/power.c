/* Shutdown exactly as Unikraft's qemu/x86_64 platform does it. */
#include "io.h"

static __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

void poweroff(void)
{
	outw(ACPI_PM1A_CNT, ACPI_PM1A_CNT_S5);
	outw(ISA_DEBUG_EXIT, 41);	/* fallback when there is no ACPI PM */
	halt_forever();
}

void debug_exit(uint32_t value)
{
	outl(ISA_DEBUG_EXIT, value);
	halt_forever();
}
