package dev.ukemu.core.cpu;

/** Shifts and rotates (ROL ROR RCL RCR SHL SHR SAL SAR), SHLD and SHRD. */
final class Shifts {
    private Shifts() {
    }

    static final int ROL = 0, ROR = 1, RCL = 2, RCR = 3, SHL = 4, SHR = 5, SAL = 6, SAR = 7;

    /**
     * The arithmetic flags after ROL ({@code left}) or ROR of {@code bits} bits whose result is
     * {@code res}, from the flags before: ROL's CF is the result's low bit and OF is CF xor its top
     * bit; ROR's CF is the top bit and OF the xor of the two top bits; the rest are unchanged.
     */
    static int rotateFlags(int before, long res, int bits, boolean left) {
        int f = before & ~(LazyFlags.CF | LazyFlags.OF);
        long msb = (res >>> (bits - 1)) & 1;
        long cf = left ? res & 1 : msb;
        long of = left ? msb ^ cf : msb ^ ((res >>> (bits - 2)) & 1);
        return f | (int) cf * LazyFlags.CF | (int) of * LazyFlags.OF;
    }

    static void shift(Cpu c, Insn i, int count) {
        int bitsN = i.size * 8;
        count &= i.size == 8 ? 63 : 31;
        if (count == 0) {
            if (!i.mem) {
                // A zero count changes nothing, but a 32-bit register is still zero-extended.
                if (i.size == 4) c.r[i.rm] &= 0xFFFFFFFFL;
            }
            return;
        }
        long la = i.mem ? c.ea(i) : 0;
        int sz = LazyFlags.log2(i.size);
        long m = LazyFlags.MASK[sz];
        long v = (i.mem ? c.read(la, i.size) : c.reg(i.rm, i.size)) & m;
        long res;
        switch (i.sub) {
            case SHL, SAL -> {
                res = count >= 64 ? 0 : v << count;
                store(c, i, la, res);
                c.setCc(LazyFlags.SHL << 2 | sz, v, count, res);
            }
            case SHR -> {
                res = v >>> count;
                store(c, i, la, res);
                c.setCc(LazyFlags.SHR << 2 | sz, v, count, res);
            }
            case SAR -> {
                res = LazyFlags.signExtend(v, sz) >> count;
                store(c, i, la, res);
                c.setCc(LazyFlags.SAR << 2 | sz, v, count, res);
            }
            case ROL -> {
                int n = count % bitsN;
                res = n == 0 ? v : ((v << n) | (v >>> (bitsN - n))) & m;
                store(c, i, la, res);
                c.setFlagsArith(rotateFlags(c.arithFlags(), res, bitsN, true));
            }
            case ROR -> {
                int n = count % bitsN;
                res = n == 0 ? v : ((v >>> n) | (v << (bitsN - n))) & m;
                store(c, i, la, res);
                c.setFlagsArith(rotateFlags(c.arithFlags(), res, bitsN, false));
            }
            case RCL -> {
                int n = count % (bitsN + 1);
                int f = c.arithFlags();
                long cf = f & 1;
                res = v;
                for (int k = 0; k < n; k++) {
                    long out = (res >>> (bitsN - 1)) & 1;
                    res = ((res << 1) | cf) & m;
                    cf = out;
                }
                store(c, i, la, res);
                f &= ~(LazyFlags.CF | LazyFlags.OF);
                f |= (int) cf;
                if ((((res >>> (bitsN - 1)) & 1) ^ cf) != 0) f |= LazyFlags.OF;
                c.setFlagsArith(f);
            }
            default -> { // RCR
                int n = count % (bitsN + 1);
                int f = c.arithFlags();
                long cf = f & 1;
                res = v;
                long ofv = ((v >>> (bitsN - 1)) & 1) ^ cf;
                for (int k = 0; k < n; k++) {
                    long out = res & 1;
                    res = (res >>> 1) | (cf << (bitsN - 1));
                    cf = out;
                }
                store(c, i, la, res);
                f &= ~(LazyFlags.CF | LazyFlags.OF);
                f |= (int) cf;
                long msb = (res >>> (bitsN - 1)) & 1, msb2 = (res >>> (bitsN - 2)) & 1;
                if (n == 1 ? ofv != 0 : (msb ^ msb2) != 0) f |= LazyFlags.OF;
                c.setFlagsArith(f);
            }
        }
    }

    private static void store(Cpu c, Insn i, long la, long v) {
        if (i.mem) {
            c.write(la, i.size, v);
        } else {
            c.setReg(i.rm, i.size, v);
        }
    }

    static void shld(Cpu c, Insn i, int count) {
        count &= i.size == 8 ? 63 : 31;
        int bitsN = i.size * 8;
        if (count == 0) {
            if (!i.mem && i.size == 4) c.r[i.rm] &= 0xFFFFFFFFL;
            return;
        }
        long la = i.mem ? c.ea(i) : 0;
        int sz = LazyFlags.log2(i.size);
        long m = LazyFlags.MASK[sz];
        long dst = (i.mem ? c.read(la, i.size) : c.reg(i.rm, i.size)) & m;
        long src = c.reg(i.reg, i.size) & m;
        long res;
        long cf;
        if (i.size == 2 && count > 16) {
            // Undefined on Intel for 16-bit counts above 16; model as a 48-bit rotate-through.
            long wide = (dst << 32) | (src << 16) | dst;
            res = (wide << count >>> 32) & m;
            cf = (wide >>> (48 - count)) & 1;
        } else {
            res = ((dst << count) | (count == bitsN ? src : src >>> (bitsN - count))) & m;
            cf = (dst >>> (bitsN - count)) & 1;
        }
        store(c, i, la, res);
        c.setCc(LazyFlags.LOGIC << 2 | sz, 0, 0, res);
        int f = c.arithFlags();
        if (cf != 0) f |= LazyFlags.CF;
        if ((((res ^ dst) >>> (bitsN - 1)) & 1) != 0) f |= LazyFlags.OF;
        c.setFlagsArith(f);
    }

    static void shrd(Cpu c, Insn i, int count) {
        count &= i.size == 8 ? 63 : 31;
        int bitsN = i.size * 8;
        if (count == 0) {
            if (!i.mem && i.size == 4) c.r[i.rm] &= 0xFFFFFFFFL;
            return;
        }
        long la = i.mem ? c.ea(i) : 0;
        int sz = LazyFlags.log2(i.size);
        long m = LazyFlags.MASK[sz];
        long dst = (i.mem ? c.read(la, i.size) : c.reg(i.rm, i.size)) & m;
        long src = c.reg(i.reg, i.size) & m;
        long res;
        long cf;
        if (i.size == 2 && count > 16) {
            long wide = (dst << 32) | (src << 16) | dst;
            res = (wide >>> count) & m;
            cf = (wide >>> (count - 1)) & 1;
        } else {
            res = ((dst >>> count) | (src << (bitsN - count))) & m;
            cf = (dst >>> (count - 1)) & 1;
        }
        store(c, i, la, res);
        c.setCc(LazyFlags.LOGIC << 2 | sz, 0, 0, res);
        int f = c.arithFlags();
        if (cf != 0) f |= LazyFlags.CF;
        if ((((res ^ dst) >>> (bitsN - 1)) & 1) != 0) f |= LazyFlags.OF;
        c.setFlagsArith(f);
    }
}
