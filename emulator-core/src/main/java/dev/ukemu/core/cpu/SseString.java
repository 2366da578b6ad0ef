package dev.ukemu.core.cpu;

/** SSE4.2: the packed string comparisons PCMPESTRI/ESTRM/ISTRI/ISTRM and CRC32 (SDM vol. 2, 4.1). */
final class SseString {
    private SseString() {
    }

    /** CRC-32C (Castagnoli), reflected polynomial. */
    private static final int[] CRC32C = new int[256];

    static {
        for (int n = 0; n < 256; n++) {
            int r = n;
            for (int k = 0; k < 8; k++) {
                r = (r >>> 1) ^ (0x82F63B78 & -(r & 1));
            }
            CRC32C[n] = r;
        }
    }

    /** CRC32 r32/r64, r/m8/16/32/64: sub = destination size, size = source size. */
    static void crc32(Cpu c, Insn i) {
        long v = i.mem ? c.read(c.ea(i), i.size) : c.reg(i.rm, i.size);
        int crc = (int) c.r[i.reg];
        for (int k = 0; k < i.size; k++) {
            crc = (crc >>> 8) ^ CRC32C[(crc ^ (int) (v >>> (8 * k))) & 0xFF];
        }
        c.r[i.reg] = crc & 0xFFFFFFFFL;
    }

    /**
     * sub: 0 PCMPESTRM, 1 PCMPESTRI, 2 PCMPISTRM, 3 PCMPISTRI. imm8 bits 0-1 the element format
     * (unsigned/signed bytes/words), 2-3 the aggregation, 4-5 the polarity, 6 the output selection.
     */
    static void pcmpstr(Cpu c, Insn i) {
        long[] t = c.sseTmp;
        Sse.load128(c, i, t, 2);
        t[0] = c.xmm[2 * i.reg];
        t[1] = c.xmm[2 * i.reg + 1];
        int imm = (int) i.imm;
        int log = imm & 1;
        boolean signed = (imm & 2) != 0;
        int n = 16 >> log;
        boolean explicit = i.sub < 2;
        int la, lb;
        if (explicit) {
            la = explicitLength(c.r[Cpu.RAX], i.size == 8, n);
            lb = explicitLength(c.r[Cpu.RDX], i.size == 8, n);
        } else {
            la = implicitLength(t, 0, log, n);
            lb = implicitLength(t, 2, log, n);
        }
        int res1 = aggregate(t, imm, log, signed, n, la, lb);
        int res2 = switch (imm >> 4 & 3) {
            case 1 -> ~res1;
            case 3 -> res1 ^ ((1 << lb) - 1);
            default -> res1;
        } & ((1 << n) - 1);
        if ((i.sub & 1) != 0) {
            int idx = res2 == 0 ? n : (imm & 0x40) != 0 ? 31 - Integer.numberOfLeadingZeros(res2)
                    : Integer.numberOfTrailingZeros(res2);
            c.r[Cpu.RCX] = idx;
        } else if ((imm & 0x40) != 0) {
            t[4] = 0;
            t[5] = 0;
            for (int k = 0; k < n; k++) {
                SseShuffle.set(t, 4, k, log, (res2 >> k & 1) != 0 ? -1L : 0);
            }
            c.xmm[0] = t[4];
            c.xmm[1] = t[5];
        } else {
            c.xmm[0] = res2 & 0xFFFFL;
            c.xmm[1] = 0;
        }
        int f = (res2 != 0 ? LazyFlags.CF : 0) | (lb < n ? LazyFlags.ZF : 0) | (la < n ? LazyFlags.SF : 0)
                | ((res2 & 1) != 0 ? LazyFlags.OF : 0);
        c.setFlagsArith(f);
    }

    private static int explicitLength(long r, boolean wide, int n) {
        long v = wide ? r : (int) r;
        if (v < 0) {
            v = v == Long.MIN_VALUE ? Long.MAX_VALUE : -v;
        }
        return (int) Math.min(v, n);
    }

    private static int implicitLength(long[] t, int base, int log, int n) {
        for (int k = 0; k < n; k++) {
            if (SseShuffle.get(t, base, k, log) == 0) {
                return k;
            }
        }
        return n;
    }

    private static long el(long[] t, int base, int k, int log, boolean signed) {
        return signed ? SseShuffle.getSigned(t, base, k, log) : SseShuffle.get(t, base, k, log);
    }

    /** IntRes1: bit j for position j of the second operand (b); a is the first operand (ModRM.reg). */
    private static int aggregate(long[] t, int imm, int log, boolean signed, int n, int la, int lb) {
        int r = 0;
        switch (imm >> 2 & 3) {
            case 0 -> { // equal any
                for (int j = 0; j < lb; j++) {
                    long b = el(t, 2, j, log, signed);
                    for (int k = 0; k < la; k++) {
                        if (el(t, 0, k, log, signed) == b) {
                            r |= 1 << j;
                            break;
                        }
                    }
                }
            }
            case 1 -> { // ranges: a holds (low, high) pairs
                for (int j = 0; j < lb; j++) {
                    long b = el(t, 2, j, log, signed);
                    for (int k = 0; k + 1 < la; k += 2) {
                        if (b >= el(t, 0, k, log, signed) && b <= el(t, 0, k + 1, log, signed)) {
                            r |= 1 << j;
                            break;
                        }
                    }
                }
            }
            case 2 -> { // equal each
                for (int j = 0; j < n; j++) {
                    boolean va = j < la, vb = j < lb;
                    boolean eq = va && vb ? el(t, 0, j, log, signed) == el(t, 2, j, log, signed) : !va && !vb;
                    if (eq) {
                        r |= 1 << j;
                    }
                }
            }
            default -> { // equal ordered: a as a substring starting at each position of b
                for (int j = 0; j < n; j++) {
                    boolean m = true;
                    for (int k = 0; k < n - j && k < la; k++) {
                        if (j + k >= lb || el(t, 0, k, log, signed) != el(t, 2, j + k, log, signed)) {
                            m = false;
                            break;
                        }
                    }
                    if (m) {
                        r |= 1 << j;
                    }
                }
            }
        }
        return r;
    }
}
