/*
 * Interrupt entry stubs for pc-devices. Every stub pushes an error code (a
 * dummy 0 where the CPU pushes none) and its vector; irq_common saves the
 * registers C code may clobber and calls irq_dispatch(frame), where frame
 * points at the vector (then the error code, RIP, CS, RFLAGS, RSP, SS).
 */
	.text
	.macro	STUB n, has_error
	.align	16
irq_stub_\n:
	.if	\has_error == 0
	pushq	$0
	.endif
	pushq	$\n
	jmp	irq_common
	.endm

	/* exceptions 0-31 */
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 9, 15, 16, 18, 19, 20, 22, 23, 24, 25, 26, 27, 28, 31
	STUB	\n, 0
	.endr
	.irp	n, 8, 10, 11, 12, 13, 14, 17, 21, 29, 30
	STUB	\n, 1
	.endr
	/* PIC vectors 0x20-0x2f, the I/O APIC's 0x30, the local APIC's spurious 0xff */
	.irp	n, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 255
	STUB	\n, 0
	.endr

irq_common:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%rbp
	movq	%rsp, %rbp
	leaq	80(%rsp), %rdi		/* frame: vector, error, rip, ... */
	andq	$-16, %rsp
	call	irq_dispatch
	movq	%rbp, %rsp
	popq	%rbp
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	addq	$16, %rsp		/* vector, error code */
	iretq

	.section .rodata
	.align	8
	.globl	irq_stubs
irq_stubs:			/* vectors 0-31, 0x20-0x30, 0xff */
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	.quad	irq_stub_\n
	.endr
	.irp	n, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 255
	.quad	irq_stub_\n
	.endr

	.section .note.GNU-stack, "", @progbits
