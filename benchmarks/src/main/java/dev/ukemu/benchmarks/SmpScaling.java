package dev.ukemu.benchmarks;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.cpu.CodeCache;
import dev.ukemu.core.cpu.Cpu;
import dev.ukemu.core.cpu.CpuidModel;
import dev.ukemu.core.cpu.FlatLongMode;
import dev.ukemu.core.cpu.Interpreter;
import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;

/**
 * SMP scaling: N vCPUs of one machine (shared RAM and code cache, x86 memory ordering on)
 * each run an independent guest loop on its own thread; prints guest MIPS for 1, 2 and 4 vCPUs
 * and the speed-up over one vCPU. Usage: {@code java -cp benchmarks.jar dev.ukemu.benchmarks.SmpScaling [seconds]};
 * the engine is the default one ({@code -Dukemu.jit=off} for the interpreter alone).
 */
public final class SmpScaling {
    private SmpScaling() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        int[] counts = {1, 2, 4};
        double base = 0;
        System.out.printf("%-6s %12s %10s%n", "vCPUs", "guest MIPS", "speed-up");
        for (int n : counts) {
            double mips = run(n, 1.0);      // warm-up
            mips = run(n, seconds);
            if (n == 1) {
                base = mips;
            }
            System.out.printf("%-6d %12.1f %9.2fx%n", n, mips, mips / base);
        }
    }

    /** Runs n vCPUs for the given time; returns total guest MIPS. */
    static double run(int n, double seconds) throws Exception {
        try (GuestMemory mem = new GuestMemory(MemoryLayout.of(64 * MemoryLayout.MIB))) {
            CodeCache code = new CodeCache();
            CpuidModel model = CpuidModel.max(2_500_000, n);
            List<Cpu> cpus = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Cpu c = new Cpu(i, mem, new PortBus(), new Bus("MMIO"), model, code, n > 1);
                FlatLongMode.enter(c, mem, 0x10000, 1);
                long codeAt = 0x100000 + i * 0x10000L;
                mem.load(codeAt, InterpreterBenchmark.Loop.ALU_MEMORY.iterations(InterpreterBenchmark.ITERATIONS));
                c.rip = codeAt;
                c.r[Cpu.RDI] = 0x400000 + i * 0x100000L; // private data per vCPU
                c.r[Cpu.RSP] = 0x2000000 + i * 0x100000L;
                c.r[Cpu.RBX] = 0x12345 + i;
                cpus.add(c);
            }
            CyclicBarrier start = new CyclicBarrier(n + 1);
            long[] counts = new long[n];
            List<Thread> threads = new ArrayList<>();
            long[] deadline = new long[1];
            for (int i = 0; i < n; i++) {
                Cpu c = cpus.get(i);
                int idx = i;
                Thread t = Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                    } catch (Exception e) {
                        return;
                    }
                    long entry = c.rip;
                    while (System.nanoTime() < deadline[0]) {
                        for (int k = 0; k < 10_000; k++) {
                            if (c.halted) {
                                // The loop ran its iterations: start it again.
                                c.rip = entry;
                                c.halted = false;
                            }
                            Interpreter.step(c);
                        }
                    }
                    counts[idx] = c.instructions;
                });
                threads.add(t);
            }
            long t0 = System.nanoTime();
            deadline[0] = t0 + (long) (seconds * 1e9);
            start.await();
            for (Thread t : threads) {
                t.join();
            }
            long elapsed = System.nanoTime() - t0;
            long total = 0;
            for (long v : counts) {
                total += v;
            }
            return total / (elapsed / 1e9) / 1e6;
        }
    }
}
