package dev.ukemu.core.cpu;

import java.util.Random;

/** Random x87 operands biased towards the edges: zeros, denormals, unsupported encodings, NaNs, boundaries. */
final class X87Values {
    private final Random rnd;

    X87Values(Random rnd) {
        this.rnd = rnd;
    }

    /** A random significand: random, all ones, power of two, short (trailing zeros), near a rounding tie. */
    long significand() {
        return switch (rnd.nextInt(8)) {
            case 0 -> -1L;
            case 1 -> Float80.INT_BIT;
            case 2 -> Float80.INT_BIT | 1;
            case 3 -> rnd.nextLong() & (-1L << (11 + rnd.nextInt(52))); // few significant bits
            case 4 -> {
                // ties and near-ties for 24/53/64-bit rounding
                int drop = new int[] {40, 11, 1}[rnd.nextInt(3)];
                long v = rnd.nextLong() & (-1L << drop);
                yield v | (1L << (drop - 1)) ^ (rnd.nextBoolean() ? 0 : rnd.nextInt(2));
            }
            case 5 -> -1L << rnd.nextInt(64);
            default -> rnd.nextLong();
        };
    }

    int exponent() {
        return switch (rnd.nextInt(8)) {
            case 0 -> 1 + rnd.nextInt(80);
            case 1 -> 0x7FFE - rnd.nextInt(80);
            case 2 -> 0x3FFF - 0x3F80 + rnd.nextInt(60) - 30; // float32 edges
            case 3 -> 0x3FFF - 0x3C00 + rnd.nextInt(120) - 60; // float64 edges
            case 4 -> 0x3FFF + 0x3FFF - rnd.nextInt(40); // near the top of the double range
            case 5 -> 1 + rnd.nextInt(0x7FFE);
            default -> 0x3FFF + rnd.nextInt(140) - 70;
        };
    }

    /** An 80-bit value as {se, sig} packed: se in the high 16 bits of the returned pair array. */
    long[] f80() {
        int s = rnd.nextBoolean() ? 0x8000 : 0;
        int k = rnd.nextInt(100);
        if (k < 50) {
            return new long[] {s | exponent(), significand() | Float80.INT_BIT};
        }
        if (k < 56) {
            return new long[] {s, 0};
        }
        if (k < 62) {
            return new long[] {s, significand() & Long.MAX_VALUE}; // denormal
        }
        if (k < 64) {
            return new long[] {s, significand() | Float80.INT_BIT}; // pseudo-denormal
        }
        if (k < 68) {
            return new long[] {s | 0x7FFF, Float80.INT_BIT};
        }
        if (k < 72) {
            return new long[] {s | 0x7FFF, 0xC000000000000000L | (significand() >>> 2)}; // QNaN
        }
        if (k < 75) {
            long m = significand() >>> 2;
            return new long[] {s | 0x7FFF, Float80.INT_BIT | (m == 0 ? 1 : m)}; // SNaN
        }
        if (k < 77) {
            return new long[] {s | (rnd.nextBoolean() ? 0x7FFF : exponent()), significand() & Long.MAX_VALUE}; // unsupported
        }
        if (k < 85) {
            long v = rnd.nextInt(2001) - 1000; // small integers and halves
            double d = rnd.nextBoolean() ? v : v + 0.5;
            return fromDouble(d);
        }
        if (k < 92) {
            return fromDouble(Double.longBitsToDouble(f64()));
        }
        return new long[] {s | exponent(), significand() | Float80.INT_BIT};
    }

    static long[] fromDouble(double d) {
        Float80 u = new Float80();
        u.fromF64(Double.doubleToRawLongBits(d));
        return new long[] {u.se, u.sig};
    }

    int f32() {
        int s = rnd.nextBoolean() ? 0x80000000 : 0;
        return switch (rnd.nextInt(10)) {
            case 0 -> s;
            case 1 -> s | (rnd.nextInt(0x7FFFFF) + 1); // denormal
            case 2 -> s | 0x7F800000;
            case 3 -> s | 0x7FC00000 | rnd.nextInt(0x400000); // QNaN
            case 4 -> s | 0x7F800000 | (rnd.nextInt(0x3FFFFF) + 1); // SNaN
            case 5 -> s | ((1 + rnd.nextInt(254)) << 23) | (rnd.nextBoolean() ? 0 : 0x7FFFFF);
            default -> s | ((1 + rnd.nextInt(254)) << 23) | rnd.nextInt(0x800000);
        };
    }

    long f64() {
        long s = rnd.nextBoolean() ? Long.MIN_VALUE : 0;
        long frac = rnd.nextLong() & 0xFFFFFFFFFFFFFL;
        return switch (rnd.nextInt(10)) {
            case 0 -> s;
            case 1 -> s | (frac == 0 ? 1 : frac);
            case 2 -> s | 0x7FF0000000000000L;
            case 3 -> s | 0x7FF8000000000000L | (frac >>> 1);
            case 4 -> s | 0x7FF0000000000000L | ((frac >>> 1) == 0 ? 1 : frac >>> 1);
            case 5 -> s | ((long) (1 + rnd.nextInt(2046)) << 52) | (rnd.nextBoolean() ? 0 : 0xFFFFFFFFFFFFFL);
            default -> s | ((long) (1 + rnd.nextInt(2046)) << 52) | frac;
        };
    }

    long integer(int bits) {
        long min = Long.MIN_VALUE >> (64 - bits), max = ~min;
        return switch (rnd.nextInt(8)) {
            case 0 -> min;
            case 1 -> max;
            case 2 -> 0;
            case 3 -> rnd.nextInt(21) - 10;
            case 4 -> min + rnd.nextInt(3);
            case 5 -> max - rnd.nextInt(3);
            default -> rnd.nextLong() >> (64 - bits);
        };
    }

    /** An 18-digit packed BCD: low 8 bytes and the top two bytes (sign in bit 15). */
    long[] bcd() {
        long digits = switch (rnd.nextInt(5)) {
            case 0 -> 0;
            case 1 -> 999_999_999_999_999_999L;
            case 2 -> rnd.nextInt(1000);
            default -> Math.floorMod(rnd.nextLong(), 1_000_000_000_000_000_000L);
        };
        long lo = 0;
        for (int k = 0; k < 16; k++) {
            lo |= (digits % 10) << (4 * k);
            digits /= 10;
        }
        long hi = (digits % 10) | ((digits / 10) % 10) << 4;
        if (rnd.nextBoolean()) {
            hi |= 0x8000;
        }
        return new long[] {lo, hi};
    }
}
