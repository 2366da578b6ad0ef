package dev.ukemu.core.cpu;

/**
 * Decodes the x87 escape opcodes D8-DF (SDM vol. 2, appendix A.5) into {@link X87Op} ids. The
 * 11-bit FOP (low three opcode bits and the ModRM byte) goes to {@link Insn#imm2}. The
 * undocumented aliases modern CPUs still execute (FSTP1, FCOM2, FCOMP3, FXCH4, FCOMP5, FFREEP,
 * FXCH7, FSTP8, FSTP9) decode like their documented twins.
 */
final class X87Decoder {
    private X87Decoder() {
    }

    static void decode(Decoder d, Insn i, int b) {
        d.modrm(i);
        int modrm = d.lastModrm;
        i.imm2 = ((b & 7) << 8) | modrm;
        i.rm &= 7;
        if (i.mem) {
            i.op = memory(b, i.sub, i);
        } else {
            i.op = register(b, i.sub, modrm & 7, i);
        }
    }

    private static int memory(int b, int r, Insn i) {
        return switch (b) {
            case 0xD8 -> X87Op.ARITH_M32;
            case 0xDC -> X87Op.ARITH_M64;
            case 0xDA -> X87Op.ARITH_I32;
            case 0xDE -> X87Op.ARITH_I16;
            case 0xD9 -> switch (r) {
                case 0 -> X87Op.FLD_M32;
                case 2 -> X87Op.FST_M32;
                case 3 -> pop(i, X87Op.FST_M32);
                case 4 -> X87Op.FLDENV;
                case 5 -> X87Op.FLDCW;
                case 6 -> X87Op.FNSTENV;
                case 7 -> X87Op.FNSTCW;
                default -> Op.UD;
            };
            case 0xDB -> switch (r) {
                case 0 -> X87Op.FILD_M32;
                case 1 -> X87Op.FISTTP_M32;
                case 2 -> X87Op.FIST_M32;
                case 3 -> pop(i, X87Op.FIST_M32);
                case 5 -> X87Op.FLD_M80;
                case 7 -> X87Op.FSTP_M80;
                default -> Op.UD;
            };
            case 0xDD -> switch (r) {
                case 0 -> X87Op.FLD_M64;
                case 1 -> X87Op.FISTTP_M64;
                case 2 -> X87Op.FST_M64;
                case 3 -> pop(i, X87Op.FST_M64);
                case 4 -> X87Op.FRSTOR;
                case 6 -> X87Op.FNSAVE;
                case 7 -> X87Op.FNSTSW_M;
                default -> Op.UD;
            };
            default -> switch (r) { // DF
                case 0 -> X87Op.FILD_M16;
                case 1 -> X87Op.FISTTP_M16;
                case 2 -> X87Op.FIST_M16;
                case 3 -> pop(i, X87Op.FIST_M16);
                case 4 -> X87Op.FBLD;
                case 5 -> X87Op.FILD_M64;
                case 6 -> X87Op.FBSTP;
                default -> X87Op.FISTP_M64;
            };
        };
    }

    private static int pop(Insn i, int op) {
        i.sub = 1;
        return op;
    }

    private static int register(int b, int r, int k, Insn i) {
        return switch (b) {
            case 0xD8 -> X87Op.ARITH_ST0;
            case 0xD9 -> regD9(r, k, i);
            case 0xDA -> r < 4 ? cmov(i, r) : r == 5 && k == 1 ? X87Op.FUCOMPP : Op.UD;
            case 0xDB -> regDB(r, k, i);
            case 0xDC -> r == 2 || r == 3 ? compare(i, X87Op.FCOM_STI, r - 2) : X87Op.ARITH_STI;
            case 0xDD -> switch (r) {
                case 0 -> X87Op.FFREE;
                case 1 -> X87Op.FXCH;
                case 2 -> {
                    i.sub = 0;
                    yield X87Op.FST_STI;
                }
                case 3 -> pop(i, X87Op.FST_STI);
                case 4 -> compare(i, X87Op.FUCOM_STI, 0);
                case 5 -> compare(i, X87Op.FUCOM_STI, 1);
                default -> Op.UD;
            };
            case 0xDE -> switch (r) {
                case 2 -> compare(i, X87Op.FCOM_STI, 1);
                case 3 -> k == 1 ? X87Op.FCOMPP : Op.UD;
                default -> X87Op.ARITH_STI_POP;
            };
            default -> switch (r) { // DF
                case 0 -> pop(i, X87Op.FFREE);
                case 1 -> X87Op.FXCH;
                case 2, 3 -> pop(i, X87Op.FST_STI);
                case 4 -> k == 0 ? X87Op.FNSTSW_AX : Op.UD;
                case 5 -> compare(i, X87Op.FCOMI, 3);
                case 6 -> compare(i, X87Op.FCOMI, 1);
                default -> Op.UD;
            };
        };
    }

    private static int compare(Insn i, int op, int sub) {
        i.sub = sub;
        return op;
    }

    /** FCMOVcc: sub = the Jcc condition code (B, E, BE, P, then negated with bit 0). */
    private static int cmov(Insn i, int r) {
        i.sub = switch (r & 3) {
            case 0 -> 0x2;
            case 1 -> 0x4;
            case 2 -> 0x6;
            default -> 0xA;
        };
        return X87Op.FCMOV;
    }

    private static int regDB(int r, int k, Insn i) {
        return switch (r) {
            case 0, 1, 2, 3 -> {
                int op = cmov(i, r);
                i.sub |= 1;
                yield op;
            }
            case 4 -> switch (k) {
                case 2 -> X87Op.FNCLEX;
                case 3 -> X87Op.FNINIT;
                case 0, 1, 4 -> X87Op.FLEGACY;
                default -> Op.UD;
            };
            case 5 -> compare(i, X87Op.FCOMI, 2);
            case 6 -> compare(i, X87Op.FCOMI, 0);
            default -> Op.UD;
        };
    }

    private static int regD9(int r, int k, Insn i) {
        return switch (r) {
            case 0 -> X87Op.FLD_STI;
            case 1 -> X87Op.FXCH;
            case 2 -> k == 0 ? X87Op.FNOP : Op.UD;
            case 3 -> {
                i.sub = 2; // FSTP1: pops an empty ST0 silently
                yield X87Op.FST_STI;
            }
            case 4 -> switch (k) {
                case 0 -> X87Op.FCHS;
                case 1 -> X87Op.FABS;
                case 4 -> X87Op.FTST;
                case 5 -> X87Op.FXAM;
                default -> Op.UD;
            };
            case 5 -> {
                i.sub = k;
                yield k == 7 ? Op.UD : X87Op.FLD_CONST;
            }
            case 6 -> switch (k) {
                case 0 -> X87Op.F2XM1;
                case 1 -> X87Op.FYL2X;
                case 2 -> X87Op.FPTAN;
                case 3 -> X87Op.FPATAN;
                case 4 -> X87Op.FXTRACT;
                case 5 -> X87Op.FPREM1;
                case 6 -> X87Op.FDECSTP;
                default -> X87Op.FINCSTP;
            };
            default -> switch (k) {
                case 0 -> X87Op.FPREM;
                case 1 -> X87Op.FYL2XP1;
                case 2 -> X87Op.FSQRT;
                case 3 -> X87Op.FSINCOS;
                case 4 -> X87Op.FRNDINT;
                case 5 -> X87Op.FSCALE;
                case 6 -> X87Op.FSIN;
                default -> X87Op.FCOS;
            };
        };
    }
}
