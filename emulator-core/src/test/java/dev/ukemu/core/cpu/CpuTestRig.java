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
    public static final long PML4 = FlatLongMode.PML4, PDPT = FlatLongMode.PDPT, PD = FlatLongMode.PD;
    public static final long GDT = FlatLongMode.GDT, IDT = FlatLongMode.IDT, HANDLERS = FlatLongMode.HANDLERS;
    public static final long CODE = 0x100000, DATA = 0x400000, STACK = 0x800000;

    public final GuestMemory mem;
    public final PortBus io = new PortBus();
    public final Bus mmio = new Bus("MMIO");
    public final Cpu cpu;
    public final List<Integer> vectors = new ArrayList<>();
    public final List<Integer> errorCodes = new ArrayList<>();

    /** A rig whose engine comes from the system properties ({@link JitConfig#fromSystemProperties}). */
    public CpuTestRig() {
        this(JitConfig.fromSystemProperties());
    }

    /** A rig running guest code with the given engine ({@link JitConfig#OFF}: the interpreter alone). */
    public CpuTestRig(JitConfig jit) {
        mem = new GuestMemory(MemoryLayout.of(16 * MemoryLayout.MIB));
        cpu = new Cpu(0, mem, io, mmio, CpuidModel.max(2_500_000, 1), new CodeCache(jit), false);
        cpu.hooks = new CpuHooks() {
            @Override
            public void onInterrupt(Cpu c, int vector, boolean external, int errorCode, boolean hasErrorCode) {
                vectors.add(vector);
                errorCodes.add(hasErrorCode ? errorCode : -1);
            }
        };
        FlatLongMode.enter(cpu, mem, 0, 1);
        // Only the first 16 MiB is RAM: leave the rest of the first GiB unmapped.
        for (int k = 8; k < 512; k++) {
            mem.writeLong(PD + k * 8L, 0);
        }
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
