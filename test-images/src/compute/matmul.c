/*
 * Integer matrix multiply C = A * B of N x N matrices modulo 2^32, in the
 * i-k-j order (row of B streamed per element of A). Checked against a
 * different computation: C * x = A * (B * x) for a generated vector x and for
 * the all-ones vector (Freivalds' check, matrix-vector products only).
 */
#include "bench.h"

static uint32_t *A, *B, *C, *x, *y, *z, *w;
static uint32_t N;

static const char *setup(unsigned scale)
{
	/* N^3 scales with the size: the largest N with N^3 <= 200^3 * scale / 100 */
	uint64_t target = scaled(200ull * 200 * 200, scale, 8 * 8 * 8);
	N = 1;
	while ((uint64_t)(N + 1) * (N + 1) * (N + 1) <= target)
		N++;
	uint64_t nn = (uint64_t)N * N;
	A = plat_alloc(nn * 4);
	B = plat_alloc(nn * 4);
	C = plat_alloc(nn * 4);
	x = plat_alloc(N * 4);
	y = plat_alloc(N * 4);
	z = plat_alloc(N * 4);
	w = plat_alloc(N * 4);
	if (!A || !B || !C || !x || !y || !z || !w)
		return "out of memory";
	uint64_t s = 42;
	for (uint64_t i = 0; i < nn; i++) {
		A[i] = lcg64(&s);
		B[i] = lcg64(&s);
	}
	return 0;
}

static uint64_t run(void)
{
	uint32_t n = N;
	for (uint64_t i = 0; i < (uint64_t)n * n; i++)
		C[i] = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t *c = C + (uint64_t)i * n;
		for (uint32_t k = 0; k < n; k++) {
			uint32_t a = A[(uint64_t)i * n + k];
			const uint32_t *b = B + (uint64_t)k * n;
			for (uint32_t j = 0; j < n; j++)
				c[j] += a * b[j];
		}
	}
	uint64_t sum = 0;
	for (uint64_t i = 0; i < (uint64_t)n * n; i++)
		sum = sum * 31 + C[i];
	return sum;
}

/* out = M * v */
static void mat_vec(const uint32_t *m, const uint32_t *v, uint32_t *out)
{
	for (uint32_t i = 0; i < N; i++) {
		uint32_t acc = 0;
		for (uint32_t j = 0; j < N; j++)
			acc += m[(uint64_t)i * N + j] * v[j];
		out[i] = acc;
	}
}

static const char *check(uint64_t sum)
{
	(void)sum;
	uint64_t s = 7;
	for (int round = 0; round < 2; round++) {
		for (uint32_t i = 0; i < N; i++)
			x[i] = round ? lcg64(&s) : 1;
		mat_vec(B, x, y);
		mat_vec(A, y, z);
		mat_vec(C, x, w);
		for (uint32_t i = 0; i < N; i++)
			if (z[i] != w[i])
				return round ? "C*x != A*(B*x) for a generated x" : "row sums of C != A*(row sums of B)";
	}
	return 0;
}

static uint64_t size(void)
{
	return N;
}

const struct bench bench_matmul = { "matmul", setup, 0, run, check, size };
