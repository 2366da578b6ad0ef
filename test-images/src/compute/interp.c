/*
 * A stack-machine bytecode interpreter with switch dispatch, running a loop
 * of a linear congruential step and a data-dependent branch. Checked against
 * the same computation written in C.
 */
#include "bench.h"

enum {
	OP_HALT, OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL, OP_XOR,
	OP_AND, OP_SHR, OP_SHL, OP_DUP, OP_JZ, OP_JNZ, OP_JMP,
};

#define SEED	0x2545f491u

static uint8_t code[128];
static uint32_t code_len, iterations, expected;

static void emit(uint8_t b)
{
	code[code_len++] = b;
}

static void emit_push(uint32_t v)
{
	emit(OP_PUSH);
	for (int i = 0; i < 4; i++)
		emit((uint8_t)(v >> (8 * i)));
}

/* A jump with a 16-bit absolute target; returns where to patch it. */
static uint32_t emit_jump(uint8_t op, uint32_t target)
{
	emit(op);
	emit((uint8_t)target);
	emit((uint8_t)(target >> 8));
	return code_len - 2;
}

static void patch(uint32_t at, uint32_t target)
{
	code[at] = (uint8_t)target;
	code[at + 1] = (uint8_t)(target >> 8);
}

/* locals: 0 = i, 1 = acc, 2 = x */
static void assemble(uint32_t n)
{
	code_len = 0;
	emit_push(n);
	emit(OP_STORE); emit(0);
	emit_push(0);
	emit(OP_STORE); emit(1);
	emit_push(SEED);
	emit(OP_STORE); emit(2);
	uint32_t loop = code_len;
	/* x = x * 1103515245 + 12345 */
	emit(OP_LOAD); emit(2);
	emit_push(1103515245u);
	emit(OP_MUL);
	emit_push(12345);
	emit(OP_ADD);
	emit(OP_DUP);
	emit(OP_STORE); emit(2);
	/* t = x >> 16; if (t & 1) acc += t; else acc ^= t << 3; */
	emit_push(16);
	emit(OP_SHR);
	emit(OP_DUP);
	emit_push(1);
	emit(OP_AND);
	uint32_t to_even = emit_jump(OP_JZ, 0);
	emit(OP_LOAD); emit(1);
	emit(OP_ADD);
	emit(OP_STORE); emit(1);
	uint32_t to_next = emit_jump(OP_JMP, 0);
	patch(to_even, code_len);
	emit_push(3);
	emit(OP_SHL);
	emit(OP_LOAD); emit(1);
	emit(OP_XOR);
	emit(OP_STORE); emit(1);
	patch(to_next, code_len);
	/* if (--i) goto loop */
	emit(OP_LOAD); emit(0);
	emit_push(1);
	emit(OP_SUB);
	emit(OP_DUP);
	emit(OP_STORE); emit(0);
	emit_jump(OP_JNZ, loop);
	/* return acc ^ x */
	emit(OP_LOAD); emit(1);
	emit(OP_LOAD); emit(2);
	emit(OP_XOR);
	emit(OP_HALT);
}

static uint32_t reference(uint32_t n)
{
	uint32_t i = n, acc = 0, x = SEED;
	do {
		x = x * 1103515245u + 12345;
		uint32_t t = x >> 16;
		if (t & 1)
			acc += t;
		else
			acc ^= t << 3;
	} while (--i);
	return acc ^ x;
}

static uint32_t execute(const uint8_t *pc0)
{
	uint32_t stack[16], locals[4];
	uint32_t *sp = stack;
	const uint8_t *pc = pc0;

	for (;;) {
		switch (*pc++) {
		case OP_HALT:
			return sp[-1];
		case OP_PUSH:
			*sp++ = (uint32_t)pc[0] | (uint32_t)pc[1] << 8 | (uint32_t)pc[2] << 16 | (uint32_t)pc[3] << 24;
			pc += 4;
			break;
		case OP_LOAD:
			*sp++ = locals[*pc++];
			break;
		case OP_STORE:
			locals[*pc++] = *--sp;
			break;
		case OP_ADD:
			sp--;
			sp[-1] += sp[0];
			break;
		case OP_SUB:
			sp--;
			sp[-1] -= sp[0];
			break;
		case OP_MUL:
			sp--;
			sp[-1] *= sp[0];
			break;
		case OP_XOR:
			sp--;
			sp[-1] ^= sp[0];
			break;
		case OP_AND:
			sp--;
			sp[-1] &= sp[0];
			break;
		case OP_SHR:
			sp--;
			sp[-1] >>= sp[0] & 31;
			break;
		case OP_SHL:
			sp--;
			sp[-1] <<= sp[0] & 31;
			break;
		case OP_DUP:
			sp[0] = sp[-1];
			sp++;
			break;
		case OP_JZ:
			if (*--sp == 0) {
				pc = pc0 + (pc[0] | pc[1] << 8);
				break;
			}
			pc += 2;
			break;
		case OP_JNZ:
			if (*--sp != 0) {
				pc = pc0 + (pc[0] | pc[1] << 8);
				break;
			}
			pc += 2;
			break;
		case OP_JMP:
			pc = pc0 + (pc[0] | pc[1] << 8);
			break;
		default:
			return 0xdeadbeef;
		}
	}
}

static const char *setup(unsigned scale)
{
	iterations = (uint32_t)scaled(300000, scale, 100);
	assemble(iterations);
	expected = reference(iterations);
	return 0;
}

static uint64_t run(void)
{
	return execute(code);
}

static const char *check(uint64_t sum)
{
	return sum == expected ? 0 : "bytecode result differs from the C computation";
}

static uint64_t size(void)
{
	return iterations;
}

const struct bench bench_interp = { "interp", setup, 0, run, check, size };
