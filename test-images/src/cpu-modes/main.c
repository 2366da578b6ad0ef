/*
 * cpu-modes: the machine state every check runs on (its own GDT with user
 * segments and a TSS, an IDT, page tables with user pages), the report
 * format, and the order of the checks.
 */
#include "cm.h"

unsigned checks_passed, checks_failed, checks_skipped;

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

void skip(const char *name, const char *why)
{
	kprintf("SKIP %s (%s)\n", name, why);
	checks_skipped++;
}

void expect_eq(const char *name, uint64_t got, uint64_t want)
{
	struct check c;
	check_begin(&c, name);
	check_eq(&c, "result", got, want);
	check_end(&c);
}

/* ------------------------------------------------------------------ exceptions */

volatile struct trap_info trap_info;

void expect_trap(struct check *c, uint64_t count_before, const struct expect *e)
{
	if (trap_info.count == count_before) {
		check_true(c, "no exception", 0);
		return;
	}
	check_eq(c, "exceptions taken", trap_info.count - count_before, 1);
	check_eq(c, "vector", trap_info.vector, e->vector);
	if (e->error != ANY)
		check_eq(c, "error code", trap_info.error, e->error);
	if (e->rip != ANY)
		check_eq(c, "saved RIP", trap_info.rip, e->rip);
	if (e->cs != ANY)
		check_eq(c, "saved CS", trap_info.cs, e->cs);
	if (e->ss != ANY)
		check_eq(c, "saved SS", trap_info.ss, e->ss);
	if (e->rsp != ANY)
		check_eq(c, "saved RSP", trap_info.rsp, e->rsp);
	if (e->rflags != ANY)
		check_eq(c, "saved RFLAGS (RF aside)", trap_info.rflags & ~RF, e->rflags);
	if (e->frame_top != ANY)
		check_eq(c, "handler's RSP before the frame", trap_info.frame_top, e->frame_top);
	if (e->cr2 != ANY)
		check_eq(c, "CR2", trap_info.cr2, e->cr2);
}

__attribute__((noreturn)) void trap_fatal(void);
void trap_fatal(void)
{
	kprintf("FAIL unexpected exception: vector %lu, error 0x%lx, rip 0x%lx, cs 0x%lx, rsp 0x%lx, cr2 0x%lx\n",
		trap_info.vector, trap_info.error, trap_info.rip, trap_info.cs, trap_info.rsp, trap_info.cr2);
	checks_failed++;
	kprintf("cpu-modes: %u passed, %u failed, %u skipped\n", checks_passed, checks_failed, checks_skipped);
	debug_exit(checks_failed);
}

/* ------------------------------------------------------------------ descriptor tables */

struct tss tss __attribute__((aligned(16)));

uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16))) = {
	0,
	0x00af9b000000ffff,	/* 0x08: 64-bit code, DPL 0 */
	0x00cf93000000ffff,	/* 0x10: flat data, DPL 0 */
	0x00cf9b000000ffff,	/* 0x18: 32-bit code, DPL 0 */
	0x00009b010000ffff,	/* 0x20: 16-bit code, base 0x10000, limit 0xffff */
	0x000093010000ffff,	/* 0x28: 16-bit data, base 0x10000, limit 0xffff */
	0x00cffb000000ffff,	/* 0x30: 32-bit code, DPL 3 */
	0x00cff3000000ffff,	/* 0x38: flat data, DPL 3 */
	0x00affb000000ffff,	/* 0x40: 64-bit code, DPL 3 */
	0, 0,			/* 0x48: TSS, filled in */
};

static struct {
	uint64_t lo, hi;
} idt[256] __attribute__((aligned(16)));
extern const char trap_stubs[];

static uint8_t stacks[5][4096] __attribute__((aligned(4096)));	/* RSP0, IST1-IST4 */
uint64_t rsp0_top, ist_top[4];

void set_gate(unsigned v, unsigned dpl, unsigned ist, int present)
{
	uint64_t h = (uint64_t)trap_stubs + 16 * v;
	idt[v].lo = (h & 0xffff) | (uint64_t)SEL_CODE64 << 16 | (uint64_t)ist << 32 |
		    (uint64_t)(0x0e | dpl << 5 | (present ? 0x80 : 0)) << 40 | ((h >> 16) & 0xffff) << 48;
	idt[v].hi = h >> 32;
}

static void tables_install(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) r;

	rsp0_top = (uint64_t)stacks[0] + 4096;
	tss.rsp[0] = rsp0_top;
	for (int k = 0; k < 4; k++) {
		ist_top[k] = (uint64_t)stacks[k + 1] + 4096;
		tss.ist[k] = ist_top[k];
	}
	tss.iomap_base = __builtin_offsetof(struct tss, iomap);
	memset(tss.iomap, 0xff, sizeof(tss.iomap));
	tss.iomap[0x61 / 8] &= (uint8_t)~(1u << (0x61 % 8));
	tss.iomap_end = 0xff;

	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
	gdt[SEL_TSS / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ul << 40 |
			   ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[SEL_TSS / 8 + 1] = base >> 32;

	r.limit = sizeof(gdt) - 1;
	r.base = (uint64_t)gdt;
	__asm__ volatile("lgdt %0\n\t"
			 "movl %1, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "pushq %2\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "ltr %w3"
			 : : "m"(r), "i"(SEL_DATA), "i"(SEL_CODE64), "r"(SEL_TSS) : "rax", "memory");

	for (unsigned v = 0; v < 256; v++)
		set_gate(v, 0, 0, 1);
	set_gate(VEC_DF, 0, 1, 1);
	set_gate(VEC_SS, 0, 2, 1);
	set_gate(VEC_EXIT, 3, 0, 1);
	set_gate(VEC_ABSENT, 0, 0, 0);
	set_gate(VEC_IST3, 0, 3, 1);
	r.limit = sizeof(idt) - 1;
	r.base = (uint64_t)idt;
	__asm__ volatile("lidt %0" : : "m"(r));
}

/* ------------------------------------------------------------------ paging */

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
uint64_t cm_pt[512] __attribute__((aligned(4096)));

uint8_t user_data[4096] __attribute__((aligned(4096)));
uint8_t user_ro[4096] __attribute__((aligned(4096)));
uint8_t user_stack[4096] __attribute__((aligned(4096)));
uint8_t kernel_ro[4096] __attribute__((aligned(4096)));
uint8_t absent_page[4096] __attribute__((aligned(4096)));
volatile uint64_t kernel_secret = 0x5ec7e7;

/*
 * PML4[0] -> PDPT[0] -> PD: PD[0] is a page table for 0-2 MiB (the image), the
 * other 511 entries are 2 MiB pages. Every level above the leaves allows user
 * access, so the leaves decide: only the user pages have U/S set.
 */
static void paging_install(void)
{
	for (int k = 0; k < 4096; k++)
		user_ro[k] = (uint8_t)k;
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_RW | PTE_US;
	pdpt[0] = (uint64_t)pd | PTE_P | PTE_RW | PTE_US;
	pd[0] = (uint64_t)cm_pt | PTE_P | PTE_RW | PTE_US;
	for (uint64_t k = 1; k < 512; k++)
		pd[k] = (k << 21) | PTE_P | PTE_RW | PTE_PS;
	for (uint64_t k = 0; k < 512; k++)
		cm_pt[k] = (k << 12) | PTE_P | PTE_RW;
	for (char *p = user_text_start; p < user_text_end; p += 4096)
		*pte_of(p) = (uint64_t)p | PTE_P | PTE_US;
	*pte_of(user_data) |= PTE_US;
	*pte_of(user_stack) |= PTE_US;
	*pte_of(user_ro) = (uint64_t)user_ro | PTE_P | PTE_US;
	*pte_of(kernel_ro) = (uint64_t)kernel_ro | PTE_P;
	*pte_of(absent_page) = 0;
	__asm__ volatile("movq %0, %%cr3" : : "r"((uint64_t)pml4) : "memory");
}

void kmain(uint32_t mbi)
{
	(void)mbi;
	serial_init();
	kprintf("cpu-modes: start\n");
	tables_install();
	paging_install();

	mode_tests();
	priv_tests();
	exception_tests();
	xsave_tests();
	sys_tests();

	kprintf("cpu-modes: %u passed, %u failed, %u skipped\n", checks_passed, checks_failed, checks_skipped);
	if (checks_failed == 0)
		poweroff();
	debug_exit(checks_failed);
}
