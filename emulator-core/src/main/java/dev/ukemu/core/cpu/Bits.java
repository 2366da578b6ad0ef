package dev.ukemu.core.cpu;

/** Bit tests and scans, population count, byte swaps. */
final class Bits {
    private Bits() {
    }

    /** BT/BTS/BTR/BTC. A register bit offset addresses memory beyond the operand (signed). */
    static void bt(Cpu c, Insn i, long offset, boolean regOffset) {
        int bitsN = i.size * 8;
        int f = c.arithFlags() & ~LazyFlags.CF;
        if (!i.mem) {
            int bit = (int) (offset & (bitsN - 1));
            long v = c.reg(i.rm, i.size);
            if (((v >>> bit) & 1) != 0) f |= LazyFlags.CF;
            long nv = switch (i.sub) {
                case 1 -> v | (1L << bit);
                case 2 -> v & ~(1L << bit);
                case 3 -> v ^ (1L << bit);
                default -> v;
            };
            if (i.sub != 0) c.setReg(i.rm, i.size, nv);
            c.setFlagsArith(f);
            return;
        }
        long la = c.ea(i);
        int bit;
        if (regOffset) {
            long so = LazyFlags.signExtend(offset, LazyFlags.log2(i.size));
            la = (la + (so >> 3 & ~(long) (i.size - 1))) & i.linMask;
            bit = (int) (so & (bitsN - 1));
        } else {
            bit = (int) (offset & (bitsN - 1));
        }
        long mask = 1L << bit;
        long v;
        if (i.lock && i.sub != 0) {
            int kind = i.sub == 1 ? Atomics.K_BTS : i.sub == 2 ? Atomics.K_BTR : Atomics.K_BTC;
            v = Atomics.update(c, la, i.size, kind, mask, 0);
        } else {
            v = c.read(la, i.size);
            if (i.sub != 0) {
                long nv = i.sub == 1 ? v | mask : i.sub == 2 ? v & ~mask : v ^ mask;
                c.write(la, i.size, nv);
            }
        }
        if ((v & mask) != 0) f |= LazyFlags.CF;
        c.setFlagsArith(f);
    }

    static void bsf(Cpu c, Insn i) {
        long v = c.readRm(i);
        int f = c.arithFlags() & ~LazyFlags.ZF;
        if (v == 0) {
            c.setFlagsArith(f | LazyFlags.ZF); // destination unchanged (as Intel and AMD do)
            return;
        }
        c.setReg(i.reg, i.size, Long.numberOfTrailingZeros(v));
        c.setFlagsArith(f);
    }

    static void bsr(Cpu c, Insn i) {
        long v = c.readRm(i);
        int f = c.arithFlags() & ~LazyFlags.ZF;
        if (v == 0) {
            c.setFlagsArith(f | LazyFlags.ZF);
            return;
        }
        c.setReg(i.reg, i.size, 63 - Long.numberOfLeadingZeros(v));
        c.setFlagsArith(f);
    }

    static void tzcnt(Cpu c, Insn i) {
        long v = c.readRm(i);
        int n = v == 0 ? i.size * 8 : Long.numberOfTrailingZeros(v);
        c.setReg(i.reg, i.size, n);
        int f = c.arithFlags() & ~(LazyFlags.CF | LazyFlags.ZF);
        if (v == 0) f |= LazyFlags.CF;
        if (n == 0) f |= LazyFlags.ZF;
        c.setFlagsArith(f);
    }

    static void lzcnt(Cpu c, Insn i) {
        long v = c.readRm(i);
        int n = v == 0 ? i.size * 8 : Long.numberOfLeadingZeros(v) - (64 - i.size * 8);
        c.setReg(i.reg, i.size, n);
        int f = c.arithFlags() & ~(LazyFlags.CF | LazyFlags.ZF);
        if (v == 0) f |= LazyFlags.CF;
        if (n == 0) f |= LazyFlags.ZF;
        c.setFlagsArith(f);
    }

    static void popcnt(Cpu c, Insn i) {
        long v = c.readRm(i);
        c.setReg(i.reg, i.size, Long.bitCount(v));
        c.setFlagsArith(v == 0 ? LazyFlags.ZF : 0);
    }

    static void bswap(Cpu c, Insn i) {
        switch (i.size) {
            case 8 -> c.r[i.rm] = Long.reverseBytes(c.r[i.rm]);
            case 4 -> c.r[i.rm] = Integer.reverseBytes((int) c.r[i.rm]) & 0xFFFFFFFFL;
            default -> c.setReg(i.rm, 2, 0); // 16-bit BSWAP is undefined; Intel CPUs clear the word
        }
    }

    static long swap(long v, int size) {
        return switch (size) {
            case 2 -> Short.reverseBytes((short) v) & 0xFFFF;
            case 4 -> Integer.reverseBytes((int) v) & 0xFFFFFFFFL;
            default -> Long.reverseBytes(v);
        };
    }
}
