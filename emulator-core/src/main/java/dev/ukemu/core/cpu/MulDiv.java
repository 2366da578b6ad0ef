package dev.ukemu.core.cpu;

/** MUL, IMUL (one-, two- and three-operand forms), DIV and IDIV. */
final class MulDiv {
    private MulDiv() {
    }

    /** CF and OF set together; SF/ZF/PF from the low result as Intel CPUs leave them, AF clear. */
    /** SF, ZF, PF of the low result, CF and OF when the product overflowed: kept lazily (the MUL kind). */
    static void mulFlags(Cpu c, int size, long low, boolean overflow) {
        c.setCc(LazyFlags.MUL << 2 | LazyFlags.log2(size), overflow ? 1 : 0, 0, low);
    }

    static void mul(Cpu c, Insn i) {
        long src = c.readRm(i);
        switch (i.size) {
            case 1 -> {
                long r = (c.r[Cpu.RAX] & 0xFF) * src;
                c.setReg(Cpu.RAX, 2, r);
                mulFlags(c, 1, r, (r & 0xFF00) != 0);
            }
            case 2 -> {
                long r = (c.r[Cpu.RAX] & 0xFFFF) * src;
                c.setReg(Cpu.RAX, 2, r);
                c.setReg(Cpu.RDX, 2, r >>> 16);
                mulFlags(c, 2, r, (r >>> 16) != 0);
            }
            case 4 -> {
                long r = (c.r[Cpu.RAX] & 0xFFFFFFFFL) * src;
                c.setReg(Cpu.RAX, 4, r);
                c.setReg(Cpu.RDX, 4, r >>> 32);
                mulFlags(c, 4, r, (r >>> 32) != 0);
            }
            default -> {
                long a = c.r[Cpu.RAX];
                long lo = a * src;
                long hi = Math.unsignedMultiplyHigh(a, src);
                c.r[Cpu.RAX] = lo;
                c.r[Cpu.RDX] = hi;
                mulFlags(c, 8, lo, hi != 0);
            }
        }
    }

    static void imul1(Cpu c, Insn i) {
        long src = LazyFlags.signExtend(c.readRm(i), LazyFlags.log2(i.size));
        switch (i.size) {
            case 1 -> {
                long r = (byte) c.r[Cpu.RAX] * src;
                c.setReg(Cpu.RAX, 2, r);
                mulFlags(c, 1, r, r != (byte) r);
            }
            case 2 -> {
                long r = (short) c.r[Cpu.RAX] * src;
                c.setReg(Cpu.RAX, 2, r);
                c.setReg(Cpu.RDX, 2, r >> 16);
                mulFlags(c, 2, r, r != (short) r);
            }
            case 4 -> {
                long r = (int) c.r[Cpu.RAX] * src;
                c.setReg(Cpu.RAX, 4, r);
                c.setReg(Cpu.RDX, 4, r >> 32);
                mulFlags(c, 4, r, r != (int) r);
            }
            default -> {
                long a = c.r[Cpu.RAX];
                long lo = a * src;
                long hi = Math.multiplyHigh(a, src);
                c.r[Cpu.RAX] = lo;
                c.r[Cpu.RDX] = hi;
                mulFlags(c, 8, lo, hi != (lo >> 63));
            }
        }
    }

    /** Two- and three-operand IMUL: reg = a * b, truncated to the operand size. */
    static void imul(Cpu c, Insn i, long a, long b) {
        int sz = LazyFlags.log2(i.size);
        long x = LazyFlags.signExtend(a, sz), y = LazyFlags.signExtend(b, sz);
        long lo = x * y;
        boolean overflow;
        if (i.size == 8) {
            overflow = Math.multiplyHigh(x, y) != (lo >> 63);
        } else {
            overflow = LazyFlags.signExtend(lo, sz) != lo;
        }
        c.setReg(i.reg, i.size, lo);
        mulFlags(c, i.size, lo, overflow);
    }

    static void div(Cpu c, Insn i) {
        long src = c.readRm(i);
        if (src == 0) {
            throw CpuException.fault(CpuException.DE);
        }
        switch (i.size) {
            case 1 -> {
                long n = c.r[Cpu.RAX] & 0xFFFF;
                long q = n / src;
                if (q > 0xFF) throw CpuException.fault(CpuException.DE);
                c.setReg(Cpu.RAX, 2, (n % src) << 8 | q);
            }
            case 2 -> {
                long n = (c.r[Cpu.RDX] & 0xFFFF) << 16 | (c.r[Cpu.RAX] & 0xFFFF);
                long q = n / src;
                if (q > 0xFFFF) throw CpuException.fault(CpuException.DE);
                c.setReg(Cpu.RAX, 2, q);
                c.setReg(Cpu.RDX, 2, n % src);
            }
            case 4 -> {
                long n = (c.r[Cpu.RDX] & 0xFFFFFFFFL) << 32 | (c.r[Cpu.RAX] & 0xFFFFFFFFL);
                long q = Long.divideUnsigned(n, src);
                if (Long.compareUnsigned(q, 0xFFFFFFFFL) > 0) throw CpuException.fault(CpuException.DE);
                c.setReg(Cpu.RAX, 4, q);
                c.setReg(Cpu.RDX, 4, Long.remainderUnsigned(n, src));
            }
            default -> {
                long hi = c.r[Cpu.RDX], lo = c.r[Cpu.RAX];
                if (Long.compareUnsigned(hi, src) >= 0) throw CpuException.fault(CpuException.DE);
                long[] qr = divide128(hi, lo, src);
                c.r[Cpu.RAX] = qr[0];
                c.r[Cpu.RDX] = qr[1];
            }
        }
    }

    /** Unsigned 128/64 division with hi < d: returns {quotient, remainder}. */
    static long[] divide128(long hi, long lo, long d) {
        if (hi == 0) {
            return new long[] {Long.divideUnsigned(lo, d), Long.remainderUnsigned(lo, d)};
        }
        java.math.BigInteger n = new java.math.BigInteger(Long.toUnsignedString(hi)).shiftLeft(64)
                .or(new java.math.BigInteger(Long.toUnsignedString(lo)));
        java.math.BigInteger[] qr = n.divideAndRemainder(new java.math.BigInteger(Long.toUnsignedString(d)));
        return new long[] {qr[0].longValue(), qr[1].longValue()};
    }

    static void idiv(Cpu c, Insn i) {
        long src = LazyFlags.signExtend(c.readRm(i), LazyFlags.log2(i.size));
        if (src == 0) {
            throw CpuException.fault(CpuException.DE);
        }
        switch (i.size) {
            case 1 -> {
                long n = (short) c.r[Cpu.RAX];
                long q = n / src;
                if (q != (byte) q) throw CpuException.fault(CpuException.DE);
                c.setReg(Cpu.RAX, 2, ((n % src) & 0xFF) << 8 | (q & 0xFF));
            }
            case 2 -> {
                long n = (int) ((c.r[Cpu.RDX] & 0xFFFF) << 16 | (c.r[Cpu.RAX] & 0xFFFF));
                long q = n / src;
                if (q != (short) q) throw CpuException.fault(CpuException.DE);
                c.setReg(Cpu.RAX, 2, q);
                c.setReg(Cpu.RDX, 2, n % src);
            }
            case 4 -> {
                long n = (c.r[Cpu.RDX] << 32) | (c.r[Cpu.RAX] & 0xFFFFFFFFL);
                if (n == Long.MIN_VALUE && src == -1) throw CpuException.fault(CpuException.DE);
                long q = n / src;
                if (q != (int) q) throw CpuException.fault(CpuException.DE);
                c.setReg(Cpu.RAX, 4, q);
                c.setReg(Cpu.RDX, 4, n % src);
            }
            default -> {
                java.math.BigInteger n = java.math.BigInteger.valueOf(c.r[Cpu.RDX]).shiftLeft(64)
                        .or(new java.math.BigInteger(Long.toUnsignedString(c.r[Cpu.RAX])));
                java.math.BigInteger[] qr = n.divideAndRemainder(java.math.BigInteger.valueOf(src));
                if (qr[0].bitLength() > 63) throw CpuException.fault(CpuException.DE);
                c.r[Cpu.RAX] = qr[0].longValue();
                c.r[Cpu.RDX] = qr[1].longValue();
            }
        }
    }
}
