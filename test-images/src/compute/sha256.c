/*
 * SHA-256 (FIPS 180-4) of a message of 'a's. At the default scale the message
 * is one million 'a's, whose digest FIPS 180-2 publishes (cdc76e5c...); at
 * other lengths the digest must equal the one computed by feeding the same
 * message in uneven pieces. Setup also checks the published digests of "",
 * "abc" and the 448- and 896-bit test messages.
 */
#include "bench.h"

struct sha256 {
	uint32_t h[8];
	uint8_t block[64];
	uint32_t used;
	uint64_t length;
};

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

static void sha_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	for (int i = 0; i < 8; i++)
		s->h[i] = iv[i];
	s->used = 0;
	s->length = 0;
}

static void sha_update(struct sha256 *s, const uint8_t *p, uint64_t n)
{
	s->length += n;
	while (n) {
		if (s->used == 0 && n >= 64) {
			compress(s->h, p);
			p += 64;
			n -= 64;
			continue;
		}
		s->block[s->used++] = *p++;
		n--;
		if (s->used == 64) {
			compress(s->h, s->block);
			s->used = 0;
		}
	}
}

static void sha_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->length * 8;
	s->block[s->used++] = 0x80;
	if (s->used > 56) {
		while (s->used < 64)
			s->block[s->used++] = 0;
		compress(s->h, s->block);
		s->used = 0;
	}
	while (s->used < 56)
		s->block[s->used++] = 0;
	for (int i = 0; i < 8; i++)
		s->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	compress(s->h, s->block);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}


static uint64_t first_bytes(const uint8_t d[32])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | d[i];
	return v;
}

#define MILLION 1000000

static const struct {
	const char *msg, *digest;
} vectors[] = {
	{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
};
static const char million_a[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

static uint8_t *msg;
static uint32_t n;
static uint8_t got[32], want[32];

static int hex_digit(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

static int hex_equal(const uint8_t d[32], const char *hex)
{
	for (int i = 0; i < 32; i++)
		if (d[i] != (uint8_t)(hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1])))
			return 0;
	return 1;
}

static const char *setup(unsigned scale)
{
	struct sha256 s;
	uint8_t d[32];

	for (unsigned i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const char *m = vectors[i].msg;
		uint64_t len = 0;
		while (m[len])
			len++;
		sha_init(&s);
		sha_update(&s, (const uint8_t *)m, len);
		sha_final(&s, d);
		if (!hex_equal(d, vectors[i].digest))
			return "a FIPS 180-2 test vector's digest differs";
	}

	n = (uint32_t)scaled(MILLION, scale, 1000);
	msg = plat_alloc(n);
	if (!msg)
		return "out of memory";
	for (uint32_t i = 0; i < n; i++)
		msg[i] = 'a';
	if (n == MILLION) {
		for (int i = 0; i < 32; i++)
			want[i] = (uint8_t)(hex_digit(million_a[2 * i]) << 4 | hex_digit(million_a[2 * i + 1]));
	} else {
		/* pieces of 1, 2, ... 127 bytes take every path through the block buffer */
		sha_init(&s);
		uint32_t at = 0;
		for (uint32_t k = 1; at < n; k = k % 127 + 1) {
			uint32_t piece = n - at < k ? n - at : k;
			sha_update(&s, msg + at, piece);
			at += piece;
		}
		sha_final(&s, want);
	}
	return 0;
}

static uint64_t run(void)
{
	struct sha256 s;
	sha_init(&s);
	sha_update(&s, msg, n);
	sha_final(&s, got);
	return first_bytes(got);
}

static const char *check(uint64_t sum)
{
	(void)sum;
	for (int i = 0; i < 32; i++)
		if (got[i] != want[i])
			return n == MILLION ? "digest of a million 'a's is not the published one"
					    : "digest differs from the one fed in pieces";
	return 0;
}

static uint64_t size(void)
{
	return n;
}

const struct bench bench_sha256 = { "sha256", setup, 0, run, check, size };
