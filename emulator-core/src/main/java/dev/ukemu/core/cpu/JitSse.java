package dev.ukemu.core.cpu;

/**
 * Word-at-a-time forms of the SSE shuffles that compiled regions call directly: the same results
 * as {@link SseShuffle}'s lane-by-lane generic forms, for XMM registers. Each takes the register
 * file, the destination's index (twice the register number) and the source's two halves.
 */
public final class JitSse {
    private JitSse() {
    }

    /** The lanes of a 32-bit value spread to twice their stride (bytes or words; dwords stay). */
    private static long spread(long x, int log) {
        x &= 0xFFFFFFFFL;
        if (log == 0) {
            x = (x | x << 16) & 0x0000FFFF0000FFFFL;
            return (x | x << 8) & 0x00FF00FF00FF00FFL;
        }
        if (log == 1) {
            return (x | x << 16) & 0x0000FFFF0000FFFFL;
        }
        return x;
    }

    /** PUNPCKL/H{BW,WD,DQ,QDQ}: {@code sub} is the lane size's log2, plus 4 for the high halves. */
    public static void punpck(long[] x, int d, long s0, long s1, int sub) {
        int log = sub & 3;
        boolean high = (sub & 4) != 0;
        long a = high ? x[d + 1] : x[d], b = high ? s1 : s0;
        if (log == 3) {
            x[d] = a;
            x[d + 1] = b;
            return;
        }
        int bits = 8 << log;
        x[d] = spread(a, log) | spread(b, log) << bits;
        x[d + 1] = spread(a >>> 32, log) | spread(b >>> 32, log) << bits;
    }

    /** PSHUFD: each destination dword picks a source dword by two bits of {@code imm}. */
    public static void pshufd(long[] x, int d, long s0, long s1, int imm) {
        x[d] = dword(s0, s1, imm & 3) | dword(s0, s1, imm >> 2 & 3) << 32;
        x[d + 1] = dword(s0, s1, imm >> 4 & 3) | dword(s0, s1, imm >> 6 & 3) << 32;
    }

    private static long dword(long s0, long s1, int k) {
        return ((k < 2 ? s0 : s1) >>> (32 * (k & 1))) & 0xFFFFFFFFL;
    }

    /** PACKSSWB, PACKUSWB, PACKSSDW, PACKUSDW: the destination's lanes narrowed, then the source's. */
    public static void pack(long[] x, int d, long s0, long s1, int kind) {
        int slog = kind >= SseInt.PACKSSDW ? 2 : 1;
        boolean signed = kind == SseInt.PACKSSWB || kind == SseInt.PACKSSDW;
        long r0 = narrow(x[d], x[d + 1], slog, signed);
        x[d + 1] = narrow(s0, s1, slog, signed);
        x[d] = r0;
    }

    private static long narrow(long lo, long hi, int slog, boolean signed) {
        int bits = 8 << slog, out = bits / 2, n = 64 / bits;
        long m = (1L << out) - 1, r = 0;
        for (int k = 0; k < n; k++) {
            r |= (SseInt.saturate(SseInt.lane(lo, k, slog, true), slog - 1, signed) & m) << (out * k);
            r |= (SseInt.saturate(SseInt.lane(hi, k, slog, true), slog - 1, signed) & m) << (out * (n + k));
        }
        return r;
    }
}
