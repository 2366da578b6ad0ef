package dev.ukemu.core.cpu;

/**
 * Group 15 state instructions: FXSAVE, FXRSTOR (SDM vol. 1, 10.5.1, table 10-2), LDMXCSR,
 * STMXCSR, and XSAVE, XRSTOR, XSAVEOPT in the standard (non-compacted) form for the x87 (bit 0)
 * and SSE (bit 1) state components (SDM vol. 1, chapter 13). With REX.W the 64-bit layout of
 * the x87 pointers is used (FXSAVE64 and friends).
 */
final class StateSave {
    private StateSave() {
    }

    static final int FIRST = 3000, END = 3100;
    static final int FXSAVE = 3000, FXRSTOR = 3001, LDMXCSR = 3002, STMXCSR = 3003, XSAVE = 3004, XRSTOR = 3005,
            XSAVEOPT = 3006;

    /** MXCSR bits software may set: everything in the low 16 bits, DAZ (bit 6) included. */
    static final int MXCSR_MASK = 0xFFFF;
    /** XSAVE header offsets (SDM vol. 1, 13.4.2). */
    static final int XSTATE_BV = 512, XCOMP_BV = 520, HEADER_END = 576;

    static void decodeGroup15(Decoder d, Insn i) {
        int p = i.prefixes & (Decoder.P_66 | Decoder.P_F2 | Decoder.P_F3);
        if (p != 0) {
            // 66 0F AE /6 is CLWB: a write-back hint with nothing to do here.
            i.op = p == Decoder.P_66 && i.sub == 6 ? Op.CLFLUSH : Op.UD;
            return;
        }
        i.op = FXSAVE + i.sub;
    }

    static void exec(Cpu c, Insn i) {
        switch (i.op) {
            case FXSAVE -> fxsave(c, i);
            case FXRSTOR -> fxrstor(c, i);
            case LDMXCSR -> ldmxcsr(c, i);
            case STMXCSR -> stmxcsr(c, i);
            case XSAVE, XSAVEOPT -> xsave(c, i, i.op == XSAVEOPT);
            case XRSTOR -> xrstor(c, i);
            default -> Sys.unimplemented(c, i);
        }
    }

    // ------------------------------------------------------------------ checks

    private static void checkFxsr(Cpu c) {
        if ((c.cr0 & (Cpu.CR0_EM | Cpu.CR0_TS)) != 0) {
            throw CpuException.fault(CpuException.NM);
        }
    }

    private static void checkSse(Cpu c) {
        if ((c.cr0 & Cpu.CR0_EM) != 0 || (c.cr4 & Cpu.CR4_OSFXSR) == 0) {
            throw CpuException.ud();
        }
        if ((c.cr0 & Cpu.CR0_TS) != 0) {
            throw CpuException.fault(CpuException.NM);
        }
    }

    private static void checkXsave(Cpu c) {
        if ((c.cr4 & Cpu.CR4_OSXSAVE) == 0) {
            throw CpuException.ud();
        }
        if ((c.cr0 & Cpu.CR0_TS) != 0) {
            throw CpuException.fault(CpuException.NM);
        }
    }

    private static long aligned(Cpu c, Insn i, int alignment) {
        long a = c.ea(i);
        if ((a & (alignment - 1)) != 0) {
            throw CpuException.gp(0);
        }
        return a;
    }

    // ------------------------------------------------------------------ MXCSR

    private static void ldmxcsr(Cpu c, Insn i) {
        checkSse(c);
        int v = (int) c.read32(c.ea(i));
        if ((v & ~MXCSR_MASK) != 0) {
            throw CpuException.gp(0);
        }
        c.mxcsr = v;
    }

    private static void stmxcsr(Cpu c, Insn i) {
        checkSse(c);
        c.write32(c.ea(i), c.mxcsr & 0xFFFFFFFFL);
    }

    // ------------------------------------------------------------------ the legacy region

    /** Writes the x87 part of the legacy region: control words, pointers, ST0-7. */
    static void saveX87(Cpu c, long a, boolean wide) {
        X87State s = c.fpu;
        c.write16(a, s.control);
        c.write16(a + 2, s.statusWord());
        c.write16(a + 4, s.abridgedTag());
        c.write16(a + 6, s.lastOpcode & 0x7FF);
        if (wide) {
            c.write64(a + 8, s.lastIp);
            c.write64(a + 16, s.lastDp);
        } else {
            c.write32(a + 8, s.lastIp & 0xFFFFFFFFL);
            c.write32(a + 12, s.lastCs & 0xFFFF);
            c.write32(a + 16, s.lastDp & 0xFFFFFFFFL);
            c.write32(a + 20, s.lastDs & 0xFFFF);
        }
        for (int k = 0; k < 8; k++) {
            long r = a + 32 + 16L * k;
            int p = X87.phys(s, k);
            c.write64(r, s.mantissa[p]);
            c.write64(r + 8, s.signExp[p] & 0xFFFFL);
        }
    }

    static void saveMxcsr(Cpu c, long a) {
        c.write32(a + 24, c.mxcsr & 0xFFFFFFFFL);
        c.write32(a + 28, MXCSR_MASK);
    }

    static void saveXmm(Cpu c, long a) {
        int n = c.bits == 64 ? 16 : 8;
        for (int k = 0; k < n; k++) {
            c.write64(a + 160 + 16L * k, c.xmm[2 * k]);
            c.write64(a + 168 + 16L * k, c.xmm[2 * k + 1]);
        }
    }

    /** Reads the x87 part of the legacy region. */
    static void loadX87(Cpu c, long a, boolean wide) {
        X87State s = c.fpu;
        int cw = c.read16(a), sw = c.read16(a + 2), ftw = c.read8(a + 4), fop = c.read16(a + 6);
        long ip, dp;
        int cs = 0, ds = 0;
        if (wide) {
            // 48-bit linear addresses: the pointers are kept canonical.
            ip = c.read64(a + 8) << 16 >> 16;
            dp = c.read64(a + 16) << 16 >> 16;
        } else {
            ip = c.read32(a + 8);
            cs = c.read16(a + 12);
            dp = c.read32(a + 16);
            ds = c.read16(a + 20);
        }
        long[] m = new long[8];
        int[] e = new int[8];
        for (int k = 0; k < 8; k++) {
            m[k] = c.read64(a + 32 + 16L * k);
            e[k] = c.read16(a + 40 + 16L * k);
        }
        s.control = X87Env.fixControl(cw);
        s.top = (sw >> 11) & 7;
        s.status = sw & ~0x3800;
        s.lastOpcode = fop & 0x7FF;
        s.lastIp = ip;
        s.lastDp = dp;
        s.lastCs = cs;
        s.lastDs = ds;
        for (int k = 0; k < 8; k++) {
            int p = X87.phys(s, k);
            s.mantissa[p] = m[k];
            s.signExp[p] = e[k];
        }
        s.setAbridgedTag(ftw);
        X87Env.updateSummary(s); // ES and B follow the unmasked flags, as after FLDENV
    }

    static int readMxcsr(Cpu c, long a) {
        int v = (int) c.read32(a + 24);
        if ((v & ~MXCSR_MASK) != 0) {
            throw CpuException.gp(0);
        }
        return v;
    }

    static void loadXmm(Cpu c, long a) {
        int n = c.bits == 64 ? 16 : 8;
        for (int k = 0; k < n; k++) {
            c.xmm[2 * k] = c.read64(a + 160 + 16L * k);
            c.xmm[2 * k + 1] = c.read64(a + 168 + 16L * k);
        }
    }

    // ------------------------------------------------------------------ FXSAVE / FXRSTOR

    private static void fxsave(Cpu c, Insn i) {
        checkFxsr(c);
        long a = aligned(c, i, 16);
        // Touch both ends first so a fault leaves memory unwritten.
        c.write8(a, c.read8(a));
        c.write8(a + 511, c.read8(a + 511));
        saveX87(c, a, i.size == 8);
        if ((c.cr4 & Cpu.CR4_OSFXSR) != 0) {
            saveMxcsr(c, a);
            saveXmm(c, a);
        }
    }

    private static void fxrstor(Cpu c, Insn i) {
        checkFxsr(c);
        long a = aligned(c, i, 16);
        boolean sse = (c.cr4 & Cpu.CR4_OSFXSR) != 0;
        int mx = sse ? readMxcsr(c, a) : c.mxcsr;
        c.read8(a + 511);
        loadX87(c, a, i.size == 8);
        if (sse) {
            c.mxcsr = mx;
            loadXmm(c, a);
        }
    }

    // ------------------------------------------------------------------ XSAVE / XRSTOR

    /** XINUSE: a component in its initial configuration may report 0 in XSTATE_BV. */
    static long inUse(Cpu c) {
        X87State s = c.fpu;
        long v = 0;
        boolean x87Init = s.control == 0x037F && s.statusWord() == 0 && s.tag == 0xFFFF && s.lastOpcode == 0
                && s.lastIp == 0 && s.lastDp == 0;
        for (int k = 0; k < 8 && x87Init; k++) {
            x87Init = s.mantissa[k] == 0 && s.signExp[k] == 0;
        }
        if (!x87Init) {
            v |= 1;
        }
        for (long x : c.xmm) {
            if (x != 0) {
                v |= 2;
                break;
            }
        }
        return v;
    }

    private static long rfbm(Cpu c) {
        long mask = (c.r[Cpu.RDX] << 32) | (c.r[Cpu.RAX] & 0xFFFFFFFFL);
        return mask & c.xcr0;
    }

    private static void xsave(Cpu c, Insn i, boolean opt) {
        checkXsave(c);
        long a = aligned(c, i, 64);
        long rfbm = rfbm(c);
        long bv = c.read64(a + XSTATE_BV);
        c.write8(a, c.read8(a));
        boolean wide = i.size == 8;
        // XSAVEOPT's init optimization: a component in its initial configuration is recorded in
        // XSTATE_BV only and its area left as it was (XRSTOR ignores it). XSAVE writes them all.
        long used = inUse(c) & rfbm;
        long write = opt ? used : rfbm;
        if ((write & 1) != 0) {
            saveX87(c, a, wide);
        }
        if ((rfbm & 6) != 0) {
            saveMxcsr(c, a);
        }
        if ((write & 2) != 0) {
            saveXmm(c, a);
        }
        c.write64(a + XSTATE_BV, (bv & ~rfbm) | used);
    }

    private static void xrstor(Cpu c, Insn i) {
        checkXsave(c);
        long a = aligned(c, i, 64);
        long rfbm = rfbm(c);
        long bv = c.read64(a + XSTATE_BV);
        if ((bv & ~c.xcr0) != 0) {
            throw CpuException.gp(0);
        }
        for (int off = XCOMP_BV; off < HEADER_END; off += 8) {
            if (c.read64(a + off) != 0) {
                throw CpuException.gp(0);
            }
        }
        int mx = (rfbm & 6) != 0 ? readMxcsr(c, a) : c.mxcsr;
        if ((rfbm & 1) != 0) {
            if ((bv & 1) != 0) {
                loadX87(c, a, i.size == 8);
            } else {
                initX87(c.fpu);
            }
        }
        if ((rfbm & 2) != 0) {
            if ((bv & 2) != 0) {
                loadXmm(c, a);
            } else {
                java.util.Arrays.fill(c.xmm, 0, 32, 0L);
            }
        }
        c.mxcsr = mx;
    }

    /** The x87 initial configuration of XRSTOR (SDM vol. 1, 13.6): like FNINIT, registers zeroed. */
    static void initX87(X87State s) {
        X87Env.init(s);
        java.util.Arrays.fill(s.mantissa, 0);
        java.util.Arrays.fill(s.signExp, 0);
    }
}
