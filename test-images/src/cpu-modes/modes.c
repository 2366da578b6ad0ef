/*
 * Real mode, 16-bit protected mode and compatibility mode: trip.S goes
 * there and back and leaves what it saw in memory; this side judges it.
 */
#include "cm.h"

extern char main_gdtr[], rm_buf[];
extern char r_pm16_cs[], r_pm16_add[], r_pm16_inc[], r_pm16_push_delta[], r_pm16_pop[], r_pm16_sib[],
	r_pm16_call_delta[];
extern char r_rm_cs[], r_rm_cr0[], r_rm_lods[], r_rm_dssi[], r_rm_si_after[], r_rm_sp_push[], r_rm_ss_mem[],
	r_rm_pop[], r_rm_sp_pop[], r_rm_shr[], r_rm_sib[], r_rm_push_delta[], r_rm_pop32[];
extern char r_rm_cs_after_call[], r_far_cs[], r_far_ret_ip[], r_far_ret_cs[], rm_after_call_off[];
extern char r_isr_ip[], r_isr_cs[], r_isr_pushed_flags[], r_isr_flags[], r_isr_mycs[], r_isr_count[],
	r_rm_flags_after_iret[], rm_after_int_off[], r_rm_sgdt[];
extern uint32_t cm_efer_pg_off, cm_efer_lme_off;
extern uint32_t cmc_cs, cmc_inc, cmc_push_delta, cmc_pop, cmc_efer, cmc_call_delta, cmc_back;

/* The copy at BLOB_BASE of a location in the blob */
#define AT(sym)		(BLOB_BASE + ((char *)(sym) - cm_blob))
#define R32(sym)	(*(volatile uint32_t *)AT(sym))
#define R16(sym)	(*(volatile uint16_t *)AT(sym))

#define EFER_LME	0x100
#define EFER_LMA	0x400

void mode_tests(void)
{
	struct check c;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr, gdtr;

	memcpy((void *)BLOB_BASE, cm_blob, cm_blob_end - cm_blob);
	__asm__ volatile("sidt %0\n\tsgdt %1" : "=m"(idtr), "=m"(gdtr));
	*(volatile uint16_t *)AT(main_gdtr) = gdtr.limit;
	*(volatile uint32_t *)(AT(main_gdtr) + 2) = (uint32_t)gdtr.base;

	cm_trip();
	__asm__ volatile("lidt %0" : : "m"(idtr));

	uint64_t efer = rdmsr(MSR_EFER), cs;
	__asm__ volatile("movq %%cs, %0" : "=r"(cs));
	check_begin(&c, "long mode -> compatibility mode -> paging off -> EFER.LME off");
	check_eq(&c, "EFER & (LMA|LME) after CR0.PG=0", cm_efer_pg_off & (EFER_LMA | EFER_LME), EFER_LME);
	check_eq(&c, "EFER & (LMA|LME) after clearing LME", cm_efer_lme_off & (EFER_LMA | EFER_LME), 0);
	check_end(&c);

	check_begin(&c, "16-bit protected mode (D=0) with 66/67 prefixes");
	check_eq(&c, "CS", R16(r_pm16_cs), SEL_CODE16);
	check_eq(&c, "addl imm32", R32(r_pm16_add), 0x23456789);
	check_eq(&c, "incw keeps EAX[31:16]", R32(r_pm16_inc), 0x23450000);
	check_eq(&c, "pushl: SP moved by", R16(r_pm16_push_delta), 4);
	check_eq(&c, "popl", R32(r_pm16_pop), 0xcafef00d);
	check_eq(&c, "addr32 (%ebx,%ecx,4)", R32(r_pm16_sib), 0x76543210);
	check_eq(&c, "near call: SP moved by", R16(r_pm16_call_delta), 2);
	check_end(&c);

	check_begin(&c, "real mode: CR0.PE=0 and a real-mode CS");
	check_eq(&c, "CS", R16(r_rm_cs), BLOB_SEG);
	check_eq(&c, "CR0 & (PG|PE)", R32(r_rm_cr0) & (CR0_PG | CR0_PE), 0);
	check_end(&c);

	check_begin(&c, "real mode: DS:SI and ES:DI segment arithmetic");
	check_eq(&c, "lodsw at DS=0x0fff", R16(r_rm_lods), 0x1514);
	check_eq(&c, "(%si) after lodsw", R16(r_rm_dssi), 0x1716);
	check_eq(&c, "SI after lodsw", R16(r_rm_si_after), (uint64_t)(rm_buf - cm_blob) + 16 + 6);
	check_eq(&c, "stosw at ES:8 (ES = the buffer's paragraph)", *(volatile uint16_t *)(AT(rm_buf) + 8), 0x4d4f);
	check_end(&c);

	check_begin(&c, "real mode: SS:SP push/pop");
	check_eq(&c, "SP after push", R16(r_rm_sp_push), 0xffee);
	check_eq(&c, "word at SS*16+SP read through ES", R16(r_rm_ss_mem), 0xbeef);
	check_eq(&c, "popped", R16(r_rm_pop), 0xbeef);
	check_eq(&c, "SP after pop", R16(r_rm_sp_pop), 0xfff0);
	check_end(&c);

	check_begin(&c, "real mode: 66/67 prefixes");
	check_eq(&c, "shrl on a 32-bit register", R32(r_rm_shr), 0x089abcde);
	check_eq(&c, "addr32 (%ebx,%esi,2)", R16(r_rm_sib), 0x4004);
	check_eq(&c, "pushl: SP moved by", R16(r_rm_push_delta), 4);
	check_eq(&c, "popl", R32(r_rm_pop32), 0x11223344);
	check_end(&c);

	check_begin(&c, "real mode: far call into another segment, far return");
	check_eq(&c, "callee's CS", R16(r_far_cs), BLOB_SEG - 0x10);
	check_eq(&c, "pushed IP", R16(r_far_ret_ip), R32(rm_after_call_off));
	check_eq(&c, "pushed CS", R16(r_far_ret_cs), BLOB_SEG);
	check_eq(&c, "CS after lret", R16(r_rm_cs_after_call), BLOB_SEG);
	check_end(&c);

	check_begin(&c, "real mode: int 0x30 through an IVT at 0x10000+, iret");
	check_eq(&c, "handler runs", R16(r_isr_count), 1);
	check_eq(&c, "handler's CS (from the IVT)", R16(r_isr_mycs), BLOB_SEG - 0x20);
	check_eq(&c, "pushed IP", R16(r_isr_ip), R32(rm_after_int_off));
	check_eq(&c, "pushed CS", R16(r_isr_cs), BLOB_SEG);
	check_eq(&c, "pushed FLAGS & (CF|DF)", R16(r_isr_pushed_flags) & (CF | DF), CF | DF);
	check_eq(&c, "FLAGS in the handler & (IF|TF|DF)", R16(r_isr_flags) & (IF | TF | DF), DF);
	check_eq(&c, "FLAGS after iret & (CF|DF)", R16(r_rm_flags_after_iret) & (CF | DF), CF | DF);
	check_end(&c);

	check_begin(&c, "real mode: lgdtl/sgdtl");
	check_eq(&c, "limit", R16(r_rm_sgdt), 0x1234);
	check_eq(&c, "base", *(volatile uint32_t *)(AT(r_rm_sgdt) + 2), 0x00567890);
	check_end(&c);

	check_begin(&c, "real mode -> long mode (LGDT, PE, 32-bit, LME, PG, 64-bit)");
	check_eq(&c, "EFER & (LMA|LME)", efer & (EFER_LMA | EFER_LME), EFER_LMA | EFER_LME);
	check_eq(&c, "CS", cs, SEL_CODE64);
	check_end(&c);

	cm_compat();
	check_begin(&c, "compatibility mode: 32-bit code (L=0, D=1), far jump and far return to 64-bit");
	check_eq(&c, "CS", cmc_cs & 0xffff, SEL_CODE32);
	check_eq(&c, "0x40 is inc %eax", cmc_inc, 0x80000000);
	check_eq(&c, "pushl: ESP moved by", cmc_push_delta, 4);
	check_eq(&c, "popl", cmc_pop, 0x12345678);
	check_eq(&c, "near call: ESP moved by", cmc_call_delta, 4);
	check_eq(&c, "EFER & (LMA|LME)", cmc_efer & (EFER_LMA | EFER_LME), EFER_LMA | EFER_LME);
	check_eq(&c, "returns to 64-bit mode (ljmp, lret)", cmc_back, 2);
	check_end(&c);
}
