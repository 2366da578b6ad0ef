package dev.ukemu.core.cpu.oracle;

import java.util.Random;

/** Random operands biased toward the values where arithmetic goes wrong. */
final class Values {
    private Values() {
    }

    static final int CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
    static final int ARITH = CF | PF | AF | ZF | SF | OF;

    static long mask(int bits) {
        return bits == 64 ? -1L : (1L << bits) - 1;
    }

    static long signExtend(long v, int bits) {
        return bits == 64 ? v : (v << (64 - bits)) >> (64 - bits);
    }

    /** An edge value of the given width: 0, 1, all ones, the sign boundaries, nibble carries. */
    static long edge(Random r, int bits) {
        long s = 1L << (bits - 1), m = mask(bits);
        long v = switch (r.nextInt(16)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> 2;
            case 3 -> m;              // -1
            case 4 -> m - 1;          // -2
            case 5 -> s;              // most negative
            case 6 -> s - 1;          // most positive
            case 7 -> s + 1;
            case 8 -> s - 2;
            case 9 -> 0x0F;
            case 10 -> 0x10;
            case 11 -> 0x7F;
            case 12 -> 0x80;
            case 13 -> 0xFF;
            case 14 -> 0x8000;
            default -> 0xFFFF;
        };
        return v & m;
    }

    /** A 64-bit register value: edge values of every width, with or without garbage above. */
    static long any(Random r) {
        int bits = 8 << r.nextInt(4);
        long low = switch (r.nextInt(10)) {
            case 0, 1, 2 -> r.nextLong();
            case 3, 4, 5 -> edge(r, bits);
            case 6 -> r.nextInt(33) - 16;
            case 7 -> (1L << r.nextInt(64)) + (r.nextInt(3) - 1);
            case 8 -> r.nextLong() & mask(1 + r.nextInt(64));
            default -> r.nextLong() >> r.nextInt(64);
        };
        if (bits == 64) {
            return low;
        }
        return switch (r.nextInt(3)) {
            case 0 -> low;
            case 1 -> signExtend(low, bits);
            default -> (r.nextLong() & ~mask(bits)) | (low & mask(bits));
        };
    }

    /** Incoming arithmetic flags: each flag independently, sometimes all clear or all set. */
    static int flags(Random r) {
        return switch (r.nextInt(8)) {
            case 0 -> 0;
            case 1 -> ARITH;
            default -> r.nextInt(1 << 12) & ARITH;
        };
    }

    /** A shift or rotate count as CL or imm8: mostly 0..70 (masking), sometimes any byte. */
    static int count(Random r) {
        return switch (r.nextInt(8)) {
            case 0 -> r.nextInt(256);
            case 1 -> r.nextInt(3);
            default -> r.nextInt(71);
        };
    }
}
