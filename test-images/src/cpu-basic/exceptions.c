/*
 * A 64-bit IDT of our own: each check arms a resume address, runs one
 * faulting instruction and checks what the handler recorded.
 */
#include "check.h"
#include "paging.h"

#define VEC_DE		0
#define VEC_BP		3
#define VEC_UD		6
#define VEC_GP		13
#define VEC_PF		14
#define VEC_SOFT	0x40

#define PF_P		0x1	/* protection violation (else not present) */
#define PF_W		0x2	/* write access */

#define SEL_CODE64	0x08
#define SEL_DATA	0x10
#define GATE_INTR64	0x8e	/* present, DPL 0, 64-bit interrupt gate */

struct trap_info {
	uint64_t vector, error, rip, cs, rflags, rsp, ss, cr2, frame_top, count;
};
volatile struct trap_info trap_info;
volatile uint64_t trap_resume;
extern const uint64_t trap_stubs[33];

static struct {
	uint64_t lo, hi;
} idt[256] __attribute__((aligned(16)));

static void set_gate(unsigned vector, uint64_t handler)
{
	idt[vector].lo = (handler & 0xffff) | (uint64_t)SEL_CODE64 << 16 |
			 (uint64_t)GATE_INTR64 << 40 | ((handler >> 16) & 0xffff) << 48;
	idt[vector].hi = handler >> 32;
}

void idt_install(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };

	for (unsigned v = 0; v < 32; v++)
		set_gate(v, trap_stubs[v]);
	set_gate(VEC_SOFT, trap_stubs[32]);
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

__attribute__((noreturn)) void trap_fatal(void);
void trap_fatal(void)
{
	kprintf("FAIL unexpected exception: vector %lu, error 0x%lx, rip 0x%lx, cr2 0x%lx\n",
		trap_info.vector, trap_info.error, trap_info.rip, trap_info.cr2);
	checks_failed++;
	kprintf("cpu-basic: %u passed, %u failed\n", checks_passed, checks_failed);
	debug_exit(checks_failed);
}

struct trigger {
	uint64_t fip;		/* address of the instruction under test */
	uint64_t nip;		/* address of the next instruction */
	uint64_t sp;		/* RSP when it ran */
	uint64_t sp_after;	/* RSP at the resume point */
	uint64_t post;		/* what CLEANUP left in %[post] */
	uint64_t count;		/* trap_info.count before */
};

/*
 * Arms the resume point (label 1, right after INSN), runs SETUP, INSN,
 * then CLEANUP. RAX, RCX, RDX and R11 are free for SETUP/INSN.
 */
#define TRIGGER(t, setup, insn, cleanup, ...)						\
	do {										\
		(t).count = trap_info.count;						\
		trap_info.vector = ~0ul;						\
		__asm__ volatile(							\
			"leaq 1f(%%rip), %%r11\n\t"					\
			"movq %%r11, trap_resume(%%rip)\n\t"				\
			"leaq 2f(%%rip), %[fip]\n\t"					\
			"leaq 1f(%%rip), %[nip]\n\t"					\
			"xorl %k[post], %k[post]\n\t"					\
			setup "\n\t"							\
			"movq %%rsp, %[sp]\n"						\
			"2:\t" insn "\n"						\
			"1:\n\t"							\
			"movq %%rsp, %[sp_after]\n\t"					\
			cleanup								\
			: [fip] "=&r"((t).fip), [nip] "=&r"((t).nip), [sp] "=&r"((t).sp), \
			  [sp_after] "=&r"((t).sp_after), [post] "=&r"((t).post)	\
			: __VA_ARGS__ : "rax", "rcx", "rdx", "r11", "memory", "cc");	\
		trap_resume = 0;							\
	} while (0)

#define ANY_CR2		(~0ul)

static void expect_trap(struct check *c, const struct trigger *t, uint64_t vector,
			uint64_t error, uint64_t rip, uint64_t cr2)
{
	if (trap_info.count == t->count) {
		check_true(c, "no exception", 0);
		return;
	}
	check_eq(c, "exceptions taken", trap_info.count - t->count, 1);
	check_eq(c, "vector", trap_info.vector, vector);
	check_eq(c, "error code", trap_info.error, error);
	check_eq(c, "saved RIP", trap_info.rip, rip);
	if (cr2 != ANY_CR2)
		check_eq(c, "CR2", trap_info.cr2, cr2);
	check_eq(c, "saved CS", trap_info.cs, SEL_CODE64);
	check_eq(c, "saved SS", trap_info.ss, SEL_DATA);
	check_eq(c, "saved RSP", trap_info.rsp, t->sp);
	check_eq(c, "saved RFLAGS & (IF|bit 1)", trap_info.rflags & 0x202, RFLAGS_FIXED);
	check_eq(c, "frame alignment", trap_info.frame_top & 15, 0);
	check_eq(c, "RSP after iretq", t->sp_after, t->sp);
}

void exception_tests(void)
{
	struct trigger t;
	struct check c;

	TRIGGER(t, "", "movq $1, (%[va])", "", [va] "r"(TEST_VA_NP + 0x18));
	check_begin(&c, "#PF write to not-present page");
	expect_trap(&c, &t, VEC_PF, PF_W, t.fip, TEST_VA_NP + 0x18);
	check_end(&c);

	TRIGGER(t, "", "movl (%[va]), %%eax", "", [va] "r"(TEST_VA_NP + 0xff0));
	check_begin(&c, "#PF read from not-present page");
	expect_trap(&c, &t, VEC_PF, 0, t.fip, TEST_VA_NP + 0xff0);
	check_end(&c);

	TRIGGER(t, "", "movb $1, (%[va])", "", [va] "r"(TEST_VA_RO + 0x21));
	check_begin(&c, "#PF write to read-only page");
	expect_trap(&c, &t, VEC_PF, PF_P | PF_W, t.fip, TEST_VA_RO + 0x21);
	check_eq(&c, "memory unchanged", page_ro[0x21], 0xa1);
	check_end(&c);

	TRIGGER(t, "", "jmp *%[va]", "", [va] "r"(TEST_VA_NP + 0x40));
	check_begin(&c, "#PF fetch from not-present page");
	expect_trap(&c, &t, VEC_PF, 0, TEST_VA_NP + 0x40, TEST_VA_NP + 0x40);
	check_end(&c);

	TRIGGER(t, "", "ud2", "");
	check_begin(&c, "#UD ud2");
	expect_trap(&c, &t, VEC_UD, 0, t.fip, ANY_CR2);
	check_end(&c);

	TRIGGER(t, "movl $1, %%eax\n\txorl %%edx, %%edx\n\txorl %%ecx, %%ecx",
		"divl %%ecx", "movq %%rax, %[post]");
	check_begin(&c, "#DE divide by zero");
	expect_trap(&c, &t, VEC_DE, 0, t.fip, ANY_CR2);
	check_eq(&c, "rax unchanged", t.post, 1);
	check_end(&c);

	TRIGGER(t, "movl $0x80000000, %%eax\n\tmovl $-1, %%edx\n\tmovl $-1, %%ecx",
		"idivl %%ecx", "");
	check_begin(&c, "#DE idiv overflow");
	expect_trap(&c, &t, VEC_DE, 0, t.fip, ANY_CR2);
	check_end(&c);

	/* int3 is a trap: the saved RIP is the next instruction; flags come back */
	TRIGGER(t, "stc", "int3", "setc %b[post]");
	check_begin(&c, "#BP int3");
	expect_trap(&c, &t, VEC_BP, 0, t.nip, ANY_CR2);
	check_eq(&c, "CF restored by iretq", t.post, 1);
	check_end(&c);

	/* with RSP 8 mod 16 the CPU realigns before pushing the frame */
	TRIGGER(t, "pushq $0", "int3", "popq %%rax");
	check_begin(&c, "#BP int3 with misaligned RSP");
	expect_trap(&c, &t, VEC_BP, 0, t.nip, ANY_CR2);
	check_end(&c);

	TRIGGER(t, "", "int $0x40", "");
	check_begin(&c, "int 0x40");
	expect_trap(&c, &t, VEC_SOFT, 0, t.nip, ANY_CR2);
	check_end(&c);

	TRIGGER(t, "", "movq (%[va]), %%rax", "", [va] "r"(0x8000000000000000ul));
	check_begin(&c, "#GP non-canonical read");
	expect_trap(&c, &t, VEC_GP, 0, t.fip, ANY_CR2);
	check_end(&c);

	TRIGGER(t, "", "movl %%eax, 8(%[va])", "", [va] "r"(0x0000800000000000ul - 8));
	check_begin(&c, "#GP non-canonical write");
	expect_trap(&c, &t, VEC_GP, 0, t.fip, ANY_CR2);
	check_end(&c);
}
