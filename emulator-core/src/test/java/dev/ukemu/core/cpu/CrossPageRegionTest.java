package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Code that crosses a page boundary: a loop whose body runs from one page into the next, and a
 * rewrite of the second page's code between two runs of that loop. Under the JIT the loop is one
 * region over both pages, and the rewrite must retire it.
 */
class CrossPageRegionTest {
    static final long A = CpuTestRig.CODE + 0xFF0, B = CpuTestRig.CODE + 0x1010, PATCH = CpuTestRig.CODE + 0x800;

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int k = 0; k < v.length; k++) {
            b[k] = (byte) v[k];
        }
        return b;
    }

    private static int[] le32(long v) {
        return new int[] {(int) v & 0xFF, (int) (v >> 8) & 0xFF, (int) (v >> 16) & 0xFF, (int) (v >> 24) & 0xFF};
    }

    /** {@code n} times: eax += 1 (page P), jump to page P+1, eax += imm, loop back to page P. */
    private static void load(CpuTestRig rig, int n, int imm) {
        int[] c = le32(n), i = le32(imm);
        // 0xFE0: mov ecx, n ; xor eax, eax ; jmp short A
        rig.mem.load(A - 0x10, bytes(0xB9, c[0], c[1], c[2], c[3], 0x31, 0xC0, 0xEB, 0x07));
        // A: add eax, 1 ; jmp near B
        int[] rel = le32(B - (A + 8));
        rig.mem.load(A, bytes(0x83, 0xC0, 0x01, 0xE9, rel[0], rel[1], rel[2], rel[3]));
        // B: add eax, imm ; dec ecx ; jnz A ; hlt
        int[] back = le32(A - (B + 13));
        rig.mem.load(B, bytes(0x05, i[0], i[1], i[2], i[3], 0xFF, 0xC9, 0x0F, 0x85, back[0], back[1], back[2], back[3],
                0xF4));
    }

    @Test
    void aLoopAcrossAPageBoundaryRunsAndSeesItsSecondPageRewritten() {
        try (CpuTestRig rig = new CpuTestRig()) {
            int n1 = 300, imm1 = 3;
            load(rig, n1, imm1);
            rig.cpu.invalidateDecodedCode();
            rig.cpu.rip = A - 0x10;
            rig.run();
            assertEquals((long) n1 * (1 + imm1), rig.cpu.r[Cpu.RAX]);

            Jit jit = rig.cpu.code.jit();
            if (jit != null) {
                boolean twoPages = false;
                for (Region r : jit.regions()) {
                    twoPages |= r.linearPages.length > 1 && r.blocks.length > 1
                            && (r.blocks[0].linear >>> 12) != (r.blocks[r.blocks.length - 1].linear >>> 12);
                }
                assertTrue(twoPages, "a region holds blocks from both pages");
            }

            // The guest rewrites B's immediate (on the second page), then runs the loop again.
            int n2 = 200, imm2 = 7;
            int[] addr = le32(B + 1), v = le32(imm2), c = le32(n2), rel = le32(A - (PATCH + 23));
            rig.mem.load(PATCH, bytes(0xC7, 0x04, 0x25, addr[0], addr[1], addr[2], addr[3], v[0], v[1], v[2], v[3], // mov dword [B+1], imm2
                    0xB9, c[0], c[1], c[2], c[3], // mov ecx, n2
                    0x31, 0xC0, // xor eax, eax
                    0xE9, rel[0], rel[1], rel[2], rel[3])); // jmp A
            rig.cpu.rip = PATCH;
            rig.cpu.halted = false;
            rig.run();
            assertEquals((long) n2 * (1 + imm2), rig.cpu.r[Cpu.RAX]);
        }
    }
}
