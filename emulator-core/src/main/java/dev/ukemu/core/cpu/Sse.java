package dev.ukemu.core.cpu;

/**
 * Executes SSE through SSE4.2 instructions on XMM registers (and hands MMX-register forms to
 * {@link Mmx}). The availability checks come first (SDM vol. 3, 13.1 and 2.5: CR0.EM, CR4.OSFXSR,
 * CR0.TS), then one switch on the handler id calls a small per-family method.
 */
final class Sse {
    private Sse() {
    }

    static void exec(Cpu c, Insn i) {
        long x = i.imm2;
        if ((x & SseDecoder.X_NOCHECK) == 0) {
            boolean mmx = (x & SseDecoder.X_MMX) != 0;
            if ((c.cr0 & (Cpu.CR0_EM | Cpu.CR0_TS)) != 0 || (!mmx && (c.cr4 & Cpu.CR4_OSFXSR) == 0)) {
                unavailable(c, mmx);
            }
            if (mmx) {
                Mmx.exec(c, i);
                return;
            }
        }
        switch (i.op) {
            case SseOp.MOV_LOAD, SseOp.MOV_STORE, SseOp.MOVS_LOAD, SseOp.MOVS_STORE, SseOp.MOVQ_X,
                 SseOp.MOVQ_STORE, SseOp.MOVLO_LOAD, SseOp.MOVHI_LOAD, SseOp.MOVLO_STORE, SseOp.MOVHI_STORE,
                 SseOp.MOVHLPS, SseOp.MOVLHPS, SseOp.MOVDDUP, SseOp.MOVSLDUP, SseOp.MOVSHDUP -> move(c, i);
            case SseOp.MOVD_X_E, SseOp.MOVD_E_X, SseOp.MOVMSKPS, SseOp.MOVMSKPD, SseOp.PMOVMSKB, SseOp.MASKMOV,
                 SseOp.MOVNTI, SseOp.MOVQ2DQ, SseOp.MOVDQ2Q -> moveGpr(c, i);
            case SseOp.PINT -> pint(c, i);
            case SseOp.PSHIFT -> pshift(c, i, i.reg, load64(c, i));
            case SseOp.PSHIFT_I -> pshift(c, i, i.rm, i.imm);
            case SseOp.FP_ARITH -> SseArith.arith(c, i);
            case SseOp.FP_CMP -> SseArith.cmp(c, i);
            case SseOp.FP_COMI -> SseArith.comi(c, i);
            case SseOp.FP_HORIZ -> SseArith.horizontal(c, i);
            case SseOp.FP_ROUND -> SseArith.round(c, i);
            case SseOp.FP_DP -> SseArith.dot(c, i);
            case SseOp.FP_APPROX -> SseArith.approx(c, i);
            case SseOp.CVT -> SseArith.convert(c, i);
            case SseOp.CVT_MMX -> SseArith.convertMmx(c, i);
            case SseOp.PCMPSTR -> SseString.pcmpstr(c, i);
            case SseOp.CRC32 -> SseString.crc32(c, i);
            default -> SseShuffle.exec(c, i);
        }
    }

    /** #UD when CR0.EM is set or (for SSE) CR4.OSFXSR is clear, else #NM for CR0.TS. */
    private static void unavailable(Cpu c, boolean mmx) {
        if ((c.cr0 & Cpu.CR0_EM) != 0 || (!mmx && (c.cr4 & Cpu.CR4_OSFXSR) == 0)) {
            throw CpuException.ud();
        }
        throw CpuException.fault(CpuException.NM);
    }

    // ------------------------------------------------------------------ operands

    /** The memory operand's address, checked for 16-byte alignment where the form requires it. */
    static long addr(Cpu c, Insn i) {
        long a = c.ea(i);
        if ((i.imm2 & SseDecoder.X_A16) != 0 && (a & 15) != 0) {
            throw CpuException.gp(0);
        }
        return a;
    }

    /** Loads the 128-bit source operand (ModRM.rm) into {@code t[at]}, {@code t[at + 1]}. */
    static void load128(Cpu c, Insn i, long[] t, int at) {
        if (i.mem) {
            long a = addr(c, i);
            t[at] = c.read64(a);
            t[at + 1] = c.read64(a + 8);
        } else {
            t[at] = c.xmm[2 * i.rm];
            t[at + 1] = c.xmm[2 * i.rm + 1];
        }
    }

    /** Loads the source's low {@code bytes} (4, 8 or 16) into t[at..]: scalar memory operands read only that. */
    static void loadN(Cpu c, Insn i, long[] t, int at, int bytes) {
        if (!i.mem || bytes == 16) {
            load128(c, i, t, at);
            return;
        }
        long a = addr(c, i);
        t[at] = bytes == 4 ? c.read32(a) : c.read64(a);
        t[at + 1] = 0;
    }

    /** The low 64 bits of the source operand (shift counts, MOVQ, MOVDDUP). */
    static long load64(Cpu c, Insn i) {
        return i.mem ? c.read64(addr(c, i)) : c.xmm[2 * i.rm];
    }

    /** A 16-byte store that faults before any byte lands when it crosses into a bad page. */
    static void store128(Cpu c, long a, long lo, long hi) {
        if ((a & 0xFFF) > 0xFF0) {
            c.translate(a + 15, Cpu.ACC_WRITE);
        }
        c.write64(a, lo);
        c.write64(a + 8, hi);
    }

    // ------------------------------------------------------------------ moves

    private static void move(Cpu c, Insn i) {
        long[] x = c.xmm;
        int d = 2 * i.reg, s = 2 * i.rm;
        switch (i.op) {
            case SseOp.MOV_LOAD -> {
                long[] t = c.sseTmp;
                load128(c, i, t, 0);
                x[d] = t[0];
                x[d + 1] = t[1];
            }
            case SseOp.MOV_STORE -> {
                if (i.mem) {
                    store128(c, addr(c, i), x[d], x[d + 1]);
                } else {
                    x[s] = x[d];
                    x[s + 1] = x[d + 1];
                }
            }
            case SseOp.MOVS_LOAD -> {
                if (i.mem) {
                    long a = c.ea(i);
                    x[d] = i.sub == 4 ? c.read32(a) : c.read64(a);
                    x[d + 1] = 0;
                } else {
                    x[d] = merge(x[d], x[s], i.sub);
                }
            }
            case SseOp.MOVS_STORE -> {
                if (i.mem) {
                    c.write(c.ea(i), i.sub, x[d]);
                } else {
                    x[s] = merge(x[s], x[d], i.sub);
                }
            }
            case SseOp.MOVQ_X -> {
                x[d] = load64(c, i);
                x[d + 1] = 0;
            }
            case SseOp.MOVQ_STORE -> {
                if (i.mem) {
                    c.write64(c.ea(i), x[d]);
                } else {
                    x[s] = x[d];
                    x[s + 1] = 0;
                }
            }
            case SseOp.MOVLO_LOAD -> x[d] = c.read64(c.ea(i));
            case SseOp.MOVHI_LOAD -> x[d + 1] = c.read64(c.ea(i));
            case SseOp.MOVLO_STORE -> c.write64(c.ea(i), x[d]);
            case SseOp.MOVHI_STORE -> c.write64(c.ea(i), x[d + 1]);
            case SseOp.MOVHLPS -> x[d] = x[s + 1];
            case SseOp.MOVLHPS -> x[d + 1] = x[s];
            case SseOp.MOVDDUP -> {
                long v = load64(c, i);
                x[d] = v;
                x[d + 1] = v;
            }
            default -> {
                long[] t = c.sseTmp;
                load128(c, i, t, 0);
                boolean high = i.op == SseOp.MOVSHDUP;
                x[d] = dupDword(t[0], high);
                x[d + 1] = dupDword(t[1], high);
            }
        }
    }

    private static long merge(long dst, long src, int bytes) {
        return bytes == 8 ? src : (dst & 0xFFFFFFFF00000000L) | (src & 0xFFFFFFFFL);
    }

    private static long dupDword(long v, boolean high) {
        long w = high ? v >>> 32 : v & 0xFFFFFFFFL;
        return w | w << 32;
    }

    private static void moveGpr(Cpu c, Insn i) {
        long[] x = c.xmm;
        int d = 2 * i.reg, s = 2 * i.rm;
        switch (i.op) {
            case SseOp.MOVD_X_E -> {
                x[d] = c.readRm(i);
                x[d + 1] = 0;
            }
            case SseOp.MOVD_E_X -> c.writeRm(i, x[d]);
            case SseOp.MOVMSKPS -> c.r[i.reg] = (x[s] >>> 31 & 1) | (x[s] >>> 62 & 2) | (x[s + 1] >>> 29 & 4)
                    | (x[s + 1] >>> 60 & 8);
            case SseOp.MOVMSKPD -> c.r[i.reg] = (x[s] >>> 63) | (x[s + 1] >>> 63) << 1;
            case SseOp.PMOVMSKB -> c.r[i.reg] = SseInt.byteMask(x[s]) | SseInt.byteMask(x[s + 1]) << 8;
            case SseOp.MASKMOV -> {
                maskMove(c, i, x[d], x[s], 0);
                maskMove(c, i, x[d + 1], x[s + 1], 8);
            }
            case SseOp.MOVNTI -> c.write(c.ea(i), i.size, c.reg(i.reg, i.size));
            case SseOp.MOVQ2DQ -> {
                Mmx.enter(c);
                x[d] = c.fpu.mantissa[i.rm & 7];
                x[d + 1] = 0;
            }
            default -> { // MOVDQ2Q
                Mmx.enter(c);
                Mmx.set(c, i.reg & 7, x[s]);
            }
        }
    }

    /** MASKMOVDQU / MASKMOVQ: bytes whose mask byte has its top bit set go to DS:rDI. */
    static void maskMove(Cpu c, Insn i, long data, long mask, int offset) {
        long di = c.r[Cpu.RDI];
        if (i.asize == 4) {
            di &= 0xFFFFFFFFL;
        } else if (i.asize == 2) {
            di &= 0xFFFF;
        }
        long base = c.segBase[i.seg] + di;
        for (int k = 0; k < 8; k++) {
            if ((mask >>> (8 * k + 7) & 1) != 0) {
                c.write8((base + offset + k) & i.linMask, (int) (data >>> (8 * k)));
            }
        }
    }

    // ------------------------------------------------------------------ packed integer

    private static void pint(Cpu c, Insn i) {
        long[] x = c.xmm;
        int d = 2 * i.reg;
        long lo, hi;
        if (i.mem) {
            long a = addr(c, i);
            lo = c.read64(a);
            hi = c.read64(a + 8);
        } else {
            lo = x[2 * i.rm];
            hi = x[2 * i.rm + 1];
        }
        int k = i.sub;
        x[d] = SseInt.op(k, x[d], lo);
        x[d + 1] = SseInt.op(k, x[d + 1], hi);
    }

    private static void pshift(Cpu c, Insn i, int reg, long count) {
        long[] x = c.xmm;
        int d = 2 * reg;
        x[d] = SseInt.shift(i.sub, x[d], count);
        x[d + 1] = SseInt.shift(i.sub, x[d + 1], count);
    }
}
