package dev.ukemu.core.cpu;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A bare vCPU in 64-bit mode for instruction tests: 16 MiB of RAM identity-mapped with 2 MiB
 * pages, a flat GDT, an IDT whose every vector lands on a HLT, code at {@link #CODE}, a stack
 * below {@link #STACK}. {@link #run} executes until HLT and records delivered exceptions.
 */
public final class CpuTestRig implements AutoCloseable {
    public static final long PML4 = 0x1000, PDPT = 0x2000, PD = 0x3000;
    public static final long GDT = 0x5000, IDT = 0x6000, HANDLERS = 0x7000, TSS = 0x8000;
    public static final long CODE = 0x100000, DATA = 0x400000, STACK = 0x800000;

    public final GuestMemory mem;
    public final PortBus io = new PortBus();
    public final Bus mmio = new Bus("MMIO");
    public final Cpu cpu;
    public final List<Integer> vectors = new ArrayList<>();
    public final List<Integer> errorCodes = new ArrayList<>();

    public CpuTestRig() {
        mem = new GuestMemory(MemoryLayout.of(16 * MemoryLayout.MIB));
        cpu = new Cpu(0, mem, io, mmio, CpuidModel.max(2_500_000, 1));
        cpu.hooks = new CpuHooks() {
            @Override
            public void onInterrupt(Cpu c, int vector, boolean external, int errorCode, boolean hasErrorCode) {
                vectors.add(vector);
                errorCodes.add(hasErrorCode ? errorCode : -1);
            }
        };
        // Page tables: PML4[0] -> PDPT, PDPT[0] -> PD, PD[0..7] = 2 MiB pages (16 MiB).
        mem.writeLong(PML4, PDPT | 0x7);
        mem.writeLong(PDPT, PD | 0x7);
        for (int k = 0; k < 8; k++) {
            mem.writeLong(PD + k * 8L, (k * 0x200000L) | 0x87);
        }
        // GDT: null, code64 (0x08), data (0x10), TSS (0x18, 16 bytes).
        mem.writeLong(GDT + 8, 0x00af9b000000ffffL);
        mem.writeLong(GDT + 16, 0x00cf93000000ffffL);
        long tssDesc = 0x67 | ((TSS & 0xFFFFFF) << 16) | (0x89L << 40) | ((TSS >>> 24) << 56);
        mem.writeLong(GDT + 24, tssDesc);
        mem.writeLong(GDT + 32, 0);
        // IDT: every vector -> HANDLERS + v*16, which holds HLT.
        for (int v = 0; v < 256; v++) {
            long h = HANDLERS + v * 16L;
            mem.writeByte(h, 0xF4);
            long lo = (h & 0xFFFF) | (0x08L << 16) | (0x8EL << 40) | ((h >>> 16 & 0xFFFF) << 48);
            mem.writeLong(IDT + v * 16L, lo);
            mem.writeLong(IDT + v * 16L + 8, h >>> 32);
        }
        cpu.cr0 = Cpu.CR0_PE | Cpu.CR0_PG | Cpu.CR0_ET | Cpu.CR0_NE | Cpu.CR0_WP;
        cpu.cr4 = Cpu.CR4_PAE;
        cpu.cr3 = PML4;
        cpu.efer = Cpu.EFER_LME | Cpu.EFER_LMA | Cpu.EFER_NXE;
        cpu.gdtBase = GDT;
        cpu.gdtLimit = 39;
        cpu.idtBase = IDT;
        cpu.idtLimit = 4095;
        cpu.trSel = 0x18;
        cpu.trBase = TSS;
        cpu.trLimit = 0x67;
        cpu.setSegmentRaw(Cpu.CS, 0x08, 0, 0xFFFFFFFFL, 0xA09B);
        for (int s : new int[] {Cpu.ES, Cpu.SS, Cpu.DS, Cpu.FS, Cpu.GS}) {
            cpu.setSegmentRaw(s, 0x10, 0, 0xFFFFFFFFL, 0xC093);
        }
        cpu.updateMode();
        cpu.flushTlb();
        cpu.r[Cpu.RSP] = STACK;
        cpu.rip = CODE;
    }

    /** Places {@code code} at {@link #CODE} followed by HLT and points RIP at it. */
    public CpuTestRig code(int... bytes) {
        byte[] b = new byte[bytes.length + 1];
        for (int k = 0; k < bytes.length; k++) {
            b[k] = (byte) bytes[k];
        }
        b[bytes.length] = (byte) 0xF4;
        return code(b);
    }

    public CpuTestRig code(byte[] bytes) {
        mem.load(CODE, bytes);
        cpu.invalidateDecodedCode();
        cpu.rip = CODE;
        cpu.halted = false;
        return this;
    }

    /** Runs until HLT or {@code maxSteps} blocks; returns the number of blocks run. */
    public int run(int maxSteps) {
        int n = 0;
        while (!cpu.halted && n < maxSteps) {
            Interpreter.step(cpu);
            n++;
        }
        if (!cpu.halted) {
            throw new AssertionError("guest code did not reach HLT in " + maxSteps + " blocks; RIP=0x" + Long.toHexString(cpu.rip));
        }
        return n;
    }

    public int run() {
        return run(1_000_000);
    }

    /** True if the last halt was in an exception handler (the vector's stub). */
    public boolean stoppedInHandler() {
        return cpu.rip > HANDLERS && cpu.rip <= HANDLERS + 256 * 16;
    }

    public long flags() {
        return cpu.rflags();
    }

    @Override
    public void close() {
        mem.close();
    }
}
