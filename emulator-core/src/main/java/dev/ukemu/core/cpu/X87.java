package dev.ukemu.core.cpu;

/**
 * Executes x87 instructions (SDM vol. 1, chapter 8; vol. 2 for each instruction): the register
 * stack, the device-not-available and pending-exception checks, the masked and unmasked
 * exception responses, and FIP/FDP/FOP bookkeeping. The arithmetic itself is {@link Float80};
 * loads and stores live in {@link X87Mem}, the environment and control instructions in
 * {@link X87Env}, the transcendental functions in {@link X87Trans}.
 */
final class X87 {
    private X87() {
    }

    // FSW bits (SDM vol. 1, 8.1.3).
    static final int SW_IE = 1, SW_SF = 0x40, SW_ES = 0x80, SW_C0 = 0x100, SW_C1 = 0x200, SW_C2 = 0x400,
            SW_C3 = 0x4000, SW_B = 0x8000, SW_CC = SW_C0 | SW_C1 | SW_C2 | SW_C3;

    static void exec(Cpu c, Insn i) {
        int op = i.op;
        if (op == X87Op.FWAIT) {
            fwait(c);
            return;
        }
        checkDevice(c);
        if (!X87Env.isNonWaiting(op)) {
            checkPending(c);
        }
        X87State s = c.fpu;
        s.alu.control = s.control;
        s.alu.flags = 0;
        switch (op) {
            case X87Op.ARITH_M32, X87Op.ARITH_M64, X87Op.ARITH_I16, X87Op.ARITH_I32 -> arithMem(c, i);
            case X87Op.ARITH_ST0 -> arithReg(c, i, 0, false);
            case X87Op.ARITH_STI -> arithReg(c, i, i.rm, false);
            case X87Op.ARITH_STI_POP -> arithReg(c, i, i.rm, true);
            case X87Op.FCOM_STI -> { lastInsn(c, i); compareReg(c, i.rm, false, i.sub); }
            case X87Op.FUCOM_STI -> { lastInsn(c, i); compareReg(c, i.rm, true, i.sub); }
            case X87Op.FCOMPP -> { lastInsn(c, i); compareReg(c, 1, false, 2); }
            case X87Op.FUCOMPP -> { lastInsn(c, i); compareReg(c, 1, true, 2); }
            case X87Op.FCOMI -> { lastInsn(c, i); comi(c, i.rm, (i.sub & 2) != 0, (i.sub & 1) != 0); }
            case X87Op.FXCH -> { lastInsn(c, i); fxch(c, i.rm); }
            case X87Op.FFREE -> { lastInsn(c, i); ffree(c, i.rm, i.sub == 1); }
            case X87Op.FCHS, X87Op.FABS -> { lastInsn(c, i); signOp(c, op == X87Op.FABS); }
            case X87Op.FTST -> { lastInsn(c, i); ftst(c); }
            case X87Op.FXAM -> { lastInsn(c, i); fxam(c); }
            case X87Op.FDECSTP -> { lastInsn(c, i); s.status &= ~SW_C1; s.top = (s.top - 1) & 7; }
            case X87Op.FINCSTP -> { lastInsn(c, i); s.status &= ~SW_C1; s.top = (s.top + 1) & 7; }
            case X87Op.FNOP -> lastInsn(c, i);
            case X87Op.FCMOV -> { lastInsn(c, i); fcmov(c, i); }
            case X87Op.FLD_STI -> { lastInsn(c, i); fldReg(c, i.rm); }
            case X87Op.FLD_CONST -> { lastInsn(c, i); X87Trans.loadConstant(c, i.sub); }
            case X87Op.FST_STI -> { lastInsn(c, i); fstReg(c, i.rm, i.sub != 0, i.sub == 2); }
            case X87Op.FSQRT, X87Op.FRNDINT -> { lastInsn(c, i); unary(c, op); }
            case X87Op.FSCALE -> { lastInsn(c, i); fscale(c); }
            case X87Op.FXTRACT -> { lastInsn(c, i); fxtract(c); }
            case X87Op.FPREM, X87Op.FPREM1 -> { lastInsn(c, i); fprem(c, op == X87Op.FPREM1); }
            default -> exec2(c, i);
        }
    }

    private static void exec2(Cpu c, Insn i) {
        int op = i.op;
        if (op >= X87Op.F2XM1 && op <= X87Op.FSINCOS) {
            lastInsn(c, i);
            X87Trans.exec(c, op);
        } else if (op >= X87Op.FLD_M32 && op <= X87Op.FST_STI) {
            X87Mem.exec(c, i);
        } else if (op >= X87Op.FLDCW && op <= X87Op.FLEGACY) {
            X87Env.exec(c, i);
        } else {
            Sys.unimplemented(c, i);
        }
    }

    // ------------------------------------------------------------------ availability and #MF

    /** CR0.EM or CR0.TS: #NM before any x87 instruction (SDM vol. 3, 2.5 and table 12-1). */
    static void checkDevice(Cpu c) {
        if ((c.cr0 & (Cpu.CR0_EM | Cpu.CR0_TS)) != 0) {
            throw CpuException.fault(CpuException.NM);
        }
    }

    /**
     * A pending unmasked exception (FSW.ES) is reported as #MF before the next waiting x87
     * instruction. With CR0.NE = 0 a PC would route it through FERR# and IGNNE# to IRQ 13; ukemu
     * has no such wiring and reports it as #MF in both cases.
     */
    static void checkPending(Cpu c) {
        if ((c.fpu.status & SW_ES) != 0) {
            throw CpuException.fault(CpuException.MF);
        }
    }

    /** WAIT/FWAIT: #NM only when both CR0.MP and CR0.TS are set; then pending exceptions. */
    static void fwait(Cpu c) {
        if ((c.cr0 & (Cpu.CR0_MP | Cpu.CR0_TS)) == (Cpu.CR0_MP | Cpu.CR0_TS)) {
            throw CpuException.fault(CpuException.NM);
        }
        checkPending(c);
    }

    /** Records FIP, FCS and FOP (and FDP, FDS for memory operands) as FXSAVE reports them. */
    static void lastInsn(Cpu c, Insn i) {
        X87State s = c.fpu;
        s.lastOpcode = (int) i.imm2;
        s.lastIp = c.insnStart;
        s.lastCs = c.segSel[Cpu.CS];
        if (i.mem) {
            long a = i.disp;
            if (i.base >= 0) {
                a += i.base == Insn.RIP ? c.rip : c.r[i.base];
            }
            if (i.index >= 0) {
                a += c.r[i.index] << i.scale;
            }
            s.lastDp = i.asize == 8 ? a : i.asize == 4 ? a & 0xFFFFFFFFL : a & 0xFFFF;
            s.lastDs = c.segSel[i.seg == Cpu.SEG_NONE ? Cpu.DS : i.seg];
        }
    }

    // ------------------------------------------------------------------ the register stack

    static int phys(X87State s, int st) {
        return (s.top + st) & 7;
    }

    static boolean empty(X87State s, int st) {
        return ((s.tag >> (2 * phys(s, st))) & 3) == 3;
    }

    static int se(X87State s, int st) {
        return s.signExp[phys(s, st)];
    }

    static long sig(X87State s, int st) {
        return s.mantissa[phys(s, st)];
    }

    static void write(X87State s, int st, int se, long sig) {
        int p = phys(s, st);
        s.signExp[p] = se & 0xFFFF;
        s.mantissa[p] = sig;
        s.tag = (s.tag & ~(3 << (2 * p))) | (X87State.tagOf(se, sig) << (2 * p));
    }

    static void push(X87State s, int se, long sig) {
        s.top = (s.top - 1) & 7;
        write(s, 0, se, sig);
    }

    static void pop(X87State s) {
        s.tag |= 3 << (2 * s.top);
        s.top = (s.top + 1) & 7;
    }

    static void writeResult(X87State s, int st) {
        write(s, st, s.alu.se, s.alu.sig);
    }

    // ------------------------------------------------------------------ exception responses

    static boolean masked(X87State s, int bit) {
        return (s.control & bit) != 0;
    }

    /**
     * The unmasked exceptions of {@code f} that stop the result from being delivered: IE and ZE
     * (which exclude all others), DE, and, for memory destinations, OE and UE.
     */
    static int blocking(X87State s, int f, boolean store) {
        int unmasked = f & ~s.control & 0x3F;
        if ((f & (Float80.IE | Float80.ZE)) != 0) {
            return unmasked & (Float80.IE | Float80.ZE);
        }
        if ((unmasked & Float80.DE) != 0) {
            return Float80.DE;
        }
        return store ? unmasked & (Float80.OE | Float80.UE) : 0;
    }

    /**
     * Records the exceptions {@code f} of an operation in the FSW (C1 reports rounding up, or
     * a stack overflow with SF) and sets ES/B if any is unmasked. Returns true if the result is
     * to be delivered.
     */
    static boolean raise(X87State s, int f, boolean store) {
        int block = blocking(s, f, store);
        int unmasked = f & ~s.control & 0x3F;
        if ((f & (Float80.IE | Float80.ZE)) != 0) {
            if ((f & Float80.IE) != 0) {
                s.status |= f & (Float80.IE | Float80.SF);
                if ((f & Float80.SF) != 0) {
                    s.status = (s.status & ~SW_C1) | (f & SW_C1);
                }
            } else {
                s.status |= Float80.ZE | (f & Float80.DE);
            }
            unmasked &= Float80.IE | Float80.ZE | Float80.DE;
        } else if (block == Float80.DE) {
            s.status |= Float80.DE;
        } else {
            s.status |= f & 0x3F;
            if ((f & Float80.PE) != 0) {
                s.status = (s.status & ~SW_C1) | (f & SW_C1);
            }
            if (store && (block & (Float80.OE | Float80.UE)) != 0) {
                s.status &= ~SW_C1;
            }
        }
        if (unmasked != 0) {
            s.status |= SW_ES | SW_B;
        }
        return block == 0;
    }

    /** Stack underflow on a read of an empty register: IE|SF, C1 = 0; masked: QNaN indefinite to ST(st). */
    static void underflow(X87State s, int st, boolean popAfter) {
        if (masked(s, Float80.IE)) {
            write(s, st, Float80.INDEF_SE, Float80.INDEF_SIG);
            if (popAfter) {
                pop(s);
            }
        }
        raise(s, Float80.IE | Float80.SF, false);
    }

    /** Stack overflow on a push onto a full register: IE|SF, C1 = 1; masked: push the QNaN indefinite. */
    static void overflow(X87State s) {
        if (masked(s, Float80.IE)) {
            push(s, Float80.INDEF_SE, Float80.INDEF_SIG);
        }
        raise(s, Float80.IE | Float80.SF | Float80.C1, false);
    }

    // ------------------------------------------------------------------ arithmetic

    /** a = ST0, b = the other operand; {@code sub} as in {@link X87Op}. */
    static void arith(Float80 u, int sub, int ase, long asig, int bse, long bsig) {
        switch (sub) {
            case 0 -> u.add(ase, asig, bse, bsig, false);
            case 1 -> u.mul(ase, asig, bse, bsig);
            case 4 -> u.add(ase, asig, bse, bsig, true);
            case 5 -> u.add(bse, bsig, ase, asig, true);
            case 6 -> u.div(ase, asig, bse, bsig);
            default -> u.div(bse, bsig, ase, asig);
        }
    }

    private static void arithReg(Cpu c, Insn i, int dst, boolean popAfter) {
        lastInsn(c, i);
        X87State s = c.fpu;
        s.status &= ~SW_C1;
        int sub = i.sub;
        if (sub == 2 || sub == 3) {
            compareReg(c, i.rm, false, sub - 2); // D8 D0+i / D8 D8+i: FCOM, FCOMP
            return;
        }
        int other = i.rm;
        if (empty(s, 0) || empty(s, other)) {
            underflow(s, dst, popAfter);
            return;
        }
        Float80 u = s.alu;
        arith(u, sub, se(s, 0), sig(s, 0), se(s, other), sig(s, other));
        if (raise(s, u.flags, false)) {
            writeResult(s, dst);
            if (popAfter) {
                pop(s);
            }
        }
    }

    /** ST0 op memory operand (float32, float64, int16, int32); FCOM/FCOMP/FICOM/FICOMP for sub 2, 3. */
    private static void arithMem(Cpu c, Insn i) {
        X87State s = c.fpu;
        long la = c.ea(i);
        int kind = i.op - X87Op.ARITH_M32;
        long raw = switch (kind) {
            case 0 -> c.read32(la);
            case 1 -> c.read64(la);
            case 2 -> (short) c.read16(la);
            default -> (int) c.read32(la);
        };
        lastInsn(c, i);
        s.status &= ~SW_C1;
        int sub = i.sub;
        if (empty(s, 0)) {
            if (sub == 2 || sub == 3) {
                compareUnderflow(s, sub == 3 ? 1 : 0);
            } else {
                underflow(s, 0, false);
            }
            return;
        }
        Float80 u = s.alu;
        int ase = se(s, 0);
        long asig = sig(s, 0);
        if (sub == 2 || sub == 3) {
            int rel = compareMem(u, kind, raw, ase, asig);
            finishCompare(s, rel, sub == 3 ? 1 : 0);
            return;
        }
        if (kind < 2 && memNaN(u, kind, raw, ase, asig)) {
            // handled: the NaN result is in u
        } else {
            if (kind == 0) {
                u.fromF32((int) raw);
            } else if (kind == 1) {
                u.fromF64(raw);
            } else {
                u.fromInt(raw);
            }
            arith(u, sub, ase, asig, u.se, u.sig);
            if ((u.flags & Float80.ZE) != 0) {
                u.flags &= ~Float80.DE; // a zero divisor is found before a denormal dividend
            }
        }
        if (raise(s, u.flags, false)) {
            writeResult(s, 0);
        }
    }

    /**
     * NaN operands of a float memory arithmetic: the memory NaN is converted only when it is a
     * NaN, so a denormal memory operand beside a NaN ST0 raises no DE. Returns true if handled.
     */
    private static boolean memNaN(Float80 u, int kind, long raw, int ase, long asig) {
        boolean bNaN = kind == 0 ? Float80.isNaN32((int) raw) : Float80.isNaN64(raw);
        if (Float80.isUnsupported(ase, asig)) {
            u.flags |= Float80.IE;
            u.se = Float80.INDEF_SE;
            u.sig = Float80.INDEF_SIG;
            return true;
        }
        boolean aNaN = Float80.isNaN(ase, asig);
        if (!aNaN && !bNaN) {
            return false;
        }
        if (!bNaN) {
            u.propagateNaN(ase, asig, ase, asig);
            return true;
        }
        if (kind == 0) {
            u.fromF32((int) raw);
        } else {
            u.fromF64(raw);
        }
        // fromF32/fromF64 raised IE for an SNaN and quieted it; keep the original for signalling tests.
        if (aNaN) {
            boolean aS = Float80.isSNaN(ase, asig);
            long bq = u.sig;
            int bse = u.se;
            boolean bS = (u.flags & Float80.IE) != 0;
            u.flags |= aS ? Float80.IE : 0;
            if (aS == bS) {
                long qa = asig | Float80.INDEF_SIG;
                boolean takeA = qa != bq ? Long.compareUnsigned(qa, bq) > 0 : (ase & 0xFFFF) <= bse;
                u.se = takeA ? ase : bse;
                u.sig = takeA ? qa : bq;
            } else if (bS) {
                u.se = ase;
                u.sig = asig | Float80.INDEF_SIG;
            }
        }
        return true;
    }

    private static int compareMem(Float80 u, int kind, long raw, int ase, long asig) {
        boolean bNaN = kind == 0 ? Float80.isNaN32((int) raw) : kind == 1 && Float80.isNaN64(raw);
        if (bNaN || Float80.isNaN(ase, asig) || Float80.isUnsupported(ase, asig)) {
            u.flags |= Float80.IE;
            return Float80.UNORDERED;
        }
        switch (kind) {
            case 0 -> u.fromF32((int) raw);
            case 1 -> u.fromF64(raw);
            default -> u.fromInt(raw);
        }
        if (Float80.isDenormal(ase, asig)) {
            u.flags |= Float80.DE;
        }
        return Float80.compareValues(ase, asig, u.se, u.sig);
    }

    static final int[] COMI_FLAGS = {LazyFlags.CF, LazyFlags.ZF, 0, LazyFlags.ZF | LazyFlags.PF | LazyFlags.CF};
    static final int[] CC_OF_RELATION = {SW_C0, SW_C3, 0, SW_C0 | SW_C2 | SW_C3};

    /** The condition codes are set even when an exception is unmasked; the pops happen only when none is. */
    private static void finishCompare(X87State s, int rel, int pops) {
        boolean deliver = raise(s, s.alu.flags, false);
        s.status = (s.status & ~SW_CC) | CC_OF_RELATION[rel];
        if (deliver) {
            for (int k = 0; k < pops; k++) {
                pop(s);
            }
        }
    }

    private static void compareUnderflow(X87State s, int pops) {
        raise(s, Float80.IE | Float80.SF, false);
        s.status = (s.status & ~SW_CC) | SW_C0 | SW_C2 | SW_C3;
        if (masked(s, Float80.IE)) {
            for (int k = 0; k < pops; k++) {
                pop(s);
            }
        }
    }

    /** FCOM/FUCOM ST(i) (and FCOMPP/FUCOMPP with i = 1, two pops). */
    static void compareReg(Cpu c, int other, boolean quiet, int pops) {
        X87State s = c.fpu;
        s.status &= ~SW_C1;
        if (empty(s, 0) || empty(s, other)) {
            compareUnderflow(s, pops);
            return;
        }
        int rel = s.alu.compare(se(s, 0), sig(s, 0), se(s, other), sig(s, other), quiet);
        finishCompare(s, rel, pops);
    }

    /** FCOMI/FUCOMI(P): ZF, PF, CF from the comparison (also when an exception is unmasked); OF, SF, AF cleared. */
    private static void comi(Cpu c, int other, boolean quiet, boolean popAfter) {
        X87State s = c.fpu;
        int rel;
        boolean deliver;
        if (empty(s, 0) || empty(s, other)) {
            deliver = raise(s, Float80.IE | Float80.SF, false);
            rel = Float80.UNORDERED;
        } else {
            rel = s.alu.compare(se(s, 0), sig(s, 0), se(s, other), sig(s, other), quiet);
            deliver = raise(s, s.alu.flags, false);
        }
        c.setFlagsArith(COMI_FLAGS[rel]);
        if (popAfter && deliver) {
            pop(s);
        }
    }

    private static void ftst(Cpu c) {
        X87State s = c.fpu;
        s.status &= ~SW_C1;
        if (empty(s, 0)) {
            compareUnderflow(s, 0);
            return;
        }
        int rel = s.alu.compare(se(s, 0), sig(s, 0), 0, 0, false);
        finishCompare(s, rel, 0);
    }

    /** FXAM: the class of ST0 in C3, C2, C0 and its sign in C1 (SDM vol. 2, FXAM). */
    private static void fxam(Cpu c) {
        X87State s = c.fpu;
        int p = phys(s, 0);
        int e = s.signExp[p] & 0x7FFF;
        long m = s.mantissa[p];
        int cc;
        if (empty(s, 0)) {
            cc = SW_C3 | SW_C0;
        } else if (Float80.isUnsupported(e, m)) {
            cc = 0;
        } else if (e == 0x7FFF) {
            cc = (m << 1) == 0 ? SW_C2 | SW_C0 : SW_C0;
        } else if (e == 0) {
            cc = m == 0 ? SW_C3 : SW_C3 | SW_C2;
        } else {
            cc = SW_C2;
        }
        if ((s.signExp[p] & 0x8000) != 0) {
            cc |= SW_C1;
        }
        s.status = (s.status & ~SW_CC) | cc;
    }

    private static void fxch(Cpu c, int other) {
        X87State s = c.fpu;
        s.status &= ~SW_C1;
        int ase = se(s, 0), bse = se(s, other);
        long asig = sig(s, 0), bsig = sig(s, other);
        boolean ae = empty(s, 0), be = empty(s, other);
        if (ae || be) {
            raise(s, Float80.IE | Float80.SF, false);
            if (!masked(s, Float80.IE)) {
                return;
            }
            if (ae) {
                ase = Float80.INDEF_SE;
                asig = Float80.INDEF_SIG;
            }
            if (be) {
                bse = Float80.INDEF_SE;
                bsig = Float80.INDEF_SIG;
            }
        }
        write(s, other, ase, asig);
        write(s, 0, bse, bsig);
    }

    private static void ffree(Cpu c, int st, boolean popAfter) {
        X87State s = c.fpu;
        s.status &= ~SW_C1;
        s.tag |= 3 << (2 * phys(s, st));
        if (popAfter) {
            pop(s);
        }
    }

    private static void signOp(Cpu c, boolean abs) {
        X87State s = c.fpu;
        s.status &= ~SW_C1;
        if (empty(s, 0)) {
            underflow(s, 0, false);
            return;
        }
        int v = se(s, 0);
        write(s, 0, abs ? v & 0x7FFF : v ^ 0x8000, sig(s, 0));
    }

    private static void fcmov(Cpu c, Insn i) {
        X87State s = c.fpu;
        if (empty(s, 0) || empty(s, i.rm)) {
            underflow(s, 0, false);
            return;
        }
        if (c.cond(i.sub)) {
            write(s, 0, se(s, i.rm), sig(s, i.rm));
        }
    }

    /** FLD ST(i): an empty source is a stack underflow (C1 = 0) even when ST7 is full too. */
    private static void fldReg(Cpu c, int st) {
        X87State s = c.fpu;
        s.status &= ~SW_C1;
        if (empty(s, st)) {
            raise(s, Float80.IE | Float80.SF, false);
            if (masked(s, Float80.IE)) {
                push(s, Float80.INDEF_SE, Float80.INDEF_SIG);
            }
            return;
        }
        if (!empty(s, 7)) {
            overflow(s);
            return;
        }
        push(s, se(s, st), sig(s, st));
    }

    /** FST/FSTP ST(i); sub 2 is D9 D8+i, which pops an empty ST0 without a stack fault (as the host does). */
    private static void fstReg(Cpu c, int st, boolean popAfter, boolean noCheck) {
        X87State s = c.fpu;
        s.status &= ~SW_C1;
        if (noCheck && empty(s, 0)) {
            pop(s);
            return;
        }
        if (empty(s, 0)) {
            underflow(s, st, popAfter);
            return;
        }
        write(s, st, se(s, 0), sig(s, 0));
        if (popAfter) {
            pop(s);
        }
    }

    private static void unary(Cpu c, int op) {
        X87State s = c.fpu;
        s.status &= ~SW_C1;
        if (empty(s, 0)) {
            underflow(s, 0, false);
            return;
        }
        Float80 u = s.alu;
        if (op == X87Op.FSQRT) {
            u.sqrt(se(s, 0), sig(s, 0));
        } else {
            u.roundToInt(se(s, 0), sig(s, 0));
        }
        if (raise(s, u.flags, false)) {
            writeResult(s, 0);
        }
    }

    private static void fscale(Cpu c) {
        X87State s = c.fpu;
        s.status &= ~SW_C1;
        if (empty(s, 0) || empty(s, 1)) {
            underflow(s, 0, false);
            return;
        }
        Float80 u = s.alu;
        u.scale(se(s, 0), sig(s, 0), se(s, 1), sig(s, 1));
        if (raise(s, u.flags, false)) {
            writeResult(s, 0);
        }
    }

    /** FXTRACT: ST0 becomes the exponent, then the significand is pushed. */
    private static void fxtract(Cpu c) {
        X87State s = c.fpu;
        s.status &= ~SW_C1;
        if (empty(s, 0)) {
            underflow(s, 0, false);
            if (masked(s, Float80.IE)) {
                push(s, Float80.INDEF_SE, Float80.INDEF_SIG);
            }
            return;
        }
        if (!empty(s, 7)) {
            // Masked response: both results are the indefinite.
            if (masked(s, Float80.IE)) {
                write(s, 0, Float80.INDEF_SE, Float80.INDEF_SIG);
            }
            overflow(s);
            return;
        }
        Float80 u = s.alu;
        u.extract(se(s, 0), sig(s, 0));
        if (raise(s, u.flags, false)) {
            write(s, 0, u.xSe, u.xSig);
            push(s, u.se, u.sig);
        }
    }

    private static void fprem(Cpu c, boolean ieee) {
        X87State s = c.fpu;
        s.status &= ~(SW_C1 | SW_C2);
        if (empty(s, 0) || empty(s, 1)) {
            underflow(s, 0, false);
            return;
        }
        Float80 u = s.alu;
        u.remainder(se(s, 0), sig(s, 0), se(s, 1), sig(s, 1), ieee);
        if (raise(s, u.flags, false)) {
            if (u.remainderValid) {
                int cc = 0;
                if (u.partial) {
                    cc = SW_C2;
                } else {
                    long q = u.quotient;
                    cc |= (q & 1) != 0 ? SW_C1 : 0;
                    cc |= (q & 2) != 0 ? SW_C3 : 0;
                    cc |= (q & 4) != 0 ? SW_C0 : 0;
                }
                s.status = (s.status & ~SW_CC) | cc;
            }
            writeResult(s, 0);
        }
    }
}
