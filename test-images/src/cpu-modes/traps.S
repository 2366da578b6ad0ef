/*
 * cpu-modes: interrupt entry, the way into and out of ring 3, the SYSCALL
 * entry point, and the code that runs in ring 3.
 *
 * Every vector has a 16-byte stub (trap_stubs + 16 * vector) that pushes an
 * error code (0 where the CPU pushes none) and its vector. trap_common
 * records the frame in trap_info, then returns through the frame armed in
 * `resume` (RIP, CS, RFLAGS, RSP, SS; one shot), which may be another
 * privilege level than the one that trapped. Nothing armed: trap_fatal().
 */
#include "cm.h"

	.text
	.balign	16
	.globl	trap_stubs
trap_stubs:
	.set	vec, 0
	.rept	256
	.org	trap_stubs + vec * 16
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
	/* stack: rax, vector, error, rip, cs, rflags, rsp, ss */
	pushq	%rax
	movq	8(%rsp), %rax
	movq	%rax, trap_info+TI_VECTOR(%rip)
	movq	16(%rsp), %rax
	movq	%rax, trap_info+TI_ERROR(%rip)
	movq	24(%rsp), %rax
	movq	%rax, trap_info+TI_RIP(%rip)
	movq	32(%rsp), %rax
	movq	%rax, trap_info+TI_CS(%rip)
	movq	40(%rsp), %rax
	movq	%rax, trap_info+TI_RFLAGS(%rip)
	movq	48(%rsp), %rax
	movq	%rax, trap_info+TI_RSP(%rip)
	movq	56(%rsp), %rax
	movq	%rax, trap_info+TI_SS(%rip)
	movq	%cr2, %rax
	movq	%rax, trap_info+TI_CR2(%rip)
	leaq	64(%rsp), %rax			/* where RSP was before the CPU pushed SS */
	movq	%rax, trap_info+TI_FRAME_TOP(%rip)
	incq	trap_info+TI_COUNT(%rip)

	movq	resume+RS_RIP(%rip), %rax
	testq	%rax, %rax
	jz	1f
	movq	%rax, 24(%rsp)
	movq	resume+RS_CS(%rip), %rax
	movq	%rax, 32(%rsp)
	movq	resume+RS_RFLAGS(%rip), %rax
	movq	%rax, 40(%rsp)
	movq	resume+RS_RSP(%rip), %rax
	movq	%rax, 48(%rsp)
	movq	resume+RS_SS(%rip), %rax
	movq	%rax, 56(%rsp)
	movq	$0, resume+RS_RIP(%rip)
	popq	%rax
	addq	$16, %rsp			/* vector, error code */
	iretq

1:	popq	%rax
	andq	$-16, %rsp
	call	trap_fatal
2:	cli
	hlt
	jmp	2b

/*
 * void run_user(void *rip, uint64_t rflags): IRETQ to CPL 3 at rip with the
 * user stack; back here when the user code traps (int $0x80 at its end, or a
 * fault), through the resume frame armed below.
 */
	.globl	run_user
run_user:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	leaq	1f(%rip), %rax
	movq	%rax, resume+RS_RIP(%rip)
	movq	%rsp, resume+RS_RSP(%rip)
	pushq	$SEL_UDATA
	leaq	user_stack+4096(%rip), %rax
	pushq	%rax
	pushq	%rsi
	pushq	$SEL_UCODE64
	pushq	%rdi
	iretq
1:	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret

/* LSTAR: records what SYSCALL left, then SYSRETQ (on the caller's stack: no SWAPGS dance needed here). */
	.globl	syscall_entry
syscall_entry:
	movq	%rcx, sc_rcx(%rip)
	movq	%r11, sc_r11(%rip)
	movq	%rsp, sc_rsp(%rip)
	pushfq
	popq	%rax
	movq	%rax, sc_rflags(%rip)
	xorl	%eax, %eax
	movw	%cs, %ax
	movq	%rax, sc_cs(%rip)
	movw	%ss, %ax
	movq	%rax, sc_ss(%rip)
	incq	sc_count(%rip)
	sysretq

	.data
	.balign	8
	.globl	sc_rcx, sc_r11, sc_rflags, sc_rsp, sc_cs, sc_ss, sc_count
sc_rcx:		.quad 0
sc_r11:		.quad 0
sc_rflags:	.quad 0
sc_rsp:		.quad 0
sc_cs:		.quad 0
sc_ss:		.quad 0
sc_count:	.quad 0
	.globl	resume
resume:
	.quad	0, SEL_CODE64, 0x2, 0, SEL_DATA

/*
 * Ring-3 code: one page of its own (U/S set in its PTE). Each snippet's
 * first instruction is the one under test (its label is the faulting RIP);
 * a snippet that gets past it leaves through int $0x80.
 */
	.section .text.user, "ax"
	.balign	4096
	.globl	user_text_start
user_text_start:

	.macro	USNIP name
	.globl	u_\name
u_\name:
	.endm

USNIP hlt
	hlt
	int	$VEC_EXIT
USNIP cli
	cli
	int	$VEC_EXIT
USNIP sti
	sti
	int	$VEC_EXIT
USNIP movcr3
	movq	%rax, %cr3
	int	$VEC_EXIT
USNIP lgdt
	lgdt	user_data(%rip)
	int	$VEC_EXIT
USNIP wrmsr
	wrmsr
	int	$VEC_EXIT
USNIP rdmsr
	rdmsr
	int	$VEC_EXIT
USNIP in_allowed			/* port 0x61: its bit is clear in the TSS I/O bitmap */
	inb	$0x61, %al
	int	$VEC_EXIT
USNIP in_denied
	inb	$0x62, %al
	int	$VEC_EXIT
USNIP inw_half_denied			/* ports 0x60-0x61: 0x60 is denied */
	inw	$0x60, %ax
	int	$VEC_EXIT
USNIP out_denied
	outb	%al, $0x80
	int	$VEC_EXIT
USNIP in_high				/* port 0x1000: past the bitmap's end (TSS limit) */
	movw	$0x1000, %dx
	.globl	u_in_high_fault
u_in_high_fault:
	inb	%dx, %al
	int	$VEC_EXIT
USNIP rdtsc
	rdtsc
	movl	%eax, user_data+0x10(%rip)
	movl	%edx, user_data+0x14(%rip)
	int	$VEC_EXIT
USNIP read_kernel
	movq	kernel_secret(%rip), %rax
	int	$VEC_EXIT
USNIP write_ro
	movb	$1, user_ro+0x40(%rip)
	int	$VEC_EXIT
USNIP read_ro
	movq	user_ro+0x40(%rip), %rax
	movq	%rax, user_data+0x18(%rip)
	int	$VEC_EXIT
USNIP exit
	int	$VEC_EXIT
USNIP segs
	movw	%ds, user_data+0x80(%rip)
	movw	%es, user_data+0x82(%rip)
	movw	%fs, user_data+0x84(%rip)
	movw	%gs, user_data+0x86(%rip)
	int	$VEC_EXIT
USNIP int_dpl0
	int	$VEC_DPL0
	int	$VEC_EXIT
USNIP swapgs
	swapgs
	int	$VEC_EXIT
USNIP iopl3
	cli
	sti
	cli
	inb	$0x62, %al
	movq	$1, user_data+0x20(%rip)
	int	$VEC_EXIT
/*
 * SYSCALL with DF and CF set, then (after SYSRETQ) what the user side
 * sees: RFLAGS, CS, SS, RCX, R11, RSP.
 */
USNIP syscall
	std
	stc
	movq	%rsp, user_data+0x68(%rip)
	syscall
	.globl	u_syscall_ret
u_syscall_ret:
	pushfq
	popq	user_data+0x40(%rip)
	movq	%rcx, user_data+0x48(%rip)
	movq	%r11, user_data+0x50(%rip)
	movw	%cs, user_data+0x58(%rip)
	movw	%ss, user_data+0x60(%rip)
	movq	%rsp, user_data+0x70(%rip)
	cld
	int	$VEC_EXIT
USNIP verw
	xorl	%eax, %eax
	movw	$SEL_UDATA, %cx
	verw	%cx
	setz	%al
	movw	$SEL_DATA, %cx
	verr	%cx
	setz	%ah
	movw	%ax, user_data+0x78(%rip)
	int	$VEC_EXIT
/* A supervisor-mode fetch from this page faults under SMEP. */
USNIP ret
	ret

	.balign	4096
	.globl	user_text_end
user_text_end:

	.section .note.GNU-stack, "", @progbits
