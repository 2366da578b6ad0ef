package dev.ukemu.core.cpu;

/**
 * Lazy arithmetic flags. An instruction records what it did (an operation kind and size, its
 * operands and its result) and the six arithmetic flags are computed only when read. The kind
 * is {@code kind << 2 | log2(size)}.
 */
public final class LazyFlags {
    private LazyFlags() {
    }

    public static final int CF = 1, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, OF = 1 << 11;
    public static final int ARITH = CF | PF | AF | ZF | SF | OF;

    // Operation kinds. EFLAGS: res holds the six flags themselves.
    public static final int EFLAGS = 0, ADD = 1, ADC = 2, SUB = 3, SBB = 4, LOGIC = 5, INC = 6, DEC = 7,
            SHL = 8, SHR = 9, SAR = 10, NEG = 11,
            /** Multiplication: res is the low result, dst is 1 when the product overflowed (CF = OF = 1). */
            MUL = 12;

    static final long[] MASK = {0xFFL, 0xFFFFL, 0xFFFFFFFFL, -1L};
    static final long[] SIGN = {0x80L, 0x8000L, 0x80000000L, 1L << 63};
    static final int[] BITS = {8, 16, 32, 64};

    public static int log2(int size) {
        return switch (size) {
            case 1 -> 0;
            case 2 -> 1;
            case 4 -> 2;
            default -> 3;
        };
    }

    private static final byte[] PARITY = new byte[256];

    static {
        for (int i = 0; i < 256; i++) {
            PARITY[i] = (byte) ((Integer.bitCount(i) & 1) == 0 ? PF : 0);
        }
    }

    /** All six arithmetic flags for the recorded operation. */
    static int compute(int op, long dst, long src, long res) {
        if (op == EFLAGS) {
            return (int) res & ARITH;
        }
        int sz = op & 3;
        long m = MASK[sz], s = SIGN[sz];
        long r = res & m;
        int f = PARITY[(int) (res & 0xFF)];
        if (r == 0) {
            f |= ZF;
        }
        if ((res & s) != 0) {
            f |= SF;
        }
        switch (op >>> 2) {
            case ADD -> {
                if (Long.compareUnsigned(r, dst & m) < 0) f |= CF;
                if (((dst ^ res) & (src ^ res) & s) != 0) f |= OF;
                f |= (int) ((dst ^ src ^ res) & AF);
            }
            case ADC -> {
                if (Long.compareUnsigned(r, dst & m) <= 0) f |= CF;
                if (((dst ^ res) & (src ^ res) & s) != 0) f |= OF;
                f |= (int) ((dst ^ src ^ res) & AF);
            }
            case SUB -> {
                if (Long.compareUnsigned(dst & m, src & m) < 0) f |= CF;
                if (((dst ^ src) & (dst ^ res) & s) != 0) f |= OF;
                f |= (int) ((dst ^ src ^ res) & AF);
            }
            case SBB -> {
                if (Long.compareUnsigned(dst & m, src & m) <= 0) f |= CF;
                if (((dst ^ src) & (dst ^ res) & s) != 0) f |= OF;
                f |= (int) ((dst ^ src ^ res) & AF);
            }
            case NEG -> {
                // res = 0 - src
                if (r != 0) f |= CF;
                if (r == s) f |= OF;
                f |= (int) ((src ^ res) & AF);
            }
            case LOGIC -> {
            }
            case MUL -> {
                if (dst != 0) f |= CF | OF;
            }
            case INC -> {
                // src holds the incoming CF
                f |= (int) (src & CF);
                if (r == s) f |= OF;
                if ((res & 0xF) == 0) f |= AF;
            }
            case DEC -> {
                f |= (int) (src & CF);
                if (r == s - 1) f |= OF;
                if ((res & 0xF) == 0xF) f |= AF;
            }
            case SHL -> {
                // src = count (1..bits), dst = original value
                int c = (int) src;
                if (c <= BITS[sz] && ((dst >>> (BITS[sz] - c)) & 1) != 0) f |= CF;
                if ((((f & CF) != 0) ^ ((res & s) != 0))) f |= OF;
            }
            case SHR -> {
                int c = (int) src;
                if (((dst >>> (c - 1)) & 1) != 0) f |= CF;
                if ((dst & s) != 0 && c == 1) f |= OF;
                if (c > 1 && (dst & s) != 0) f |= OF; // as the hardware computes it for counts > 1
            }
            case SAR -> {
                int c = (int) src;
                long sx = signExtend(dst, sz);
                if (((sx >> Math.min(c - 1, 63)) & 1) != 0) f |= CF;
            }
            default -> throw new IllegalStateException("flag op " + op);
        }
        return f;
    }

    /** Sign-extends the low {@code 8 << sz} bits of {@code v} ({@code sz} 0-3); small enough to inline. */
    static long signExtend(long v, int sz) {
        int sh = 64 - (8 << sz);
        return v << sh >> sh;
    }

    /** Condition code {@code cc} (the low nibble of Jcc/SETcc/CMOVcc) over the recorded operation. */
    static boolean cond(int op, long dst, long src, long res, int cc) {
        boolean v;
        if ((op >>> 2) == SUB) {
            // Comparisons, the common case: answer from the operands directly.
            int sz = op & 3;
            long m = MASK[sz];
            long a = dst & m, b = src & m;
            switch (cc >> 1) {
                case 1 -> v = Long.compareUnsigned(a, b) < 0;
                case 2 -> v = a == b;
                case 3 -> v = Long.compareUnsigned(a, b) <= 0;
                case 6 -> v = signExtend(a, sz) < signExtend(b, sz);
                case 7 -> v = signExtend(a, sz) <= signExtend(b, sz);
                default -> v = condSlow(op, dst, src, res, cc >> 1);
            }
        } else {
            v = condSlow(op, dst, src, res, cc >> 1);
        }
        return v ^ ((cc & 1) != 0);
    }

    private static boolean condSlow(int op, long dst, long src, long res, int c) {
        if (c == 2) {
            return zf(op, res);
        }
        if (c == 4) {
            return sf(op, res);
        }
        if ((op >>> 2) == LOGIC && c != 5) {
            // TEST, AND, OR, XOR: CF = OF = 0, so L is S and LE is Z or S.
            return switch (c) {
                case 3 -> zf(op, res);
                case 6 -> sf(op, res);
                case 7 -> zf(op, res) || sf(op, res);
                default -> false;
            };
        }
        int f = compute(op, dst, src, res);
        return switch (c) {
            case 0 -> (f & OF) != 0;
            case 1 -> (f & CF) != 0;
            case 3 -> (f & (CF | ZF)) != 0;
            case 5 -> (f & PF) != 0;
            case 6 -> ((f & SF) != 0) != ((f & OF) != 0);
            default -> (f & ZF) != 0 || (((f & SF) != 0) != ((f & OF) != 0));
        };
    }

    static boolean cf(int op, long dst, long src, long res) {
        int sz = op & 3;
        long m = MASK[sz];
        return switch (op >>> 2) {
            case ADD -> Long.compareUnsigned(res & m, dst & m) < 0;
            case SUB -> Long.compareUnsigned(dst & m, src & m) < 0;
            case LOGIC -> false;
            default -> (compute(op, dst, src, res) & CF) != 0;
        };
    }

    static boolean zf(int op, long res) {
        if (op == EFLAGS) {
            return (res & ZF) != 0;
        }
        return (res & MASK[op & 3]) == 0;
    }

    static boolean sf(int op, long res) {
        if (op == EFLAGS) {
            return (res & SF) != 0;
        }
        return (res & SIGN[op & 3]) != 0;
    }
}
