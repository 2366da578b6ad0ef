package dev.ukemu.core.cpu;

/**
 * x87 control instructions: FLDCW/FNSTCW, FNSTSW, FNCLEX, FNINIT, and the environment and full
 * state images of FLDENV/FNSTENV and FRSTOR/FNSAVE in their four layouts: 14 or 28 bytes, real
 * (and virtual-8086) or protected mode (SDM vol. 1, 8.1.10 and figures 8-9 to 8-12). None of
 * these update FIP, FDP or FOP.
 */
final class X87Env {
    private X87Env() {
    }

    /** FCW bits 6 is always one, 7 and 13-15 always zero (SDM vol. 1, 8.1.5). */
    static final int CW_RESERVED = 0xE0C0;

    static boolean isNonWaiting(int op) {
        return switch (op) {
            case X87Op.FNSTCW, X87Op.FNSTSW_M, X87Op.FNSTSW_AX, X87Op.FNCLEX, X87Op.FNINIT, X87Op.FNSTENV,
                 X87Op.FNSAVE, X87Op.FLEGACY -> true;
            default -> false;
        };
    }

    static void exec(Cpu c, Insn i) {
        X87State s = c.fpu;
        switch (i.op) {
            case X87Op.FLDCW -> {
                s.control = fixControl(c.read16(c.ea(i)));
                updateSummary(s);
            }
            case X87Op.FNSTCW -> c.write16(c.ea(i), s.control);
            case X87Op.FNSTSW_M -> c.write16(c.ea(i), s.statusWord());
            case X87Op.FNSTSW_AX -> c.setReg(Cpu.RAX, 2, s.statusWord());
            case X87Op.FNCLEX -> s.status &= ~0x80FF;
            case X87Op.FNINIT -> init(s);
            case X87Op.FLDENV -> loadEnv(c, i);
            case X87Op.FNSTENV -> {
                storeEnv(c, i);
                s.control |= 0x3F;
                updateSummary(s);
            }
            case X87Op.FRSTOR -> restore(c, i);
            case X87Op.FNSAVE -> save(c, i);
            default -> {
                // FENI, FDISI, FSETPM: 8087/287 leftovers that a 387 and later ignore.
            }
        }
    }

    static int fixControl(int cw) {
        return (cw & ~CW_RESERVED & 0xFFFF) | 0x40;
    }

    /** ES and B follow the unmasked exception flags after the control or status word is loaded. */
    static void updateSummary(X87State s) {
        if ((s.status & ~s.control & 0x3F) != 0) {
            s.status |= X87.SW_ES | X87.SW_B;
        } else {
            s.status &= ~(X87.SW_ES | X87.SW_B);
        }
    }

    /** FNINIT: registers keep their contents, everything else returns to its initial value. */
    static void init(X87State s) {
        s.control = 0x037F;
        s.status = 0;
        s.top = 0;
        s.tag = 0xFFFF;
        s.lastOpcode = 0;
        s.lastIp = s.lastDp = 0;
        s.lastCs = s.lastDs = 0;
    }

    private static boolean realLayout(Cpu c) {
        return (c.cr0 & Cpu.CR0_PE) == 0 || (c.flagsRest & Cpu.RF_VM) != 0;
    }

    private static long at(Insn i, long base, int off) {
        return (base + off) & i.linMask;
    }

    /** Writes the environment; returns the address of the register area. */
    static long storeEnv(Cpu c, Insn i) {
        X87State s = c.fpu;
        long a = c.ea(i);
        int cw = s.control, sw = s.statusWord(), tw = s.fullTag();
        boolean wide = i.size != 2;
        if (!realLayout(c)) {
            if (wide) {
                c.write32(at(i, a, 0), 0xFFFF0000L | cw);
                c.write32(at(i, a, 4), 0xFFFF0000L | sw);
                c.write32(at(i, a, 8), 0xFFFF0000L | tw);
                c.write32(at(i, a, 12), s.lastIp & 0xFFFFFFFFL);
                c.write32(at(i, a, 16), (s.lastCs & 0xFFFF) | ((long) (s.lastOpcode & 0x7FF) << 16));
                c.write32(at(i, a, 20), s.lastDp & 0xFFFFFFFFL);
                c.write32(at(i, a, 24), 0xFFFF0000L | (s.lastDs & 0xFFFF));
                return at(i, a, 28);
            }
            c.write16(at(i, a, 0), cw);
            c.write16(at(i, a, 2), sw);
            c.write16(at(i, a, 4), tw);
            c.write16(at(i, a, 6), (int) s.lastIp);
            c.write16(at(i, a, 8), s.lastCs);
            c.write16(at(i, a, 10), (int) s.lastDp);
            c.write16(at(i, a, 12), s.lastDs);
            return at(i, a, 14);
        }
        long ip = ((long) (s.lastCs & 0xFFFF) << 4) + (s.lastIp & 0xFFFF);
        long dp = ((long) (s.lastDs & 0xFFFF) << 4) + (s.lastDp & 0xFFFF);
        if (wide) {
            c.write32(at(i, a, 0), 0xFFFF0000L | cw);
            c.write32(at(i, a, 4), 0xFFFF0000L | sw);
            c.write32(at(i, a, 8), 0xFFFF0000L | tw);
            c.write32(at(i, a, 12), 0xFFFF0000L | (ip & 0xFFFF));
            c.write32(at(i, a, 16), ((ip & 0xFFFF0000L) >>> 4) | (s.lastOpcode & 0x7FF));
            c.write32(at(i, a, 20), 0xFFFF0000L | (dp & 0xFFFF));
            c.write32(at(i, a, 24), (dp & 0xFFFF0000L) >>> 4);
            return at(i, a, 28);
        }
        c.write16(at(i, a, 0), cw);
        c.write16(at(i, a, 2), sw);
        c.write16(at(i, a, 4), tw);
        c.write16(at(i, a, 6), (int) ip);
        c.write16(at(i, a, 8), (int) ((ip & 0xF0000) >>> 4) | (s.lastOpcode & 0x7FF));
        c.write16(at(i, a, 10), (int) dp);
        c.write16(at(i, a, 12), (int) ((dp & 0xF0000) >>> 4));
        return at(i, a, 14);
    }

    /** Reads the environment; returns the address of the register area. */
    static long loadEnv(Cpu c, Insn i) {
        X87State s = c.fpu;
        long a = c.ea(i);
        boolean wide = i.size != 2;
        int step = wide ? 4 : 2;
        // Read everything first: a fault leaves the FPU unchanged.
        long[] w = new long[7];
        for (int k = 0; k < 7; k++) {
            w[k] = wide ? c.read32(at(i, a, k * step)) : c.read16(at(i, a, k * step));
        }
        s.control = fixControl((int) w[0]);
        s.status = (int) w[1] & 0xFFFF;
        s.top = (s.status >> 11) & 7;
        s.status &= ~0x3800;
        s.tag = (int) w[2] & 0xFFFF;
        if (!realLayout(c)) {
            s.lastIp = w[3];
            s.lastCs = (int) w[4] & 0xFFFF;
            s.lastOpcode = wide ? (int) (w[4] >>> 16) & 0x7FF : 0;
            s.lastDp = w[5];
            s.lastDs = (int) w[6] & 0xFFFF;
        } else {
            int hiShift = wide ? 4 : 4;
            s.lastIp = (w[3] & 0xFFFF) | ((w[4] & (wide ? 0x0FFFF000L : 0xF000L)) << hiShift);
            s.lastOpcode = (int) w[4] & 0x7FF;
            s.lastDp = (w[5] & 0xFFFF) | ((w[6] & (wide ? 0x0FFFF000L : 0xF000L)) << hiShift);
            s.lastCs = s.lastDs = 0;
        }
        updateSummary(s);
        return at(i, a, wide ? 28 : 14);
    }

    private static void save(Cpu c, Insn i) {
        X87State s = c.fpu;
        long regs = storeEnv(c, i);
        for (int k = 0; k < 8; k++) {
            long r = (regs + 10L * k) & i.linMask;
            c.write64(r, X87.sig(s, k));
            c.write16((r + 8) & i.linMask, X87.se(s, k));
        }
        init(s);
    }

    private static void restore(Cpu c, Insn i) {
        X87State s = c.fpu;
        long a = c.ea(i);
        long regs = at(i, a, i.size != 2 ? 28 : 14);
        long[] m = new long[8];
        int[] e = new int[8];
        for (int k = 0; k < 8; k++) {
            long r = (regs + 10L * k) & i.linMask;
            m[k] = c.read64(r);
            e[k] = c.read16((r + 8) & i.linMask);
        }
        loadEnv(c, i);
        for (int k = 0; k < 8; k++) {
            int p = X87.phys(s, k);
            s.mantissa[p] = m[k];
            s.signExp[p] = e[k];
        }
    }
}
