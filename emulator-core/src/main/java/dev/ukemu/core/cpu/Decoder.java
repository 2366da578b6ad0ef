package dev.ukemu.core.cpu;

/**
 * Decodes one x86 instruction (16-, 32- or 64-bit code) into an {@link Insn}. Prefixes, REX,
 * ModRM/SIB with every addressing form, and the immediate forms are handled here once; the
 * interpreter never looks at instruction bytes. Encodings that are architecturally invalid in
 * the current mode decode to {@link Op#UD}; valid ones ukemu does not implement yet decode to
 * {@link Op#UNIMPL}, which stops the machine with a diagnostic.
 */
final class Decoder {
    static final int P_66 = 1, P_67 = 2, P_REX = 4, P_F2 = 8, P_F3 = 16, P_LOCK = 32, P_SEG = 64;
    static final int MAX_LENGTH = 15;

    private final Cpu c;
    private long pc;
    private long start;
    int bits;
    int rex;
    private long linMask;

    Decoder(Cpu c) {
        this.c = c;
    }

    int next() {
        if (pc - start >= MAX_LENGTH) {
            throw CpuException.gp(0);
        }
        int b = c.fetch8(pc & linMask);
        pc++;
        return b;
    }

    long imm8s() {
        return (byte) next();
    }

    long imm16() {
        int lo = next();
        return lo | next() << 8;
    }

    long imm32s() {
        long v = next();
        v |= (long) next() << 8;
        v |= (long) next() << 16;
        v |= (long) next() << 24;
        return (int) v;
    }

    private long imm64() {
        long lo = imm32s() & 0xFFFFFFFFL;
        return lo | (imm32s() << 32);
    }

    /** Iz: 16 bits for 16-bit operands, else 32 bits sign-extended. */
    private long immz(int size) {
        return size == 2 ? imm16() : imm32s();
    }

    private long immOfSize(int size) {
        return switch (size) {
            case 1 -> next();
            case 2 -> imm16();
            case 4 -> imm32s() & 0xFFFFFFFFL;
            default -> imm64();
        };
    }

    /**
     * Decodes the instruction at linear address {@code la} (CS base included) in code of the
     * given width. Fetch faults propagate as {@link CpuException}.
     */
    Insn decode(long la, int codeBits) {
        Insn i = new Insn();
        bits = codeBits;
        linMask = codeBits == 64 ? -1L : 0xFFFFFFFFL;
        start = la;
        pc = la;
        rex = 0;
        int prefixes = 0;
        int seg = -1;
        int b;
        for (;;) {
            b = next();
            switch (b) {
                case 0x66 -> { prefixes |= P_66; rex = 0; continue; }
                case 0x67 -> { prefixes |= P_67; rex = 0; continue; }
                case 0x26, 0x2E, 0x36, 0x3E -> { seg = (b >> 3) & 3; prefixes |= P_SEG; rex = 0; continue; }
                case 0x64 -> { seg = Cpu.FS; prefixes |= P_SEG; rex = 0; continue; }
                case 0x65 -> { seg = Cpu.GS; prefixes |= P_SEG; rex = 0; continue; }
                case 0xF0 -> { prefixes |= P_LOCK; rex = 0; continue; }
                case 0xF2 -> { prefixes = (prefixes | P_F2) & ~P_F3; rex = 0; continue; }
                case 0xF3 -> { prefixes = (prefixes | P_F3) & ~P_F2; rex = 0; continue; }
                default -> {
                }
            }
            if (bits == 64 && (b & 0xF0) == 0x40) {
                rex = b;
                continue;
            }
            break;
        }
        if (rex != 0) {
            prefixes |= P_REX;
        }
        i.prefixes = prefixes;
        i.lock = (prefixes & P_LOCK) != 0;
        i.rep = (prefixes & P_F3) != 0 ? Insn.REP : (prefixes & P_F2) != 0 ? Insn.REPNE : 0;
        boolean p66 = (prefixes & P_66) != 0;
        if ((rex & 8) != 0) {
            i.size = 8;
        } else if (bits == 16) {
            i.size = p66 ? 4 : 2;
        } else {
            i.size = p66 ? 2 : 4;
        }
        boolean p67 = (prefixes & P_67) != 0;
        i.asize = bits == 64 ? (p67 ? 4 : 8) : bits == 32 ? (p67 ? 2 : 4) : (p67 ? 4 : 2);
        i.linMask = linMask;
        i.seg = Cpu.DS;
        if (b == 0x0F) {
            twoByte(i, next());
        } else {
            oneByte(i, b);
        }
        if (seg >= 0) {
            i.seg = seg;
        }
        i.stackRef = bits == 64 && i.mem && i.seg == Cpu.SS;
        if (bits == 64 && i.seg != Cpu.FS && i.seg != Cpu.GS) {
            i.seg = Cpu.SEG_NONE;
        }
        if (i.lock && !lockable(i)) {
            i.op = Op.UD;
        }
        i.len = (int) (pc - start);
        return i;
    }

    private static boolean lockable(Insn i) {
        if (!i.mem) {
            return false;
        }
        return switch (i.op) {
            case Op.ALU_EI, Op.ALU_EG -> i.sub != 7;
            case Op.INC, Op.DEC, Op.NOT, Op.NEG, Op.XCHG, Op.XADD, Op.CMPXCHG, Op.CMPXCHG8B, Op.CMPXCHG16B -> true;
            case Op.BT_EG, Op.BT_EI -> i.sub != 0;
            default -> false;
        };
    }

    // ------------------------------------------------------------------ ModRM

    /** The last ModRM byte read (the x87 opcode register FOP records it). */
    int lastModrm;

    void modrm(Insn i) {
        int m = next();
        lastModrm = m;
        int mod = m >> 6;
        i.reg = ((m >> 3) & 7) | ((rex & 4) << 1);
        i.sub = (m >> 3) & 7;
        int rmf = m & 7;
        if (mod == 3) {
            i.mem = false;
            i.rm = rmf | ((rex & 1) << 3);
            return;
        }
        i.mem = true;
        if (i.asize == 2) {
            modrm16(i, mod, rmf);
            return;
        }
        if (rmf == 4) {
            int sib = next();
            i.scale = sib >> 6;
            int idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
            i.index = idx == 4 ? -1 : idx;
            int bs = sib & 7;
            if (bs == 5 && mod == 0) {
                i.base = -1;
                i.disp = imm32s();
            } else {
                i.base = bs | ((rex & 1) << 3);
            }
        } else if (rmf == 5 && mod == 0) {
            i.base = bits == 64 ? Insn.RIP : -1;
            i.disp = imm32s();
        } else {
            i.base = rmf | ((rex & 1) << 3);
        }
        if (mod == 1) {
            i.disp = imm8s();
        } else if (mod == 2) {
            i.disp = imm32s();
        }
        if (i.base == Cpu.RSP || i.base == Cpu.RBP) {
            i.seg = Cpu.SS;
        }
    }

    private void modrm16(Insn i, int mod, int rmf) {
        switch (rmf) {
            case 0 -> { i.base = Cpu.RBX; i.index = Cpu.RSI; }
            case 1 -> { i.base = Cpu.RBX; i.index = Cpu.RDI; }
            case 2 -> { i.base = Cpu.RBP; i.index = Cpu.RSI; i.seg = Cpu.SS; }
            case 3 -> { i.base = Cpu.RBP; i.index = Cpu.RDI; i.seg = Cpu.SS; }
            case 4 -> i.base = Cpu.RSI;
            case 5 -> i.base = Cpu.RDI;
            case 6 -> {
                if (mod == 0) {
                    i.base = -1;
                    i.disp = imm16();
                } else {
                    i.base = Cpu.RBP;
                    i.seg = Cpu.SS;
                }
            }
            default -> i.base = Cpu.RBX;
        }
        if (mod == 1) {
            i.disp = imm8s();
        } else if (mod == 2) {
            i.disp = (short) imm16();
        }
    }

    /** Byte operands without REX name AH..BH for 4..7. */
    void byteRegs(Insn i) {
        if (rex == 0) {
            if (i.reg >= 4 && i.reg < 8) {
                i.reg += 12;
            }
            if (!i.mem && i.rm >= 4 && i.rm < 8) {
                i.rm += 12;
            }
        }
    }

    private int byteReg(int r) {
        return rex == 0 && r >= 4 && r < 8 ? r + 12 : r;
    }

    /** E,G / G,E forms with the byte bit in bit 0 of the opcode. */
    private void eg(Insn i, int b) {
        if ((b & 1) == 0) {
            i.size = 1;
        }
        modrm(i);
        if (i.size == 1) {
            byteRegs(i);
        }
    }

    /** Stack ops default to 64-bit operands in 64-bit mode; 66 selects 16 bits unless REX.W overrides it. */
    private void stackSize(Insn i) {
        if (bits == 64) {
            i.size = (i.prefixes & P_66) != 0 && (rex & 8) == 0 ? 2 : 8;
        }
    }

    private boolean no64(Insn i) {
        if (bits == 64) {
            i.op = Op.UD;
            return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ one-byte map

    private void oneByte(Insn i, int b) {
        if (b < 0x40 && (b & 7) < 6) {
            i.sub = b >> 3;
            switch (b & 7) {
                case 0, 1 -> { eg(i, b); i.op = Op.ALU_EG; i.sub = b >> 3; }
                case 2, 3 -> { eg(i, b); i.op = Op.ALU_GE; i.sub = b >> 3; }
                case 4 -> { i.size = 1; i.op = Op.ALU_EI; i.rm = 0; i.imm = next(); }
                default -> { i.op = Op.ALU_EI; i.rm = 0; i.imm = immz(i.size); }
            }
            return;
        }
        switch (b) {
            case 0x06, 0x0E, 0x16, 0x1E -> { if (!no64(i)) { i.op = Op.PUSH_SEG; i.sub = b >> 3; } }
            case 0x07, 0x17, 0x1F -> { if (!no64(i)) { i.op = Op.POP_SEG; i.sub = b >> 3; } }
            case 0x0F -> i.op = Op.UD;
            case 0x27 -> { if (!no64(i)) i.op = Op.DAA; }
            case 0x2F -> { if (!no64(i)) i.op = Op.DAS; }
            case 0x37 -> { if (!no64(i)) i.op = Op.AAA; }
            case 0x3F -> { if (!no64(i)) i.op = Op.AAS; }
            case 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47 -> { i.op = Op.INC; i.rm = b & 7; }
            case 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F -> { i.op = Op.DEC; i.rm = b & 7; }
            case 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57 -> {
                stackSize(i); i.op = Op.PUSH_R; i.reg = (b & 7) | ((rex & 1) << 3);
            }
            case 0x58, 0x59, 0x5A, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F -> {
                stackSize(i); i.op = Op.POP_R; i.reg = (b & 7) | ((rex & 1) << 3);
            }
            case 0x60 -> { if (!no64(i)) i.op = Op.PUSHA; }
            case 0x61 -> { if (!no64(i)) i.op = Op.POPA; }
            case 0x62 -> {
                if (!no64(i)) {
                    modrm(i);
                    i.op = i.mem ? Op.BOUND : Op.UD;
                }
            }
            case 0x63 -> {
                if (bits == 64) {
                    int sz = i.size;
                    modrm(i);
                    i.op = Op.MOVSXD;
                    i.size = sz;
                } else {
                    i.size = 2;
                    modrm(i);
                    i.op = Op.ARPL;
                }
            }
            case 0x68 -> { stackSize(i); i.op = Op.PUSH_I; i.imm = immz(i.size == 2 ? 2 : 4); }
            case 0x69 -> { modrm(i); i.op = Op.IMUL_GEI; i.imm = immz(i.size); }
            case 0x6A -> { stackSize(i); i.op = Op.PUSH_I; i.imm = imm8s(); }
            case 0x6B -> { modrm(i); i.op = Op.IMUL_GEI; i.imm = imm8s(); }
            case 0x6C -> { i.size = 1; i.op = Op.INS; }
            case 0x6D -> { if (i.size == 8) i.size = 4; i.op = Op.INS; }
            case 0x6E -> { i.size = 1; i.op = Op.OUTS; }
            case 0x6F -> { if (i.size == 8) i.size = 4; i.op = Op.OUTS; }
            case 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x7B, 0x7C, 0x7D, 0x7E, 0x7F -> {
                branchSize(i); i.op = Op.JCC; i.sub = b & 15; i.imm = imm8s();
            }
            case 0x80, 0x82 -> {
                if (b == 0x82 && no64(i)) {
                    return;
                }
                i.size = 1; modrm(i); byteRegs(i); i.op = Op.ALU_EI; i.imm = next();
            }
            case 0x81 -> { modrm(i); i.op = Op.ALU_EI; i.imm = immz(i.size); }
            case 0x83 -> { modrm(i); i.op = Op.ALU_EI; i.imm = imm8s(); }
            case 0x84, 0x85 -> { eg(i, b); i.op = Op.TEST_EG; }
            case 0x86, 0x87 -> { eg(i, b); i.op = Op.XCHG; }
            case 0x88, 0x89 -> { eg(i, b); i.op = Op.MOV_EG; }
            case 0x8A, 0x8B -> { eg(i, b); i.op = Op.MOV_GE; }
            case 0x8C -> {
                modrm(i); i.op = Op.MOV_FROM_SEG;
                if (i.mem) i.size = 2;
                if (i.sub > 5) i.op = Op.UD;
            }
            case 0x8D -> { modrm(i); i.op = i.mem ? Op.LEA : Op.UD; }
            case 0x8E -> {
                i.size = 2; modrm(i); i.op = Op.MOV_TO_SEG;
                if (i.sub > 5 || i.sub == Cpu.CS) i.op = Op.UD;
            }
            case 0x8F -> { stackSize(i); modrm(i); i.op = i.sub == 0 ? Op.POP_E : Op.UD; }
            case 0x90 -> {
                if ((rex & 1) != 0) {
                    i.op = Op.XCHG; i.mem = false; i.rm = 8; i.reg = 0;
                } else {
                    i.op = (i.prefixes & P_F3) != 0 ? Op.PAUSE : Op.NOP;
                }
            }
            case 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97 -> {
                i.op = Op.XCHG; i.mem = false; i.rm = (b & 7) | ((rex & 1) << 3); i.reg = 0;
            }
            case 0x98 -> i.op = Op.CBW;
            case 0x99 -> i.op = Op.CWD;
            case 0x9A -> {
                if (!no64(i)) { i.op = Op.CALLF; i.imm = immOfSize(i.size); i.imm2 = imm16(); }
            }
            case 0x9B -> i.op = X87Op.FWAIT;
            case 0x9C -> { stackSize(i); i.op = Op.PUSHF; }
            case 0x9D -> { stackSize(i); i.op = Op.POPF; }
            case 0x9E -> i.op = Op.SAHF;
            case 0x9F -> i.op = Op.LAHF;
            case 0xA0, 0xA1, 0xA2, 0xA3 -> {
                if ((b & 1) == 0) i.size = 1;
                i.mem = true; i.base = -1; i.reg = 0;
                i.disp = switch (i.asize) {
                    case 2 -> imm16();
                    case 4 -> imm32s() & 0xFFFFFFFFL;
                    default -> imm64();
                };
                i.op = b < 0xA2 ? Op.MOV_GE : Op.MOV_EG;
            }
            case 0xA4, 0xA5 -> { if ((b & 1) == 0) i.size = 1; i.op = Op.MOVS; }
            case 0xA6, 0xA7 -> { if ((b & 1) == 0) i.size = 1; i.op = Op.CMPS; }
            case 0xA8 -> { i.size = 1; i.op = Op.TEST_EI; i.rm = 0; i.imm = next(); }
            case 0xA9 -> { i.op = Op.TEST_EI; i.rm = 0; i.imm = immz(i.size); }
            case 0xAA, 0xAB -> { if ((b & 1) == 0) i.size = 1; i.op = Op.STOS; }
            case 0xAC, 0xAD -> { if ((b & 1) == 0) i.size = 1; i.op = Op.LODS; }
            case 0xAE, 0xAF -> { if ((b & 1) == 0) i.size = 1; i.op = Op.SCAS; }
            case 0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7 -> {
                i.size = 1; i.op = Op.MOV_RI; i.reg = byteReg((b & 7) | ((rex & 1) << 3)); i.imm = next();
            }
            case 0xB8, 0xB9, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF -> {
                i.op = Op.MOV_RI; i.reg = (b & 7) | ((rex & 1) << 3); i.imm = immOfSize(i.size);
            }
            case 0xC0, 0xC1 -> { eg(i, b); i.op = Op.SHIFT_I; i.imm = next(); }
            case 0xC2 -> { branchSize(i); i.op = Op.RET; i.imm = imm16(); }
            case 0xC3 -> { branchSize(i); i.op = Op.RET; i.imm = 0; }
            case 0xC4, 0xC5 -> {
                if (bits == 64) {
                    i.op = Op.UNIMPL; // VEX: AVX is not implemented
                } else {
                    modrm(i);
                    i.op = i.mem ? Op.LOAD_FAR : Op.UNIMPL;
                    i.sub = b == 0xC4 ? Cpu.ES : Cpu.DS;
                }
            }
            case 0xC6, 0xC7 -> {
                eg(i, b);
                if (i.sub != 0) {
                    i.op = Op.UD;
                    return;
                }
                i.op = Op.MOV_EI;
                i.imm = i.size == 1 ? next() : immz(i.size);
            }
            case 0xC8 -> { stackSize(i); i.op = Op.ENTER; i.imm = imm16(); i.imm2 = next(); }
            case 0xC9 -> { stackSize(i); i.op = Op.LEAVE; }
            case 0xCA -> { i.op = Op.RETF; i.imm = imm16(); }
            case 0xCB -> { i.op = Op.RETF; i.imm = 0; }
            case 0xCC -> i.op = Op.INT3;
            case 0xCD -> { i.op = Op.INT; i.imm = next(); }
            case 0xCE -> { if (!no64(i)) i.op = Op.INTO; }
            case 0xCF -> i.op = Op.IRET;
            case 0xD0, 0xD1 -> { eg(i, b); i.op = Op.SHIFT_I; i.imm = 1; }
            case 0xD2, 0xD3 -> { eg(i, b); i.op = Op.SHIFT_CL; }
            case 0xD4 -> { if (!no64(i)) { i.op = Op.AAM; i.imm = next(); } }
            case 0xD5 -> { if (!no64(i)) { i.op = Op.AAD; i.imm = next(); } }
            case 0xD6 -> { if (!no64(i)) i.op = Op.SALC; }
            case 0xD7 -> { i.op = Op.XLAT; i.size = 1; }
            case 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF -> X87Decoder.decode(this, i, b);
            case 0xE0, 0xE1, 0xE2 -> { branchSize(i); i.op = Op.LOOP; i.sub = b & 3; i.imm = imm8s(); }
            case 0xE3 -> { branchSize(i); i.op = Op.JCXZ; i.imm = imm8s(); }
            case 0xE4, 0xE5 -> { if ((b & 1) == 0) i.size = 1; else if (i.size == 8) i.size = 4; i.op = Op.IN_I; i.imm = next(); }
            case 0xE6, 0xE7 -> { if ((b & 1) == 0) i.size = 1; else if (i.size == 8) i.size = 4; i.op = Op.OUT_I; i.imm = next(); }
            case 0xE8 -> { branchSize(i); i.op = Op.CALL; i.imm = immz(i.size == 2 ? 2 : 4); }
            case 0xE9 -> { branchSize(i); i.op = Op.JMP; i.imm = immz(i.size == 2 ? 2 : 4); }
            case 0xEA -> {
                if (!no64(i)) { i.op = Op.JMPF; i.imm = immOfSize(i.size); i.imm2 = imm16(); }
            }
            case 0xEB -> { branchSize(i); i.op = Op.JMP; i.imm = imm8s(); }
            case 0xEC, 0xED -> { if ((b & 1) == 0) i.size = 1; else if (i.size == 8) i.size = 4; i.op = Op.IN_DX; }
            case 0xEE, 0xEF -> { if ((b & 1) == 0) i.size = 1; else if (i.size == 8) i.size = 4; i.op = Op.OUT_DX; }
            case 0xF1 -> i.op = Op.INT1;
            case 0xF4 -> i.op = Op.HLT;
            case 0xF5 -> i.op = Op.CMC;
            case 0xF6, 0xF7 -> {
                eg(i, b);
                switch (i.sub) {
                    case 0, 1 -> { i.op = Op.TEST_EI; i.imm = i.size == 1 ? next() : immz(i.size); }
                    case 2 -> i.op = Op.NOT;
                    case 3 -> i.op = Op.NEG;
                    case 4 -> i.op = Op.MUL1;
                    case 5 -> i.op = Op.IMUL1;
                    case 6 -> i.op = Op.DIV;
                    default -> i.op = Op.IDIV;
                }
            }
            case 0xF8 -> i.op = Op.CLC;
            case 0xF9 -> i.op = Op.STC;
            case 0xFA -> i.op = Op.CLI;
            case 0xFB -> i.op = Op.STI;
            case 0xFC -> i.op = Op.CLD;
            case 0xFD -> i.op = Op.STD;
            case 0xFE -> {
                i.size = 1; modrm(i); byteRegs(i);
                i.op = i.sub == 0 ? Op.INC : i.sub == 1 ? Op.DEC : Op.UD;
            }
            case 0xFF -> group5(i);
            default -> i.op = Op.UNIMPL;
        }
    }

    private void branchSize(Insn i) {
        if (bits == 64) {
            i.size = 8; // the 66 prefix on near branches is ignored by Intel CPUs in 64-bit mode
        }
    }

    private void group5(Insn i) {
        int sz = i.size;
        modrm(i);
        switch (i.sub) {
            case 0 -> i.op = Op.INC;
            case 1 -> i.op = Op.DEC;
            case 2 -> { branchSize(i); i.op = Op.CALL_E; }
            case 3 -> { i.op = i.mem ? Op.CALLF_M : Op.UD; }
            case 4 -> { branchSize(i); i.op = Op.JMP_E; }
            case 5 -> { i.op = i.mem ? Op.JMPF_M : Op.UD; }
            case 6 -> { stackSize(i); i.op = Op.PUSH_E; }
            default -> i.op = Op.UD;
        }
        if (i.sub == 3 || i.sub == 5) {
            i.size = sz;
        }
    }

    // ------------------------------------------------------------------ two-byte map

    private void twoByte(Insn i, int b) {
        switch (b) {
            case 0x00 -> {
                modrm(i);
                i.size = 2;
                i.op = switch (i.sub) {
                    case 0 -> Op.SLDT;
                    case 1 -> Op.STR;
                    case 2 -> Op.LLDT;
                    case 3 -> Op.LTR;
                    case 4 -> Op.VERR;
                    case 5 -> Op.VERW;
                    default -> Op.UD;
                };
                if ((i.op == Op.SLDT || i.op == Op.STR) && !i.mem && i.size != 2) {
                    i.size = i.size;
                }
            }
            case 0x01 -> group7(i);
            case 0x02 -> { modrm(i); i.op = Op.LAR; }
            case 0x03 -> { modrm(i); i.op = Op.LSL; }
            case 0x05 -> i.op = bits == 64 ? Op.SYSCALL : Op.UD;
            case 0x06 -> i.op = Op.CLTS;
            case 0x07 -> i.op = bits == 64 ? Op.SYSRET : Op.UD;
            case 0x08 -> i.op = Op.INVD;
            case 0x09 -> i.op = Op.WBINVD;
            case 0x0B -> i.op = Op.UD;
            case 0x0D -> { modrm(i); i.op = i.mem ? Op.NOP : Op.UD; }
            case 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F -> { modrm(i); i.op = Op.NOP; }
            case 0x20, 0x21, 0x22, 0x23 -> {
                int m = next();
                i.mem = false;
                i.rm = (m & 7) | ((rex & 1) << 3);
                i.reg = ((m >> 3) & 7) | ((rex & 4) << 1);
                i.size = bits == 64 ? 8 : 4;
                i.op = switch (b) {
                    case 0x20 -> Op.MOV_FROM_CR;
                    case 0x21 -> Op.MOV_FROM_DR;
                    case 0x22 -> Op.MOV_TO_CR;
                    default -> Op.MOV_TO_DR;
                };
            }
            case 0x30 -> i.op = Op.WRMSR;
            case 0x31 -> i.op = Op.RDTSC;
            case 0x32 -> i.op = Op.RDMSR;
            case 0x33 -> i.op = Op.RDPMC;
            case 0x34 -> i.op = Op.SYSENTER;
            case 0x35 -> i.op = Op.SYSEXIT;
            case 0x38 -> threeByte38(i, next());
            case 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F -> {
                modrm(i); i.op = Op.CMOVCC; i.sub = b & 15;
            }
            case 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F -> {
                branchSize(i); i.op = Op.JCC; i.sub = b & 15; i.imm = immz(i.size == 2 ? 2 : 4);
            }
            case 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F -> {
                i.size = 1; modrm(i); byteRegs(i); i.op = Op.SETCC; i.sub = b & 15;
            }
            case 0xA0 -> { stackSize(i); i.op = Op.PUSH_SEG; i.sub = Cpu.FS; }
            case 0xA1 -> { stackSize(i); i.op = Op.POP_SEG; i.sub = Cpu.FS; }
            case 0xA2 -> i.op = Op.CPUID;
            case 0xA3 -> { modrm(i); i.op = Op.BT_EG; i.sub = 0; }
            case 0xA4 -> { modrm(i); i.op = Op.SHLD_I; i.imm = next(); }
            case 0xA5 -> { modrm(i); i.op = Op.SHLD_CL; }
            case 0xA8 -> { stackSize(i); i.op = Op.PUSH_SEG; i.sub = Cpu.GS; }
            case 0xA9 -> { stackSize(i); i.op = Op.POP_SEG; i.sub = Cpu.GS; }
            case 0xAB -> { modrm(i); i.op = Op.BT_EG; i.sub = 1; }
            case 0xAC -> { modrm(i); i.op = Op.SHRD_I; i.imm = next(); }
            case 0xAD -> { modrm(i); i.op = Op.SHRD_CL; }
            case 0xAE -> group15(i);
            case 0xAF -> { modrm(i); i.op = Op.IMUL_GE; }
            case 0xB0, 0xB1 -> { eg(i, b); i.op = Op.CMPXCHG; }
            case 0xB2 -> { modrm(i); i.op = i.mem ? Op.LOAD_FAR : Op.UD; i.sub = Cpu.SS; }
            case 0xB3 -> { modrm(i); i.op = Op.BT_EG; i.sub = 2; }
            case 0xB4 -> { modrm(i); i.op = i.mem ? Op.LOAD_FAR : Op.UD; i.sub = Cpu.FS; }
            case 0xB5 -> { modrm(i); i.op = i.mem ? Op.LOAD_FAR : Op.UD; i.sub = Cpu.GS; }
            case 0xB6, 0xB7 -> { int d = i.size; modrm(i); srcSized(i, b); i.op = Op.MOVZX; i.imm2 = d; }
            case 0xB8 -> {
                modrm(i);
                i.op = (i.prefixes & P_F3) != 0 ? Op.POPCNT : Op.UD;
            }
            case 0xB9 -> { modrm(i); i.op = Op.UD; }
            case 0xBA -> {
                modrm(i);
                if (i.sub < 4) {
                    i.op = Op.UD;
                } else {
                    i.op = Op.BT_EI; i.sub -= 4; i.imm = next();
                }
            }
            case 0xBB -> { modrm(i); i.op = Op.BT_EG; i.sub = 3; }
            case 0xBC -> { modrm(i); i.op = (i.prefixes & P_F3) != 0 ? Op.TZCNT : Op.BSF; }
            case 0xBD -> { modrm(i); i.op = (i.prefixes & P_F3) != 0 ? Op.LZCNT : Op.BSR; }
            case 0xBE, 0xBF -> { int d = i.size; modrm(i); srcSized(i, b); i.op = Op.MOVSX; i.imm2 = d; }
            case 0xC0, 0xC1 -> { eg(i, b); i.op = Op.XADD; }
            case 0xC7 -> group9(i);
            case 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF -> {
                i.op = Op.BSWAP; i.rm = (b & 7) | ((rex & 1) << 3);
            }
            case 0xFF -> { modrm(i); i.op = Op.UD0; }
            case 0x3A -> SseDecoder.decode3A(this, i, next());
            default -> SseDecoder.decode0F(this, i, b);
        }
    }

    /** MOVZX/MOVSX: the source operand is a byte (even bit 0 clear) or a word. */
    private void srcSized(Insn i, int b) {
        if ((b & 1) == 0) {
            i.size = 1;
            if (rex == 0 && !i.mem && i.rm >= 4 && i.rm < 8) {
                i.rm += 12;
            }
        } else {
            i.size = 2;
        }
    }

    private void threeByte38(Insn i, int b) {
        if ((b == 0xF0 || b == 0xF1) && (i.prefixes & P_F2) == 0) {
            modrm(i);
            i.op = (i.prefixes & P_F3) != 0 || !i.mem ? Op.UD : b == 0xF0 ? Op.MOVBE_GE : Op.MOVBE_EG;
            return;
        }
        SseDecoder.decode38(this, i, b); // F2 0F 38 F0/F1 is CRC32
    }

    private void group7(Insn i) {
        modrm(i);
        if (i.mem) {
            switch (i.sub) {
                case 0 -> i.op = Op.SGDT;
                case 1 -> i.op = Op.SIDT;
                case 2 -> i.op = Op.LGDT;
                case 3 -> i.op = Op.LIDT;
                case 4 -> { i.op = Op.SMSW; i.size = 2; }
                case 6 -> { i.op = Op.LMSW; i.size = 2; }
                case 7 -> i.op = Op.INVLPG;
                default -> i.op = Op.UD;
            }
            return;
        }
        int rmf = i.rm & 7;
        switch (i.sub) {
            case 1 -> i.op = rmf == 0 ? Op.MONITOR : rmf == 1 ? Op.MWAIT : Op.UD;
            case 2 -> i.op = rmf == 0 ? Op.XGETBV : rmf == 1 ? Op.XSETBV : Op.UD;
            case 4 -> { i.op = Op.SMSW; }
            case 6 -> { i.op = Op.LMSW; i.size = 2; }
            case 7 -> i.op = rmf == 0 ? (bits == 64 ? Op.SWAPGS : Op.UD) : rmf == 1 ? Op.RDTSCP : Op.UD;
            default -> i.op = Op.UD;
        }
    }

    private void group9(Insn i) {
        modrm(i);
        if (i.mem) {
            if (i.sub == 1) {
                i.op = i.size == 8 ? Op.CMPXCHG16B : Op.CMPXCHG8B;
            } else {
                i.op = Op.UD;
            }
            return;
        }
        switch (i.sub) {
            case 6 -> i.op = Op.RDRAND;
            case 7 -> i.op = (i.prefixes & P_F3) != 0 ? Op.RDPID : Op.RDSEED;
            default -> i.op = Op.UD;
        }
    }

    private void group15(Insn i) {
        modrm(i);
        if (!i.mem) {
            if ((i.prefixes & P_F3) != 0 && bits == 64 && i.sub < 4) {
                i.op = switch (i.sub) {
                    case 0 -> Op.RDFSBASE;
                    case 1 -> Op.RDGSBASE;
                    case 2 -> Op.WRFSBASE;
                    default -> Op.WRGSBASE;
                };
                return;
            }
            // LFENCE, MFENCE and SFENCE are NP: with 66/F2/F3 these are other instructions
            // (TPAUSE, UMWAIT, UMONITOR, INCSSP, PCOMMIT) the modelled CPU does not have.
            i.op = i.sub >= 5 && (i.prefixes & (P_66 | P_F2 | P_F3)) == 0 ? Op.FENCE : Op.UD;
            return;
        }
        if (i.sub == 7) {
            i.op = (i.prefixes & P_66) != 0 ? Op.CLFLUSH : Op.CLFLUSH; // CLFLUSHOPT (66) behaves alike here
        } else {
            StateSave.decodeGroup15(this, i);
        }
    }

    /** Instructions after which the block must end: control transfers and traps. */
    static boolean endsBlock(int op) {
        return switch (op) {
            case Op.JCC, Op.JMP, Op.CALL, Op.JMP_E, Op.CALL_E, Op.RET, Op.JMPF, Op.JMPF_M, Op.CALLF,
                 Op.CALLF_M, Op.RETF, Op.IRET, Op.LOOP, Op.JCXZ, Op.INT, Op.INT3, Op.INTO, Op.INT1,
                 Op.HLT, Op.UD, Op.UD0, Op.UNIMPL, Op.SYSCALL, Op.SYSRET, Op.SYSENTER, Op.SYSEXIT,
                 Op.MOV_TO_CR, Op.MOV_TO_SEG, Op.POP_SEG, Op.LOAD_FAR, Op.LGDT, Op.LIDT, Op.LMSW,
                 Op.LLDT, Op.LTR, Op.WRMSR, Op.STI, Op.POPF, Op.XSETBV, Op.INVLPG, Op.SWAPGS, Op.CLTS,
                 Op.MWAIT, Op.PAUSE, Op.BOUND -> true;
            default -> false;
        };
    }
}
