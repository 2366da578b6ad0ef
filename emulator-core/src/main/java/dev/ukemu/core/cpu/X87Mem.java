package dev.ukemu.core.cpu;

/**
 * x87 loads and stores with memory operands: FLD/FILD/FBLD and FST(P)/FIST(P)/FISTTP/FBSTP.
 * Memory is read before any FPU state changes and written before the FSW is updated, so a
 * page fault leaves the FPU as it was.
 */
final class X87Mem {
    private X87Mem() {
    }

    static void exec(Cpu c, Insn i) {
        switch (i.op) {
            case X87Op.FLD_M32, X87Op.FLD_M64, X87Op.FLD_M80, X87Op.FILD_M16, X87Op.FILD_M32,
                 X87Op.FILD_M64, X87Op.FBLD -> load(c, i);
            case X87Op.FST_M32, X87Op.FST_M64 -> storeFloat(c, i);
            case X87Op.FSTP_M80 -> storeExtended(c, i);
            case X87Op.FIST_M16, X87Op.FIST_M32, X87Op.FISTP_M64, X87Op.FISTTP_M16, X87Op.FISTTP_M32,
                 X87Op.FISTTP_M64 -> storeInt(c, i);
            case X87Op.FBSTP -> storeBcd(c, i);
            default -> Sys.unimplemented(c, i);
        }
    }

    private static void load(Cpu c, Insn i) {
        X87State s = c.fpu;
        Float80 u = s.alu;
        long la = c.ea(i);
        switch (i.op) {
            case X87Op.FLD_M32 -> u.fromF32((int) c.read32(la));
            case X87Op.FLD_M64 -> u.fromF64(c.read64(la));
            case X87Op.FLD_M80 -> {
                u.sig = c.read64(la);
                u.se = c.read16(la + 8);
            }
            case X87Op.FILD_M16 -> u.fromInt((short) c.read16(la));
            case X87Op.FILD_M32 -> u.fromInt((int) c.read32(la));
            case X87Op.FILD_M64 -> u.fromInt(c.read64(la));
            default -> u.fromBcd(c.read64(la), c.read16(la + 8));
        }
        X87.lastInsn(c, i);
        s.status &= ~X87.SW_C1;
        if (!X87.empty(s, 7)) {
            X87.overflow(s);
            return;
        }
        // An unmasked DE does not stop a load (the converted value is pushed); IE does.
        if (X87.raise(s, u.flags, false) || X87.blocking(s, u.flags, false) == Float80.DE) {
            X87.push(s, u.se, u.sig);
        }
    }

    /** FST/FSTP m32/m64. */
    private static void storeFloat(Cpu c, Insn i) {
        X87State s = c.fpu;
        Float80 u = s.alu;
        long la = c.ea(i);
        boolean single = i.op == X87Op.FST_M32;
        X87.lastInsn(c, i);
        long v;
        int f;
        if (X87.empty(s, 0)) {
            f = Float80.IE | Float80.SF;
            v = single ? 0xFFC00000L : 0xFFF8000000000000L;
        } else {
            v = single ? u.toF32(X87.se(s, 0), X87.sig(s, 0)) & 0xFFFFFFFFL : u.toF64(X87.se(s, 0), X87.sig(s, 0));
            f = u.flags;
        }
        if (X87.blocking(s, f, true) == 0) {
            if (single) {
                c.write32(la, v);
            } else {
                c.write64(la, v);
            }
        }
        finishStore(s, f, i.sub == 1);
    }

    /** Applies the store's exceptions (C1 cleared first) and pops unless an unmasked exception blocked it. */
    private static void finishStore(X87State s, int f, boolean popAfter) {
        s.status &= ~X87.SW_C1;
        if (X87.raise(s, f, true) && popAfter) {
            X87.pop(s);
        }
    }

    private static void storeExtended(Cpu c, Insn i) {
        X87State s = c.fpu;
        long la = c.ea(i);
        X87.lastInsn(c, i);
        int f = 0;
        int v = Float80.INDEF_SE;
        long m = Float80.INDEF_SIG;
        if (X87.empty(s, 0)) {
            f = Float80.IE | Float80.SF;
        } else {
            v = X87.se(s, 0);
            m = X87.sig(s, 0);
        }
        if (X87.blocking(s, f, true) == 0) {
            c.write64(la, m);
            c.write16(la + 8, v);
        }
        finishStore(s, f, true);
    }

    private static void storeInt(Cpu c, Insn i) {
        X87State s = c.fpu;
        Float80 u = s.alu;
        long la = c.ea(i);
        int bits = switch (i.op) {
            case X87Op.FIST_M16, X87Op.FISTTP_M16 -> 16;
            case X87Op.FIST_M32, X87Op.FISTTP_M32 -> 32;
            default -> 64;
        };
        boolean truncate = i.op >= X87Op.FISTTP_M16;
        boolean popAfter = i.sub == 1 || truncate || i.op == X87Op.FISTP_M64;
        X87.lastInsn(c, i);
        long v;
        int f;
        if (X87.empty(s, 0)) {
            f = Float80.IE | Float80.SF;
            v = Long.MIN_VALUE >> (64 - bits);
        } else {
            v = u.toInt(X87.se(s, 0), X87.sig(s, 0), bits, truncate);
            f = u.flags;
        }
        if (X87.blocking(s, f, true) == 0) {
            c.write(la, bits / 8, v);
        }
        finishStore(s, f, popAfter);
    }

    private static void storeBcd(Cpu c, Insn i) {
        X87State s = c.fpu;
        Float80 u = s.alu;
        long la = c.ea(i);
        X87.lastInsn(c, i);
        int f;
        if (X87.empty(s, 0)) {
            f = Float80.IE | Float80.SF;
            u.bcdLow = 0xC000000000000000L;
            u.bcdHigh = 0xFFFF;
        } else {
            u.toBcd(X87.se(s, 0), X87.sig(s, 0));
            f = u.flags;
        }
        if (X87.blocking(s, f, true) == 0) {
            c.write64(la, u.bcdLow);
            c.write16(la + 8, u.bcdHigh);
        }
        finishStore(s, f, true);
    }
}
