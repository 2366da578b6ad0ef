/*
 * Privilege checks: ring 3 entered by IRETQ (user segments, U/S pages),
 * privileged instructions there, IOPL and the TSS I/O bitmap, CR4.TSD,
 * page protection (U/S, R/W, SMEP), SYSCALL/SYSRET, gate DPLs, and the
 * stacks the CPU switches to (TSS.RSP0, IST).
 */
#include "cm.h"

extern char u_hlt[], u_cli[], u_sti[], u_movcr3[], u_lgdt[], u_wrmsr[], u_rdmsr[], u_in_allowed[], u_in_denied[],
	u_inw_half_denied[], u_out_denied[], u_in_high[], u_in_high_fault[], u_rdtsc[], u_read_kernel[], u_write_ro[], u_read_ro[],
	u_exit[], u_int_dpl0[], u_swapgs[], u_iopl3[], u_syscall[], u_syscall_ret[], u_verw[], u_ret[], u_segs[];
extern volatile uint64_t kernel_secret;

#define USER_RSP	((uint64_t)user_stack + 4096)
#define U64(off)	(*(volatile uint64_t *)&user_data[off])

/* Runs user code from rip that must fault at fault_rip (no flags changed before it). */
static void user_fault_at(const char *name, char *rip, char *fault_rip, uint64_t rflags, uint64_t vector,
			  uint64_t error, uint64_t cr2)
{
	struct check c;
	uint64_t n = trap_info.count;
	run_user(rip, rflags);
	check_begin(&c, name);
	struct expect e = { vector, error, (uint64_t)fault_rip, SEL_UCODE64, SEL_UDATA, USER_RSP, rflags, rsp0_top, cr2 };
	expect_trap(&c, n, &e);
	check_end(&c);
}

/* Runs user code that must fault on its first instruction. */
static void user_fault(const char *name, char *rip, uint64_t rflags, uint64_t vector, uint64_t error, uint64_t cr2)
{
	user_fault_at(name, rip, rip, rflags, vector, error, cr2);
}

/* Runs user code that must get to its int $0x80 without a fault. */
static void user_ok(const char *name, char *rip, uint64_t rflags)
{
	struct check c;
	uint64_t n = trap_info.count;
	run_user(rip, rflags);
	check_begin(&c, name);
	struct expect e = { VEC_EXIT, 0, ANY, SEL_UCODE64, SEL_UDATA, USER_RSP, ANY, rsp0_top, ANY };
	expect_trap(&c, n, &e);
	check_end(&c);
}

static int has_leaf7_ebx(unsigned bit)
{
	uint32_t r[4];
	cpuid(7, 0, r);
	return (r[1] >> bit) & 1;
}

void priv_tests(void)
{
	struct check c;
	uint64_t n, fip, sp;

	memset(user_data, 0, sizeof(user_data));

	/* IRETQ to CPL 3 and int $0x80 back through the DPL 3 gate, on TSS.RSP0 */
	n = trap_info.count;
	run_user(u_exit, 0x2);
	check_begin(&c, "ring 3 by IRETQ, int 0x80 (DPL 3 gate) back on TSS.RSP0");
	struct expect e = { VEC_EXIT, 0, (uint64_t)u_exit + 2, SEL_UCODE64, SEL_UDATA, USER_RSP, 0x2, rsp0_top, ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	/* IRETQ to CPL 3 clears ES, DS, FS, GS that hold DPL 0 data segments */
	__asm__ volatile("movl %0, %%ds\n\tmovl %0, %%es\n\tmovl %0, %%fs\n\tmovl %0, %%gs" : : "r"(SEL_DATA));
	memset(user_data + 0x80, 0xff, 8);
	user_ok("ring 3: read DS, ES, FS, GS", u_segs, 0x2);
	check_begin(&c, "IRETQ to ring 3 nulls DS/ES/FS/GS holding DPL 0 segments");
	check_eq(&c, "DS", *(volatile uint16_t *)&user_data[0x80], 0);
	check_eq(&c, "ES", *(volatile uint16_t *)&user_data[0x82], 0);
	check_eq(&c, "FS", *(volatile uint16_t *)&user_data[0x84], 0);
	check_eq(&c, "GS", *(volatile uint16_t *)&user_data[0x86], 0);
	check_end(&c);
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_GS_BASE, 0);

	user_fault("ring 3: hlt -> #GP(0)", u_hlt, 0x2, VEC_GP, 0, ANY);
	user_fault("ring 3: cli with IOPL 0 -> #GP(0)", u_cli, 0x2, VEC_GP, 0, ANY);
	user_fault("ring 3: sti with IOPL 0 -> #GP(0)", u_sti, 0x2, VEC_GP, 0, ANY);
	user_fault("ring 3: mov to cr3 -> #GP(0)", u_movcr3, 0x2, VEC_GP, 0, ANY);
	user_fault("ring 3: lgdt -> #GP(0)", u_lgdt, 0x2, VEC_GP, 0, ANY);
	user_fault("ring 3: wrmsr -> #GP(0)", u_wrmsr, 0x2, VEC_GP, 0, ANY);
	user_fault("ring 3: rdmsr -> #GP(0)", u_rdmsr, 0x2, VEC_GP, 0, ANY);
	user_fault("ring 3: swapgs -> #GP(0)", u_swapgs, 0x2, VEC_GP, 0, ANY);
	user_ok("ring 3: in from a port the I/O bitmap allows (IOPL 0)", u_in_allowed, 0x2);
	user_fault("ring 3: in from a port the I/O bitmap denies -> #GP(0)", u_in_denied, 0x2, VEC_GP, 0, ANY);
	user_fault("ring 3: 16-bit in, one of two ports denied -> #GP(0)", u_inw_half_denied, 0x2, VEC_GP, 0, ANY);
	user_fault("ring 3: out to a denied port -> #GP(0)", u_out_denied, 0x2, VEC_GP, 0, ANY);
	user_fault_at("ring 3: in beyond the TSS limit -> #GP(0)", u_in_high, u_in_high_fault, 0x2, VEC_GP, 0, ANY);
	user_data[0x20] = 0;
	user_ok("ring 3: cli, sti, in with IOPL 3", u_iopl3, 0x2 | IOPL3);
	expect_eq("ring 3: IOPL 3 code ran to its end", user_data[0x20], 1);

	write_cr4(read_cr4() | CR4_TSD);
	user_fault("ring 3: rdtsc with CR4.TSD -> #GP(0)", u_rdtsc, 0x2, VEC_GP, 0, ANY);
	write_cr4(read_cr4() & ~CR4_TSD);
	U64(0x10) = 0;
	user_ok("ring 3: rdtsc with CR4.TSD clear", u_rdtsc, 0x2);
	expect_eq("ring 3: rdtsc returned a time", U64(0x10) != 0, 1);

	user_fault("ring 3: read of a supervisor page -> #PF(P|U)", u_read_kernel, 0x2, VEC_PF, PF_P | PF_U,
		   (uint64_t)&kernel_secret);
	user_fault("ring 3: write to a read-only user page -> #PF(P|W|U)", u_write_ro, 0x2, VEC_PF,
		   PF_P | PF_W | PF_U, (uint64_t)&user_ro[0x40]);
	user_ok("ring 3: read of a read-only user page", u_read_ro, 0x2);
	expect_eq("ring 3: read-only user page's contents", U64(0x18), 0x4746454443424140);

	user_fault("ring 3: int 0x81 through a DPL 0 gate -> #GP(0x81*8+2)", u_int_dpl0, 0x2, VEC_GP,
		   VEC_DPL0 * 8 + 2, ANY);

	U64(0x78) = 0xffff;
	user_ok("ring 3: verw/verr", u_verw, 0x2);
	check_begin(&c, "ring 3: verw on the user data segment, verr on a DPL 0 one");
	check_eq(&c, "verw 0x3b ZF", user_data[0x78], 1);
	check_eq(&c, "verr 0x10 ZF", user_data[0x79], 0);
	check_end(&c);

	/* SYSCALL / SYSRET */
	wrmsr(MSR_STAR, (uint64_t)0x30 << 48 | (uint64_t)SEL_CODE64 << 32);
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_SFMASK, DF | IF | TF | AC);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	uint64_t before = sc_count;
	user_ok("ring 3: syscall, sysretq, then int 0x80", u_syscall, 0x2);
	check_begin(&c, "syscall/sysretq round trip");
	check_eq(&c, "kernel entries", sc_count - before, 1);
	check_eq(&c, "RCX in the kernel", sc_rcx, (uint64_t)u_syscall_ret);
	check_eq(&c, "R11 in the kernel", sc_r11, 0x403);
	check_eq(&c, "RFLAGS in the kernel (SFMASK applied)", sc_rflags, 0x003);
	check_eq(&c, "CS in the kernel", sc_cs, SEL_CODE64);
	check_eq(&c, "SS in the kernel", sc_ss, SEL_DATA);
	check_eq(&c, "RSP in the kernel (unchanged)", sc_rsp, U64(0x68));
	check_eq(&c, "RFLAGS back in ring 3", U64(0x40), 0x403);
	check_eq(&c, "RCX back in ring 3", U64(0x48), (uint64_t)u_syscall_ret);
	check_eq(&c, "R11 back in ring 3", U64(0x50), 0x403);
	check_eq(&c, "CS back in ring 3", U64(0x58), SEL_UCODE64);
	check_eq(&c, "SS back in ring 3", U64(0x60), SEL_UDATA);
	check_eq(&c, "RSP back in ring 3", U64(0x70), U64(0x68));
	check_end(&c);

	/* IST: a gate with IST 3 switches stacks even without a privilege change */
	KTRAP(n, fip, sp, "", "int $0x83", "i"(0));
	check_begin(&c, "ring 0: int 0x83 through an IST 3 gate runs on IST3");
	e = (struct expect){ VEC_IST3, 0, fip + 2, SEL_CODE64, SEL_DATA, sp, ANY, ist_top[2], ANY };
	expect_trap(&c, n, &e);
	check_end(&c);

	/* SMEP: a supervisor-mode fetch from a user page */
	if (has_leaf7_ebx(7)) {
		write_cr4(read_cr4() | CR4_SMEP);
		KTRAP(n, fip, sp, "", "call *%[t]", [t] "r"(u_ret));
		write_cr4(read_cr4() & ~CR4_SMEP);
		check_begin(&c, "SMEP: supervisor fetch from a user page -> #PF(P|I/D)");
		e = (struct expect){ VEC_PF, PF_P | PF_ID, (uint64_t)u_ret, SEL_CODE64, SEL_DATA, sp - 8, ANY, ANY,
				     (uint64_t)u_ret };
		expect_trap(&c, n, &e);
		check_end(&c);
		KTRAP(n, fip, sp, "", "call *%[t]", [t] "r"(u_ret));
		check_begin(&c, "SMEP off: supervisor code runs from a user page");
		check_eq(&c, "exceptions", trap_info.count - n, 0);
		check_end(&c);
	} else {
		skip("SMEP", "CPUID.7.0:EBX[7] clear");
	}
}
