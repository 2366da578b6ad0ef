package dev.ukemu.core.cpu;

/**
 * Run-time helpers called by compiled regions: the cases too rare or too large to inline
 * (conditions on flags whose producer is not known where they are read, faults).
 */
public final class JitRt {
    private JitRt() {
    }

    /** Condition code {@code cc} over lazily recorded flags, as {@link Cpu#cond}. */
    public static boolean cond(int op, long dst, long src, long res, int cc) {
        return LazyFlags.cond(op, dst, src, res, cc);
    }

    /** CF of the recorded flags, 0 or 1. */
    public static long cf(int op, long dst, long src, long res) {
        return LazyFlags.cf(op, dst, src, res) ? 1 : 0;
    }

    /** The six arithmetic flags of the recorded operation. */
    public static long flags(int op, long dst, long src, long res) {
        return LazyFlags.compute(op, dst, src, res);
    }

    /** Flags after IMUL: SF, ZF, PF of the low result; CF and OF when the product overflowed. */
    public static long mulFlags(int sz, long low, boolean overflow) {
        int f = LazyFlags.compute(LazyFlags.LOGIC << 2 | sz, 0, 0, low);
        return overflow ? f | LazyFlags.CF | LazyFlags.OF : f;
    }

    /** ROL's flags: CF is the result's low bit, OF is CF xor the result's top bit, the rest as before. */
    public static long rolFlags(int op, long dst, long src, long res, long result, int bits) {
        int f = LazyFlags.compute(op, dst, src, res) & ~(LazyFlags.CF | LazyFlags.OF);
        long cf = result & 1;
        long msb = (result >>> (bits - 1)) & 1;
        f |= (int) cf;
        if ((msb ^ cf) != 0) {
            f |= LazyFlags.OF;
        }
        return f;
    }

    /** ROR's flags: CF is the result's top bit, OF the xor of its two top bits. */
    public static long rorFlags(int op, long dst, long src, long res, long result, int bits) {
        int f = LazyFlags.compute(op, dst, src, res) & ~(LazyFlags.CF | LazyFlags.OF);
        long msb = (result >>> (bits - 1)) & 1;
        long msb2 = (result >>> (bits - 2)) & 1;
        if (msb != 0) {
            f |= LazyFlags.CF;
        }
        if ((msb ^ msb2) != 0) {
            f |= LazyFlags.OF;
        }
        return f;
    }

    /**
     * A guest exception inside a compiled region: the region has written its registers back;
     * this fixes the faulting instruction's address and the instruction count, and turns a
     * non-canonical stack address into #SS as the interpreter does.
     */
    public static CpuException fault(Region r, Cpu c, CpuException e, int cur, int icount) {
        int k = cur >= 0 ? cur : -1 - cur;
        c.insnStart = r.insnRip[k];
        c.instructions += icount - r.remaining[k];
        c.regionExits[Cpu.EXIT_FAULT]++;
        if (e.nonCanonical && (r.stackOp[k] || r.insns[k].stackRef)) {
            return CpuException.fault(CpuException.SS, 0);
        }
        return e;
    }

    /**
     * Runs an SSE instruction that touches no general register or flag except to read its
     * address: the region keeps its registers in locals around it.
     */
    public static void execSse(Region r, Cpu c, int k) {
        c.rip = r.insnNext[k];
        Sse.exec(c, r.insns[k]);
    }

    /**
     * A region found one of its pages missing from the instruction TLB, or mapped elsewhere: the
     * interpreter runs the entry block instead, and the region's pages are looked up again so
     * that the next entry can tell.
     */
    public static void unmapped(Region r, Cpu c) {
        c.noRegion = true;
        long cr2 = c.cr2;
        for (long lp : r.linearPages) {
            try {
                c.translate(lp << 12, Cpu.ACC_EXEC);
            } catch (CpuException e) {
                // not mapped now: the region stays unused until it is
            } finally {
                c.cr2 = cr2;
            }
        }
    }

    /** Runs one instruction through the interpreter, as {@link Interpreter#execBlock} would. */
    public static void exec(Region r, Cpu c, int k) {
        c.insnStart = r.insnRip[k];
        c.rip = r.insnNext[k];
        c.stopBlock = false;
        Interpreter.exec(c, r.insns[k]);
    }
}
