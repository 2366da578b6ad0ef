package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Prefix rules of the decoder that the Capstone comparison found broken. */
class DecoderPrefixTest {
    private static CpuTestRig rig;

    @BeforeAll
    static void setUp() {
        rig = new CpuTestRig();
    }

    @AfterAll
    static void tearDown() {
        rig.close();
    }

    private static Insn decode(int bits, int... bytes) {
        byte[] b = new byte[16];
        for (int k = 0; k < bytes.length; k++) {
            b[k] = (byte) bytes[k];
        }
        rig.mem.load(CpuTestRig.CODE, b);
        return rig.cpu.decoder.decode(CpuTestRig.CODE, bits);
    }

    @Test
    void rexWOverrides66OnStackOperations() {
        // SDM vol. 2A 2.2.1.2: REX.W takes precedence over 66. PUSH imm32 stays a 64-bit push.
        Insn push = decode(64, 0x66, 0x48, 0x68, 0x78, 0x56, 0x34, 0x12);
        assertEquals(Op.PUSH_I, push.op);
        assertEquals(8, push.size);
        assertEquals(7, push.len);
        assertEquals(0x12345678L, push.imm);
        Insn pushR = decode(64, 0x66, 0x49, 0x50);
        assertEquals(8, pushR.size);
        // Without REX.W, 66 still selects a 16-bit push with an imm16.
        Insn push16 = decode(64, 0x66, 0x68, 0x34, 0x12);
        assertEquals(2, push16.size);
        assertEquals(4, push16.len);
    }

    @Test
    void fencesTakeNoPrefixes() {
        assertEquals(Op.FENCE, decode(64, 0x0F, 0xAE, 0xE8).op); // LFENCE
        assertEquals(Op.FENCE, decode(32, 0x0F, 0xAE, 0xFC).op); // SFENCE: ModRM.rm is ignored
        // NP: with 66/F2/F3 these are TPAUSE, UMWAIT, UMONITOR, INCSSP, PCOMMIT, which the CPU lacks.
        assertEquals(Op.UD, decode(64, 0x66, 0x0F, 0xAE, 0xF0).op);
        assertEquals(Op.UD, decode(64, 0xF2, 0x0F, 0xAE, 0xF0).op);
        assertEquals(Op.UD, decode(32, 0xF3, 0x0F, 0xAE, 0xE8).op);
        assertEquals(Op.UD, decode(64, 0x66, 0x0F, 0xAE, 0xF8).op);
    }
}
