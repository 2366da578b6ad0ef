package dev.ukemu.core.cpu;

/**
 * Packed operations whose lanes cross 64-bit words: unpacks, packs, shuffles, byte shifts and
 * alignment, horizontal integer adds, sign/zero extension, blends, inserts and extracts, and
 * the SSE4.1 oddities. The generic forms work on a vector of {@code words} 64-bit words (1 for
 * MMX, 2 for XMM) in the scratch array: destination at t[0], source at t[2], result at t[4].
 */
final class SseShuffle {
    private SseShuffle() {
    }

    static final int DST = 0, SRC = 2, RES = 4;

    static long get(long[] t, int base, int k, int log) {
        int per = 8 >> log;
        return SseInt.lane(t[base + k / per], k % per, log, false);
    }

    static long getSigned(long[] t, int base, int k, int log) {
        int per = 8 >> log;
        return SseInt.lane(t[base + k / per], k % per, log, true);
    }

    static void set(long[] t, int base, int k, int log, long v) {
        int per = 8 >> log;
        t[base + k / per] = SseInt.put(t[base + k / per], k % per, log, v);
    }

    static void exec(Cpu c, Insn i) {
        long[] t = c.sseTmp;
        int d = 2 * i.reg;
        switch (i.op) {
            case SseOp.PINSR -> {
                insert(c, i, c.xmm, d, 2);
                return;
            }
            case SseOp.PEXTR -> {
                extract(c, i, c.xmm[(i.sub & 4) != 0 ? 2 * i.rm : d], c.xmm[((i.sub & 4) != 0 ? 2 * i.rm : d) + 1], 2);
                return;
            }
            case SseOp.EXTRACTPS -> {
                long w = c.xmm[d + ((int) i.imm >> 1 & 1)] >>> (32 * (i.imm & 1)) & 0xFFFFFFFFL;
                if (i.mem) {
                    c.write32(c.ea(i), w);
                } else {
                    c.r[i.rm] = w;
                }
                return;
            }
            case SseOp.PMOVX -> {
                pmovx(c, i, t);
                c.xmm[d] = t[RES];
                c.xmm[d + 1] = t[RES + 1];
                return;
            }
            case SseOp.INSERTPS -> {
                insertps(c, i, t);
                return;
            }
            case SseOp.PBYTESHIFT -> {
                byteShift(c, i);
                return;
            }
            default -> {
            }
        }
        t[DST] = c.xmm[d];
        t[DST + 1] = c.xmm[d + 1];
        Sse.load128(c, i, t, SRC);
        t[RES] = 0;
        t[RES + 1] = 0;
        if (i.op == SseOp.PTEST) {
            long z = (t[0] & t[2]) | (t[1] & t[3]);
            long cf = (~t[0] & t[2]) | (~t[1] & t[3]);
            c.setFlagsArith((z == 0 ? LazyFlags.ZF : 0) | (cf == 0 ? LazyFlags.CF : 0));
            return;
        }
        vector(c, i, t, 2);
        c.xmm[d] = t[RES];
        c.xmm[d + 1] = t[RES + 1];
    }

    /** Operations shared by MMX (words = 1) and XMM (words = 2): result into t[RES]. */
    static void vector(Cpu c, Insn i, long[] t, int words) {
        int imm = (int) i.imm;
        switch (i.op) {
            case SseOp.PUNPCK -> unpack(t, words, i.sub & 3, (i.sub & 4) != 0);
            case SseOp.PACK -> pack(t, words, i.sub);
            case SseOp.PSHUFB -> pshufb(t, words);
            case SseOp.PALIGNR -> palignr(t, words, imm);
            case SseOp.PHADD -> phadd(t, words, i.sub);
            case SseOp.PSHUFD -> shuffle4(t, SRC, RES, 2, 0, imm);
            case SseOp.PSHUFW -> shuffle4(t, SRC, RES, 1, 0, imm);
            case SseOp.PSHUFHW -> {
                t[RES] = t[SRC];
                shuffle4(t, SRC, RES, 1, 4, imm);
            }
            case SseOp.PSHUFLW -> {
                t[RES + 1] = t[SRC + 1];
                shuffle4(t, SRC, RES, 1, 0, imm);
            }
            case SseOp.BLEND -> blend(t, i.sub, imm);
            case SseOp.BLENDV -> blendv(c, t, i.sub);
            case SseOp.PHMINPOSUW -> phminposuw(t);
            case SseOp.MPSADBW -> mpsadbw(t, imm);
            case SseOp.SHUFPS -> {
                set(t, RES, 0, 2, get(t, DST, imm & 3, 2));
                set(t, RES, 1, 2, get(t, DST, imm >> 2 & 3, 2));
                set(t, RES, 2, 2, get(t, SRC, imm >> 4 & 3, 2));
                set(t, RES, 3, 2, get(t, SRC, imm >> 6 & 3, 2));
            }
            case SseOp.SHUFPD -> {
                t[RES] = t[DST + (imm & 1)];
                t[RES + 1] = t[SRC + (imm >> 1 & 1)];
            }
            default -> throw new IllegalStateException("SSE op " + i.op);
        }
    }

    private static void unpack(long[] t, int words, int log, boolean high) {
        int n = (words * 8) >> log;
        int start = high ? n / 2 : 0;
        for (int k = 0; k < n / 2; k++) {
            set(t, RES, 2 * k, log, get(t, DST, start + k, log));
            set(t, RES, 2 * k + 1, log, get(t, SRC, start + k, log));
        }
    }

    private static void pack(long[] t, int words, int kind) {
        int slog = kind >= SseInt.PACKSSDW ? 2 : 1;
        boolean signed = kind == SseInt.PACKSSWB || kind == SseInt.PACKSSDW;
        int n = (words * 8) >> slog;
        for (int k = 0; k < n; k++) {
            set(t, RES, k, slog - 1, SseInt.saturate(getSigned(t, DST, k, slog), slog - 1, signed));
            set(t, RES, n + k, slog - 1, SseInt.saturate(getSigned(t, SRC, k, slog), slog - 1, signed));
        }
    }

    private static void pshufb(long[] t, int words) {
        int n = words * 8;
        for (int w = 0; w < words; w++) {
            long sel = t[SRC + w], r = 0;
            for (int k = 0; k < 8; k++) {
                int idx = (int) (sel >>> (8 * k)) & 0xFF;
                if ((idx & 0x80) == 0) {
                    int j = idx & (n - 1);
                    r |= (t[DST + (j >> 3)] >>> (8 * (j & 7)) & 0xFF) << (8 * k);
                }
            }
            t[RES + w] = r;
        }
    }

    /** The destination:source concatenation shifted right by imm bytes. */
    private static void palignr(long[] t, int words, int imm) {
        int n = words * 8;
        for (int k = 0; k < n; k++) {
            int p = k + imm;
            long b = p < n ? get(t, SRC, p, 0) : p < 2 * n ? get(t, DST, p - n, 0) : 0;
            set(t, RES, k, 0, b);
        }
    }

    /** PHADDW/D/SW and PHSUBW/D/SW: sub 0-2 add (w, d, sw), 3-5 subtract. */
    private static void phadd(long[] t, int words, int sub) {
        boolean subtract = sub >= 3;
        int kind = sub % 3;
        int log = kind == 1 ? 2 : 1;
        int pairs = (words * 8 >> log) / 2;
        for (int k = 0; k < pairs; k++) {
            set(t, RES, k, log, hop(getSigned(t, DST, 2 * k, log), getSigned(t, DST, 2 * k + 1, log), subtract, kind));
            set(t, RES, pairs + k, log, hop(getSigned(t, SRC, 2 * k, log), getSigned(t, SRC, 2 * k + 1, log), subtract, kind));
        }
    }

    private static long hop(long a, long b, boolean subtract, int kind) {
        long r = subtract ? a - b : a + b;
        return kind == 2 ? SseInt.saturate(r, 1, true) : r;
    }

    /** Four lanes of width log selected by imm (PSHUFD, PSHUFW, PSHUFHW/LW at lane offset). */
    private static void shuffle4(long[] t, int src, int res, int log, int offset, int imm) {
        for (int k = 0; k < 4; k++) {
            set(t, res, offset + k, log, get(t, src, offset + (imm >> (2 * k) & 3), log));
        }
    }

    private static void blend(long[] t, int log, int imm) {
        int n = 16 >> log;
        for (int k = 0; k < n; k++) {
            set(t, RES, k, log, get(t, (imm >> k & 1) != 0 ? SRC : DST, k, log));
        }
    }

    /** PBLENDVB/BLENDVPS/BLENDVPD: the mask is the top bit of each lane of XMM0. */
    private static void blendv(Cpu c, long[] t, int log) {
        t[6] = c.xmm[0];
        t[7] = c.xmm[1];
        int n = 16 >> log;
        for (int k = 0; k < n; k++) {
            boolean pick = getSigned(t, 6, k, log) < 0;
            set(t, RES, k, log, get(t, pick ? SRC : DST, k, log));
        }
    }

    private static void phminposuw(long[] t) {
        int best = 0;
        long min = get(t, SRC, 0, 1);
        for (int k = 1; k < 8; k++) {
            long w = get(t, SRC, k, 1);
            if (w < min) {
                min = w;
                best = k;
            }
        }
        t[RES] = min | (long) best << 16;
        t[RES + 1] = 0;
    }

    private static void mpsadbw(long[] t, int imm) {
        int soff = (imm & 3) * 4, doff = (imm >> 2 & 1) * 4;
        for (int k = 0; k < 8; k++) {
            long s = 0;
            for (int j = 0; j < 4; j++) {
                s += Math.abs(get(t, DST, doff + k + j, 0) - get(t, SRC, soff + j, 0));
            }
            set(t, RES, k, 1, s);
        }
    }

    /** PMOVSX/PMOVZX: sub = source log | destination log << 2 | signed << 4. */
    private static void pmovx(Cpu c, Insn i, long[] t) {
        int slog = i.sub & 3, dlog = i.sub >> 2 & 3;
        boolean signed = (i.sub & 16) != 0;
        int n = 16 >> dlog;
        int bytes = n << slog;
        long v = i.mem ? c.read(c.ea(i), bytes) : c.xmm[2 * i.rm];
        t[SRC] = v;
        t[RES] = 0;
        t[RES + 1] = 0;
        for (int k = 0; k < n; k++) {
            set(t, RES, k, dlog, signed ? getSigned(t, SRC, k, slog) : get(t, SRC, k, slog));
        }
    }

    /** PINSRB/W/D/Q (sub = lane log; 2 means D or Q by operand size) into {@code v[d..]}. */
    static void insert(Cpu c, Insn i, long[] v, int d, int words) {
        int log = i.sub == 2 && i.size == 8 ? 3 : i.sub;
        long x = i.mem ? c.read(c.ea(i), 1 << log) : c.reg(i.rm, log == 3 ? 8 : 4);
        int n = (words * 8) >> log;
        int k = (int) i.imm & (n - 1);
        int w = k / (8 >> log);
        v[d + w] = SseInt.put(v[d + w], k % (8 >> log), log, x);
    }

    /** PEXTRB/W/D/Q from the vector lo:hi to a GPR (zero-extended) or memory. */
    static void extract(Cpu c, Insn i, long lo, long hi, int words) {
        int sub = i.sub & 3;
        int log = sub == 2 && i.size == 8 ? 3 : sub;
        int n = (words * 8) >> log;
        int k = (int) i.imm & (n - 1);
        int per = 8 >> log;
        long x = SseInt.lane(k / per == 0 ? lo : hi, k % per, log, false);
        if ((i.sub & 4) != 0) {
            c.r[i.reg] = x; // PEXTRW r32, xmm/mm, imm8 (0F C5)
        } else if (i.mem) {
            c.write(c.ea(i), 1 << log, x);
        } else {
            c.r[i.rm] = x;
        }
    }

    /** INSERTPS: imm bits 6-7 pick the source lane (register form), 4-5 the target, 0-3 zero lanes. */
    private static void insertps(Cpu c, Insn i, long[] t) {
        int imm = (int) i.imm;
        long x;
        if (i.mem) {
            x = c.read32(c.ea(i));
        } else {
            int k = imm >> 6 & 3;
            x = c.xmm[2 * i.rm + (k >> 1)] >>> (32 * (k & 1)) & 0xFFFFFFFFL;
        }
        int d = 2 * i.reg;
        t[RES] = c.xmm[d];
        t[RES + 1] = c.xmm[d + 1];
        set(t, RES, imm >> 4 & 3, 2, x);
        for (int k = 0; k < 4; k++) {
            if ((imm >> k & 1) != 0) {
                set(t, RES, k, 2, 0);
            }
        }
        c.xmm[d] = t[RES];
        c.xmm[d + 1] = t[RES + 1];
    }

    /** PSRLDQ/PSLLDQ on ModRM.rm by imm bytes. */
    private static void byteShift(Cpu c, Insn i) {
        int r = 2 * i.rm;
        int n = (int) i.imm;
        long lo = c.xmm[r], hi = c.xmm[r + 1];
        if (n > 15) {
            lo = hi = 0;
        } else if (n > 0) {
            int b = n * 8;
            if (i.sub == 0) { // right
                if (b >= 64) {
                    lo = hi >>> (b - 64);
                    hi = 0;
                } else {
                    lo = lo >>> b | hi << (64 - b);
                    hi = hi >>> b;
                }
            } else if (b >= 64) {
                hi = lo << (b - 64);
                lo = 0;
            } else {
                hi = hi << b | lo >>> (64 - b);
                lo = lo << b;
            }
        }
        c.xmm[r] = lo;
        c.xmm[r + 1] = hi;
    }
}
