package dev.ukemu.core.cpu;

/**
 * MMX instructions (and the SSE/SSSE3 additions in MMX form). MMn is the significand of x87
 * physical register n (SDM vol. 1, 9.5): every MMX instruction empties the stack top (TOP = 0)
 * and tags all registers valid; a write sets the register's sign and exponent to all ones.
 * EMMS tags them all empty.
 */
final class Mmx {
    private Mmx() {
    }

    static void enter(Cpu c) {
        c.fpu.top = 0;
        c.fpu.tag = 0;
    }

    static void set(Cpu c, int n, long v) {
        c.fpu.mantissa[n] = v;
        c.fpu.signExp[n] = 0xFFFF;
    }

    private static long src(Cpu c, Insn i) {
        return i.mem ? c.read64(c.ea(i)) : c.fpu.mantissa[i.rm & 7];
    }

    static void exec(Cpu c, Insn i) {
        if (i.op == SseOp.EMMS) {
            c.fpu.tag = 0xFFFF;
            return;
        }
        enter(c);
        long[] mm = c.fpu.mantissa;
        int d = i.reg & 7;
        switch (i.op) {
            case SseOp.PINT -> set(c, d, SseInt.op(i.sub, mm[d], src(c, i)));
            case SseOp.PSHIFT -> set(c, d, SseInt.shift(i.sub, mm[d], src(c, i)));
            case SseOp.PSHIFT_I -> set(c, i.rm & 7, SseInt.shift(i.sub, mm[i.rm & 7], i.imm));
            case SseOp.MOVD_M_E -> set(c, d, c.readRm(i));
            case SseOp.MOVD_E_M -> c.writeRm(i, mm[d]);
            case SseOp.MOVQ_MM_M -> set(c, d, src(c, i));
            case SseOp.MOVQ_M_MM -> {
                if (i.mem) {
                    c.write64(c.ea(i), mm[d]);
                } else {
                    set(c, i.rm & 7, mm[d]);
                }
            }
            case SseOp.PMOVMSKB -> c.r[i.reg] = SseInt.byteMask(mm[i.rm & 7]);
            case SseOp.MASKMOV -> Sse.maskMove(c, i, mm[d], mm[i.rm & 7], 0);
            case SseOp.PINSR -> {
                long[] t = c.sseTmp;
                t[0] = mm[d];
                SseShuffle.insert(c, i, t, 0, 1);
                set(c, d, t[0]);
            }
            case SseOp.PEXTR -> SseShuffle.extract(c, i, mm[i.rm & 7], 0, 1);
            default -> vector(c, i, d);
        }
    }

    private static void vector(Cpu c, Insn i, int d) {
        long[] t = c.sseTmp;
        t[SseShuffle.DST] = c.fpu.mantissa[d];
        boolean lowUnpack = i.op == SseOp.PUNPCK && (i.sub & 4) == 0;
        // PUNPCKLxx mm, m32 reads only the four bytes it uses.
        t[SseShuffle.SRC] = i.mem && lowUnpack ? c.read32(c.ea(i)) : src(c, i);
        t[SseShuffle.RES] = 0;
        SseShuffle.vector(c, i, t, 1);
        set(c, d, t[SseShuffle.RES]);
    }
}
