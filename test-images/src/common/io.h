/* Port I/O and the small runtime every image links. */
#ifndef TEST_IMAGES_IO_H
#define TEST_IMAGES_IO_H

#include <stdint.h>
#include <stddef.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* Called by boot.S in 64-bit mode with the multiboot info address. */
void kmain(uint32_t mbi);

/* serial.c: COM1, 115200 8N1 */
void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);

/* power.c */
#define ACPI_PM1A_CNT		0x604	/* PIIX4 PM base 0x600 + PM1a control */
#define ACPI_PM1A_CNT_S5	0x2000	/* SLP_EN | SLP_TYP=0 (S5 on QEMU's PIIX4) */
#define ISA_DEBUG_EXIT		0x501	/* exit status (value << 1) | 1 */
__attribute__((noreturn)) void poweroff(void);
__attribute__((noreturn)) void debug_exit(uint32_t value);

/* lib.c: what gcc may call even in freestanding code */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* printf.c: %c %s %d %u %x %p with l/ll, width and 0-padding */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
