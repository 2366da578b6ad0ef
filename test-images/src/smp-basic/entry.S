/*
 * smp-basic low-level code: the application processors' real-mode start-up
 * trampoline, their 64-bit entry, and the interrupt entry stubs every CPU
 * shares.
 */
#include "smp.h"

#define X86_CR4_PAE		0x00000020
#define X86_CR0_PE		0x00000001
#define X86_CR0_BOOT		0x80010001	/* PG | WP | PE, as Unikraft */
#define X86_MSR_EFER		0xC0000080
#define X86_EFER_LME		0x00000100

#define TR_CODE32		0x08
#define TR_DATA			0x10
#define TR_CODE64		0x18

#define OFF(sym)		((sym) - smp_tramp_start)

/*
 * The trampoline. The BSP copies smp_tramp_start..smp_tramp_end to
 * TRAMPOLINE_BASE (a start-up IPI with vector TRAMPOLINE_BASE >> 12 starts an
 * AP in real mode at CS = vector << 8, IP = 0) and stores the page-table root
 * into smp_tramp_cr3. The code does not depend on where it was copied: it
 * takes its base from CS and patches the GDT pointer and both far jumps with
 * stores just before it uses them, as Unikraft's lcpu start code does.
 */
	.section .text.trampoline, "ax"
	.code16
	.globl	smp_tramp_start
smp_tramp_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	movzwl	%ax, %ebx
	shll	$4, %ebx			/* EBX = physical base of this copy */

	/* lgdt with the linear address of the GDT in this copy */
	leal	OFF(tr_gdt)(%ebx), %eax
	movl	%eax, OFF(tr_gdtr) + 2
	lgdtl	OFF(tr_gdtr)

	/* the 16 -> 32 far jump: offset is 2 bytes in (0x66 0xEA imm32 sel16) */
	leal	OFF(tr_pm32)(%ebx), %eax
	movl	%eax, OFF(tr_ljmp32) + 2

	movl	%cr0, %eax
	orl	$X86_CR0_PE, %eax
	movl	%eax, %cr0
tr_ljmp32:
	ljmpl	$TR_CODE32, $0

	.code32
tr_pm32:
	movl	$TR_DATA, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs

	/* Long mode with the BSP's page tables: CR4.PAE, CR3, EFER.LME, CR0.PG */
	movl	$X86_CR4_PAE, %eax
	movl	%eax, %cr4
	movl	OFF(smp_tramp_cr3)(%ebx), %eax
	movl	%eax, %cr3
	movl	$X86_MSR_EFER, %ecx
	rdmsr
	orl	$X86_EFER_LME, %eax
	wrmsr
	movl	$X86_CR0_BOOT, %eax
	movl	%eax, %cr0

	/* the 32 -> 64 far jump: offset is 1 byte in (0xEA imm32 sel16) */
	leal	OFF(tr_lm64)(%ebx), %eax
	movl	%eax, OFF(tr_ljmp64) + 1(%ebx)
tr_ljmp64:
	ljmp	$TR_CODE64, $0

	.code64
tr_lm64:
	movl	%ebx, %ebx			/* upper half undefined after the mode switch */
	movq	OFF(tr_entry)(%rbx), %rax
	jmp	*%rax

	.align	8
tr_gdt:
	.quad	0x0000000000000000
	.quad	0x00cf9b000000ffff		/* 0x08: 32-bit code */
	.quad	0x00cf93000000ffff		/* 0x10: flat data */
	.quad	0x00af9b000000ffff		/* 0x18: 64-bit code */
tr_gdt_end:
	.align	4
	.word	0
tr_gdtr:
	.word	tr_gdt_end - tr_gdt - 1
	.long	0				/* patched: linear address of tr_gdt */
	.align	4
	.globl	smp_tramp_cr3
smp_tramp_cr3:
	.long	0				/* written by the BSP */
	.align	8
tr_entry:
	.quad	ap_entry64
	.globl	smp_tramp_end
smp_tramp_end:

/*
 * 64-bit AP entry, still on the trampoline's GDT and without a stack: the
 * stack is picked by APIC ID (CPUID.1:EBX[31:24]), then the kernel's GDT is
 * loaded and CS reloaded through lretq.
 */
	.text
	.globl	ap_entry64
ap_entry64:
	movl	$1, %eax
	cpuid
	shrl	$24, %ebx
	cmpl	$MAX_CPUS, %ebx
	jae	ap_too_many
	leal	1(%rbx), %eax
	shlq	$AP_STACK_SHIFT, %rax
	leaq	ap_stacks(%rip), %rsp
	addq	%rax, %rsp
	xorl	%ebp, %ebp

	lgdt	smp_gdt_ptr(%rip)
	movl	$SEL_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	leaq	1f(%rip), %rax
	pushq	$SEL_CODE64
	pushq	%rax
	lretq
1:	movl	%ebx, %edi
	call	ap_main
ap_too_many:
	lock incl ap_overflow(%rip)
2:	cli
	hlt
	jmp	2b

	.section .rodata
	.align	16
smp_gdt:
	.quad	0x0000000000000000
	.quad	0x00af9b000000ffff		/* 0x08: 64-bit code */
	.quad	0x00cf93000000ffff		/* 0x10: flat data */
smp_gdt_end:
	.align	8
	.word	0
	.globl	smp_gdt_ptr
smp_gdt_ptr:
	.word	smp_gdt_end - smp_gdt - 1
	.quad	smp_gdt

/*
 * 256 interrupt entry stubs, 16 bytes apart (trap_stubs + 16 * vector). Each
 * pushes an error code (0 where the CPU pushes none) and its vector; the
 * common part saves the caller-saved registers and calls
 * trap_dispatch(struct trap_frame *), which may change the saved RIP.
 */
	.text
	.balign	16
	.globl	trap_stubs
trap_stubs:
	.set	vec, 0
	.rept	256
	.org	trap_stubs + vec * 16		/* "moves .org backwards" if a stub outgrew 16 bytes */
	.if	(vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$vec
	jmp	trap_common
	.set	vec, vec + 1
	.endr
	.org	trap_stubs + 256 * 16

trap_common:
	/* the CPU aligned RSP to 16 before its 5 quadwords; with 2 + 9 more it is aligned at the call */
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	movq	%rsp, %rdi
	cld
	call	trap_dispatch
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	addq	$16, %rsp			/* vector, error code */
	iretq

	.section .note.GNU-stack, "", @progbits
