/*
 * 4-level paging: 4 KiB, 2 MiB and 1 GiB mappings of memory the image owns,
 * aliasing, accessed/dirty bits, page-split accesses, INVLPG and CR3 reloads.
 * The image lies below 2 MiB (link.ld asserts it), so the large pages map
 * physical 0 and the checks go through them at the image's own addresses.
 */
#include "check.h"
#include "paging.h"

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));
uint8_t page_ro[4096] __attribute__((aligned(4096)));

static inline uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("movq %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("movq %0, %%cr3" : : "r"(v) : "memory");
}

static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline uint64_t peek(uint64_t va)
{
	return *(volatile uint64_t *)va;
}

static inline void poke(uint64_t va, uint64_t v)
{
	*(volatile uint64_t *)va = v;
}

static int has_1g_pages(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000000u), "c"(0));
	if (a < 0x80000001u)
		return 0;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001u), "c"(0));
	return (d >> 26) & 1;	/* Page1GB */
}

void paging_tests(void)
{
	const uint64_t *boot_pml4 = (const uint64_t *)(read_cr3() & ~0xffful);
	int big = has_1g_pages();
	struct check c;

	for (int i = 0; i < 4096; i++) {
		page_ro[i] = (uint8_t)(0x80 + i);
		page_b[i] = (uint8_t)(0x40 + i);
	}
	pml4[0] = boot_pml4[0];
	pml4[1] = (uint64_t)pdpt | PTE_P | PTE_RW;
	pdpt[0] = (uint64_t)pd | PTE_P | PTE_RW;
	pd[0] = (uint64_t)pt | PTE_P | PTE_RW;
	pd[1] = 0 | PTE_P | PTE_RW | PTE_PS;
	pt[0] = (uint64_t)page_a | PTE_P | PTE_RW;
	pt[1] = (uint64_t)page_ro | PTE_P;
	pt[2] = 0;
	pt[3] = (uint64_t)page_a | PTE_P | PTE_RW;
	pt[4] = (uint64_t)page_b | PTE_P | PTE_RW;
	if (big)
		pdpt[1] = 0 | PTE_P | PTE_RW | PTE_PS;
	write_cr3((uint64_t)pml4);

	check_begin(&c, "paging.4k alias");
	poke(TEST_VA_A + 0x18, 0x1122334455667788);
	check_eq(&c, "identity read after VA write", *(volatile uint64_t *)&page_a[0x18],
		 0x1122334455667788);
	*(volatile uint64_t *)&page_a[0x20] = 0xabcdef0123456789;
	check_eq(&c, "VA read after identity write", peek(TEST_VA_A + 0x20), 0xabcdef0123456789);
	check_eq(&c, "second alias", peek(TEST_VA_A2 + 0x18), 0x1122334455667788);
	check_eq(&c, "read-only page read", peek(TEST_VA_RO), 0x8786858483828180);
	check_end(&c);

	check_begin(&c, "paging.accessed/dirty bits");
	check_eq(&c, "PTE[0] A|D", pt[0] & (PTE_A | PTE_D), PTE_A | PTE_D);
	check_eq(&c, "PTE[1] (read only) A|D", pt[1] & (PTE_A | PTE_D), PTE_A);
	check_eq(&c, "PDE A", pd[0] & PTE_A, PTE_A);
	check_eq(&c, "PDPTE A", pdpt[0] & PTE_A, PTE_A);
	check_eq(&c, "PML4E A", pml4[1] & PTE_A, PTE_A);
	check_eq(&c, "unused PTE[4] A", pt[4] & PTE_A, 0);
	check_end(&c);

	/* 8-byte accesses straddling two 4 KiB pages with different frames */
	check_begin(&c, "paging.page-split access");
	for (int i = 0; i < 4; i++)
		page_a[0xffc + i] = (uint8_t)(0x10 + i);
	check_eq(&c, "read a|ro", peek(TEST_VA_A + 0xffc), 0x8382818013121110);
	poke(TEST_VA_A2 + 0xffa, 0x0706050403020100);
	check_eq(&c, "write a|b, a side", *(volatile uint64_t *)&page_a[0xff8], 0x0504030201000000);
	check_eq(&c, "write a|b, b side", *(volatile uint64_t *)&page_b[0], 0x4746454443420706);
	check_end(&c);

	check_begin(&c, "paging.2m page");
	*(volatile uint64_t *)&page_a[0x100] = 0x2222222222222222;
	check_eq(&c, "read via 2M page", peek(TEST_VA_2M + (uint64_t)&page_a[0x100]), 0x2222222222222222);
	poke(TEST_VA_2M + (uint64_t)&page_a[0x108], 0x3333333333333333);
	check_eq(&c, "write via 2M page", *(volatile uint64_t *)&page_a[0x108], 0x3333333333333333);
	check_eq(&c, "PDE[1] A|D", pd[1] & (PTE_A | PTE_D), PTE_A | PTE_D);
	check_end(&c);

	if (big) {
		check_begin(&c, "paging.1g page");
		*(volatile uint64_t *)&page_a[0x110] = 0x4444444444444444;
		check_eq(&c, "read via 1G page", peek(TEST_VA_1G + (uint64_t)&page_a[0x110]),
			 0x4444444444444444);
		poke(TEST_VA_1G + (uint64_t)&page_a[0x118], 0x5555555555555555);
		check_eq(&c, "write via 1G page", *(volatile uint64_t *)&page_a[0x118], 0x5555555555555555);
		check_end(&c);
	} else {
		check_pass_note("paging.1g page", "skipped: CPUID.80000001:EDX[26] clear");
	}

	/* Change a PTE the TLB has seen, then invalidate that one page. */
	*(volatile uint64_t *)&page_a[0] = 0xaaaaaaaaaaaaaaaa;
	*(volatile uint64_t *)&page_b[0] = 0xbbbbbbbbbbbbbbbb;
	check_begin(&c, "paging.invlpg");
	check_eq(&c, "before", peek(TEST_VA_A), 0xaaaaaaaaaaaaaaaa);
	pt[0] = (uint64_t)page_b | PTE_P | PTE_RW;
	invlpg(TEST_VA_A);
	check_eq(&c, "after", peek(TEST_VA_A), 0xbbbbbbbbbbbbbbbb);
	check_end(&c);

	check_begin(&c, "paging.cr3 reload flushes");
	pt[0] = (uint64_t)page_a | PTE_P | PTE_RW;
	write_cr3(read_cr3());
	check_eq(&c, "after", peek(TEST_VA_A), 0xaaaaaaaaaaaaaaaa);
	check_end(&c);
	/* exception_tests() keeps using this address space. */
}
