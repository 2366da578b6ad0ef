/*
 * Multiboot v1 entry shared by every image, shaped like Unikraft's
 * plat/kvm/x86 boot path: 32-bit protected mode entry, boot page tables
 * identity-mapping 0-4 GiB with 2 MiB pages, long mode switch through a far
 * jump whose target is patched into the instruction just before it runs,
 * then C code in 64-bit mode.
 */

#define MULTIBOOT_HEADER_MAGIC		0x1BADB002
#define MULTIBOOT_HEADER_FLAGS		0x00000003	/* page-align, memory info; no address fields */
#define MULTIBOOT_BOOTLOADER_MAGIC	0x2BADB002

#define X86_CR4_PAE			0x00000020
#define X86_CR0_BOOT			0x80010001	/* PG | WP | PE, as Unikraft */
#define X86_MSR_EFER			0xC0000080
#define X86_EFER_LME			0x00000100

#define PTE_PRESENT			0x001
#define PTE_RW				0x002
#define PTE_PS				0x080

#define GDT_SEL_CODE64			0x08
#define GDT_SEL_DATA			0x10

#define BOOT_STACK_SIZE			16384

	.section .multiboot, "a"
	.align 4
multiboot_header:
	.long	MULTIBOOT_HEADER_MAGIC
	.long	MULTIBOOT_HEADER_FLAGS
	.long	-(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)

/*
 * Entry: EAX = 0x2BADB002, EBX = physical address of the multiboot info,
 * flat 4 GiB CS/DS, paging off, interrupts off, no usable stack.
 */
	.section .text.boot, "ax"
	.code32
	.globl	_multiboot_entry
	.type	_multiboot_entry, @function
_multiboot_entry:
	cmpl	$MULTIBOOT_BOOTLOADER_MAGIC, %eax
	jne	no_multiboot
	movl	%ebx, %esi			/* keep the MBI address */
	movl	$boot_stack_top, %esp

	/* Zero .bss (boot page tables, stack, C statics); EDI/ECX/EAX only. */
	cld
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	shrl	$2, %ecx
	xorl	%eax, %eax
	rep stosl

	/* PML4[0] -> PDPT, PDPT[0..3] -> PD0..PD3 */
	movl	$boot_pdpt + (PTE_PRESENT | PTE_RW), %eax
	movl	%eax, boot_pml4
	movl	$boot_pd + (PTE_PRESENT | PTE_RW), %eax
	movl	$boot_pdpt, %edi
	movl	$4, %ecx
1:	movl	%eax, (%edi)
	addl	$4096, %eax
	addl	$8, %edi
	decl	%ecx
	jnz	1b

	/* 2048 PDEs of 2 MiB pages: identity map 0-4 GiB */
	movl	$(PTE_PRESENT | PTE_RW | PTE_PS), %eax
	movl	$boot_pd, %edi
	movl	$2048, %ecx
2:	movl	%eax, (%edi)
	addl	$0x200000, %eax
	addl	$8, %edi
	decl	%ecx
	jnz	2b

	/* Long mode: CR4.PAE, EFER.LME, CR3, CR0.PG|WP|PE */
	movl	$X86_CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$X86_MSR_EFER, %ecx
	xorl	%edx, %edx
	movl	$X86_EFER_LME, %eax
	wrmsr
	movl	$boot_pml4, %eax
	movl	%eax, %cr3
	movl	$X86_CR0_BOOT, %eax
	movl	%eax, %cr0

	lgdt	gdt64_ptr

	/*
	 * Patch the offset field of the far jump below (the 4 bytes right after
	 * its 0xEA opcode, i.e. 6 bytes before the next instruction), then
	 * execute it. A decoded-code cache that misses this store jumps to 0.
	 */
	movl	$jump_to64, %eax
	movl	%eax, -6(%eax)
	ljmp	$GDT_SEL_CODE64, $0

	.code64
jump_to64:
	movl	$GDT_SEL_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs

	movq	$boot_stack_top, %rsp
	xorl	%ebp, %ebp
	movl	%esi, %edi			/* arg0: MBI address, zero-extended */
	call	kmain

	.code32		/* valid in both modes: cli, hlt, short jmp */
no_multiboot:
	cli
3:	hlt
	jmp	3b
	.size	_multiboot_entry, . - _multiboot_entry

	.section .rodata.boot, "a"
	.align 16
	.globl	gdt64
gdt64:
	.quad	0x0000000000000000		/* null */
	.quad	0x00af9b000000ffff		/* 0x08: 64-bit code, DPL 0 */
	.quad	0x00cf93000000ffff		/* 0x10: flat data, DPL 0 */
gdt64_end:
	.align 8
	.word	0				/* so the base below is 4-byte aligned */
gdt64_ptr:
	.word	gdt64_end - gdt64 - 1
	.quad	gdt64

	.section .bss.boot, "aw", @nobits
	.align 4096
	.globl	boot_pml4
boot_pml4:
	.space	4096
boot_pdpt:
	.space	4096
	.globl	boot_pd
boot_pd:
	.space	4 * 4096
	.align 16
boot_stack:
	.space	BOOT_STACK_SIZE
	.globl	boot_stack_top
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
