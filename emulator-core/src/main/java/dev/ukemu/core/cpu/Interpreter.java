package dev.ukemu.core.cpu;

import java.util.ArrayList;
import java.util.Arrays;

/**
 * Runs a vCPU: finds or decodes the block at CS:RIP, executes it instruction by instruction,
 * delivers exceptions and interrupts at instruction boundaries. The dispatch {@code switch}
 * only calls small per-family methods, so every method here stays far below HotSpot's
 * 8000-byte compilation limit.
 */
public final class Interpreter {
    /** Bits in {@link Cpu#events}. */
    public static final int EV_STOP = 1, EV_INTERRUPT = 2, EV_NMI = 4, EV_PAUSE = 8, EV_INIT = 16, EV_SIPI = 32,
            EV_CODE_PAGE = 64;
    static final int MAX_BLOCK = 64;

    private Interpreter() {
    }

    /**
     * Runs until {@link #EV_STOP} is raised or the guest stops the machine (a {@link GuestStop}
     * propagates: triple fault, unimplemented instruction).
     */
    public static void run(Cpu c) {
        // Without compiled regions to look for, a block may go straight on to the next one
        // (execBlock), as long as nothing needs this loop's attention.
        c.chainBlocks = c.code.jit == null;
        try {
            while (true) {
                if (c.events != 0) {
                    if (!handleEvents(c)) {
                        return;
                    }
                }
                if (c.halted) {
                    if (!actionable(c)) {
                        c.hooks.idle(c);
                    }
                    continue;
                }
                step(c);
            }
        } finally {
            c.chainBlocks = false;
        }
    }

    /** Acts on pending events at an instruction boundary; false when the vCPU must stop. */
    static boolean handleEvents(Cpu c) {
        int ev = c.events;
        if ((ev & EV_STOP) != 0) {
            return false;
        }
        if ((ev & EV_CODE_PAGE) != 0) {
            c.clearEvent(EV_CODE_PAGE);
            c.flushWriteTlb();
        }
        if ((ev & EV_PAUSE) != 0) {
            c.hooks.handleEvents(c);
            return (c.events & EV_STOP) == 0;
        }
        if ((ev & EV_INIT) != 0) {
            c.clearEvent(EV_INIT);
            c.initReset();
            clearFastBlocks(c);
            c.hooks.onInit(c);
        }
        if ((ev & EV_SIPI) != 0) {
            c.clearEvent(EV_SIPI);
            if (c.waitForSipi) {
                c.startup(c.sipiVector);
            }
        }
        if (c.waitForSipi) {
            return true;
        }
        if ((ev & EV_NMI) != 0 && !c.nmiBlocked && !c.interruptShadow) {
            c.clearEvent(EV_NMI);
            c.halted = false;
            c.nmiBlocked = true;
            Exceptions.deliver(c, CpuException.NMI, 0, false, Exceptions.SRC_EXTERNAL);
        } else if ((ev & EV_INTERRUPT) != 0 && (c.flagsRest & Cpu.RF_IF) != 0 && !c.interruptShadow
                && c.hooks.interruptPending(c)) {
            int vector = c.hooks.acknowledgeInterrupt(c);
            if (vector >= 0) {
                c.halted = false;
                Exceptions.deliver(c, vector, 0, false, Exceptions.SRC_EXTERNAL);
            }
        }
        return true;
    }

    /** True if something pending would wake a halted vCPU now. */
    static boolean actionable(Cpu c) {
        int ev = c.events;
        if ((ev & (EV_STOP | EV_PAUSE | EV_INIT | EV_SIPI)) != 0) {
            return true;
        }
        if (c.waitForSipi) {
            return false;
        }
        if ((ev & EV_NMI) != 0 && !c.nmiBlocked) {
            return true;
        }
        return (ev & EV_INTERRUPT) != 0 && (c.flagsRest & Cpu.RF_IF) != 0;
    }

    /** Executes one block (or one instruction when it faults), delivering any exception. */
    public static void step(Cpu c) {
        Block b = null;
        try {
            b = block(c);
            Jit jit = c.code.jit;
            if (jit == null) {
                // The interpreter alone: no compiled regions to look for.
                Block next = execBlock(c, b);
                while (next != null) {
                    b = next;
                    next = execBlock(c, b);
                }
                return;
            }
            Region r = b.region;
            boolean noRegion = c.noRegion;
            if (noRegion) {
                // The region left before this block's first instruction for the interpreter to run.
                c.noRegion = false;
                r = null;
            }
            if (r != null && !c.interruptShadow && b.linear == c.rip && (!r.usesSse || c.sseUsable())) {
                r.uses++;
                // Then the regions it goes straight on to (JitRt.next), while nothing needs this loop.
                for (Region n = r.run(c); n != null; n = n.run(c)) {
                    n.uses++;
                }
                return;
            }
            if (++b.hits > jit.config.threshold() && !b.compileRequested && b.bits == 64
                    && c.instructions >= jit.start) {
                jit.request(b, c);
                r = noRegion ? null : b.region;
                if (r != null && !c.interruptShadow && b.linear == c.rip && (!r.usesSse || c.sseUsable())) {
                    r.run(c);
                    return;
                }
            }
            execBlock(c, b);
        } catch (CpuException e) {
            if (!e.software) {
                c.rip = c.insnStart; // faults report the faulting instruction
            }
            c.interruptShadow = false;
            if (e.nonCanonical && b != null && stackOperand(c, b)) {
                e = CpuException.fault(CpuException.SS, 0);
            }
            Exceptions.raise(c, e);
        }
    }

    /** True if the instruction at {@link Cpu#insnStart} in {@code b} has an SS-based memory operand. */
    private static boolean stackOperand(Cpu c, Block b) {
        long target = (c.segBase[Cpu.CS] + c.insnStart) & (c.bits == 64 ? -1L : 0xFFFFFFFFL);
        long la = b.linear;
        for (Insn i : b.insns) {
            if (la == target) {
                return i.stackRef;
            }
            la += i.len;
        }
        return false;
    }

    /**
     * Runs block {@code b}; returns the block to run next straight away when {@link Cpu#chainBlocks}
     * allows it and nothing needs the dispatch loop's attention, else null.
     */
    static Block execBlock(Cpu c, Block b) {
        if (c.interruptShadow) {
            // STI / MOV SS shadow: one instruction runs before interrupts are looked at again.
            c.interruptShadow = false;
            execOne(c, b.insns[0]);
            return null;
        }
        c.stopBlock = false;
        // The loop keeps only the vCPU and the instruction live from one instruction to the
        // next (HotSpot's compiled code saves every live value around each call a handler
        // makes). The instruction's address goes to insnStart only for the general path (whose
        // handlers may read it); when a fast path faults, the handler below recovers it.
        Insn i = b.insns[0];
        try {
        loop:
        while (true) {
            long start = c.rip;
            c.rip = (start + i.len) & c.ipMask;
            long[] r = c.r;
            // Register-only fast paths run inline, taking their operands from the packed
            // FastPath word; memory ones call small FastPath handlers; the rest go through exec.
            int f = i.fast;
            int d = (f >>> FastPath.FD_SHIFT) & 15;
            int s = (f >>> FastPath.FS_SHIFT) & 15;
            int kind = (f >>> FastPath.SZ_SHIFT) & 3;
            long m = -1L >>> (f >>> FastPath.MASK_SHIFT);
            switch (f & 0xFF) {
                case FastPath.F_JCC -> {
                    if (LazyFlags.cond(c.ccOp, c.ccDst, c.ccSrc, c.ccRes, i.sub)) {
                        jump(c, i);
                    }
                }
                case FastPath.F_JZ -> {
                    int op = c.ccOp;
                    long res = c.ccRes;
                    boolean z = op == LazyFlags.EFLAGS ? (res & LazyFlags.ZF) != 0 : (res & LazyFlags.MASK[op & 3]) == 0;
                    if (z != ((i.sub & 1) != 0)) {
                        jump(c, i);
                    }
                }
                case FastPath.F_JMP -> jump(c, i);
                case FastPath.F_MOV_RR -> r[d] = r[s] & m;
                case FastPath.F_MOV_RI -> r[d] = i.imm & m;
                case FastPath.F_MOVZX8_R -> r[d] = r[s] & 0xFF;
                case FastPath.F_ADD_RR -> r[d] = add(c, r[d] & m, r[s] & m, kind) & m;
                case FastPath.F_ADD_RI -> r[d] = add(c, r[d] & m, i.imm & m, kind) & m;
                case FastPath.F_SUB_RR -> r[d] = sub(c, r[d] & m, r[s] & m, kind) & m;
                case FastPath.F_SUB_RI -> r[d] = sub(c, r[d] & m, i.imm & m, kind) & m;
                case FastPath.F_CMP_RR -> sub(c, r[d] & m, r[s] & m, kind);
                case FastPath.F_CMP_RI -> sub(c, r[d] & m, i.imm & m, kind);
                case FastPath.F_AND_RR -> r[d] = logic(c, r[d] & r[s] & m, kind);
                case FastPath.F_AND_RI -> r[d] = logic(c, r[d] & i.imm & m, kind);
                case FastPath.F_OR_RR -> r[d] = logic(c, (r[d] | r[s]) & m, kind);
                case FastPath.F_OR_RI -> r[d] = logic(c, (r[d] | i.imm) & m, kind);
                case FastPath.F_XOR_RR -> r[d] = logic(c, (r[d] ^ r[s]) & m, kind);
                case FastPath.F_XOR_RI -> r[d] = logic(c, (r[d] ^ i.imm) & m, kind);
                case FastPath.F_TEST_RR -> logic(c, r[d] & r[s] & m, kind);
                case FastPath.F_TEST_RI -> logic(c, r[d] & i.imm & m, kind);
                case FastPath.F_CMP_RR_JCC -> i = subJcc(c, i, r[d] & m, r[s] & m, kind);
                case FastPath.F_CMP_RI_JCC -> i = subJcc(c, i, r[d] & m, i.imm & m, kind);
                case FastPath.F_TEST_RR_JCC -> i = logicJcc(c, i, r[d] & r[s] & m, kind);
                case FastPath.F_TEST_RI_JCC -> i = logicJcc(c, i, r[d] & i.imm & m, kind);
                case FastPath.F_SHL_RI -> {
                    long v = r[d] & m;
                    int count = (int) i.imm & (kind == 3 ? 63 : 31);
                    long res = v << count;
                    r[d] = res & m;
                    c.setCc(LazyFlags.SHL << 2 | kind, v, count, res);
                }
                case FastPath.F_SHR_RI -> {
                    long v = r[d] & m;
                    int count = (int) i.imm & (kind == 3 ? 63 : 31);
                    long res = v >>> count;
                    r[d] = res & m;
                    c.setCc(LazyFlags.SHR << 2 | kind, v, count, res);
                }
                case FastPath.F_SAR_RI -> {
                    long v = r[d] & m;
                    int count = (int) i.imm & (kind == 3 ? 63 : 31);
                    long res = (kind == 3 ? v : (int) v) >> count;
                    r[d] = res & m;
                    c.setCc(LazyFlags.SAR << 2 | kind, v, count, res);
                }
                case FastPath.F_LEA -> FastPath.lea(c, i);
                case FastPath.F_MOVZX8_M -> FastPath.load8(c, i);
                case FastPath.F_MOVZX16_M -> FastPath.load16(c, i);
                case FastPath.F_LOAD32 -> FastPath.load32(c, i);
                case FastPath.F_LOAD64 -> FastPath.load64(c, i);
                case FastPath.F_ALU_GE_M32, FastPath.F_ALU_GE_M64 -> FastPath.aluLoad(c, i);
                case FastPath.F_CMP_MR8, FastPath.F_CMP_MR32, FastPath.F_CMP_MR64 -> FastPath.cmpMem(c, i, r[i.reg]);
                case FastPath.F_CMP_MI8, FastPath.F_CMP_MI32, FastPath.F_CMP_MI64 -> FastPath.cmpMem(c, i, i.imm);
                case FastPath.F_CMOV_RR -> FastPath.cmov(c, i);
                case FastPath.F_INC_R -> FastPath.incDec(c, i, true);
                case FastPath.F_DEC_R -> FastPath.incDec(c, i, false);
                case FastPath.F_IMUL_RR -> FastPath.imul(c, i, r[i.reg], r[i.rm]);
                case FastPath.F_IMUL_RRI -> FastPath.imul(c, i, r[i.rm], i.imm);
                case FastPath.F_ROT_RI -> FastPath.rotate(c, i);
                case FastPath.F_ROT_RI_NF -> r[d] = FastPath.rotateValue(r[d], i, kind);
                case FastPath.F_SSE -> {
                    c.insnStart = start;
                    Sse.exec(c, i);
                    if (c.stopBlock) {
                        break loop;
                    }
                }
                case FastPath.F_ALU_MR -> {
                    FastPath.aluStore(c, i, r[i.reg]);
                    if (c.stopBlock) {
                        break loop;
                    }
                }
                case FastPath.F_ALU_MI -> {
                    FastPath.aluStore(c, i, i.imm);
                    if (c.stopBlock) {
                        break loop;
                    }
                }
                case FastPath.F_STORE8 -> {
                    FastPath.store8(c, i, r[i.reg]);
                    if (c.stopBlock) {
                        break loop;
                    }
                }
                case FastPath.F_STORE_I8 -> {
                    FastPath.store8(c, i, i.imm);
                    if (c.stopBlock) {
                        break loop;
                    }
                }
                case FastPath.F_STORE32 -> {
                    FastPath.store32(c, i, r[i.reg]);
                    if (c.stopBlock) {
                        break loop;
                    }
                }
                case FastPath.F_STORE_I32 -> {
                    FastPath.store32(c, i, i.imm);
                    if (c.stopBlock) {
                        break loop;
                    }
                }
                case FastPath.F_STORE64 -> {
                    FastPath.store64(c, i, r[i.reg]);
                    if (c.stopBlock) {
                        break loop;
                    }
                }
                case FastPath.F_STORE_I64 -> {
                    FastPath.store64(c, i, i.imm);
                    if (c.stopBlock) {
                        break loop;
                    }
                }
                default -> {
                    c.insnStart = start;
                    exec(c, i);
                    if (c.stopBlock) {
                        break loop;
                    }
                }
            }
            Insn next = i.next;
            if (next == null) {
                break;
            }
            i = next;
        }
        } catch (CpuException e) {
            int f = i.fast & 0xFF;
            if (f >= FastPath.F_CMP_RR_JCC && f <= FastPath.F_TEST_RI_JCC) {
                // Of a fused pair only the branch faults, with RIP past it.
                c.insnStart = (c.rip - i.next.len) & c.ipMask;
            } else if (f != FastPath.F_NONE && f != FastPath.F_SSE) {
                // A fast path faults before it changes RIP, which is past the instruction.
                c.insnStart = (c.rip - i.len) & c.ipMask;
            }
            throw e;
        }
        c.instructions += i.count;
        return c.chainBlocks && !c.stopBlock ? chained(c) : null;
    }

    /**
     * The block to go straight on to at the end of a block, or null when the dispatch loop must
     * look first: an event it would act on is pending (an interrupt while IF is clear is not one),
     * or the next block is not in the vCPU's block table.
     */
    private static Block chained(Cpu c) {
        return quiet(c) ? cached(c, linearPc(c)) : null;
    }

    /**
     * True if no event needs the dispatch loop before the next block (or region) runs: an
     * interrupt pending while IF is clear does not.
     */
    static boolean quiet(Cpu c) {
        int ev = c.events;
        return ev == 0 || ev == EV_INTERRUPT && (c.flagsRest & Cpu.RF_IF) == 0;
    }

    /** The block at CS:RIP if the vCPU's block table holds it, else null. */
    static Block cachedBlock(Cpu c) {
        return cached(c, linearPc(c));
    }

    /** The block at linear address {@code pc} if the vCPU's block table holds it, else null. */
    private static Block cached(Cpu c, long pc) {
        Block b = c.fastBlocks[fastSlot(pc)];
        return b != null && b.linear == pc && b.valid && b.bits == c.bits ? b : null;
    }

    private static int fastSlot(long pc) {
        return (int) (pc ^ (pc >>> 12)) & (Cpu.FAST_BLOCKS - 1);
    }

    /** Runs one instruction of a block through the general path. */
    private static void execOne(Cpu c, Insn i) {
        c.stopBlock = false;
        long start = c.rip;
        c.insnStart = start;
        c.rip = (start + i.len) & c.ipMask;
        exec(c, i);
        c.instructions++;
    }

    private static void jump(Cpu c, Insn i) {
        long target = (c.rip + i.imm) & i.fm;
        if ((target << 16 >> 16) != target) {
            throw CpuException.gp(0);
        }
        c.rip = target;
    }

    /** A CMP fused with the conditional branch after it: see {@link #fusedJcc}. */
    private static Insn subJcc(Cpu c, Insn i, long a, long b, int kind) {
        return fusedJcc(c, i, LazyFlags.SUB << 2 | kind, a, b, a - b);
    }

    /** A TEST fused with the conditional branch after it: see {@link #fusedJcc}. */
    private static Insn logicJcc(Cpu c, Insn i, long res, int kind) {
        return fusedJcc(c, i, LazyFlags.LOGIC << 2 | kind, 0, 0, res);
    }

    /**
     * The second half of a fused compare and branch: records the compare's flags, steps over
     * the branch and takes it if its condition holds. Returns the branch, now the current
     * instruction.
     */
    private static Insn fusedJcc(Cpu c, Insn i, int op, long dst, long src, long res) {
        c.setCc(op, dst, src, res);
        Insn j = i.next;
        c.rip = (c.rip + j.len) & c.ipMask;
        if (LazyFlags.cond(op, dst, src, res, j.sub)) {
            jump(c, j);
        }
        return j;
    }

    /** ADD of masked operands: records the flags, returns the unmasked result. */
    private static long add(Cpu c, long d, long s, int kind) {
        long res = d + s;
        c.setCc(LazyFlags.ADD << 2 | kind, d, s, res);
        return res;
    }

    /** SUB or CMP of masked operands: records the flags, returns the unmasked result. */
    private static long sub(Cpu c, long d, long s, int kind) {
        long res = d - s;
        c.setCc(LazyFlags.SUB << 2 | kind, d, s, res);
        return res;
    }

    /** AND, OR, XOR, TEST with a masked result: records the flags, returns the result. */
    private static long logic(Cpu c, long res, int kind) {
        c.setCc(LazyFlags.LOGIC << 2 | kind, 0, 0, res);
        return res;
    }

    static long linearPc(Cpu c) {
        long a = c.segBase[Cpu.CS] + c.rip;
        return c.bits == 64 ? a : a & 0xFFFFFFFFL;
    }

    static Block block(Cpu c) {
        long pc = linearPc(c);
        Block b = cached(c, pc);
        if (b != null) {
            return b;
        }
        c.insnStart = c.rip;
        long pa = c.translate(pc, Cpu.ACC_EXEC);
        b = c.code.lookup(pa, c.bits);
        if (b != null && b.page1 >= 0 && secondPage(c, pc) != b.page1) {
            b = null; // the next page is mapped elsewhere now: decode again
        }
        if (b == null || !b.valid) {
            b = decodeBlock(c, pc, pa);
        }
        c.fastBlocks[fastSlot(pc)] = b;
        return b;
    }

    /** The physical page after the one {@code pc} is on, or -1 when it is not executable now. */
    private static long secondPage(Cpu c, long pc) {
        long next = (pc & ~0xFFFL) + 0x1000;
        long pa = c.probeExec(c.bits == 64 ? next : next & 0xFFFFFFFFL);
        return pa < 0 ? -1 : pa & ~0xFFFL;
    }

    private static Block decodeBlock(Cpu c, long pc, long pa) {
        Block b = new Block(pc, pa, c.bits);
        c.blocksDecoded++;
        ArrayList<Insn> list = new ArrayList<>();
        long la = pc;
        long page = pc >>> 12;
        while (list.size() < MAX_BLOCK) {
            Insn i;
            try {
                i = c.decoder.decode(la, c.bits);
            } catch (CpuException e) {
                if (list.isEmpty()) {
                    throw e;
                }
                break;
            }
            long end = la + i.len;
            long last = (end - 1) >>> 12;
            if (last != page) {
                if (last != page + 1) {
                    break; // would reach a third page: the next block starts here
                }
                if (b.page1 < 0) {
                    // Runs on into the next page: the block depends on that page too.
                    b.page1 = c.translate(end - 1, Cpu.ACC_EXEC) & ~0xFFFL;
                }
            }
            list.add(i);
            la = end;
            if (Decoder.endsBlock(i.op) || (la >>> 12) > page + 1) {
                break;
            }
        }
        b.insns = list.toArray(new Insn[0]);
        for (int k = 0; k < b.insns.length; k++) {
            Insn i = b.insns[k];
            FastPath.classify(i, b.bits);
            i.count = k + 1;
            i.next = k + 1 < b.insns.length ? b.insns[k + 1] : null;
        }
        for (int k = 0; k + 1 < b.insns.length; k++) {
            FastPath.fuse(b.insns[k], b.insns[k + 1]);
        }
        FastPath.deadFlags(b.insns);
        c.code.add(b, c);
        return b;
    }

    /** Decodes the instruction at CS:RIP without executing it (diagnostics, debugger). */
    public static String instructionBytes(Cpu c, long linear) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < Decoder.MAX_LENGTH; k++) {
            long pa = c.probe(linear + k);
            if (pa < 0) {
                break;
            }
            if (k > 0) {
                sb.append(' ');
            }
            sb.append(String.format("%02x", c.readPhys(pa, 1)));
        }
        return sb.toString();
    }

    static void exec(Cpu c, Insn i) {
        switch (i.op) {
            case Op.ALU_EG -> Alu.aluEG(c, i);
            case Op.ALU_GE -> Alu.aluGE(c, i);
            case Op.ALU_EI -> Alu.aluEI(c, i);
            case Op.TEST_EG -> Alu.test(c, i, c.reg(i.reg, i.size));
            case Op.TEST_EI -> Alu.test(c, i, i.imm);
            case Op.MOV_EG -> c.writeRm(i, c.reg(i.reg, i.size));
            case Op.MOV_GE -> {
                long v = i.mem ? c.read(c.ea(i), i.size) : c.reg(i.rm, i.size);
                c.setReg(i.reg, i.size, v);
            }
            case Op.MOV_EI -> c.writeRm(i, i.imm);
            case Op.MOV_RI -> c.setReg(i.reg, i.size, i.imm);
            case Op.MOVZX -> c.setReg(i.reg, (int) i.imm2, c.readRm(i));
            case Op.MOVSX -> c.setReg(i.reg, (int) i.imm2, LazyFlags.signExtend(c.readRm(i), LazyFlags.log2(i.size)));
            case Op.MOVSXD -> Alu.movsxd(c, i);
            case Op.LEA -> Alu.lea(c, i);
            case Op.XCHG -> Alu.xchg(c, i);
            case Op.XADD -> Alu.xadd(c, i);
            case Op.CMPXCHG -> Alu.cmpxchg(c, i);
            case Op.CMPXCHG8B -> Alu.cmpxchg8b(c, i);
            case Op.CMPXCHG16B -> Alu.cmpxchg16b(c, i);
            case Op.INC -> Alu.incDec(c, i, true);
            case Op.DEC -> Alu.incDec(c, i, false);
            case Op.NOT -> Alu.not(c, i);
            case Op.NEG -> Alu.neg(c, i);
            case Op.MUL1 -> MulDiv.mul(c, i);
            case Op.IMUL1 -> MulDiv.imul1(c, i);
            case Op.DIV -> MulDiv.div(c, i);
            case Op.IDIV -> MulDiv.idiv(c, i);
            case Op.IMUL_GE -> MulDiv.imul(c, i, c.reg(i.reg, i.size), c.readRm(i));
            case Op.IMUL_GEI -> MulDiv.imul(c, i, c.readRm(i), i.imm);
            case Op.SHIFT_I -> Shifts.shift(c, i, (int) i.imm);
            case Op.SHIFT_CL -> Shifts.shift(c, i, (int) c.r[Cpu.RCX]);
            case Op.SHLD_I -> Shifts.shld(c, i, (int) i.imm);
            case Op.SHLD_CL -> Shifts.shld(c, i, (int) c.r[Cpu.RCX]);
            case Op.SHRD_I -> Shifts.shrd(c, i, (int) i.imm);
            case Op.SHRD_CL -> Shifts.shrd(c, i, (int) c.r[Cpu.RCX]);
            case Op.BT_EG -> Bits.bt(c, i, c.reg(i.reg, i.size), true);
            case Op.BT_EI -> Bits.bt(c, i, i.imm, false);
            case Op.BSF -> Bits.bsf(c, i);
            case Op.BSR -> Bits.bsr(c, i);
            case Op.TZCNT -> Bits.tzcnt(c, i);
            case Op.LZCNT -> Bits.lzcnt(c, i);
            case Op.POPCNT -> Bits.popcnt(c, i);
            case Op.BSWAP -> Bits.bswap(c, i);
            case Op.SETCC -> c.writeRm(i, c.cond(i.sub) ? 1 : 0);
            case Op.CMOVCC -> Alu.cmov(c, i);
            case Op.JCC -> {
                if (c.cond(i.sub)) {
                    Flow.jumpRel(c, i);
                }
            }
            case Op.JMP -> Flow.jumpRel(c, i);
            case Op.CALL -> Flow.call(c, i);
            case Op.JMP_E -> Flow.jumpIndirect(c, i);
            case Op.CALL_E -> Flow.callE(c, i);
            case Op.RET -> Flow.ret(c, i);
            case Op.LOOP -> Flow.loop(c, i);
            case Op.JCXZ -> Flow.jcxz(c, i);
            case Op.PUSH_R -> c.push(c.reg(i.reg, i.size), i.size);
            case Op.POP_R -> Flow.popR(c, i);
            case Op.PUSH_I -> c.push(i.imm, i.size);
            case Op.PUSH_E -> c.push(c.readRm(i), i.size);
            case Op.POP_E -> Flow.popE(c, i);
            case Op.PUSHF -> Flow.pushf(c, i);
            case Op.POPF -> Flow.popf(c, i);
            case Op.PUSHA -> Flow.pusha(c, i);
            case Op.POPA -> Flow.popa(c, i);
            case Op.ENTER -> Flow.enter(c, i);
            case Op.LEAVE -> Flow.leave(c, i);
            default -> exec2(c, i);
        }
    }

    private static void exec2(Cpu c, Insn i) {
        switch (i.op) {
            case Op.CBW -> Alu.cbw(c, i);
            case Op.CWD -> Alu.cwd(c, i);
            case Op.SAHF -> Alu.sahf(c);
            case Op.LAHF -> c.setReg(16, 1, c.arithFlags() | 2);
            case Op.CMC -> c.setFlagsArith(c.arithFlags() ^ LazyFlags.CF);
            case Op.CLC -> c.setFlagsArith(c.arithFlags() & ~LazyFlags.CF);
            case Op.STC -> c.setFlagsArith(c.arithFlags() | LazyFlags.CF);
            case Op.CLD -> c.flagsRest &= ~Cpu.RF_DF;
            case Op.STD -> c.flagsRest |= Cpu.RF_DF;
            case Op.CLI -> Sys.cli(c);
            case Op.STI -> Sys.sti(c);
            case Op.MOVS -> Strings.movs(c, i);
            case Op.CMPS -> Strings.cmps(c, i);
            case Op.STOS -> Strings.stos(c, i);
            case Op.LODS -> Strings.lods(c, i);
            case Op.SCAS -> Strings.scas(c, i);
            case Op.INS -> Strings.ins(c, i);
            case Op.OUTS -> Strings.outs(c, i);
            case Op.IN_I -> Sys.in(c, i, (int) i.imm);
            case Op.IN_DX -> Sys.in(c, i, (int) c.r[Cpu.RDX] & 0xFFFF);
            case Op.OUT_I -> Sys.out(c, i, (int) i.imm);
            case Op.OUT_DX -> Sys.out(c, i, (int) c.r[Cpu.RDX] & 0xFFFF);
            case Op.NOP, Op.WBINVD, Op.INVD -> {
            }
            case Op.FENCE -> Sys.fence(c, i);
            case Op.PAUSE -> Thread.onSpinWait();
            case Op.CLFLUSH -> c.read8(c.ea(i));
            case Op.HLT -> Sys.hlt(c);
            case Op.INT -> Sys.softInt(c, (int) i.imm);
            case Op.INT3 -> throw CpuException.softwareInterrupt(CpuException.BP);
            case Op.INTO -> {
                if (c.of()) {
                    throw CpuException.softwareInterrupt(CpuException.OF);
                }
            }
            case Op.INT1 -> throw CpuException.softwareInterrupt(CpuException.DB);
            case Op.UD, Op.UD0 -> throw CpuException.ud();
            case Op.UNIMPL -> Sys.unimplemented(c, i);
            default -> exec3(c, i);
        }
    }

    private static void exec3(Cpu c, Insn i) {
        switch (i.op) {
            case Op.JMPF -> Segments.farJump(c, (int) i.imm2, i.imm);
            case Op.JMPF_M -> Segments.farJumpMem(c, i);
            case Op.CALLF -> Segments.farCall(c, i, (int) i.imm2, i.imm);
            case Op.CALLF_M -> Segments.farCallMem(c, i);
            case Op.RETF -> Segments.farReturn(c, i);
            case Op.IRET -> Exceptions.iret(c, i);
            case Op.PUSH_SEG -> c.push(c.segSel[i.sub], i.size);
            case Op.POP_SEG -> Segments.popSeg(c, i);
            case Op.MOV_TO_SEG -> Segments.movToSeg(c, i);
            case Op.MOV_FROM_SEG -> c.writeRm(i, c.segSel[i.sub]);
            case Op.LOAD_FAR -> Segments.loadFar(c, i);
            case Op.XLAT -> Alu.xlat(c, i);
            case Op.CPUID -> c.cpuid.execute(c);
            case Op.RDTSC -> Sys.rdtsc(c);
            case Op.RDTSCP -> Sys.rdtscp(c);
            case Op.RDPID -> c.setReg(i.rm, 8, c.tscAux & 0xFFFFFFFFL);
            case Op.RDMSR -> Sys.rdmsr(c);
            case Op.WRMSR -> Sys.wrmsr(c);
            case Op.RDPMC -> throw CpuException.gp(0);
            case Op.MOV_FROM_CR -> Sys.movFromCr(c, i);
            case Op.MOV_TO_CR -> Sys.movToCr(c, i);
            case Op.MOV_FROM_DR -> Sys.movFromDr(c, i);
            case Op.MOV_TO_DR -> Sys.movToDr(c, i);
            case Op.LGDT, Op.LIDT -> Sys.loadDescriptorTable(c, i);
            case Op.SGDT, Op.SIDT -> Sys.storeDescriptorTable(c, i);
            case Op.LLDT -> Segments.lldt(c, i);
            case Op.LTR -> Segments.ltr(c, i);
            case Op.SLDT -> c.writeRm(i, c.ldtSel);
            case Op.STR -> c.writeRm(i, c.trSel);
            case Op.VERR, Op.VERW, Op.LAR, Op.LSL, Op.ARPL, Op.BOUND -> Segments.descriptorQuery(c, i);
            case Op.SMSW -> c.writeRm(i, c.cr0);
            case Op.LMSW -> Sys.lmsw(c, i);
            case Op.CLTS -> Sys.clts(c);
            case Op.INVLPG -> Sys.invlpg(c, i);
            case Op.SWAPGS -> Sys.swapgs(c);
            case Op.XGETBV -> Sys.xgetbv(c);
            case Op.XSETBV -> Sys.xsetbv(c);
            case Op.SYSCALL -> Sys.syscall(c, i);
            case Op.SYSRET -> Sys.sysret(c, i);
            case Op.SYSENTER -> Sys.sysenter(c);
            case Op.SYSEXIT -> Sys.sysexit(c, i);
            case Op.INVPCID, Op.MONITOR, Op.MWAIT -> throw CpuException.ud();
            case Op.RDFSBASE, Op.RDGSBASE, Op.WRFSBASE, Op.WRGSBASE -> Sys.fsgsbase(c, i);
            case Op.RDRAND, Op.RDSEED -> Sys.rdrand(c, i);
            case Op.MOVBE_GE -> c.setReg(i.reg, i.size, Bits.swap(c.read(c.ea(i), i.size), i.size));
            case Op.MOVBE_EG -> c.write(c.ea(i), i.size, Bits.swap(c.reg(i.reg, i.size), i.size));
            case Op.DAA, Op.DAS, Op.AAA, Op.AAS, Op.AAM, Op.AAD, Op.SALC -> Bcd.exec(c, i);
            default -> execExtension(c, i);
        }
    }

    /** SSE, x87 and state-save instructions, each family dispatching on its own op range. */
    private static void execExtension(Cpu c, Insn i) {
        if (i.op >= SseOp.FIRST && i.op < SseOp.END) {
            Sse.exec(c, i);
        } else if (i.op >= X87Op.FIRST && i.op < X87Op.END) {
            X87.exec(c, i);
        } else if (i.op >= StateSave.FIRST && i.op < StateSave.END) {
            StateSave.exec(c, i);
        } else {
            Sys.unimplemented(c, i);
        }
    }

    static void clearFastBlocks(Cpu c) {
        Arrays.fill(c.fastBlocks, null);
    }
}
