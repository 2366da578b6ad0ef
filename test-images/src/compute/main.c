/*
 * The compute image: turns SSE on (the benchmarks are compiled for the
 * x86-64 baseline, which has SSE2), takes its memory from the multiboot
 * memory map and the suite's options from the kernel command line, runs
 * the suite and powers off (every benchmark ok) or exits through
 * isa-debug-exit with the number of failures.
 *
 * This file is compiled without SSE, like the common code: nothing in it
 * may use an SSE register before sse_enable().
 */
#include "io.h"
#include "bench.h"

#define MBI_FLAG_MEM		(1u << 0)
#define MBI_FLAG_CMDLINE	(1u << 2)
#define MBI_FLAG_MMAP		(1u << 6)

#define MIB			0x100000ull
#define ARENA_START		(4 * MIB)	/* above the image, its stack and the boot information */
#define MAPPED_END		(4096 * MIB)	/* boot.S identity-maps the first 4 GiB */

struct mbi {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

static uint64_t arena_next = ARENA_START, arena_end = ARENA_START;

static void sse_enable(void)
{
	uint64_t cr0, cr4;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 &= ~(1ull << 2);			/* EM: no x87 emulation */
	cr0 |= 1ull << 1;			/* MP */
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= (1ull << 9) | (1ull << 10);	/* OSFXSR, OSXMMEXCPT */
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
	__asm__ volatile("fninit");
}

/* The RAM region holding ARENA_START: from the memory map, else mem_upper. */
static void arena_init(const struct mbi *mbi)
{
	if (mbi->flags & MBI_FLAG_MMAP) {
		uint64_t p = mbi->mmap_addr, end = p + mbi->mmap_length;
		while (p < end) {
			const struct mb_mmap *e = (const struct mb_mmap *)p;
			if (e->type == 1 && e->addr <= ARENA_START && e->addr + e->len > ARENA_START)
				arena_end = e->addr + e->len;
			p += e->size + 4;
		}
	} else if (mbi->flags & MBI_FLAG_MEM) {
		arena_end = MIB + (uint64_t)mbi->mem_upper * 1024;
	}
	if (arena_end > MAPPED_END)
		arena_end = MAPPED_END;
}

void *plat_alloc(size_t bytes)
{
	uint64_t at = (arena_next + 63) & ~63ull;
	if (at + bytes > arena_end || at + bytes < at)
		return 0;
	arena_next = at + bytes;
	return (void *)at;
}

void plat_release(void)
{
	arena_next = ARENA_START;
}

void plat_puts(const char *s)
{
	serial_puts(s);
}

/* CPUID 0x40000010 EAX, where the hypervisor leaves reach it (ukemu, VMware-style); else 0. */
static uint64_t tsc_khz(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (!(c & (1u << 31)))			/* no hypervisor */
		return 0;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000), "c"(0));
	if (a < 0x40000010 || a > 0x400000ff)
		return 0;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000010), "c"(0));
	return a;
}

void kmain(uint32_t mbi_addr)
{
	static struct suite_config cfg;
	const struct mbi *mbi = (const struct mbi *)(uint64_t)mbi_addr;

	serial_init();
	sse_enable();
	suite_parse(&cfg, mbi->flags & MBI_FLAG_CMDLINE ? (const char *)(uint64_t)mbi->cmdline : "");
	cfg.tsc_khz = tsc_khz();
	arena_init(mbi);

	unsigned failed = suite_run(&cfg);
	if (failed == 0)
		poweroff();
	debug_exit(failed);
}
