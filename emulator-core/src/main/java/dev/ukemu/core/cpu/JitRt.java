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

    /** ROL's flags (see {@link Shifts#rotateFlags}), from the recorded ones before it. */
    public static long rolFlags(int op, long dst, long src, long res, long result, int bits) {
        return Shifts.rotateFlags(LazyFlags.compute(op, dst, src, res), result, bits, true);
    }

    /** ROR's flags (see {@link Shifts#rotateFlags}), from the recorded ones before it. */
    public static long rorFlags(int op, long dst, long src, long res, long result, int bits) {
        return Shifts.rotateFlags(LazyFlags.compute(op, dst, src, res), result, bits, false);
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
        for (long lp : r.linearPages) {
            c.probeExec(lp << 12); // not mapped now: the region stays unused until it is
        }
    }

    /**
     * A direct transition: region {@code r} has left by a branch (link slot {@code k}) and
     * written its state back. The region that holds the block at RIP, when no event needs the
     * dispatch loop, the block is still valid and in a region, and that region can run now;
     * else null. A slot that names another block (or none) learns the one at RIP from the
     * vCPU's block table.
     */
    public static Region next(Region r, Cpu c, int k) {
        if (!Interpreter.quiet(c)) {
            return null;
        }
        Block t = r.links[k];
        if (t == null || t.linear != c.rip || !t.valid) {
            t = Interpreter.cachedBlock(c);
            if (t == null || t.region == null) {
                return null;
            }
            r.links[k] = t;
        }
        Region n = t.region;
        if (n == null || n.usesSse && !c.sseUsable()) {
            return null;
        }
        c.regionLinks++;
        return n;
    }

    /** Runs one instruction through the interpreter, as {@link Interpreter#execBlock} would. */
    public static void exec(Region r, Cpu c, int k) {
        c.insnStart = r.insnRip[k];
        c.rip = r.insnNext[k];
        c.stopBlock = false;
        Interpreter.exec(c, r.insns[k]);
    }
}
