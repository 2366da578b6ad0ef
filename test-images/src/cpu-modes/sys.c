/*
 * Other system instructions: descriptor-table stores, segment queries,
 * SWAPGS, FS/GS base instructions, RDTSCP/RDPID, RDRAND/RDSEED, the
 * hypervisor CPUID leaf, INVLPG, CR0.WP, CMPXCHG16B alignment.
 */
#include "cm.h"

#define LAR_MASK	0x00f0ff00ul	/* bits 19:16 (limit) are undefined */

/* lar/lsl/verr/verw: the result register and ZF */
#define SEGQ(insn, sel, out, zf)							\
	__asm__ volatile("movq $0xdead, %0\n\t" insn " %w2, %0\n\tsetz %b1"		\
			 : "=&r"(out), "=&q"(zf) : "r"((uint64_t)(sel)) : "cc")

void sys_tests(void)
{
	struct check c;
	struct expect e;
	uint64_t n, fip, sp;
	uint32_t r[4];

	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gd, id;
	uint16_t ldt = 0xffff, tr = 0;
	__asm__ volatile("sgdt %0\n\tsidt %1\n\tsldt %2\n\tstr %3" : "=m"(gd), "=m"(id), "=m"(ldt), "=m"(tr));
	check_begin(&c, "sgdt/sidt/sldt/str");
	check_eq(&c, "GDT limit", gd.limit, GDT_ENTRIES * 8 - 1);
	check_eq(&c, "GDT base", gd.base, (uint64_t)gdt);
	check_eq(&c, "IDT limit", id.limit, 256 * 16 - 1);
	check_true(&c, "IDT base not 16-byte aligned", (id.base & 15) == 0 && id.base != 0);
	check_eq(&c, "LDTR", ldt, 0);
	check_eq(&c, "TR", tr, SEL_TSS);
	check_end(&c);

	uint64_t v, zf;
	check_begin(&c, "lar on GDT entries");
	SEGQ("lar", SEL_CODE64, v, zf);
	check_eq(&c, "ZF 0x08", zf & 1, 1);
	check_eq(&c, "lar 0x08", v & LAR_MASK, 0x00a09b00);
	SEGQ("lar", SEL_DATA16, v, zf);
	check_eq(&c, "lar 0x28", v & LAR_MASK, 0x00009300);
	SEGQ("lar", SEL_UCODE64, v, zf);
	check_eq(&c, "lar 0x43", v & LAR_MASK, 0x00a0fb00);
	SEGQ("lar", SEL_TSS, v, zf);
	check_eq(&c, "lar TSS (busy)", v & LAR_MASK, 0x00008b00);
	SEGQ("lar", 0, v, zf);
	check_eq(&c, "ZF for the null selector", zf & 1, 0);
	check_eq(&c, "destination unchanged for the null selector", v, 0xdead);
	SEGQ("lar", 0x1000, v, zf);
	check_eq(&c, "ZF beyond the GDT limit", zf & 1, 0);
	check_end(&c);

	check_begin(&c, "lsl on GDT entries");
	SEGQ("lsl", SEL_DATA, v, zf);
	check_eq(&c, "lsl 0x10 (4 KiB granular)", v, 0xffffffff);
	check_eq(&c, "ZF", zf & 1, 1);
	SEGQ("lsl", SEL_CODE16, v, zf);
	check_eq(&c, "lsl 0x20 (byte granular)", v, 0xffff);
	SEGQ("lsl", SEL_TSS, v, zf);
	check_eq(&c, "lsl TSS", v, sizeof(struct tss) - 1);
	check_end(&c);

	check_begin(&c, "verr/verw on GDT entries");
	__asm__ volatile("verr %w1\n\tsetz %b0" : "=q"(zf) : "r"(SEL_CODE64) : "cc");
	check_eq(&c, "verr code 0x08 (readable)", zf & 1, 1);
	__asm__ volatile("verw %w1\n\tsetz %b0" : "=q"(zf) : "r"(SEL_CODE64) : "cc");
	check_eq(&c, "verw code 0x08", zf & 1, 0);
	__asm__ volatile("verw %w1\n\tsetz %b0" : "=q"(zf) : "r"(SEL_DATA) : "cc");
	check_eq(&c, "verw data 0x10", zf & 1, 1);
	__asm__ volatile("verr %w1\n\tsetz %b0" : "=q"(zf) : "r"(SEL_TSS) : "cc");
	check_eq(&c, "verr TSS (system segment)", zf & 1, 0);
	check_end(&c);

	/* SWAPGS */
	static volatile uint64_t ga[2] = { 0x6161616161616161, 0x6262626262626262 };
	wrmsr(MSR_GS_BASE, (uint64_t)&ga[0]);
	wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)&ga[1]);
	uint64_t g0;
	__asm__ volatile("swapgs\n\tmovq %%gs:0, %0" : "=r"(g0) : : "memory");
	check_begin(&c, "swapgs exchanges GS.base and KERNEL_GS_BASE");
	check_eq(&c, "%gs:0 after swapgs", g0, ga[1]);
	check_eq(&c, "GS_BASE", rdmsr(MSR_GS_BASE), (uint64_t)&ga[1]);
	check_eq(&c, "KERNEL_GS_BASE", rdmsr(MSR_KERNEL_GS_BASE), (uint64_t)&ga[0]);
	__asm__ volatile("swapgs");
	check_eq(&c, "GS_BASE after the second swapgs", rdmsr(MSR_GS_BASE), (uint64_t)&ga[0]);
	check_end(&c);
	wrmsr(MSR_GS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);

	/* RDFSBASE/WRGSBASE */
	cpuid(7, 0, r);
	if (r[1] & 1) {
		write_cr4(read_cr4() & ~CR4_FSGSBASE);
		KTRAP(n, fip, sp, "", "rdfsbase %%rax", "i"(0));
		check_begin(&c, "rdfsbase with CR4.FSGSBASE clear -> #UD");
		e = (struct expect){ VEC_UD, 0, fip, SEL_CODE64, SEL_DATA, sp, ANY, ANY, ANY };
		expect_trap(&c, n, &e);
		check_end(&c);

		write_cr4(read_cr4() | CR4_FSGSBASE);
		uint64_t fs, gsm, fs32;
		__asm__ volatile("wrfsbase %[a]\n\twrgsbase %[b]\n\trdfsbase %[f]\n\trdfsbase %k[f32]"
				 : [f] "=&r"(fs), [f32] "=&r"(fs32)
				 : [a] "r"(0xffff800000001234ul), [b] "r"((uint64_t)&ga[1]) : "memory");
		__asm__ volatile("movq %%gs:0, %0" : "=r"(gsm));
		check_begin(&c, "wrfsbase/rdfsbase/wrgsbase with CR4.FSGSBASE");
		check_eq(&c, "rdfsbase", fs, 0xffff800000001234ul);
		check_eq(&c, "rdfsbase (32-bit)", fs32, 0x1234);
		check_eq(&c, "FS_BASE MSR", rdmsr(MSR_FS_BASE), 0xffff800000001234ul);
		check_eq(&c, "GS_BASE MSR", rdmsr(MSR_GS_BASE), (uint64_t)&ga[1]);
		check_eq(&c, "%gs:0", gsm, ga[1]);
		check_end(&c);
		KTRAP(n, fip, sp, "", "wrfsbase %[a]", [a] "r"(0x0000800000000000ul));
		check_begin(&c, "wrfsbase with a non-canonical base -> #GP(0)");
		e = (struct expect){ VEC_GP, 0, fip, SEL_CODE64, SEL_DATA, sp, ANY, ANY, ANY };
		expect_trap(&c, n, &e);
		check_end(&c);
		wrmsr(MSR_FS_BASE, 0);
		wrmsr(MSR_GS_BASE, 0);
		write_cr4(read_cr4() & ~CR4_FSGSBASE);
	} else {
		skip("rdfsbase/wrgsbase", "CPUID.7.0:EBX.FSGSBASE clear");
	}

	/* RDTSCP and RDPID read IA32_TSC_AUX */
	wrmsr(MSR_TSC_AUX, 0x5a5a1234);
	cpuid(0x80000001, 0, r);
	if ((r[3] >> 27) & 1) {
		uint32_t lo, hi, aux;
		uint64_t t0, t1;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		t0 = (uint64_t)hi << 32 | lo;
		__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
		t1 = (uint64_t)hi << 32 | lo;
		check_begin(&c, "rdtscp: TSC and TSC_AUX in ECX");
		check_eq(&c, "ECX", aux, 0x5a5a1234);
		check_true(&c, "TSC went backwards", t1 >= t0);
		check_end(&c);
	} else {
		skip("rdtscp", "CPUID.80000001:EDX.RDTSCP clear");
	}
	cpuid(7, 0, r);
	if ((r[2] >> 22) & 1) {
		uint64_t p = ~0ul;
		__asm__ volatile("rdpid %0" : "=r"(p));
		expect_eq("rdpid returns TSC_AUX", p, 0x5a5a1234);
	} else {
		skip("rdpid", "CPUID.7.0:ECX.RDPID clear");
	}

	/* RDRAND / RDSEED: CF=1 and two values that differ */
	cpuid(1, 0, r);
	if ((r[2] >> 30) & 1) {
		uint64_t a, b;
		uint8_t ca, cb;
		__asm__ volatile("rdrand %0\n\tsetc %1" : "=r"(a), "=q"(ca) : : "cc");
		__asm__ volatile("rdrand %0\n\tsetc %1" : "=r"(b), "=q"(cb) : : "cc");
		check_begin(&c, "rdrand");
		check_eq(&c, "CF", ca & cb, 1);
		check_true(&c, "two values equal", a != b);
		check_end(&c);
	} else {
		skip("rdrand", "CPUID.1:ECX.RDRAND clear");
	}
	cpuid(7, 0, r);
	if ((r[1] >> 18) & 1) {
		uint64_t a, b;
		uint8_t ca, cb;
		__asm__ volatile("rdseed %0\n\tsetc %1" : "=r"(a), "=q"(ca) : : "cc");
		__asm__ volatile("rdseed %0\n\tsetc %1" : "=r"(b), "=q"(cb) : : "cc");
		check_begin(&c, "rdseed");
		check_eq(&c, "CF", ca & cb, 1);
		check_true(&c, "two values equal", a != b);
		check_end(&c);
	} else {
		skip("rdseed", "CPUID.7.0:EBX.RDSEED clear");
	}

	/* The hypervisor leaf */
	cpuid(0x40000000, 0, r);
	char sig[13];
	memcpy(sig, &r[1], 4);
	memcpy(sig + 4, &r[2], 4);
	memcpy(sig + 8, &r[3], 4);
	sig[12] = 0;
	if (memcmp(sig, "ukemuukemuuk", 12) == 0) {
		check_begin(&c, "cpuid 0x40000000: ukemu signature");
		check_true(&c, "EAX < 0x40000010 (the TSC leaf)", r[0] >= 0x40000010);
		check_end(&c);
	} else {
		for (int k = 0; k < 12; k++)
			if (sig[k] < 0x20 || sig[k] > 0x7e)
				sig[k] = '.';
		kprintf("SKIP cpuid 0x40000000: ukemu signature (not ukemu: \"%s\")\n", sig);
		checks_skipped++;
	}

	/* INVLPG after changing a PTE */
	volatile uint64_t *alias = (volatile uint64_t *)absent_page;
	uint64_t saved_pte = *pte_of(absent_page);
	*pte_of(absent_page) = (uint64_t)kernel_ro | PTE_P | PTE_RW;
	invlpg(alias);
	uint64_t a1 = *alias;
	*pte_of(absent_page) = (uint64_t)user_ro | PTE_P | PTE_RW;
	invlpg(alias);
	uint64_t a2 = *alias;
	*pte_of(absent_page) = saved_pte;
	invlpg(alias);
	check_begin(&c, "invlpg after remapping a page");
	check_eq(&c, "through the first mapping", a1, *(volatile uint64_t *)kernel_ro);
	check_eq(&c, "through the second mapping", a2, *(volatile uint64_t *)user_ro);
	check_end(&c);

	/* CR0.WP: supervisor writes to a read-only page */
	KTRAP(n, fip, sp, "", "movb $0x77, (%[a])", [a] "r"(&kernel_ro[0x80]));
	check_begin(&c, "CR0.WP=1: supervisor write to a read-only page -> #PF(P|W)");
	e = (struct expect){ VEC_PF, PF_P | PF_W, fip, SEL_CODE64, SEL_DATA, sp, ANY, ANY, (uint64_t)&kernel_ro[0x80] };
	expect_trap(&c, n, &e);
	check_eq(&c, "memory unchanged", kernel_ro[0x80], 0);
	check_end(&c);
	write_cr0(read_cr0() & ~CR0_WP);
	KTRAP(n, fip, sp, "", "movb $0x77, (%[a])", [a] "r"(&kernel_ro[0x80]));
	write_cr0(read_cr0() | CR0_WP);
	check_begin(&c, "CR0.WP=0: supervisor write to a read-only page");
	check_eq(&c, "exceptions", trap_info.count - n, 0);
	check_eq(&c, "memory", kernel_ro[0x80], 0x77);
	check_end(&c);

	/* CMPXCHG16B needs a 16-byte aligned operand */
	static volatile uint64_t dq[4] __attribute__((aligned(16))) = { 1, 2, 3, 4 };
	uint64_t lo = 1, hi = 2;
	uint8_t ok;
	__asm__ volatile("lock cmpxchg16b %[m]\n\tsetz %[ok]"
			 : [m] "+m"(dq[0]), "+a"(lo), "+d"(hi), [ok] "=q"(ok)
			 : "b"(0x11ul), "c"(0x22ul) : "memory", "cc");
	check_begin(&c, "cmpxchg16b aligned");
	check_eq(&c, "ZF", ok, 1);
	check_eq(&c, "low", dq[0], 0x11);
	check_eq(&c, "high", dq[1], 0x22);
	check_end(&c);
	KTRAP(n, fip, sp, "xorl %%eax, %%eax\n\txorl %%edx, %%edx\n\txorl %%ecx, %%ecx",
	      "lock cmpxchg16b (%[a])", [a] "r"(&dq[1]), "b"(0ul));
	check_begin(&c, "cmpxchg16b at an 8-byte aligned address -> #GP(0)");
	e = (struct expect){ VEC_GP, 0, fip, SEL_CODE64, SEL_DATA, sp, ANY, ANY, ANY };
	expect_trap(&c, n, &e);
	check_eq(&c, "memory unchanged", dq[1], 0x22);
	check_end(&c);
}

