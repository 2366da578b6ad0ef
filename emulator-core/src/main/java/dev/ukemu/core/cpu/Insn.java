package dev.ukemu.core.cpu;

/**
 * One decoded instruction: the handler to run and its operands, decoded once and executed from
 * the per-page code cache many times. Register numbers 0-15 are RAX..R15; 16-19 are AH, CH, DH,
 * BH (byte operands without a REX prefix).
 */
public final class Insn {
    /** Pseudo base register: RIP-relative addressing. */
    public static final int RIP = 32;

    public int op;
    /** Sub-operation: ALU kind, condition code, shift kind, segment register, ... */
    public int sub;
    public int len;
    /** Operand size in bytes (1, 2, 4, 8). */
    public int size;
    /** Address size in bytes (2, 4, 8). */
    public int asize;
    /** ModRM.reg operand, or the register encoded in the opcode. */
    public int reg;
    /** ModRM.rm register when {@link #mem} is false. */
    public int rm;
    public boolean mem;
    public int base = -1;
    public int index = -1;
    public int scale;
    public long disp;
    /** Segment of the memory operand (override or default); {@link Cpu#SEG_NONE} in 64-bit mode. */
    public int seg;
    /** 64-bit mode: the memory operand goes through SS (RSP or RBP base, or an SS override). */
    public boolean stackRef;
    public long imm;
    public long imm2;
    /** 0, {@link #REP} (F3) or {@link #REPNE} (F2). */
    public int rep;
    public boolean lock;
    /** Mask applied to linear addresses: 32 bits outside 64-bit mode. */
    public long linMask;
    /** Prefix bits, see {@link Decoder}. */
    public int prefixes;

    public static final int REP = 1, REPNE = 2;

    /**
     * An indirect jump's targets as the interpreter saw them (at most {@link #MAX_TARGETS}
     * distinct ones from the first {@link #TARGET_NOTES} jumps); null until one is noted. Written
     * without synchronisation by any vCPU: a reader only takes them as hints.
     */
    long[] targets;
    int targetCount, targetNotes;
    static final int MAX_TARGETS = 64, TARGET_NOTES = 4096;

    void noteTarget(long t) {
        if (targetNotes >= TARGET_NOTES) {
            return;
        }
        targetNotes++;
        long[] ts = targets;
        if (ts == null) {
            targets = ts = new long[MAX_TARGETS];
        }
        int n = Math.min(targetCount, ts.length);
        for (int k = 0; k < n; k++) {
            if (ts[k] == t) {
                return;
            }
        }
        if (n < ts.length) {
            ts[n] = t;
            targetCount = n + 1;
        }
    }

    /** The targets noted so far (a copy). */
    long[] targets() {
        long[] ts = targets;
        return ts == null ? new long[0] : java.util.Arrays.copyOf(ts, Math.min(targetCount, ts.length));
    }

    // ---- interpreter fast path, filled in by FastPath.classify when the interpreter builds a block ----
    /** Fast-path handler ({@code FastPath.F_*}); 0 takes the general dispatch. */
    int fast;
    /** The block's next instruction (null at its end) and this one's 1-based position in it. */
    Insn next;
    int count;
    /** Destination and source registers of a register-operand fast path. */
    int fd, fs;
    /** Operand-size mask (0xFFFFFFFF or -1) and {@code log2(size)} of a fast path. */
    long fm;
    int fsz;
    /**
     * The effective address without branches: {@code ((disp + (r[eb] & ebm) + ((r[ex] << scale)
     * & exm) + (rip & erm)) & eam)}; absent registers read RAX under a zero mask.
     */
    int eb, ex;
    long ebm, exm, erm, eam;
}
