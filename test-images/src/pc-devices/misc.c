/* fw_cfg, the VGA text console and the i8042 controller. */
#include "pcdev.h"

#define FW_CFG_SELECTOR	0x510
#define FW_CFG_DATA	0x511
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID	0x01
#define FW_CFG_RAM_SIZE	0x03
#define FW_CFG_NB_CPUS	0x05

static uint64_t fwcfg_read(uint16_t key, unsigned bytes)
{
	uint64_t v = 0;

	outw(FW_CFG_SELECTOR, key);
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)inb(FW_CFG_DATA) << (8 * i);
	return v;
}

unsigned fwcfg_cpu_count(void)
{
	return (unsigned)fwcfg_read(FW_CFG_NB_CPUS, 2);
}

void fwcfg_tests(void)
{
	struct check c;

	check_begin(&c, "fw_cfg signature \"QEMU\" and the traditional interface");
	check_eq(&c, "signature", fwcfg_read(FW_CFG_SIGNATURE, 4), 0x554d4551);	/* "QEMU" */
	check_eq(&c, "ID bit 0", fwcfg_read(FW_CFG_ID, 4) & 1, 1);
	check_end(&c);

	uint64_t ram = fwcfg_read(FW_CFG_RAM_SIZE, 8);
	kprintf("fw_cfg: RAM %lu KiB, %u CPUs\n", ram >> 10, fwcfg_cpu_count());
	check_begin(&c, "fw_cfg RAM size (key 0x03) matches the multiboot memory map");
	check_eq(&c, "RAM size", ram, mbi_ram_total());
	check_end(&c);

	check_begin(&c, "fw_cfg CPU count (key 0x05) is at least 1");
	check_range(&c, "CPUs", fwcfg_cpu_count(), 1, 255);
	check_end(&c);
}

#define VGA_TEXT	0xb8000ul
#define CRTC_INDEX	0x3d4
#define CRTC_DATA	0x3d5
#define VGA_MISC_READ	0x3cc
#define CRTC_CURSOR_HI	0x0e
#define CRTC_CURSOR_LO	0x0f

static uint8_t crtc_read(uint8_t index)
{
	outb(CRTC_INDEX, index);
	return inb(CRTC_DATA);
}

static void crtc_write(uint8_t index, uint8_t v)
{
	outb(CRTC_INDEX, index);
	outb(CRTC_DATA, v);
}

void vga_tests(void)
{
	struct check c;
	volatile uint16_t *cell = (volatile uint16_t *)VGA_TEXT;
	static const char text[] = "pc-devices: VGA text mode check";
	unsigned row = 2, bad = 0, n = sizeof(text) - 1;

	check_begin(&c, "VGA text buffer at 0xb8000: characters and attributes read back");
	for (unsigned i = 0; i < n; i++)
		cell[row * 80 + i] = (uint16_t)(0x1f00 | (uint8_t)text[i]);
	for (unsigned i = 0; i < n; i++)
		if (cell[row * 80 + i] != (uint16_t)(0x1f00 | (uint8_t)text[i]))
			bad++;
	check_eq(&c, "cells that differ", bad, 0);
	volatile uint8_t *b = (volatile uint8_t *)VGA_TEXT;
	b[(row + 1) * 160] = 'X';
	b[(row + 1) * 160 + 1] = 0x4e;
	check_eq(&c, "16-bit read of a cell written bytewise", cell[(row + 1) * 80], 0x4e58);
	*(volatile uint32_t *)(VGA_TEXT + (row + 1) * 160 + 4) = 0x2f422f41;
	check_eq(&c, "bytes of a 32-bit write", b[(row + 1) * 160 + 4] | b[(row + 1) * 160 + 6] << 8, 0x4241);
	check_end(&c);

	check_begin(&c, "VGA CRTC cursor location (0x0e/0x0f) reads back; colour I/O at 0x3dx");
	check_eq(&c, "misc output bit 0", inb(VGA_MISC_READ) & 1, 1);
	uint8_t hi = crtc_read(CRTC_CURSOR_HI), lo = crtc_read(CRTC_CURSOR_LO);
	unsigned pos = (row + 1) * 80 + 7;
	crtc_write(CRTC_CURSOR_HI, pos >> 8);
	crtc_write(CRTC_CURSOR_LO, pos & 0xff);
	check_eq(&c, "index register", inb(CRTC_INDEX) & 0x3f, CRTC_CURSOR_LO);
	check_eq(&c, "cursor", crtc_read(CRTC_CURSOR_HI) << 8 | crtc_read(CRTC_CURSOR_LO), pos);
	crtc_write(CRTC_CURSOR_HI, hi);
	crtc_write(CRTC_CURSOR_LO, lo);
	check_end(&c);
}

#define I8042_DATA	0x60
#define I8042_STATUS	0x64
#define ST_OBF		0x01
#define ST_IBF		0x02

void i8042_tests(void)
{
	struct check c;
	uint64_t deadline = tsc_after_us(10000);

	check_begin(&c, "i8042 controller self-test (0xaa) answers 0x55");
	while ((inb(I8042_STATUS) & ST_OBF) && !tsc_passed(deadline))
		inb(I8042_DATA);	/* flush */
	while ((inb(I8042_STATUS) & ST_IBF) && !tsc_passed(deadline))
		;
	outb(I8042_STATUS, 0xaa);
	while (!(inb(I8042_STATUS) & ST_OBF) && !tsc_passed(deadline))
		;
	check_true(&c, "no output byte", inb(I8042_STATUS) & ST_OBF);
	check_eq(&c, "answer", inb(I8042_DATA), 0x55);
	check_end(&c);
}
