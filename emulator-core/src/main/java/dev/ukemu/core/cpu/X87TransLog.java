package dev.ukemu.core.cpu;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * FPATAN, FYL2X and FYL2XP1 on supported, non-NaN operands, including the special cases of the
 * SDM's result tables (zeros, infinities, x = 1, negative logarithm arguments).
 */
final class X87TransLog {
    private X87TransLog() {
    }

    private static final MathContext MC = X87Trans.MC;
    private static final BigDecimal TWO = BigDecimal.valueOf(2);

    private static void setInf(Float80 u, boolean negative) {
        u.se = negative ? 0xFFFF : 0x7FFF;
        u.sig = Float80.INT_BIT;
    }

    private static void setZero(Float80 u, boolean negative) {
        u.se = negative ? 0x8000 : 0;
        u.sig = 0;
    }

    private static void denormals(Float80 u, int yse, long ysig, int xse, long xsig) {
        if (Float80.isDenormal(xse, xsig) || Float80.isDenormal(yse, ysig)) {
            u.flags |= Float80.DE;
        }
    }

    private static void invalid(Float80 u) {
        u.flags |= Float80.IE;
        u.se = Float80.INDEF_SE;
        u.sig = Float80.INDEF_SIG;
    }

    /** atan(y / x) in the quadrant of (x, y). */
    static void atan2(Float80 u, int yse, long ysig, int xse, long xsig) {
        boolean ys = (yse & 0x8000) != 0, xs = (xse & 0x8000) != 0;
        boolean yInf = Float80.isInf(yse, ysig), xInf = Float80.isInf(xse, xsig);
        denormals(u, yse, ysig, xse, xsig);
        BigDecimal pi = X87Trans.PI;
        BigDecimal r;
        if (ysig == 0) {
            if (!xs) {
                setZero(u, ys);
                return;
            }
            r = pi;
        } else if (yInf) {
            r = xInf ? (xs ? pi.multiply(BigDecimal.valueOf(3)).divide(BigDecimal.valueOf(4), MC)
                    : pi.divide(BigDecimal.valueOf(4), MC)) : pi.divide(TWO, MC);
        } else if (xInf) {
            if (!xs) {
                setZero(u, ys);
                return;
            }
            r = pi;
        } else if (xsig == 0) {
            r = pi.divide(TWO, MC);
        } else {
            if (!xs && (yse & 0x7FFF) != 0 && (xse & 0x7FFF) - (yse & 0x7FFF) > 66) {
                // t = y/x < 2^-66: atan(t) = t (1 - t^2/3 ...) with a correction below any rounding
                // distance of the quotient, so t rounds like atan(t), nudged inward when exact.
                int saved = u.control;
                u.control |= 0x300;
                u.div(yse, ysig, xse, xsig);
                u.control = saved;
                if ((u.flags & Float80.PE) == 0) {
                    X87Trans.nudge(u, u.se, u.sig, -1);
                }
                return;
            }
            BigDecimal t = X87Trans.toBig(yse & 0x7FFF, ysig).divide(X87Trans.toBig(xse & 0x7FFF, xsig), MC);
            r = atan(t);
            if (xs) {
                r = pi.subtract(r, MC);
            }
        }
        // atan(t) = t - t^3/3 + ...: just inside t in magnitude when only the first term survives.
        X87Trans.round(u, ys ? r.negate() : r, false, -1);
    }

    /** atan(t) for t > 0. */
    static BigDecimal atan(BigDecimal t) {
        boolean invert = t.compareTo(BigDecimal.ONE) > 0;
        if (invert) {
            t = BigDecimal.ONE.divide(t, MC);
        }
        // atan(t) = 2 atan(t / (1 + sqrt(1 + t^2))), twice: t <= tan(pi/16) ~ 0.2.
        for (int k = 0; k < 2; k++) {
            t = t.divide(BigDecimal.ONE.add(BigDecimal.ONE.add(t.multiply(t, MC), MC).sqrt(MC), MC), MC);
        }
        BigDecimal t2 = t.multiply(t, MC);
        BigDecimal pow = t, sum = t;
        for (int n = 1; n < 200; n++) {
            pow = pow.multiply(t2, MC).negate();
            BigDecimal term = pow.divide(BigDecimal.valueOf(2L * n + 1), MC);
            sum = sum.add(term, MC);
            if (term.abs().compareTo(sum.abs().movePointLeft(MC.getPrecision() + 2)) < 0) {
                break;
            }
        }
        sum = sum.multiply(BigDecimal.valueOf(4));
        return invert ? X87Trans.PI.divide(TWO, MC).subtract(sum, MC) : sum;
    }

    /** 2 atanh(s) = ln((1 + s) / (1 - s)). */
    static BigDecimal twoAtanh(BigDecimal s) {
        BigDecimal s2 = s.multiply(s, MC);
        BigDecimal pow = s, sum = s;
        for (int n = 1; n < 400; n++) {
            pow = pow.multiply(s2, MC);
            BigDecimal term = pow.divide(BigDecimal.valueOf(2L * n + 1), MC);
            sum = sum.add(term, MC);
            if (term.abs().compareTo(sum.abs().movePointLeft(MC.getPrecision() + 2)) < 0) {
                break;
            }
        }
        return sum.multiply(TWO);
    }

    /** log2(x) of a positive finite x; exact for powers of two. */
    static BigDecimal log2(int xse, long xsig) {
        int e = xse & 0x7FFF;
        if (e == 0) {
            int n = Long.numberOfLeadingZeros(xsig);
            xsig <<= n;
            e = 1 - n;
        }
        int k = e - 0x3FFF;
        // m in [1, 2); use m/2 when m > sqrt(2) so that |s| stays below 0.172.
        BigDecimal m = X87Trans.toBig(0x3FFF, xsig);
        if (Long.compareUnsigned(xsig, 0xB504F333F9DE6484L) > 0) {
            m = m.divide(TWO);
            k++;
        }
        BigDecimal lnm = twoAtanh(m.subtract(BigDecimal.ONE).divide(m.add(BigDecimal.ONE, MC), MC));
        return BigDecimal.valueOf(k).add(lnm.divide(X87Trans.LN2, MC), MC);
    }

    /** y × log2(x). */
    static void yl2x(Float80 u, int yse, long ysig, int xse, long xsig) {
        boolean ys = (yse & 0x8000) != 0, xs = (xse & 0x8000) != 0;
        boolean yInf = Float80.isInf(yse, ysig), xInf = Float80.isInf(xse, xsig);
        if (xs && xsig != 0) {
            invalid(u);
            return;
        }
        if (xsig == 0) {
            if (ysig == 0) {
                invalid(u);
            } else {
                if (!yInf) {
                    u.flags |= Float80.ZE;
                }
                setInf(u, !ys);
            }
            return;
        }
        boolean xIsOne = (xse & 0x7FFF) == 0x3FFF && xsig == Float80.INT_BIT;
        denormals(u, yse, ysig, xse, xsig);
        if (xInf) {
            if (ysig == 0) {
                invalid(u);
            } else {
                setInf(u, ys);
            }
            return;
        }
        boolean xBelowOne = (xse & 0x7FFF) < 0x3FFF;
        if (yInf) {
            if (xIsOne) {
                invalid(u);
            } else {
                setInf(u, ys != xBelowOne);
            }
            return;
        }
        if (ysig == 0 || xIsOne) {
            setZero(u, ys != xBelowOne);
            return;
        }
        if (Long.bitCount(xsig) == 1 && (xsig < 0 || (xse & 0x7FFF) == 0)) {
            // Power of two: log2 is an exact integer, so the product rounds once. The hardware
            // still reports PE, as for any logarithm.
            int e = (xse & 0x7FFF) == 0 ? -0x3FFE - Long.numberOfLeadingZeros(xsig) : (xse & 0x7FFF) - 0x3FFF;
            int saved = u.control;
            u.control |= 0x300;
            u.fromInt(e);
            u.mul(yse, ysig, u.se, u.sig);
            u.control = saved;
            u.flags |= Float80.PE;
            return;
        }
        BigDecimal r = X87Trans.toBig(yse, ysig).multiply(log2(xse, xsig), MC);
        X87Trans.round(u, r, false, 0);
    }

    /** y × log2(x + 1) for |x| < 1 - sqrt(2)/2. */
    static void yl2xp1(Float80 u, int yse, long ysig, int xse, long xsig) {
        boolean ys = (yse & 0x8000) != 0, xs = (xse & 0x8000) != 0;
        boolean yInf = Float80.isInf(yse, ysig), xInf = Float80.isInf(xse, xsig);
        denormals(u, yse, ysig, xse, xsig);
        if (xsig == 0) {
            if (yInf) {
                invalid(u);
            } else {
                setZero(u, ys != xs);
            }
            return;
        }
        if (xInf) {
            if (xs || ysig == 0) {
                invalid(u);
            } else {
                setInf(u, ys);
            }
            return;
        }
        if (yInf) {
            setInf(u, ys != xs);
            return;
        }
        if (ysig == 0) {
            setZero(u, ys != xs);
            return;
        }
        BigDecimal x = X87Trans.toBig(xse, xsig);
        BigDecimal onePlus = BigDecimal.ONE.add(x, MC);
        if (onePlus.signum() <= 0) {
            invalid(u);
            return;
        }
        BigDecimal ln = twoAtanh(x.divide(TWO.add(x, MC), MC));
        BigDecimal r = X87Trans.toBig(yse, ysig).multiply(ln.divide(X87Trans.LN2, MC), MC);
        X87Trans.round(u, r, false, 0);
    }
}
