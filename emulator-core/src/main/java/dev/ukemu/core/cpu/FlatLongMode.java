package dev.ukemu.core.cpu;

import dev.ukemu.core.memory.GuestMemory;

/**
 * Puts a vCPU straight into 64-bit mode with the first {@code identityGiB} GiB identity-mapped
 * by 2 MiB pages, a flat GDT (code 0x08, data 0x10, TSS 0x18), and an IDT whose every vector
 * lands on a HLT stub. For benchmarks, tests and direct 64-bit boots that skip a 32-bit stub.
 * Uses {@link #SIZE} bytes of RAM at {@code base}.
 */
public final class FlatLongMode {
    public static final long PML4 = 0x0000, PDPT = 0x1000, PD = 0x2000; // PD: 4 pages for 4 GiB
    public static final long GDT = 0x6000, IDT = 0x7000, HANDLERS = 0x8000, TSS = 0x9000;
    public static final long SIZE = 0xA000;

    private FlatLongMode() {
    }

    public static void enter(Cpu cpu, GuestMemory mem, long base, int identityGiB) {
        if (identityGiB < 1 || identityGiB > 4) {
            throw new IllegalArgumentException("1 to 4 GiB can be identity-mapped");
        }
        mem.zero(base, SIZE);
        mem.writeLong(base + PML4, (base + PDPT) | 0x7);
        for (int g = 0; g < identityGiB; g++) {
            mem.writeLong(base + PDPT + g * 8L, (base + PD + g * 0x1000L) | 0x7);
            for (int k = 0; k < 512; k++) {
                long pa = (long) g << 30 | (long) k << 21;
                mem.writeLong(base + PD + g * 0x1000L + k * 8L, pa | 0x87);
            }
        }
        mem.writeLong(base + GDT + 8, 0x00af9b000000ffffL);
        mem.writeLong(base + GDT + 16, 0x00cf93000000ffffL);
        long tss = base + TSS;
        mem.writeLong(base + GDT + 24, 0x67 | ((tss & 0xFFFFFF) << 16) | (0x89L << 40) | ((tss >>> 24 & 0xFF) << 56));
        mem.writeLong(base + GDT + 32, tss >>> 32);
        for (int v = 0; v < 256; v++) {
            long h = base + HANDLERS + v * 16L;
            mem.writeByte(h, 0xF4);
            long lo = (h & 0xFFFF) | (0x08L << 16) | (0x8EL << 40) | ((h >>> 16 & 0xFFFF) << 48);
            mem.writeLong(base + IDT + v * 16L, lo);
            mem.writeLong(base + IDT + v * 16L + 8, h >>> 32);
        }
        cpu.cr0 = Cpu.CR0_PE | Cpu.CR0_PG | Cpu.CR0_ET | Cpu.CR0_NE | Cpu.CR0_WP;
        cpu.cr4 = Cpu.CR4_PAE;
        cpu.cr3 = base + PML4;
        cpu.efer = Cpu.EFER_LME | Cpu.EFER_LMA | Cpu.EFER_NXE;
        cpu.gdtBase = base + GDT;
        cpu.gdtLimit = 39;
        cpu.idtBase = base + IDT;
        cpu.idtLimit = 4095;
        cpu.trSel = 0x18;
        cpu.trBase = tss;
        cpu.trLimit = 0x67;
        cpu.setSegmentRaw(Cpu.CS, 0x08, 0, 0xFFFFFFFFL, 0xA09B);
        for (int s : new int[] {Cpu.ES, Cpu.SS, Cpu.DS, Cpu.FS, Cpu.GS}) {
            cpu.setSegmentRaw(s, 0x10, 0, 0xFFFFFFFFL, 0xC093);
        }
        cpu.cpl = 0;
        cpu.updateMode();
        cpu.invalidateDecodedCode();
    }

    /** True if the vCPU is halted in one of the exception stubs; the vector it took, else -1. */
    public static int haltedInHandler(Cpu cpu, long base) {
        long off = cpu.rip - 1 - (base + HANDLERS);
        if (cpu.halted && off >= 0 && off < 256 * 16 && off % 16 == 0) {
            return (int) (off / 16);
        }
        return -1;
    }
}
