/*
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), one table lookup per
 * byte, over a generated buffer. Checked three ways: the standard check value
 * CRC("123456789") = 0xCBF43926; a bit-at-a-time CRC of a prefix; and the CRC
 * of the buffer followed by its own CRC (little-endian), which for this CRC
 * is always the residue 0x2144DF1C.
 */
#include "bench.h"

#define PREFIX	65536

static uint32_t table[256];
static uint8_t *buf;
static uint32_t n;

static uint32_t crc_table(uint32_t crc, const uint8_t *p, uint32_t len)
{
	crc = ~crc;
	for (uint32_t i = 0; i < len; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint32_t crc_bitwise(const uint8_t *p, uint32_t len)
{
	uint32_t crc = ~0u;
	for (uint32_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
	}
	return ~crc;
}

static const char *setup(unsigned scale)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
		table[i] = c;
	}
	static const uint8_t check_string[] = "123456789";
	if (crc_table(0, check_string, 9) != 0xCBF43926u)
		return "table CRC of \"123456789\" is not 0xCBF43926";
	if (crc_bitwise(check_string, 9) != 0xCBF43926u)
		return "bitwise CRC of \"123456789\" is not 0xCBF43926";

	n = (uint32_t)scaled(4 << 20, scale, 4096);
	buf = plat_alloc(n + 4);
	if (!buf)
		return "out of memory";
	uint64_t s = 0x1234567;
	for (uint32_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(lcg64(&s) >> 24);
	uint32_t m = n < PREFIX ? n : PREFIX;
	if (crc_table(0, buf, m) != crc_bitwise(buf, m))
		return "table and bitwise CRC of the input prefix differ";
	return 0;
}

static uint64_t run(void)
{
	return crc_table(0, buf, n);
}

static const char *check(uint64_t sum)
{
	uint32_t crc = (uint32_t)sum;
	buf[n] = (uint8_t)crc;
	buf[n + 1] = (uint8_t)(crc >> 8);
	buf[n + 2] = (uint8_t)(crc >> 16);
	buf[n + 3] = (uint8_t)(crc >> 24);
	return crc_table(0, buf, n + 4) == 0x2144DF1Cu ? 0 : "CRC of input + its CRC is not the residue 0x2144DF1C";
}

static uint64_t size(void)
{
	return n;
}

const struct bench bench_crc32 = { "crc32", setup, 0, run, check, size };
