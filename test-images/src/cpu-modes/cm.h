/*
 * cpu-modes: what every check shares. The selectors, the TSS layout, the
 * trap record and the resume context are also used from assembly, so the
 * numbers live here under __ASSEMBLER__ guards.
 */
#ifndef CPU_MODES_CM_H
#define CPU_MODES_CM_H

/* GDT (main.c) */
#define SEL_CODE64	0x08
#define SEL_DATA	0x10
#define SEL_CODE32	0x18	/* D=1, L=0: compatibility mode, legacy protected mode */
#define SEL_CODE16	0x20	/* D=0, base BLOB_BASE, limit 0xffff */
#define SEL_DATA16	0x28	/* B=0, base BLOB_BASE, limit 0xffff */
#define SEL_UCODE32	0x33	/* STAR[63:48] = 0x30: SYSRET's base */
#define SEL_UDATA	0x3b
#define SEL_UCODE64	0x43
#define SEL_TSS		0x48	/* 16 bytes */
#define GDT_ENTRIES	11

/* Where the real-mode blob runs: segment 0x1000 */
#define BLOB_BASE	0x10000
#define BLOB_SEG	0x1000

/* IDT vectors with special gates */
#define VEC_DE		0
#define VEC_DF		8
#define VEC_NP		11
#define VEC_SS		12
#define VEC_GP		13
#define VEC_PF		14
#define VEC_UD		6
#define VEC_NM		7
#define VEC_EXIT	0x80	/* DPL 3: user code's way back to the kernel */
#define VEC_DPL0	0x81	/* DPL 0 */
#define VEC_ABSENT	0x82	/* P = 0 */
#define VEC_IST3	0x83	/* IST 3, DPL 0 */

/* struct trap_info offsets */
#define TI_VECTOR	0
#define TI_ERROR	8
#define TI_RIP		16
#define TI_CS		24
#define TI_RFLAGS	32
#define TI_RSP		40
#define TI_SS		48
#define TI_CR2		56
#define TI_FRAME_TOP	64
#define TI_COUNT	72

/* struct resume offsets: the frame the handler returns through (rip 0: not armed) */
#define RS_RIP		0
#define RS_CS		8
#define RS_RFLAGS	16
#define RS_RSP		24
#define RS_SS		32

#ifndef __ASSEMBLER__

#include "io.h"

#define CF	0x001ul
#define ZF	0x040ul
#define TF	0x100ul
#define IF	0x200ul
#define DF	0x400ul
#define IOPL3	0x3000ul
#define RF	0x10000ul
#define AC	0x40000ul

#define CR0_PE	(1ul << 0)
#define CR0_WP	(1ul << 16)
#define CR0_PG	(1ul << 31)
#define CR4_TSD		(1ul << 2)
#define CR4_PAE		(1ul << 5)
#define CR4_OSFXSR	(1ul << 9)
#define CR4_OSXMMEXCPT	(1ul << 10)
#define CR4_FSGSBASE	(1ul << 16)
#define CR4_OSXSAVE	(1ul << 18)
#define CR4_SMEP	(1ul << 20)

#define MSR_EFER		0xC0000080
#define MSR_STAR		0xC0000081
#define MSR_LSTAR		0xC0000082
#define MSR_SFMASK		0xC0000084
#define MSR_FS_BASE		0xC0000100
#define MSR_GS_BASE		0xC0000101
#define MSR_KERNEL_GS_BASE	0xC0000102
#define MSR_TSC_AUX		0xC0000103
#define EFER_SCE		1ul

#define PTE_P	0x001ul
#define PTE_RW	0x002ul
#define PTE_US	0x004ul
#define PTE_PS	0x080ul
#define PF_P	0x01
#define PF_W	0x02
#define PF_U	0x04
#define PF_ID	0x10

struct trap_info {
	uint64_t vector, error, rip, cs, rflags, rsp, ss, cr2, frame_top, count;
};
struct resume {
	uint64_t rip, cs, rflags, rsp, ss;
};
extern volatile struct trap_info trap_info;
extern volatile struct resume resume;

/* 64-bit TSS (SDM vol. 3, 8.7) with an I/O bitmap for ports 0-0x3ff */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
	uint8_t iomap[128];
	uint8_t iomap_end;	/* 0xff */
} __attribute__((packed));
extern struct tss tss;
extern uint64_t gdt[GDT_ENTRIES];
extern uint64_t rsp0_top, ist_top[4];

/* Paging (main.c): 0-2 MiB through 4 KiB pages, the rest of the first GiB through 2 MiB ones */
extern uint64_t cm_pt[512];
static inline uint64_t *pte_of(const void *va)
{
	return &cm_pt[(uint64_t)va >> 12];
}

/* User-mode pages (user.S): code, a data page, a read-only page, a stack */
extern char user_text_start[], user_text_end[];
extern uint8_t user_data[4096], user_ro[4096], user_stack[4096];
extern uint8_t kernel_ro[4096], absent_page[4096];

/* Reporting: one PASS/FAIL/SKIP line per check */
struct check {
	const char *name;
	unsigned errors;
};
void check_begin(struct check *c, const char *name);
void check_eq(struct check *c, const char *what, uint64_t got, uint64_t want);
void check_true(struct check *c, const char *what, int ok);
void check_end(struct check *c);
void skip(const char *name, const char *why);
void expect_eq(const char *name, uint64_t got, uint64_t want);
extern unsigned checks_passed, checks_failed, checks_skipped;

/* The IDT (main.c) */
void set_gate(unsigned vector, unsigned dpl, unsigned ist, int present);

/* Exceptions a check expects (traps.S resumes through `resume`) */
#define ANY	(~0ul)
struct expect {
	uint64_t vector, error, rip, cs, ss, rsp, rflags, frame_top, cr2;
};
/* Checks one exception against e (fields ANY are not checked); rflags ignores RF. */
void expect_trap(struct check *c, uint64_t count_before, const struct expect *e);

/*
 * KTRAP(count, fip, setup, insn, ...): runs SETUP then INSN at CPL 0 with a
 * resume point right after INSN; fip gets INSN's address. RAX, RCX, RDX, R11
 * are free in SETUP/INSN; RSP is put back on resume.
 */
#define KTRAP(cnt, fip, sp, setup, insn, ...)						\
	do {										\
		(cnt) = trap_info.count;						\
		trap_info.vector = ~0ul;						\
		__asm__ volatile(							\
			"leaq 1f(%%rip), %%r11\n\t"					\
			"movq %%r11, resume+0(%%rip)\n\t"				\
			"movq %%rsp, resume+24(%%rip)\n\t"				\
			"movq %%rsp, %[sp_]\n\t"					\
			"leaq 2f(%%rip), %[fip_]\n\t"					\
			setup "\n"							\
			"2:\t" insn "\n"						\
			"1:\n\t"							\
			"movq $0, resume+0(%%rip)"					\
			: [fip_] "=&r"(fip), [sp_] "=&m"(sp)				\
			: __VA_ARGS__ : "rax", "rcx", "rdx", "r11", "memory", "cc");	\
	} while (0)

/* user.S / traps.S */
/* Runs user code at `rip` (CPL 3) with RSP = user stack top and RFLAGS = rflags until it faults or does int $0x80. */
void run_user(void *rip, uint64_t rflags);
void syscall_entry(void);
extern volatile uint64_t sc_rcx, sc_r11, sc_rflags, sc_rsp, sc_cs, sc_ss, sc_count;

/* trip.S */
void cm_trip(void);
void cm_compat(void);
extern char cm_blob[], cm_blob_end[];

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline uint64_t read_cr0(void)
{
	uint64_t v;
	__asm__ volatile("movq %%cr0, %0" : "=r"(v));
	return v;
}

static inline void write_cr0(uint64_t v)
{
	__asm__ volatile("movq %0, %%cr0" : : "r"(v) : "memory");
}

static inline uint64_t read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("movq %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(uint64_t v)
{
	__asm__ volatile("movq %0, %%cr4" : : "r"(v) : "memory");
}

static inline void invlpg(const volatile void *va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* The checks */
void mode_tests(void);
void priv_tests(void);
void exception_tests(void);
void xsave_tests(void);
void sys_tests(void);

#endif /* __ASSEMBLER__ */
#endif
