/*
 * FXSAVE/FXRSTOR and XSAVE/XRSTOR/XSAVEOPT layouts (SDM vol. 1, 10.5.1 and
 * chapter 13) with x87 and SSE state set by inline assembly (the C code
 * itself is built without SSE/x87), and their alignment and MXCSR faults.
 */
#include "cm.h"

static uint8_t fx1[512] __attribute__((aligned(64)));
static uint8_t fx2[512] __attribute__((aligned(64)));
static uint8_t xs[4096] __attribute__((aligned(64)));
static const uint64_t pat[4] = { 0x0123456789abcdef, 0xfedcba9876543210, 0x1111222233334444, 0x5555666677778888 };

#define PI_MANT		0xc90fdaa22168c235ul	/* FLDPI, round to nearest */
#define PI_EXP		0x4000
#define ONE_MANT	0x8000000000000000ul
#define ONE_EXP		0x3fff
#define MXCSR_RD	0x3f80			/* all masked, round down */

#define U16(p, off)	(*(volatile uint16_t *)((p) + (off)))
#define U32(p, off)	(*(volatile uint32_t *)((p) + (off)))
#define U64(p, off)	(*(volatile uint64_t *)((p) + (off)))

static void fxsave(uint8_t *a)
{
	__asm__ volatile("fxsave (%0)" : : "r"(a) : "memory");
}

static void fxrstor(uint8_t *a)
{
	__asm__ volatile("fxrstor (%0)" : : "r"(a) : "memory");
}

static void xsave(uint8_t *a)
{
	__asm__ volatile("xsave (%0)" : : "r"(a), "a"(-1), "d"(-1) : "memory");
}

static void xsaveopt(uint8_t *a)
{
	__asm__ volatile("xsaveopt (%0)" : : "r"(a), "a"(-1), "d"(-1) : "memory");
}

static void xrstor(uint8_t *a)
{
	__asm__ volatile("xrstor (%0)" : : "r"(a), "a"(-1), "d"(-1) : "memory");
}

/* The x87 and SSE state this file saves: ST0 = pi, ST1 = 1, XMM0/1 = pat, MXCSR round-down */
static void load_known_state(void)
{
	uint32_t mx = MXCSR_RD;
	__asm__ volatile("fninit\n\t"
			 "fld1\n\t"
			 "fldpi\n\t"
			 "movdqu (%0), %%xmm0\n\t"
			 "movdqu 16(%0), %%xmm1\n\t"
			 "ldmxcsr %1"
			 : : "r"(pat), "m"(mx) : "memory");
}

static void clobber_state(void)
{
	uint32_t mx = 0x1f80;
	__asm__ volatile("fninit\n\tpxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\tldmxcsr %0" : : "m"(mx));
}

/* The fields of a legacy region that hold state (no FOP/FIP/FDP) */
static void check_same_state(struct check *c, const uint8_t *a, const uint8_t *b)
{
	check_eq(c, "FCW", U16(a, 0), U16(b, 0));
	check_eq(c, "FSW", U16(a, 2), U16(b, 2));
	check_eq(c, "FTW", a[4], b[4]);
	check_eq(c, "MXCSR", U32(a, 24), U32(b, 24));
	for (int off = 32; off < 416; off += 8)
		if (U64(a, off) != U64(b, off)) {
			check_eq(c, "ST/XMM qword at offset", off, ~0ul);
			break;
		}
}

void xsave_tests(void)
{
	struct check c;
	struct expect e;
	uint64_t n, fip, sp;
	uint32_t r[4];

	cpuid(1, 0, r);
	if (!((r[3] >> 24) & 1)) {
		skip("fxsave", "CPUID.1:EDX.FXSR clear");
		return;
	}
	write_cr0(read_cr0() & ~0xcul);		/* EM, TS off */
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);

	load_known_state();
	fxsave(fx1);
	check_begin(&c, "fxsave image after fninit; fld1; fldpi; XMM0/1; ldmxcsr");
	check_eq(&c, "FCW (0)", U16(fx1, 0), 0x037f);
	check_eq(&c, "FSW (2) & (TOP|exceptions)", U16(fx1, 2) & 0x387f, 0x3000);
	check_eq(&c, "abridged FTW (4)", fx1[4], 0xc0);
	check_eq(&c, "MXCSR (24)", U32(fx1, 24), MXCSR_RD);
	check_eq(&c, "MXCSR_MASK (28) & 0xffbf", U32(fx1, 28) & 0xffbf, 0xffbf);
	check_eq(&c, "ST0 significand (32)", U64(fx1, 32), PI_MANT);
	check_eq(&c, "ST0 sign/exponent (40)", U16(fx1, 40), PI_EXP);
	check_eq(&c, "ST1 significand (48)", U64(fx1, 48), ONE_MANT);
	check_eq(&c, "ST1 sign/exponent (56)", U16(fx1, 56), ONE_EXP);
	check_eq(&c, "XMM0 low (160)", U64(fx1, 160), pat[0]);
	check_eq(&c, "XMM0 high (168)", U64(fx1, 168), pat[1]);
	check_eq(&c, "XMM1 low (176)", U64(fx1, 176), pat[2]);
	check_eq(&c, "XMM1 high (184)", U64(fx1, 184), pat[3]);
	check_end(&c);

	clobber_state();
	fxrstor(fx1);
	memset(fx2, 0, sizeof(fx2));
	fxsave(fx2);
	check_begin(&c, "fxrstor/fxsave round trip");
	check_same_state(&c, fx2, fx1);
	check_end(&c);

	KTRAP(n, fip, sp, "", "fxsave (%[a])", [a] "r"(fx2 + 8));
	check_begin(&c, "fxsave to a 16-byte misaligned area -> #GP(0)");
	e = (struct expect){ VEC_GP, 0, fip, SEL_CODE64, SEL_DATA, sp, ANY, ANY, ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	static volatile uint32_t bad_mx = 0x11f80;
	KTRAP(n, fip, sp, "", "ldmxcsr (%[a])", [a] "r"(&bad_mx));
	check_begin(&c, "ldmxcsr with reserved bit 16 -> #GP(0)");
	e = (struct expect){ VEC_GP, 0, fip, SEL_CODE64, SEL_DATA, sp, ANY, ANY, ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	if (!((r[2] >> 26) & 1)) {
		skip("xsave", "CPUID.1:ECX.XSAVE clear");
		return;
	}
	write_cr4(read_cr4() | CR4_OSXSAVE);
	cpuid(1, 0, r);
	check_begin(&c, "CR4.OSXSAVE shows in CPUID.1:ECX.OSXSAVE");
	check_eq(&c, "ECX[27]", (r[2] >> 27) & 1, 1);
	check_end(&c);

	uint32_t lo, hi;
	__asm__ volatile("xsetbv" : : "c"(0), "a"(3), "d"(0));
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	cpuid(0xd, 0, r);
	check_begin(&c, "xsetbv XCR0=3; CPUID 0xD sizes");
	check_eq(&c, "XCR0", (uint64_t)hi << 32 | lo, 3);
	check_eq(&c, "0xD.0:EAX & 3", r[0] & 3, 3);
	check_eq(&c, "0xD.0:EBX (size for XCR0)", r[1], 576);
	check_true(&c, "0xD.0:ECX < EBX", r[2] >= r[1]);
	check_end(&c);

	KTRAP(n, fip, sp, "xorl %%ecx, %%ecx\n\tmovl $2, %%eax\n\txorl %%edx, %%edx", "xsetbv", "i"(0));
	check_begin(&c, "xsetbv XCR0=2 (x87 bit clear) -> #GP(0)");
	e = (struct expect){ VEC_GP, 0, fip, SEL_CODE64, SEL_DATA, sp, ANY, ANY, ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	load_known_state();
	memset(xs, 0, sizeof(xs));
	xsave(xs);
	check_begin(&c, "xsave (mask all ones): XSTATE_BV and the legacy region");
	check_eq(&c, "XSTATE_BV (512)", U64(xs, 512), 3);
	check_eq(&c, "XCOMP_BV (520) untouched", U64(xs, 520), 0);
	check_same_state(&c, xs, fx1);
	check_end(&c);

	/* XSTATE_BV[1] clear: XRSTOR puts SSE in its initial state (XMM zero), MXCSR still loaded */
	clobber_state();
	U64(xs, 512) = 1;
	xrstor(xs);
	fxsave(fx2);
	check_begin(&c, "xrstor with XSTATE_BV=1 initialises XMM, restores x87 and MXCSR");
	check_eq(&c, "XMM0 low", U64(fx2, 160), 0);
	check_eq(&c, "XMM1 high", U64(fx2, 184), 0);
	check_eq(&c, "MXCSR", U32(fx2, 24), MXCSR_RD);
	check_eq(&c, "ST0 significand", U64(fx2, 32), PI_MANT);
	check_eq(&c, "FTW", fx2[4], 0xc0);
	check_end(&c);

	/* XSTATE_BV[0] clear: x87 initial state (FCW 0x37f, empty, registers zero), SSE restored */
	U64(xs, 512) = 2;
	xrstor(xs);
	fxsave(fx2);
	check_begin(&c, "xrstor with XSTATE_BV=2 initialises x87, restores XMM");
	check_eq(&c, "FCW", U16(fx2, 0), 0x037f);
	check_eq(&c, "FSW", U16(fx2, 2), 0);
	check_eq(&c, "FTW", fx2[4], 0);
	check_eq(&c, "ST0 significand", U64(fx2, 32), 0);
	check_eq(&c, "XMM0 low", U64(fx2, 160), pat[0]);
	check_eq(&c, "XMM1 high", U64(fx2, 184), pat[3]);
	check_end(&c);

	U64(xs, 512) = 3;
	xrstor(xs);
	static uint8_t xo[1024] __attribute__((aligned(64)));
	xsaveopt(xo);
	check_begin(&c, "xsaveopt of state in use");
	check_eq(&c, "XSTATE_BV", U64(xo, 512), 3);
	check_same_state(&c, xo, fx1);
	check_end(&c);

	/* SSE in its initial state: XSAVEOPT may leave its area alone, and then says so in XSTATE_BV */
	U64(xs, 512) = 1;
	xrstor(xs);
	static uint8_t xo2[1024] __attribute__((aligned(64)));
	memset(xo2 + 160, 0xaa, 256);
	xsaveopt(xo2);
	check_begin(&c, "xsaveopt with SSE initialised: XSTATE_BV[1]=0 or XMM saved as zero");
	check_eq(&c, "XSTATE_BV[0]", U64(xo2, 512) & 1, 1);
	check_true(&c, "XSTATE_BV[1] set but XMM0 not zero", !(U64(xo2, 512) & 2) || U64(xo2, 160) == 0);
	check_eq(&c, "ST0 significand", U64(xo2, 32), PI_MANT);
	check_end(&c);

	KTRAP(n, fip, sp, "movl $-1, %%eax\n\tmovl $-1, %%edx", "xsave (%[a])", [a] "r"(xs + 16));
	check_begin(&c, "xsave to a 64-byte misaligned area -> #GP(0)");
	e = (struct expect){ VEC_GP, 0, fip, SEL_CODE64, SEL_DATA, sp, ANY, ANY, ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	U64(xs, 512) = 3;
	U64(xs, 520) = 1;	/* XCOMP_BV must be 0 for the standard form */
	KTRAP(n, fip, sp, "movl $-1, %%eax\n\tmovl $-1, %%edx", "xrstor (%[a])", [a] "r"(xs));
	U64(xs, 520) = 0;
	check_begin(&c, "xrstor with a reserved header bit -> #GP(0)");
	e = (struct expect){ VEC_GP, 0, fip, SEL_CODE64, SEL_DATA, sp, ANY, ANY, ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	clobber_state();
}
