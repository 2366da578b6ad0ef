package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Page walks, page-fault error codes and CR2, A/D bits, and exception escalation. */
class PagingAndFaultTest {
    // mov rax, [disp32] / mov [disp32], rax (SIB with no base, no index)
    static int[] loadAbs(long a) {
        return new int[] {0x48, 0x8B, 0x04, 0x25, (int) a & 0xFF, (int) (a >> 8) & 0xFF, (int) (a >> 16) & 0xFF, (int) (a >> 24) & 0xFF};
    }

    static int[] storeAbs(long a) {
        return new int[] {0x48, 0x89, 0x04, 0x25, (int) a & 0xFF, (int) (a >> 8) & 0xFF, (int) (a >> 16) & 0xFF, (int) (a >> 24) & 0xFF};
    }

    private static long savedRip(CpuTestRig rig, boolean hasErrorCode) {
        return rig.mem.readLong(rig.cpu.r[Cpu.RSP] + (hasErrorCode ? 8 : 0));
    }

    @Test
    void readOfNotPresentPageFaultsWithCr2AndErrorCode() {
        try (CpuTestRig rig = new CpuTestRig()) {
            rig.code(loadAbs(0x2000000)).run();
            assertEquals(List.of(CpuException.PF), rig.vectors);
            assertEquals(0, rig.errorCodes.get(0), "not present, read, supervisor");
            assertEquals(0x2000000L, rig.cpu.cr2);
            assertEquals(CpuTestRig.CODE, savedRip(rig, true), "the faulting instruction is saved");
        }
    }

    @Test
    void writeOfNotPresentPageSetsW() {
        try (CpuTestRig rig = new CpuTestRig()) {
            rig.code(storeAbs(0x2000010)).run();
            assertEquals(Cpu.PF_W, rig.errorCodes.get(0));
            assertEquals(0x2000010L, rig.cpu.cr2);
        }
    }

    @Test
    void writeToReadOnlyPageWithWpSetsPAndW() {
        try (CpuTestRig rig = new CpuTestRig()) {
            rig.mem.writeLong(CpuTestRig.PD + 8, 0x200000L | 0x85); // 2-4 MiB: present, user, not writable
            rig.cpu.r[Cpu.RAX] = 7;
            rig.code(storeAbs(0x200008)).run();
            assertEquals(Cpu.PF_P | Cpu.PF_W, rig.errorCodes.get(0));
            assertEquals(0, rig.mem.readLong(0x200008), "the store did not land");
        }
    }

    @Test
    void fetchFromNoExecutePageSetsInstructionFetchBit() {
        try (CpuTestRig rig = new CpuTestRig()) {
            rig.mem.writeLong(CpuTestRig.PD + 16, 0x400000L | 0x87 | Cpu.PTE_NX);
            rig.mem.writeByte(0x400000, 0x90);
            // mov eax, 0x400000; jmp rax
            rig.code(0xB8, 0x00, 0x00, 0x40, 0x00, 0xFF, 0xE0).run();
            assertEquals(List.of(CpuException.PF), rig.vectors);
            assertEquals(Cpu.PF_P | Cpu.PF_ID, rig.errorCodes.get(0));
            assertEquals(0x400000L, rig.cpu.cr2);
        }
    }

    @Test
    void accessedAndDirtyBitsAreSetByTheWalk() {
        try (CpuTestRig rig = new CpuTestRig()) {
            long pde = CpuTestRig.PD + 3 * 8;
            rig.mem.writeLong(pde, 0x600000L | 0x87); // A and D clear
            rig.code(loadAbs(0x600000)).run();
            assertEquals(Cpu.PTE_A, rig.mem.readLong(pde) & (Cpu.PTE_A | Cpu.PTE_D), "read sets A only");
            rig.code(storeAbs(0x600000)).run();
            assertEquals(Cpu.PTE_A | Cpu.PTE_D, rig.mem.readLong(pde) & (Cpu.PTE_A | Cpu.PTE_D), "write sets D");
        }
    }

    @Test
    void fourKilobytePagesAliasThroughTheirTables() {
        try (CpuTestRig rig = new CpuTestRig()) {
            // PD[4] -> a page table at 0xC000 mapping 0x800000.. to physical 0xA00000.. (4 KiB pages).
            rig.mem.writeLong(CpuTestRig.PD + 4 * 8, 0xC000L | 0x7);
            for (int k = 0; k < 512; k++) {
                rig.mem.writeLong(0xC000 + k * 8L, (0xA00000L + k * 4096L) | 0x7);
            }
            rig.mem.writeLong(0xA01008, 0x1122334455667788L);
            rig.code(loadAbs(0x801008)).run();
            assertEquals(0x1122334455667788L, rig.cpu.r[Cpu.RAX]);
            assertTrue(rig.vectors.isEmpty());
        }
    }

    @Test
    void nonCanonicalAddressIsGeneralProtection() {
        try (CpuTestRig rig = new CpuTestRig()) {
            rig.cpu.r[Cpu.RBX] = 0x8000_0000_0000_0000L;
            rig.code(0x48, 0x8B, 0x03).run(); // mov rax, [rbx]
            assertEquals(List.of(CpuException.GP), rig.vectors);
            assertEquals(0, rig.errorCodes.get(0));
        }
    }

    /**
     * Maps the last 2 MiB below the canonical hole (PML4[255] -> PDPT[511] -> PD[511]) to
     * physical 0xA00000, places {@code code} in its last 16 bytes and runs it: its branch goes
     * past 0x0000_7FFF_FFFF_FFFF, which is not canonical. Returns where the code starts.
     */
    private static long runBelowTheCanonicalHole(CpuTestRig rig, byte... code) {
        long pdpt = 0xB000, pd = 0xC000, phys = 0xA00000;
        rig.mem.writeLong(CpuTestRig.PML4 + 255 * 8, pdpt | 0x7);
        rig.mem.writeLong(pdpt + 511 * 8, pd | 0x7);
        rig.mem.writeLong(pd + 511 * 8, phys | 0x87);
        long at = 0x7FFF_FFFF_FFF0L;
        rig.mem.load(phys + (at & 0x1FFFFF), code);
        rig.cpu.invalidateDecodedCode();
        rig.cpu.rip = at;
        rig.run();
        return at;
    }

    @Test
    void branchToNonCanonicalTargetFaultsAtTheBranchAfterItsCompare() {
        try (CpuTestRig rig = new CpuTestRig()) {
            rig.cpu.r[Cpu.RAX] = 5;
            long at = runBelowTheCanonicalHole(rig, (byte) 0x48, (byte) 0x39, (byte) 0xC0, (byte) 0x74, (byte) 0x20); // cmp rax,rax; je +0x20
            assertEquals(List.of(CpuException.GP), rig.vectors);
            assertEquals(at + 3, savedRip(rig, true), "the fault is the branch's");
            long savedFlags = rig.mem.readLong(rig.cpu.r[Cpu.RSP] + 24);
            assertEquals(Cpu.RF_ZF, savedFlags & Cpu.RF_ZF, "the compare ran before the branch faulted");
        }
    }

    @Test
    void jumpAndCallToNonCanonicalTargetFaultAtTheInstruction() {
        try (CpuTestRig rig = new CpuTestRig()) {
            long at = runBelowTheCanonicalHole(rig, (byte) 0x90, (byte) 0xEB, (byte) 0x20); // nop; jmp +0x20
            assertEquals(List.of(CpuException.GP), rig.vectors);
            assertEquals(at + 1, savedRip(rig, true));
        }
        try (CpuTestRig rig = new CpuTestRig()) {
            long at = runBelowTheCanonicalHole(rig, (byte) 0x90, (byte) 0xE8, (byte) 0x20, (byte) 0, (byte) 0, (byte) 0); // nop; call +0x20
            assertEquals(List.of(CpuException.GP), rig.vectors);
            assertEquals(at + 1, savedRip(rig, true));
            assertEquals(CpuTestRig.STACK - 6 * 8, rig.cpu.r[Cpu.RSP], "the call pushed nothing before it faulted");
        }
    }

    @Test
    void divideErrorSavesTheDivideInstruction() {
        try (CpuTestRig rig = new CpuTestRig()) {
            rig.code(0x31, 0xC9, 0xF7, 0xF1).run(); // xor ecx,ecx; div ecx
            assertEquals(List.of(CpuException.DE), rig.vectors);
            assertEquals(CpuTestRig.CODE + 2, savedRip(rig, false));
        }
    }

    @Test
    void int3SavesTheFollowingInstruction() {
        try (CpuTestRig rig = new CpuTestRig()) {
            rig.code(0x90, 0xCC, 0x90).run();
            assertEquals(List.of(CpuException.BP), rig.vectors);
            assertEquals(CpuTestRig.CODE + 2, savedRip(rig, false));
        }
    }

    @Test
    void faultWhileDeliveringAPageFaultBecomesDoubleFault() {
        try (CpuTestRig rig = new CpuTestRig()) {
            // Make the #PF gate not present: delivering #PF raises #NP, a double fault.
            rig.mem.writeLong(CpuTestRig.IDT + 14 * 16, rig.mem.readLong(CpuTestRig.IDT + 14 * 16) & ~(1L << 47));
            rig.code(loadAbs(0x2000000)).run();
            assertEquals(List.of(CpuException.PF, CpuException.DF), rig.vectors);
            assertEquals(0, rig.errorCodes.get(1), "#DF pushes error code 0");
        }
    }

    @Test
    void unusableIdtEndsInATripleFaultNamingTheMode() {
        try (CpuTestRig rig = new CpuTestRig()) {
            rig.cpu.idtLimit = 0;
            rig.code(0x0F, 0x0B); // ud2
            GuestStop stop = assertThrows(GuestStop.class, () -> rig.run());
            assertEquals(GuestStop.Kind.TRIPLE_FAULT, stop.kind);
            assertTrue(stop.getMessage().contains("triple fault in 64-bit mode at RIP=0x100000"), stop.getMessage());
        }
    }

    @Test
    void unimplementedInstructionStopsWithItsBytes() {
        try (CpuTestRig rig = new CpuTestRig()) {
            rig.code(0x90, 0xC5, 0xF8, 0x77); // nop; vzeroupper (AVX is not implemented)
            GuestStop stop = assertThrows(GuestStop.class, () -> rig.run());
            assertEquals(GuestStop.Kind.UNIMPLEMENTED, stop.kind);
            assertTrue(stop.getMessage().contains("RIP=0x100001 in 64-bit mode: c5 (#UD, vector 6)"), stop.getMessage());
        }
    }
}
