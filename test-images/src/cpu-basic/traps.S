/*
 * Exception entry stubs for cpu-basic. Every stub pushes an error code (a
 * dummy 0 where the CPU pushes none) and its vector, then trap_common records
 * the frame in trap_info and resumes at trap_resume (one shot), or reports an
 * unexpected exception through trap_fatal() when nothing is armed.
 */

/* struct trap_info offsets (exceptions.c) */
#define TI_VECTOR	0
#define TI_ERROR	8
#define TI_RIP		16
#define TI_CS		24
#define TI_RFLAGS	32
#define TI_RSP		40
#define TI_SS		48
#define TI_CR2		56
#define TI_FRAME_TOP	64
#define TI_COUNT	72

	.text
	.macro	STUB n, has_error
	.align	16
trap_stub_\n:
	.if	\has_error == 0
	pushq	$0
	.endif
	pushq	$\n
	jmp	trap_common
	.endm

	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 9, 15, 16, 18, 19, 20, 22, 23, 24, 25, 26, 27, 28, 31, 64
	STUB	\n, 0
	.endr
	.irp	n, 8, 10, 11, 12, 13, 14, 17, 21, 29, 30
	STUB	\n, 1
	.endr

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
	leaq	64(%rsp), %rax		/* RSP before the CPU pushed SS: 16-byte aligned */
	movq	%rax, trap_info+TI_FRAME_TOP(%rip)
	incq	trap_info+TI_COUNT(%rip)

	movq	trap_resume(%rip), %rax
	testq	%rax, %rax
	jz	1f
	movq	%rax, 24(%rsp)		/* resume address replaces the saved RIP */
	movq	$0, trap_resume(%rip)
	popq	%rax
	addq	$16, %rsp		/* vector, error code */
	iretq

1:	popq	%rax
	andq	$-16, %rsp
	call	trap_fatal
2:	cli
	hlt
	jmp	2b

	.section .rodata
	.align	8
	.globl	trap_stubs
trap_stubs:			/* vectors 0-31, then 0x40 */
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 64
	.quad	trap_stub_\n
	.endr

	.section .note.GNU-stack, "", @progbits
