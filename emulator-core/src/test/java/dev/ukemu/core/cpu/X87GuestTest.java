package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * x87 and state-save behaviour a guest sees through exceptions: #NM from CR0.TS/EM (and WAIT
 * with MP), #MF for a pending unmasked exception at the next waiting instruction, #GP for
 * misaligned FXSAVE/XSAVE and bad MXCSR or XSAVE headers, #UD without CR4.OSXSAVE, and the CPUID
 * bits and XSAVE sizes that announce all of it.
 */
class X87GuestTest {
    static final int NM = CpuException.NM, MF = CpuException.MF, GP = CpuException.GP, UD = CpuException.UD;
    static final long DATA = CpuTestRig.DATA;

    static CpuTestRig rig() {
        CpuTestRig rig = new CpuTestRig();
        rig.cpu.cr4 |= Cpu.CR4_OSFXSR | Cpu.CR4_OSXMMEXCPT | Cpu.CR4_OSXSAVE;
        rig.cpu.xcr0 = 3;
        rig.cpu.r[Cpu.RDI] = DATA;
        return rig;
    }

    static List<Integer> run(CpuTestRig rig, int... code) {
        rig.vectors.clear();
        rig.code(code);
        rig.run(100);
        return rig.vectors;
    }

    @Test
    void taskSwitchedAndEmulationRaiseDeviceNotAvailable() {
        try (CpuTestRig rig = rig()) {
            rig.cpu.cr0 |= Cpu.CR0_TS;
            assertEquals(List.of(NM), run(rig, 0xD9, 0xE8)); // fld1
            assertEquals(List.of(NM), run(rig, 0x0F, 0xAE, 0x07)); // fxsave [rdi]
            assertEquals(List.of(NM), run(rig, 0x0F, 0xAE, 0x27)); // xsave [rdi]
            assertEquals(List.of(), run(rig, 0x9B)); // fwait: MP clear
            rig.cpu.cr0 |= Cpu.CR0_MP;
            assertEquals(List.of(NM), run(rig, 0x9B));
            rig.cpu.cr0 &= ~(Cpu.CR0_TS | Cpu.CR0_MP);
            rig.cpu.cr0 |= Cpu.CR0_EM;
            assertEquals(List.of(NM), run(rig, 0xDB, 0xE3)); // fninit
            assertEquals(List.of(NM), run(rig, 0x0F, 0xAE, 0x07)); // fxsave
            assertEquals(List.of(UD), run(rig, 0x0F, 0xAE, 0x17)); // ldmxcsr [rdi]
            assertEquals(List.of(), run(rig, 0x9B)); // fwait ignores EM
        }
    }

    @Test
    void unmaskedExceptionIsReportedAtTheNextWaitingInstruction() {
        try (CpuTestRig rig = rig()) {
            rig.mem.writeShort(DATA, 0x037B); // ZM unmasked
            // fninit; fldcw [rdi]; fld1; fldz; fdivp st1, st0  (1/0 -> ZE, ES set, no #MF yet)
            assertEquals(List.of(), run(rig, 0xDB, 0xE3, 0xD9, 0x2F, 0xD9, 0xE8, 0xD9, 0xEE, 0xDE, 0xF9));
            X87State s = rig.cpu.fpu;
            assertEquals(0x8084, s.statusWord() & 0x80FF, "ZE, ES and B");
            assertEquals(6, s.top, "no result stored and no pop");
            // fnstsw ax does not wait; fwait then faults with RIP at the fwait.
            long before = rig.cpu.rip;
            assertEquals(List.of(MF), run(rig, 0xDF, 0xE0, 0x9B));
            assertEquals(0x8084, rig.cpu.r[Cpu.RAX] & 0x80FF);
            // Any waiting x87 instruction faults too; FNCLEX clears the condition.
            assertEquals(List.of(MF), run(rig, 0xD9, 0xE8));
            assertEquals(List.of(), run(rig, 0xDB, 0xE2, 0x9B, 0xD9, 0xE8));
            assertEquals(0, rig.cpu.fpu.status & 0x80FF);
            assertTrue(before != 0);
        }
    }

    @Test
    void stateSaveAlignmentAndValidityFaults() {
        try (CpuTestRig rig = rig()) {
            rig.cpu.r[Cpu.RDI] = DATA + 8;
            assertEquals(List.of(GP), run(rig, 0x0F, 0xAE, 0x07)); // fxsave misaligned
            assertEquals(List.of(GP), run(rig, 0x0F, 0xAE, 0x0F)); // fxrstor misaligned
            rig.cpu.r[Cpu.RDI] = DATA + 16;
            assertEquals(List.of(), run(rig, 0x0F, 0xAE, 0x07)); // 16-byte aligned is enough
            assertEquals(List.of(GP), run(rig, 0x0F, 0xAE, 0x27)); // xsave needs 64
            rig.cpu.r[Cpu.RDI] = DATA;
            // ldmxcsr with a reserved bit
            rig.mem.writeInt(DATA + 0x100, 0x10000);
            assertEquals(List.of(GP), run(rig, 0x0F, 0xAE, 0x97, 0x00, 0x01, 0x00, 0x00));
            // fxrstor of an image whose MXCSR has reserved bits
            rig.mem.zero(DATA, 1024);
            rig.mem.writeInt(DATA + 24, 0x80001F80);
            assertEquals(List.of(GP), run(rig, 0x0F, 0xAE, 0x0F));
            // xrstor: XSTATE_BV outside XCR0, then a non-zero XCOMP_BV
            rig.cpu.r[Cpu.RAX] = -1;
            rig.cpu.r[Cpu.RDX] = -1;
            rig.mem.zero(DATA, 1024);
            rig.mem.writeInt(DATA + 24, 0x1F80);
            rig.mem.writeLong(DATA + 512, 4);
            assertEquals(List.of(GP), run(rig, 0x0F, 0xAE, 0x2F));
            rig.mem.writeLong(DATA + 512, 3);
            rig.mem.writeLong(DATA + 520, 1);
            assertEquals(List.of(GP), run(rig, 0x0F, 0xAE, 0x2F));
            rig.mem.writeLong(DATA + 520, 0);
            assertEquals(List.of(), run(rig, 0x0F, 0xAE, 0x2F));
            // without CR4.OSXSAVE: #UD
            rig.cpu.cr4 &= ~Cpu.CR4_OSXSAVE;
            assertEquals(List.of(UD), run(rig, 0x0F, 0xAE, 0x27));
            assertEquals(List.of(UD), run(rig, 0x0F, 0x01, 0xD0)); // xgetbv
        }
    }

    @Test
    void unikraftContextSwitchRoundTrip() {
        try (CpuTestRig rig = rig()) {
            Cpu cpu = rig.cpu;
            rig.mem.writeInt(DATA + 0x800, 0x1F80);
            // fninit; ldmxcsr [rdi+0x800]; fldpi; fld1; xsave64 [rdi] (mask all ones)
            cpu.r[Cpu.RAX] = -1;
            cpu.r[Cpu.RDX] = -1;
            cpu.xmm[0] = 0x1234;
            assertEquals(List.of(), run(rig, 0xDB, 0xE3, 0x0F, 0xAE, 0x97, 0x00, 0x08, 0x00, 0x00, 0xD9, 0xEB, 0xD9, 0xE8,
                    0x48, 0x0F, 0xAE, 0x27));
            assertEquals(3, rig.mem.readLong(DATA + 512), "XSTATE_BV: x87 and SSE in use");
            long pi = cpu.fpu.mantissa[(cpu.fpu.top + 1) & 7];
            // Wreck the state, then xrstor64 brings it back.
            assertEquals(List.of(), run(rig, 0xDB, 0xE3, 0xD9, 0xEE, 0x48, 0x0F, 0xAE, 0x2F));
            assertEquals(0xC90FDAA22168C235L, pi);
            assertEquals(6, cpu.fpu.top);
            assertEquals(0x3FFF, cpu.fpu.signExp[6]);
            assertEquals(pi, cpu.fpu.mantissa[7]);
            assertEquals(0x1234, cpu.xmm[0]);
            // XRSTOR with XSTATE_BV clear puts x87 and SSE into their initial state.
            rig.mem.writeLong(DATA + 512, 0);
            assertEquals(List.of(), run(rig, 0x48, 0x0F, 0xAE, 0x2F));
            assertEquals(0xFFFF, cpu.fpu.tag);
            assertEquals(0x037F, cpu.fpu.control);
            assertEquals(0, cpu.xmm[0]);
        }
    }

    @Test
    void cpuidAnnouncesFpuFxsrXsave() {
        try (CpuTestRig rig = rig()) {
            Cpu cpu = rig.cpu;
            int[] l1 = cpu.cpuid.query(cpu, 1, 0);
            assertTrue((l1[3] & 1) != 0, "FPU");
            assertTrue((l1[3] & (1 << 24)) != 0, "FXSR");
            assertTrue((l1[2] & (1 << 26)) != 0, "XSAVE");
            int[] d0 = cpu.cpuid.query(cpu, 0xD, 0);
            assertEquals(576, d0[1]);
            assertEquals(576, d0[2]);
            assertEquals(1, cpu.cpuid.query(cpu, 0xD, 1)[0] & 1, "XSAVEOPT");
        }
    }
}
