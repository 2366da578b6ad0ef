/* Calls, returns, indirect branches, stack frames, push/pop forms. */
#include "check.h"

/* Targets for indirect calls: leaf functions that only touch RAX. */
__asm__(
	".text\n"
	"ret42:\n\t"
	"movl $42, %eax\n\t"
	"ret\n"
	"ret_imm8:\n\t"		/* returns and drops one 8-byte argument */
	"movq 8(%rsp), %rax\n\t"
	"ret $8\n");
void ret42(void);
void ret_imm8(void);

static void (*volatile ret42_ptr)(void) = ret42;

static const char jump_names[][4] = { "j0", "j1", "j2", "j3" };

static void call_jump_tests(void)
{
	uint64_t r, r2, sp0, sp1;
	struct check c;

	__asm__ volatile("call 1f\n\tjmp 2f\n1:\n\tmovl $7, %k0\n\tret\n2:" : "=&r"(r) : : "memory");
	expect_eq("call rel32/ret", r, 7);

	__asm__ volatile("call 1f\n1:\n\tpopq %0\n\tleaq 1b(%%rip), %1" : "=&r"(r), "=&r"(r2));
	expect_eq("call pushes the return address", r, r2);

	__asm__ volatile("call *%1" : "=a"(r) : "r"(ret42) : "memory");
	expect_eq("call reg", r, 42);

	__asm__ volatile("call *(%1)" : "=a"(r) : "r"(&ret42_ptr) : "memory");
	expect_eq("call mem", r, 42);

	__asm__ volatile("call *ret42_ptr(%%rip)" : "=a"(r) : : "memory");
	expect_eq("call mem rip-relative", r, 42);

	__asm__ volatile("movq %%rsp, %[sp0]\n\t"
			 "pushq $0x77\n\t"
			 "call ret_imm8\n\t"
			 "movq %%rsp, %[sp1]"
			 : "=a"(r), [sp0] "=&r"(sp0), [sp1] "=&r"(sp1) : : "memory");
	check_begin(&c, "ret imm16");
	check_eq(&c, "rax", r, 0x77);
	check_eq(&c, "rsp change", sp1 - sp0, 0);
	check_end(&c);

	__asm__ volatile("leaq 1f(%%rip), %0\n\t"
			 "jmp *%0\n\t"
			 "movl $0, %k0\n\t"
			 "jmp 2f\n"
			 "1:\n\tmovl $1, %k0\n"
			 "2:" : "=&r"(r));
	expect_eq("jmp reg", r, 1);

	/* jump table through an absolute SIB address, as a switch compiles to */
	for (unsigned i = 0; i < 4; i++) {
		__asm__ volatile("jmp *3f(,%1,8)\n\t"
				 ".pushsection .rodata\n\t.align 8\n3:\n\t"
				 ".quad 10f, 11f, 12f, 13f\n\t"
				 ".popsection\n"
				 "10:\n\tmovl $100, %k0\n\tjmp 4f\n"
				 "11:\n\tmovl $101, %k0\n\tjmp 4f\n"
				 "12:\n\tmovl $102, %k0\n\tjmp 4f\n"
				 "13:\n\tmovl $103, %k0\n"
				 "4:" : "=r"(r) : "r"((uint64_t)i));
		if (r != 100 + i) {
			kprintf("FAIL jmp mem (table): entry %s gave %lu\n", jump_names[i], r);
			checks_failed++;
			return;
		}
	}
	check_pass_note("jmp mem", "4-entry table");

	r = 0;
	__asm__ volatile("movl $5, %%ecx\n1:\n\tincq %0\n\tloop 1b" : "+r"(r) : : "rcx");
	expect_eq("loop", r, 5);

	__asm__ volatile("xorl %%ecx, %%ecx\n\tmovl $1, %k0\n\tjrcxz 1f\n\tmovl $0, %k0\n1:"
			 : "=&r"(r) : : "rcx");
	expect_eq("jrcxz taken", r, 1);
}

static void stack_tests(void)
{
	uint64_t sp0, bp0, sp_in, bp_in, saved, sp_out, bp_out, link;
	struct check c;

	__asm__ volatile("movq %%rsp, %[sp0]\n\t"
			 "movq %%rbp, %[bp0]\n\t"
			 "enter $32, $0\n\t"
			 "movq %%rsp, %[sp_in]\n\t"
			 "movq %%rbp, %[bp_in]\n\t"
			 "movq (%%rbp), %[saved]\n\t"
			 "leave\n\t"
			 "movq %%rsp, %[sp_out]\n\t"
			 "movq %%rbp, %[bp_out]"
			 : [sp0] "=&r"(sp0), [bp0] "=&r"(bp0), [sp_in] "=&r"(sp_in),
			   [bp_in] "=&r"(bp_in), [saved] "=&r"(saved), [sp_out] "=&r"(sp_out),
			   [bp_out] "=&r"(bp_out) : : "rbp", "memory");
	check_begin(&c, "enter/leave");
	check_eq(&c, "rbp inside - rsp before", sp0 - bp_in, 8);
	check_eq(&c, "rsp inside - rsp before", sp0 - sp_in, 40);
	check_eq(&c, "saved rbp", saved, bp0);
	check_eq(&c, "rsp after", sp_out, sp0);
	check_eq(&c, "rbp after", bp_out, bp0);
	check_end(&c);

	/* level 1: the new frame pointer is also pushed, as the display */
	__asm__ volatile("movq %%rsp, %[sp0]\n\t"
			 "movq %%rbp, %[bp0]\n\t"
			 "enter $16, $1\n\t"
			 "movq %%rsp, %[sp_in]\n\t"
			 "movq %%rbp, %[bp_in]\n\t"
			 "movq -8(%%rbp), %[link]\n\t"
			 "movq (%%rbp), %[saved]\n\t"
			 "leave\n\t"
			 "movq %%rsp, %[sp_out]\n\t"
			 "movq %%rbp, %[bp_out]"
			 : [sp0] "=&r"(sp0), [bp0] "=&r"(bp0), [sp_in] "=&r"(sp_in),
			   [bp_in] "=&r"(bp_in), [saved] "=&r"(saved), [sp_out] "=&r"(sp_out),
			   [bp_out] "=&r"(bp_out), [link] "=&r"(link) : : "rbp", "memory");
	check_begin(&c, "enter level 1");
	check_eq(&c, "rbp inside - rsp before", sp0 - bp_in, 8);
	check_eq(&c, "rsp inside - rsp before", sp0 - sp_in, 32);
	check_eq(&c, "display entry", link, bp_in);
	check_eq(&c, "saved rbp", saved, bp0);
	check_eq(&c, "rsp after", sp_out, sp0);
	check_eq(&c, "rbp after", bp_out, bp0);
	check_end(&c);

	{
		uint64_t a, b, w = 0xffffffffffff0000, sp1;
		__asm__ volatile("movq %%rsp, %[sp0]\n\t"
				 "pushq $-1\n\t"
				 "pushq $0x12345678\n\t"
				 "pushw $0x1234\n\t"
				 "popw %w[w]\n\t"
				 "popq %[b]\n\t"
				 "popq %[a]\n\t"
				 "movq %%rsp, %[sp1]"
				 : [sp0] "=&r"(sp0), [sp1] "=&r"(sp1), [a] "=&r"(a), [b] "=&r"(b),
				   [w] "+&r"(w) : : "memory");
		check_begin(&c, "push imm8/imm32/imm16");
		check_eq(&c, "imm8 -1", a, 0xffffffffffffffff);
		check_eq(&c, "imm32", b, 0x12345678);
		check_eq(&c, "pushw/popw", w, 0xffffffffffff1234);
		check_eq(&c, "rsp", sp1, sp0);
		check_end(&c);
	}
	{
		static volatile uint64_t m[2] = { 0xfeedfacecafebeef, 0 };
		__asm__ volatile("pushq (%0)\n\tpopq 8(%0)" : : "r"(m) : "memory");
		expect_eq("push mem/pop mem", m[1], 0xfeedfacecafebeef);
	}
	{
		uint64_t r, sp;
		__asm__ volatile("movq %%rsp, %1\n\tpushq %%rsp\n\tpopq %0" : "=&r"(r), "=&r"(sp));
		expect_eq("push rsp pushes the old value", r - sp, 0);
		/* pop to memory addressed by RSP uses RSP after the pop */
		__asm__ volatile("pushq $5\n\tpushq $7\n\tpopq (%%rsp)\n\tpopq %0" : "=r"(r) : : "memory");
		expect_eq("pop (rsp)", r, 7);
		__asm__ volatile("pushq $3\n\tpushq $9\n\tmovq %%rsp, %1\n\tpopq %%rsp\n\t"
				 "movq %%rsp, %0\n\tmovq %1, %%rsp\n\taddq $16, %%rsp"
				 : "=&r"(r), "=&r"(sp) : : "memory");
		expect_eq("pop rsp", r, 9);
	}
}

/* Plain recursion: fib(20) = 6765, ackermann(2, 3) = 9. */
static __attribute__((noinline)) uint64_t fib(uint64_t n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static __attribute__((noinline)) uint64_t ackermann(uint64_t m, uint64_t n)
{
	if (m == 0)
		return n + 1;
	if (n == 0)
		return ackermann(m - 1, 1);
	return ackermann(m - 1, ackermann(m, n - 1));
}

static void recursion_tests(void)
{
	volatile uint64_t n = 20, m = 2, k = 3;
	expect_eq("recursion fib(20)", fib(n), 6765);
	expect_eq("recursion ackermann(2,3)", ackermann(m, k), 9);
}

void control_tests(void)
{
	call_jump_tests();
	stack_tests();
	recursion_tests();
}
