package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Random SSE-shaped encodings (mandatory prefixes, REX, the 0F, 0F 38 and 0F 3A maps, register
 * and memory operands) under random MXCSR and control bits must end in a guest-visible outcome:
 * a result, a guest exception, or a clean stop for the few extensions ukemu leaves out. Never a
 * host exception.
 */
class SseFuzzTest {
    static final int ROUNDS = Integer.getInteger("ukemu.fuzz.sse", 60_000);
    static final int[] PREFIXES = {-1, 0x66, 0xF2, 0xF3, 0x66F2};
    /** The 0F-map opcodes that belong to SSE and MMX. */
    static final int[] SSE_0F = java.util.stream.IntStream.rangeClosed(0, 255)
            .filter(b -> b >= 0x10 && b <= 0x17 || b >= 0x28 && b <= 0x2F || b >= 0x50 && b <= 0x7F
                    || b >= 0xC2 && b <= 0xC6 || b >= 0xD0 && b <= 0xFE)
            .toArray();

    @Test
    void randomSseEncodingsNeverThrowAHostException() {
        SplittableRandom rnd = new SplittableRandom(0x55EF022L);
        TreeSet<String> unimplemented = new TreeSet<>();
        try (CpuTestRig rig = new CpuTestRig()) {
            Cpu c = rig.cpu;
            for (int n = 0; n < ROUNDS; n++) {
                byte[] code = new byte[16];
                int len = 0;
                int p = PREFIXES[rnd.nextInt(PREFIXES.length)];
                if (p > 0xFF) {
                    code[len++] = (byte) (p >> 8);
                }
                if (p >= 0) {
                    code[len++] = (byte) p;
                }
                if (rnd.nextInt(3) == 0) {
                    code[len++] = (byte) (0x40 | rnd.nextInt(16));
                }
                code[len++] = 0x0F;
                int map = rnd.nextInt(4);
                if (map == 1) {
                    code[len++] = 0x38;
                } else if (map == 2) {
                    code[len++] = 0x3A;
                }
                code[len++] = (byte) (map == 0 || map == 3 ? SSE_0F[rnd.nextInt(SSE_0F.length)] : rnd.nextInt(256));
                int modrm = rnd.nextInt(256);
                if ((modrm & 0xC0) != 0xC0) {
                    modrm = modrm & 0x38 | 0x03; // [rbx]
                }
                code[len++] = (byte) modrm;
                code[len++] = (byte) rnd.nextInt(256);
                code[len++] = (byte) 0xF4;
                for (int k = 0; k < 32; k++) {
                    c.xmm[k] = rnd.nextLong();
                }
                for (int r = 0; r < 16; r++) {
                    c.r[r] = rnd.nextInt(3) == 0 ? rnd.nextLong() : rnd.nextInt(64) - 32;
                }
                c.r[Cpu.RBX] = CpuTestRig.DATA + (rnd.nextBoolean() ? 0 : rnd.nextInt(64));
                c.r[Cpu.RDI] = CpuTestRig.DATA + 128;
                c.r[Cpu.RSP] = CpuTestRig.STACK;
                c.mxcsr = rnd.nextInt(0x10000) & 0xFFFF;
                c.cr4 = Cpu.CR4_PAE | (rnd.nextInt(8) != 0 ? Cpu.CR4_OSFXSR : 0)
                        | (rnd.nextBoolean() ? Cpu.CR4_OSXMMEXCPT : 0);
                c.cr0 &= ~(Cpu.CR0_TS | Cpu.CR0_EM);
                if (rnd.nextInt(16) == 0) {
                    c.cr0 |= rnd.nextBoolean() ? Cpu.CR0_TS : Cpu.CR0_EM;
                }
                rig.code(java.util.Arrays.copyOf(code, len));
                try {
                    rig.run(8);
                } catch (GuestStop e) {
                    unimplemented.add(e.getMessage().replaceAll(".*: ", ""));
                } catch (AssertionError e) {
                    // An unconsumed immediate byte ran as code and wandered off: not a host failure.
                } catch (RuntimeException e) {
                    StringBuilder sb = new StringBuilder();
                    for (int k = 0; k < len; k++) {
                        sb.append(String.format("%02x ", code[k] & 0xFF));
                    }
                    throw new AssertionError("host exception for " + sb + "mxcsr=" + Integer.toHexString(c.mxcsr) + ": " + e, e);
                }
            }
        }
        System.out.println("SSE fuzz: unimplemented encodings met: " + unimplemented.size() + " " + unimplemented);
        assertTrue(ROUNDS > 0);
    }
}
