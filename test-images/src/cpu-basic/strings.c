/* String instructions with REP prefixes, both directions. */
#include "check.h"

#define BUF 96
#define MID 32	/* DF=1 runs start mid-buffer and walk down */

static uint8_t src[BUF], dst[BUF];

static void reset(void)
{
	for (int i = 0; i < BUF; i++) {
		src[i] = (uint8_t)(i + 1);
		dst[i] = 0xee;
	}
}

/* dst[from..to) equals src[from..to) and every other byte is untouched */
static void check_copy(struct check *c, int from, int to)
{
	for (int i = 0; i < BUF; i++) {
		uint8_t want = (i >= from && i < to) ? src[i] : 0xee;
		if (dst[i] != want) {
			check_eq(c, "first wrong byte index", i, BUF);
			check_eq(c, "its value", dst[i], want);
			return;
		}
	}
}

static void check_fill(struct check *c, int from, int to, uint8_t v)
{
	for (int i = 0; i < BUF; i++) {
		uint8_t want = (i >= from && i < to) ? v : 0xee;
		if (dst[i] != want) {
			check_eq(c, "first wrong byte index", i, BUF);
			check_eq(c, "its value", dst[i], want);
			return;
		}
	}
}

#define UP(insn)	insn
#define DOWN(insn)	"std\n\t" insn "\n\tcld"

/*
 * MOVS of COUNT elements of SIZE bytes starting at element FIRST, walking up
 * (DF=0) or down (DF=1); REP says whether RCX counts down to 0.
 */
#define REP_MOVS(name, insn, size, first, count, down, rep) do {				\
	uint64_t s_ = (uint64_t)&src[(first) * (size)], d_ = (uint64_t)&dst[(first) * (size)]; \
	uint64_t n_ = (count);								\
	struct check c_;								\
	reset();									\
	__asm__ volatile(insn : "+S"(s_), "+D"(d_), "+c"(n_) : : "memory", "cc");	\
	check_begin(&c_, name);								\
	check_eq(&c_, "rcx", n_, (rep) ? 0 : (count));							\
	int lo_ = (down) ? (first) - (count) + 1 : (first);				\
	int step_ = (down) ? -(count) * (size) : (count) * (size);			\
	check_eq(&c_, "rsi", s_, (uint64_t)&src[(first) * (size)] + step_);		\
	check_eq(&c_, "rdi", d_, (uint64_t)&dst[(first) * (size)] + step_);		\
	check_copy(&c_, lo_ * (size), (lo_ + (count)) * (size));			\
	check_end(&c_);									\
} while (0)

/* REP STOS of COUNT elements of SIZE bytes of VALUE (a repeated byte). */
#define REP_STOS(name, insn, size, first, count, down, value) do {			\
	uint64_t d_ = (uint64_t)&dst[(first) * (size)], n_ = (count);			\
	uint64_t v_ = 0x0101010101010101ul * (value);					\
	struct check c_;								\
	reset();									\
	__asm__ volatile(insn : "+D"(d_), "+c"(n_) : "a"(v_) : "memory", "cc");	\
	check_begin(&c_, name);								\
	check_eq(&c_, "rcx", n_, 0);							\
	int lo_ = (down) ? (first) - (count) + 1 : (first);				\
	int step_ = (down) ? -(count) * (size) : (count) * (size);			\
	check_eq(&c_, "rdi", d_, (uint64_t)&dst[(first) * (size)] + step_);		\
	check_fill(&c_, lo_ * (size), (lo_ + (count)) * (size), (value));		\
	check_end(&c_);									\
} while (0)

static void move_store_tests(void)
{
	REP_MOVS("rep movsb", UP("rep movsb"), 1, 3, 13, 0, 1);
	REP_MOVS("rep movsw", UP("rep movsw"), 2, 1, 5, 0, 1);
	REP_MOVS("rep movsd", UP("rep movsl"), 4, 1, 3, 0, 1);
	REP_MOVS("rep movsq", UP("rep movsq"), 8, 1, 2, 0, 1);
	REP_MOVS("rep movsb DF=1", DOWN("rep movsb"), 1, MID, 13, 1, 1);
	REP_MOVS("rep movsw DF=1", DOWN("rep movsw"), 2, MID / 2, 5, 1, 1);
	REP_MOVS("rep movsd DF=1", DOWN("rep movsl"), 4, MID / 4, 3, 1, 1);
	REP_MOVS("rep movsq DF=1", DOWN("rep movsq"), 8, MID / 8, 3, 1, 1);
	REP_MOVS("movsb without rep", UP("movsb"), 1, 7, 1, 0, 0);
	REP_MOVS("movsq DF=1 without rep", DOWN("movsq"), 8, 3, 1, 1, 0);
	REP_MOVS("rep movsq rcx=0", UP("rep movsq"), 8, 2, 0, 0, 1);

	REP_STOS("rep stosb", UP("rep stosb"), 1, 2, 7, 0, 0x5a);
	REP_STOS("rep stosw", UP("rep stosw"), 2, 1, 3, 0, 0xa5);
	REP_STOS("rep stosd", UP("rep stosl"), 4, 1, 5, 0, 0x3c);
	REP_STOS("rep stosq", UP("rep stosq"), 8, 1, 4, 0, 0xc3);
	REP_STOS("rep stosb DF=1", DOWN("rep stosb"), 1, MID, 9, 1, 0x11);
	REP_STOS("rep stosd DF=1", DOWN("rep stosl"), 4, MID / 4, 3, 1, 0x22);
	REP_STOS("rep stosq DF=1", DOWN("rep stosq"), 8, MID / 8, 2, 1, 0x33);

	/* Overlapping forward copy: byte-by-byte semantics smear the first byte. */
	{
		static uint8_t buf[8] = "abcdefg";
		uint64_t s = (uint64_t)buf, d = (uint64_t)buf + 1, n = 5;
		__asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
		struct check c;
		check_begin(&c, "rep movsb overlapping");
		check_true(&c, "buffer is not \"aaaaaag\"", memcmp(buf, "aaaaaag", 8) == 0);
		check_end(&c);
	}

	/* lods/stos without rep */
	{
		static uint64_t q[2] = { 0x1122334455667788, 0 };
		uint64_t s = (uint64_t)q, d = (uint64_t)&q[1], a = 0;
		__asm__ volatile("lodsq\n\tnotq %%rax\n\tstosq" : "+S"(s), "+D"(d), "+a"(a) : : "memory");
		struct check c;
		check_begin(&c, "lodsq/stosq");
		check_eq(&c, "rax", a, ~0x1122334455667788ul);
		check_eq(&c, "q[1]", q[1], ~0x1122334455667788ul);
		check_eq(&c, "rsi", s, (uint64_t)&q[1]);
		check_eq(&c, "rdi", d, (uint64_t)&q[2]);
		check_end(&c);
	}
}

static const char hello[] = "hello world";
static const char hellu[] = "hello_world";

/* Flags in, INSN, flags out (DF is set and cleared inside INSN when needed). */
#define SCAN_RUN(insn, s0, d0, n0, a0, fin)						\
	do {										\
		s = (uint64_t)(s0); d = (uint64_t)(d0); n = (n0); f = (fin) | RFLAGS_FIXED; \
		__asm__ volatile("pushq %[f]\n\tpopfq\n\t" insn "\n\tpushfq\n\tpopq %[f]\n\tcld" \
				 : "+S"(s), "+D"(d), "+c"(n), [f] "+r"(f)		\
				 : "a"((uint64_t)(a0)) : "memory", "cc");		\
	} while (0)

static void compare_scan_tests(void)
{
	uint64_t s, d, n, f;
	struct check c;

	SCAN_RUN("repe cmpsb", hello, hellu, 11, 0, 0);
	check_begin(&c, "repe cmpsb stops at mismatch");
	check_eq(&c, "rcx", n, 5);
	check_eq(&c, "rsi", s, (uint64_t)hello + 6);
	check_eq(&c, "rdi", d, (uint64_t)hellu + 6);
	check_flags(&c, f, CF | SF | AF, M_ALL);	/* ' ' - '_' = 0xc1 */
	check_end(&c);

	SCAN_RUN("repe cmpsb", hello, hellu, 5, 0, 0);
	check_begin(&c, "repe cmpsb all equal");
	check_eq(&c, "rcx", n, 0);
	check_eq(&c, "rsi", s, (uint64_t)hello + 5);
	check_eq(&c, "rdi", d, (uint64_t)hellu + 5);
	check_flags(&c, f, ZF, ZF);
	check_end(&c);

	SCAN_RUN("std\n\trepe cmpsb", hello + 10, hellu + 10, 11, 0, 0);
	check_begin(&c, "repe cmpsb DF=1");
	check_eq(&c, "rcx", n, 5);
	check_eq(&c, "rsi", s, (uint64_t)hello + 4);
	check_eq(&c, "rdi", d, (uint64_t)hellu + 4);
	check_flags(&c, f, 0, ZF);
	check_end(&c);

	SCAN_RUN("repne scasb", 0, hello, 11, 'o', 0);
	check_begin(&c, "repne scasb found");
	check_eq(&c, "rcx", n, 6);
	check_eq(&c, "rdi", d, (uint64_t)hello + 5);
	check_flags(&c, f, ZF, ZF);
	check_end(&c);

	SCAN_RUN("repne scasb", 0, hello, 11, 'z', 0);
	check_begin(&c, "repne scasb not found");
	check_eq(&c, "rcx", n, 0);
	check_eq(&c, "rdi", d, (uint64_t)hello + 11);
	check_flags(&c, f, 0, ZF);
	check_end(&c);

	SCAN_RUN("std\n\trepne scasb", 0, hello + 10, 11, 'o', 0);
	check_begin(&c, "repne scasb DF=1");
	check_eq(&c, "rcx", n, 7);
	check_eq(&c, "rdi", d, (uint64_t)hello + 6);
	check_flags(&c, f, ZF, ZF);
	check_end(&c);

	SCAN_RUN("repne scasb", 0, hello, 0, 'h', CF | PF | OF);
	check_begin(&c, "repne scasb rcx=0 keeps flags");
	check_eq(&c, "rcx", n, 0);
	check_eq(&c, "rdi", d, (uint64_t)hello);
	check_flags(&c, f, CF | PF | OF, M_ALL);
	check_end(&c);
}

void string_tests(void)
{
	move_store_tests();
	compare_scan_tests();
}
