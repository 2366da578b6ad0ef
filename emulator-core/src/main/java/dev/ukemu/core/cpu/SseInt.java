package dev.ukemu.core.cpu;

/**
 * Packed-integer operations on one 64-bit word: an MMX register, or either half of an XMM
 * register (every operation here keeps its lanes inside 64 bits, so XMM runs it twice). Lane
 * widths are 8, 16, 32 and 64 bits; wrap-around arithmetic uses SWAR, saturating and
 * multiplying forms go lane by lane through {@link #lane} and {@link #put}.
 */
final class SseInt {
    private SseInt() {
    }

    // Lane operations (Insn.sub of SseOp.PINT).
    static final int PADDB = 0, PADDW = 1, PADDD = 2, PADDQ = 3, PSUBB = 4, PSUBW = 5, PSUBD = 6, PSUBQ = 7,
            PADDSB = 8, PADDSW = 9, PADDUSB = 10, PADDUSW = 11, PSUBSB = 12, PSUBSW = 13, PSUBUSB = 14, PSUBUSW = 15,
            PCMPEQB = 16, PCMPEQW = 17, PCMPEQD = 18, PCMPEQQ = 19, PCMPGTB = 20, PCMPGTW = 21, PCMPGTD = 22,
            PCMPGTQ = 23, PMINUB = 24, PMINUW = 25, PMINUD = 26, PMINSB = 27, PMINSW = 28, PMINSD = 29,
            PMAXUB = 30, PMAXUW = 31, PMAXUD = 32, PMAXSB = 33, PMAXSW = 34, PMAXSD = 35,
            PAVGB = 36, PAVGW = 37, PMULLW = 38, PMULHW = 39, PMULHUW = 40, PMULUDQ = 41, PMULDQ = 42, PMULLD = 43,
            PMADDWD = 44, PSADBW = 45, PAND = 46, PANDN = 47, POR = 48, PXOR = 49, PSIGNB = 50, PSIGNW = 51,
            PSIGND = 52, PABSB = 53, PABSW = 54, PABSD = 55, PMULHRSW = 56, PMADDUBSW = 57;
    // Shifts (Insn.sub of SseOp.PSHIFT / PSHIFT_I).
    static final int PSRLW = 0, PSRLD = 1, PSRLQ = 2, PSRAW = 3, PSRAD = 4, PSLLW = 5, PSLLD = 6, PSLLQ = 7;
    // Packs (Insn.sub of SseOp.PACK).
    static final int PACKSSWB = 0, PACKUSWB = 1, PACKSSDW = 2, PACKUSDW = 3;

    /** Sign bit of each lane, for lane log2 width 0..3 (bytes). */
    private static final long[] HIGH = {0x8080808080808080L, 0x8000800080008000L, 0x8000000080000000L, 0x8000000000000000L};

    static long op(int kind, long a, long b) {
        return switch (kind) {
            case PADDB, PADDW, PADDD -> add(a, b, HIGH[kind]);
            case PADDQ -> a + b;
            case PSUBB, PSUBW, PSUBD -> sub(a, b, HIGH[kind - PSUBB]);
            case PSUBQ -> a - b;
            case PAND -> a & b;
            case PANDN -> ~a & b;
            case POR -> a | b;
            case PXOR -> a ^ b;
            case PCMPEQB, PCMPEQW, PCMPEQD, PCMPEQQ -> cmpeq(a, b, kind - PCMPEQB);
            default -> lanes(kind, a, b);
        };
    }

    private static long add(long a, long b, long h) {
        return ((a & ~h) + (b & ~h)) ^ ((a ^ b) & h);
    }

    private static long sub(long a, long b, long h) {
        return ((a | h) - (b & ~h)) ^ ((a ^ ~b) & h);
    }

    /** All ones in each lane where a and b agree (SWAR: a lane is nonzero iff its top bit ends up set). */
    private static long cmpeq(long a, long b, int log) {
        if (log == 3) {
            return a == b ? -1L : 0;
        }
        long h = HIGH[log];
        long x = a ^ b;
        long nonzero = (((x & ~h) + ~h) | x) & h;
        int bits = 8 << log;
        return ((~nonzero & h) >>> (bits - 1)) * ((1L << bits) - 1);
    }

    /** Lane {@code k} of a word, sign- or zero-extended. */
    static long lane(long v, int k, int log, boolean signed) {
        int bits = 8 << log;
        int sh = 64 - bits;
        long x = v << (sh - k * bits);
        return signed ? x >> sh : x >>> sh;
    }

    /** Puts {@code x} (truncated) into lane {@code k}. */
    static long put(long v, int k, int log, long x) {
        int bits = 8 << log;
        long m = bits == 64 ? -1L : (1L << bits) - 1;
        int s = k * bits;
        return (v & ~(m << s)) | ((x & m) << s);
    }

    static long saturate(long x, int log, boolean signed) {
        int bits = 8 << log;
        long max = signed ? (1L << (bits - 1)) - 1 : (1L << bits) - 1;
        long min = signed ? -(1L << (bits - 1)) : 0;
        return x > max ? max : Math.max(x, min);
    }

    private static int logOf(int kind) {
        return switch (kind) {
            case PADDSB, PADDUSB, PSUBSB, PSUBUSB, PCMPGTB, PMINUB, PMINSB, PMAXUB, PMAXSB, PAVGB, PSIGNB, PABSB -> 0;
            case PADDSW, PADDUSW, PSUBSW, PSUBUSW, PCMPGTW, PMINUW, PMINSW, PMAXUW, PMAXSW, PAVGW, PMULLW, PMULHW,
                 PMULHUW, PSIGNW, PABSW, PMULHRSW -> 1;
            case PCMPGTQ -> 3;
            default -> 2;
        };
    }

    private static boolean signedLanes(int kind) {
        return switch (kind) {
            case PADDSB, PADDSW, PSUBSB, PSUBSW, PCMPGTB, PCMPGTW, PCMPGTD, PCMPGTQ, PMINSB, PMINSW, PMINSD,
                 PMAXSB, PMAXSW, PMAXSD, PMULLW, PMULHW, PSIGNB, PSIGNW, PSIGND, PABSB, PABSW, PABSD, PMULHRSW,
                 PMULLD -> true;
            default -> false;
        };
    }

    private static long lanes(int kind, long a, long b) {
        switch (kind) {
            case PMULUDQ -> {
                return (a & 0xFFFFFFFFL) * (b & 0xFFFFFFFFL);
            }
            case PMULDQ -> {
                return (long) (int) a * (int) b;
            }
            case PMADDWD -> {
                return pmaddwd(a, b);
            }
            case PSADBW -> {
                return psadbw(a, b);
            }
            case PMADDUBSW -> {
                return pmaddubsw(a, b);
            }
            case PCMPGTQ -> {
                return a > b ? -1L : 0;
            }
            default -> {
                int log = logOf(kind);
                boolean signed = signedLanes(kind);
                int n = 8 >> log;
                long r = 0;
                for (int k = 0; k < n; k++) {
                    r = put(r, k, log, lane1(kind, lane(a, k, log, signed), lane(b, k, log, signed), log));
                }
                return r;
            }
        }
    }

    private static long lane1(int kind, long x, long y, int log) {
        return switch (kind) {
            case PADDSB, PADDSW -> saturate(x + y, log, true);
            case PADDUSB, PADDUSW -> saturate(x + y, log, false);
            case PSUBSB, PSUBSW -> saturate(x - y, log, true);
            case PSUBUSB, PSUBUSW -> saturate(x - y, log, false);
            case PCMPGTB, PCMPGTW, PCMPGTD -> x > y ? -1L : 0;
            case PMINUB, PMINUW, PMINUD, PMINSB, PMINSW, PMINSD -> Math.min(x, y);
            case PMAXUB, PMAXUW, PMAXUD, PMAXSB, PMAXSW, PMAXSD -> Math.max(x, y);
            case PAVGB, PAVGW -> (x + y + 1) >> 1;
            case PMULLW, PMULLD -> x * y;
            case PMULHW, PMULHUW -> (x * y) >> 16;
            case PSIGNB, PSIGNW, PSIGND -> y < 0 ? -x : y == 0 ? 0 : x;
            case PABSB, PABSW, PABSD -> Math.abs(y);
            case PMULHRSW -> ((x * y >> 14) + 1) >> 1;
            default -> throw new IllegalStateException("lane op " + kind);
        };
    }

    private static long pmaddwd(long a, long b) {
        long r = 0;
        for (int k = 0; k < 2; k++) {
            long s = lane(a, 2 * k, 1, true) * lane(b, 2 * k, 1, true)
                    + lane(a, 2 * k + 1, 1, true) * lane(b, 2 * k + 1, 1, true);
            r = put(r, k, 2, s);
        }
        return r;
    }

    private static long psadbw(long a, long b) {
        long s = 0;
        for (int k = 0; k < 8; k++) {
            s += Math.abs(lane(a, k, 0, false) - lane(b, k, 0, false));
        }
        return s;
    }

    /** Unsigned bytes of the destination times signed bytes of the source, pairs added with saturation. */
    private static long pmaddubsw(long a, long b) {
        long r = 0;
        for (int k = 0; k < 4; k++) {
            long s = lane(a, 2 * k, 0, false) * lane(b, 2 * k, 0, true)
                    + lane(a, 2 * k + 1, 0, false) * lane(b, 2 * k + 1, 0, true);
            r = put(r, k, 1, saturate(s, 1, true));
        }
        return r;
    }

    /** Shifts every lane by {@code count} (unsigned, 64 bits as the instruction reads it). */
    static long shift(int kind, long a, long count) {
        int log = switch (kind) {
            case PSRLW, PSRAW, PSLLW -> 1;
            case PSRLD, PSRAD, PSLLD -> 2;
            default -> 3;
        };
        int bits = 8 << log;
        boolean arith = kind == PSRAW || kind == PSRAD;
        if (Long.compareUnsigned(count, bits - 1) > 0) {
            if (!arith) {
                return 0;
            }
            count = bits - 1;
        }
        int n = (int) count;
        if (log == 3) {
            return kind == PSLLQ ? a << n : a >>> n;
        }
        long r = 0;
        for (int k = 0; k < 64 / bits; k++) {
            long x = lane(a, k, log, arith);
            long y = switch (kind) {
                case PSLLW, PSLLD -> x << n;
                default -> x >> n; // zero-extended lanes make this logical
            };
            r = put(r, k, log, y);
        }
        return r;
    }

    /** PMOVMSKB of one word: the sign bit of each byte, gathered by one multiplication. */
    static int byteMask(long v) {
        return (int) (((v & HIGH[0]) >>> 7) * 0x0102040810204080L >>> 56);
    }
}
