/* Integer arithmetic and its flags on 8/16/32/64-bit operands. */
#include "check.h"

static void add_sub_tests(void)
{
	/* add: 32-bit results zero-extend, 8/16-bit ones keep the upper bits */
	ALU("add.l 7fffffff+1", "addl %k[b], %k[a]", 0xffffffff7fffffff, 1, 0,
	    0x80000000, OF | SF | AF | PF, M_ALL);
	ALU("add.l ffffffff+1", "addl %k[b], %k[a]", 0xffffffff, 1, 0,
	    0, CF | ZF | AF | PF, M_ALL);
	ALU("add.b 88+90", "addb %b[b], %b[a]", 0x1122334455667788, 0x90, 0,
	    0x1122334455667718, CF | OF | PF, M_ALL);
	ALU("add.w 7fff+1", "addw %w[b], %w[a]", 0xaaaaaaaaaaaa7fff, 1, 0,
	    0xaaaaaaaaaaaa8000, OF | SF | AF | PF, M_ALL);
	ALU("add.q 7fff..ff+1", "addq %[b], %[a]", 0x7fffffffffffffff, 1, 0,
	    0x8000000000000000, OF | SF | AF | PF, M_ALL);
	ALU("add.q -1+-1", "addq %[b], %[a]", 0xffffffffffffffff, 0xffffffffffffffff, 0,
	    0xfffffffffffffffe, CF | SF | AF, M_ALL);
	ALU("add.q imm8 -1", "addq $-1, %[a]", 0, 0, 0,
	    0xffffffffffffffff, SF | PF, M_ALL);
	ALU_RAX("add.l eax,imm32", "addl $0x12345678, %k[a]", 0xffffffff00000001, 0, 0,
		0x12345679, 0, M_ALL);
	ALU_RAX("add.b ah,al", "addb %%al, %%ah", 0x1111111111117f80, 0, 0,
		0x111111111111ff80, SF | PF, M_ALL);

	/* adc: carry in */
	ALU("adc.l ffffffff+0+CF", "adcl %k[b], %k[a]", 0xffffffff, 0, CF,
	    0, CF | ZF | AF | PF, M_ALL);
	ALU("adc.q 5+7+CF", "adcq %[b], %[a]", 5, 7, CF, 13, 0, M_ALL);
	ALU("adc.b 7f+0+CF", "adcb %b[b], %b[a]", 0x7f, 0, CF, 0x80, OF | SF | AF, M_ALL);
	ALU("adc.w ffff+ffff+CF", "adcw %w[b], %w[a]", 0x555555555555ffff, 0xffff, CF,
	    0x555555555555ffff, CF | SF | AF | PF, M_ALL);

	/* sub */
	ALU("sub.l 0-1", "subl %k[b], %k[a]", 0x1234567800000000, 1, 0,
	    0xffffffff, CF | SF | AF | PF, M_ALL);
	ALU("sub.l 80000000-1", "subl %k[b], %k[a]", 0x80000000, 1, 0,
	    0x7fffffff, OF | AF | PF, M_ALL);
	ALU("sub.q 5-5", "subq %[b], %[a]", 5, 5, 0, 0, ZF | PF, M_ALL);
	ALU("sub.w 0-8000", "subw %w[b], %w[a]", 0xffffffffffff0000, 0x8000, 0,
	    0xffffffffffff8000, CF | OF | SF | PF, M_ALL);
	ALU("sub.b 10-1", "subb %b[b], %b[a]", 0x10, 1, 0, 0x0f, AF | PF, M_ALL);
	ALU_RAX("sub.q rax,imm32", "subq $0x1000, %[a]", 0x1000, 0, 0, 0, ZF | PF, M_ALL);

	/* sbb: borrow in */
	ALU("sbb.l 0-0-CF", "sbbl %k[b], %k[a]", 0, 0, CF, 0xffffffff, CF | SF | AF | PF, M_ALL);
	ALU("sbb.q 10-3-CF", "sbbq %[b], %[a]", 10, 3, CF, 6, PF, M_ALL);
	ALU("sbb.b 80-0-CF", "sbbb %b[b], %b[a]", 0x80, 0, CF, 0x7f, OF | AF, M_ALL);

	/* cmp writes nothing, not even the upper half of a 32-bit operand */
	ALU("cmp.l 3,5", "cmpl %k[b], %k[a]", 0xffffffff00000003, 5, 0,
	    0xffffffff00000003, CF | SF | AF, M_ALL);
	ALU("cmp.q -1,1", "cmpq %[b], %[a]", 0xffffffffffffffff, 1, 0,
	    0xffffffffffffffff, SF, M_ALL);
	ALU("cmp.b 80,1", "cmpb %b[b], %b[a]", 0x80, 1, 0, 0x80, OF | AF, M_ALL);
	ALU("cmp.l imm8 equal", "cmpl $7, %k[a]", 7, 0, 0, 7, ZF | PF, M_ALL);

	/* neg */
	ALU("neg.l 0", "negl %k[a]", 0xffffffff00000000, 0, CF, 0, ZF | PF, M_ALL);
	ALU("neg.l 1", "negl %k[a]", 1, 0, 0, 0xffffffff, CF | SF | AF | PF, M_ALL);
	ALU("neg.l 80000000", "negl %k[a]", 0x80000000, 0, 0, 0x80000000, CF | OF | SF | PF, M_ALL);
	ALU("neg.b 80", "negb %b[a]", 0x1180, 0, 0, 0x1180, CF | OF | SF, M_ALL);
	ALU("neg.q 5", "negq %[a]", 5, 0, 0, 0xfffffffffffffffb, CF | SF | AF, M_ALL);

	/* inc/dec leave CF alone */
	ALU("inc.l 7fffffff keeps CF=1", "incl %k[a]", 0x7fffffff, 0, CF,
	    0x80000000, CF | OF | SF | AF | PF, M_ALL);
	ALU("inc.b ff", "incb %b[a]", 0xaaff, 0, 0, 0xaa00, ZF | AF | PF, M_ALL);
	ALU("inc.b ff keeps CF=1", "incb %b[a]", 0xff, 0, CF, 0, CF | ZF | AF | PF, M_ALL);
	ALU("dec.l 80000000", "decl %k[a]", 0x80000000, 0, 0, 0x7fffffff, OF | AF | PF, M_ALL);
	ALU("dec.q 1 keeps CF=1", "decq %[a]", 1, 0, CF, 0, CF | ZF | PF, M_ALL);
	ALU("dec.w 0", "decw %w[a]", 0x10000, 0, 0, 0x1ffff, SF | AF | PF, M_ALL);

	/* memory destinations and sources */
	ALU_MEM("add.q reg,mem", "addq %[b], (%[p])", 0x7fffffffffffffff, 1, 0,
		0x8000000000000000, OF | SF | AF | PF, M_ALL);
	ALU_MEM("add.b imm,mem", "addb $0x80, (%[p])", 0x1234567812345680, 0, 0,
		0x1234567812345600, CF | ZF | OF | PF, M_ALL);
	ALU_MEM("inc.w mem", "incw (%[p])", 0x11112222333344ff, 0, CF,
		0x1111222233334500, CF | AF | PF, M_ALL);
	ALU_MEM("sub.l mem,imm32", "subl $0x10000, (%[p])", 0xaaaaaaaa00000000, 0, 0,
		0xaaaaaaaaffff0000, CF | SF | PF, M_ALL);
	ALU_MEM("lock add.l", "lock addl %k[b], (%[p])", 0x00000001ffffffff, 1, 0,
		0x0000000100000000, CF | ZF | AF | PF, M_ALL);
	ALU_MEM("lock dec.q", "lock decq (%[p])", 1, 0, 0, 0, ZF | PF, M_ALL);
	{
		static volatile uint64_t m = 3;
		uint64_t r = 10, f = RFLAGS_FIXED;
		__asm__ volatile(WITH_FLAGS("subl (%[p]), %k[r]")
				 : [r] "+r"(r), [fl] "+r"(f) : [p] "r"(&m) : "cc", "memory");
		expect_alu("sub.l mem,reg", r, 7, f, 0, M_ALL);
	}
}

static void logic_tests(void)
{
	ALU("and.l clears CF,OF", "andl %k[b], %k[a]", 0xfffffffff0f0f0f0, 0x0f0f0f0f, CF | OF,
	    0, ZF | PF, M_LOGIC);
	ALU("and.q sign", "andq %[b], %[a]", 0x8000000000000000, 0xffffffffffffffff, 0,
	    0x8000000000000000, SF | PF, M_LOGIC);
	ALU("and.q imm8 -16", "andq $-16, %[a]", 0x123456789abcdef7, 0, 0,
	    0x123456789abcdef0, PF, M_LOGIC);
	ALU("and.l imm32", "andl $0x8000ffff, %k[a]", 0xffffffffffffffff, 0, 0,
	    0x8000ffff, SF | PF, M_LOGIC);
	ALU("or.b 1|2", "orb %b[b], %b[a]", 0xff01, 0x02, 0, 0xff03, PF, M_LOGIC);
	ALU("or.w 8000|1", "orw %w[b], %w[a]", 0x8000, 1, 0, 0x8001, SF, M_LOGIC);
	ALU_RAX("or.l eax,imm32", "orl $0x80000000, %k[a]", 0xffffffff00000001, 0, 0,
		0x80000001, SF, M_LOGIC);
	ALU("xor.l same value", "xorl %k[b], %k[a]", 0xdead000012345678, 0x12345678, 0,
	    0, ZF | PF, M_LOGIC);
	ALU("xor.q", "xorq %[b], %[a]", 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0,
	    0xf0f0f0f0f0f0f0f0, SF | PF, M_LOGIC);
	ALU("test.l 80000000", "testl %k[b], %k[a]", 0xffffffff80000000, 0x80000000, CF | OF,
	    0xffffffff80000000, SF | PF, M_LOGIC);
	ALU("test.b 0f,f0", "testb %b[b], %b[a]", 0x0f, 0xf0, 0, 0x0f, ZF | PF, M_LOGIC);
	ALU("not.q keeps flags", "notq %[a]", 0xff, 0, M_ALL,
	    0xffffffffffffff00, M_ALL, M_ALL);
	ALU("not.l zero-extends", "notl %k[a]", 0xffffffff0000ffff, 0, 0,
	    0xffff0000, 0, M_ALL);
}

/* One-operand mul/imul/div/idiv: RDX:RAX in, RDX:RAX out. */
#define MULDIV(name, insn, rax0, rdx0, src, want_rax, want_rdx, wantfl, mask) do {	\
	uint64_t a_ = (rax0), d_ = (rdx0), s_ = (src), f_ = RFLAGS_FIXED;		\
	struct check c_;								\
	__asm__ volatile(WITH_FLAGS(insn)						\
			 : "+a"(a_), "+d"(d_), [fl] "+r"(f_) : [b] "r"(s_) : "cc");	\
	check_begin(&c_, name);								\
	check_eq(&c_, "rax", a_, want_rax);						\
	check_eq(&c_, "rdx", d_, want_rdx);						\
	check_flags(&c_, f_, wantfl, mask);						\
	check_end(&c_);									\
} while (0)

static void muldiv_tests(void)
{
	MULDIV("mul.q", "mulq %[b]", 0xffffffffffffffff, 0, 2,
	       0xfffffffffffffffe, 1, CF | OF, M_MUL);
	MULDIV("mul.l", "mull %k[b]", 0xffffffff00010000, 0xdeadbeefdeadbeef, 0x10000,
	       0, 1, CF | OF, M_MUL);
	MULDIV("mul.l no overflow", "mull %k[b]", 3, 0xdeadbeefdeadbeef, 4, 12, 0, 0, M_MUL);
	MULDIV("mul.b", "mulb %b[b]", 0x1122334455660010, 0xdeadbeefdeadbeef, 0x10,
	       0x1122334455660100, 0xdeadbeefdeadbeef, CF | OF, M_MUL);
	MULDIV("mul.w", "mulw %w[b]", 0x1122334455660100, 0xffffffffffffffff, 0x100,
	       0x1122334455660000, 0xffffffffffff0001, CF | OF, M_MUL);

	MULDIV("imul.q -2*3", "imulq %[b]", 0xfffffffffffffffe, 0, 3,
	       0xfffffffffffffffa, 0xffffffffffffffff, 0, M_MUL);
	MULDIV("imul.l 40000000*2", "imull %k[b]", 0x40000000, 0xffffffffffffffff, 2,
	       0x80000000, 0, CF | OF, M_MUL);
	MULDIV("imul.b -1*-1", "imulb %b[b]", 0x12345678abcd00ff, 0, 0xff,
	       0x12345678abcd0001, 0, 0, M_MUL);

	ALU("imul2.q overflow", "imulq %[b], %[a]", 0x100000000, 0x100000000, 0, 0, CF | OF, M_MUL);
	ALU("imul2.l -3*7", "imull %k[b], %k[a]", 0xfffffffffffffffd, 7, CF | OF,
	    0xffffffeb, 0, M_MUL);
	ALU("imul2.w overflow", "imulw %w[b], %w[a]", 0xabcd000000000100, 0x100, 0,
	    0xabcd000000000000, CF | OF, M_MUL);
	{
		static volatile uint64_t m = 0xfffffffffffffffc;
		uint64_t r = 5, f = RFLAGS_FIXED | CF | OF;
		__asm__ volatile(WITH_FLAGS("imulq (%[p]), %[r]")
				 : [r] "+r"(r), [fl] "+r"(f) : [p] "r"(&m) : "cc", "memory");
		expect_alu("imul2.q mem", r, 0xffffffffffffffec, f, 0, M_MUL);
	}
	ALU("imul3.q imm8", "imulq $-5, %[b], %[a]", 0x5555, 7, 0,
	    0xffffffffffffffdd, 0, M_MUL);
	ALU("imul3.l imm32 overflow", "imull $0x10000, %k[b], %k[a]", 0xffffffffffffffff, 0x10000, 0,
	    0, CF | OF, M_MUL);
	ALU("imul3.w", "imulw $3, %w[b], %w[a]", 0xffffffffffffffff, 0x1000, CF | OF,
	    0xffffffffffff3000, 0, M_MUL);

	MULDIV("div.q 100/7", "divq %[b]", 100, 0, 7, 14, 2, 0, 0);
	MULDIV("div.q 128-bit dividend", "divq %[b]", 0, 1, 2, 0x8000000000000000, 0, 0, 0);
	MULDIV("div.l", "divl %k[b]", 0xffffffff00000000, 0xffffffff00000001, 0x10,
	       0x10000000, 0, 0, 0);
	MULDIV("div.w", "divw %w[b]", 0x1111111111110001, 0x2222222222220002, 3,
	       0x111111111111aaab, 0x2222222222220000, 0, 0);
	MULDIV("div.b", "divb %b[b]", 0x3333333333330107, 0x4444, 0x10,
	       0x3333333333330710, 0x4444, 0, 0);
	MULDIV("idiv.q -100/7", "idivq %[b]", 0xffffffffffffff9c, 0xffffffffffffffff, 7,
	       0xfffffffffffffff2, 0xfffffffffffffffe, 0, 0);
	MULDIV("idiv.l -7/2", "idivl %k[b]", 0xfffffff9, 0xffffffff, 2,
	       0xfffffffd, 0xffffffff, 0, 0);
	MULDIV("idiv.l 7/-2", "idivl %k[b]", 7, 0, 0xfffffffe, 0xfffffffd, 1, 0, 0);
	MULDIV("idiv.b -7/2", "idivb %b[b]", 0xaaaaaaaaaaaafff9, 0x5555, 2,
	       0xaaaaaaaaaaaafffd, 0x5555, 0, 0);
	MULDIV("idiv.w -1000/7", "idivw %w[b]", 0xfc18, 0xffff, 7, 0xff72, 0xfffa, 0, 0);
}

static void shift_tests(void)
{
	ALU("shl.q 1", "shlq $1, %[a]", 0x8000000000000001, 0, 0, 2, CF | OF, M_SHIFT1);
	ALU("shl.l 1 into sign", "shll $1, %k[a]", 0x40000000, 0, CF, 0x80000000, OF | SF | PF, M_SHIFT1);
	ALU("shr.l 1", "shrl $1, %k[a]", 0x80000001, 0, 0, 0x40000000, CF | OF | PF, M_SHIFT1);
	ALU("sar.l 1", "sarl $1, %k[a]", 0xffffffff80000001, 0, OF, 0xc0000000, CF | SF | PF, M_SHIFT1);
	ALU("sar.b 1", "sarb $1, %b[a]", 0x81, 0, 0, 0xc0, CF | SF | PF, M_SHIFT1);
	ALU("sar.q 63", "sarq $63, %[a]", 0x8000000000000000, 0, CF,
	    0xffffffffffffffff, SF | PF, M_SHIFTN);
	ALU("shl.b 3", "shlb $3, %b[a]", 0x1f1, 0, 0, 0x188, CF | SF | PF, M_SHIFTN);
	ALU("shr.w 4", "shrw $4, %w[a]", 0xffff123c, 0, 0, 0xffff0123, CF, M_SHIFTN);
	ALU_CL("shr.q cl=63", "shrq %%cl, %[a]", 0x8000000000000000, 63, CF, 1, 0, M_SHIFTN);
	ALU_CL("shl.l cl=33 masks to 1", "shll %%cl, %k[a]", 0x80000001, 33, 0, 2, CF | OF, M_SHIFT1);
	ALU_CL("shl.q cl=65 masks to 1", "shlq %%cl, %[a]", 0x8000000000000001, 65, 0, 2, CF | OF, M_SHIFT1);
	/* a masked count of 0 changes nothing, flags included */
	ALU_CL("shl.q cl=64 keeps flags", "shlq %%cl, %[a]", 0x1234, 64, M_ALL, 0x1234, M_ALL, M_ALL);
	ALU_CL("shr.q cl=0 keeps flags", "shrq %%cl, %[a]", 0x1234, 0, CF | ZF, 0x1234, CF | ZF, M_ALL);
	ALU_CL("sar.b cl=0 keeps flags", "sarb %%cl, %b[a]", 0x80, 0, SF | OF, 0x80, SF | OF, M_ALL);
	ALU_CL("rol.q cl=0 keeps flags", "rolq %%cl, %[a]", 0x8001, 0, CF | OF, 0x8001, CF | OF, M_ALL);
	ALU("shl.q imm 0 keeps flags", "shlq $0, %[a]", 0x5, 0, PF | AF, 0x5, PF | AF, M_ALL);

	/* rotates touch CF (and OF for count 1) only */
	ALU("rol.b 1", "rolb $1, %b[a]", 0x81, 0, ZF | SF | PF | AF, 0x03,
	    CF | OF | ZF | SF | PF | AF, M_ALL);
	ALU("ror.l 1", "rorl $1, %k[a]", 0xffffffff00000001, 0, 0, 0x80000000, CF | OF, M_ALL);
	ALU_CL("rol.q cl=4", "rolq %%cl, %[a]", 0xf000000000000001, 4, 0, 0x1f, CF, CF);
	ALU("ror.w 8", "rorw $8, %w[a]", 0xaaaa1234, 0, CF, 0xaaaa3412, 0, CF);
	ALU("rcl.q 1", "rclq $1, %[a]", 0x8000000000000000, 0, CF, 1, CF | OF, CF | OF);
	ALU("rcr.l 1", "rcrl $1, %k[a]", 2, 0, CF, 0x80000001, OF, CF | OF);

	ALU("shld.q 4", "shldq $4, %[b], %[a]", 1, 0xf000000000000000, 0, 0x1f, 0, M_SHIFTN);
	ALU("shrd.q 4", "shrdq $4, %[b], %[a]", 0x10, 0xf, 0, 0xf000000000000001, SF, M_SHIFTN);
}

static uint64_t lea_target;

static void lea_tests(void)
{
	uint64_t r, r2;

	__asm__("leaq 0x10(%1,%2,4), %0" : "=r"(r) : "r"(0x1000ul), "r"(0x20ul));
	expect_eq("lea base+index*4+disp8", r, 0x1090);
	__asm__("leaq 0x12345678(,%1,8), %0" : "=r"(r) : "r"(0x20ul));
	expect_eq("lea index*8+disp32, no base", r, 0x12345778);
	__asm__("leaq -8(%1), %0" : "=r"(r) : "r"(0x1000ul));
	expect_eq("lea negative disp", r, 0xff8);
	__asm__("leaq lea_target(%%rip), %0" : "=r"(r));
	expect_eq("lea rip-relative", r, (uint64_t)&lea_target);
	__asm__("leal (%1,%2), %k0" : "=r"(r) : "r"(0xfffffffffffffffful), "r"(2ul));
	expect_eq("lea.l 32-bit result", r, 1);
	__asm__("leaq (%k1,%k2), %0" : "=r"(r) : "r"(0xfffffffful), "r"(2ul));
	expect_eq("lea.q addr32 wraps", r, 1);
	r = 0x1111111111111111;
	__asm__("leaw 1(%1), %w0" : "+r"(r) : "r"(0xfffful));
	expect_eq("lea.w keeps upper bits", r, 0x1111111111110000);
	{
		uint64_t r3;
		struct check c;
		__asm__("movq $0x100, %%r13\n\tmovq $0x10, %%r12\n\t"
			"leaq 8(%%r13,%%r12,2), %0\n\t"
			"leaq (%%r13), %1\n\t"
			"leaq (%%r12), %2"
			: "=&r"(r), "=&r"(r2), "=&r"(r3) : : "r12", "r13");
		check_begin(&c, "lea r12/r13 bases");
		check_eq(&c, "8(r13,r12,2)", r, 0x128);
		check_eq(&c, "(r13)", r2, 0x100);
		check_eq(&c, "(r12)", r3, 0x10);
		check_end(&c);
	}
	__asm__("movq %%rsp, %0\n\tleaq 8(%%rsp), %1\n\tsubq %0, %1" : "=&r"(r2), "=&r"(r));
	expect_eq("lea rsp base", r, 8);
}

static void move_tests(void)
{
	uint64_t r;

	r = 0xffffffffffffffff;
	__asm__("movzbl %b1, %k0" : "+r"(r) : "r"(0xff80ul));
	expect_eq("movzx.bl", r, 0x80);
	r = 0xffffffffffffffff;
	__asm__("movzwq %w1, %0" : "+r"(r) : "r"(0x18000ul));
	expect_eq("movzx.wq", r, 0x8000);
	r = 0x2222222222222222;
	__asm__("movzbw %b1, %w0" : "+r"(r) : "r"(0x80ul));
	expect_eq("movzx.bw keeps upper bits", r, 0x2222222222220080);
	__asm__("movsbq %b1, %0" : "=r"(r) : "r"(0x80ul));
	expect_eq("movsx.bq", r, 0xffffffffffffff80);
	r = 0xffffffffffffffff;
	__asm__("movswl %w1, %k0" : "+r"(r) : "r"(0x8000ul));
	expect_eq("movsx.wl zero-extends", r, 0xffff8000);
	r = 0x1111111111111111;
	__asm__("movsbw %b1, %w0" : "+r"(r) : "r"(0xfful));
	expect_eq("movsx.bw keeps upper bits", r, 0x111111111111ffff);
	__asm__("movslq %k1, %0" : "=r"(r) : "r"(0x80000000ul));
	expect_eq("movsxd negative", r, 0xffffffff80000000);
	__asm__("movslq %k1, %0" : "=r"(r) : "r"(0xffffffff7ffffffful));
	expect_eq("movsxd positive", r, 0x7fffffff);
	{
		static volatile uint64_t m = 0xfedcba9876543280;
		__asm__ volatile("movsbq (%1), %0" : "=r"(r) : "r"(&m) : "memory");
		expect_eq("movsx.bq mem", r, 0xffffffffffffff80);
		__asm__ volatile("movzwl 6(%1), %k0" : "=r"(r) : "r"(&m) : "memory");
		expect_eq("movzx.wl mem", r, 0xfedc);
	}

	r = 0xffffffffffffffff;
	__asm__("movl %k1, %k0" : "+r"(r) : "r"(0x80000000ul));
	expect_eq("mov.l zero-extends", r, 0x80000000);
	r = 0xffffffff12345678;
	__asm__("movl %k0, %k0" : "+r"(r));
	expect_eq("mov.l self zero-extends", r, 0x12345678);
	r = 0x1111111111111111;
	__asm__("movw %w1, %w0" : "+r"(r) : "r"(0xabcdul));
	expect_eq("mov.w keeps upper bits", r, 0x111111111111abcd);
	r = 0x1111111111111111;
	__asm__("movb %b1, %b0" : "+r"(r) : "r"(0xabul));
	expect_eq("mov.b keeps upper bits", r, 0x11111111111111ab);
	r = 0x1111111111111111;
	__asm__("movl $-1, %k0" : "+r"(r));
	expect_eq("mov.l imm zero-extends", r, 0xffffffff);
	__asm__("movq $-2, %0" : "=r"(r));
	expect_eq("mov.q imm32 sign-extends", r, 0xfffffffffffffffe);
	__asm__("movabsq $0x123456789abcdef0, %0" : "=r"(r));
	expect_eq("movabs imm64", r, 0x123456789abcdef0);
	{
		/* Without REX, byte register 4-7 are AH..BH; with REX, SPL..DIL. */
		uint64_t ah, sil;
		__asm__("movq $0x2211, %%rax\n\tmovq $0x33, %%rsi\n\t"
			"movb %%ah, %%cl\n\tmovzbl %%cl, %k0\n\t"
			"movb %%sil, %%dl\n\tmovzbl %%dl, %k1"
			: "=&r"(ah), "=&r"(sil) : : "rax", "rsi", "rcx", "rdx");
		struct check c;
		check_begin(&c, "mov.b ah vs sil (REX)");
		check_eq(&c, "ah", ah, 0x22);
		check_eq(&c, "sil", sil, 0x33);
		check_end(&c);
	}
	r = 0xffffffff12345678;
	__asm__("bswapl %k0" : "+r"(r));
	expect_eq("bswap.l", r, 0x78563412);
	r = 0x0102030405060708;
	__asm__("bswapq %0" : "+r"(r));
	expect_eq("bswap.q", r, 0x0807060504030201);
}

/* cbw/cwde/cdqe, cwd/cdq/cqo */
#define CONV(name, insn, rax0, rdx0, want_rax, want_rdx) do {		\
	uint64_t a_ = (rax0), d_ = (rdx0);				\
	struct check c_;						\
	__asm__(insn : "+a"(a_), "+d"(d_));				\
	check_begin(&c_, name);						\
	check_eq(&c_, "rax", a_, want_rax);				\
	check_eq(&c_, "rdx", d_, want_rdx);				\
	check_end(&c_);							\
} while (0)

static void convert_tests(void)
{
	CONV("cbw", "cbtw", 0x1234567812345680, 0x5555, 0x123456781234ff80, 0x5555);
	CONV("cwde", "cwtl", 0x1234567812348000, 0x5555, 0xffff8000, 0x5555);
	CONV("cdqe", "cltq", 0x1234567880000000, 0x5555, 0xffffffff80000000, 0x5555);
	CONV("cwd", "cwtd", 0x8000, 0x1234567812345678, 0x8000, 0x123456781234ffff);
	CONV("cdq", "cltd", 0x80000000, 0x1234567812345678, 0x80000000, 0xffffffff);
	CONV("cdq positive", "cltd", 0x7fffffff, 0x1234567812345678, 0x7fffffff, 0);
	CONV("cqo", "cqto", 0x8000000000000000, 0, 0x8000000000000000, 0xffffffffffffffff);
	CONV("cqo positive", "cqto", 0x7fffffffffffffff, 0x1234, 0x7fffffffffffffff, 0);
}

void arith_tests(void)
{
	add_sub_tests();
	logic_tests();
	muldiv_tests();
	shift_tests();
	lea_tests();
	move_tests();
	convert_tests();
}
