package dev.ukemu.core.cpu;

import java.math.BigInteger;

/**
 * The x87 arithmetic unit: IEEE 754 arithmetic on the 80-bit extended format (15-bit exponent,
 * 64-bit significand with an explicit integer bit, SDM vol. 1, 4.2.2 and 8.2), with the x87's
 * rounding control, precision control, operand classes and exception flags.
 *
 * <p>A value is a pair {@code (se, sig)}: {@code se} holds the sign (bit 15) and the biased
 * exponent (bits 0-14), {@code sig} the significand. One instance serves one vCPU: set
 * {@link #control} (the FCW), clear {@link #flags}, run an operation, then read the result from
 * {@link #se}/{@link #sig} and the raised exceptions from {@link #flags} (FSW bit positions, plus
 * {@link #C1} when the significand was rounded up in magnitude). No allocation except in the
 * remainder and the decimal conversions.
 */
final class Float80 {
    // FSW exception bits (SDM vol. 1, 8.1.3.1) and C1.
    static final int IE = 1, DE = 2, ZE = 4, OE = 8, UE = 0x10, PE = 0x20, SF = 0x40, C1 = 0x200;
    static final int RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3;
    /** The QNaN floating-point indefinite (SDM vol. 1, 4.8.3.7). */
    static final int INDEF_SE = 0xFFFF;
    static final long INDEF_SIG = 0xC000000000000000L;
    static final long INT_BIT = 0x8000000000000000L;
    /** Exponent bias adjustment of unmasked overflow and underflow responses (SDM vol. 1, 8.5.4/8.5.5). */
    static final int BIAS_ADJUST = 0x6000;

    /** FCW: exception masks (bits 0-5), precision control (8-9), rounding control (10-11). */
    int control = 0x037F;
    /** Raised exceptions and C1 (round-up) of the operations since the last clear. */
    int flags;
    /** The result of the last operation. */
    int se;
    long sig;

    // ------------------------------------------------------------------ classification

    static int exp(int se) {
        return se & 0x7FFF;
    }

    static boolean negative(int se) {
        return (se & 0x8000) != 0;
    }

    /** Pseudo-NaN, pseudo-infinity and unnormal encodings: a non-zero exponent without the integer bit. */
    static boolean isUnsupported(int se, long sig) {
        return (se & 0x7FFF) != 0 && sig >= 0;
    }

    static boolean isNaN(int se, long sig) {
        return (se & 0x7FFF) == 0x7FFF && sig < 0 && (sig << 1) != 0;
    }

    static boolean isSNaN(int se, long sig) {
        return isNaN(se, sig) && (sig & 0x4000000000000000L) == 0;
    }

    static boolean isInf(int se, long sig) {
        return (se & 0x7FFF) == 0x7FFF && sig == INT_BIT;
    }

    static boolean isZero(int se, long sig) {
        return (se & 0x7FFF) == 0 && sig == 0;
    }

    /** Denormals and pseudo-denormals. */
    static boolean isDenormal(int se, long sig) {
        return (se & 0x7FFF) == 0 && sig != 0;
    }

    int roundingMode() {
        return (control >> 10) & 3;
    }

    /** Significand bits of the precision control: 24, 53 or 64 (the reserved setting acts as 64). */
    int precision() {
        return switch ((control >> 8) & 3) {
            case 0 -> 24;
            case 2 -> 53;
            default -> 64;
        };
    }

    private boolean masked(int exception) {
        return (control & exception) != 0;
    }

    private void set(int rse, long rsig) {
        se = rse;
        sig = rsig;
    }

    private void indefinite() {
        flags |= IE;
        set(INDEF_SE, INDEF_SIG);
    }

    /** The operand as a QNaN (quiet bit set), raising IE for an SNaN. */
    private void quiet(int ase, long asig) {
        if (isSNaN(ase, asig)) {
            flags |= IE;
        }
        set(ase, asig | INDEF_SIG);
    }

    /** The x87 NaN result of two operands of which at least one is a NaN (SDM vol. 1, table 4-7). */
    void propagateNaN(int ase, long asig, int bse, long bsig) {
        boolean aN = isNaN(ase, asig), bN = isNaN(bse, bsig);
        boolean aS = isSNaN(ase, asig), bS = isSNaN(bse, bsig);
        if (aS || bS) {
            flags |= IE;
        }
        boolean takeA;
        if (aN && bN && aS != bS) {
            takeA = bS; // an SNaN beside a QNaN: the QNaN
        } else if (aN && bN) {
            long qa = asig | INDEF_SIG, qb = bsig | INDEF_SIG;
            if (qa != qb) {
                takeA = Long.compareUnsigned(qa, qb) > 0;
            } else {
                takeA = (ase & 0xFFFF) <= (bse & 0xFFFF);
            }
        } else {
            takeA = aN;
        }
        if (takeA) {
            set(ase, asig | INDEF_SIG);
        } else {
            set(bse, bsig | INDEF_SIG);
        }
    }

    // ------------------------------------------------------------------ rounding

    /**
     * Rounds {@code ±(sig:extra) × 2^(exp - 0x3FFF - 63)} to {@code prec} significand bits with
     * the current rounding mode and stores the result, handling denormal results, tininess
     * (detected after rounding), overflow and the unmasked bias-adjusted responses. {@code sig}
     * must have bit 63 set or be zero together with {@code extra}.
     */
    void roundPack(boolean sign, int exp, long sig, long extra, int prec) {
        int s = sign ? 0x8000 : 0;
        if (sig == 0 && extra == 0) {
            set(s, 0);
            return;
        }
        int rm = roundingMode();
        if (exp <= 0) {
            boolean tiny = exp < 0 || !carriesOut(sign, sig, extra, prec, rm);
            if (tiny && !masked(UE)) {
                flags |= UE;
                exp += BIAS_ADJUST;
                if (exp <= 0) {
                    // Beyond the reach of the bias adjustment: a signed zero, inexact.
                    flags |= PE;
                    set(s, 0);
                    return;
                }
            } else {
                denormalize(sign, exp, sig, extra, prec, rm, tiny);
                return;
            }
        }
        if (exp >= 0x7FFF || (exp == 0x7FFE && carriesOut(sign, sig, extra, prec, rm))) {
            if (!masked(OE)) {
                flags |= OE;
                exp -= BIAS_ADJUST;
                if (exp >= 0x7FFF || (exp == 0x7FFE && carriesOut(sign, sig, extra, prec, rm))) {
                    // Beyond the reach of the bias adjustment: an infinity whatever the rounding mode.
                    flags |= PE | C1;
                    set((sign ? 0x8000 : 0) | 0x7FFF, INT_BIT);
                    return;
                }
            }
            if (exp >= 0x7FFF || (exp == 0x7FFE && carriesOut(sign, sig, extra, prec, rm))) {
                overflow(sign, prec, rm);
                return;
            }
        }
        roundTo(sign, sig, extra, prec, rm);
        if (carry) {
            exp++;
        }
        set(s | exp, roundedSig);
    }

    private void denormalize(boolean sign, int exp, long sig, long extra, int prec, int rm, boolean tiny) {
        int shift = 1 - exp;
        long nsig, nextra;
        if (shift >= 128) {
            nsig = 0;
            nextra = 1;
        } else if (shift >= 64) {
            long lost = shift == 64 ? extra : (sig << (128 - shift)) | extra;
            nextra = (shift == 64 ? sig : sig >>> (shift - 64)) | (lost != 0 ? 1 : 0);
            nsig = 0;
        } else {
            nsig = sig >>> shift;
            nextra = (sig << (64 - shift)) | (extra != 0 ? 1 : 0);
        }
        roundTo(sign, nsig, nextra, prec, rm);
        if (inexactLast && tiny) {
            flags |= UE;
        }
        set((sign ? 0x8000 : 0) | (roundedSig < 0 ? 1 : 0), roundedSig);
    }

    private void overflow(boolean sign, int prec, int rm) {
        flags |= OE | PE;
        int s = sign ? 0x8000 : 0;
        if (rm == RC_NEAREST || rm == (sign ? RC_DOWN : RC_UP)) {
            flags |= C1;
            set(s | 0x7FFF, INT_BIT);
        } else {
            set(s | 0x7FFE, -1L << (64 - prec));
        }
    }

    /** Normalizes a 128-bit significand and rounds it; zero gives a signed zero. */
    void normRoundPack(boolean sign, int exp, long sig, long extra, int prec) {
        if (sig == 0) {
            if (extra == 0) {
                set(sign ? 0x8000 : 0, 0);
                return;
            }
            sig = extra;
            extra = 0;
            exp -= 64;
        }
        int n = Long.numberOfLeadingZeros(sig);
        if (n > 0) {
            sig = (sig << n) | (extra >>> (64 - n));
            extra <<= n;
            exp -= n;
        }
        roundPack(sign, exp, sig, extra, prec);
    }

    // Outputs of roundTo.
    private long roundedSig;
    private boolean carry;
    private boolean inexactLast;

    /** True if rounding (sig:extra) to prec bits carries out of bit 63. */
    private static boolean carriesOut(boolean sign, long sig, long extra, int prec, int rm) {
        int drop = 64 - prec;
        long keptMask = drop == 0 ? -1L : -1L << drop;
        if ((sig & keptMask) != keptMask) {
            return false;
        }
        long rb = roundBits(sig, extra, drop);
        return increments(sign, rb, true, rm);
    }

    /** The discarded bits as a 64-bit fraction (bit 63 = one half of the last kept bit), sticky in bit 0. */
    private static long roundBits(long sig, long extra, int drop) {
        if (drop == 0) {
            return extra;
        }
        return (sig << (64 - drop)) | (extra != 0 ? 1 : 0);
    }

    private static boolean increments(boolean sign, long rb, boolean lastOdd, int rm) {
        if (rb == 0) {
            return false;
        }
        return switch (rm) {
            case RC_NEAREST -> rb < 0 && (rb != INT_BIT || lastOdd);
            case RC_DOWN -> sign;
            case RC_UP -> !sign;
            default -> false;
        };
    }

    /** Rounds (sig:extra) to prec bits at fixed bit positions; sets PE and C1, and roundedSig/carry. */
    private void roundTo(boolean sign, long sig, long extra, int prec, int rm) {
        int drop = 64 - prec;
        long rb = roundBits(sig, extra, drop);
        long unit = 1L << drop;
        long kept = drop == 0 ? sig : sig & -unit;
        boolean inc = increments(sign, rb, (kept & unit) != 0, rm);
        inexactLast = rb != 0;
        carry = false;
        if (inexactLast) {
            flags |= PE;
        }
        if (inc) {
            flags |= C1;
            kept += unit;
            if (kept == 0) {
                kept = INT_BIT;
                carry = true;
            }
        }
        roundedSig = kept;
    }

    // ------------------------------------------------------------------ add, subtract

    /** a + b, or a - b when {@code subtract}. */
    void add(int ase, long asig, int bse, long bsig, boolean subtract) {
        if (isUnsupported(ase, asig) || isUnsupported(bse, bsig)) {
            indefinite();
            return;
        }
        if (subtract) {
            bse ^= 0x8000;
        }
        int ea = exp(ase), eb = exp(bse);
        boolean sa = negative(ase), sb = negative(bse);
        if (ea == 0x7FFF || eb == 0x7FFF) {
            addSpecial(ase, asig, bse, bsig, subtract);
            return;
        }
        int prec = precision();
        if (ea == 0) {
            if (asig == 0) {
                if (eb == 0 && bsig != 0) {
                    flags |= DE;
                }
                if (bsig == 0) {
                    set(sa == sb ? ase & 0x8000 : roundingMode() == RC_DOWN ? 0x8000 : 0, 0);
                    return;
                }
                normRoundPack(sb, eb == 0 ? 1 : eb, bsig, 0, prec);
                return;
            }
            flags |= DE;
            int n = Long.numberOfLeadingZeros(asig);
            asig <<= n;
            ea = 1 - n;
        }
        if (eb == 0) {
            if (bsig == 0) {
                roundPack(sa, ea, asig, 0, prec);
                return;
            }
            flags |= DE;
            int n = Long.numberOfLeadingZeros(bsig);
            bsig <<= n;
            eb = 1 - n;
        }
        if (sa == sb) {
            addMags(sa, ea, asig, eb, bsig, prec);
        } else {
            subMags(sa, ea, asig, eb, bsig, prec);
        }
    }

    private void addSpecial(int ase, long asig, int bse, long bsig, boolean subtract) {
        boolean aNaN = isNaN(ase, asig), bNaN = isNaN(bse, bsig);
        if (aNaN || bNaN) {
            propagateNaN(ase, asig, subtract ? bse ^ 0x8000 : bse, bsig);
            return;
        }
        boolean aInf = isInf(ase, asig), bInf = isInf(bse, bsig);
        if (aInf && bInf) {
            if (((ase ^ bse) & 0x8000) != 0) {
                indefinite();
            } else {
                set(ase, asig);
            }
            return;
        }
        if (isDenormal(ase, asig) || isDenormal(bse, bsig)) {
            flags |= DE;
        }
        if (aInf) {
            set(ase, asig);
        } else {
            set(bse, bsig);
        }
    }

    /** Shifts (sig:0) right by {@code n} into a 128-bit value, jamming lost bits into bit 0. */
    private long shHi, shLo;

    private void shiftRightJam(long sig, int n) {
        if (n == 0) {
            shHi = sig;
            shLo = 0;
        } else if (n < 64) {
            shHi = sig >>> n;
            shLo = sig << (64 - n);
        } else if (n == 64) {
            shHi = 0;
            shLo = sig;
        } else if (n < 128) {
            shHi = 0;
            shLo = (sig >>> (n - 64)) | ((sig << (128 - n)) != 0 ? 1 : 0);
        } else {
            shHi = 0;
            shLo = sig != 0 ? 1 : 0;
        }
    }

    private void addMags(boolean sign, int ea, long asig, int eb, long bsig, int prec) {
        if (ea < eb) {
            int t = ea; ea = eb; eb = t;
            long u = asig; asig = bsig; bsig = u;
        }
        shiftRightJam(bsig, ea - eb);
        long lo = shLo;
        long hi = asig + shHi;
        if (Long.compareUnsigned(hi, asig) < 0) {
            // Carry out of bit 63: shift right by one, jamming.
            lo = (lo >>> 1) | (hi << 63) | (lo & 1);
            hi = (hi >>> 1) | INT_BIT;
            ea++;
        }
        roundPack(sign, ea, hi, lo, prec);
    }

    private void subMags(boolean sign, int ea, long asig, int eb, long bsig, int prec) {
        if (ea < eb || (ea == eb && Long.compareUnsigned(asig, bsig) < 0)) {
            int t = ea; ea = eb; eb = t;
            long u = asig; asig = bsig; bsig = u;
            sign = !sign;
        }
        if (ea == eb && asig == bsig) {
            set(roundingMode() == RC_DOWN ? 0x8000 : 0, 0);
            return;
        }
        shiftRightJam(bsig, ea - eb);
        long lo = -shLo;
        long hi = asig - shHi - (shLo != 0 ? 1 : 0);
        normRoundPack(sign, ea, hi, lo, prec);
    }

    // ------------------------------------------------------------------ multiply, divide, square root

    void mul(int ase, long asig, int bse, long bsig) {
        if (isUnsupported(ase, asig) || isUnsupported(bse, bsig)) {
            indefinite();
            return;
        }
        int ea = exp(ase), eb = exp(bse);
        boolean sign = negative(ase) != negative(bse);
        int s = sign ? 0x8000 : 0;
        if (ea == 0x7FFF || eb == 0x7FFF) {
            if (isNaN(ase, asig) || isNaN(bse, bsig)) {
                propagateNaN(ase, asig, bse, bsig);
                return;
            }
            if (isZero(ase, asig) || isZero(bse, bsig)) {
                indefinite();
                return;
            }
            if (isDenormal(ase, asig) || isDenormal(bse, bsig)) {
                flags |= DE;
            }
            set(s | 0x7FFF, INT_BIT);
            return;
        }
        if (isDenormal(ase, asig) || isDenormal(bse, bsig)) {
            flags |= DE;
        }
        if (asig == 0 || bsig == 0) {
            set(s, 0);
            return;
        }
        if (ea == 0) {
            int n = Long.numberOfLeadingZeros(asig);
            asig <<= n;
            ea = 1 - n;
        }
        if (eb == 0) {
            int n = Long.numberOfLeadingZeros(bsig);
            bsig <<= n;
            eb = 1 - n;
        }
        long hi = Math.unsignedMultiplyHigh(asig, bsig);
        long lo = asig * bsig;
        int ez = ea + eb - 0x3FFE;
        if (hi >= 0) {
            hi = (hi << 1) | (lo >>> 63);
            lo <<= 1;
            ez--;
        }
        roundPack(sign, ez, hi, lo, precision());
    }

    void div(int ase, long asig, int bse, long bsig) {
        if (isUnsupported(ase, asig) || isUnsupported(bse, bsig)) {
            indefinite();
            return;
        }
        int ea = exp(ase), eb = exp(bse);
        boolean sign = negative(ase) != negative(bse);
        int s = sign ? 0x8000 : 0;
        if (ea == 0x7FFF || eb == 0x7FFF) {
            if (isNaN(ase, asig) || isNaN(bse, bsig)) {
                propagateNaN(ase, asig, bse, bsig);
                return;
            }
            if (ea == 0x7FFF && eb == 0x7FFF) {
                indefinite();
                return;
            }
            if (isDenormal(ase, asig) || isDenormal(bse, bsig)) {
                flags |= DE;
            }
            set(ea == 0x7FFF ? s | 0x7FFF : s, ea == 0x7FFF ? INT_BIT : 0);
            return;
        }
        if (bsig == 0) {
            // A zero divisor is examined first: no DE for a denormal dividend.
            if (asig == 0) {
                indefinite();
                return;
            }
            flags |= ZE;
            set(s | 0x7FFF, INT_BIT);
            return;
        }
        if (isDenormal(ase, asig) || eb == 0) {
            flags |= DE;
        }
        if (asig == 0) {
            set(s, 0);
            return;
        }
        if (ea == 0) {
            int n = Long.numberOfLeadingZeros(asig);
            asig <<= n;
            ea = 1 - n;
        }
        if (eb == 0) {
            int n = Long.numberOfLeadingZeros(bsig);
            bsig <<= n;
            eb = 1 - n;
        }
        // q = asig × 2^128 / bsig in 64-bit steps: a leading bit when asig >= bsig, then two words.
        int ez = ea - eb + 0x3FFF;
        boolean top = Long.compareUnsigned(asig, bsig) >= 0;
        long r = top ? asig - bsig : asig;
        long q1 = divideWide(r, 0, bsig);
        long q0 = divideWide(remainderWide, 0, bsig);
        long sticky = remainderWide != 0 ? 1 : 0;
        long hi, lo;
        if (top) {
            hi = INT_BIT | (q1 >>> 1);
            lo = (q1 << 63) | (q0 >>> 1) | (q0 & 1) | sticky;
        } else {
            ez--;
            hi = q1;
            lo = q0 | sticky;
        }
        roundPack(sign, ez, hi, lo, precision());
    }

    /** Remainder of the last {@link #divideWide}. */
    private long remainderWide;

    /**
     * Unsigned (u1:u0) / v for u1 < v (Hacker's Delight, divlu): the 64-bit quotient, the
     * remainder in {@link #remainderWide}.
     */
    long divideWide(long u1, long u0, long v) {
        final long b = 1L << 32;
        int s = Long.numberOfLeadingZeros(v);
        v <<= s;
        long vn1 = v >>> 32, vn0 = v & 0xFFFFFFFFL;
        long un32 = s == 0 ? u1 : (u1 << s) | (u0 >>> (64 - s));
        long un10 = u0 << s;
        long un1 = un10 >>> 32, un0 = un10 & 0xFFFFFFFFL;
        long q1 = Long.divideUnsigned(un32, vn1);
        long rhat = Long.remainderUnsigned(un32, vn1);
        while (q1 >= b || Long.compareUnsigned(q1 * vn0, (rhat << 32) + un1) > 0) {
            q1--;
            rhat += vn1;
            if (rhat >= b) {
                break;
            }
        }
        long un21 = (un32 << 32) + un1 - q1 * v;
        long q0 = Long.divideUnsigned(un21, vn1);
        rhat = Long.remainderUnsigned(un21, vn1);
        while (q0 >= b || Long.compareUnsigned(q0 * vn0, (rhat << 32) + un0) > 0) {
            q0--;
            rhat += vn1;
            if (rhat >= b) {
                break;
            }
        }
        remainderWide = ((un21 << 32) + un0 - q0 * v) >>> s;
        return (q1 << 32) + q0;
    }

    static BigInteger unsigned(long v) {
        BigInteger b = BigInteger.valueOf(v & Long.MAX_VALUE);
        return v < 0 ? b.setBit(63) : b;
    }

    void sqrt(int ase, long asig) {
        if (isUnsupported(ase, asig)) {
            indefinite();
            return;
        }
        int ea = exp(ase);
        boolean sign = negative(ase);
        if (ea == 0x7FFF) {
            if (isNaN(ase, asig)) {
                quiet(ase, asig);
            } else if (sign) {
                indefinite();
            } else {
                set(ase, asig);
            }
            return;
        }
        if (asig == 0) {
            set(ase, 0);
            return;
        }
        if (sign) {
            indefinite();
            return;
        }
        if (ea == 0) {
            flags |= DE;
            int n = Long.numberOfLeadingZeros(asig);
            asig <<= n;
            ea = 1 - n;
        }
        // value = asig × 2^(ea - 0x3FFF - 63); make the exponent even and take a 128-bit root.
        int e = ea - 0x3FFF;
        BigInteger m = unsigned(asig);
        // e - 63 - shift must be even; asig × 2^shift lies in [2^254, 2^256), so its root has 128 bits.
        int shift = (e & 1) == 0 ? 191 : 192;
        BigInteger[] sr = m.shiftLeft(shift).sqrtAndRemainder();
        BigInteger r = sr[0];
        long hi = r.shiftRight(64).longValue();
        long lo = r.longValue() | (sr[1].signum() != 0 ? 1 : 0);
        // value^(1/2) = r × 2^((e - 63 - shift) / 2)  and  r has bit 127 set:
        // biased exponent of bit 127 = (e - 63 - shift) / 2 + 127 + 0x3FFF.
        int ez = Math.floorDiv(e - 63 - shift, 2) + 127 + 0x3FFF;
        roundPack(false, ez, hi, lo, precision());
    }

    // ------------------------------------------------------------------ compare

    static final int LESS = 0, EQUAL = 1, GREATER = 2, UNORDERED = 3;

    /** Compares a with b; unsupported encodings and SNaNs raise IE, QNaNs too unless quiet. */
    int compare(int ase, long asig, int bse, long bsig, boolean quiet) {
        boolean aBad = isUnsupported(ase, asig) || isSNaN(ase, asig);
        boolean bBad = isUnsupported(bse, bsig) || isSNaN(bse, bsig);
        if (aBad || bBad) {
            flags |= IE;
            return UNORDERED;
        }
        if (isNaN(ase, asig) || isNaN(bse, bsig)) {
            if (!quiet) {
                flags |= IE;
            }
            return UNORDERED;
        }
        if (isDenormal(ase, asig) || isDenormal(bse, bsig)) {
            flags |= DE;
        }
        return compareValues(ase, asig, bse, bsig);
    }

    /** Orders two supported non-NaN values. */
    static int compareValues(int ase, long asig, int bse, long bsig) {
        boolean az = asig == 0, bz = bsig == 0;
        if (az && bz) {
            return EQUAL;
        }
        boolean sa = negative(ase), sb = negative(bse);
        if (az) {
            return sb ? GREATER : LESS;
        }
        if (bz || sa != sb) {
            return sa ? LESS : GREATER;
        }
        int ea = exp(ase), eb = exp(bse);
        if (ea == 0) {
            int n = Long.numberOfLeadingZeros(asig);
            asig <<= n;
            ea = 1 - n;
        }
        if (eb == 0) {
            int n = Long.numberOfLeadingZeros(bsig);
            bsig <<= n;
            eb = 1 - n;
        }
        if (ea == eb && asig == bsig) {
            return EQUAL;
        }
        boolean magLess = ea < eb || (ea == eb && Long.compareUnsigned(asig, bsig) < 0);
        return magLess != sa ? LESS : GREATER;
    }

    // ------------------------------------------------------------------ round, scale, extract

    /** FRNDINT: rounds to an integral value with the current rounding mode. */
    void roundToInt(int ase, long asig) {
        if (isUnsupported(ase, asig)) {
            indefinite();
            return;
        }
        int e = exp(ase);
        int s = ase & 0x8000;
        if (e >= 0x403E) {
            if (isNaN(ase, asig)) {
                quiet(ase, asig);
            } else {
                set(ase, asig);
            }
            return;
        }
        int rm = roundingMode();
        if (e <= 0x3FFE) {
            if (asig == 0) {
                set(ase, asig);
                return;
            }
            if (e == 0) {
                flags |= DE;
            }
            flags |= PE;
            boolean one = switch (rm) {
                case RC_NEAREST -> e == 0x3FFE && (asig << 1) != 0;
                case RC_DOWN -> s != 0;
                case RC_UP -> s == 0;
                default -> false;
            };
            if (one) {
                flags |= C1;
                set(s | 0x3FFF, INT_BIT);
            } else {
                set(s, 0);
            }
            return;
        }
        int fracBits = 0x403E - e;
        long unit = 1L << fracBits;
        long kept = asig & -unit;
        long rb = asig << (64 - fracBits);
        boolean inc = increments(s != 0, rb, (kept & unit) != 0, rm);
        if (rb != 0) {
            flags |= PE;
        }
        if (inc) {
            flags |= C1;
            kept += unit;
            if (kept == 0) {
                set(s | (e + 1), INT_BIT);
                return;
            }
        }
        set(s | e, kept);
    }

    /** FSCALE: a × 2^trunc(b). */
    void scale(int ase, long asig, int bse, long bsig) {
        if (isUnsupported(ase, asig) || isUnsupported(bse, bsig)) {
            indefinite();
            return;
        }
        int ea = exp(ase), eb = exp(bse);
        boolean sb = negative(bse);
        if (isNaN(ase, asig) || isNaN(bse, bsig)) {
            propagateNaN(ase, asig, bse, bsig);
            return;
        }
        if (ea == 0x7FFF) {
            if (eb == 0x7FFF && sb) {
                indefinite();
                return;
            }
            if (isDenormal(bse, bsig)) {
                flags |= DE;
            }
            set(ase, asig);
            return;
        }
        if (eb == 0x7FFF) {
            if (asig == 0) {
                if (!sb) {
                    indefinite();
                } else {
                    set(ase, asig);
                }
                return;
            }
            if (ea == 0) {
                flags |= DE;
            }
            set(sb ? ase & 0x8000 : (ase & 0x8000) | 0x7FFF, sb ? 0 : INT_BIT);
            return;
        }
        boolean sa = negative(ase);
        if (ea == 0) {
            if (isDenormal(bse, bsig)) {
                flags |= DE;
            }
            if (asig == 0) {
                set(ase, asig);
                return;
            }
            flags |= DE;
            int n = Long.numberOfLeadingZeros(asig);
            asig <<= n;
            ea = 1 - n;
            if (eb < 0x3FFF) {
                normRoundPack(sa, ea, asig, 0, 64);
                return;
            }
        }
        if (eb == 0) {
            if (bsig == 0) {
                set(ase, asig);
                return;
            }
            flags |= DE;
            int n = Long.numberOfLeadingZeros(bsig);
            bsig <<= n;
            eb = 1 - n;
        }
        if (eb > 0x400E) {
            // |scale| >= 2^16: far beyond even the bias-adjusted range.
            roundPack(sa, sb ? -0x10000 : 0x10000, asig, 0, 64);
            return;
        }
        if (eb < 0x3FFF) {
            set(ase, asig);
            return;
        }
        int scale = (int) (bsig >>> (0x403E - eb));
        if (sb) {
            scale = -scale;
        }
        roundPack(sa, ea + scale, asig, 0, 64);
    }

    /** FXTRACT: leaves the significand (exponent 0) in se/sig and returns the exponent in {@link #xSe}/{@link #xSig}. */
    int xSe;
    long xSig;

    void extract(int ase, long asig) {
        if (isUnsupported(ase, asig)) {
            indefinite();
            xSe = se;
            xSig = sig;
            return;
        }
        int e = exp(ase);
        if (e == 0x7FFF) {
            if (isNaN(ase, asig)) {
                quiet(ase, asig);
                xSe = se;
                xSig = sig;
            } else {
                set(ase, asig);
                xSe = 0x7FFF;
                xSig = INT_BIT;
            }
            return;
        }
        if (e == 0) {
            if (asig == 0) {
                flags |= ZE;
                set(ase, 0);
                xSe = 0xFFFF;
                xSig = INT_BIT;
                return;
            }
            flags |= DE;
            int n = Long.numberOfLeadingZeros(asig);
            asig <<= n;
            e = 1 - n;
        }
        set((ase & 0x8000) | 0x3FFF, asig);
        int saveSe = se;
        long saveSig = sig;
        fromInt(e - 0x3FFF);
        xSe = se;
        xSig = sig;
        set(saveSe, saveSig);
    }

    // ------------------------------------------------------------------ remainder

    /** Quotient bits of the last {@link #remainder}: q0 (C1), q1 (C3), q2 (C0); and whether it was partial (C2). */
    long quotient;
    boolean partial;
    /** False when the remainder is a NaN or the indefinite: the condition codes keep their values. */
    boolean remainderValid;

    /**
     * FPREM ({@code ieee} false: quotient truncated) and FPREM1 ({@code ieee} true: quotient
     * rounded to nearest even). When the exponents differ by 64 or more, the result is a partial
     * remainder whose exponent is reduced by 32 to 63 (SDM vol. 2, FPREM).
     */
    void remainder(int ase, long asig, int bse, long bsig, boolean ieee) {
        quotient = 0;
        partial = false;
        remainderValid = false;
        if (isUnsupported(ase, asig) || isUnsupported(bse, bsig)) {
            indefinite();
            return;
        }
        int ea = exp(ase), eb = exp(bse);
        boolean sa = negative(ase);
        if (isNaN(ase, asig) || isNaN(bse, bsig)) {
            propagateNaN(ase, asig, bse, bsig);
            return;
        }
        if (ea == 0x7FFF) {
            indefinite();
            return;
        }
        remainderValid = true;
        if (eb == 0x7FFF) {
            if (ea == 0 && asig != 0) {
                // A denormal comes back canonical (or bias-adjusted when UE is unmasked).
                flags |= DE;
                int n = Long.numberOfLeadingZeros(asig);
                normRoundPack(sa, 1 - n, asig << n, 0, 64);
                return;
            }
            set(ase, asig);
            return;
        }
        if (bsig == 0) {
            remainderValid = false;
            indefinite();
            return;
        }
        if (eb == 0) {
            flags |= DE;
            int n = Long.numberOfLeadingZeros(bsig);
            bsig <<= n;
            eb = 1 - n;
        }
        if (asig == 0) {
            set(ase, asig);
            return;
        }
        if (ea == 0) {
            flags |= DE;
            int n = Long.numberOfLeadingZeros(asig);
            asig <<= n;
            ea = 1 - n;
        }
        int diff = ea - eb;
        if (diff < 0 && !(ieee && diff == -1)) {
            if (diff < -1 || !ieee) {
                // |a| < |b|: the remainder is a itself (a pseudo-denormal gets its canonical form).
                normRoundPack(sa, ea, asig, 0, 64);
                return;
            }
        }
        if (diff >= 64) {
            int n = (diff & 31) | 32;
            BigInteger r = unsigned(asig).shiftLeft(n).mod(unsigned(bsig));
            partial = true;
            packRemainder(sa, ea - n, r);
            return;
        }
        // Exact: a = q × b + r with q integral, then round q as FPREM / FPREM1 require.
        BigInteger a = unsigned(asig);
        BigInteger b = unsigned(bsig);
        int shift = Math.max(diff, 0);
        BigInteger num = a.shiftLeft(shift);
        BigInteger den = diff < 0 ? b.shiftLeft(-diff) : b;
        BigInteger[] qr = num.divideAndRemainder(den);
        BigInteger q = qr[0];
        BigInteger r = qr[1];
        if (ieee) {
            int c = r.shiftLeft(1).compareTo(den);
            if (c > 0 || (c == 0 && q.testBit(0))) {
                q = q.add(BigInteger.ONE);
                r = den.subtract(r);
                sa = !sa;
            }
        }
        quotient = q.longValue();
        // r is in units of b's lsb scaled by 2^min(diff,0): exponent of r's bit 63 is eb (or eb-1).
        packRemainder(sa, diff < 0 ? eb + diff : eb, r);
    }

    /** Stores r × 2^(exp - 0x3FFF - 63), r < 2^64, exactly (or with underflow handling). */
    private void packRemainder(boolean sign, int exp, BigInteger r) {
        if (r.signum() == 0) {
            set(sign ? 0x8000 : 0, 0);
            return;
        }
        normRoundPack(sign, exp, r.longValue(), 0, 64);
    }

    // ------------------------------------------------------------------ conversions in

    /** A 64-bit two's-complement integer, exactly. */
    void fromInt(long v) {
        if (v == 0) {
            set(0, 0);
            return;
        }
        int s = v < 0 ? 0x8000 : 0;
        long m = v < 0 ? -v : v;
        int n = Long.numberOfLeadingZeros(m);
        set(s | (0x403E - n), m << n);
    }

    /** A float32 operand; denormals raise DE, SNaNs IE (quieted). */
    void fromF32(int bits) {
        int s = (bits >>> 16) & 0x8000;
        int e = (bits >>> 23) & 0xFF;
        long f = bits & 0x7FFFFFL;
        if (e == 0xFF) {
            if (f == 0) {
                set(s | 0x7FFF, INT_BIT);
            } else {
                if ((f & 0x400000) == 0) {
                    flags |= IE;
                }
                set(s | 0x7FFF, INDEF_SIG | (f << 40));
            }
            return;
        }
        if (e == 0) {
            if (f == 0) {
                set(s, 0);
                return;
            }
            flags |= DE;
            int n = Long.numberOfLeadingZeros(f << 40);
            set(s | (0x3F81 - n), (f << 40) << n);
            return;
        }
        set(s | (e + 0x3F80), INT_BIT | (f << 40));
    }

    /** A float64 operand; denormals raise DE, SNaNs IE (quieted). */
    void fromF64(long bits) {
        int s = (int) (bits >>> 48) & 0x8000;
        int e = (int) (bits >>> 52) & 0x7FF;
        long f = bits & 0xFFFFFFFFFFFFFL;
        if (e == 0x7FF) {
            if (f == 0) {
                set(s | 0x7FFF, INT_BIT);
            } else {
                if ((f & 0x8000000000000L) == 0) {
                    flags |= IE;
                }
                set(s | 0x7FFF, INDEF_SIG | (f << 11));
            }
            return;
        }
        if (e == 0) {
            if (f == 0) {
                set(s, 0);
                return;
            }
            flags |= DE;
            int n = Long.numberOfLeadingZeros(f << 11);
            set(s | (0x3C01 - n), (f << 11) << n);
            return;
        }
        set(s | (e + 0x3C00), INT_BIT | (f << 11));
    }

    /** True if the float32 is a NaN. */
    static boolean isNaN32(int bits) {
        return (bits & 0x7F800000) == 0x7F800000 && (bits & 0x7FFFFF) != 0;
    }

    static boolean isNaN64(long bits) {
        return (bits & 0x7FF0000000000000L) == 0x7FF0000000000000L && (bits & 0xFFFFFFFFFFFFFL) != 0;
    }

    // ------------------------------------------------------------------ conversions out

    /** Rounds to float32 with the current rounding mode (precision control does not apply). */
    int toF32(int ase, long asig) {
        return (int) toBinary(ase, asig, 24, 8);
    }

    long toF64(int ase, long asig) {
        return toBinary(ase, asig, 53, 11);
    }

    /** Set when an unmasked overflow or underflow suppressed a store. */
    boolean storeSuppressed;

    private long toBinary(int ase, long asig, int p, int ebits) {
        storeSuppressed = false;
        int fracBits = p - 1;
        int bias = (1 << (ebits - 1)) - 1;
        int emaxField = (1 << ebits) - 1;
        long sbit = negative(ase) ? 1L << (fracBits + ebits) : 0;
        long infBits = sbit | ((long) emaxField << fracBits);
        if (isUnsupported(ase, asig)) {
            flags |= IE;
            return (1L << (fracBits + ebits)) | infBits | (1L << (fracBits - 1));
        }
        int e = exp(ase);
        if (e == 0x7FFF) {
            if (asig == INT_BIT) {
                return infBits;
            }
            if ((asig & 0x4000000000000000L) == 0) {
                flags |= IE;
            }
            return infBits | (1L << (fracBits - 1)) | ((asig << 1) >>> (64 - fracBits));
        }
        if (asig == 0) {
            return sbit;
        }
        if (e == 0) {
            // FST does not signal DE for a denormal source.
            int n = Long.numberOfLeadingZeros(asig);
            asig <<= n;
            e = 1 - n;
        }
        boolean sign = sbit != 0;
        int rm = roundingMode();
        int te = e - 0x3FFF + bias;
        int drop = 64 - p;
        if (te >= emaxField - 1 + 1 || (te == emaxField - 1 && carriesOut(sign, asig, 0, p, rm))) {
            if (!masked(OE)) {
                flags |= OE;
                storeSuppressed = true;
                return 0;
            }
            flags |= OE | PE;
            if (rm == RC_NEAREST || rm == (sign ? RC_DOWN : RC_UP)) {
                flags |= C1;
                return infBits;
            }
            return sbit | ((long) (emaxField - 1) << fracBits) | ((1L << fracBits) - 1);
        }
        if (te <= 0) {
            boolean tiny = te < 0 || !carriesOut(sign, asig, 0, p, rm);
            if (tiny && !masked(UE)) {
                flags |= UE;
                storeSuppressed = true;
                return 0;
            }
            // Denormal target: shift right by 1 - te more bits.
            shiftRightJam(asig, 1 - te);
            int saved = flags;
            roundTo(sign, shHi, shLo, p, rm);
            long m = roundedSig >>> drop;
            if (inexactLast && tiny) {
                flags |= UE;
            }
            if (carry) {
                return sbit | (1L << fracBits);
            }
            // A carry into the implicit bit position gives the smallest normal naturally.
            return sbit | m;
        }
        roundTo(sign, asig, 0, p, rm);
        long m = roundedSig >>> drop;
        if (carry) {
            te++;
            m = 1L << fracBits;
            if (te >= emaxField) {
                flags |= OE | PE;
                return infBits;
            }
        }
        return sbit | ((long) te << fracBits) | (m & ((1L << fracBits) - 1));
    }

    /**
     * Converts to a signed integer of {@code bits} (16, 32, 64) with the current rounding mode,
     * or truncating; out of range, NaN and unsupported operands raise IE and give the integer
     * indefinite (the most negative value).
     */
    long toInt(int ase, long asig, int bits, boolean truncate) {
        long indefinite = Long.MIN_VALUE >> (64 - bits);
        if (isUnsupported(ase, asig) || exp(ase) == 0x7FFF) {
            flags |= IE;
            return indefinite;
        }
        int e = exp(ase);
        boolean sign = negative(ase);
        if (asig == 0) {
            return 0;
        }
        int rm = truncate ? RC_ZERO : roundingMode();
        long ip, rb;
        if (e >= 0x403E) {
            if (e > 0x403E) {
                flags |= IE;
                return indefinite;
            }
            ip = asig;
            rb = 0;
        } else if (e < 0x3FFF - 1) {
            ip = 0;
            rb = 1; // below one half, non-zero
        } else {
            int fracBits = 0x403E - e; // 1..64
            ip = fracBits == 64 ? 0 : asig >>> fracBits;
            rb = fracBits == 64 ? asig : asig << (64 - fracBits);
        }
        boolean inc = increments(sign, rb, (ip & 1) != 0, rm);
        if (inc) {
            ip++;
        }
        long max = bits == 64 ? Long.MIN_VALUE : 1L << (bits - 1);
        // |result| may be at most 2^(bits-1) - 1, or 2^(bits-1) when negative.
        if (ip == 0 && inc) {
            flags |= IE; // 2^64 after rounding
            return indefinite;
        }
        if (Long.compareUnsigned(ip, max) > 0 || (ip == max && !sign)) {
            flags |= IE;
            return indefinite;
        }
        if (rb != 0) {
            flags |= PE;
            if (inc) {
                flags |= C1;
            }
        }
        return sign ? -ip : ip;
    }

    // ------------------------------------------------------------------ packed BCD

    /** FBLD: an 18-digit packed BCD (bytes 0-8 digits, byte 9 bit 7 sign). Invalid digits give an undefined value; we decode them as binary nibbles. */
    void fromBcd(long low8, int high2) {
        long v = 0;
        for (int k = 8; k >= 0; k--) {
            int b = k == 8 ? high2 & 0xFF : (int) (low8 >>> (8 * k)) & 0xFF;
            v = v * 100 + (b >> 4) * 10 + (b & 15);
        }
        fromInt(v);
        if ((high2 & 0x8000) != 0) {
            se |= 0x8000;
        }
    }

    /** Result of {@link #toBcd}: bytes 0-7 and bytes 8-9. */
    long bcdLow;
    int bcdHigh;

    /** FBSTP: rounds per RC; NaN, infinity, unsupported and |x| >= 10^18 give IE and the BCD indefinite. */
    void toBcd(int ase, long asig) {
        int saved = flags;
        long v = toInt(ase, asig, 64, false);
        boolean invalid = (flags & IE) != 0 && (saved & IE) == 0 || v == Long.MIN_VALUE;
        long m = Math.abs(v);
        if (invalid || m > 999_999_999_999_999_999L) {
            flags = (saved | IE) & ~(PE | C1) | (flags & DE);
            bcdLow = 0xC000000000000000L;
            bcdHigh = 0xFFFF;
            return;
        }
        long lo = 0;
        for (int k = 0; k < 16; k++) {
            lo |= (m % 10) << (4 * k);
            m /= 10;
        }
        int hi = (int) (m % 10) | (int) ((m / 10) % 10) << 4;
        if (negative(ase)) {
            hi |= 0x8000;
        }
        bcdLow = lo;
        bcdHigh = hi;
    }
}
