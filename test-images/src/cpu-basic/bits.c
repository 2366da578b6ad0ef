/* Conditions, bit tests and scans, exchanges. */
#include "check.h"

/* The 16 conditions, evaluated from the flags as the SDM defines them. */
static int cond_holds(int cc, uint64_t f)
{
	int cf = !!(f & CF), pf = !!(f & PF), zf = !!(f & ZF);
	int sf = !!(f & SF), of = !!(f & OF);
	int r;

	switch (cc >> 1) {
	case 0: r = of; break;			/* o */
	case 1: r = cf; break;			/* b */
	case 2: r = zf; break;			/* e */
	case 3: r = cf || zf; break;		/* be */
	case 4: r = sf; break;			/* s */
	case 5: r = pf; break;			/* p */
	case 6: r = sf != of; break;		/* l */
	default: r = zf || sf != of; break;	/* le */
	}
	return (cc & 1) ? !r : r;		/* odd codes negate */
}

struct cc_results {
	uint64_t set, cmov64, cmov32, jshort, jnear;
};

/*
 * For condition code CC: setcc into a register with junk upper bits, cmov
 * (64- and 32-bit: the 32-bit form zero-extends even when it does not move),
 * and jcc in its rel8 and rel32 encodings.
 */
#define DEFINE_CC(cc)								\
static void run_##cc(uint64_t fl, struct cc_results *r)					\
{											\
	uint64_t set = 0x123456789abcde55, c64 = 0xaaaa, c32 = 0xffffffff0000aaaa;	\
	uint64_t js, jn;								\
	fl |= RFLAGS_FIXED;								\
	__asm__ volatile(								\
		"pushq %[fl]\n\tpopfq\n\t"						\
		"set" #cc " %b[set]\n\t"						\
		"cmov" #cc "q %[src], %[c64]\n\t"					\
		"cmov" #cc "l %k[src], %k[c32]\n\t"					\
		"movl $1, %k[js]\n\t"							\
		"j" #cc " 1f\n\t"							\
		"movl $0, %k[js]\n"							\
		"1:\n\t"								\
		"movl $1, %k[jn]\n\t"							\
		"j" #cc " 2f\n\t"							\
		"movl $0, %k[jn]\n\t"							\
		"jmp 2f\n\t"								\
		".fill 160, 1, 0xcc\n"	/* forces the rel32 form */			\
		"2:"									\
		: [set] "+r"(set), [c64] "+r"(c64), [c32] "+r"(c32),			\
		  [js] "=&r"(js), [jn] "=&r"(jn)					\
		: [fl] "r"(fl), [src] "r"(0xbbbbul) : "cc");				\
	r->set = set; r->cmov64 = c64; r->cmov32 = c32; r->jshort = js; r->jnear = jn;	\
}
DEFINE_CC(o)
DEFINE_CC(no)
DEFINE_CC(b)
DEFINE_CC(ae)
DEFINE_CC(e)
DEFINE_CC(ne)
DEFINE_CC(be)
DEFINE_CC(a)
DEFINE_CC(s)
DEFINE_CC(ns)
DEFINE_CC(p)
DEFINE_CC(np)
DEFINE_CC(l)
DEFINE_CC(ge)
DEFINE_CC(le)
DEFINE_CC(g)

static const struct {
	const char *name;
	void (*run)(uint64_t, struct cc_results *);
} conditions[16] = {
	{ "cc.o", run_o }, { "cc.no", run_no }, { "cc.b", run_b }, { "cc.ae", run_ae },
	{ "cc.e", run_e }, { "cc.ne", run_ne }, { "cc.be", run_be }, { "cc.a", run_a },
	{ "cc.s", run_s }, { "cc.ns", run_ns }, { "cc.p", run_p }, { "cc.np", run_np },
	{ "cc.l", run_l }, { "cc.ge", run_ge }, { "cc.le", run_le }, { "cc.g", run_g },
};

static void condition_tests(void)
{
	static const uint64_t bits[5] = { CF, PF, ZF, SF, OF };

	for (int cc = 0; cc < 16; cc++) {
		struct check c;
		check_begin(&c, conditions[cc].name);
		for (unsigned combo = 0; combo < 32 && !c.errors; combo++) {
			uint64_t fl = 0;
			for (int i = 0; i < 5; i++)
				if (combo & (1u << i))
					fl |= bits[i];
			struct cc_results r;
			conditions[cc].run(fl, &r);
			int t = cond_holds(cc, fl);
			if (r.set != (0x123456789abcde00ul | (uint64_t)t) ||
			    r.cmov64 != (t ? 0xbbbb : 0xaaaa) ||
			    r.cmov32 != (t ? 0xbbbb : 0xaaaa) ||
			    r.jshort != (uint64_t)t || r.jnear != (uint64_t)t) {
				kprintf("FAIL %s: flags 0x%03lx (expected %d): setcc 0x%lx, cmov.q 0x%lx, "
					"cmov.l 0x%lx, jcc rel8 %lu, jcc rel32 %lu",
					c.name, fl, t, r.set, r.cmov64, r.cmov32, r.jshort, r.jnear);
				c.errors++;
			}
		}
		check_end(&c);
	}
}

/* Instruction with operand %[a] read-write and %[b] read; result and CF/ZF. */
#define BITOP(name, insn, a0, b0, want, wantfl, mask) ALU(name, insn, a0, b0, 0, want, wantfl, mask)

static void bit_tests(void)
{
	BITOP("bt.q imm 63", "btq $63, %[a]", 0x8000000000000000, 0, 0x8000000000000000, CF, CF);
	BITOP("bt.l reg index mod 32", "btl %k[b], %k[a]", 0xffffffff00000002, 33,
	      0xffffffff00000002, CF, CF);
	BITOP("bt.q clear bit", "btq %[b], %[a]", 0xfffffffffffffffe, 64, 0xfffffffffffffffe, 0, CF);
	BITOP("bts.q imm", "btsq $5, %[a]", 0, 0, 0x20, 0, CF);
	BITOP("btr.l imm zero-extends", "btrl $31, %k[a]", 0xffffffffffffffff, 0, 0x7fffffff, CF, CF);
	BITOP("btc.w imm", "btcw $15, %w[a]", 0x1111111111118000, 0, 0x1111111111110000, CF, CF);
	BITOP("btc.q reg", "btcq %[b], %[a]", 0, 40, 0x10000000000, 0, CF);

	/* memory bit strings: a register offset reaches beyond the operand, both ways */
	{
		static volatile uint64_t bitmap[4];
		uint64_t f;
		struct check c;

		check_begin(&c, "bt/bts/btr/btc mem, reg offset");
		bitmap[0] = 0x8000000000000000;
		bitmap[1] = 0;
		bitmap[2] = 0;
		bitmap[3] = 0x0000001000000000;	/* bit 36 of word 3 = bit 228 */
		f = RFLAGS_FIXED;
		__asm__ volatile(WITH_FLAGS("btl %k[b], (%[p])")
				 : [fl] "+r"(f) : [p] "r"(bitmap), [b] "r"(228ul) : "cc", "memory");
		check_eq(&c, "bt 228 CF", f & CF, CF);
		f = RFLAGS_FIXED | CF;
		__asm__ volatile(WITH_FLAGS("btq %[b], (%[p])")
				 : [fl] "+r"(f) : [p] "r"(bitmap), [b] "r"(229ul) : "cc", "memory");
		check_eq(&c, "bt 229 CF", f & CF, 0);
		f = RFLAGS_FIXED;
		__asm__ volatile(WITH_FLAGS("btq %[b], (%[p])")
				 : [fl] "+r"(f) : [p] "r"(&bitmap[1]), [b] "r"(-1l) : "cc", "memory");
		check_eq(&c, "bt -1 CF", f & CF, CF);
		f = RFLAGS_FIXED | CF;
		__asm__ volatile(WITH_FLAGS("btsl %k[b], (%[p])")
				 : [fl] "+r"(f) : [p] "r"(bitmap), [b] "r"(70ul) : "cc", "memory");
		check_eq(&c, "bts 70 CF", f & CF, 0);
		check_eq(&c, "bts 70 word", bitmap[1], 0x40);
		f = RFLAGS_FIXED;
		__asm__ volatile(WITH_FLAGS("lock btsq %[b], (%[p])")
				 : [fl] "+r"(f) : [p] "r"(bitmap), [b] "r"(70ul) : "cc", "memory");
		check_eq(&c, "lock bts 70 CF", f & CF, CF);
		f = RFLAGS_FIXED;
		__asm__ volatile(WITH_FLAGS("btrq %[b], (%[p])")
				 : [fl] "+r"(f) : [p] "r"(&bitmap[2]), [b] "r"(-65l) : "cc", "memory");
		check_eq(&c, "btr -65 CF", f & CF, CF);
		check_eq(&c, "btr -65 word", bitmap[0], 0);
		f = RFLAGS_FIXED;
		__asm__ volatile(WITH_FLAGS("lock btcl $35, (%[p])")	/* imm: mod 32 -> bit 3 */
				 : [fl] "+r"(f) : [p] "r"(&bitmap[2]) : "cc", "memory");
		check_eq(&c, "btc imm 35 CF", f & CF, 0);
		check_eq(&c, "btc imm 35 word", bitmap[2], 0x8);
		check_end(&c);
	}

	BITOP("bsf.q", "bsfq %[b], %[a]", 0, 0x0000000000100000, 20, 0, ZF);
	BITOP("bsr.q", "bsrq %[b], %[a]", 0, 0x8000000000100001, 63, 0, ZF);
	BITOP("bsr.l", "bsrl %k[b], %k[a]", 0xffffffffffffffff, 0x80000001, 31, 0, ZF);
	BITOP("bsf.w", "bsfw %w[b], %w[a]", 0xffffffffffffffff, 0x8000, 0xffffffffffff000f, 0, ZF);
	{
		uint64_t a = 0, f = RFLAGS_FIXED;
		__asm__ volatile(WITH_FLAGS("bsfq %[b], %[a]")
				 : [a] "+r"(a), [fl] "+r"(f) : [b] "r"(0ul) : "cc");
		struct check c;
		check_begin(&c, "bsf.q zero sets ZF");
		check_flags(&c, f, ZF, ZF);
		check_end(&c);
	}
}

static void exchange_tests(void)
{
	static volatile uint64_t m;
	uint64_t a, b, f;
	struct check c;

	a = 1;
	b = 2;
	__asm__("xchgq %0, %1" : "+r"(a), "+r"(b));
	check_begin(&c, "xchg.q reg");
	check_eq(&c, "a", a, 2);
	check_eq(&c, "b", b, 1);
	check_end(&c);

	a = 0xffffffff00000001;
	b = 0xeeeeeeee00000002;
	__asm__("xchgl %k0, %k1" : "+r"(a), "+r"(b));
	check_begin(&c, "xchg.l reg zero-extends");
	check_eq(&c, "a", a, 2);
	check_eq(&c, "b", b, 1);
	check_end(&c);

	m = 0x5555555555555555;
	a = 0x1111111111111177;
	__asm__ volatile("xchgb %b0, (%1)" : "+r"(a) : "r"(&m) : "memory");
	check_begin(&c, "xchg.b mem");
	check_eq(&c, "reg", a, 0x1111111111111155);
	check_eq(&c, "mem", m, 0x5555555555555577);
	check_end(&c);

	m = 5;
	a = 7;
	__asm__ volatile("xchgq %0, (%1)" : "+r"(a) : "r"(&m) : "memory");
	check_begin(&c, "xchg.q mem");
	check_eq(&c, "reg", a, 5);
	check_eq(&c, "mem", m, 7);
	check_end(&c);

	/* cmpxchg: flags as cmp rax, mem */
	m = 42;
	a = 42;
	f = RFLAGS_FIXED;
	__asm__ volatile(WITH_FLAGS("lock cmpxchgq %[n], (%[p])")
			 : "+a"(a), [fl] "+r"(f) : [n] "r"(99ul), [p] "r"(&m) : "cc", "memory");
	check_begin(&c, "lock cmpxchg.q equal");
	check_eq(&c, "mem", m, 99);
	check_eq(&c, "rax", a, 42);
	check_flags(&c, f, ZF | PF, M_ALL);
	check_end(&c);

	m = 2;
	a = 1;
	f = RFLAGS_FIXED;
	__asm__ volatile(WITH_FLAGS("cmpxchgq %[n], (%[p])")
			 : "+a"(a), [fl] "+r"(f) : [n] "r"(99ul), [p] "r"(&m) : "cc", "memory");
	check_begin(&c, "cmpxchg.q not equal");
	check_eq(&c, "mem", m, 2);
	check_eq(&c, "rax", a, 2);
	check_flags(&c, f, CF | SF | AF | PF, M_ALL);
	check_end(&c);

	m = 0x7777777700000002;
	a = 0xffffffff00000001;
	f = RFLAGS_FIXED;
	__asm__ volatile(WITH_FLAGS("lock cmpxchgl %k[n], (%[p])")
			 : "+a"(a), [fl] "+r"(f) : [n] "r"(99ul), [p] "r"(&m) : "cc", "memory");
	check_begin(&c, "cmpxchg.l not equal zero-extends rax");
	check_eq(&c, "mem", m, 0x7777777700000002);
	check_eq(&c, "rax", a, 2);
	check_flags(&c, f, CF | SF | AF | PF, M_ALL);
	check_end(&c);

	a = 0x1234;
	b = 0xffffffff00001234;
	f = RFLAGS_FIXED;
	__asm__ volatile(WITH_FLAGS("cmpxchgl %k[n], %k[d]")
			 : "+a"(a), [d] "+r"(b), [fl] "+r"(f) : [n] "r"(0x5678ul) : "cc");
	check_begin(&c, "cmpxchg.l reg equal");
	check_eq(&c, "dst", b, 0x5678);
	check_flags(&c, f, ZF | PF, M_ALL);
	check_end(&c);

	m = 10;
	a = 5;
	f = RFLAGS_FIXED;
	__asm__ volatile(WITH_FLAGS("lock xaddq %[a], (%[p])")
			 : [a] "+r"(a), [fl] "+r"(f) : [p] "r"(&m) : "cc", "memory");
	check_begin(&c, "lock xadd.q mem");
	check_eq(&c, "mem", m, 15);
	check_eq(&c, "reg", a, 10);
	check_flags(&c, f, PF, M_ALL);
	check_end(&c);

	a = 0xffffffff;
	b = 0x5555555500000001;
	f = RFLAGS_FIXED;
	__asm__ volatile(WITH_FLAGS("xaddl %k[b], %k[a]")
			 : [a] "+r"(a), [b] "+r"(b), [fl] "+r"(f) : : "cc");
	check_begin(&c, "xadd.l reg");
	check_eq(&c, "dst", a, 0);
	check_eq(&c, "src", b, 0xffffffff);
	check_flags(&c, f, CF | ZF | AF | PF, M_ALL);
	check_end(&c);
}

void bits_tests(void)
{
	condition_tests();
	bit_tests();
	exchange_tests();
}
