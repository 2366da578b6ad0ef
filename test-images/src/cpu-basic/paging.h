/* The test address space that paging.c builds and exceptions.c reuses. */
#ifndef CPU_BASIC_PAGING_H
#define CPU_BASIC_PAGING_H

#include <stdint.h>

#define PTE_P		0x001ul
#define PTE_RW		0x002ul
#define PTE_A		0x020ul
#define PTE_D		0x040ul
#define PTE_PS		0x080ul

/* PML4 slot 0 keeps the boot identity map; slot 1 (512 GiB) holds the tests. */
#define TEST_VA		0x0000008000000000ul
#define TEST_VA_A	(TEST_VA + 0x0000)	/* PT[0]: 4 KiB page -> page_a (RW) */
#define TEST_VA_RO	(TEST_VA + 0x1000)	/* PT[1]: -> page_ro, read-only */
#define TEST_VA_NP	(TEST_VA + 0x2000)	/* PT[2]: not present */
#define TEST_VA_A2	(TEST_VA + 0x3000)	/* PT[3]: -> page_a again (RW) */
#define TEST_VA_B	(TEST_VA + 0x4000)	/* PT[4]: -> page_b (RW) */
#define TEST_VA_2M	(TEST_VA + 0x200000)	/* PD[1]: 2 MiB page -> physical 0 */
#define TEST_VA_1G	(TEST_VA + 0x40000000)	/* PDPT[1]: 1 GiB page -> physical 0 */

extern uint8_t page_ro[4096];

#endif
