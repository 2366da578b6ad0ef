package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random bytes executed as code must only ever produce guest-visible outcomes (normal execution,
 * guest exceptions, HLT, or a clean stop for an unimplemented instruction) and never a host
 * exception or a hang of the emulator.
 */
class DecoderFuzzTest {
    static final int PAGES = Integer.getInteger("ukemu.fuzz.pages", 3000);

    @Test
    void randomCodeNeverThrowsAHostException() {
        long seed = Long.getLong("ukemu.fuzz.seed", 0x5EEDL);
        SplittableRandom rnd = new SplittableRandom(seed);
        long executed = 0;
        for (int page = 0; page < PAGES; page++) {
            try (CpuTestRig rig = new CpuTestRig()) {
                byte[] code = new byte[4096];
                rnd.nextBytes(code);
                rig.mem.load(CpuTestRig.CODE, code);
                for (int r = 0; r < 16; r++) {
                    rig.cpu.r[r] = rnd.nextInt(4) == 0 ? rnd.nextLong() : CpuTestRig.DATA + rnd.nextInt(0x100000);
                }
                rig.cpu.r[Cpu.RSP] = CpuTestRig.STACK;
                rig.cpu.rip = CpuTestRig.CODE + rnd.nextInt(4000);
                try {
                    for (int step = 0; step < 200 && !rig.cpu.halted; step++) {
                        Interpreter.step(rig.cpu);
                    }
                } catch (GuestStop expected) {
                    // Unimplemented instruction or triple fault: a clean, reported stop.
                } catch (RuntimeException | StackOverflowError e) {
                    throw new AssertionError("seed " + seed + " page " + page + ": host exception at RIP=0x"
                            + Long.toHexString(rig.cpu.rip) + " in " + rig.cpu.modeName() + ": " + e, e);
                }
                executed += rig.cpu.instructions;
            }
        }
        assertTrue(executed > PAGES, "executed " + executed + " instructions");
    }
}
