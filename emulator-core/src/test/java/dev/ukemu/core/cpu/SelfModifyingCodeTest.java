package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Stores into decoded code are seen by the very next instruction, as the hardware guarantees. */
class SelfModifyingCodeTest {
    @Test
    void storePatchingTheNextInstructionInTheSameBlockIsSeen() {
        try (CpuTestRig rig = new CpuTestRig()) {
            // mov byte [rip+1], 0x42 ; mov al, 0x00 (its immediate is the patched byte) ; hlt
            rig.code(0xC6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x42, 0xB0, 0x00).run();
            assertEquals(0x42, rig.cpu.r[Cpu.RAX] & 0xFF);
        }
    }

    @Test
    void codeRewrittenBetweenRunsIsDecodedAgain() {
        try (CpuTestRig rig = new CpuTestRig()) {
            rig.code(0xB0, 0x01).run(); // mov al, 1
            assertEquals(1, rig.cpu.r[Cpu.RAX] & 0xFF);
            // The guest itself rewrites the immediate: mov byte [0x100001], 7 ; then jumps back.
            rig.mem.load(CpuTestRig.CODE + 0x100, new byte[] {(byte) 0xC6, 0x04, 0x25, 0x01, 0x00, 0x10, 0x00, 0x07,
                (byte) 0xE9, (byte) 0xF3, (byte) 0xFE, (byte) 0xFF, (byte) 0xFF});
            rig.cpu.rip = CpuTestRig.CODE + 0x100;
            rig.cpu.halted = false;
            rig.run();
            assertEquals(7, rig.cpu.r[Cpu.RAX] & 0xFF);
        }
    }

    @Test
    void farJumpPatchedJustBeforeItRunsGoesToTheNewTarget() {
        // Unikraft's 32->64-bit switch: write the target into the ljmp, then execute it.
        try (CpuTestRig rig = new CpuTestRig()) {
            long target = CpuTestRig.CODE + 0x40;
            rig.mem.writeByte(target, 0xB0);      // mov al, 0x5A
            rig.mem.writeByte(target + 1, 0x5A);
            rig.mem.writeByte(target + 2, 0xF4);
            // mov dword [rip+disp], target  -> patches the offset of "jmp far [rip+x]"'s pointer
            // Here: a memory-indirect far jump through a pointer at CODE+0x20 that starts zeroed.
            rig.mem.writeShort(CpuTestRig.CODE + 0x24, 0x08);
            int[] code = {
                0xC7, 0x05, 0x16, 0x00, 0x00, 0x00, (int) target & 0xFF, (int) (target >> 8) & 0xFF, (int) (target >> 16) & 0xFF, 0, // mov dword [rip+0x16], target
                0xFF, 0x2D, 0x10, 0x00, 0x00, 0x00, // jmp far dword [rip+0x10] -> CODE+0x20
            };
            byte[] b = new byte[code.length];
            for (int k = 0; k < code.length; k++) {
                b[k] = (byte) code[k];
            }
            rig.mem.load(CpuTestRig.CODE, b);
            rig.cpu.rip = CpuTestRig.CODE;
            rig.run();
            assertEquals(0x5A, rig.cpu.r[Cpu.RAX] & 0xFF);
            assertEquals(64, rig.cpu.bits);
        }
    }
}
