package dev.ukemu.core.cpu;

/**
 * Decodes the SSE and MMX encodings of the 0F, 0F 38 and 0F 3A maps. Every encoding is one row
 * of a table keyed by map, opcode and mandatory prefix (none, 66, F3, F2): the handler, its
 * sub-operation and the facts the executor needs (16-byte alignment of the memory operand, MMX
 * registers, register-only or memory-only forms, an imm8). The few encodings whose meaning
 * depends on ModRM.mod or ModRM.reg are resolved in code.
 */
final class SseDecoder {
    private SseDecoder() {
    }

    /** Bits in {@link Insn#imm2} for the executor. */
    static final long X_A16 = 1, X_MMX = 2, X_NOCHECK = 4;
    // Row flags.
    private static final int A16 = 1, MMX = 2, NOCHECK = 4, MEM = 8, REG = 16, IMM8 = 32, GPR = 64;
    private static final int PFX_NONE = 0, PFX_66 = 1, PFX_F3 = 2, PFX_F2 = 3;

    private static final int[] MAP0F = new int[256 * 4], MAP38 = new int[256 * 4], MAP3A = new int[256 * 4];
    /** Encodings of extensions ukemu knows but does not implement (AES, SHA, PCLMULQDQ). */
    private static final int UNIMPL_ROW = -1;

    private static void def(int[] map, int opcode, int pfx, int op, int sub, int flags) {
        map[opcode * 4 + pfx] = op | sub << 16 | flags << 24;
    }

    /** An MMX form without prefix and an XMM form with 66 (aligned memory operand). */
    private static void mx(int[] map, int opcode, int op, int sub) {
        def(map, opcode, PFX_NONE, op, sub, MMX);
        def(map, opcode, PFX_66, op, sub, A16);
    }

    /** Floating-point forms ps, pd, ss, sd with the shape in the low bits of sub. */
    private static void fp4(int opcode, int op, int kind) {
        def(MAP0F, opcode, PFX_NONE, op, kind << 2, A16);
        def(MAP0F, opcode, PFX_66, op, kind << 2 | 1, A16);
        def(MAP0F, opcode, PFX_F3, op, kind << 2 | 2, 0);
        def(MAP0F, opcode, PFX_F2, op, kind << 2 | 3, 0);
    }

    static {
        int[] m = MAP0F;
        def(m, 0x10, PFX_NONE, SseOp.MOV_LOAD, 0, 0);
        def(m, 0x10, PFX_66, SseOp.MOV_LOAD, 0, 0);
        def(m, 0x10, PFX_F3, SseOp.MOVS_LOAD, 4, 0);
        def(m, 0x10, PFX_F2, SseOp.MOVS_LOAD, 8, 0);
        def(m, 0x11, PFX_NONE, SseOp.MOV_STORE, 0, 0);
        def(m, 0x11, PFX_66, SseOp.MOV_STORE, 0, 0);
        def(m, 0x11, PFX_F3, SseOp.MOVS_STORE, 4, 0);
        def(m, 0x11, PFX_F2, SseOp.MOVS_STORE, 8, 0);
        def(m, 0x12, PFX_NONE, SseOp.MOVLO_LOAD, 0, 0); // MOVHLPS for the register form
        def(m, 0x12, PFX_66, SseOp.MOVLO_LOAD, 0, MEM);
        def(m, 0x12, PFX_F3, SseOp.MOVSLDUP, 0, A16);
        def(m, 0x12, PFX_F2, SseOp.MOVDDUP, 0, 0);
        def(m, 0x13, PFX_NONE, SseOp.MOVLO_STORE, 0, MEM);
        def(m, 0x13, PFX_66, SseOp.MOVLO_STORE, 0, MEM);
        def(m, 0x14, PFX_NONE, SseOp.PUNPCK, 2, A16);
        def(m, 0x14, PFX_66, SseOp.PUNPCK, 3, A16);
        def(m, 0x15, PFX_NONE, SseOp.PUNPCK, 2 | 4, A16);
        def(m, 0x15, PFX_66, SseOp.PUNPCK, 3 | 4, A16);
        def(m, 0x16, PFX_NONE, SseOp.MOVHI_LOAD, 0, 0); // MOVLHPS for the register form
        def(m, 0x16, PFX_66, SseOp.MOVHI_LOAD, 0, MEM);
        def(m, 0x16, PFX_F3, SseOp.MOVSHDUP, 0, A16);
        def(m, 0x17, PFX_NONE, SseOp.MOVHI_STORE, 0, MEM);
        def(m, 0x17, PFX_66, SseOp.MOVHI_STORE, 0, MEM);
        def(m, 0x28, PFX_NONE, SseOp.MOV_LOAD, 0, A16);
        def(m, 0x28, PFX_66, SseOp.MOV_LOAD, 0, A16);
        def(m, 0x29, PFX_NONE, SseOp.MOV_STORE, 0, A16);
        def(m, 0x29, PFX_66, SseOp.MOV_STORE, 0, A16);
        def(m, 0x2A, PFX_NONE, SseOp.CVT_MMX, SseFp.CVTPI2PS, 0);
        def(m, 0x2A, PFX_66, SseOp.CVT_MMX, SseFp.CVTPI2PD, 0);
        def(m, 0x2A, PFX_F3, SseOp.CVT, SseFp.CVTSI2SS, GPR);
        def(m, 0x2A, PFX_F2, SseOp.CVT, SseFp.CVTSI2SD, GPR);
        def(m, 0x2B, PFX_NONE, SseOp.MOV_STORE, 0, A16 | MEM);
        def(m, 0x2B, PFX_66, SseOp.MOV_STORE, 0, A16 | MEM);
        def(m, 0x2C, PFX_NONE, SseOp.CVT_MMX, SseFp.CVTTPS2PI, 0);
        def(m, 0x2C, PFX_66, SseOp.CVT_MMX, SseFp.CVTTPD2PI, A16);
        def(m, 0x2C, PFX_F3, SseOp.CVT, SseFp.CVTTSS2SI, GPR);
        def(m, 0x2C, PFX_F2, SseOp.CVT, SseFp.CVTTSD2SI, GPR);
        def(m, 0x2D, PFX_NONE, SseOp.CVT_MMX, SseFp.CVTPS2PI, 0);
        def(m, 0x2D, PFX_66, SseOp.CVT_MMX, SseFp.CVTPD2PI, A16);
        def(m, 0x2D, PFX_F3, SseOp.CVT, SseFp.CVTSS2SI, GPR);
        def(m, 0x2D, PFX_F2, SseOp.CVT, SseFp.CVTSD2SI, GPR);
        def(m, 0x2E, PFX_NONE, SseOp.FP_COMI, 0, 0);
        def(m, 0x2E, PFX_66, SseOp.FP_COMI, 1, 0);
        def(m, 0x2F, PFX_NONE, SseOp.FP_COMI, 2, 0);
        def(m, 0x2F, PFX_66, SseOp.FP_COMI, 3, 0);
        def(m, 0x50, PFX_NONE, SseOp.MOVMSKPS, 0, REG);
        def(m, 0x50, PFX_66, SseOp.MOVMSKPD, 0, REG);
        fp4(0x51, SseOp.FP_ARITH, SseFp.SQRT);
        def(m, 0x52, PFX_NONE, SseOp.FP_APPROX, 1 << 2, A16);
        def(m, 0x52, PFX_F3, SseOp.FP_APPROX, 1 << 2 | 2, 0);
        def(m, 0x53, PFX_NONE, SseOp.FP_APPROX, 0, A16);
        def(m, 0x53, PFX_F3, SseOp.FP_APPROX, 2, 0);
        int[] logic = {SseInt.PAND, SseInt.PANDN, SseInt.POR, SseInt.PXOR};
        for (int k = 0; k < 4; k++) {
            def(m, 0x54 + k, PFX_NONE, SseOp.PINT, logic[k], A16);
            def(m, 0x54 + k, PFX_66, SseOp.PINT, logic[k], A16);
        }
        fp4(0x58, SseOp.FP_ARITH, SseFp.ADD);
        fp4(0x59, SseOp.FP_ARITH, SseFp.MUL);
        def(m, 0x5A, PFX_NONE, SseOp.CVT, SseFp.CVTPS2PD, 0);
        def(m, 0x5A, PFX_66, SseOp.CVT, SseFp.CVTPD2PS, A16);
        def(m, 0x5A, PFX_F3, SseOp.CVT, SseFp.CVTSS2SD, 0);
        def(m, 0x5A, PFX_F2, SseOp.CVT, SseFp.CVTSD2SS, 0);
        def(m, 0x5B, PFX_NONE, SseOp.CVT, SseFp.CVTDQ2PS, A16);
        def(m, 0x5B, PFX_66, SseOp.CVT, SseFp.CVTPS2DQ, A16);
        def(m, 0x5B, PFX_F3, SseOp.CVT, SseFp.CVTTPS2DQ, A16);
        fp4(0x5C, SseOp.FP_ARITH, SseFp.SUB);
        fp4(0x5D, SseOp.FP_ARITH, SseFp.MIN);
        fp4(0x5E, SseOp.FP_ARITH, SseFp.DIV);
        fp4(0x5F, SseOp.FP_ARITH, SseFp.MAX);
        for (int k = 0; k < 3; k++) {
            mx(m, 0x60 + k, SseOp.PUNPCK, k);
            mx(m, 0x68 + k, SseOp.PUNPCK, k | 4);
        }
        mx(m, 0x63, SseOp.PACK, SseInt.PACKSSWB);
        mx(m, 0x64, SseOp.PINT, SseInt.PCMPGTB);
        mx(m, 0x65, SseOp.PINT, SseInt.PCMPGTW);
        mx(m, 0x66, SseOp.PINT, SseInt.PCMPGTD);
        mx(m, 0x67, SseOp.PACK, SseInt.PACKUSWB);
        mx(m, 0x6B, SseOp.PACK, SseInt.PACKSSDW);
        def(m, 0x6C, PFX_66, SseOp.PUNPCK, 3, A16);
        def(m, 0x6D, PFX_66, SseOp.PUNPCK, 3 | 4, A16);
        def(m, 0x6E, PFX_NONE, SseOp.MOVD_M_E, 0, MMX | GPR);
        def(m, 0x6E, PFX_66, SseOp.MOVD_X_E, 0, GPR);
        def(m, 0x6F, PFX_NONE, SseOp.MOVQ_MM_M, 0, MMX);
        def(m, 0x6F, PFX_66, SseOp.MOV_LOAD, 0, A16);
        def(m, 0x6F, PFX_F3, SseOp.MOV_LOAD, 0, 0);
        def(m, 0x70, PFX_NONE, SseOp.PSHUFW, 0, MMX | IMM8);
        def(m, 0x70, PFX_66, SseOp.PSHUFD, 0, A16 | IMM8);
        def(m, 0x70, PFX_F3, SseOp.PSHUFHW, 0, A16 | IMM8);
        def(m, 0x70, PFX_F2, SseOp.PSHUFLW, 0, A16 | IMM8);
        for (int g = 0x71; g <= 0x73; g++) {
            def(m, g, PFX_NONE, SseOp.PSHIFT_I, 0, MMX | REG | IMM8);
            def(m, g, PFX_66, SseOp.PSHIFT_I, 0, REG | IMM8);
        }
        mx(m, 0x74, SseOp.PINT, SseInt.PCMPEQB);
        mx(m, 0x75, SseOp.PINT, SseInt.PCMPEQW);
        mx(m, 0x76, SseOp.PINT, SseInt.PCMPEQD);
        def(m, 0x7C, PFX_66, SseOp.FP_HORIZ, 1, A16);
        def(m, 0x7C, PFX_F2, SseOp.FP_HORIZ, 0, A16);
        def(m, 0x7D, PFX_66, SseOp.FP_HORIZ, 4 | 1, A16);
        def(m, 0x7D, PFX_F2, SseOp.FP_HORIZ, 4, A16);
        def(m, 0x7E, PFX_NONE, SseOp.MOVD_E_M, 0, MMX | GPR);
        def(m, 0x7E, PFX_66, SseOp.MOVD_E_X, 0, GPR);
        def(m, 0x7E, PFX_F3, SseOp.MOVQ_X, 0, 0);
        def(m, 0x7F, PFX_NONE, SseOp.MOVQ_M_MM, 0, MMX);
        def(m, 0x7F, PFX_66, SseOp.MOV_STORE, 0, A16);
        def(m, 0x7F, PFX_F3, SseOp.MOV_STORE, 0, 0);
        def(m, 0xC2, PFX_NONE, SseOp.FP_CMP, 0, A16 | IMM8);
        def(m, 0xC2, PFX_66, SseOp.FP_CMP, 1, A16 | IMM8);
        def(m, 0xC2, PFX_F3, SseOp.FP_CMP, 2, IMM8);
        def(m, 0xC2, PFX_F2, SseOp.FP_CMP, 3, IMM8);
        def(m, 0xC3, PFX_NONE, SseOp.MOVNTI, 0, NOCHECK | MEM | GPR);
        def(m, 0xC4, PFX_NONE, SseOp.PINSR, 1, MMX | IMM8);
        def(m, 0xC4, PFX_66, SseOp.PINSR, 1, IMM8);
        def(m, 0xC5, PFX_NONE, SseOp.PEXTR, 1 | 4, MMX | REG | IMM8);
        def(m, 0xC5, PFX_66, SseOp.PEXTR, 1 | 4, REG | IMM8); // GPR in ModRM.reg
        def(m, 0xC6, PFX_NONE, SseOp.SHUFPS, 0, A16 | IMM8);
        def(m, 0xC6, PFX_66, SseOp.SHUFPD, 0, A16 | IMM8);
        def(m, 0xD0, PFX_66, SseOp.FP_ARITH, SseFp.ADDSUB << 2 | 1, A16);
        def(m, 0xD0, PFX_F2, SseOp.FP_ARITH, SseFp.ADDSUB << 2, A16);
        mx(m, 0xD1, SseOp.PSHIFT, SseInt.PSRLW);
        mx(m, 0xD2, SseOp.PSHIFT, SseInt.PSRLD);
        mx(m, 0xD3, SseOp.PSHIFT, SseInt.PSRLQ);
        mx(m, 0xD4, SseOp.PINT, SseInt.PADDQ);
        mx(m, 0xD5, SseOp.PINT, SseInt.PMULLW);
        def(m, 0xD6, PFX_66, SseOp.MOVQ_STORE, 0, 0);
        def(m, 0xD6, PFX_F3, SseOp.MOVQ2DQ, 0, REG);
        def(m, 0xD6, PFX_F2, SseOp.MOVDQ2Q, 0, REG);
        def(m, 0xD7, PFX_NONE, SseOp.PMOVMSKB, 0, MMX | REG);
        def(m, 0xD7, PFX_66, SseOp.PMOVMSKB, 0, REG);
        int[] d8 = {SseInt.PSUBUSB, SseInt.PSUBUSW, SseInt.PMINUB, SseInt.PAND, SseInt.PADDUSB, SseInt.PADDUSW,
            SseInt.PMAXUB, SseInt.PANDN, SseInt.PAVGB, -1, -1, SseInt.PAVGW, SseInt.PMULHUW, SseInt.PMULHW, -1, -1,
            SseInt.PSUBSB, SseInt.PSUBSW, SseInt.PMINSW, SseInt.POR, SseInt.PADDSB, SseInt.PADDSW, SseInt.PMAXSW,
            SseInt.PXOR, -1, -1, -1, -1, SseInt.PMULUDQ, SseInt.PMADDWD, SseInt.PSADBW, -1,
            SseInt.PSUBB, SseInt.PSUBW, SseInt.PSUBD, SseInt.PSUBQ, SseInt.PADDB, SseInt.PADDW, SseInt.PADDD};
        for (int k = 0; k < d8.length; k++) {
            if (d8[k] >= 0) {
                mx(m, 0xD8 + k, SseOp.PINT, d8[k]);
            }
        }
        mx(m, 0xE1, SseOp.PSHIFT, SseInt.PSRAW);
        mx(m, 0xE2, SseOp.PSHIFT, SseInt.PSRAD);
        def(m, 0xE6, PFX_66, SseOp.CVT, SseFp.CVTTPD2DQ, A16);
        def(m, 0xE6, PFX_F3, SseOp.CVT, SseFp.CVTDQ2PD, 0);
        def(m, 0xE6, PFX_F2, SseOp.CVT, SseFp.CVTPD2DQ, A16);
        def(m, 0xE7, PFX_NONE, SseOp.MOVQ_M_MM, 0, MMX | MEM);
        def(m, 0xE7, PFX_66, SseOp.MOV_STORE, 0, A16 | MEM);
        def(m, 0xF0, PFX_F2, SseOp.MOV_LOAD, 0, MEM);
        mx(m, 0xF1, SseOp.PSHIFT, SseInt.PSLLW);
        mx(m, 0xF2, SseOp.PSHIFT, SseInt.PSLLD);
        mx(m, 0xF3, SseOp.PSHIFT, SseInt.PSLLQ);
        def(m, 0xF7, PFX_NONE, SseOp.MASKMOV, 0, MMX | REG);
        def(m, 0xF7, PFX_66, SseOp.MASKMOV, 0, REG);

        m = MAP38;
        int[] ssse3 = {-1, -1, -1, -1, SseInt.PMADDUBSW, -1, -1, -1, SseInt.PSIGNB, SseInt.PSIGNW, SseInt.PSIGND,
            SseInt.PMULHRSW};
        mx(m, 0x00, SseOp.PSHUFB, 0);
        for (int k = 0; k < ssse3.length; k++) {
            if (ssse3[k] >= 0) {
                mx(m, k, SseOp.PINT, ssse3[k]);
            }
        }
        mx(m, 0x01, SseOp.PHADD, 0);
        mx(m, 0x02, SseOp.PHADD, 1);
        mx(m, 0x03, SseOp.PHADD, 2);
        mx(m, 0x05, SseOp.PHADD, 3);
        mx(m, 0x06, SseOp.PHADD, 4);
        mx(m, 0x07, SseOp.PHADD, 5);
        mx(m, 0x1C, SseOp.PINT, SseInt.PABSB);
        mx(m, 0x1D, SseOp.PINT, SseInt.PABSW);
        mx(m, 0x1E, SseOp.PINT, SseInt.PABSD);
        def(m, 0x10, PFX_66, SseOp.BLENDV, 0, A16);
        def(m, 0x14, PFX_66, SseOp.BLENDV, 2, A16);
        def(m, 0x15, PFX_66, SseOp.BLENDV, 3, A16);
        def(m, 0x17, PFX_66, SseOp.PTEST, 0, A16);
        for (int k = 0; k < 6; k++) {
            // PMOVSX/ZX BW BD BQ WD WQ DQ: sub = source log | destination log << 2 | signed << 4.
            int src = k < 3 ? 0 : k < 5 ? 1 : 2;
            int dst = switch (k) {
                case 0 -> 1;
                case 1, 3 -> 2;
                default -> 3;
            };
            def(m, 0x20 + k, PFX_66, SseOp.PMOVX, src | dst << 2 | 16, 0);
            def(m, 0x30 + k, PFX_66, SseOp.PMOVX, src | dst << 2, 0);
        }
        def(m, 0x28, PFX_66, SseOp.PINT, SseInt.PMULDQ, A16);
        def(m, 0x29, PFX_66, SseOp.PINT, SseInt.PCMPEQQ, A16);
        def(m, 0x2A, PFX_66, SseOp.MOV_LOAD, 0, A16 | MEM);
        def(m, 0x2B, PFX_66, SseOp.PACK, SseInt.PACKUSDW, A16);
        def(m, 0x37, PFX_66, SseOp.PINT, SseInt.PCMPGTQ, A16);
        int[] minmax = {SseInt.PMINSB, SseInt.PMINSD, SseInt.PMINUW, SseInt.PMINUD, SseInt.PMAXSB, SseInt.PMAXSD,
            SseInt.PMAXUW, SseInt.PMAXUD, SseInt.PMULLD};
        for (int k = 0; k < minmax.length; k++) {
            def(m, 0x38 + k, PFX_66, SseOp.PINT, minmax[k], A16);
        }
        def(m, 0x41, PFX_66, SseOp.PHMINPOSUW, 0, A16);
        def(m, 0xF0, PFX_F2, SseOp.CRC32, 1, NOCHECK);
        def(m, 0xF1, PFX_F2, SseOp.CRC32, 0, NOCHECK);
        for (int op : new int[] {0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD}) {
            m[op * 4] = UNIMPL_ROW; // SHA
        }
        for (int op = 0xDB; op <= 0xDF; op++) {
            m[op * 4 + PFX_66] = UNIMPL_ROW; // AES-NI
        }

        m = MAP3A;
        def(m, 0x08, PFX_66, SseOp.FP_ROUND, 0, A16 | IMM8);
        def(m, 0x09, PFX_66, SseOp.FP_ROUND, 1, A16 | IMM8);
        def(m, 0x0A, PFX_66, SseOp.FP_ROUND, 2, IMM8);
        def(m, 0x0B, PFX_66, SseOp.FP_ROUND, 3, IMM8);
        def(m, 0x0C, PFX_66, SseOp.BLEND, 2, A16 | IMM8);
        def(m, 0x0D, PFX_66, SseOp.BLEND, 3, A16 | IMM8);
        def(m, 0x0E, PFX_66, SseOp.BLEND, 1, A16 | IMM8);
        def(m, 0x0F, PFX_NONE, SseOp.PALIGNR, 0, MMX | IMM8);
        def(m, 0x0F, PFX_66, SseOp.PALIGNR, 0, A16 | IMM8);
        def(m, 0x14, PFX_66, SseOp.PEXTR, 0, IMM8);
        def(m, 0x15, PFX_66, SseOp.PEXTR, 1, IMM8);
        def(m, 0x16, PFX_66, SseOp.PEXTR, 2, IMM8 | GPR);
        def(m, 0x17, PFX_66, SseOp.EXTRACTPS, 0, IMM8);
        def(m, 0x20, PFX_66, SseOp.PINSR, 0, IMM8);
        def(m, 0x21, PFX_66, SseOp.INSERTPS, 0, IMM8);
        def(m, 0x22, PFX_66, SseOp.PINSR, 2, IMM8 | GPR);
        def(m, 0x40, PFX_66, SseOp.FP_DP, 0, A16 | IMM8);
        def(m, 0x41, PFX_66, SseOp.FP_DP, 1, A16 | IMM8);
        def(m, 0x42, PFX_66, SseOp.MPSADBW, 0, A16 | IMM8);
        for (int k = 0; k < 4; k++) {
            def(m, 0x60 + k, PFX_66, SseOp.PCMPSTR, k, IMM8);
        }
        m[0x44 * 4 + PFX_66] = UNIMPL_ROW; // PCLMULQDQ
        m[0xCC * 4] = UNIMPL_ROW; // SHA1RNDS4
        m[0xDF * 4 + PFX_66] = UNIMPL_ROW; // AESKEYGENASSIST
    }

    private static int prefixClass(int prefixes) {
        if ((prefixes & Decoder.P_F3) != 0) {
            return PFX_F3;
        }
        if ((prefixes & Decoder.P_F2) != 0) {
            return PFX_F2;
        }
        return (prefixes & Decoder.P_66) != 0 ? PFX_66 : PFX_NONE;
    }

    static void decode0F(Decoder d, Insn i, int b) {
        int pfx = prefixClass(i.prefixes);
        if (b == 0x77 && pfx == PFX_NONE) {
            i.op = SseOp.EMMS;
            i.imm2 = X_MMX;
            return;
        }
        d.modrm(i);
        int row = MAP0F[b * 4 + pfx];
        apply(d, i, row);
        if (i.op == Op.UD) {
            return;
        }
        if (!i.mem && (b == 0x12 || b == 0x16) && pfx == PFX_NONE) {
            i.op = b == 0x12 ? SseOp.MOVHLPS : SseOp.MOVLHPS;
        } else if (b >= 0x71 && b <= 0x73) {
            shiftGroup(i, b, pfx);
        } else if (i.op == SseOp.MOVNTI && i.size < 4) {
            i.size = 4;
        }
    }

    /** Groups 12-14: shifts by an immediate, the operation in ModRM.reg. */
    private static void shiftGroup(Insn i, int b, int pfx) {
        int r = i.reg & 7;
        int kind = switch (b << 4 | r) {
            case 0x712 -> SseInt.PSRLW;
            case 0x714 -> SseInt.PSRAW;
            case 0x716 -> SseInt.PSLLW;
            case 0x722 -> SseInt.PSRLD;
            case 0x724 -> SseInt.PSRAD;
            case 0x726 -> SseInt.PSLLD;
            case 0x732 -> SseInt.PSRLQ;
            case 0x736 -> SseInt.PSLLQ;
            case 0x733 -> pfx == PFX_66 ? 8 : -1;
            case 0x737 -> pfx == PFX_66 ? 9 : -1;
            default -> -1;
        };
        if (kind < 0) {
            i.op = Op.UD;
        } else if (kind >= 8) {
            i.op = SseOp.PBYTESHIFT;
            i.sub = kind - 8;
        } else {
            i.sub = kind;
        }
    }

    static void decode38(Decoder d, Insn i, int b) {
        d.modrm(i);
        int pfx = prefixClass(i.prefixes);
        apply(d, i, MAP38[b * 4 + pfx]);
        if (i.op == SseOp.CRC32) {
            // Source size: F0 is a byte; F1 is 16, 32 or 64 bits by 66 and REX.W.
            if (i.sub == 1) {
                i.size = 1;
                if (d.rex == 0 && !i.mem && i.rm >= 4 && i.rm < 8) {
                    i.rm += 12; // AH..BH
                }
            } else {
                i.size = (d.rex & 8) != 0 ? 8 : (i.prefixes & Decoder.P_66) != 0 ? 2 : 4;
            }
            i.sub = (d.rex & 8) != 0 ? 8 : 4; // destination size
        }
    }

    static void decode3A(Decoder d, Insn i, int b) {
        d.modrm(i);
        int pfx = prefixClass(i.prefixes);
        int row = MAP3A[b * 4 + pfx];
        if (row == 0 || row == UNIMPL_ROW) {
            d.next(); // every 0F 3A encoding carries an imm8
        }
        apply(d, i, row);
    }

    private static void apply(Decoder d, Insn i, int row) {
        if (row == 0) {
            i.op = Op.UD;
            return;
        }
        if (row == UNIMPL_ROW) {
            i.op = Op.UNIMPL;
            return;
        }
        int flags = row >>> 24;
        i.op = row & 0xFFFF;
        i.sub = (row >>> 16) & 0xFF;
        if ((flags & IMM8) != 0) {
            i.imm = d.next();
        }
        if ((flags & MEM) != 0 && !i.mem || (flags & REG) != 0 && i.mem) {
            i.op = Op.UD;
            return;
        }
        if ((flags & GPR) != 0) {
            i.size = (d.rex & 8) != 0 ? 8 : 4;
        }
        long x = 0;
        if ((flags & A16) != 0 && i.mem) {
            x |= X_A16;
        }
        if ((flags & MMX) != 0) {
            x |= X_MMX;
        }
        if ((flags & NOCHECK) != 0) {
            x |= X_NOCHECK;
        }
        i.imm2 = x;
    }
}
