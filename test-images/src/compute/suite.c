/*
 * The suite's driver: runs each benchmark reps times, keeps the fastest
 * repetition, checks every repetition's answer and prints one line per
 * benchmark (formats in README.md, "compute").
 */
#include "bench.h"

static const struct bench *const benches[] = {
	&bench_sieve, &bench_crc32, &bench_sha256, &bench_matmul, &bench_qsort,
	&bench_strsearch, &bench_interp, &bench_hashtab, &bench_listwalk,
};

#define NBENCH (sizeof(benches) / sizeof(benches[0]))

/* A line being built: printing stays in this file, the platforms only write. */
static char line[256];
static size_t len;

static void put(const char *s)
{
	while (*s && len < sizeof(line) - 2)
		line[len++] = *s++;
}

static void put_u64(uint64_t v)
{
	char buf[24];
	int i = sizeof(buf) - 1;
	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(buf + i);
}

static void put_hex(uint64_t v)
{
	char buf[19];
	int i = sizeof(buf) - 1;
	buf[i] = 0;
	do {
		buf[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	put(buf + i);
}

static void end_line(void)
{
	line[len++] = '\n';
	line[len] = 0;
	plat_puts(line);
	len = 0;
}

static int word_is(const char *w, size_t n, const char *name)
{
	size_t k = 0;
	while (name[k])
		k++;
	if (k != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (w[i] != name[i])
			return 0;
	return 1;
}

static unsigned number(const char *s, const char *end)
{
	unsigned v = 0;
	for (; s < end && *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (unsigned)(*s - '0');
	return v;
}

void suite_parse(struct suite_config *cfg, const char *cmdline)
{
	cfg->scale = 100;
	cfg->reps = 3;
	cfg->only[0] = 0;
	const char *p = cmdline;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		const char *eq = w;
		while (eq < p && *eq != '=')
			eq++;
		if (eq == p)
			continue;
		const char *v = eq + 1;
		if (word_is(w, (size_t)(eq - w), "scale") && number(v, p))
			cfg->scale = number(v, p);
		else if (word_is(w, (size_t)(eq - w), "reps") && number(v, p))
			cfg->reps = number(v, p);
		else if (word_is(w, (size_t)(eq - w), "only")) {
			size_t n = (size_t)(p - v);
			if (n >= sizeof(cfg->only))
				n = sizeof(cfg->only) - 1;
			for (size_t i = 0; i < n; i++)
				cfg->only[i] = v[i];
			cfg->only[n] = 0;
		}
	}
}

static int selected(const struct suite_config *cfg, const char *name)
{
	const char *p = cfg->only;
	if (!*p)
		return 1;
	while (*p) {
		const char *w = p;
		while (*p && *p != ',')
			p++;
		if (word_is(w, (size_t)(p - w), name))
			return 1;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* Runs one benchmark; 1 when it failed. */
static int run_one(const struct suite_config *cfg, const struct bench *b)
{
	put("bench ");
	put(b->name);
	put(" start");
	end_line();

	const char *why = b->setup(cfg->scale);
	uint64_t best = ~0ull, sum = 0;
	unsigned rep = 0;
	if (!why) {
		for (rep = 0; rep < cfg->reps; rep++) {
			if (b->prepare)
				b->prepare();
			uint64_t t0 = tsc_read();
			sum = b->run();
			uint64_t t1 = tsc_read();
			if (t1 - t0 < best)
				best = t1 - t0;
			why = b->check(sum);
			if (why)
				break;
		}
	}
	plat_release();

	put("bench ");
	put(b->name);
	if (why) {
		put(" FAIL ");
		put(why);
		put(" rep=");
		put_u64(rep + 1);
		put(" sum=");
		put_hex(sum);
		end_line();
		return 1;
	}
	put(" ok cycles=");
	put_u64(best);
	put(" reps=");
	put_u64(cfg->reps);
	if (cfg->tsc_khz) {
		put(" us=");
		put_u64(best * 1000 / cfg->tsc_khz);
	}
	put(" size=");
	put_u64(b->size());
	put(" sum=");
	put_hex(sum);
	end_line();
	return 0;
}

unsigned suite_run(const struct suite_config *cfg)
{
	unsigned failed = 0, ran = 0;

	put("compute: scale=");
	put_u64(cfg->scale);
	put(" reps=");
	put_u64(cfg->reps);
	put(" tsc_khz=");
	if (cfg->tsc_khz)
		put_u64(cfg->tsc_khz);
	else
		put("unknown");
	end_line();

	/*
	 * The TSC at the start and the end, in two lines of the same shape: a
	 * reader that timestamps lines as they arrive can measure the TSC rate
	 * against its own clock (the output delay is the same at both ends).
	 */
	put("compute: tsc0=");
	put_u64(tsc_read());
	end_line();
	for (unsigned i = 0; i < NBENCH; i++) {
		if (!selected(cfg, benches[i]->name))
			continue;
		ran++;
		failed += run_one(cfg, benches[i]);
	}
	put("compute: tsc1=");
	put_u64(tsc_read());
	end_line();

	if (ran == 0) {
		put("compute: FAIL no benchmark matches only=");
		put(cfg->only);
		end_line();
		return 1;
	}
	if (failed) {
		put("compute: ");
		put_u64(failed);
		put(" of ");
		put_u64(ran);
		put(" failed");
	} else {
		put("compute: all ok (");
		put_u64(ran);
		put(" benchmarks)");
	}
	end_line();
	return failed;
}
