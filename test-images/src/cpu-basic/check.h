/*
 * Self-checking harness: one "PASS name" or "FAIL name: details" line per
 * check on COM1, a summary at the end. Expected values are written out from
 * the architecture definition (Intel SDM / AMD APM), not computed by the CPU
 * under test.
 */
#ifndef CPU_BASIC_CHECK_H
#define CPU_BASIC_CHECK_H

#include "io.h"

/* RFLAGS bits */
#define CF	0x001ul
#define PF	0x004ul
#define AF	0x010ul
#define ZF	0x040ul
#define SF	0x080ul
#define DF	0x400ul
#define OF	0x800ul
#define RFLAGS_FIXED	0x002ul		/* bit 1 always reads 1 */

/* Which flags an instruction defines (the others are undefined, not checked). */
#define M_ALL		(CF | PF | AF | ZF | SF | OF)
#define M_LOGIC		(CF | PF | ZF | SF | OF)		/* AF undefined */
#define M_SHIFT1	(CF | PF | ZF | SF | OF)		/* count 1; AF undefined */
#define M_SHIFTN	(CF | PF | ZF | SF)		/* count > 1: OF undefined too */
#define M_MUL		(CF | OF)

struct check {
	const char *name;
	unsigned errors;
};

void check_begin(struct check *c, const char *name);
/* Records a mismatch; the first one opens the FAIL line. */
void check_eq(struct check *c, const char *what, uint64_t got, uint64_t want);
void check_flags(struct check *c, uint64_t got, uint64_t want, uint64_t mask);
void check_true(struct check *c, const char *what, int ok);
/* Prints PASS (or ends the FAIL line) and counts the check. */
void check_end(struct check *c);
void check_pass_note(const char *name, const char *note);

/* One-shot checks. */
void expect_eq(const char *name, uint64_t got, uint64_t want);
void expect_alu(const char *name, uint64_t got, uint64_t want,
		uint64_t flags, uint64_t want_flags, uint64_t mask);

extern unsigned checks_passed, checks_failed;

void arith_tests(void);
void bits_tests(void);
void string_tests(void);
void control_tests(void);
void system_tests(void);
void paging_tests(void);
void exception_tests(void);
void idt_install(void);

/* Flags in, instruction, flags out: "push f; popfq; INSN; pushfq; pop f". */
#define WITH_FLAGS(insn)	"pushq %[fl]\n\tpopfq\n\t" insn "\n\tpushfq\n\tpopq %[fl]"

/*
 * ALU(name, insn, a, b, flags_in, want_a, want_flags, mask): runs insn with
 * operands %[a] (read-write) and %[b] (read), full 64-bit registers, so
 * partial-register writes and zero-extension are checked too.
 */
#define ALU_RUN(cons_a, name, insn, a0, b0, fin, want, wantfl, mask) do {		\
	uint64_t a_ = (a0), b_ = (b0), f_ = (fin) | RFLAGS_FIXED;			\
	__asm__ volatile(WITH_FLAGS(insn)						\
			 : [a] cons_a(a_), [fl] "+r"(f_) : [b] "r"(b_) : "cc", "memory");	\
	expect_alu(name, a_, want, f_, wantfl, mask);					\
} while (0)
#define ALU(...)	ALU_RUN("+r", __VA_ARGS__)
#define ALU_RAX(...)	ALU_RUN("+a", __VA_ARGS__)	/* accumulator-only encodings */
#define ALU_CL(name, insn, a0, count, fin, want, wantfl, mask) do {			\
	uint64_t a_ = (a0), c_ = (count), f_ = (fin) | RFLAGS_FIXED;			\
	__asm__ volatile(WITH_FLAGS(insn)						\
			 : [a] "+r"(a_), [fl] "+r"(f_) : [b] "c"(c_) : "cc", "memory");	\
	expect_alu(name, a_, want, f_, wantfl, mask);					\
} while (0)

/* Memory operand at (%[p]) (a 64-bit global), register operand %[b]. */
#define ALU_MEM(name, insn, m0, b0, fin, want, wantfl, mask) do {			\
	static volatile uint64_t m_;							\
	uint64_t b_ = (b0), f_ = (fin) | RFLAGS_FIXED;					\
	m_ = (m0);									\
	__asm__ volatile(WITH_FLAGS(insn)						\
			 : [fl] "+r"(f_) : [p] "r"(&m_), [b] "r"(b_) : "cc", "memory");	\
	expect_alu(name, m_, want, f_, wantfl, mask);					\
} while (0)

#endif
