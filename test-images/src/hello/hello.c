/* The demo kernel: one line over COM1, then power off. */
#include "io.h"

void kmain(uint32_t mbi)
{
	(void)mbi;
	serial_init();
	serial_puts("Hello, World!\n");
	poweroff();
}
