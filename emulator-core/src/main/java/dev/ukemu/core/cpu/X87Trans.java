package dev.ukemu.core.cpu;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * The x87 constants and transcendental instructions: FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1,
 * FYL2X, FYL2XP1 (SDM vol. 2). Results are computed with {@link BigDecimal} to about 150 bits
 * and rounded once to the 64-bit significand with the current rounding mode (precision control
 * does not apply to these instructions). Like the hardware, FSIN/FCOS/FSINCOS/FPTAN reduce their
 * argument with a 66-bit approximation of pi and reject |x| >= 2^63 with C2 = 1.
 */
final class X87Trans {
    private X87Trans() {
    }

    static final MathContext MC = new MathContext(48, RoundingMode.HALF_EVEN);
    private static final BigDecimal TWO = BigDecimal.valueOf(2);
    /** Pi to 100 digits (for FPATAN and for building the series constants). */
    static final BigDecimal PI = new BigDecimal(
            "3.141592653589793238462643383279502884197169399375105820974944592307816406286208998628034825342117068");
    static final BigDecimal LN2 = new BigDecimal(
            "0.6931471805599453094172321214581765680755001343602552541206800094933936219696947156058633269964186875");
    /** The 66-bit pi of the x87 argument reduction: (0xC90FDAA22168C234C >> 2) × 2^-64. */
    static final BigDecimal PI66 = new BigDecimal(new BigInteger("C90FDAA22168C234C", 16).shiftRight(2))
            .multiply(BigDecimal.ONE.divide(BigDecimal.valueOf(2).pow(64)));

    // ------------------------------------------------------------------ constants

    /** Rounded-to-nearest significands of log2(10), log2(e), pi, log10(2), ln(2) (exponents below). */
    private static final long[] CONST_SIG = {
        Float80.INT_BIT, 0xD49A784BCD1B8AFEL, 0xB8AA3B295C17F0BCL, 0xC90FDAA22168C235L,
        0x9A209A84FBCFF799L, 0xB17217F7D1CF79ACL, 0
    };
    private static final int[] CONST_EXP = {0x3FFF, 0x4000, 0x3FFF, 0x4000, 0x3FFD, 0x3FFE, 0};
    /** +1 if the nearest value lies below the true constant (round up adds one), -1 if above. */
    private static final int[] CONST_DIR = {0, 1, -1, -1, -1, -1, 0};

    /** FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: the true constant rounded per RC, no PE. */
    static void loadConstant(Cpu c, int k) {
        X87State s = c.fpu;
        s.status &= ~X87.SW_C1;
        if (!X87.empty(s, 7)) {
            X87.overflow(s);
            return;
        }
        long m = CONST_SIG[k];
        int rc = (s.control >> 10) & 3;
        if (CONST_DIR[k] > 0 && rc == Float80.RC_UP) {
            m++;
        } else if (CONST_DIR[k] < 0 && (rc == Float80.RC_DOWN || rc == Float80.RC_ZERO)) {
            m--;
        }
        X87.push(s, CONST_EXP[k], m);
    }

    // ------------------------------------------------------------------ dispatch

    static void exec(Cpu c, int op) {
        X87State s = c.fpu;
        // Only the partial-tangent group reports C2; the others leave it as it was.
        s.status &= op == X87Op.FSIN || op == X87Op.FCOS || op == X87Op.FSINCOS || op == X87Op.FPTAN
                ? ~(X87.SW_C1 | X87.SW_C2) : ~X87.SW_C1;
        switch (op) {
            case X87Op.FSIN, X87Op.FCOS -> sinCos(c, op == X87Op.FSIN);
            case X87Op.FSINCOS, X87Op.FPTAN -> twoResults(c, op == X87Op.FPTAN);
            case X87Op.F2XM1 -> f2xm1(c);
            case X87Op.FPATAN, X87Op.FYL2X, X87Op.FYL2XP1 -> binary(c, op);
            default -> throw new IllegalStateException("not a transcendental x87 op: " + op);
        }
    }

    /** Operand checks shared by all: unsupported gives the indefinite, NaNs propagate. Returns true if handled. */
    private static boolean special(Float80 u, int se, long sig) {
        if (Float80.isUnsupported(se, sig)) {
            u.flags |= Float80.IE;
            u.se = Float80.INDEF_SE;
            u.sig = Float80.INDEF_SIG;
            return true;
        }
        if (Float80.isNaN(se, sig)) {
            u.propagateNaN(se, sig, se, sig);
            return true;
        }
        return false;
    }

    /** |x| >= 2^63 for a supported finite x: the partial-tangent group leaves it with C2 = 1. */
    private static boolean outOfRange(int se, long sig) {
        int e = se & 0x7FFF;
        return e >= 0x3FFF + 63 && e != 0x7FFF && sig < 0;
    }

    private static void sinCos(Cpu c, boolean sin) {
        X87State s = c.fpu;
        if (X87.empty(s, 0)) {
            X87.underflow(s, 0, false);
            return;
        }
        Float80 u = s.alu;
        int se = X87.se(s, 0);
        long sig = X87.sig(s, 0);
        if (outOfRange(se, sig)) {
            s.status |= X87.SW_C2;
            return;
        }
        if (!special(u, se, sig)) {
            if (Float80.isInf(se, sig)) {
                u.flags |= Float80.IE;
                u.se = Float80.INDEF_SE;
                u.sig = Float80.INDEF_SIG;
            } else {
                trig(u, se, sig, sin ? 0 : 1);
            }
        }
        if (X87.raise(s, u.flags, false)) {
            X87.writeResult(s, 0);
        }
    }

    /** FSINCOS (ST0 = sin, then push cos) and FPTAN (ST0 = tan, then push 1). */
    private static void twoResults(Cpu c, boolean tan) {
        X87State s = c.fpu;
        if (X87.empty(s, 0) || !X87.empty(s, 7)) {
            X87.raise(s, X87.empty(s, 0) ? Float80.IE | Float80.SF : Float80.IE | Float80.SF | Float80.C1, false);
            if (X87.masked(s, Float80.IE)) {
                X87.write(s, 0, Float80.INDEF_SE, Float80.INDEF_SIG);
                X87.push(s, Float80.INDEF_SE, Float80.INDEF_SIG);
            }
            return;
        }
        Float80 u = s.alu;
        int se = X87.se(s, 0);
        long sig = X87.sig(s, 0);
        if (outOfRange(se, sig)) {
            s.status |= X87.SW_C2;
            return;
        }
        int se2;
        long sig2;
        if (special(u, se, sig) || Float80.isInf(se, sig)) {
            if (Float80.isInf(se, sig)) {
                u.flags |= Float80.IE;
                u.se = Float80.INDEF_SE;
                u.sig = Float80.INDEF_SIG;
            }
            se2 = u.se;
            sig2 = u.sig;
        } else if (tan) {
            trig(u, se, sig, 2);
            se2 = 0x3FFF;
            sig2 = Float80.INT_BIT;
        } else {
            trig(u, se, sig, 1);
            se2 = u.se;
            sig2 = u.sig;
            trig(u, se, sig, 0);
        }
        if (X87.raise(s, u.flags, false)) {
            X87.writeResult(s, 0);
            X87.push(s, se2, sig2);
        }
    }

    /** fn: 0 sin, 1 cos, 2 tan of a finite operand. */
    private static void trig(Float80 u, int se, long sig, int fn) {
        if (sig == 0) {
            if (fn == 1) {
                u.se = 0x3FFF;
                u.sig = Float80.INT_BIT;
            } else {
                u.se = se;
                u.sig = 0;
            }
            return;
        }
        if ((se & 0x7FFF) == 0) {
            u.flags |= Float80.DE;
        }
        if ((se & 0x7FFF) < 0x3FFF - 40) {
            // |x| < 2^-40: sin x and tan x are x just inside and outside, cos x is just below 1.
            if (fn == 1) {
                nudge(u, 0x3FFF, Float80.INT_BIT, -1);
            } else {
                nudge(u, se, sig, fn == 2 ? 1 : -1);
            }
            return;
        }
        BigDecimal x = toBig(se, sig);
        BigDecimal half = PI66.divide(TWO);
        BigInteger k = BigInteger.ZERO;
        BigDecimal r = x;
        if (x.abs().compareTo(PI66.divide(BigDecimal.valueOf(4))) > 0) {
            k = x.divide(half, 0, RoundingMode.HALF_EVEN).toBigInteger();
            r = x.subtract(half.multiply(new BigDecimal(k)));
        }
        int q = k.intValue() & 3;
        BigDecimal v;
        if (fn == 2) {
            BigDecimal sn = sinSeries(r), cs = cosSeries(r);
            v = (q & 1) == 0 ? sn.divide(cs, MC) : cs.divide(sn, MC).negate();
        } else {
            int phase = (q + fn) & 3; // cos(r) = sin(r + pi/2)
            BigDecimal base = (phase & 1) == 0 ? sinSeries(r) : cosSeries(r);
            v = phase >= 2 ? base.negate() : base;
        }
        // For a tiny reduced argument the series keeps only its first term: sin and cos then lie
        // just inside it in magnitude, tan (even quadrant) just outside.
        int tail = fn == 2 && (q & 1) == 0 ? 1 : -1;
        round(u, v, (se & 0x8000) != 0 && fn != 1 && v.signum() == 0, tail);
    }

    /** Rounds a value just above ({@code dir} > 0) or just below (< 0) |x| in magnitude; x finite, non-zero. */
    static void nudge(Float80 u, int se, long sig, int dir) {
        int e = se & 0x7FFF;
        if (e == 0) {
            int n = Long.numberOfLeadingZeros(sig);
            sig <<= n;
            e = 1 - n;
        }
        boolean negative = (se & 0x8000) != 0;
        if (dir > 0) {
            u.roundPack(negative, e, sig, 1, 64);
        } else if (sig == Float80.INT_BIT) {
            u.roundPack(negative, e - 1, -1L, -1L, 64);
        } else {
            u.roundPack(negative, e, sig - 1, -1L, 64);
        }
    }

    static BigDecimal sinSeries(BigDecimal r) {
        BigDecimal r2 = r.multiply(r, MC);
        BigDecimal term = r, sum = r;
        for (int n = 1; n < 60; n++) {
            term = term.multiply(r2, MC).divide(BigDecimal.valueOf((2L * n) * (2L * n + 1)), MC).negate();
            sum = sum.add(term, MC);
            if (term.signum() == 0 || term.abs().compareTo(sum.abs().movePointLeft(MC.getPrecision() + 2)) < 0) {
                break;
            }
        }
        return sum;
    }

    static BigDecimal cosSeries(BigDecimal r) {
        BigDecimal r2 = r.multiply(r, MC);
        BigDecimal term = BigDecimal.ONE, sum = BigDecimal.ONE;
        for (int n = 1; n < 60; n++) {
            term = term.multiply(r2, MC).divide(BigDecimal.valueOf((2L * n - 1) * (2L * n)), MC).negate();
            sum = sum.add(term, MC);
            if (term.signum() == 0 || term.abs().compareTo(sum.abs().movePointLeft(MC.getPrecision() + 2)) < 0) {
                break;
            }
        }
        return sum;
    }

    // ------------------------------------------------------------------ F2XM1

    private static void f2xm1(Cpu c) {
        X87State s = c.fpu;
        if (X87.empty(s, 0)) {
            X87.underflow(s, 0, false);
            return;
        }
        Float80 u = s.alu;
        int se = X87.se(s, 0);
        long sig = X87.sig(s, 0);
        if (!special(u, se, sig)) {
            if (Float80.isInf(se, sig)) {
                u.se = (se & 0x8000) != 0 ? 0xBFFF : se;
                u.sig = Float80.INT_BIT;
            } else if (sig == 0) {
                u.se = se;
                u.sig = 0;
            } else {
                if ((se & 0x7FFF) == 0) {
                    u.flags |= Float80.DE;
                }
                f2xm1Finite(u, se, sig);
            }
        }
        if (X87.raise(s, u.flags, false)) {
            X87.writeResult(s, 0);
        }
    }

    private static void f2xm1Finite(Float80 u, int se, long sig) {
        if ((se & 0x7FFF) == 0x3FFF && sig == Float80.INT_BIT) {
            // 2^1 - 1 = 1 and 2^-1 - 1 = -1/2 exactly
            u.se = (se & 0x8000) != 0 ? 0xBFFE : 0x3FFF;
            u.sig = Float80.INT_BIT;
            return;
        }
        if ((se & 0x7FFF) > 0x3FFF + 14) {
            // Outside the architectural domain |x| <= 1 (undefined there): saturate cheaply.
            u.se = (se & 0x8000) != 0 ? 0xBFFF : 0x7FFF;
            u.sig = Float80.INT_BIT;
            u.flags |= Float80.PE;
            return;
        }
        // 2^x - 1 = x ln2 (1 + x ln2 / 2 + ...): just above x ln2 algebraically.
        BigDecimal z = toBig(se, sig).multiply(LN2, MC);
        round(u, expm1(z), false, z.signum());
    }

    /** e^z - 1 with relative precision for small z: halve z eight times, then square back. */
    static BigDecimal expm1(BigDecimal z) {
        int halvings = 8;
        BigDecimal w = z.divide(BigDecimal.valueOf(1L << halvings), MC);
        BigDecimal term = w, sum = w;
        for (int n = 2; n < 60; n++) {
            term = term.multiply(w, MC).divide(BigDecimal.valueOf(n), MC);
            sum = sum.add(term, MC);
            if (term.signum() == 0 || term.abs().compareTo(sum.abs().movePointLeft(MC.getPrecision() + 2)) < 0) {
                break;
            }
        }
        for (int k = 0; k < halvings; k++) {
            sum = sum.multiply(sum.add(TWO, MC), MC); // expm1(2w) = expm1(w) (expm1(w) + 2)
        }
        return sum;
    }

    // ------------------------------------------------------------------ FPATAN, FYL2X, FYL2XP1

    private static void binary(Cpu c, int op) {
        X87State s = c.fpu;
        if (X87.empty(s, 0) || X87.empty(s, 1)) {
            X87.underflow(s, 1, true);
            return;
        }
        Float80 u = s.alu;
        int xse = X87.se(s, 0), yse = X87.se(s, 1);
        long xsig = X87.sig(s, 0), ysig = X87.sig(s, 1);
        if (Float80.isUnsupported(xse, xsig) || Float80.isUnsupported(yse, ysig)) {
            u.flags |= Float80.IE;
            u.se = Float80.INDEF_SE;
            u.sig = Float80.INDEF_SIG;
        } else if (Float80.isNaN(xse, xsig) || Float80.isNaN(yse, ysig)) {
            u.propagateNaN(xse, xsig, yse, ysig);
        } else {
            switch (op) {
                case X87Op.FPATAN -> X87TransLog.atan2(u, yse, ysig, xse, xsig);
                case X87Op.FYL2X -> X87TransLog.yl2x(u, yse, ysig, xse, xsig);
                default -> X87TransLog.yl2xp1(u, yse, ysig, xse, xsig);
            }
        }
        if (X87.raise(s, u.flags, false)) {
            X87.write(s, 1, u.se, u.sig);
            X87.pop(s);
        }
    }

    // ------------------------------------------------------------------ big-number conversion

    /** The exact value of a finite 80-bit number (to {@link #MC} precision for tiny exponents). */
    static BigDecimal toBig(int se, long sig) {
        int e = se & 0x7FFF;
        if (e == 0) {
            e = 1;
        }
        BigDecimal m = new BigDecimal(Float80.unsigned(sig));
        int p = e - 0x3FFF - 63;
        // Exact within the range of the trigonometric arguments, rounded to MC beyond it.
        BigDecimal v = p >= 0 ? (p <= 200 ? m.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(p)))
                : m.multiply(TWO.pow(p, MC), MC))
                : p >= -200 ? m.divide(new BigDecimal(BigInteger.ONE.shiftLeft(-p)))
                : m.divide(TWO.pow(-p, MC), MC);
        return (se & 0x8000) != 0 ? v.negate() : v;
    }

    /**
     * Rounds a non-zero value (or ±0 when zero) to the 64-bit significand per RC, with PE, C1, OE,
     * UE. {@code tail} tells on which side of {@code v} the true value lies when {@code v} came out
     * exact only because the working precision dropped a tiny correction term: +1 larger in
     * magnitude, -1 smaller, 0 exact.
     */
    static void round(Float80 u, BigDecimal v, boolean negZero, int tail) {
        int sgn = v.signum();
        if (sgn == 0) {
            u.se = negZero ? 0x8000 : 0;
            u.sig = 0;
            return;
        }
        BigDecimal a = v.abs();
        // e = floor(log2 a), estimated from the unscaled value and the decimal scale, then corrected.
        int e = (int) Math.floor(a.unscaledValue().bitLength() - 1 - a.scale() * 3.321928094887362);
        if (e + 0x3FFF < -Float80.BIAS_ADJUST - 200 || e + 0x3FFF > 0x7FFF + Float80.BIAS_ADJUST + 200) {
            // Far outside even the bias-adjusted range: no need for the digits.
            u.roundPack(sgn < 0, e + 0x3FFF, Float80.INT_BIT, 1, 64);
            return;
        }
        BigInteger[] qr = scaleExactly(a, 127 - e);
        for (int k = 0; k < 4 && qr[0].bitLength() != 128; k++) {
            e += qr[0].bitLength() - 128;
            qr = scaleExactly(a, 127 - e);
        }
        BigInteger n = qr[0];
        boolean sticky = qr[1].signum() != 0;
        if (!sticky && tail != 0) {
            sticky = true;
            if (tail < 0) {
                n = n.subtract(BigInteger.ONE);
                if (n.bitLength() < 128) {
                    n = n.shiftLeft(1).or(BigInteger.ONE);
                    e--;
                }
            }
        }
        long hi = n.shiftRight(64).longValue();
        long lo = n.longValue() | (sticky ? 1 : 0);
        u.roundPack(sgn < 0, e + 0x3FFF, hi, lo, 64);
    }

    /** floor(a × 2^s) and the remainder, exactly. */
    private static BigInteger[] scaleExactly(BigDecimal a, int s) {
        BigInteger num = a.unscaledValue();
        BigInteger den = BigInteger.ONE;
        int scale = a.scale();
        if (scale > 0) {
            den = BigInteger.TEN.pow(scale);
        } else if (scale < 0) {
            num = num.multiply(BigInteger.TEN.pow(-scale));
        }
        if (s >= 0) {
            num = num.shiftLeft(s);
        } else {
            den = den.shiftLeft(-s);
        }
        return num.divideAndRemainder(den);
    }
}
