package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Accesses the CPU makes on its own behalf at CPL 3 (IDT, TSS, GDT: supervisor-mode whatever the
 * CPL, SDM vol. 3, 4.6) and #SS(0) for non-canonical stack addresses (SDM vol. 3, 6.15).
 */
class PrivilegeAndStackFaultTest {
    static final long USER_CODE = 0x200000;
    static final long TSS = FlatLongMode.TSS;
    static final int SEL_UCODE = 0x2B, SEL_UDATA = 0x33;

    /**
     * The rig with its first 2 MiB (GDT, IDT, TSS, handlers) supervisor-only, user segments in
     * the GDT, TSS.RSP0 = the rig's stack, and {@code code} running at CPL 3 from 2 MiB.
     */
    static CpuTestRig userRig(int... code) {
        CpuTestRig rig = new CpuTestRig();
        rig.mem.writeLong(CpuTestRig.PD, 0x83); // 0-2 MiB: present, writable, supervisor
        rig.mem.writeLong(CpuTestRig.GDT + 40, 0x00affb000000ffffL); // 0x28: 64-bit code, DPL 3
        rig.mem.writeLong(CpuTestRig.GDT + 48, 0x00cff3000000ffffL); // 0x30: data, DPL 3
        rig.cpu.gdtLimit = 55;
        rig.mem.writeLong(TSS + 4, CpuTestRig.STACK); // RSP0
        byte[] b = new byte[code.length + 1];
        for (int k = 0; k < code.length; k++) {
            b[k] = (byte) code[k];
        }
        b[code.length] = (byte) 0xF4;
        rig.mem.load(USER_CODE, b);
        rig.cpu.invalidateDecodedCode();
        rig.cpu.setSegmentRaw(Cpu.CS, SEL_UCODE, 0, 0xFFFFFFFFL, 0xA0FB);
        rig.cpu.setSegmentRaw(Cpu.SS, SEL_UDATA, 0, 0xFFFFFFFFL, 0xC0F3);
        rig.cpu.cpl = 3;
        rig.cpu.updateMode();
        rig.cpu.flushTlb();
        rig.cpu.rip = USER_CODE;
        rig.cpu.r[Cpu.RSP] = 0x300000;
        return rig;
    }

    @Test
    void faultAtCpl3IsDeliveredThroughASupervisorOnlyIdtAndTss() {
        try (CpuTestRig rig = userRig(0xF4)) { // hlt at CPL 3: #GP(0)
            rig.run(10);
            assertEquals(List.of(CpuException.GP), rig.vectors);
            assertEquals(0, rig.errorCodes.get(0));
            assertEquals(0, rig.cpu.cpl);
            long rsp = rig.cpu.r[Cpu.RSP];
            assertEquals(CpuTestRig.STACK - 48, rsp, "the frame is on TSS.RSP0");
            assertEquals(USER_CODE, rig.mem.readLong(rsp + 8), "saved RIP");
            assertEquals(SEL_UCODE, rig.mem.readLong(rsp + 16), "saved CS");
            assertEquals(0x300000, rig.mem.readLong(rsp + 32), "saved RSP");
            assertEquals(SEL_UDATA, rig.mem.readLong(rsp + 40), "saved SS");
        }
    }

    @Test
    void ioBitmapReadAtCpl3DoesNotOpenTheTssToCpl3() {
        // in al, 0x60 (allowed by an all-zero bitmap); mov rax, [TSS]: a user read of a supervisor page
        int[] load = PagingAndFaultTest.loadAbs(TSS);
        int[] code = new int[2 + load.length];
        code[0] = 0xE4;
        code[1] = 0x60;
        System.arraycopy(load, 0, code, 2, load.length);
        try (CpuTestRig rig = userRig(code)) {
            rig.mem.writeShort(TSS + 0x66, (short) 0x68);
            rig.cpu.trLimit = 0x68 + 16;
            rig.run(10);
            assertEquals(List.of(CpuException.PF), rig.vectors);
            assertEquals(Cpu.PF_P | Cpu.PF_U, rig.errorCodes.get(0), "user read of a supervisor page");
            assertEquals(TSS, rig.cpu.cr2);
            assertEquals(USER_CODE + 2, rig.mem.readLong(rig.cpu.r[Cpu.RSP] + 8), "the in completed");
        }
    }

    @Test
    void privilegedInstructionAtCpl3WithTheIoBitmapDenyingFaultsWithGp() {
        try (CpuTestRig rig = userRig(0xE4, 0x60)) { // in al, 0x60
            rig.mem.writeShort(TSS + 0x66, (short) 0x68);
            rig.mem.writeByte(TSS + 0x68 + (0x60 >> 3), (byte) 1);
            rig.cpu.trLimit = 0x68 + 16;
            rig.run(10);
            assertEquals(List.of(CpuException.GP), rig.vectors);
            assertEquals(0, rig.errorCodes.get(0));
        }
    }

    /** #SS gets IST 1, so its delivery does not depend on the broken RSP. */
    static CpuTestRig stackRig(int... code) {
        CpuTestRig rig = new CpuTestRig();
        long gate = CpuTestRig.IDT + CpuException.SS * 16L;
        rig.mem.writeLong(gate, rig.mem.readLong(gate) | 1L << 32);
        rig.mem.writeLong(TSS + 0x24, 0x700000); // IST1
        rig.code(code);
        return rig;
    }

    @Test
    void pushWithNonCanonicalRspIsStackFault() {
        try (CpuTestRig rig = stackRig(0x50)) { // push rax
            rig.cpu.r[Cpu.RSP] = 0x8000_0000_0000_0000L;
            rig.run(10);
            assertEquals(List.of(CpuException.SS), rig.vectors);
            assertEquals(0, rig.errorCodes.get(0));
            assertEquals(0x700000 - 48, rig.cpu.r[Cpu.RSP], "on IST1");
            assertEquals(0x8000_0000_0000_0000L, rig.mem.readLong(0x700000 - 16), "saved RSP");
        }
    }

    @Test
    void rspBasedOperandReachingANonCanonicalAddressIsStackFault() {
        try (CpuTestRig rig = stackRig(0x48, 0x8B, 0x44, 0x24, 0x08)) { // mov rax, [rsp+8]
            rig.cpu.r[Cpu.RSP] = 0x7FFF_FFFF_FFF8L;
            rig.run(10);
            assertEquals(List.of(CpuException.SS), rig.vectors);
            assertEquals(0, rig.errorCodes.get(0));
        }
    }

    @Test
    void rbpBasedOperandIsStackFaultButAnFsOverrideIsGeneralProtection() {
        try (CpuTestRig rig = stackRig(0x48, 0x8B, 0x45, 0x00)) { // mov rax, [rbp]
            rig.cpu.r[Cpu.RBP] = 0x8000_0000_0000_0000L;
            rig.run(10);
            assertEquals(List.of(CpuException.SS), rig.vectors);
        }
        try (CpuTestRig rig = stackRig(0x64, 0x48, 0x8B, 0x45, 0x00)) { // mov rax, fs:[rbp]
            rig.cpu.r[Cpu.RBP] = 0x8000_0000_0000_0000L;
            rig.run(10);
            assertEquals(List.of(CpuException.GP), rig.vectors);
        }
    }
}
