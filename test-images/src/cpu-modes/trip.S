/*
 * cpu-modes: the way down from long mode to real mode and back up, and a
 * visit to compatibility mode.
 *
 * cm_trip (SDM vol. 3, 9.8.5.4 and 9.9.2): 64-bit -> compatibility mode
 * (far return to a 32-bit code segment) -> paging off (EFER.LMA clears) ->
 * EFER.LME off -> far jump to a 16-bit code segment (16-bit protected mode)
 * -> CR0.PE off -> far jump to real mode. The real-mode part runs copied to
 * BLOB_BASE (segment BLOB_SEG), where the 16-bit code and data segments
 * also have their base, so one set of offsets serves both modes. Then back
 * up the way an AP's start-up trampoline goes: LGDT, CR0.PE, far jump to
 * 32-bit code, EFER.LME, CR0.PG, far jump to 64-bit code. Every result is
 * left in the blob's copy for the C side (modes.c).
 */
#include "cm.h"

#define B(x)		((x) - cm_blob)
#define MSR_EFER_	0xC0000080
#define CR0_PG_		0x80000000

	.text
	.code64
	.globl	cm_trip
cm_trip:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, cm_saved_rsp(%rip)
	pushq	$SEL_CODE32
	leaq	down32(%rip), %rax
	pushq	%rax
	lretq

	.code32
down32:
	movl	$SEL_DATA, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	%cr0, %eax
	andl	$~CR0_PG_, %eax
	movl	%eax, %cr0			/* compatibility mode, paging off: EFER.LMA clears */
	movl	$MSR_EFER_, %ecx
	rdmsr
	movl	%eax, cm_efer_pg_off
	andl	$~0x100, %eax
	wrmsr
	rdmsr
	movl	%eax, cm_efer_lme_off
	ljmp	$SEL_CODE16, $B(pm16_entry)

/* Back from real mode: 32-bit protected mode, paging off */
up32:
	movl	$SEL_DATA, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movl	$MSR_EFER_, %ecx
	rdmsr
	orl	$0x100, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PG_, %eax
	movl	%eax, %cr0			/* CR3 still holds the 4-level tables */
	ljmp	$SEL_CODE64, $up64

	.code64
up64:
	movl	$SEL_DATA, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movq	cm_saved_rsp(%rip), %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret

/*
 * cm_compat: 64-bit -> compatibility mode by LRETQ, 32-bit code, back by a
 * direct far JMP; again by LRETQ, back by a 32-bit far RET.
 */
	.globl	cm_compat
cm_compat:
	pushq	%rbx
	pushq	%rbp
	movq	%rsp, cm_saved_rsp(%rip)
	pushq	$SEL_CODE32
	leaq	c32a(%rip), %rax
	pushq	%rax
	lretq

	.code32
c32a:
	movw	%cs, cmc_cs
	movl	$0x7fffffff, %eax
	.byte	0x40				/* inc %eax here; a REX prefix in 64-bit mode */
	movl	%eax, cmc_inc
	movl	%esp, %ebx
	pushl	$0x12345678
	movl	%esp, %ecx
	popl	%edx
	subl	%ecx, %ebx
	movl	%ebx, cmc_push_delta
	movl	%edx, cmc_pop
	movl	$MSR_EFER_, %ecx
	rdmsr
	movl	%eax, cmc_efer
	movl	%esp, %ebx
	call	c32_near			/* a 32-bit near call pushes 4 bytes */
	ljmp	$SEL_CODE64, $c64a

c32_near:
	subl	%esp, %ebx
	movl	%ebx, cmc_call_delta
	ret

	.code64
c64a:
	incl	cmc_back(%rip)
	pushq	$SEL_CODE32
	leaq	c32b(%rip), %rax
	pushq	%rax
	lretq

	.code32
c32b:
	pushl	$SEL_CODE64
	pushl	$c64b
	lret

	.code64
c64b:
	incl	cmc_back(%rip)
	movq	cm_saved_rsp(%rip), %rsp
	popq	%rbp
	popq	%rbx
	ret

	.data
	.balign	8
cm_saved_rsp:	.quad 0
	.globl	cm_efer_pg_off, cm_efer_lme_off
cm_efer_pg_off:	.long 0
cm_efer_lme_off: .long 0
	.globl	cmc_cs, cmc_inc, cmc_push_delta, cmc_pop, cmc_efer, cmc_call_delta, cmc_back
cmc_cs:		.long 0
cmc_inc:	.long 0
cmc_push_delta:	.long 0
cmc_pop:	.long 0
cmc_efer:	.long 0
cmc_call_delta:	.long 0
cmc_back:	.long 0

/*
 * The blob, copied to BLOB_BASE before each trip. Offsets inside it are the
 * same under CS = SEL_CODE16 (16-bit protected mode) and CS = BLOB_SEG.
 */
	.section .text.blob, "ax"
	.code16
	.balign	16
	.globl	cm_blob
cm_blob:
pm16_entry:
	movw	$SEL_DATA16, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movl	$0xf000, %esp
	movw	%cs, B(r_pm16_cs)
	/* 32-bit operands by prefix 66 */
	movl	$0x12345678, %eax
	addl	$0x11111111, %eax
	movl	%eax, B(r_pm16_add)
	movw	$0xffff, %ax			/* 16 bits by default: the upper half stays */
	incw	%ax
	movl	%eax, B(r_pm16_inc)
	movw	%sp, %bx
	pushl	$0xcafef00d
	movw	%sp, %cx
	popl	%edx
	subw	%cx, %bx
	movw	%bx, B(r_pm16_push_delta)
	movl	%edx, B(r_pm16_pop)
	/* 32-bit addressing by prefix 67: base + index * 4 */
	movl	$B(table32), %ebx
	movl	$2, %ecx
	addr32 movl (%ebx,%ecx,4), %eax
	movl	%eax, B(r_pm16_sib)
	call	pm16_near			/* a 16-bit near call pushes 2 bytes */
	movw	%ax, B(r_pm16_call_delta)

	/* CR0.PE off, then a far jump loads a real-mode CS */
	movl	%cr0, %eax
	andl	$~1, %eax
	movl	%eax, %cr0
	ljmp	$BLOB_SEG, $B(rm_entry)

pm16_near:
	movw	%sp, %ax
	negw	%ax
	addw	$0xf000, %ax
	ret

rm_entry:
	movw	$BLOB_SEG, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	$0x2000, %ax
	movw	%ax, %ss
	movw	$0xfff0, %sp
	movw	%cs, B(r_rm_cs)
	movl	%cr0, %eax
	movl	%eax, B(r_rm_cr0)
	lidt	B(rm_idtr)

	/* DS:SI with DS != BLOB_SEG reaching the buffer: DS = BLOB_SEG - 1, SI 16 higher */
	movw	$BLOB_SEG - 1, %ax
	movw	%ax, %ds
	movw	$B(rm_buf) + 16 + 4, %si
	cld
	lodsw					/* rm_buf[4..5] */
	movw	(%si), %bx			/* rm_buf[6..7] */
	movw	%si, %dx
	movw	$BLOB_SEG, %cx
	movw	%cx, %ds
	movw	%ax, B(r_rm_lods)
	movw	%bx, B(r_rm_dssi)
	movw	%dx, B(r_rm_si_after)
	/* ES:DI store with ES = the buffer's own paragraph */
	movw	$BLOB_SEG + B(rm_buf) / 16, %ax
	movw	%ax, %es
	movw	$8, %di
	movw	$0x4d4f, %ax
	stosw
	movw	$BLOB_SEG, %ax
	movw	%ax, %es

	/* SS:SP: a push lands at SS * 16 + SP - 2, read back through ES */
	pushw	$0xbeef
	movw	%sp, B(r_rm_sp_push)
	movw	$0x2ffe, %ax
	movw	%ax, %es
	movw	%es:0x0e, %ax			/* linear 0x2ffee */
	movw	%ax, B(r_rm_ss_mem)
	movw	$BLOB_SEG, %ax
	movw	%ax, %es
	popw	%ax
	movw	%ax, B(r_rm_pop)
	movw	%sp, B(r_rm_sp_pop)

	/* 66 and 67 in real mode */
	movl	$0x89abcdef, %eax
	shrl	$4, %eax
	movl	%eax, B(r_rm_shr)
	movl	$B(table16), %ebx
	movl	$3, %esi
	addr32 movw (%ebx,%esi,2), %ax
	movw	%ax, B(r_rm_sib)
	movw	%sp, %bx
	pushl	$0x11223344
	movw	%sp, %cx
	popl	%edx
	subw	%cx, %bx
	movw	%bx, B(r_rm_push_delta)
	movl	%edx, B(r_rm_pop32)

	/* far call into another segment (CS = BLOB_SEG - 0x10) and back */
	lcall	$BLOB_SEG - 0x10, $B(rm_far) + 0x100
rm_after_call:
	movw	%cs, B(r_rm_cs_after_call)

	/* int $0x30 through this blob's IVT (handler at CS = BLOB_SEG - 0x20), DF and CF set */
	std
	stc
	int	$0x30
rm_after_int:
	pushfw
	popw	B(r_rm_flags_after_iret)
	cld

	/* LGDT and SGDT with 32-bit operands: the GDT is not used in real mode */
	lgdtl	B(bogus_gdtr)
	sgdtl	B(r_rm_sgdt)
	lgdtl	B(main_gdtr)

	/* back up: CR0.PE, far jump to 32-bit code */
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$SEL_CODE32, $up32

rm_far:
	movw	%cs, B(r_far_cs)
	movw	%sp, %bp
	movw	(%bp), %ax			/* SS-relative: the return IP */
	movw	%ax, B(r_far_ret_ip)
	movw	2(%bp), %ax			/* and CS */
	movw	%ax, B(r_far_ret_cs)
	lret

rm_isr:
	pushw	%bp
	movw	%sp, %bp
	movw	2(%bp), %ax
	movw	%ax, B(r_isr_ip)
	movw	4(%bp), %ax
	movw	%ax, B(r_isr_cs)
	movw	6(%bp), %ax
	movw	%ax, B(r_isr_pushed_flags)
	pushfw
	popw	B(r_isr_flags)
	movw	%cs, B(r_isr_mycs)
	incw	B(r_isr_count)
	popw	%bp
	iret

	.balign	16
rm_buf:
	.byte	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0, 0, 0, 0, 0, 0, 0, 0
table32:
	.long	0x0badf00d, 0x11111111, 0x76543210, 0x22222222
table16:
	.word	0x1000, 0x2000, 0x3000, 0x4004
	.balign	8
	.word	0
bogus_gdtr:
	.word	0x1234
	.long	0x00567890
	.word	0
	.globl	main_gdtr
main_gdtr:					/* filled in by modes.c */
	.word	0
	.long	0
	.balign	4
	.word	0
rm_idtr:
	.word	0x3ff
	.long	BLOB_BASE + B(rm_ivt)

	.balign	16
	.globl	rm_results
rm_results:
	.globl	r_pm16_cs, r_pm16_add, r_pm16_inc, r_pm16_push_delta, r_pm16_pop, r_pm16_sib, r_pm16_call_delta
r_pm16_cs:		.long 0
r_pm16_add:		.long 0
r_pm16_inc:		.long 0
r_pm16_push_delta:	.long 0
r_pm16_pop:		.long 0
r_pm16_sib:		.long 0
r_pm16_call_delta:	.long 0
	.globl	r_rm_cs, r_rm_cr0, r_rm_lods, r_rm_dssi, r_rm_si_after, r_rm_sp_push, r_rm_ss_mem
	.globl	r_rm_pop, r_rm_sp_pop, r_rm_shr, r_rm_sib, r_rm_push_delta, r_rm_pop32
r_rm_cs:		.long 0
r_rm_cr0:		.long 0
r_rm_lods:		.long 0
r_rm_dssi:		.long 0
r_rm_si_after:		.long 0
r_rm_sp_push:		.long 0
r_rm_ss_mem:		.long 0
r_rm_pop:		.long 0
r_rm_sp_pop:		.long 0
r_rm_shr:		.long 0
r_rm_sib:		.long 0
r_rm_push_delta:	.long 0
r_rm_pop32:		.long 0
	.globl	r_rm_cs_after_call, r_far_cs, r_far_ret_ip, r_far_ret_cs, rm_after_call_off
r_rm_cs_after_call:	.long 0
r_far_cs:		.long 0
r_far_ret_ip:		.long 0
r_far_ret_cs:		.long 0
rm_after_call_off:	.long B(rm_after_call)
	.globl	r_isr_ip, r_isr_cs, r_isr_pushed_flags, r_isr_flags, r_isr_mycs, r_isr_count
	.globl	r_rm_flags_after_iret, rm_after_int_off, r_rm_sgdt, rm_buf
r_isr_ip:		.long 0
r_isr_cs:		.long 0
r_isr_pushed_flags:	.long 0
r_isr_flags:		.long 0
r_isr_mycs:		.long 0
r_isr_count:		.long 0
r_rm_flags_after_iret:	.long 0
rm_after_int_off:	.long B(rm_after_int)
	.balign	8
r_rm_sgdt:		.quad 0
	.balign	16
	.globl	rm_far_off, rm_isr_off
rm_far_off:		.long B(rm_far)
rm_isr_off:		.long B(rm_isr)

	/* the real-mode IVT: only vector 0x30 is used */
	.balign	16
rm_ivt:
	.org	rm_ivt + 0x30 * 4
	.word	B(rm_isr) + 0x200
	.word	BLOB_SEG - 0x20
	.org	rm_ivt + 0x400
	.globl	cm_blob_end
cm_blob_end:

	.section .note.GNU-stack, "", @progbits
