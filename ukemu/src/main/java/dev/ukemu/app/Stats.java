package dev.ukemu.app;

import dev.ukemu.core.cpu.CodeCache;
import dev.ukemu.core.cpu.Cpu;
import dev.ukemu.core.cpu.Jit;
import java.io.PrintStream;
import java.util.List;

/** What {@code --stats} prints when the machine ends: work done and why execution left straight-line code. */
final class Stats {
    private Stats() {
    }

    static void print(PrintStream out, List<Cpu> cpus, long wallNanos, CodeCache code) {
        long insns = 0, io = 0, mmio = 0, exc = 0, irq = 0, hlt = 0, decoded = 0, runs = 0, links = 0;
        long[] exits = new long[Cpu.EXIT_NAMES.length];
        for (Cpu c : cpus) {
            insns += c.instructions;
            io += c.portIoExits;
            mmio += c.mmioExits;
            exc += c.exceptions;
            irq += c.interrupts;
            hlt += c.halts;
            decoded += c.blocksDecoded;
            runs += c.regionRuns;
            links += c.regionLinks;
            for (int k = 0; k < exits.length; k++) {
                exits[k] += c.regionExits[k];
            }
        }
        double seconds = wallNanos / 1e9;
        out.printf("ukemu stats: %,d guest instructions in %.3f s (%.1f MIPS) on %d vCPU%s%n", insns, seconds,
                seconds > 0 ? insns / seconds / 1e6 : 0.0, cpus.size(), cpus.size() == 1 ? "" : "s");
        Jit jit = code.jit();
        out.printf("ukemu stats: %,d blocks decoded, %,d in the code cache; engine: %s%n", decoded, code.blockCount(),
                jit == null ? "interpreter" : "JIT (threshold " + jit.config().threshold() + ")");
        if (jit != null) {
            out.printf("ukemu stats: JIT: %,d regions compiled (%,d guest instructions, %,d bytecode bytes), %,d live,"
                    + " %,d evicted, %,d left to the interpreter%n", jit.regionsCompiled(), jit.guestInstructionsCompiled(),
                    jit.bytecodeBytes(), jit.liveRegions(), jit.regionsEvicted(), jit.regionsRejected());
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < exits.length; k++) {
                sb.append(k == 0 ? "" : ", ").append(String.format("%,d %s", exits[k], Cpu.EXIT_NAMES[k]));
            }
            out.printf("ukemu stats: JIT: %,d region runs (%,d entered straight from the region before); exits: %s%n",
                    runs, links, sb);
        }
        out.printf("ukemu stats: exits: %,d port I/O, %,d MMIO, %,d exceptions, %,d interrupts, %,d HLT%n",
                io, mmio, exc, irq, hlt);
        for (Cpu c : cpus) {
            if (cpus.size() > 1) {
                out.printf("ukemu stats:   vCPU %d: %,d instructions%n", c.index, c.instructions);
            }
        }
    }
}
