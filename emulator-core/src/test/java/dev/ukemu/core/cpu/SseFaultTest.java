package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The exception rules around SSE and MMX that the host oracle cannot show (a fault there would
 * kill the JVM): availability (#UD, #NM), 16-byte alignment (#GP), unmasked SIMD exceptions
 * (#XM), and the MMX registers' aliasing onto the x87 state.
 */
class SseFaultTest {
    static final int UD = 6, NM = 7, GP = 13, XM = 19;

    private static CpuTestRig rig() {
        CpuTestRig rig = new CpuTestRig();
        rig.cpu.cr4 |= Cpu.CR4_OSFXSR | Cpu.CR4_OSXMMEXCPT;
        rig.cpu.r[Cpu.RBX] = CpuTestRig.DATA;
        return rig;
    }

    private static List<Integer> run(CpuTestRig rig, int... code) {
        rig.vectors.clear();
        rig.code(code).run();
        return rig.vectors;
    }

    @Test
    void sseNeedsOsfxsrAndNoEmulationAndRaisesNmWhenTaskSwitched() {
        int[] movaps = {0x0F, 0x28, 0xC1}; // movaps xmm0, xmm1
        try (CpuTestRig rig = rig()) {
            rig.cpu.cr4 &= ~Cpu.CR4_OSFXSR;
            assertEquals(List.of(UD), run(rig, movaps));
            rig.cpu.cr4 |= Cpu.CR4_OSFXSR;
            rig.cpu.cr0 |= Cpu.CR0_EM;
            assertEquals(List.of(UD), run(rig, movaps));
            rig.cpu.cr0 |= Cpu.CR0_TS;
            assertEquals(List.of(UD), run(rig, movaps), "#UD outranks #NM");
            rig.cpu.cr0 &= ~Cpu.CR0_EM;
            assertEquals(List.of(NM), run(rig, movaps));
            rig.cpu.cr0 &= ~Cpu.CR0_TS;
            rig.cpu.xmm[2] = 0x1234;
            assertEquals(List.of(), run(rig, movaps));
            assertEquals(0x1234, rig.cpu.xmm[0]);
        }
    }

    @Test
    void mmxIgnoresOsfxsrButHonoursEmAndTs() {
        int[] paddb = {0x0F, 0xFC, 0xC1}; // paddb mm0, mm1
        try (CpuTestRig rig = rig()) {
            rig.cpu.cr4 &= ~Cpu.CR4_OSFXSR;
            assertEquals(List.of(), run(rig, paddb));
            rig.cpu.cr0 |= Cpu.CR0_TS;
            assertEquals(List.of(NM), run(rig, paddb));
            rig.cpu.cr0 |= Cpu.CR0_EM;
            assertEquals(List.of(UD), run(rig, paddb));
        }
    }

    @Test
    void crc32AndMovntiDoNotDependOnTheSseControlBits() {
        try (CpuTestRig rig = rig()) {
            rig.cpu.cr4 &= ~Cpu.CR4_OSFXSR;
            rig.cpu.cr0 |= Cpu.CR0_TS | Cpu.CR0_EM;
            // CRC-32C("123456789") = 0xE3069283 (initial value and final XOR all ones).
            rig.cpu.r[Cpu.RAX] = 0xFFFFFFFFL;
            rig.cpu.r[Cpu.RCX] = 0x3837363534333231L;
            rig.cpu.r[Cpu.RDX] = 0x39;
            // crc32 rax, rcx; crc32 eax, dl
            assertEquals(List.of(), run(rig, 0xF2, 0x48, 0x0F, 0x38, 0xF1, 0xC1, 0xF2, 0x0F, 0x38, 0xF0, 0xC2));
            assertEquals(0xE3069283L, rig.cpu.r[Cpu.RAX] ^ 0xFFFFFFFFL);
            assertEquals(List.of(), run(rig, 0x0F, 0xC3, 0x0B)); // movnti [rbx], ecx
            assertEquals(0x34333231, rig.mem.readInt(CpuTestRig.DATA));
        }
    }

    @Test
    void alignedFormsFaultOnMisalignedOperandsAndUnalignedFormsDoNot() {
        try (CpuTestRig rig = rig()) {
            rig.mem.writeLong(CpuTestRig.DATA + 8, 0x1111111111111111L);
            rig.mem.writeLong(CpuTestRig.DATA + 16, 0x2222222222222222L);
            rig.cpu.r[Cpu.RBX] = CpuTestRig.DATA + 8;
            assertEquals(List.of(GP), run(rig, 0x0F, 0x28, 0x03)); // movaps xmm0, [rbx]
            assertEquals(List.of(0), rig.errorCodes);
            assertEquals(List.of(GP), run(rig, 0x66, 0x0F, 0x6F, 0x03)); // movdqa
            assertEquals(List.of(GP), run(rig, 0x0F, 0x58, 0x03)); // addps
            assertEquals(List.of(GP), run(rig, 0x66, 0x0F, 0xFE, 0x03)); // paddd
            assertEquals(List.of(GP), run(rig, 0x66, 0x0F, 0x38, 0x00, 0x03)); // pshufb
            rig.cpu.xmm[0] = 0x5555;
            assertEquals(List.of(GP), run(rig, 0x66, 0x0F, 0x7F, 0x03)); // movdqa [rbx], xmm0
            assertEquals(0x1111111111111111L, rig.mem.readLong(CpuTestRig.DATA + 8), "no byte written");

            assertEquals(List.of(), run(rig, 0x0F, 0x10, 0x03)); // movups xmm0, [rbx]
            assertEquals(0x1111111111111111L, rig.cpu.xmm[0]);
            assertEquals(0x2222222222222222L, rig.cpu.xmm[1]);
            assertEquals(List.of(), run(rig, 0xF3, 0x0F, 0x6F, 0x0B)); // movdqu xmm1, [rbx]
            assertEquals(List.of(), run(rig, 0xF2, 0x0F, 0xF0, 0x0B)); // lddqu xmm1, [rbx]
            assertEquals(List.of(), run(rig, 0xF3, 0x0F, 0x58, 0x03)); // addss xmm0, [rbx]
            assertEquals(List.of(), run(rig, 0x66, 0x0F, 0x3A, 0x63, 0x03, 0x0C)); // pcmpistri
            assertEquals(List.of(), run(rig, 0x0F, 0xFC, 0x03)); // paddb mm0, [rbx]: MMX never checks
            rig.cpu.r[Cpu.RBX] = CpuTestRig.DATA + 16;
            assertEquals(List.of(), run(rig, 0x0F, 0x28, 0x03));
        }
    }

    @Test
    void unmaskedExceptionRaisesXmAndLeavesTheDestination() {
        try (CpuTestRig rig = rig()) {
            Cpu c = rig.cpu;
            c.xmm[0] = Float.floatToRawIntBits(1f) & 0xFFFFFFFFL;
            c.xmm[2] = 0; // +0.0
            c.mxcsr = 0x1F80 & ~0x200; // ZM clear
            assertEquals(List.of(XM), run(rig, 0xF3, 0x0F, 0x5E, 0xC1)); // divss xmm0, xmm1
            assertEquals(Float.floatToRawIntBits(1f), (int) c.xmm[0], "destination unchanged");
            assertEquals(0x1F80 & ~0x200 | 0x4, c.mxcsr, "ZE recorded");

            c.cr4 &= ~Cpu.CR4_OSXMMEXCPT;
            c.mxcsr = 0x1F80 & ~0x200;
            assertEquals(List.of(UD), run(rig, 0xF3, 0x0F, 0x5E, 0xC1), "#UD without CR4.OSXMMEXCPT");

            c.mxcsr = 0x1F80;
            assertEquals(List.of(), run(rig, 0xF3, 0x0F, 0x5E, 0xC1));
            assertEquals(0x7F800000, (int) c.xmm[0], "masked: infinity");
            assertEquals(0x1F84, c.mxcsr);

            // An unmasked precision exception from an inexact conversion.
            c.cr4 |= Cpu.CR4_OSXMMEXCPT;
            c.mxcsr = 0x1F80 & ~0x1000; // PM clear
            c.r[Cpu.RAX] = 0x5555;
            c.xmm[2] = Double.doubleToRawLongBits(2.5);
            assertEquals(List.of(XM), run(rig, 0xF2, 0x48, 0x0F, 0x2D, 0xC1)); // cvtsd2si rax, xmm1
            assertEquals(0x5555, c.r[Cpu.RAX]);
            assertTrue((c.mxcsr & 0x20) != 0, "PE recorded");
        }
    }

    @Test
    void mmxRegistersAliasTheX87Significands() {
        try (CpuTestRig rig = rig()) {
            Cpu c = rig.cpu;
            c.fpu.top = 5;
            c.fpu.tag = 0xFFFF;
            rig.mem.writeLong(CpuTestRig.DATA, 0x0123456789ABCDEFL);
            assertEquals(List.of(), run(rig, 0x0F, 0x6F, 0x1B)); // movq mm3, [rbx]
            assertEquals(0x0123456789ABCDEFL, c.fpu.mantissa[3]);
            assertEquals(0xFFFF, c.fpu.signExp[3]);
            assertEquals(0, c.fpu.top);
            assertEquals(0, c.fpu.tag);
            c.fpu.signExp[4] = 0x3FFF;
            c.fpu.mantissa[4] = 0x8000000000000000L;
            assertEquals(List.of(), run(rig, 0x0F, 0xD4, 0xE3)); // paddq mm4, mm3
            assertEquals(0x8123456789ABCDEFL, c.fpu.mantissa[4]);
            assertEquals(0xFFFF, c.fpu.signExp[4]);
            assertEquals(List.of(), run(rig, 0x0F, 0x77)); // emms
            assertEquals(0xFFFF, c.fpu.tag);
            assertEquals(List.of(), run(rig, 0x0F, 0x7E, 0xE0)); // movd eax, mm4
            assertEquals(0x89ABCDEFL, c.r[Cpu.RAX]);
        }
    }

    @Test
    void cpuidAnnouncesSseThroughSse42AndNotAvx() {
        try (CpuTestRig rig = rig()) {
            int[] r = rig.cpu.cpuid.query(rig.cpu, 1, 0);
            int edx = r[3], ecx = r[2];
            for (int bit : new int[] {23, 25, 26}) {
                assertTrue((edx >> bit & 1) != 0, "EDX bit " + bit);
            }
            for (int bit : new int[] {0, 9, 19, 20}) {
                assertTrue((ecx >> bit & 1) != 0, "ECX bit " + bit);
            }
            assertEquals(0, ecx >> 28 & 1, "AVX");
            assertTrue((rig.cpu.cpuid.cr4Allowed() & Cpu.CR4_OSFXSR) != 0);
        }
    }

    @Test
    void floatingPointSubnormalsUnderFtzAndDaz() {
        try (CpuTestRig rig = rig()) {
            Cpu c = rig.cpu;
            // MIN_NORMAL * 0.5 is an exact subnormal: FTZ flushes it and reports UE and PE.
            c.xmm[0] = Float.floatToRawIntBits(Float.MIN_NORMAL) & 0xFFFFFFFFL;
            c.xmm[2] = Float.floatToRawIntBits(0.5f) & 0xFFFFFFFFL;
            c.mxcsr = 0x1F80 | 0x8000;
            assertEquals(List.of(), run(rig, 0xF3, 0x0F, 0x59, 0xC1)); // mulss xmm0, xmm1
            assertEquals(0, (int) c.xmm[0]);
            assertEquals(0x1F80 | 0x8000 | 0x30, c.mxcsr);
            // Without FTZ the exact subnormal is delivered without flags.
            c.xmm[0] = Float.floatToRawIntBits(Float.MIN_NORMAL) & 0xFFFFFFFFL;
            c.mxcsr = 0x1F80;
            assertEquals(List.of(), run(rig, 0xF3, 0x0F, 0x59, 0xC1));
            assertEquals(Float.floatToRawIntBits(Float.MIN_NORMAL / 2), (int) c.xmm[0]);
            assertEquals(0x1F80, c.mxcsr);
            // DAZ: a denormal input counts as zero and raises no DE.
            c.xmm[0] = 1;
            c.mxcsr = 0x1F80 | 0x40;
            assertEquals(List.of(), run(rig, 0xF3, 0x0F, 0x58, 0xC1)); // addss xmm0, xmm1
            assertEquals(Float.floatToRawIntBits(0.5f), (int) c.xmm[0]);
            assertEquals(0x1F80 | 0x40, c.mxcsr);
        }
    }
}
