package dev.ukemu.core.cpu.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ukemu.core.cpu.oracle.Encoder.Mem;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The oracle itself: the stub runs instructions natively and round-trips every register. */
class HostCpuTest {
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;

    @Test
    void encoderProducesKnownEncodings() {
        assertEquals("48 01 d8", Encoder.hex(Encoder.op(0x01).osize(8).reg(3, false).rm(0, false).build()));
        assertEquals("00 e7", Encoder.hex(Encoder.op(0x00).reg(Encoder.AH, true).rm(Encoder.BH, true).build()));
        assertEquals("40 00 f7", Encoder.hex(Encoder.op(0x00).reg(6, true).rm(7, true).build()));
        assertEquals("66 41 03 4d 00", Encoder.hex(Encoder.op(0x03).osize(2).reg(1, false).mem(Mem.of(13, 0)).build()));
        assertEquals("4b 8d 44 a4 10", Encoder.hex(Encoder.op(0x8D).osize(8).reg(0, false).mem(new Mem(12, 12, 2, 16, 0)).build()));
        assertEquals("8b 04 25 78 56 34 12", Encoder.hex(Encoder.op(0x8B).reg(0, false).mem(new Mem(-1, -1, 0, 0x12345678, 4)).build()));
        assertEquals("f0 0f c1 0e", Encoder.hex(Encoder.op(0x0F, 0xC1).lock().reg(1, false).mem(Mem.of(6, 0)).build()));
        assertEquals("41 0f c9", Encoder.hex(Encoder.op(0x0F, 0xC8).opReg(9, false).build()));
    }

    /** Without MAP_32BIT's window (1-2 GiB, where the JVM may live), a free range below 2 GiB. */
    @Test
    void findsExecutableMemoryBelow2GiBWithoutMap32Bit() {
        assumeTrue(HostCpu.supported());
        try (HostCpu h = new HostCpu(8)) {
            MemorySegment m = h.lowMapping(1 << 16);
            assertTrue(m != null, "a free range");
            assertTrue(m.address() > 0 && m.address() + (1 << 16) <= 1L << 31, "below 2 GiB: " + Long.toHexString(m.address()));
            MemorySegment w = m.reinterpret(1 << 16);
            w.set(L, 0xFFF8, 0x1234_5678_9ABC_DEF0L);
            assertEquals(0x1234_5678_9ABC_DEF0L, w.get(L, 0xFFF8), "writable");
        }
    }

    @Test
    void runsAnInstructionOnEveryStateOfABatch() {
        assumeTrue(HostCpu.supported());
        try (HostCpu h = new HostCpu(8)) {
            // add rax, rbx
            h.load(Encoder.op(0x01).osize(8).reg(3, false).rm(0, false).build());
            MemorySegment s = h.states();
            for (int k = 0; k < 8; k++) {
                long b = (long) k * HostCpu.STATE_SIZE;
                for (int r = 0; r < 16; r++) {
                    s.set(L, b + 8L * r, 0x1111L * (r + 1) + k);
                }
                s.set(L, b + 8L * 3, k == 0 ? -1L : k);
                s.set(L, b + HostCpu.FLAGS, 0x202);
            }
            h.run(8);
            for (int k = 0; k < 8; k++) {
                long b = (long) k * HostCpu.STATE_SIZE;
                long rax = 0x1111L + k;
                long rbx = k == 0 ? -1L : k;
                assertEquals(rax + rbx, s.get(L, b), "rax of state " + k);
                for (int r = 1; r < 16; r++) {
                    if (r != 4) {
                        long want = r == 3 ? rbx : 0x1111L * (r + 1) + k;
                        assertEquals(want, s.get(L, b + 8L * r), "register " + r + " of state " + k);
                    }
                }
                long flags = s.get(L, b + HostCpu.FLAGS);
                assertEquals(k == 0 ? 1 : 0, flags & 1, "CF of state " + k);
            }
            // add dword [rsi+8], ecx: memory operands land in the state's scratch buffer
            h.load(Encoder.op(0x01).reg(1, false).mem(Mem.of(6, 8)).build());
            s.set(L, 8L * 6, h.scratchAddress(0));
            s.set(L, 8L * 1, 5);
            s.set(L, HostCpu.SCRATCH + 8, 0xFFFF_FFFF_0000_0010L);
            s.set(L, HostCpu.FLAGS, 0x202);
            h.run(1);
            assertEquals(0xFFFF_FFFF_0000_0015L, s.get(L, HostCpu.SCRATCH + 8));
        }
    }
}
