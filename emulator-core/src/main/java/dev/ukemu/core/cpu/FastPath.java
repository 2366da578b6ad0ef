package dev.ukemu.core.cpu;

/**
 * Chooses, once per decoded instruction, a specialised interpreter handler for the common
 * shapes of the common instructions: 32- and 64-bit register and immediate ALU operations,
 * moves, loads and stores, LEA, branches. {@link Interpreter#execBlock} runs these inline,
 * without a call, a size switch or a branchy effective-address computation; everything else
 * (and every shape with a subtlety: byte registers AH-BH, 16-bit operands, LOCK, ADC/SBB)
 * keeps the general dispatch, {@link Interpreter#exec}. Each handler does exactly what the
 * general one does, in the same order, so results, flags and faults are unchanged.
 */
final class FastPath {
    private FastPath() {
    }

    static final int F_NONE = 0, F_JCC = 1, F_JZ = 2, F_JMP = 3, F_MOV_RR = 4, F_MOV_RI = 5, F_ADD_RR = 6,
            F_SUB_RR = 7, F_CMP_RR = 8, F_AND_RR = 9, F_OR_RR = 10, F_XOR_RR = 11, F_TEST_RR = 12, F_ADD_RI =
            13, F_SUB_RI = 14, F_CMP_RI = 15, F_AND_RI = 16, F_OR_RI = 17, F_XOR_RI = 18, F_TEST_RI = 19,
            F_LEA = 20, F_MOVZX8_M = 21, F_MOVZX16_M = 22, F_LOAD32 = 23, F_LOAD64 = 24, F_MOVZX8_R = 25,
            F_STORE8 = 26, F_STORE32 = 27, F_STORE64 = 28, F_STORE_I8 = 29, F_STORE_I32 = 30, F_STORE_I64 =
            31, F_ALU_GE_M32 = 32, F_ALU_GE_M64 = 33, F_CMP_MR8 = 34, F_CMP_MI8 = 35, F_CMP_MR32 = 36,
            F_CMP_MI32 = 37, F_CMP_MR64 = 38, F_CMP_MI64 = 39, F_SHL_RI = 40, F_SHR_RI = 41, F_SAR_RI = 42,
            F_CMOV_RR = 43, F_INC_R = 44, F_DEC_R = 45, F_IMUL_RR = 46, F_IMUL_RRI = 47, F_ALU_MR = 48,
            F_ALU_MI = 49, F_SSE = 50, F_ROT_RI = 51, F_CMP_RR_JCC = 52, F_CMP_RI_JCC = 53,
            F_TEST_RR_JCC = 54, F_TEST_RI_JCC = 55, F_ROT_RI_NF = 56;

    /** Bit fields of {@link Insn#fast} besides the handler id (bits 0-7), for the inline handlers. */
    static final int FD_SHIFT = 8, FS_SHIFT = 12, SZ_SHIFT = 16, MASK_SHIFT = 24;

    /**
     * Fills in {@code i}'s fast-path fields. The handlers that run inline in the dispatch loop take
     * their register operands, log2 of the size and the operand mask (as a shift of -1) from
     * {@link Insn#fast} itself, which the loop has loaded anyway.
     */
    static void classify(Insn i, int bits) {
        pick(i, bits);
        if (i.fast != F_NONE) {
            i.fast |= i.fd << FD_SHIFT | i.fs << FS_SHIFT | i.fsz << SZ_SHIFT | (i.size == 8 ? 0 : 32) << MASK_SHIFT;
        }
    }

    private static void pick(Insn i, int bits) {
        i.fast = F_NONE;
        if (i.mem) {
            i.eb = i.base >= 0 && i.base < 16 ? i.base : 0;
            i.ebm = i.base >= 0 && i.base < 16 ? -1L : 0;
            i.erm = i.base == Insn.RIP ? -1L : 0;
            i.ex = i.index >= 0 ? i.index : 0;
            i.exm = i.index >= 0 ? -1L : 0;
            i.eam = i.asize == 8 ? -1L : i.asize == 4 ? 0xFFFFFFFFL : 0xFFFFL;
        }
        boolean wide = i.size == 4 || i.size == 8;
        i.fm = i.size == 8 ? -1L : 0xFFFFFFFFL;
        i.fsz = i.size == 8 ? 3 : 2;
        int sub = i.sub;
        boolean plainAlu = sub != Alu.ADC && sub != Alu.SBB;
        switch (i.op) {
            case Op.JCC, Op.JMP -> {
                // Branch targets wrap to the operand size outside 64-bit mode (Flow.target).
                i.fm = i.size == 2 ? 0xFFFFL : bits != 64 ? 0xFFFFFFFFL : -1L;
                i.fast = i.op == Op.JMP ? F_JMP : (sub >> 1) == 2 ? F_JZ : F_JCC;
            }
            case Op.MOV_EG, Op.MOV_GE -> {
                if (!i.mem && wide) {
                    registers(i, i.op == Op.MOV_EG);
                    i.fast = F_MOV_RR;
                } else if (i.mem && !i.lock && i.op == Op.MOV_GE) {
                    i.fast = i.size == 8 ? F_LOAD64 : i.size == 4 ? F_LOAD32 : F_NONE;
                } else if (i.mem && !i.lock) {
                    i.fast = i.size == 8 ? F_STORE64 : i.size == 4 ? F_STORE32
                            : i.size == 1 && i.reg < 16 ? F_STORE8 : F_NONE;
                }
            }
            case Op.MOV_EI -> {
                if (i.mem && !i.lock) {
                    i.fast = i.size == 8 ? F_STORE_I64 : i.size == 4 ? F_STORE_I32 : i.size == 1 ? F_STORE_I8 : F_NONE;
                }
            }
            case Op.MOV_RI -> {
                if (wide) {
                    i.fd = i.reg;
                    i.fast = F_MOV_RI;
                }
            }
            case Op.ALU_EG, Op.ALU_GE -> {
                if (!i.mem && wide && plainAlu) {
                    registers(i, i.op == Op.ALU_EG);
                    i.fast = aluRR(sub);
                } else if (i.mem && !i.lock && i.op == Op.ALU_GE && wide && plainAlu) {
                    i.fast = i.size == 8 ? F_ALU_GE_M64 : F_ALU_GE_M32;
                } else if (i.mem && !i.lock && i.op == Op.ALU_EG && wide && plainAlu && sub != Alu.CMP) {
                    i.fast = F_ALU_MR;
                } else if (i.mem && !i.lock && i.op == Op.ALU_EG && sub == Alu.CMP) {
                    i.fast = i.size == 8 ? F_CMP_MR64 : i.size == 4 ? F_CMP_MR32
                            : i.size == 1 && i.reg < 16 ? F_CMP_MR8 : F_NONE;
                }
            }
            case Op.ALU_EI -> {
                if (!i.mem && wide && plainAlu) {
                    i.fd = i.rm;
                    i.fast = aluRI(sub);
                } else if (i.mem && !i.lock && wide && plainAlu && sub != Alu.CMP) {
                    i.fast = F_ALU_MI;
                } else if (i.mem && !i.lock && sub == Alu.CMP) {
                    i.fast = i.size == 8 ? F_CMP_MI64 : i.size == 4 ? F_CMP_MI32 : i.size == 1 ? F_CMP_MI8 : F_NONE;
                }
            }
            case Op.TEST_EG -> {
                if (!i.mem && wide) {
                    registers(i, true);
                    i.fast = F_TEST_RR;
                }
            }
            case Op.TEST_EI -> {
                if (!i.mem && wide) {
                    i.fd = i.rm;
                    i.fast = F_TEST_RI;
                }
            }
            case Op.LEA -> {
                if (i.mem && wide) {
                    i.fd = i.reg;
                    i.fast = F_LEA;
                }
            }
            case Op.MOVZX -> {
                boolean wideDst = i.imm2 == 4 || i.imm2 == 8;
                if (wideDst && i.size == 1 && i.mem) {
                    i.fast = F_MOVZX8_M;
                } else if (wideDst && i.size == 1 && i.rm < 16) {
                    i.fd = i.reg;
                    i.fs = i.rm;
                    i.fast = F_MOVZX8_R;
                } else if (wideDst && i.size == 2 && i.mem) {
                    i.fast = F_MOVZX16_M;
                }
            }
            case Op.SHIFT_I -> {
                int count = (int) i.imm & (i.size == 8 ? 63 : 31);
                if (!i.mem && wide && count != 0) {
                    i.fd = i.rm;
                    i.fast = switch (sub) {
                        case Shifts.SHL, Shifts.SAL -> F_SHL_RI;
                        case Shifts.SHR -> F_SHR_RI;
                        case Shifts.SAR -> F_SAR_RI;
                        case Shifts.ROL, Shifts.ROR -> F_ROT_RI;
                        default -> F_NONE;
                    };
                }
            }
            case Op.CMOVCC -> {
                if (!i.mem && wide) {
                    i.fast = F_CMOV_RR;
                }
            }
            case Op.INC, Op.DEC -> {
                if (!i.mem && wide) {
                    i.fast = i.op == Op.INC ? F_INC_R : F_DEC_R;
                }
            }
            case Op.IMUL_GE -> {
                if (!i.mem && wide) {
                    i.fast = F_IMUL_RR;
                }
            }
            case Op.IMUL_GEI -> {
                if (!i.mem && wide) {
                    i.fast = F_IMUL_RRI;
                }
            }
            default -> {
                if (i.op >= SseOp.FIRST && i.op < SseOp.END) {
                    i.fast = F_SSE; // straight to the SSE unit, past the general switches
                }
            }
        }
    }

    /**
     * Fuses a register CMP or TEST with the conditional branch that follows it in the block: the
     * pair then runs as one fast path (the branch's condition taken from the operands), with
     * the flags recorded as before. {@code first} keeps its other fields, so it runs alone when
     * executed on its own (the interrupt shadow's single step).
     */
    static void fuse(Insn first, Insn next) {
        int j = next.fast & 0xFF;
        if (j != F_JCC && j != F_JZ) {
            return;
        }
        int fused = switch (first.fast & 0xFF) {
            case F_CMP_RR -> F_CMP_RR_JCC;
            case F_CMP_RI -> F_CMP_RI_JCC;
            case F_TEST_RR -> F_TEST_RR_JCC;
            case F_TEST_RI -> F_TEST_RI_JCC;
            default -> F_NONE;
        };
        if (fused != F_NONE) {
            first.fast = (first.fast & ~0xFF) | fused;
        }
    }

    /**
     * Marks the register rotates of a block whose flags nothing can see: a later instruction of
     * the block writes all the arithmetic flags before any instruction reads one, and nothing
     * in between can fault (a fault shows the flags to the handler). Those rotates then skip
     * the flags, which otherwise have to be computed in full (ROL and ROR keep all but CF
     * and OF). Runs after {@link #fuse}.
     */
    static void deadFlags(Insn[] insns) {
        for (int k = 0; k < insns.length; k++) {
            if ((insns[k].fast & 0xFF) != F_ROT_RI) {
                continue;
            }
            for (int j = k + 1; j < insns.length; j++) {
                int use = flagUse(insns[j].fast & 0xFF);
                if (use == WRITES_ALL) {
                    insns[k].fast = (insns[k].fast & ~0xFF) | F_ROT_RI_NF;
                }
                if (use != NEUTRAL) {
                    break;
                }
            }
        }
    }

    private static final int NEUTRAL = 0, WRITES_ALL = 1, OTHER = 2;

    /**
     * How a fast path treats the flags: NEUTRAL (neither reads nor writes them, cannot fault;
     * a rotate counts, as it only passes the others on and overwrites CF and OF), WRITES_ALL
     * (overwrites every arithmetic flag without reading any, cannot fault) or OTHER.
     */
    private static int flagUse(int f) {
        return switch (f) {
            case F_MOV_RR, F_MOV_RI, F_MOVZX8_R, F_LEA, F_ROT_RI, F_ROT_RI_NF -> NEUTRAL;
            case F_ADD_RR, F_ADD_RI, F_SUB_RR, F_SUB_RI, F_CMP_RR, F_CMP_RI, F_AND_RR, F_AND_RI, F_OR_RR,
                 F_OR_RI, F_XOR_RR, F_XOR_RI, F_TEST_RR, F_TEST_RI, F_SHL_RI, F_SHR_RI, F_SAR_RI, F_IMUL_RR,
                 F_IMUL_RRI, F_CMP_RR_JCC, F_CMP_RI_JCC, F_TEST_RR_JCC, F_TEST_RI_JCC -> WRITES_ALL;
            default -> OTHER;
        };
    }

    /** ROL or ROR of a 32- or 64-bit register value, without the flags. */
    static long rotateValue(long v, Insn i, int kind) {
        int n = (int) i.imm;
        boolean left = i.sub == Shifts.ROL;
        if (kind == 3) {
            return left ? Long.rotateLeft(v, n) : Long.rotateRight(v, n);
        }
        int x = (int) v;
        return (left ? Integer.rotateLeft(x, n) : Integer.rotateRight(x, n)) & 0xFFFFFFFFL;
    }

    /** Register operands of a ModRM form: E (rm) is the destination when {@code eg}. */
    private static void registers(Insn i, boolean eg) {
        i.fd = eg ? i.rm : i.reg;
        i.fs = eg ? i.reg : i.rm;
    }

    // ---- handlers called from the dispatch loop: small, so that their own accesses inline ----

    /** The linear address of the memory operand, as {@link Cpu#ea} computes it, without branches. */
    static long la(Cpu c, Insn i) {
        long[] r = c.r;
        long off = (i.disp + (r[i.eb] & i.ebm) + ((r[i.ex] << i.scale) & i.exm) + (c.rip & i.erm)) & i.eam;
        return (off + c.segBase[i.seg]) & i.linMask;
    }

    static void lea(Cpu c, Insn i) {
        long[] r = c.r;
        long off = (i.disp + (r[i.eb] & i.ebm) + ((r[i.ex] << i.scale) & i.exm) + (c.rip & i.erm)) & i.eam;
        r[i.reg] = off & i.fm;
    }

    static void load8(Cpu c, Insn i) {
        c.r[i.reg] = c.read8(la(c, i));
    }

    static void load16(Cpu c, Insn i) {
        c.r[i.reg] = c.read16(la(c, i));
    }

    static void load32(Cpu c, Insn i) {
        c.r[i.reg] = c.read32(la(c, i));
    }

    static void load64(Cpu c, Insn i) {
        c.r[i.reg] = c.read64(la(c, i));
    }

    static void store8(Cpu c, Insn i, long v) {
        c.write8(la(c, i), (int) v);
    }

    static void store32(Cpu c, Insn i, long v) {
        c.write32(la(c, i), v);
    }

    static void store64(Cpu c, Insn i, long v) {
        c.write64(la(c, i), v);
    }

    /** ADD OR AND SUB XOR CMP reg, [mem] (32 or 64 bits): the load, then as {@link Alu#alu}. */
    static void aluLoad(Cpu c, Insn i) {
        long la = la(c, i);
        long s = i.size == 8 ? c.read64(la) : c.read32(la);
        long[] r = c.r;
        long m = i.fm;
        long d = r[i.reg] & m;
        int sub = i.sub;
        long res;
        if (sub == Alu.ADD) {
            res = d + s;
            c.setCc(LazyFlags.ADD << 2 | i.fsz, d, s, res);
        } else if (sub == Alu.SUB || sub == Alu.CMP) {
            res = d - s;
            c.setCc(LazyFlags.SUB << 2 | i.fsz, d, s, res);
        } else {
            res = sub == Alu.AND ? d & s : sub == Alu.OR ? d | s : d ^ s;
            c.setCc(LazyFlags.LOGIC << 2 | i.fsz, 0, 0, res);
        }
        if (sub != Alu.CMP) {
            r[i.reg] = res & m;
        }
    }

    /**
     * ADD OR AND SUB XOR [mem], src (32 or 64 bits): the load, the store, then the flags, so that
     * a store that faults leaves them as they were (as {@link Alu#aluEG}).
     */
    static void aluStore(Cpu c, Insn i, long src) {
        long la = la(c, i);
        long m = i.fm;
        long d = i.size == 8 ? c.read64(la) : c.read32(la);
        long s = src & m;
        int sub = i.sub;
        long res;
        int kind;
        if (sub == Alu.ADD) {
            res = d + s;
            kind = LazyFlags.ADD;
        } else if (sub == Alu.SUB) {
            res = d - s;
            kind = LazyFlags.SUB;
        } else {
            res = sub == Alu.AND ? d & s : sub == Alu.OR ? d | s : d ^ s;
            kind = LazyFlags.LOGIC;
        }
        if (i.size == 8) {
            c.write64(la, res);
        } else {
            c.write32(la, res & m);
        }
        if (kind == LazyFlags.LOGIC) {
            c.setCc(LazyFlags.LOGIC << 2 | i.fsz, 0, 0, res);
        } else {
            c.setCc(kind << 2 | i.fsz, d, s, res);
        }
    }

    /**
     * ROL and ROR of a 32- or 64-bit register by a non-zero immediate, as {@link Shifts#shift}: CF
     * and OF from the result, the other flags as they were.
     */
    static void rotate(Cpu c, Insn i) {
        long[] r = c.r;
        int d = i.rm, bits = i.size * 8;
        long m = i.fm;
        long v = r[d] & m;
        int n = ((int) i.imm & (bits - 1)) % bits;
        boolean left = i.sub == Shifts.ROL;
        long res = n == 0 ? v : left ? ((v << n) | (v >>> (bits - n))) & m : ((v >>> n) | (v << (bits - n))) & m;
        r[d] = res;
        c.setFlagsArith(Shifts.rotateFlags(c.arithFlags(), res, bits, left));
    }

    /** IMUL r, r/m or r, r/m, imm on registers (32 or 64 bits), flags kept lazily as {@link MulDiv#imul}. */
    static void imul(Cpu c, Insn i, long a, long b) {
        long lo;
        boolean overflow;
        if (i.size == 8) {
            lo = a * b;
            overflow = Math.multiplyHigh(a, b) != (lo >> 63);
        } else {
            lo = (long) (int) a * (int) b;
            overflow = (int) lo != lo;
        }
        c.r[i.reg] = lo & i.fm;
        MulDiv.mulFlags(c, i.size, lo, overflow);
    }

    /** CMP [mem], src with an 8-, 32- or 64-bit memory operand. */
    static void cmpMem(Cpu c, Insn i, long src) {
        long la = la(c, i);
        int size = i.size;
        long d, m;
        int sz;
        if (size == 8) {
            d = c.read64(la);
            m = -1L;
            sz = 3;
        } else if (size == 4) {
            d = c.read32(la);
            m = 0xFFFFFFFFL;
            sz = 2;
        } else {
            d = c.read8(la);
            m = 0xFFL;
            sz = 0;
        }
        long s = src & m;
        c.setCc(LazyFlags.SUB << 2 | sz, d, s, d - s);
    }

    static void cmov(Cpu c, Insn i) {
        long[] r = c.r;
        if (LazyFlags.cond(c.ccOp, c.ccDst, c.ccSrc, c.ccRes, i.sub)) {
            r[i.reg] = r[i.rm] & i.fm;
        } else {
            r[i.reg] &= i.fm; // a 32-bit destination is zero-extended even when not moved
        }
    }

    static void incDec(Cpu c, Insn i, boolean inc) {
        long[] r = c.r;
        long m = i.fm;
        long d = r[i.rm] & m;
        long res = inc ? d + 1 : d - 1;
        r[i.rm] = res & m;
        long cf = LazyFlags.cf(c.ccOp, c.ccDst, c.ccSrc, c.ccRes) ? 1 : 0;
        c.setCc((inc ? LazyFlags.INC : LazyFlags.DEC) << 2 | i.fsz, d, cf, res);
    }

    private static int aluRR(int sub) {
        return switch (sub) {
            case Alu.ADD -> F_ADD_RR;
            case Alu.OR -> F_OR_RR;
            case Alu.AND -> F_AND_RR;
            case Alu.SUB -> F_SUB_RR;
            case Alu.XOR -> F_XOR_RR;
            default -> F_CMP_RR;
        };
    }

    private static int aluRI(int sub) {
        return switch (sub) {
            case Alu.ADD -> F_ADD_RI;
            case Alu.OR -> F_OR_RI;
            case Alu.AND -> F_AND_RI;
            case Alu.SUB -> F_SUB_RI;
            case Alu.XOR -> F_XOR_RI;
            default -> F_CMP_RI;
        };
    }
}
