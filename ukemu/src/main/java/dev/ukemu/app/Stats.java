package dev.ukemu.app;

import dev.ukemu.core.cpu.Cpu;
import java.io.PrintStream;
import java.util.List;

/** What {@code --stats} prints when the machine ends: work done and why execution left straight-line code. */
final class Stats {
    private Stats() {
    }

    static void print(PrintStream out, List<Cpu> cpus, long wallNanos, int cachedBlocks) {
        long insns = 0, io = 0, mmio = 0, exc = 0, irq = 0, hlt = 0, decoded = 0;
        for (Cpu c : cpus) {
            insns += c.instructions;
            io += c.portIoExits;
            mmio += c.mmioExits;
            exc += c.exceptions;
            irq += c.interrupts;
            hlt += c.halts;
            decoded += c.blocksDecoded;
        }
        double seconds = wallNanos / 1e9;
        out.printf("ukemu stats: %,d guest instructions in %.3f s (%.1f MIPS) on %d vCPU%s%n", insns, seconds,
                seconds > 0 ? insns / seconds / 1e6 : 0.0, cpus.size(), cpus.size() == 1 ? "" : "s");
        out.printf("ukemu stats: %,d blocks decoded, %,d in the code cache; engine: interpreter%n", decoded, cachedBlocks);
        out.printf("ukemu stats: exits: %,d port I/O, %,d MMIO, %,d exceptions, %,d interrupts, %,d HLT%n",
                io, mmio, exc, irq, hlt);
        for (Cpu c : cpus) {
            if (cpus.size() > 1) {
                out.printf("ukemu stats:   vCPU %d: %,d instructions%n", c.index, c.instructions);
            }
        }
    }
}
