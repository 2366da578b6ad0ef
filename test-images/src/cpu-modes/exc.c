/*
 * Exceptions: #DF from a fault while delivering another, #NP for a
 * not-present gate, #SS for a non-canonical stack address, #GP for a
 * non-canonical address, #UD for LOCK where it is not allowed; the frame
 * each one leaves (RIP, CS, RSP, SS, the stack the handler ran on).
 */
#include "cm.h"

#define NONCANON	0x8000000000000000ul

void exception_tests(void)
{
	struct check c;
	struct expect e;
	uint64_t n, fip, sp;

	/*
	 * #PF whose delivery faults: the #PF gate uses IST 4, which points into a
	 * not-present page, so pushing the frame is a second #PF: #DF (IST 1).
	 */
	tss.ist[3] = (uint64_t)absent_page + 4096;
	set_gate(VEC_PF, 0, 4, 1);
	KTRAP(n, fip, sp, "", "movq (%[a]), %%rax", [a] "r"(absent_page + 0x10));
	set_gate(VEC_PF, 0, 0, 1);
	tss.ist[3] = ist_top[3];
	check_begin(&c, "#DF: #PF while delivering #PF (its IST stack not present)");
	e = (struct expect){ VEC_DF, 0, ANY, SEL_CODE64, SEL_DATA, sp, ANY, ist_top[0], ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	/* #GP whose gate is not present: #NP while delivering #GP, both contributory: #DF */
	set_gate(VEC_GP, 0, 0, 0);
	KTRAP(n, fip, sp, "", "movq (%[a]), %%rax", [a] "r"(NONCANON));
	set_gate(VEC_GP, 0, 0, 1);
	check_begin(&c, "#DF: #NP while delivering #GP (its gate not present)");
	e = (struct expect){ VEC_DF, 0, ANY, SEL_CODE64, SEL_DATA, sp, ANY, ist_top[0], ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	KTRAP(n, fip, sp, "", "int $0x82", "i"(0));
	check_begin(&c, "#NP: int 0x82 through a not-present gate, error 0x82*8+2");
	e = (struct expect){ VEC_NP, VEC_ABSENT * 8 + 2, fip, SEL_CODE64, SEL_DATA, sp, ANY, sp & ~15ul, ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	KTRAP(n, fip, sp, "movabsq $0x8000000000000000, %%rsp", "pushq %%rax", "i"(0));
	check_begin(&c, "#SS(0): push with a non-canonical RSP (#SS on IST 2)");
	e = (struct expect){ VEC_SS, 0, fip, SEL_CODE64, SEL_DATA, NONCANON, ANY, ist_top[1], ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	KTRAP(n, fip, sp, "movabsq $0x7fffffffffff8, %%rsp", "movq 8(%%rsp), %%rax", "i"(0));
	check_begin(&c, "#SS(0): mov 8(%rsp) reaching a non-canonical address");
	e = (struct expect){ VEC_SS, 0, fip, SEL_CODE64, SEL_DATA, 0x7fffffffffff8, ANY, ist_top[1], ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	KTRAP(n, fip, sp, "", "movq (%[a]), %%rax", [a] "r"(NONCANON));
	check_begin(&c, "#GP(0): read at a non-canonical address");
	e = (struct expect){ VEC_GP, 0, fip, SEL_CODE64, SEL_DATA, sp, ANY, sp & ~15ul, ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	KTRAP(n, fip, sp, "", ".byte 0xf0, 0x01, 0xc3", "i"(0));	/* lock add %eax, %ebx */
	check_begin(&c, "#UD: LOCK on a register-only add");
	e = (struct expect){ VEC_UD, 0, fip, SEL_CODE64, SEL_DATA, sp, ANY, sp & ~15ul, ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	static volatile uint32_t scratch;
	KTRAP(n, fip, sp, "", ".byte 0xf0\n\tmovl %%eax, (%[a])", [a] "r"(&scratch));	/* lock mov */
	check_begin(&c, "#UD: LOCK on mov to memory");
	e = (struct expect){ VEC_UD, 0, fip, SEL_CODE64, SEL_DATA, sp, ANY, sp & ~15ul, ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	KTRAP(n, fip, sp, "pushq $0x8d5\n\tpopfq", "movq (%[a]), %%rax", [a] "r"(NONCANON));
	check_begin(&c, "#GP frame: saved RFLAGS");
	e = (struct expect){ VEC_GP, 0, fip, SEL_CODE64, SEL_DATA, sp, 0x8d7, ANY, ANY };
	expect_trap(&c, n, &e);
	check_end(&c);
}
