package dev.ukemu.core.cpu.oracle;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The instruction forms the SSE differential test runs: every SSE-SSE4.2 and MMX encoding ukemu
 * implements, each as a register-register form (XMM1/XMM2), a REX form (XMM10/XMM13) and a
 * memory form ([RBX]), with a spread of immediates where the instruction takes one.
 */
final class SseForms {
    private SseForms() {
    }

    /** How operands are filled: the lane type decides which edge values are likely. */
    enum Lane { F32, F64, I8, I16, I32, I64, STR8, STR16 }

    static final int MMX = 1, REG_ONLY = 2, MEM_ONLY = 4, APPROX = 8, NO_REX = 16, W = 32, UNALIGNED = 64;

    record Form(String name, byte[] code, Lane lane, int flags, String feature, int weight) {
        boolean mmx() {
            return (flags & MMX) != 0;
        }
    }

    private static final class Builder {
        final List<Form> out = new ArrayList<>();

        /**
         * One instruction: legacy prefix (0 for none), opcode bytes after 0F, the ModRM.reg
         * digit for groups (-1 for a register operand), immediates (null for none).
         */
        void insn(String name, String feature, Lane lane, int prefix, int[] opcode, int digit, int[] imms, int flags) {
            int weight = lane == Lane.F32 || lane == Lane.F64 ? 4 : 1;
            for (int imm : imms == null ? new int[] {-1} : imms) {
                String n = imm < 0 ? name : name + String.format(" imm=0x%02x", imm);
                if ((flags & MEM_ONLY) == 0) {
                    out.add(new Form(n + " rr", encode(prefix, 0, opcode, 0xC0 | reg(digit, 1) << 3 | 2, imm, -1),
                            lane, flags, feature, weight));
                    if ((flags & (MMX | NO_REX)) == 0) {
                        out.add(new Form(n + " rr-rex", encode(prefix, digit < 0 ? 0x45 : 0x41, opcode,
                                0xC0 | reg(digit, 2) << 3 | 5, imm, -1), lane, flags, feature, weight));
                    }
                }
                if ((flags & REG_ONLY) == 0) {
                    out.add(new Form(n + " m", encode(prefix, 0, opcode, reg(digit, 1) << 3 | 3, imm, -1),
                            lane, flags, feature, weight));
                    if ((flags & UNALIGNED) != 0) {
                        out.add(new Form(n + " m+1", encode(prefix, 0, opcode, 0x40 | reg(digit, 1) << 3 | 3, imm, 1),
                                lane, flags, feature, weight));
                    }
                }
            }
        }

        private static int reg(int digit, int r) {
            return digit >= 0 ? digit : r;
        }

        private byte[] encode(int prefix, int rex, int[] opcode, int modrm, int imm, int disp8) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            if (prefix > 0xFF) {
                b.write(prefix >> 8);
                b.write(prefix & 0xFF);
            } else if (prefix != 0) {
                b.write(prefix);
            }
            if (rex != 0 || (pendingW)) {
                b.write(0x40 | rex | (pendingW ? 8 : 0));
            }
            b.write(0x0F);
            for (int o : opcode) {
                b.write(o);
            }
            b.write(modrm);
            if (disp8 >= 0) {
                b.write(disp8);
            }
            if (imm >= 0) {
                b.write(imm);
            }
            return b.toByteArray();
        }

        boolean pendingW;

        void insnW(String name, String feature, Lane lane, int prefix, int[] opcode, int[] imms, int flags) {
            insn(name, feature, lane, prefix, opcode, -1, imms, flags);
            pendingW = true;
            insn(name + " W", feature, lane, prefix, opcode, -1, imms, flags | W);
            pendingW = false;
        }
    }

    private static int[] op(int... b) {
        return b;
    }

    static List<Form> all() {
        Builder b = new Builder();
        int[] shapes = {0, 0x66, 0xF3, 0xF2};
        String[] sfx = {"ps", "pd", "ss", "sd"};
        Lane[] lanes = {Lane.F32, Lane.F64, Lane.F32, Lane.F64};
        String[] feat = {"sse", "sse2", "sse", "sse2"};
        int[][] arith = {{0x58}, {0x59}, {0x5C}, {0x5D}, {0x5E}, {0x5F}, {0x51}};
        String[] arithNames = {"add", "mul", "sub", "min", "div", "max", "sqrt"};
        for (int k = 0; k < arith.length; k++) {
            for (int s = 0; s < 4; s++) {
                b.insn(arithNames[k] + sfx[s], feat[s], lanes[s], shapes[s], arith[k], -1, null, s >= 2 ? UNALIGNED : 0);
            }
        }
        int[] preds = {0, 1, 2, 3, 4, 5, 6, 7};
        for (int s = 0; s < 4; s++) {
            b.insn("cmp" + sfx[s], feat[s], lanes[s], shapes[s], op(0xC2), -1, preds, 0);
        }
        b.insn("addsubpd", "pni", Lane.F64, 0x66, op(0xD0), -1, null, 0);
        b.insn("addsubps", "pni", Lane.F32, 0xF2, op(0xD0), -1, null, 0);
        b.insn("haddpd", "pni", Lane.F64, 0x66, op(0x7C), -1, null, 0);
        b.insn("haddps", "pni", Lane.F32, 0xF2, op(0x7C), -1, null, 0);
        b.insn("hsubpd", "pni", Lane.F64, 0x66, op(0x7D), -1, null, 0);
        b.insn("hsubps", "pni", Lane.F32, 0xF2, op(0x7D), -1, null, 0);
        b.insn("ucomiss", "sse", Lane.F32, 0, op(0x2E), -1, null, UNALIGNED);
        b.insn("ucomisd", "sse2", Lane.F64, 0x66, op(0x2E), -1, null, 0);
        b.insn("comiss", "sse", Lane.F32, 0, op(0x2F), -1, null, 0);
        b.insn("comisd", "sse2", Lane.F64, 0x66, op(0x2F), -1, null, 0);
        b.insn("rsqrtps", "sse", Lane.F32, 0, op(0x52), -1, null, APPROX);
        b.insn("rsqrtss", "sse", Lane.F32, 0xF3, op(0x52), -1, null, APPROX);
        b.insn("rcpps", "sse", Lane.F32, 0, op(0x53), -1, null, APPROX);
        b.insn("rcpss", "sse", Lane.F32, 0xF3, op(0x53), -1, null, APPROX);
        String[] logic = {"and", "andn", "or", "xor"};
        for (int k = 0; k < 4; k++) {
            b.insn(logic[k] + "ps", "sse", Lane.I32, 0, op(0x54 + k), -1, null, 0);
            b.insn(logic[k] + "pd", "sse2", Lane.I64, 0x66, op(0x54 + k), -1, null, 0);
        }
        // Conversions.
        b.insnW("cvtsi2ss", "sse", Lane.I32, 0xF3, op(0x2A), null, 0);
        b.insnW("cvtsi2sd", "sse2", Lane.I32, 0xF2, op(0x2A), null, 0);
        b.insnW("cvttss2si", "sse", Lane.F32, 0xF3, op(0x2C), null, 0);
        b.insnW("cvtss2si", "sse", Lane.F32, 0xF3, op(0x2D), null, 0);
        b.insnW("cvttsd2si", "sse2", Lane.F64, 0xF2, op(0x2C), null, 0);
        b.insnW("cvtsd2si", "sse2", Lane.F64, 0xF2, op(0x2D), null, 0);
        b.insn("cvtps2pd", "sse2", Lane.F32, 0, op(0x5A), -1, null, 0);
        b.insn("cvtpd2ps", "sse2", Lane.F64, 0x66, op(0x5A), -1, null, 0);
        b.insn("cvtss2sd", "sse2", Lane.F32, 0xF3, op(0x5A), -1, null, 0);
        b.insn("cvtsd2ss", "sse2", Lane.F64, 0xF2, op(0x5A), -1, null, 0);
        b.insn("cvtdq2ps", "sse2", Lane.I32, 0, op(0x5B), -1, null, 0);
        b.insn("cvtps2dq", "sse2", Lane.F32, 0x66, op(0x5B), -1, null, 0);
        b.insn("cvttps2dq", "sse2", Lane.F32, 0xF3, op(0x5B), -1, null, 0);
        b.insn("cvttpd2dq", "sse2", Lane.F64, 0x66, op(0xE6), -1, null, 0);
        b.insn("cvtdq2pd", "sse2", Lane.I32, 0xF3, op(0xE6), -1, null, 0);
        b.insn("cvtpd2dq", "sse2", Lane.F64, 0xF2, op(0xE6), -1, null, 0);
        b.insn("cvtpi2ps", "sse", Lane.I32, 0, op(0x2A), -1, null, MMX);
        b.insn("cvtpi2pd", "sse2", Lane.I32, 0x66, op(0x2A), -1, null, MMX);
        b.insn("cvttps2pi", "sse", Lane.F32, 0, op(0x2C), -1, null, MMX);
        b.insn("cvtps2pi", "sse", Lane.F32, 0, op(0x2D), -1, null, MMX);
        b.insn("cvttpd2pi", "sse2", Lane.F64, 0x66, op(0x2C), -1, null, MMX);
        b.insn("cvtpd2pi", "sse2", Lane.F64, 0x66, op(0x2D), -1, null, MMX);
        // Moves.
        for (int s = 0; s < 4; s++) {
            b.insn("movu/s load " + sfx[s], feat[s], Lane.I32, shapes[s], op(0x10), -1, null, UNALIGNED);
            b.insn("movu/s store " + sfx[s], feat[s], Lane.I32, shapes[s], op(0x11), -1, null, UNALIGNED);
        }
        b.insn("movlps/movhlps", "sse", Lane.I32, 0, op(0x12), -1, null, UNALIGNED);
        b.insn("movlpd", "sse2", Lane.I32, 0x66, op(0x12), -1, null, MEM_ONLY | UNALIGNED);
        b.insn("movsldup", "pni", Lane.I32, 0xF3, op(0x12), -1, null, 0);
        b.insn("movddup", "pni", Lane.I64, 0xF2, op(0x12), -1, null, UNALIGNED);
        b.insn("movlps store", "sse", Lane.I32, 0, op(0x13), -1, null, MEM_ONLY);
        b.insn("movlpd store", "sse2", Lane.I32, 0x66, op(0x13), -1, null, MEM_ONLY);
        b.insn("unpcklps", "sse", Lane.I32, 0, op(0x14), -1, null, 0);
        b.insn("unpcklpd", "sse2", Lane.I64, 0x66, op(0x14), -1, null, 0);
        b.insn("unpckhps", "sse", Lane.I32, 0, op(0x15), -1, null, 0);
        b.insn("unpckhpd", "sse2", Lane.I64, 0x66, op(0x15), -1, null, 0);
        b.insn("movhps/movlhps", "sse", Lane.I32, 0, op(0x16), -1, null, UNALIGNED);
        b.insn("movhpd", "sse2", Lane.I32, 0x66, op(0x16), -1, null, MEM_ONLY);
        b.insn("movshdup", "pni", Lane.I32, 0xF3, op(0x16), -1, null, 0);
        b.insn("movhps store", "sse", Lane.I32, 0, op(0x17), -1, null, MEM_ONLY);
        b.insn("movhpd store", "sse2", Lane.I32, 0x66, op(0x17), -1, null, MEM_ONLY);
        b.insn("movaps", "sse", Lane.I32, 0, op(0x28), -1, null, 0);
        b.insn("movapd", "sse2", Lane.I32, 0x66, op(0x28), -1, null, 0);
        b.insn("movaps store", "sse", Lane.I32, 0, op(0x29), -1, null, 0);
        b.insn("movapd store", "sse2", Lane.I32, 0x66, op(0x29), -1, null, 0);
        b.insn("movntps", "sse", Lane.I32, 0, op(0x2B), -1, null, MEM_ONLY);
        b.insn("movntpd", "sse2", Lane.I32, 0x66, op(0x2B), -1, null, MEM_ONLY);
        b.insn("movmskps", "sse", Lane.F32, 0, op(0x50), -1, null, REG_ONLY);
        b.insn("movmskpd", "sse2", Lane.F64, 0x66, op(0x50), -1, null, REG_ONLY);
        b.insnW("movd xmm, r/m", "sse2", Lane.I32, 0x66, op(0x6E), null, UNALIGNED);
        b.insnW("movd r/m, xmm", "sse2", Lane.I32, 0x66, op(0x7E), null, UNALIGNED);
        b.insn("movdqa", "sse2", Lane.I32, 0x66, op(0x6F), -1, null, 0);
        b.insn("movdqu", "sse2", Lane.I32, 0xF3, op(0x6F), -1, null, UNALIGNED);
        b.insn("movq xmm, xmm/m64", "sse2", Lane.I64, 0xF3, op(0x7E), -1, null, UNALIGNED);
        b.insn("movdqa store", "sse2", Lane.I32, 0x66, op(0x7F), -1, null, 0);
        b.insn("movdqu store", "sse2", Lane.I32, 0xF3, op(0x7F), -1, null, UNALIGNED);
        b.insn("movq xmm/m64, xmm", "sse2", Lane.I64, 0x66, op(0xD6), -1, null, UNALIGNED);
        b.insn("pmovmskb", "sse2", Lane.I8, 0x66, op(0xD7), -1, null, REG_ONLY);
        b.insn("movntdq", "sse2", Lane.I32, 0x66, op(0xE7), -1, null, MEM_ONLY);
        b.insn("lddqu", "pni", Lane.I32, 0xF2, op(0xF0), -1, null, MEM_ONLY | UNALIGNED);
        b.insn("maskmovdqu", "sse2", Lane.I8, 0x66, op(0xF7), -1, null, REG_ONLY);
        b.insn("movnti", "sse2", Lane.I32, 0, op(0xC3), -1, null, MEM_ONLY);
        b.insn("movq2dq", "sse2", Lane.I64, 0xF3, op(0xD6), -1, null, REG_ONLY | MMX);
        b.insn("movdq2q", "sse2", Lane.I64, 0xF2, op(0xD6), -1, null, REG_ONLY | MMX);
        // Packed integer (66 = XMM, none = MMX).
        int[][] pint = {{0x60, 0}, {0x61, 1}, {0x62, 2}, {0x63, 1}, {0x64, 0}, {0x65, 1}, {0x66, 2}, {0x67, 1},
            {0x68, 0}, {0x69, 1}, {0x6A, 2}, {0x6B, 2}, {0x74, 0}, {0x75, 1}, {0x76, 2},
            {0xD1, 1}, {0xD2, 2}, {0xD3, 3}, {0xD4, 3}, {0xD5, 1}, {0xD8, 0}, {0xD9, 1}, {0xDA, 0}, {0xDB, 3},
            {0xDC, 0}, {0xDD, 1}, {0xDE, 0}, {0xDF, 3}, {0xE0, 0}, {0xE1, 1}, {0xE2, 2}, {0xE3, 1}, {0xE4, 1},
            {0xE5, 1}, {0xE8, 0}, {0xE9, 1}, {0xEA, 1}, {0xEB, 3}, {0xEC, 0}, {0xED, 1}, {0xEE, 1}, {0xEF, 3},
            {0xF1, 1}, {0xF2, 2}, {0xF3, 3}, {0xF4, 2}, {0xF5, 1}, {0xF6, 0}, {0xF8, 0}, {0xF9, 1}, {0xFA, 2},
            {0xFB, 3}, {0xFC, 0}, {0xFD, 1}, {0xFE, 2}};
        Lane[] ints = {Lane.I8, Lane.I16, Lane.I32, Lane.I64};
        for (int[] p : pint) {
            String n = String.format("0f %02x", p[0]);
            b.insn(n + " xmm", "sse2", ints[p[1]], 0x66, op(p[0]), -1, null, 0);
            b.insn(n + " mm", p[0] == 0xD4 || p[0] == 0xF4 || p[0] == 0xFB ? "sse2" : "mmx", ints[p[1]], 0, op(p[0]), -1, null, MMX);
        }
        b.insn("punpcklqdq", "sse2", Lane.I64, 0x66, op(0x6C), -1, null, 0);
        b.insn("punpckhqdq", "sse2", Lane.I64, 0x66, op(0x6D), -1, null, 0);
        b.insnW("movd mm, r/m", "mmx", Lane.I32, 0, op(0x6E), null, MMX | UNALIGNED);
        b.insnW("movd r/m, mm", "mmx", Lane.I32, 0, op(0x7E), null, MMX | UNALIGNED);
        b.insn("movq mm, mm/m", "mmx", Lane.I64, 0, op(0x6F), -1, null, MMX | UNALIGNED);
        b.insn("movq mm/m, mm", "mmx", Lane.I64, 0, op(0x7F), -1, null, MMX | UNALIGNED);
        b.insn("movntq", "sse", Lane.I64, 0, op(0xE7), -1, null, MMX | MEM_ONLY);
        b.insn("pmovmskb mm", "sse", Lane.I8, 0, op(0xD7), -1, null, MMX | REG_ONLY);
        b.insn("maskmovq", "sse", Lane.I8, 0, op(0xF7), -1, null, MMX | REG_ONLY);
        int[] shuf = {0x00, 0x1B, 0x4E, 0xB1, 0xE4, 0xFF, 0x93, 0x39};
        b.insn("pshufd", "sse2", Lane.I32, 0x66, op(0x70), -1, shuf, 0);
        b.insn("pshufhw", "sse2", Lane.I16, 0xF3, op(0x70), -1, shuf, 0);
        b.insn("pshuflw", "sse2", Lane.I16, 0xF2, op(0x70), -1, shuf, 0);
        b.insn("pshufw", "sse", Lane.I16, 0, op(0x70), -1, shuf, MMX);
        int[] counts = {0, 1, 3, 7, 8, 15, 16, 31, 32, 63, 64, 200};
        int[][] groups = {{0x71, 2}, {0x71, 4}, {0x71, 6}, {0x72, 2}, {0x72, 4}, {0x72, 6}, {0x73, 2}, {0x73, 6}};
        for (int[] g : groups) {
            String n = String.format("0f %02x /%d", g[0], g[1]);
            b.insn(n + " xmm", "sse2", Lane.I16, 0x66, op(g[0]), g[1], counts, REG_ONLY);
            b.insn(n + " mm", "mmx", Lane.I16, 0, op(g[0]), g[1], counts, REG_ONLY | MMX);
        }
        int[] bytes = {0, 1, 4, 7, 8, 9, 15, 16, 255};
        b.insn("psrldq", "sse2", Lane.I8, 0x66, op(0x73), 3, bytes, REG_ONLY);
        b.insn("pslldq", "sse2", Lane.I8, 0x66, op(0x73), 7, bytes, REG_ONLY);
        int[] words = {0, 1, 3, 5, 7, 0xFA};
        b.insn("pinsrw", "sse2", Lane.I16, 0x66, op(0xC4), -1, words, UNALIGNED);
        b.insn("pinsrw mm", "sse", Lane.I16, 0, op(0xC4), -1, words, MMX);
        b.insn("pextrw", "sse2", Lane.I16, 0x66, op(0xC5), -1, words, REG_ONLY);
        b.insn("pextrw mm", "sse", Lane.I16, 0, op(0xC5), -1, words, REG_ONLY | MMX);
        b.insn("shufps", "sse", Lane.I32, 0, op(0xC6), -1, shuf, 0);
        b.insn("shufpd", "sse2", Lane.I64, 0x66, op(0xC6), -1, new int[] {0, 1, 2, 3, 0xFC}, 0);
        // SSSE3.
        int[][] ssse3 = {{0x00, 0}, {0x01, 1}, {0x02, 2}, {0x03, 1}, {0x04, 0}, {0x05, 1}, {0x06, 2}, {0x07, 1},
            {0x08, 0}, {0x09, 1}, {0x0A, 2}, {0x0B, 1}, {0x1C, 0}, {0x1D, 1}, {0x1E, 2}};
        for (int[] p : ssse3) {
            String n = String.format("0f 38 %02x", p[0]);
            b.insn(n + " xmm", "ssse3", ints[p[1]], 0x66, op(0x38, p[0]), -1, null, 0);
            b.insn(n + " mm", "ssse3", ints[p[1]], 0, op(0x38, p[0]), -1, null, MMX);
        }
        int[] align = {0, 1, 5, 8, 12, 15, 16, 17, 24, 31, 32, 40};
        b.insn("palignr", "ssse3", Lane.I8, 0x66, op(0x3A, 0x0F), -1, align, 0);
        b.insn("palignr mm", "ssse3", Lane.I8, 0, op(0x3A, 0x0F), -1, align, MMX);
        // SSE4.1.
        b.insn("pblendvb", "sse4_1", Lane.I8, 0x66, op(0x38, 0x10), -1, null, 0);
        b.insn("blendvps", "sse4_1", Lane.I32, 0x66, op(0x38, 0x14), -1, null, 0);
        b.insn("blendvpd", "sse4_1", Lane.I64, 0x66, op(0x38, 0x15), -1, null, 0);
        b.insn("ptest", "sse4_1", Lane.I8, 0x66, op(0x38, 0x17), -1, null, 0);
        for (int k = 0; k < 6; k++) {
            b.insn(String.format("pmovsx %d", k), "sse4_1", Lane.I8, 0x66, op(0x38, 0x20 + k), -1, null, UNALIGNED);
            b.insn(String.format("pmovzx %d", k), "sse4_1", Lane.I8, 0x66, op(0x38, 0x30 + k), -1, null, UNALIGNED);
        }
        int[][] sse41 = {{0x28, 2}, {0x29, 3}, {0x2B, 2}, {0x37, 3}, {0x38, 0}, {0x39, 2}, {0x3A, 1}, {0x3B, 2},
            {0x3C, 0}, {0x3D, 2}, {0x3E, 1}, {0x3F, 2}, {0x40, 2}, {0x41, 1}};
        for (int[] p : sse41) {
            b.insn(String.format("0f 38 %02x", p[0]), p[0] == 0x37 ? "sse4_2" : "sse4_1", ints[p[1]], 0x66,
                    op(0x38, p[0]), -1, null, 0);
        }
        b.insn("movntdqa", "sse4_1", Lane.I32, 0x66, op(0x38, 0x2A), -1, null, MEM_ONLY);
        int[] rmodes = {0, 1, 2, 3, 4, 8, 9, 10, 11, 12};
        b.insn("roundps", "sse4_1", Lane.F32, 0x66, op(0x3A, 0x08), -1, rmodes, 0);
        b.insn("roundpd", "sse4_1", Lane.F64, 0x66, op(0x3A, 0x09), -1, rmodes, 0);
        b.insn("roundss", "sse4_1", Lane.F32, 0x66, op(0x3A, 0x0A), -1, rmodes, UNALIGNED);
        b.insn("roundsd", "sse4_1", Lane.F64, 0x66, op(0x3A, 0x0B), -1, rmodes, UNALIGNED);
        int[] blends = {0x00, 0x05, 0x0A, 0x0F, 0x33, 0xA5, 0xFF};
        b.insn("blendps", "sse4_1", Lane.I32, 0x66, op(0x3A, 0x0C), -1, blends, 0);
        b.insn("blendpd", "sse4_1", Lane.I64, 0x66, op(0x3A, 0x0D), -1, blends, 0);
        b.insn("pblendw", "sse4_1", Lane.I16, 0x66, op(0x3A, 0x0E), -1, blends, 0);
        int[] lanes16 = {0, 1, 2, 3, 5, 7, 8, 13, 15, 0xF3};
        b.insn("pextrb", "sse4_1", Lane.I8, 0x66, op(0x3A, 0x14), -1, lanes16, UNALIGNED);
        b.insn("pextrw m", "sse4_1", Lane.I16, 0x66, op(0x3A, 0x15), -1, lanes16, UNALIGNED);
        b.insnW("pextrd/q", "sse4_1", Lane.I32, 0x66, op(0x3A, 0x16), lanes16, UNALIGNED);
        b.insn("extractps", "sse4_1", Lane.F32, 0x66, op(0x3A, 0x17), -1, lanes16, UNALIGNED);
        b.insn("pinsrb", "sse4_1", Lane.I8, 0x66, op(0x3A, 0x20), -1, lanes16, UNALIGNED);
        b.insn("insertps", "sse4_1", Lane.F32, 0x66, op(0x3A, 0x21), -1, new int[] {0x00, 0x1D, 0x4A, 0xB3, 0xF0, 0x30, 0x8C, 0xC0},
                UNALIGNED);
        b.insnW("pinsrd/q", "sse4_1", Lane.I32, 0x66, op(0x3A, 0x22), lanes16, UNALIGNED);
        b.insn("dpps", "sse4_1", Lane.F32, 0x66, op(0x3A, 0x40), -1, new int[] {0xFF, 0xF1, 0x31, 0x7F, 0xC3, 0x5A, 0x0F, 0xF0}, 0);
        b.insn("dppd", "sse4_1", Lane.F64, 0x66, op(0x3A, 0x41), -1, new int[] {0x33, 0x31, 0x13, 0x21, 0x03, 0x30, 0xFF}, 0);
        b.insn("mpsadbw", "sse4_1", Lane.I8, 0x66, op(0x3A, 0x42), -1, new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 0);
        // SSE4.2.
        int[] str = new int[40];
        java.util.SplittableRandom r = new java.util.SplittableRandom(42);
        for (int k = 0; k < str.length; k++) {
            str[k] = k < 16 ? k << 2 : r.nextInt(128); // every aggregation and format, then a mix
        }
        String[] sn = {"pcmpestrm", "pcmpestri", "pcmpistrm", "pcmpistri"};
        for (int k = 0; k < 4; k++) {
            b.insn(sn[k], "sse4_2", Lane.STR8, 0x66, op(0x3A, 0x60 + k), -1, str, UNALIGNED);
        }
        b.pendingW = true;
        b.insn("pcmpestri W", "sse4_2", Lane.STR8, 0x66, op(0x3A, 0x61), -1, new int[] {0x00, 0x0C, 0x09, 0x44}, 0);
        b.pendingW = false;
        b.insn("crc32 r32, r/m8", "sse4_2", Lane.I8, 0xF2, op(0x38, 0xF0), -1, null, UNALIGNED);
        b.insn("crc32 r32, r/m32", "sse4_2", Lane.I8, 0xF2, op(0x38, 0xF1), -1, null, UNALIGNED);
        b.insn("crc32 r32, r/m16", "sse4_2", Lane.I8, 0x66F2, op(0x38, 0xF1), -1, null, UNALIGNED);
        b.pendingW = true;
        b.insn("crc32 r64, r/m64", "sse4_2", Lane.I8, 0xF2, op(0x38, 0xF1), -1, null, UNALIGNED);
        b.insn("crc32 r64, r/m8", "sse4_2", Lane.I8, 0xF2, op(0x38, 0xF0), -1, null, 0);
        b.pendingW = false;
        return b.out;
    }
}
