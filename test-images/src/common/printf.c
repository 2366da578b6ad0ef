/* A small printf onto COM1: enough for check reports. */
#include <stdarg.h>
#include "io.h"

static void put_number(uint64_t v, unsigned base, int is_signed, int width, char pad)
{
	char buf[24];
	int n = 0, neg = 0;

	if (is_signed && (int64_t)v < 0) {
		neg = 1;
		v = -v;
	}
	do {
		unsigned d = v % base;
		buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	if (neg && pad == '0')
		serial_putc('-');
	for (int i = n + neg; i < width; i++)
		serial_putc(pad);
	if (neg && pad != '0')
		serial_putc('-');
	while (n)
		serial_putc(buf[--n]);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			serial_putc(*fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, longs = 0;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 'c':
			serial_putc((char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			serial_puts(s ? s : "(null)");
			break;
		}
		case 'd':
			put_number(longs ? (uint64_t)va_arg(ap, long) : (uint64_t)(int64_t)va_arg(ap, int),
				   10, 1, width, pad);
			break;
		case 'u':
			put_number(longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned),
				   10, 0, width, pad);
			break;
		case 'x':
			put_number(longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned),
				   16, 0, width, pad);
			break;
		case 'p':
			serial_puts("0x");
			put_number((uintptr_t)va_arg(ap, void *), 16, 0, width, pad);
			break;
		case '%':
			serial_putc('%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			serial_putc('%');
			serial_putc(*fmt);
			break;
		}
	}
	va_end(ap);
}
