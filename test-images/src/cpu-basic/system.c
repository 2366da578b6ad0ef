/* CPUID, TSC, control registers and MSRs. */
#include "check.h"

#define MSR_EFER		0xC0000080
#define MSR_FS_BASE		0xC0000100
#define MSR_GS_BASE		0xC0000101
#define MSR_KERNEL_GS_BASE	0xC0000102
#define EFER_LME		0x100
#define EFER_LMA		0x400

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static int printable(uint32_t w)
{
	for (int i = 0; i < 4; i++, w >>= 8)
		if ((w & 0xff) < 0x20 || (w & 0xff) > 0x7e)
			return 0;
	return 1;
}

static void cpuid_tests(void)
{
	uint32_t r[4];
	struct check c;

	cpuid(0, 0, r);
	check_begin(&c, "cpuid.0 max leaf and vendor");
	check_true(&c, "max leaf < 1", r[0] >= 1);
	check_true(&c, "vendor (EBX, EDX, ECX) not printable",
		   printable(r[1]) && printable(r[3]) && printable(r[2]));
	check_end(&c);

	cpuid(0x80000000, 0, r);
	check_begin(&c, "cpuid.80000001 long mode");
	check_true(&c, "max extended leaf < 0x80000001", r[0] >= 0x80000001);
	if (r[0] >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		check_true(&c, "EDX bit 29 (LM) clear", r[3] & (1u << 29));
	}
	check_end(&c);

	/* The upper halves of RAX..RDX are zeroed. */
	uint64_t a = ~0ul, b = ~0ul, cx = ~0ul, d = ~0ul;
	__asm__ volatile("movq $-1, %%rax\n\txorl %%eax, %%eax\n\tcpuid"
			 : "+a"(a), "+b"(b), "+c"(cx), "+d"(d));
	check_begin(&c, "cpuid zero-extends");
	check_true(&c, "upper half set", ((a | b | cx | d) >> 32) == 0);
	check_end(&c);
}

static void tsc_tests(void)
{
	uint64_t lo1, hi1, lo2, hi2;
	struct check c;

	__asm__ volatile("movq $-1, %%rax\n\tmovq $-1, %%rdx\n\trdtsc" : "=a"(lo1), "=d"(hi1));
	for (volatile int i = 0; i < 1000; i++)
		;
	__asm__ volatile("rdtsc" : "=a"(lo2), "=d"(hi2));
	check_begin(&c, "rdtsc increases");
	check_true(&c, "upper halves of RAX/RDX set", ((lo1 | hi1) >> 32) == 0);
	check_true(&c, "second read not greater", (hi2 << 32 | lo2) > (hi1 << 32 | lo1));
	check_end(&c);
}

static void control_register_tests(void)
{
	uint64_t cr0, cr4;
	struct check c;

	__asm__ volatile("movq %%cr0, %0\n\tmovq %%cr4, %1" : "=r"(cr0), "=r"(cr4));
	check_begin(&c, "cr0/cr4/efer after boot");
	check_eq(&c, "CR0 & (PG|WP|PE)", cr0 & 0x80010001, 0x80010001);
	check_eq(&c, "CR4 & PAE", cr4 & 0x20, 0x20);
	check_eq(&c, "EFER & (LMA|LME)", rdmsr(MSR_EFER) & (EFER_LMA | EFER_LME), EFER_LMA | EFER_LME);
	check_end(&c);

	check_begin(&c, "wrmsr/rdmsr KERNEL_GS_BASE");
	wrmsr(MSR_KERNEL_GS_BASE, 0xffff800012345678);
	check_eq(&c, "read back", rdmsr(MSR_KERNEL_GS_BASE), 0xffff800012345678);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	check_end(&c);

	/* Unikraft keeps per-CPU data behind GS and TLS behind FS. */
	static volatile uint64_t area[4] = { 0x1111, 0x2222, 0x3333, 0x4444 };
	uint64_t v1, v2;
	wrmsr(MSR_FS_BASE, (uint64_t)area);
	wrmsr(MSR_GS_BASE, (uint64_t)&area[1]);
	__asm__ volatile("movq %%fs:8, %0\n\tmovq %%gs:16, %1\n\tmovq $0x5555, %%gs:0"
			 : "=&r"(v1), "=&r"(v2) : : "memory");
	check_begin(&c, "fs/gs base from MSRs");
	check_eq(&c, "%fs:8", v1, 0x2222);
	check_eq(&c, "%gs:16", v2, 0x4444);
	check_eq(&c, "store %gs:0", area[1], 0x5555);
	check_end(&c);
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_GS_BASE, 0);

	uint64_t fl;
	__asm__ volatile("std\n\tpushfq\n\tpopq %0\n\tcld" : "=r"(fl));
	check_begin(&c, "pushfq after std");
	check_eq(&c, "DF", fl & DF, DF);
	check_eq(&c, "reserved bit 1", fl & RFLAGS_FIXED, RFLAGS_FIXED);
	check_end(&c);
}

void system_tests(void)
{
	cpuid_tests();
	tsc_tests();
	control_register_tests();
}
