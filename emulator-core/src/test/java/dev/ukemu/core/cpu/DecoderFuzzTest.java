package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random bytes executed as code must only ever produce guest-visible outcomes (normal execution,
 * guest exceptions, HLT, or a clean stop for an unimplemented instruction) and never a host
 * exception or a hang of the emulator. Each random page is run from many random entry points
 * with random registers; after every stop (a fault lands on a HLT stub) execution resumes
 * elsewhere in the page. {@code -Dukemu.fuzz.instructions=N} sets how many guest instructions
 * to execute (10^6 by default; 10^7 for the long profile).
 */
class DecoderFuzzTest {
    static final long INSTRUCTIONS = Long.getLong("ukemu.fuzz.instructions", 1_000_000);
    static final long PER_PAGE = 20_000;

    @Test
    void randomCodeNeverThrowsAHostException() {
        long seed = Long.getLong("ukemu.fuzz.seed", 0x5EEDL);
        SplittableRandom rnd = new SplittableRandom(seed);
        long executed = 0, stops = 0, pages = 0;
        while (executed < INSTRUCTIONS) {
            pages++;
            try (CpuTestRig rig = new CpuTestRig()) {
                byte[] code = new byte[4096];
                rnd.nextBytes(code);
                rig.mem.load(CpuTestRig.CODE, code);
                long start = rig.cpu.instructions;
                int entries = 0;
                while (rig.cpu.instructions - start < PER_PAGE && entries < 2000) {
                    entries++;
                    for (int r = 0; r < 16; r++) {
                        rig.cpu.r[r] = rnd.nextInt(4) == 0 ? rnd.nextLong() : CpuTestRig.DATA + rnd.nextInt(0x100000);
                    }
                    rig.cpu.r[Cpu.RSP] = CpuTestRig.STACK;
                    rig.cpu.rip = CpuTestRig.CODE + rnd.nextInt(4000);
                    rig.cpu.halted = false;
                    try {
                        for (int step = 0; step < 200 && !rig.cpu.halted; step++) {
                            Interpreter.step(rig.cpu);
                        }
                    } catch (GuestStop expected) {
                        // Unimplemented instruction or triple fault: a clean, reported stop.
                        stops++;
                        break;
                    } catch (RuntimeException | StackOverflowError e) {
                        throw new AssertionError("seed " + seed + " page " + pages + ": host exception at RIP=0x"
                                + Long.toHexString(rig.cpu.rip) + " in " + rig.cpu.modeName() + ": " + e, e);
                    }
                    if (rig.cpu.bits != 64 || (rig.cpu.cr0 & Cpu.CR0_PG) == 0) {
                        break; // the random code left 64-bit mode: take a fresh page and rig
                    }
                }
                executed += rig.cpu.instructions - start;
            }
        }
        System.out.printf("decoder fuzz: %,d random instructions on %,d pages, %,d clean stops, seed %d%n",
                executed, pages, stops, seed);
        assertTrue(executed >= INSTRUCTIONS, "executed " + executed + " instructions");
    }
}
