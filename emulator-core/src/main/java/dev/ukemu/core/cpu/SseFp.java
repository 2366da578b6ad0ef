package dev.ukemu.core.cpu;

/**
 * IEEE 754 binary32/binary64 arithmetic under MXCSR (SDM vol. 1, 10.2.3 and 11.5): the four
 * rounding modes, the six exception flags, DAZ, FTZ, the SSE NaN rules and the integer
 * indefinite. Java arithmetic rounds to nearest only, so each operation is computed in double
 * together with the sign of its exact error (a residual from {@link Math#fma} or TwoSum), and
 * {@link #round} rounds that exact value to the destination format in any mode. Binary32 needs
 * no more than that: its operations are exact or innocuously double-rounded in binary64.
 * Binary64 operands that would lose bits (tiny or huge exponents) are first scaled to [1, 2)
 * and the exponent is added back in {@link #round}, where range, tininess and subnormals are
 * handled once for every instruction. Flags collect in {@link Cpu#mxFlags} and reach MXCSR in
 * {@link #commit} before the destination is written.
 */
final class SseFp {
    private SseFp() {
    }

    // MXCSR bits (SDM vol. 1, 10.2.3).
    static final int IE = 1, DE = 2, ZE = 4, OE = 8, UE = 0x10, PE = 0x20, DAZ = 0x40, FTZ = 0x8000;
    static final int RN = 0, RD = 1, RU = 2, RZ = 3;

    // Arithmetic kinds (Insn.sub >> 2 of SseOp.FP_ARITH).
    static final int ADD = 0, SUB = 1, MUL = 2, DIV = 3, MIN = 4, MAX = 5, SQRT = 6, ADDSUB = 7;

    // Conversions (Insn.sub of SseOp.CVT and SseOp.CVT_MMX).
    static final int CVTSI2SS = 0, CVTSI2SD = 1, CVTSS2SI = 2, CVTTSS2SI = 3, CVTSD2SI = 4, CVTTSD2SI = 5,
            CVTPS2PD = 6, CVTPD2PS = 7, CVTDQ2PS = 8, CVTDQ2PD = 9, CVTPS2DQ = 10, CVTTPS2DQ = 11, CVTPD2DQ = 12,
            CVTTPD2DQ = 13, CVTSS2SD = 14, CVTSD2SS = 15,
            CVTPI2PS = 0, CVTPI2PD = 1, CVTPS2PI = 2, CVTTPS2PI = 3, CVTPD2PI = 4, CVTTPD2PI = 5;

    /** QNaN floating-point indefinite (SDM vol. 1, 4.8.3.7). */
    static final int NAN_S = 0xFFC00000;
    static final long NAN_D = 0xFFF8000000000000L;
    static final int QUIET_S = 0x00400000;
    static final long QUIET_D = 0x0008000000000000L;

    private static final double TWO_M960 = 0x1p-960, TWO_P960 = 0x1p960;

    static int mode(Cpu c) {
        return (c.mxcsr >>> 13) & 3;
    }

    /** Moves the collected flags into MXCSR; raises #XM (or #UD without CR4.OSXMMEXCPT) if one is unmasked. */
    static void commit(Cpu c) {
        int f = c.mxFlags;
        if (f == 0) {
            return;
        }
        c.mxFlags = 0;
        int unmasked = f & ~(c.mxcsr >>> 7) & 0x3F;
        if ((unmasked & (IE | DE | ZE)) != 0) {
            f &= IE | DE | ZE; // a pre-computation exception stops the computation
        }
        c.mxcsr |= f;
        if (unmasked != 0) {
            throw (c.cr4 & Cpu.CR4_OSXMMEXCPT) != 0 ? CpuException.fault(CpuException.XM) : CpuException.ud();
        }
    }

    // ------------------------------------------------------------------ classification

    static boolean isNaN(int a) {
        return (a & 0x7FFFFFFF) > 0x7F800000;
    }

    static boolean isNaN(long a) {
        return (a & Long.MAX_VALUE) > 0x7FF0000000000000L;
    }

    static boolean isSNaN(int a) {
        return isNaN(a) && (a & QUIET_S) == 0;
    }

    static boolean isSNaN(long a) {
        return isNaN(a) && (a & QUIET_D) == 0;
    }

    static boolean isDenormal(int a) {
        return (a & 0x7F800000) == 0 && (a & 0x7FFFFF) != 0;
    }

    static boolean isDenormal(long a) {
        return (a & 0x7FF0000000000000L) == 0 && (a & 0xFFFFFFFFFFFFFL) != 0;
    }

    /** Applies DAZ to an input and flags DE for a remaining denormal. */
    static int in(Cpu c, int a) {
        if (isDenormal(a)) {
            if ((c.mxcsr & DAZ) != 0) {
                return a & 0x80000000;
            }
            c.mxFlags |= DE;
        }
        return a;
    }

    static long in(Cpu c, long a) {
        if (isDenormal(a)) {
            if ((c.mxcsr & DAZ) != 0) {
                return a & Long.MIN_VALUE;
            }
            c.mxFlags |= DE;
        }
        return a;
    }

    /** DAZ without the denormal flag (instructions that never signal DE). */
    static int daz(Cpu c, int a) {
        return (c.mxcsr & DAZ) != 0 && isDenormal(a) ? a & 0x80000000 : a;
    }

    static long daz(Cpu c, long a) {
        return (c.mxcsr & DAZ) != 0 && isDenormal(a) ? a & Long.MIN_VALUE : a;
    }

    /** The SSE rule for two operands: the first NaN (quieted) wins; an SNaN signals IE. */
    static int nan(Cpu c, int a, int b) {
        if (isSNaN(a) || isSNaN(b)) {
            c.mxFlags |= IE;
        }
        return (isNaN(a) ? a : b) | QUIET_S;
    }

    static long nan(Cpu c, long a, long b) {
        if (isSNaN(a) || isSNaN(b)) {
            c.mxFlags |= IE;
        }
        return (isNaN(a) ? a : b) | QUIET_D;
    }

    // ------------------------------------------------------------------ rounding

    private static boolean roundsUp(long kept, long rem, long half, boolean sticky, boolean neg, int mode) {
        return switch (mode) {
            case RN -> rem > half || (rem == half && (sticky || (kept & 1) != 0));
            case RD -> neg && (rem != 0 || sticky);
            case RU -> !neg && (rem != 0 || sticky);
            default -> false;
        };
    }

    /**
     * Rounds {@code m * 2^e} (plus, if {@code sticky}, a nonzero amount below the last bit of m)
     * to binary64 ({@code dbl}) or binary32 in {@code mode}, with overflow, tininess after
     * rounding, FTZ and the flags. Returns the raw bits; m must be nonzero.
     */
    static long round(Cpu c, boolean neg, long m, int e, boolean sticky, boolean dbl, int mode) {
        int p = dbl ? 53 : 24;
        int emin = dbl ? -1022 : -126;
        int n = 64 - Long.numberOfLeadingZeros(m);
        if (n > 62) {
            sticky |= (m & ((1L << (n - 62)) - 1)) != 0;
            m >>>= n - 62;
            e += n - 62;
        } else {
            m <<= 62 - n;
            e -= 62 - n;
        }
        int top = e + 61; // exponent of the leading bit
        int shift = 62 - p;
        boolean tiny = false;
        if (top < emin) {
            if (top < emin - 1) {
                tiny = true;
            } else {
                long k = m >>> shift;
                boolean up = roundsUp(k, m & ((1L << shift) - 1), 1L << (shift - 1), sticky, neg, mode);
                tiny = !(up && k + 1 == 1L << p);
            }
            shift += emin - top;
        }
        long kept, rem, half;
        if (shift > 62) {
            kept = 0;
            rem = 1; // nonzero and below half
            half = 2;
        } else {
            kept = m >>> shift;
            rem = m & ((1L << shift) - 1);
            half = 1L << (shift - 1);
        }
        boolean inexact = rem != 0 || sticky;
        if (roundsUp(kept, rem, half, sticky, neg, mode)) {
            kept++;
        }
        long bits = top < emin ? kept : ((long) (top + (dbl ? 1023 : 127) - 1) << (p - 1)) + kept;
        long inf = dbl ? 0x7FF0000000000000L : 0x7F800000L;
        int f = 0;
        if (top > (dbl ? 1023 : 127) || bits >= inf) {
            f = OE | PE;
            boolean toInf = mode == RN || (mode == RU && !neg) || (mode == RD && neg);
            bits = toInf ? inf : inf - 1;
        } else if (tiny) {
            boolean masked = (c.mxcsr & 0x800) != 0;
            if (masked && (c.mxcsr & FTZ) != 0) {
                f = UE | PE;
                bits = 0;
            } else if (inexact || !masked) {
                f = UE | (inexact ? PE : 0);
            }
        } else if (inexact) {
            f = PE;
        }
        c.mxFlags |= f;
        if (neg) {
            bits |= dbl ? Long.MIN_VALUE : 0x80000000L;
        }
        return bits;
    }

    /**
     * Rounds {@code d * 2^scale} plus an infinitesimal of sign {@code dir}, for a finite nonzero d
     * that carries the leading bits of an exact result whose remainder has sign dir.
     */
    static long roundDir(Cpu c, double d, int dir, int scale, boolean dbl) {
        long bits = Double.doubleToRawLongBits(d);
        boolean neg = bits < 0;
        int be = (int) (bits >>> 52) & 0x7FF;
        long m = bits & 0xFFFFFFFFFFFFFL;
        int e;
        if (be == 0) {
            e = -1074;
        } else {
            m |= 1L << 52;
            e = be - 1075;
        }
        e += scale;
        int mdir = neg ? -dir : dir;
        if (mdir == 0) {
            return round(c, neg, m, e, false, dbl, mode(c));
        }
        m <<= 2;
        e -= 2;
        if (mdir < 0) {
            m--;
        }
        return round(c, neg, m, e, true, dbl, mode(c));
    }

    /** Rounds an exact double result (no error term) to binary32. */
    private static int toSingle(Cpu c, double d, int dir) {
        float f = (float) d;
        if (mode(c) == RN && Math.abs(f) >= Float.MIN_NORMAL && f != Float.POSITIVE_INFINITY && f != Float.NEGATIVE_INFINITY) {
            if (f != d || dir != 0) {
                c.mxFlags |= PE;
            }
            return Float.floatToRawIntBits(f);
        }
        if (dir == 0 && f == d && Math.abs(f) >= Float.MIN_NORMAL) {
            return Float.floatToRawIntBits(f);
        }
        return (int) roundDir(c, d, dir, 0, false);
    }

    private static int sign(double x) {
        return x > 0 ? 1 : x < 0 ? -1 : 0;
    }

    /**
     * The exact error of {@code s = a + b} (Fast2Sum on the operands ordered by magnitude: unlike
     * TwoSum its intermediates cannot overflow while s is finite).
     */
    private static double twoSumErr(double a, double b, double s) {
        return Math.abs(a) >= Math.abs(b) ? b - (s - a) : a - (s - b);
    }

    // ------------------------------------------------------------------ binary32 arithmetic

    static int arithS(Cpu c, int kind, int a, int b) {
        if (isNaN(a) || isNaN(b)) {
            return nan(c, a, b);
        }
        if (kind == DIV && (daz(c, b) & 0x7FFFFFFF) == 0 && (daz(c, a) & 0x7FFFFFFF) != 0 && (a & 0x7FFFFFFF) != 0x7F800000) {
            c.mxFlags |= ZE; // divide-by-zero outranks denormal: no DE
            return (a ^ b) & 0x80000000 | 0x7F800000;
        }
        a = in(c, a);
        b = in(c, b);
        double x = Float.intBitsToFloat(a), y = Float.intBitsToFloat(b);
        double d;
        int dir = 0;
        switch (kind) {
            case ADD -> {
                d = x + y;
                dir = sign(twoSumErr(x, y, d));
            }
            case SUB -> {
                d = x - y;
                dir = sign(twoSumErr(x, -y, d));
            }
            case MUL -> d = x * y;
            default -> {
                if (y == 0 && x == x && x != 0 && !Double.isInfinite(x)) {
                    c.mxFlags |= ZE;
                }
                d = x / y;
                if (d != 0 && !Double.isInfinite(d) && d == d) {
                    dir = sign(Math.fma(-d, y, x)) * sign(y);
                }
            }
        }
        if (d != d) {
            c.mxFlags |= IE;
            return NAN_S;
        }
        if (d == 0) {
            return zeroSum(c, kind, a < 0, b < 0) ? 0x80000000 : Float.floatToRawIntBits((float) d);
        }
        if (Double.isInfinite(d)) {
            return Float.floatToRawIntBits((float) d);
        }
        return toSingle(c, d, dir);
    }

    /**
     * True when an exact zero sum must be -0 although Java gives +0: rounding down, where only
     * +0 + +0 (and +0 - -0) stay positive.
     */
    private static boolean zeroSum(Cpu c, int kind, boolean aNeg, boolean bNeg) {
        if ((kind != ADD && kind != SUB) || mode(c) != RD) {
            return false;
        }
        return aNeg || (kind == ADD ? bNeg : !bNeg);
    }

    static int sqrtS(Cpu c, int a) {
        if (isNaN(a)) {
            return nan(c, a, a);
        }
        if (a < 0 && daz(c, a) != 0x80000000) {
            c.mxFlags |= IE; // invalid outranks denormal: no DE
            return NAN_S;
        }
        a = in(c, a);
        double x = Float.intBitsToFloat(a);
        if (x == 0) {
            return a;
        }
        if (Double.isInfinite(x)) {
            return a;
        }
        double d = Math.sqrt(x);
        return toSingle(c, d, sign(Math.fma(-d, d, x)));
    }

    static int minMaxS(Cpu c, boolean max, int a, int b) {
        if (isNaN(a) || isNaN(b)) {
            c.mxFlags |= IE;
            return daz(c, b); // the second operand, as DAZ made it
        }
        a = in(c, a);
        b = in(c, b);
        float x = Float.intBitsToFloat(a), y = Float.intBitsToFloat(b);
        return (max ? x > y : x < y) ? a : b;
    }

    // ------------------------------------------------------------------ binary64 arithmetic

    private static boolean safe(double x) {
        double ax = Math.abs(x);
        return ax >= TWO_M960 && ax <= TWO_P960;
    }

    static long arithD(Cpu c, int kind, long a, long b) {
        if (isNaN(a) || isNaN(b)) {
            return nan(c, a, b);
        }
        if (kind == DIV && (daz(c, b) & Long.MAX_VALUE) == 0 && (daz(c, a) & Long.MAX_VALUE) != 0
                && (a & Long.MAX_VALUE) != 0x7FF0000000000000L) {
            c.mxFlags |= ZE;
            return (a ^ b) & Long.MIN_VALUE | 0x7FF0000000000000L;
        }
        a = in(c, a);
        b = in(c, b);
        double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b);
        double d;
        switch (kind) {
            case ADD, SUB -> {
                double ys = kind == ADD ? y : -y;
                d = x + ys;
                if (d != d) {
                    break;
                }
                if (d == 0) {
                    return zeroSum(c, kind, a < 0, b < 0) ? Long.MIN_VALUE : Double.doubleToRawLongBits(d);
                }
                if (Double.isInfinite(d)) {
                    if (Double.isInfinite(x) || Double.isInfinite(y)) {
                        return Double.doubleToRawLongBits(d);
                    }
                    double xs = x * 0.25, yq = ys * 0.25, q = xs + yq;
                    return roundDir(c, q, sign(twoSumErr(xs, yq, q)), 2, true);
                }
                return finishD(c, d, sign(twoSumErr(x, ys, d)), 0);
            }
            case MUL -> {
                d = x * y;
                if (d != d || x == 0 || y == 0 || Double.isInfinite(x) || Double.isInfinite(y)) {
                    break;
                }
                if (safe(x) && safe(y) && safe(d)) {
                    return finishD(c, d, sign(Math.fma(x, y, -d)), 0);
                }
                int ex = exponent(x), ey = exponent(y);
                double xs = Math.scalb(x, -ex), ys = Math.scalb(y, -ey), p = xs * ys;
                return roundDir(c, p, sign(Math.fma(xs, ys, -p)), ex + ey, true);
            }
            default -> {
                if (y == 0 && x == x && x != 0 && !Double.isInfinite(x)) {
                    c.mxFlags |= ZE;
                }
                d = x / y;
                if (d != d || x == 0 || y == 0 || Double.isInfinite(x) || Double.isInfinite(y)) {
                    break;
                }
                if (safe(x) && safe(y) && safe(d)) {
                    return finishD(c, d, sign(Math.fma(-d, y, x)) * sign(y), 0);
                }
                int ex = exponent(x), ey = exponent(y);
                double xs = Math.scalb(x, -ex), ys = Math.scalb(y, -ey), q = xs / ys;
                return roundDir(c, q, sign(Math.fma(-q, ys, xs)) * sign(ys), ex - ey, true);
            }
        }
        if (d != d) {
            c.mxFlags |= IE;
            return NAN_D;
        }
        return Double.doubleToRawLongBits(d);
    }

    /** Unbiased exponent of a finite nonzero double, subnormals included. */
    private static int exponent(double x) {
        int e = Math.getExponent(x);
        if (e == Double.MIN_EXPONENT - 1) {
            e = Math.getExponent(x * 0x1p64) - 64;
        }
        return e;
    }

    private static long finishD(Cpu c, double d, int dir, int scale) {
        if (Math.abs(d) >= Double.MIN_NORMAL && Math.abs(d) < Double.MAX_VALUE && (dir == 0 || mode(c) == RN)) {
            if (dir != 0) {
                c.mxFlags |= PE;
            }
            return Double.doubleToRawLongBits(d);
        }
        return roundDir(c, d, dir, scale, true);
    }

    static long sqrtD(Cpu c, long a) {
        if (isNaN(a)) {
            return nan(c, a, a);
        }
        if (a < 0 && daz(c, a) != Long.MIN_VALUE) {
            c.mxFlags |= IE;
            return NAN_D;
        }
        a = in(c, a);
        double x = Double.longBitsToDouble(a);
        if (x == 0) {
            return a;
        }
        if (Double.isInfinite(x)) {
            return a;
        }
        int ex = exponent(x) & ~1;
        double xs = Math.scalb(x, -ex), d = Math.sqrt(xs);
        return roundDir(c, d, sign(Math.fma(-d, d, xs)), ex / 2, true);
    }

    static long minMaxD(Cpu c, boolean max, long a, long b) {
        if (isNaN(a) || isNaN(b)) {
            c.mxFlags |= IE;
            return daz(c, b);
        }
        a = in(c, a);
        b = in(c, b);
        double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b);
        return (max ? x > y : x < y) ? a : b;
    }

    // ------------------------------------------------------------------ comparisons

    /** CMPPS/CMPSS predicate 0-7 on binary32; all ones or zero. */
    static boolean cmpS(Cpu c, int pred, int a, int b) {
        if (isNaN(a) || isNaN(b)) {
            if (isSNaN(a) || isSNaN(b) || (pred & 3) == 1 || (pred & 3) == 2) {
                c.mxFlags |= IE;
            }
            return (pred & 3) == 3 ? pred == 3 : pred >= 4;
        }
        a = in(c, a);
        b = in(c, b);
        float x = Float.intBitsToFloat(a), y = Float.intBitsToFloat(b);
        return cmpOrdered(pred, Float.compare(x == 0 ? 0f : x, y == 0 ? 0f : y));
    }

    static boolean cmpD(Cpu c, int pred, long a, long b) {
        if (isNaN(a) || isNaN(b)) {
            if (isSNaN(a) || isSNaN(b) || (pred & 3) == 1 || (pred & 3) == 2) {
                c.mxFlags |= IE;
            }
            return (pred & 3) == 3 ? pred == 3 : pred >= 4;
        }
        a = in(c, a);
        b = in(c, b);
        double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b);
        return cmpOrdered(pred, Double.compare(x == 0 ? 0d : x, y == 0 ? 0d : y));
    }

    private static boolean cmpOrdered(int pred, int cmp) {
        boolean r = switch (pred & 3) {
            case 0 -> cmp == 0;
            case 1 -> cmp < 0;
            case 2 -> cmp <= 0;
            default -> false; // unordered
        };
        return pred >= 4 ? !r : r;
    }

    /** COMISS/UCOMISS: the ZF, PF, CF pattern; OF, SF, AF cleared. */
    static int comi(Cpu c, boolean dbl, boolean signaling, long a, long b) {
        boolean nanA = dbl ? isNaN(a) : isNaN((int) a), nanB = dbl ? isNaN(b) : isNaN((int) b);
        if (nanA || nanB) {
            boolean snan = dbl ? isSNaN(a) || isSNaN(b) : isSNaN((int) a) || isSNaN((int) b);
            if (signaling || snan) {
                c.mxFlags |= IE;
            }
            return LazyFlags.ZF | LazyFlags.PF | LazyFlags.CF;
        }
        int cmp;
        if (dbl) {
            cmp = Double.compare(Double.longBitsToDouble(in(c, a)) + 0.0, Double.longBitsToDouble(in(c, b)) + 0.0);
        } else {
            cmp = Float.compare(Float.intBitsToFloat(in(c, (int) a)) + 0f, Float.intBitsToFloat(in(c, (int) b)) + 0f);
        }
        return cmp == 0 ? LazyFlags.ZF : cmp < 0 ? LazyFlags.CF : 0;
    }

    // ------------------------------------------------------------------ conversions

    static long singleToDouble(Cpu c, int a) {
        if (isNaN(a)) {
            if (isSNaN(a)) {
                c.mxFlags |= IE;
            }
            return ((long) (a & 0x80000000) << 32) | 0x7FF8000000000000L | ((long) (a & 0x3FFFFF) << 29);
        }
        a = in(c, a);
        return Double.doubleToRawLongBits(Float.intBitsToFloat(a));
    }

    static int doubleToSingle(Cpu c, long a) {
        if (isNaN(a)) {
            if (isSNaN(a)) {
                c.mxFlags |= IE;
            }
            return (int) (a >>> 32 & 0x80000000L) | 0x7FC00000 | (int) (a >>> 29 & 0x3FFFFF);
        }
        a = in(c, a);
        double x = Double.longBitsToDouble(a);
        if (x == 0 || Double.isInfinite(x)) {
            return Float.floatToRawIntBits((float) x);
        }
        return toSingle(c, x, 0);
    }

    static int intToSingle(Cpu c, long v) {
        if (v == 0) {
            return 0;
        }
        boolean neg = v < 0;
        long m = neg ? -v : v;
        if (m >= 0 && m < (1L << 24)) {
            return Float.floatToRawIntBits(v);
        }
        return (int) round(c, neg, m, 0, false, false, mode(c));
    }

    static long intToDouble(Cpu c, long v) {
        if (v == 0) {
            return 0;
        }
        boolean neg = v < 0;
        long m = neg ? -v : v;
        if (m >= 0 && m < (1L << 53)) {
            return Double.doubleToRawLongBits(v);
        }
        return round(c, neg, m, 0, false, true, mode(c));
    }

    /** Rounds x to an integral value in {@code mode}. */
    static double roundIntegral(double x, int mode) {
        return switch (mode) {
            case RN -> Math.rint(x);
            case RD -> Math.floor(x);
            case RU -> Math.ceil(x);
            default -> x < 0 ? Math.ceil(x) : Math.floor(x);
        };
    }

    /** CVT(T)SS2SI, CVT(T)SD2SI and the packed forms: the integer indefinite on NaN or overflow. */
    static long toInt(Cpu c, double x, boolean truncate, boolean wide) {
        long indefinite = wide ? Long.MIN_VALUE : 0x80000000L;
        if (x != x) {
            c.mxFlags |= IE;
            return indefinite;
        }
        double r = roundIntegral(x, truncate ? RZ : mode(c));
        boolean fits = wide ? r >= -0x1p63 && r < 0x1p63 : r >= -0x1p31 && r <= 0x1p31 - 1;
        if (!fits) {
            c.mxFlags |= IE;
            return indefinite;
        }
        if (r != x) {
            c.mxFlags |= PE;
        }
        long v = (long) r;
        return wide ? v : v & 0xFFFFFFFFL;
    }

    static double singleValue(Cpu c, int a) {
        return Float.intBitsToFloat(daz(c, a));
    }

    static double doubleValue(Cpu c, long a) {
        return Double.longBitsToDouble(daz(c, a));
    }

    // ------------------------------------------------------------------ ROUNDPS/PD/SS/SD

    static int roundS(Cpu c, int a, int imm) {
        if (isNaN(a)) {
            return nan(c, a, a);
        }
        a = daz(c, a);
        double x = Float.intBitsToFloat(a);
        double r = roundIntegral(x, (imm & 4) != 0 ? mode(c) : imm & 3);
        if (r != x && (imm & 8) == 0) {
            c.mxFlags |= PE;
        }
        return Float.floatToRawIntBits((float) r);
    }

    static long roundD(Cpu c, long a, int imm) {
        if (isNaN(a)) {
            return nan(c, a, a);
        }
        a = daz(c, a);
        double x = Double.longBitsToDouble(a);
        double r = roundIntegral(x, (imm & 4) != 0 ? mode(c) : imm & 3);
        if (r != x && (imm & 8) == 0) {
            c.mxFlags |= PE;
        }
        return Double.doubleToRawLongBits(r);
    }

    // ------------------------------------------------------------------ RCPPS / RSQRTPS

    /**
     * Approximate reciprocal (square root): the architecture promises a relative error of at most
     * 1.5 * 2^-12; ukemu returns the correctly rounded value. Denormal inputs count as zero,
     * tiny results flush to zero, and no flag is ever set.
     */
    static int approx(int a, boolean rsqrt) {
        if (isNaN(a)) {
            return a | QUIET_S;
        }
        int sign = a & 0x80000000;
        if ((a & 0x7F800000) == 0) {
            return sign | 0x7F800000;
        }
        float x = Float.intBitsToFloat(a);
        if (rsqrt && sign != 0) {
            return NAN_S;
        }
        if (Float.isInfinite(x)) {
            return sign;
        }
        float r = rsqrt ? (float) (1 / Math.sqrt(x)) : (float) (1 / (double) x);
        if (Math.abs(r) < Float.MIN_NORMAL) {
            return sign;
        }
        return Float.floatToRawIntBits(r);
    }
}
