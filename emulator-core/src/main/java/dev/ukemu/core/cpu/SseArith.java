package dev.ukemu.core.cpu;

/**
 * Floating-point SSE instructions: packed and scalar arithmetic, comparisons, horizontal forms,
 * rounding, dot products and conversions. Each computes every lane into locals through
 * {@link SseFp}, commits the flags (which may raise #XM) and only then writes the destination.
 * Shapes: 0 packed single, 1 packed double, 2 scalar single, 3 scalar double.
 */
final class SseArith {
    private SseArith() {
    }

    private static final long LO32 = 0xFFFFFFFFL;

    private static int bytesOf(int shape) {
        return shape == 2 ? 4 : shape == 3 ? 8 : 16;
    }

    static int lane1S(Cpu c, int kind, int a, int b) {
        return switch (kind) {
            case SseFp.MIN -> SseFp.minMaxS(c, false, a, b);
            case SseFp.MAX -> SseFp.minMaxS(c, true, a, b);
            case SseFp.SQRT -> SseFp.sqrtS(c, b);
            default -> SseFp.arithS(c, kind, a, b);
        };
    }

    static long lane1D(Cpu c, int kind, long a, long b) {
        return switch (kind) {
            case SseFp.MIN -> SseFp.minMaxD(c, false, a, b);
            case SseFp.MAX -> SseFp.minMaxD(c, true, a, b);
            case SseFp.SQRT -> SseFp.sqrtD(c, b);
            default -> SseFp.arithD(c, kind, a, b);
        };
    }

    /** Two binary32 lanes of one word; ADDSUB subtracts in the low lane. */
    private static long pair(Cpu c, int kind, long a, long b) {
        int k0 = kind == SseFp.ADDSUB ? SseFp.SUB : kind;
        int k1 = kind == SseFp.ADDSUB ? SseFp.ADD : kind;
        long r0 = lane1S(c, k0, (int) a, (int) b) & LO32;
        long r1 = lane1S(c, k1, (int) (a >>> 32), (int) (b >>> 32)) & LO32;
        return r0 | r1 << 32;
    }

    static void arith(Cpu c, Insn i) {
        int kind = i.sub >> 2, shape = i.sub & 3;
        long[] t = c.sseTmp;
        Sse.loadN(c, i, t, 0, bytesOf(shape));
        int d = 2 * i.reg;
        long lo = c.xmm[d], hi = c.xmm[d + 1];
        switch (shape) {
            case 0 -> {
                lo = pair(c, kind, lo, t[0]);
                hi = pair(c, kind, hi, t[1]);
            }
            case 1 -> {
                lo = lane1D(c, kind == SseFp.ADDSUB ? SseFp.SUB : kind, lo, t[0]);
                hi = lane1D(c, kind == SseFp.ADDSUB ? SseFp.ADD : kind, hi, t[1]);
            }
            case 2 -> lo = (lo & ~LO32) | (lane1S(c, kind, (int) lo, (int) t[0]) & LO32);
            default -> lo = lane1D(c, kind, lo, t[0]);
        }
        SseFp.commit(c);
        c.xmm[d] = lo;
        c.xmm[d + 1] = hi;
    }

    static void cmp(Cpu c, Insn i) {
        int shape = i.sub, pred = (int) i.imm & 7;
        long[] t = c.sseTmp;
        Sse.loadN(c, i, t, 0, bytesOf(shape));
        int d = 2 * i.reg;
        long lo = c.xmm[d], hi = c.xmm[d + 1];
        switch (shape) {
            case 0 -> {
                lo = cmpPair(c, pred, lo, t[0]);
                hi = cmpPair(c, pred, hi, t[1]);
            }
            case 1 -> {
                lo = SseFp.cmpD(c, pred, lo, t[0]) ? -1L : 0;
                hi = SseFp.cmpD(c, pred, hi, t[1]) ? -1L : 0;
            }
            case 2 -> lo = (lo & ~LO32) | (SseFp.cmpS(c, pred, (int) lo, (int) t[0]) ? LO32 : 0);
            default -> lo = SseFp.cmpD(c, pred, lo, t[0]) ? -1L : 0;
        }
        SseFp.commit(c);
        c.xmm[d] = lo;
        c.xmm[d + 1] = hi;
    }

    private static long cmpPair(Cpu c, int pred, long a, long b) {
        long r0 = SseFp.cmpS(c, pred, (int) a, (int) b) ? LO32 : 0;
        long r1 = SseFp.cmpS(c, pred, (int) (a >>> 32), (int) (b >>> 32)) ? LO32 : 0;
        return r0 | r1 << 32;
    }

    static void comi(Cpu c, Insn i) {
        boolean dbl = (i.sub & 1) != 0;
        long[] t = c.sseTmp;
        Sse.loadN(c, i, t, 0, dbl ? 8 : 4);
        int f = SseFp.comi(c, dbl, (i.sub & 2) != 0, c.xmm[2 * i.reg], t[0]);
        SseFp.commit(c);
        c.setFlagsArith(f);
    }

    /** HADDPS/HSUBPS/HADDPD/HSUBPD: pairs of the destination, then pairs of the source. */
    static void horizontal(Cpu c, Insn i) {
        int kind = (i.sub & 4) != 0 ? SseFp.SUB : SseFp.ADD;
        long[] t = c.sseTmp;
        Sse.load128(c, i, t, 0);
        int d = 2 * i.reg;
        long a0 = c.xmm[d], a1 = c.xmm[d + 1], lo, hi;
        if ((i.sub & 1) != 0) {
            lo = SseFp.arithD(c, kind, a0, a1);
            hi = SseFp.arithD(c, kind, t[0], t[1]);
        } else {
            lo = hpair(c, kind, a0, a1);
            hi = hpair(c, kind, t[0], t[1]);
        }
        SseFp.commit(c);
        c.xmm[d] = lo;
        c.xmm[d + 1] = hi;
    }

    private static long hpair(Cpu c, int kind, long w0, long w1) {
        long r0 = SseFp.arithS(c, kind, (int) w0, (int) (w0 >>> 32)) & LO32;
        long r1 = SseFp.arithS(c, kind, (int) w1, (int) (w1 >>> 32)) & LO32;
        return r0 | r1 << 32;
    }

    /** ROUNDPS/PD/SS/SD: imm8 bits 0-1 the mode, bit 2 use MXCSR.RC, bit 3 suppress precision. */
    static void round(Cpu c, Insn i) {
        int shape = i.sub, imm = (int) i.imm;
        long[] t = c.sseTmp;
        Sse.loadN(c, i, t, 0, bytesOf(shape));
        int d = 2 * i.reg;
        long lo = c.xmm[d], hi = c.xmm[d + 1];
        switch (shape) {
            case 0 -> {
                lo = (SseFp.roundS(c, (int) t[0], imm) & LO32) | (long) SseFp.roundS(c, (int) (t[0] >>> 32), imm) << 32;
                hi = (SseFp.roundS(c, (int) t[1], imm) & LO32) | (long) SseFp.roundS(c, (int) (t[1] >>> 32), imm) << 32;
            }
            case 1 -> {
                lo = SseFp.roundD(c, t[0], imm);
                hi = SseFp.roundD(c, t[1], imm);
            }
            case 2 -> lo = (lo & ~LO32) | (SseFp.roundS(c, (int) t[0], imm) & LO32);
            default -> lo = SseFp.roundD(c, t[0], imm);
        }
        SseFp.commit(c);
        c.xmm[d] = lo;
        c.xmm[d + 1] = hi;
    }

    /** DPPS/DPPD: masked products, summed pairwise with rounding at every step, broadcast by mask. */
    static void dot(Cpu c, Insn i) {
        int imm = (int) i.imm;
        long[] t = c.sseTmp;
        Sse.load128(c, i, t, 0);
        int d = 2 * i.reg;
        long a0 = c.xmm[d], a1 = c.xmm[d + 1], lo = 0, hi = 0;
        if (i.sub == 0) {
            int p0 = dpLane(c, imm, 0, a0, t[0]), p1 = dpLane(c, imm, 1, a0, t[0]);
            int p2 = dpLane(c, imm, 2, a1, t[1]), p3 = dpLane(c, imm, 3, a1, t[1]);
            int s01 = SseFp.arithS(c, SseFp.ADD, p0, p1);
            int s23 = SseFp.arithS(c, SseFp.ADD, p2, p3);
            long r = SseFp.arithS(c, SseFp.ADD, s01, s23) & LO32;
            lo = ((imm & 1) != 0 ? r : 0) | ((imm & 2) != 0 ? r << 32 : 0);
            hi = ((imm & 4) != 0 ? r : 0) | ((imm & 8) != 0 ? r << 32 : 0);
        } else {
            long p0 = (imm & 0x10) != 0 ? SseFp.arithD(c, SseFp.MUL, a0, t[0]) : 0;
            long p1 = (imm & 0x20) != 0 ? SseFp.arithD(c, SseFp.MUL, a1, t[1]) : 0;
            long r = SseFp.arithD(c, SseFp.ADD, p0, p1);
            lo = (imm & 1) != 0 ? r : 0;
            hi = (imm & 2) != 0 ? r : 0;
        }
        SseFp.commit(c);
        c.xmm[d] = lo;
        c.xmm[d + 1] = hi;
    }

    private static int dpLane(Cpu c, int imm, int k, long a, long b) {
        int sh = (k & 1) * 32;
        return (imm >> (4 + k) & 1) != 0 ? SseFp.arithS(c, SseFp.MUL, (int) (a >>> sh), (int) (b >>> sh)) : 0;
    }

    /** RCPPS/RCPSS/RSQRTPS/RSQRTSS (no flags, no exceptions). */
    static void approx(Cpu c, Insn i) {
        boolean rsqrt = (i.sub & 4) != 0;
        boolean scalar = (i.sub & 3) == 2;
        long[] t = c.sseTmp;
        Sse.loadN(c, i, t, 0, scalar ? 4 : 16);
        int d = 2 * i.reg;
        if (scalar) {
            c.xmm[d] = (c.xmm[d] & ~LO32) | (SseFp.approx((int) t[0], rsqrt) & LO32);
            return;
        }
        for (int w = 0; w < 2; w++) {
            c.xmm[d + w] = (SseFp.approx((int) t[w], rsqrt) & LO32) | (long) SseFp.approx((int) (t[w] >>> 32), rsqrt) << 32;
        }
    }

    // ------------------------------------------------------------------ conversions

    static void convert(Cpu c, Insn i) {
        switch (i.sub) {
            case SseFp.CVTSI2SS, SseFp.CVTSI2SD -> fromInt(c, i);
            case SseFp.CVTSS2SI, SseFp.CVTTSS2SI, SseFp.CVTSD2SI, SseFp.CVTTSD2SI -> toInt(c, i);
            default -> packed(c, i);
        }
    }

    private static void fromInt(Cpu c, Insn i) {
        long v = i.mem ? c.read(c.ea(i), i.size) : c.reg(i.rm, i.size);
        if (i.size == 4) {
            v = (int) v;
        }
        int d = 2 * i.reg;
        long lo = c.xmm[d];
        if (i.sub == SseFp.CVTSI2SS) {
            lo = (lo & ~LO32) | (SseFp.intToSingle(c, v) & LO32);
        } else {
            lo = SseFp.intToDouble(c, v);
        }
        SseFp.commit(c);
        c.xmm[d] = lo;
    }

    private static void toInt(Cpu c, Insn i) {
        boolean dbl = i.sub >= SseFp.CVTSD2SI;
        boolean trunc = i.sub == SseFp.CVTTSS2SI || i.sub == SseFp.CVTTSD2SI;
        long[] t = c.sseTmp;
        Sse.loadN(c, i, t, 0, dbl ? 8 : 4);
        double x = dbl ? SseFp.doubleValue(c, t[0]) : SseFp.singleValue(c, (int) t[0]);
        long v = SseFp.toInt(c, x, trunc, i.size == 8);
        SseFp.commit(c);
        c.setReg(i.reg, i.size, v);
    }

    private static void packed(Cpu c, Insn i) {
        int sub = i.sub;
        boolean half = sub == SseFp.CVTPS2PD || sub == SseFp.CVTDQ2PD;
        long[] t = c.sseTmp;
        Sse.loadN(c, i, t, 0, sub == SseFp.CVTSS2SD ? 4 : sub == SseFp.CVTSD2SS || half ? 8 : 16);
        int d = 2 * i.reg;
        long lo = c.xmm[d], hi = c.xmm[d + 1];
        long s0 = t[0], s1 = t[1];
        switch (sub) {
            case SseFp.CVTPS2PD -> {
                lo = SseFp.singleToDouble(c, (int) s0);
                hi = SseFp.singleToDouble(c, (int) (s0 >>> 32));
            }
            case SseFp.CVTPD2PS -> {
                lo = (SseFp.doubleToSingle(c, s0) & LO32) | (long) SseFp.doubleToSingle(c, s1) << 32;
                hi = 0;
            }
            case SseFp.CVTDQ2PS -> {
                lo = (SseFp.intToSingle(c, (int) s0) & LO32) | (long) SseFp.intToSingle(c, (int) (s0 >>> 32)) << 32;
                hi = (SseFp.intToSingle(c, (int) s1) & LO32) | (long) SseFp.intToSingle(c, (int) (s1 >>> 32)) << 32;
            }
            case SseFp.CVTDQ2PD -> {
                lo = Double.doubleToRawLongBits((int) s0);
                hi = Double.doubleToRawLongBits((int) (s0 >>> 32));
            }
            case SseFp.CVTPS2DQ, SseFp.CVTTPS2DQ -> {
                boolean tr = sub == SseFp.CVTTPS2DQ;
                lo = singlesToInts(c, s0, tr);
                hi = singlesToInts(c, s1, tr);
            }
            case SseFp.CVTPD2DQ, SseFp.CVTTPD2DQ -> {
                lo = doublesToInts(c, s0, s1, sub == SseFp.CVTTPD2DQ);
                hi = 0;
            }
            case SseFp.CVTSS2SD -> lo = SseFp.singleToDouble(c, (int) s0);
            default -> lo = (lo & ~LO32) | (SseFp.doubleToSingle(c, s0) & LO32); // CVTSD2SS
        }
        SseFp.commit(c);
        c.xmm[d] = lo;
        c.xmm[d + 1] = hi;
    }

    private static long singlesToInts(Cpu c, long w, boolean trunc) {
        long r0 = SseFp.toInt(c, SseFp.singleValue(c, (int) w), trunc, false);
        long r1 = SseFp.toInt(c, SseFp.singleValue(c, (int) (w >>> 32)), trunc, false);
        return r0 | r1 << 32;
    }

    private static long doublesToInts(Cpu c, long a, long b, boolean trunc) {
        long r0 = SseFp.toInt(c, SseFp.doubleValue(c, a), trunc, false);
        long r1 = SseFp.toInt(c, SseFp.doubleValue(c, b), trunc, false);
        return r0 | r1 << 32;
    }

    /** CVTPI2PS/PD and CVT(T)PS2PI/PD2PI: MMX-register operands switch the FPU to MMX mode. */
    static void convertMmx(Cpu c, Insn i) {
        int d = 2 * i.reg;
        int sub = i.sub;
        if (sub == SseFp.CVTPI2PS || sub == SseFp.CVTPI2PD) {
            long v;
            if (i.mem) {
                v = c.read64(c.ea(i));
            } else {
                Mmx.enter(c);
                v = c.fpu.mantissa[i.rm & 7];
            }
            if (sub == SseFp.CVTPI2PS) {
                long lo = (SseFp.intToSingle(c, (int) v) & LO32) | (long) SseFp.intToSingle(c, (int) (v >>> 32)) << 32;
                SseFp.commit(c);
                c.xmm[d] = lo;
            } else {
                c.xmm[d] = Double.doubleToRawLongBits((int) v);
                c.xmm[d + 1] = Double.doubleToRawLongBits((int) (v >>> 32));
            }
            return;
        }
        boolean dbl = sub == SseFp.CVTPD2PI || sub == SseFp.CVTTPD2PI;
        boolean trunc = sub == SseFp.CVTTPS2PI || sub == SseFp.CVTTPD2PI;
        long[] t = c.sseTmp;
        Sse.loadN(c, i, t, 0, dbl ? 16 : 8);
        Mmx.enter(c);
        long r = dbl ? doublesToInts(c, t[0], t[1], trunc) : singlesToInts(c, t[0], trunc);
        SseFp.commit(c);
        Mmx.set(c, i.reg & 7, r);
    }
}
