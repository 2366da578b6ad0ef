package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** SYSENTER and SYSEXIT in 64-bit mode (SDM vol. 2B), as announced by CPUID.1:EDX.SEP. */
class SysenterTest {
    @Test
    void sysenterEntersRing0AtTheMsrTargetsWithInterruptsOff() {
        try (CpuTestRig rig = new CpuTestRig()) {
            assertTrue(rig.cpu.cpuid.has(CpuidModel.F_SEP));
            Cpu c = rig.cpu;
            c.sysenterCs = 0x08;
            c.sysenterEip = CpuTestRig.CODE + 0x100;
            c.sysenterEsp = 0x700000;
            rig.mem.writeByte(CpuTestRig.CODE + 0x100, 0xF4);
            c.setRflags(c.rflags() | Cpu.RF_IF);
            rig.code(0x0F, 0x34).run();
            assertEquals(CpuTestRig.CODE + 0x101, c.rip, "halted after the HLT at SYSENTER_EIP");
            assertEquals(0x700000, c.r[Cpu.RSP]);
            assertEquals(0x08, c.segSel[Cpu.CS]);
            assertEquals(0x10, c.segSel[Cpu.SS]);
            assertEquals(0, c.rflags() & Cpu.RF_IF);
            assertEquals(64, c.bits);
            assertEquals(List.of(), rig.vectors);
        }
    }

    @Test
    void sysexitWithRexWReturnsToRing3AtRdxWithStackRcx() {
        try (CpuTestRig rig = new CpuTestRig()) {
            Cpu c = rig.cpu;
            c.sysenterCs = 0x08;
            c.r[Cpu.RDX] = CpuTestRig.CODE + 0x200;
            c.r[Cpu.RCX] = 0x680000;
            rig.code(0x48, 0x0F, 0x35);
            Interpreter.step(c); // SYSEXIT ends its block
            assertEquals(CpuTestRig.CODE + 0x200, c.rip);
            assertEquals(0x680000, c.r[Cpu.RSP]);
            assertEquals(3, c.cpl);
            assertEquals((0x08 + 32) | 3, c.segSel[Cpu.CS]);
            assertEquals((0x08 + 40) | 3, c.segSel[Cpu.SS]);
            assertEquals(64, c.bits);
        }
    }

    @Test
    void sysexitWithoutRexWReturnsToCompatibilityMode() {
        try (CpuTestRig rig = new CpuTestRig()) {
            Cpu c = rig.cpu;
            c.sysenterCs = 0x08;
            c.r[Cpu.RDX] = 0x1_0000_0200L; // truncated to EDX
            c.r[Cpu.RCX] = 0x680000;
            rig.code(0x0F, 0x35);
            Interpreter.step(c);
            assertEquals(0x200, c.rip);
            assertEquals((0x08 + 16) | 3, c.segSel[Cpu.CS]);
            assertEquals(32, c.bits, "a 32-bit code segment in long mode");
        }
    }

    @Test
    void sysenterWithoutATargetSegmentIsGeneralProtection() {
        try (CpuTestRig rig = new CpuTestRig()) {
            rig.code(0x0F, 0x34).run();
            assertEquals(List.of(CpuException.GP), rig.vectors);
        }
    }
}
