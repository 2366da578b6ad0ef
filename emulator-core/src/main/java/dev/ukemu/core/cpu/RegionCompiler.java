package dev.ukemu.core.cpu;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Translates a hot block, and the decoded blocks it reaches by direct branches on the same page,
 * into one JVM method (a {@link Region}, defined as a hidden class so that it unloads with its
 * region).
 *
 * <p>Inside the method the sixteen general registers live in JVM locals, loaded at entry and
 * written back at every exit. Arithmetic flags stay lazy (an operation kind and its operands, in
 * locals); a condition whose producer is known at translation time is compiled to a direct
 * comparison. Loads and stores inline the soft-TLB hit path and call the vCPU's accessors on a
 * miss. Branches to blocks of the region are JVM jumps, with a check for pending events on every
 * backward one. Instructions without a translation go through the interpreter with the state
 * written back around them. A guest exception is caught by one handler that writes the state back
 * as of the faulting instruction (the index of the current instruction is kept in a local).
 */
final class RegionCompiler {
    private RegionCompiler() {
    }

    /** What the generated class's constructor hands to {@link Region}. */
    static final class Plan {
        Block entry;
        Block[] blocks;
        Insn[] insns;
        long[] insnRip, insnNext;
        int[] remaining;
        boolean[] stackOp;
        boolean usesSse;
        /** Static targets outside the region that its branches leave for (see {@link Region#links}). */
        int links;
        /** The linear pages the region's code is on and the physical pages they must map to. */
        long[] linearPages, physPages;
        /** Guest RAM, a constant of the generated class (null: memory goes through the vCPU's accessors). */
        java.lang.foreign.MemorySegment ram;

        /** Read by the generated class's static initializer through its class data. */
        public java.lang.foreign.MemorySegment ram() {
            return ram;
        }
    }

    static final int MAX_BLOCKS = 64, MAX_INSNS = 600;
    /**
     * Bytecode bytes per region. HotSpot compiles nothing above 8000; well below that, C1 (the
     * first tier) also copes quickly, which matters as much for warm-up.
     */
    static final int METHOD_LIMIT = Integer.getInteger("ukemu.jit.maxbytes", 3000);
    /** Ops to leave to the interpreter (diagnostics: finding a wrong translation). */
    private static final java.util.Set<Integer> DEBUG_INTERP_OPS = java.util.Arrays.stream(
            System.getProperty("ukemu.jit.interpops", "").split(",")).filter(x -> !x.isBlank()).map(Integer::valueOf)
            .collect(java.util.stream.Collectors.toSet());
    /** A directory to write each generated class to (diagnostics). */
    private static final String DUMP = System.getProperty("ukemu.jit.dump");
    /** Also take the page's other executed blocks into a region (targets of indirect jumps). */
    static final boolean WHOLE_PAGE = !"false".equals(System.getProperty("ukemu.jit.wholepage"));

    private static final ClassDesc CD_CPU = ClassDesc.of("dev.ukemu.core.cpu.Cpu");
    private static final ClassDesc CD_REGION = ClassDesc.of("dev.ukemu.core.cpu.Region");
    private static final ClassDesc CD_RT = ClassDesc.of("dev.ukemu.core.cpu.JitRt");
    private static final ClassDesc CD_EXC = ClassDesc.of("dev.ukemu.core.cpu.CpuException");
    private static final ClassDesc CD_GM = ClassDesc.of("dev.ukemu.core.memory.GuestMemory");
    private static final ClassDesc CD_MS = ClassDesc.of("java.lang.foreign.MemorySegment");
    private static final ClassDesc CD_VH = ClassDesc.of("java.lang.invoke.VarHandle");
    private static final ClassDesc[] CD_LAYOUT = {
        ClassDesc.of("java.lang.foreign.ValueLayout$OfByte"), ClassDesc.of("java.lang.foreign.ValueLayout$OfShort"),
        ClassDesc.of("java.lang.foreign.ValueLayout$OfInt"), ClassDesc.of("java.lang.foreign.ValueLayout$OfLong")};
    private static final String[] LAYOUT_FIELD = {"BYTE", "SHORT", "INT", "LONG"};
    private static final ClassDesc[] CD_PRIM = {ConstantDescs.CD_byte, ConstantDescs.CD_short, ConstantDescs.CD_int,
        ConstantDescs.CD_long};
    private static final ClassDesc CD_LARR = ConstantDescs.CD_long.arrayType();
    private static final ClassDesc CD_JITSSE = ClassDesc.of("dev.ukemu.core.cpu.JitSse");
    private static final ClassDesc CD_SSEINT = ClassDesc.of("dev.ukemu.core.cpu.SseInt");
    private static final ClassDesc CD_PLAN = ClassDesc.of("dev.ukemu.core.cpu.RegionCompiler$Plan");
    private static final ClassDesc SELF = ClassDesc.of("dev.ukemu.core.cpu.CompiledRegion");

    // Local variable slots of run(Cpu).
    private static final int THIS = 0, C = 1, FOP = 34, FDST = 35, FSRC = 37, FRES = 39, RAM = 41, RTAG = 42, RADD = 43,
            WTAG = 44, WADD = 45, CUR = 46, ICOUNT = 47, EXITRIP = 49, EXITCAUSE = 51, P = 52, I = 54, T1 = 55, T2 = 57,
            T3 = 59, T4 = 61, EXC = 63, ADDR = 64, RARR = 66, CNT = 67, BUDGET = 68, EVMASK = 69,
            FBK = 70, RESUME = 71, DT = 72, XMM = 74, STOP = 75, LINK = 76;

    private static int reg(int n) {
        return 2 + 2 * n;
    }

    private static final ClassFile CF = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
            ClassHierarchyResolver.defaultResolver().orElse(
                    ClassHierarchyResolver.ofClassLoading(RegionCompiler.class.getClassLoader()))));

    /** The region entered at {@code entry}, or null when it is not worth compiling. */
    static Region compile(Block entry, CodeCache code) {
        if (entry.bits != 64 || !entry.valid) {
            return null;
        }
        // The most blocks that fit: shrink by quarters until a set fits, then search between the
        // largest that fits (lo) and the smallest that does not (hi).
        int maxBlocks = MAX_BLOCKS, lo = 0, hi = Integer.MAX_VALUE;
        Candidate best = null;
        while (true) {
            List<Block> blocks = collect(entry, code, maxBlocks);
            Candidate c = translate(blocks, code, 0);
            if (c == null) {
                return null;
            }
            int n = blocks.size();
            if (DUMP != null) {
                try {
                    java.nio.file.Files.write(java.nio.file.Path.of(DUMP, Long.toHexString(entry.linear) + "-" + n
                            + ".class"), c.bytes);
                } catch (java.io.IOException ignored) {
                    // diagnostics only
                }
            }
            if (c.fits()) {
                if (n > lo) {
                    lo = n;
                    best = c;
                }
                if (n < maxBlocks || hi == Integer.MAX_VALUE || hi - lo <= 1) {
                    break; // all there was, or nothing between what fits and what does not
                }
            } else {
                hi = Math.min(hi, n);
                if (n == 1 || hi - lo <= 1 && lo > 0) {
                    break;
                }
            }
            maxBlocks = lo > 0 ? (lo + hi) / 2 : Math.max(1, n * 3 / 4);
        }
        if (best == null && entry.insns.length > 1) {
            // The entry block alone is too large (a long straight-line block): the most of its
            // instructions that fit, the region leaving for the rest.
            int fit = 0, tooMany = entry.insns.length;
            while (tooMany - fit > 1) {
                int m = (fit + tooMany) / 2;
                Candidate c = translate(List.of(entry), code, m);
                if (c == null) {
                    return null;
                }
                if (c.fits()) {
                    fit = m;
                    best = c;
                } else {
                    tooMany = m;
                }
            }
        }
        return best == null ? null : define(best.bytes, best.plan, best.size);
    }

    /** A generated class, its plan and the size of its run method's bytecode. */
    private record Candidate(byte[] bytes, Plan plan, int size) {
        boolean fits() {
            return size <= METHOD_LIMIT;
        }
    }

    /**
     * The class for {@code blocks} (the entry cut after {@code entryLimit} instructions when
     * that is positive), or null when the blocks disagree on where a page is.
     */
    private static Candidate translate(List<Block> blocks, CodeCache code, int entryLimit) {
        Emitter e;
        try {
            e = new Emitter(blocks, code.tso(), code.ram(), entryLimit);
        } catch (Emitter.PageConflict conflict) {
            return null;
        }
        byte[] bytes = e.generate();
        return new Candidate(bytes, e.plan, codeLength(bytes));
    }

    private static int codeLength(byte[] bytes) {
        ClassModel cm = CF.parse(bytes);
        for (MethodModel m : cm.methods()) {
            if (m.methodName().equalsString("run")) {
                return m.findAttribute(java.lang.classfile.Attributes.code()).orElseThrow().codeLength();
            }
        }
        throw new IllegalStateException("no run method");
    }

    private static Region define(byte[] bytes, Plan plan, int size) {
        try {
            MethodHandles.Lookup lk = MethodHandles.lookup().defineHiddenClassWithClassData(bytes, plan, true);
            Region r = (Region) lk.findConstructor(lk.lookupClass(), MethodType.methodType(void.class, Object.class))
                    .invoke(plan);
            r.bytecodeBytes = size;
            return r;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The entry block and the decoded blocks reachable from it by direct branches on its page. */
    private static List<Block> collect(Block entry, CodeCache code, int maxBlocks) {
        List<Block> out = new ArrayList<>();
        Map<Long, Block> seen = new HashMap<>();
        // The hottest reachable block next (by the interpreter's counts), so that what does not
        // fit is the coldest code.
        java.util.PriorityQueue<Block> work = new java.util.PriorityQueue<>((x, y) -> x.hits != y.hits
                ? Integer.compare(y.hits, x.hits) : Long.compare(x.linear, y.linear));
        work.add(entry);
        seen.put(entry.linear, entry);
        int insns = 0;
        long page = entry.linear >>> 12;
        // Where the linear pages around the entry's are in physical memory, as far as known: a
        // function that crosses a page boundary goes on there. The region checks these mappings
        // each time it is entered.
        Map<Long, Long> phys = new HashMap<>();
        phys.put(page, entry.page0);
        if (entry.prevPhys >= 0) {
            phys.put(page - 1, entry.prevPhys);
        }
        if (entry.nextPhys >= 0) {
            phys.put(page + 1, entry.nextPhys);
        }
        List<Block> others = null;
        while (out.size() < maxBlocks) {
            if (work.isEmpty()) {
                // Then, when the region has an indirect jump (a jump table), the rest of the page's
                // executed code, where its targets are. Otherwise the region stays small, and
                // HotSpot compiles it sooner.
                if (!WHOLE_PAGE || !unknownIndirectJump(out)) {
                    break;
                }
                if (others == null) {
                    // Nearest to an indirect jump first: a jump table's targets are the code of
                    // its own function, and the page may hold other hot functions too.
                    others = code.blocksOnPage(entry.page0);
                    long[] jumps = indirectJumps(out);
                    others.sort(java.util.Comparator.comparingLong((Block x) -> distance(x.linear, jumps))
                            .thenComparingLong(x -> x.linear));
                }
                while (!others.isEmpty() && work.isEmpty()) {
                    Block s = others.removeFirst();
                    if (s.valid && s.bits == 64 && (s.linear >>> 12) == page && s.hits > 0
                            && !seen.containsKey(s.linear)) {
                        seen.put(s.linear, s);
                        work.add(s);
                    }
                }
                if (work.isEmpty()) {
                    break;
                }
            }
            Block b = work.poll();
            if (insns + b.insns.length > MAX_INSNS && !out.isEmpty()) {
                continue;
            }
            out.add(b);
            insns += b.insns.length;
            if (b.page1 >= 0) {
                phys.putIfAbsent((b.linear >>> 12) + 1, b.page1);
            }
            for (long t : successors(b)) {
                long tp = t >>> 12;
                if (tp < page - 1 || tp > page + 1 || seen.containsKey(t) || !phys.containsKey(tp)) {
                    continue;
                }
                Block s = code.lookup(phys.get(tp) | (t & 0xFFF), 64);
                if (s != null && s.valid && s.linear == t && s.bits == 64) {
                    seen.put(t, s);
                    work.add(s);
                }
            }
        }
        return out;
    }

    /** The addresses of the blocks in {@code blocks} that end in an indirect jump. */
    private static long[] indirectJumps(List<Block> blocks) {
        return blocks.stream().filter(b -> b.insns[b.insns.length - 1].op == Op.JMP_E).mapToLong(b -> b.linear)
                .toArray();
    }

    private static long distance(long a, long[] to) {
        long d = Long.MAX_VALUE;
        for (long t : to) {
            d = Math.min(d, Math.abs(a - t));
        }
        return d;
    }

    /** True if a block of {@code blocks} ends in an indirect jump whose targets are not known. */
    private static boolean unknownIndirectJump(List<Block> blocks) {
        for (Block b : blocks) {
            Insn last = b.insns[b.insns.length - 1];
            if (last.op == Op.JMP_E && last.targetCount == 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Successors of a block: direct branch targets and the fall-through, and the targets an
     * indirect jump was seen to take.
     */
    private static long[] successors(Block b) {
        Insn last = b.insns[b.insns.length - 1];
        long end = b.linear;
        for (Insn i : b.insns) {
            end += i.len;
        }
        return switch (last.op) {
            case Op.JCC -> new long[] {end + last.imm, end};
            case Op.JMP -> new long[] {end + last.imm};
            case Op.CALL -> new long[] {end + last.imm, end};
            case Op.CALL_E -> new long[] {end};
            case Op.JMP_E -> last.targets();
            default -> Decoder.endsBlock(last.op) ? new long[0] : new long[] {end};
        };
    }

    /** Generates the class for one region. */
    private static final class Emitter {
        final List<Block> blocks;
        final boolean tso;
        final Plan plan = new Plan();
        final Map<Long, Integer> blockIndex = new HashMap<>();
        final int[] blockStart;
        /** Instructions of each block that the region holds: all, but for a cut entry block. */
        final int[] blockLen;
        CodeBuilder cb;
        Label[] labels;
        Label exit;
        /** Registers the region's translated instructions name: loaded at entry, written back at exits. */
        int regs;
        int knownOp;
        /** The instruction being emitted. */
        int curK;
        boolean[] flagsLive;

        /**
         * {@code entryLimit} > 0 cuts the entry block (the only one) after that many instructions:
         * the region then leaves for the next one.
         */
        Emitter(List<Block> blocks, boolean tso, java.lang.foreign.MemorySegment ram, int entryLimit) {
            this.blocks = blocks;
            this.tso = tso;
            plan.ram = ram;
            blockStart = new int[blocks.size()];
            blockLen = new int[blocks.size()];
            int n = 0;
            for (int b = 0; b < blocks.size(); b++) {
                blockIndex.putIfAbsent(blocks.get(b).linear, b);
                blockStart[b] = n;
                int len = blocks.get(b).insns.length;
                blockLen[b] = b == 0 && entryLimit > 0 ? Math.min(entryLimit, len) : len;
                n += blockLen[b];
            }
            plan.entry = blocks.get(0);
            plan.blocks = blocks.toArray(new Block[0]);
            plan.insns = new Insn[n];
            plan.insnRip = new long[n];
            plan.insnNext = new long[n];
            plan.remaining = new int[n];
            plan.stackOp = new boolean[n];
            flagsLive = new boolean[n];
            int k = 0;
            for (int bi = 0; bi < blocks.size(); bi++) {
                Block b = blocks.get(bi);
                long rip = b.linear;
                for (int j = 0; j < blockLen[bi]; j++) {
                    Insn i = b.insns[j];
                    plan.insns[k] = i;
                    plan.insnRip[k] = rip;
                    plan.insnNext[k] = rip + i.len;
                    plan.remaining[k] = blockLen[bi] - 1 - j;
                    plan.stackOp[k] = i.op == Op.PUSH_R || i.op == Op.POP_R || i.op == Op.PUSH_I || i.op == Op.CALL
                            || i.op == Op.RET || i.op == Op.CALL_E;
                    rip += i.len;
                    k++;
                }
            }
            Map<Long, Long> pages = new java.util.TreeMap<>();
            for (Block b : blocks) {
                addPage(pages, b.linear >>> 12, b.page0);
                if (b.page1 >= 0) {
                    addPage(pages, (b.linear >>> 12) + 1, b.page1);
                }
            }
            plan.linearPages = pages.keySet().stream().mapToLong(Long::longValue).toArray();
            plan.physPages = pages.values().stream().mapToLong(Long::longValue).toArray();
            registerUse();
            liveness();
            for (Insn i : plan.insns) {
                if (!native_(i) && nativeSse(i)) {
                    plan.usesSse = true;
                }
            }
        }

        /** Thrown for blocks that disagree on where a linear page is (the region is not built). */
        static final class PageConflict extends RuntimeException {
            PageConflict() {
                super(null, null, false, false);
            }
        }

        private static void addPage(Map<Long, Long> pages, long lp, long pp) {
            Long was = pages.putIfAbsent(lp, pp);
            if (was != null && was != pp) {
                throw new PageConflict();
            }
        }

        /**
         * The registers the translated instructions name (the interpreter's instructions find the
         * rest in the vCPU, where the region never changes them).
         */
        private void registerUse() {
            int u = 0;
            for (Insn i : plan.insns) {
                if (!native_(i) && !pureSse(i)) {
                    continue;
                }
                u |= 1 << i.reg & 0xFFFF | (i.reg >= 16 ? 1 << (i.reg - 16) : 0);
                if (!i.mem) {
                    u |= 1 << i.rm & 0xFFFF | (i.rm >= 16 ? 1 << (i.rm - 16) : 0);
                }
                if (i.mem) {
                    if (i.base >= 0 && i.base < 16) u |= 1 << i.base;
                    if (i.index >= 0) u |= 1 << i.index;
                }
                u |= 1 << Cpu.RSP | 1 << Cpu.RAX | 1 << Cpu.RCX | 1 << Cpu.RDX;
            }
            regs = u & 0xFFFF;
        }

        /** Whether each instruction's flags are read later (faulting instructions need them exact). */
        private void liveness() {
            for (int b = 0; b < blocks.size(); b++) {
                int first = blockStart[b], n = blockLen[b];
                boolean live = true;
                for (int k = first + n - 1; k >= first; k--) {
                    flagsLive[k] = live;
                    Insn i = plan.insns[k];
                    if (readsFlags(i) || mayFault(i) || !native_(i)) {
                        live = true;
                    } else if (writesAllFlags(i)) {
                        live = false;
                    }
                }
            }
        }

        private static boolean mayFault(Insn i) {
            return i.mem || i.op == Op.PUSH_R || i.op == Op.POP_R || i.op == Op.PUSH_I || i.op == Op.CALL
                    || i.op == Op.RET || i.op == Op.CALL_E;
        }

        private static boolean readsFlags(Insn i) {
            return switch (i.op) {
                case Op.JCC, Op.SETCC, Op.CMOVCC -> true;
                case Op.ALU_EG, Op.ALU_GE, Op.ALU_EI -> i.sub == Alu.ADC || i.sub == Alu.SBB;
                default -> false;
            };
        }

        private static boolean writesAllFlags(Insn i) {
            return switch (i.op) {
                case Op.ALU_EG, Op.ALU_GE, Op.ALU_EI, Op.TEST_EG, Op.TEST_EI, Op.NEG, Op.IMUL_GE, Op.IMUL_GEI -> true;
                case Op.SHIFT_I -> i.sub >= Shifts.SHL && (i.imm & (i.size == 8 ? 63 : 31)) != 0;
                default -> false;
            };
        }

        /**
         * SSE instructions that write neither a general register nor a flag: they run through the
         * SSE unit directly, with the region's registers written back but not reloaded.
         */
        static boolean pureSse(Insn i) {
            if (i.op < SseOp.FIRST || i.op >= SseOp.END) {
                return false;
            }
            return switch (i.op) {
                case SseOp.MOVD_E_X, SseOp.MOVMSKPS, SseOp.MOVMSKPD, SseOp.PMOVMSKB, SseOp.FP_COMI, SseOp.CVT,
                     SseOp.CVT_MMX, SseOp.PTEST, SseOp.PEXTR, SseOp.EXTRACTPS, SseOp.MOVD_E_M, SseOp.PCMPSTR,
                     SseOp.CRC32 -> false;
                default -> true;
            };
        }

        static boolean sseStore(Insn i) {
            return i.mem && switch (i.op) {
                case SseOp.MOV_STORE, SseOp.MOVS_STORE, SseOp.MOVQ_STORE, SseOp.MOVLO_STORE, SseOp.MOVHI_STORE,
                     SseOp.MOVNTI, SseOp.MASKMOV, SseOp.MOVQ_MM_M -> true;
                default -> false;
            } || i.op == SseOp.MASKMOV;
        }

        /** True when the instruction has a translation; the rest run through the interpreter. */
        static boolean native_(Insn i) {
            if (DEBUG_INTERP_OPS.contains(i.op)) {
                return false;
            }
            boolean sized = i.size == 1 || i.size == 2 || i.size == 4 || i.size == 8;
            if (!sized) {
                return false;
            }
            if (i.mem && (i.asize == 2 || (i.seg != Cpu.SEG_NONE && i.seg != Cpu.FS && i.seg != Cpu.GS))) {
                return false;
            }
            return switch (i.op) {
                case Op.MOV_EG, Op.MOV_GE, Op.MOV_EI, Op.MOV_RI, Op.LEA, Op.NOP, Op.TEST_EG, Op.TEST_EI, Op.SETCC,
                     Op.CMOVCC -> true;
                case Op.MOVZX, Op.MOVSX -> i.imm2 == 2 || i.imm2 == 4 || i.imm2 == 8;
                case Op.MOVSXD -> i.size == 8;
                case Op.ALU_EG, Op.ALU_GE, Op.ALU_EI, Op.INC, Op.DEC, Op.NOT, Op.NEG -> !i.lock;
                case Op.SHIFT_I -> i.sub != Shifts.RCL && i.sub != Shifts.RCR;
                case Op.SHIFT_CL -> !i.mem && i.sub >= Shifts.SHL;
                case Op.IMUL_GE, Op.IMUL_GEI -> i.size >= 2;
                case Op.JCC, Op.JMP, Op.CALL -> i.size == 8;
                case Op.RET -> i.size == 8 && i.imm == 0;
                case Op.JMP_E, Op.CALL_E -> i.size == 8;
                case Op.PUSH_R, Op.POP_R, Op.PUSH_I -> i.size == 8;
                case Op.CBW, Op.CWD -> i.size >= 4;
                default -> false;
            };
        }

        byte[] generate() {
            byte[] bytes = build();
            plan.links = INDIRECT_LINK + 1 + linkSlots.size();
            return bytes;
        }

        private byte[] build() {
            return CF.build(SELF, clb -> {
                if (plan.ram != null) {
                    accessors(clb);
                }
                clb.withFlags(ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL | ClassFile.ACC_SUPER);
                clb.withSuperclass(CD_REGION);
                clb.withMethodBody(ConstantDescs.INIT_NAME, MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_Object),
                        ClassFile.ACC_PUBLIC, c -> {
                            c.aload(0);
                            c.aload(1);
                            c.invokespecial(CD_REGION, ConstantDescs.INIT_NAME,
                                    MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_Object));
                            c.return_();
                        });
                clb.withMethodBody("run", MethodTypeDesc.of(CD_REGION, CD_CPU), ClassFile.ACC_PUBLIC,
                        c -> {
                            cb = c;
                            body();
                        });
            });
        }

        private void body() {
            // The class file builder may run this more than once (to redo branches with wide offsets).
            dispatch = null;
            fallbackShared = null;
            resumes.clear();
            backEdges.clear();
            labels = new Label[blocks.size()];
            for (int b = 0; b < labels.length; b++) {
                labels[b] = cb.newLabel();
            }
            exit = cb.newLabel();
            Label handler = cb.newLabel(), start = cb.newLabel(), end = cb.newLabel();
            // Prologue.
            cb.aload(C).getfield(CD_CPU, "r", CD_LARR).astore(RARR);
            cb.aload(C).getfield(CD_CPU, "xmm", CD_LARR).astore(XMM);
            reload();
            cb.iconst_0().istore(CUR);
            cb.iconst_0().istore(ICOUNT);
            // Temporaries start defined, so that the shared interpreter call can return anywhere.
            cb.iconst_0().istore(FBK);
            cb.iconst_0().istore(RESUME);
            cb.iconst_0().istore(CNT);
            cb.iconst_0().istore(I);
            for (int t : new int[] {T1, T2, T3, T4, ADDR, P, EXITRIP, DT}) {
                cb.lconst_0().lstore(t);
            }
            cb.iconst_0().istore(EXITCAUSE);
            cb.iconst_0().istore(STOP);
            cb.iconst_m1().istore(LINK);
            cb.aload(C).getfield(CD_CPU, "regionLoopLimit", ConstantDescs.CD_int).istore(BUDGET);
            // Events that matter here: a pending interrupt only while IF is set (only
            // instructions the interpreter runs change IF, and the region is left after those).
            Label ifSet = cb.newLabel(), maskDone = cb.newLabel();
            cb.aload(C).getfield(CD_CPU, "flagsRest", ConstantDescs.CD_long).loadConstant(Cpu.RF_IF).land().lconst_0().lcmp()
                    .ifne(ifSet);
            cb.loadConstant(~Interpreter.EV_INTERRUPT).goto_(maskDone);
            cb.labelBinding(ifSet);
            cb.iconst_m1();
            cb.labelBinding(maskDone);
            cb.istore(EVMASK);
            cb.aload(C).iconst_0().putfield(CD_CPU, "stopBlock", ConstantDescs.CD_boolean);
            cb.aload(C).dup().getfield(CD_CPU, "regionRuns", ConstantDescs.CD_long).lconst_1().ladd()
                    .putfield(CD_CPU, "regionRuns", ConstantDescs.CD_long);
            // The code's pages must still be where they were when it was translated (the
            // instruction TLB says where they are now); else the interpreter runs this block.
            Label mapped = cb.newLabel(), unmapped = cb.newLabel();
            for (int n = 0; n < plan.linearPages.length; n++) {
                long lp = plan.linearPages[n];
                int slot = (int) lp & Cpu.TLB_MASK;
                cb.aload(C).getfield(CD_CPU, "xTag", CD_LARR).loadConstant(slot).laload().loadConstant(lp).lcmp().ifne(unmapped);
                cb.aload(C).getfield(CD_CPU, "xAdd", CD_LARR).loadConstant(slot).laload()
                        .loadConstant(plan.physPages[n] - (lp << 12)).lcmp().ifne(unmapped);
            }
            cb.goto_(mapped);
            cb.labelBinding(unmapped);
            cb.aload(THIS).aload(C);
            cb.invokestatic(CD_RT, "unmapped", MethodTypeDesc.of(ConstantDescs.CD_void, CD_REGION, CD_CPU));
            cb.aload(C).getfield(CD_CPU, "rip", ConstantDescs.CD_long).lstore(EXITRIP);
            cb.loadConstant(Cpu.EXIT_HELPER).istore(EXITCAUSE);
            cb.goto_(exit);
            cb.labelBinding(mapped);
            cb.labelBinding(start);
            // Any block of the region can be the entry: switch on RIP.
            if (blocks.size() > 1) {
                cb.aload(C).getfield(CD_CPU, "rip", ConstantDescs.CD_long).lstore(DT);
                indirect(DT, false);
            }
            for (int b = 0; b < blocks.size(); b++) {
                emitBlock(b);
            }
            if (dispatch != null) {
                emitDispatch();
            }
            if (fallbackShared != null) {
                emitFallbackShared();
            }
            for (Map.Entry<Integer, Label> e : backEdges.entrySet()) {
                emitBackEdge(e.getKey(), e.getValue());
            }
            cb.labelBinding(end);
            // Common exit: state back to the vCPU.
            cb.labelBinding(exit);
            writeBack();
            cb.aload(C).lload(EXITRIP).putfield(CD_CPU, "rip", ConstantDescs.CD_long);
            cb.aload(C).dup().getfield(CD_CPU, "instructions", ConstantDescs.CD_long).iload(ICOUNT).i2l().ladd()
                    .putfield(CD_CPU, "instructions", ConstantDescs.CD_long);
            cb.aload(C).getfield(CD_CPU, "regionExits", CD_LARR).iload(EXITCAUSE).dup2().laload().lconst_1().ladd()
                    .lastore();
            // Left by a branch: the region to go straight on to, if any (JitRt.next).
            Label noLink = cb.newLabel();
            cb.iload(LINK).iflt(noLink);
            cb.aload(THIS).aload(C).iload(LINK);
            cb.invokestatic(CD_RT, "next", MethodTypeDesc.of(CD_REGION, CD_REGION, CD_CPU, ConstantDescs.CD_int));
            cb.areturn();
            cb.labelBinding(noLink);
            cb.aconst_null().areturn();
            // Guest exceptions: the state as of the faulting instruction.
            cb.labelBinding(handler);
            cb.astore(EXC);
            Label synced = cb.newLabel();
            cb.iload(CUR).iflt(synced);
            writeBack();
            cb.labelBinding(synced);
            cb.aload(THIS).aload(C).aload(EXC).iload(CUR).iload(ICOUNT);
            cb.invokestatic(CD_RT, "fault", MethodTypeDesc.of(CD_EXC, CD_REGION, CD_CPU, CD_EXC, ConstantDescs.CD_int,
                    ConstantDescs.CD_int));
            cb.athrow();
            cb.exceptionCatch(start, end, handler, CD_EXC);
        }

        private void reload() {
            for (int n = 0; n < 16; n++) {
                if ((regs & 1 << n) != 0) {
                    cb.aload(RARR).loadConstant(n).laload().lstore(reg(n));
                } else {
                    cb.lconst_0().lstore(reg(n));
                }
            }
            cb.aload(C).getfield(CD_CPU, "ccOp", ConstantDescs.CD_int).istore(FOP);
            cb.aload(C).getfield(CD_CPU, "ccDst", ConstantDescs.CD_long).lstore(FDST);
            cb.aload(C).getfield(CD_CPU, "ccSrc", ConstantDescs.CD_long).lstore(FSRC);
            cb.aload(C).getfield(CD_CPU, "ccRes", ConstantDescs.CD_long).lstore(FRES);
        }

        private void writeBack() {
            for (int n = 0; n < 16; n++) {
                if ((regs & 1 << n) != 0) {
                    cb.aload(RARR).loadConstant(n).lload(reg(n)).lastore();
                }
            }
            cb.aload(C).iload(FOP).putfield(CD_CPU, "ccOp", ConstantDescs.CD_int);
            cb.aload(C).lload(FDST).putfield(CD_CPU, "ccDst", ConstantDescs.CD_long);
            cb.aload(C).lload(FSRC).putfield(CD_CPU, "ccSrc", ConstantDescs.CD_long);
            cb.aload(C).lload(FRES).putfield(CD_CPU, "ccRes", ConstantDescs.CD_long);
        }

        private void emitBlock(int b) {
            cb.labelBinding(labels[b]);
            cb.iinc(ICOUNT, blockLen[b]);
            knownOp = -1;
            int first = blockStart[b];
            for (int j = 0; j < blockLen[b]; j++) {
                int k = first + j;
                Insn i = plan.insns[k];
                if (native_(i)) {
                    if (!emitInsn(i, k, b)) {
                        return; // the instruction ended the path (a branch)
                    }
                } else if (nativeSse(i)) {
                    emitNativeSse(i, k, b);
                } else if (pureSse(i)) {
                    emitSse(i, k);
                } else {
                    emitFallback(i, k);
                    if (Decoder.endsBlock(i.op)) {
                        return;
                    }
                }
            }
            // Fell off the end of the block (page end or size limit).
            jumpTo(plan.insnNext[first + blockLen[b] - 1], b);
        }

        // ------------------------------------------------------------ exits and jumps

        /** Leaves the region for {@code rip}; {@code uncount} instructions of the current block did not run. */
        private void exitTo(long rip, int cause, int uncount) {
            if (uncount != 0) {
                cb.iinc(ICOUNT, -uncount);
            }
            cb.loadConstant(rip).lstore(EXITRIP);
            cb.loadConstant(cause).istore(EXITCAUSE);
            cb.goto_(exit);
        }

        /**
         * Leaves the region before instruction {@code k}, for the interpreter to run it (and raise
         * its fault): the dispatcher does not enter a region for the next block.
         */
        private void exitBefore(int k) {
            cb.aload(C).iconst_1().putfield(CD_CPU, "noRegion", ConstantDescs.CD_boolean);
            exitTo(plan.insnRip[k], Cpu.EXIT_HELPER, plan.remaining[k] + 1);
        }

        /** Continues at {@code target}: a JVM jump when it is in the region, else an exit. */
        private void jumpTo(long target, int fromBlock) {
            Integer t = blockIndex.get(target);
            if (t == null) {
                cb.loadConstant(linkSlots.computeIfAbsent(target, x -> INDIRECT_LINK + 1 + linkSlots.size())).istore(LINK);
                exitTo(target, Cpu.EXIT_BRANCH, 0);
                return;
            }
            if (t <= fromBlock) {
                cb.goto_(backEdges.computeIfAbsent(t, x -> cb.newLabel()));
            } else {
                cb.goto_(labels[t]);
            }
        }

        /** A link slot for each static target outside the region, after the one for indirect exits. */
        final Map<Long, Integer> linkSlots = new HashMap<>();
        static final int INDIRECT_LINK = 0;

        /** Backward jumps by target block: each target's check is emitted once. */
        final Map<Integer, Label> backEdges = new java.util.TreeMap<>();

        /**
         * A backward jump to block {@code t}: leave for pending events, and every so many
         * iterations. Events are looked at every 16th time round, the bound when it runs out.
         */
        private void emitBackEdge(int t, Label here) {
            Label out = cb.newLabel();
            cb.labelBinding(here);
            cb.iinc(BUDGET, -1);
            cb.iload(BUDGET).loadConstant(15).iand().ifne(labels[t]);
            cb.iload(BUDGET).ifle(out);
            cb.aload(C).getfield(CD_CPU, "events", ConstantDescs.CD_int).iload(EVMASK).iand().ifeq(labels[t]);
            cb.labelBinding(out);
            exitTo(blocks.get(t).linear, Cpu.EXIT_EVENT, 0);
        }

        /** Jumps to {@code bad} unless the address in local {@code slot} is canonical. */
        private void canonicalOr(int slot, Label bad) {
            cb.lload(slot).loadConstant(16).lshl().loadConstant(16).lshr().lload(slot).lcmp().ifne(bad);
        }

        /**
         * Continues at the address in local {@code tgt}: a switch over the region's blocks on this
         * page (returns to call sites, jump tables), else an exit.
         */
        private void indirect(int tgt) {
            indirect(tgt, true);
        }

        private void indirect(int tgt, boolean check) {
            if (check) {
                Label go = cb.newLabel(), out = cb.newLabel();
                cb.iinc(BUDGET, -1);
                cb.iload(BUDGET).loadConstant(15).iand().ifne(go);
                cb.iload(BUDGET).ifle(out);
                cb.aload(C).getfield(CD_CPU, "events", ConstantDescs.CD_int).iload(EVMASK).iand().ifeq(go);
                cb.labelBinding(out);
                cb.lload(tgt).lstore(EXITRIP);
                cb.loadConstant(Cpu.EXIT_EVENT).istore(EXITCAUSE);
                cb.goto_(exit);
                cb.labelBinding(go);
            }
            if (dispatch == null) {
                dispatch = cb.newLabel();
            }
            if (tgt != DT) {
                cb.lload(tgt).lstore(DT);
            }
            cb.goto_(dispatch);
        }

        /** The one switch over the region's blocks that entries and indirect branches share. */
        Label dispatch;

        private void emitDispatch() {
            Label out = cb.newLabel();
            // Keys are offsets from the page before the entry's: the region's code is on that
            // page, the entry's or the next.
            long pageBase = (plan.entry.linear & ~0xFFFL) - 0x1000;
            cb.labelBinding(dispatch);
            cb.lload(DT).loadConstant(pageBase).lsub().lstore(T4);
            cb.lload(T4).loadConstant(12).lushr().loadConstant(3L).lcmp().ifge(out);
            List<java.lang.classfile.instruction.SwitchCase> cases = new ArrayList<>();
            for (Map.Entry<Long, Integer> e : blockIndex.entrySet()) {
                cases.add(java.lang.classfile.instruction.SwitchCase.of((int) (e.getKey() - pageBase), labels[e.getValue()]));
            }
            cases.sort((x, y) -> Integer.compare(x.caseValue(), y.caseValue()));
            cb.lload(T4).l2i().lookupswitch(out, cases);
            cb.labelBinding(out);
            cb.lload(DT).lstore(EXITRIP);
            cb.loadConstant(Cpu.EXIT_INDIRECT).istore(EXITCAUSE);
            cb.loadConstant(INDIRECT_LINK).istore(LINK);
            cb.goto_(exit);
        }

        /** Where each interpreter call resumes: the shared call site switches back on its index. */
        final List<Label> resumes = new ArrayList<>();
        Label fallbackShared;

        /**
         * Runs instruction {@code k} through the interpreter. The write-back, the call and the reload
         * are emitted once per region; each site sets the instruction and its resume index and
         * jumps there, so a region with many such instructions stays small.
         */
        private void emitFallback(Insn i, int k) {
            if (fallbackShared == null) {
                fallbackShared = cb.newLabel();
            }
            Label resume = cb.newLabel();
            cb.loadConstant(k).istore(FBK);
            cb.loadConstant(resumes.size()).istore(RESUME);
            resumes.add(resume);
            cb.goto_(fallbackShared);
            cb.labelBinding(resume);
            knownOp = -1;
            if (Decoder.endsBlock(i.op)) {
                cb.aload(C).getfield(CD_CPU, "rip", ConstantDescs.CD_long).lstore(EXITRIP);
                cb.loadConstant(Cpu.EXIT_HELPER).istore(EXITCAUSE);
                cb.goto_(exit);
            }
        }

        /**
         * The shared interpreter call: state back to the vCPU, the instruction, state reloaded; then
         * out of the region if it stopped the block, went elsewhere or left an event pending, else
         * back to the site.
         */
        private void emitFallbackShared() {
            Label out = cb.newLabel();
            cb.labelBinding(fallbackShared);
            writeBack();
            cb.iconst_m1().iload(FBK).isub().istore(CUR);
            cb.aload(THIS).aload(C).iload(FBK);
            cb.invokestatic(CD_RT, "exec", MethodTypeDesc.of(ConstantDescs.CD_void, CD_REGION, CD_CPU, ConstantDescs.CD_int));
            reload();
            cb.aload(C).getfield(CD_CPU, "stopBlock", ConstantDescs.CD_boolean).ifne(out);
            cb.aload(C).getfield(CD_CPU, "rip", ConstantDescs.CD_long);
            cb.aload(THIS).getfield(CD_REGION, "insnNext", CD_LARR).iload(FBK).laload().lcmp().ifne(out);
            cb.aload(C).getfield(CD_CPU, "events", ConstantDescs.CD_int).iload(EVMASK).iand().ifne(out);
            if (plan.usesSse) {
                cb.aload(C).invokevirtual(CD_CPU, "sseUsable", MethodTypeDesc.of(ConstantDescs.CD_boolean)).ifeq(out);
            }
            cb.iload(RESUME);
            if (resumes.size() == 1) {
                cb.pop().goto_(resumes.get(0));
            } else {
                List<java.lang.classfile.instruction.SwitchCase> cases = new ArrayList<>();
                for (int n = 0; n < resumes.size(); n++) {
                    cases.add(java.lang.classfile.instruction.SwitchCase.of(n, resumes.get(n)));
                }
                cb.tableswitch(0, resumes.size() - 1, resumes.get(resumes.size() - 1), cases);
            }
            cb.labelBinding(out);
            cb.iload(ICOUNT).aload(THIS).getfield(CD_REGION, "remaining", ConstantDescs.CD_int.arrayType()).iload(FBK)
                    .iaload().isub().istore(ICOUNT);
            cb.aload(C).getfield(CD_CPU, "rip", ConstantDescs.CD_long).lstore(EXITRIP);
            cb.loadConstant(Cpu.EXIT_HELPER).istore(EXITCAUSE);
            cb.goto_(exit);
        }

        /** SSE moves, packed-integer operations and immediate shifts on XMM registers, translated here. */
        static boolean nativeSse(Insn i) {
            if (i.op < SseOp.FIRST || i.op >= SseOp.END || (i.imm2 & SseDecoder.X_MMX) != 0 || DEBUG_INTERP_OPS.contains(i.op)) {
                return false;
            }
            if (i.mem && (i.asize == 2 || (i.seg != Cpu.SEG_NONE && i.seg != Cpu.FS && i.seg != Cpu.GS))) {
                return false;
            }
            return switch (i.op) {
                case SseOp.MOV_LOAD, SseOp.MOV_STORE, SseOp.MOVQ_X, SseOp.MOVQ_STORE, SseOp.PINT, SseOp.PUNPCK,
                     SseOp.PSHUFD -> true;
                case SseOp.PACK -> i.sub >= 0 && i.sub <= 3;
                case SseOp.PSHIFT_I -> i.sub >= 0 && i.sub <= 7;
                default -> false;
            };
        }

        /** Pushes XMM register half {@code idx} (2 * register + 0 or 1). */
        private void xget(int idx) {
            cb.aload(XMM).loadConstant(idx).laload();
        }

        /** The 128-bit r/m source into T1 (low) and T2 (high); false when the instruction must leave first. */
        private void sseSrc128(Insn i, int k, Label bad) {
            if (i.mem) {
                sseAddr(i, k, bad);
                load(8, ADDR);
                cb.lstore(T1);
                cb.lload(ADDR).loadConstant(8L).ladd().lstore(P);
                load(8, P);
                cb.lstore(T2);
            } else {
                xget(2 * i.rm);
                cb.lstore(T1);
                xget(2 * i.rm + 1);
                cb.lstore(T2);
            }
        }

        /** The memory operand's address into ADDR, to {@code bad} when misaligned for an aligned form. */
        private void sseAddr(Insn i, int k, Label bad) {
            ea(i, k);
            cb.lstore(ADDR);
            if ((i.imm2 & SseDecoder.X_A16) != 0) {
                cb.lload(ADDR).l2i().loadConstant(15).iand().ifne(bad);
            }
        }

        private void emitNativeSse(Insn i, int k, int b) {
            curK = k;
            long next = plan.insnNext[k];
            if (i.mem) {
                setCur(k);
            }
            // Cases the interpreter handles (a fault it raises): leave before the instruction.
            Label bad = cb.newLabel(), done = cb.newLabel();
            boolean usedBad = false;
            int d = 2 * i.reg, s = 2 * i.rm;
            switch (i.op) {
                case SseOp.MOV_LOAD -> {
                    sseSrc128(i, k, bad);
                    usedBad = i.mem;
                    cb.aload(XMM).loadConstant(d).lload(T1).lastore();
                    cb.aload(XMM).loadConstant(d + 1).lload(T2).lastore();
                }
                case SseOp.MOVQ_X -> {
                    if (i.mem) {
                        sseAddr(i, k, bad);
                        usedBad = true;
                        load(8, ADDR);
                    } else {
                        xget(s);
                    }
                    cb.lstore(T1);
                    cb.aload(XMM).loadConstant(d).lload(T1).lastore();
                    cb.aload(XMM).loadConstant(d + 1).lconst_0().lastore();
                }
                case SseOp.MOV_STORE -> {
                    if (i.mem) {
                        sseAddr(i, k, bad);
                        usedBad = true;
                        // A store that would cross into the next page: the interpreter checks both first.
                        cb.lload(ADDR).l2i().loadConstant(0xFFF).iand().loadConstant(0xFF0).if_icmpgt(bad);
                        xget(d);
                        cb.lstore(T1);
                        store(8, ADDR, T1);
                        cb.lload(ADDR).loadConstant(8L).ladd().lstore(P);
                        xget(d + 1);
                        cb.lstore(T1);
                        store(8, P, T1, true);
                        afterStore(k, next);
                    } else {
                        cb.aload(XMM).loadConstant(s);
                        xget(d);
                        cb.lastore();
                        cb.aload(XMM).loadConstant(s + 1);
                        xget(d + 1);
                        cb.lastore();
                    }
                }
                case SseOp.MOVQ_STORE -> {
                    if (i.mem) {
                        ea(i, k);
                        cb.lstore(ADDR);
                        xget(d);
                        cb.lstore(T1);
                        store(8, ADDR, T1);
                        afterStore(k, next);
                    } else {
                        cb.aload(XMM).loadConstant(s);
                        xget(d);
                        cb.lastore();
                        cb.aload(XMM).loadConstant(s + 1).lconst_0().lastore();
                    }
                }
                case SseOp.PINT -> {
                    sseSrc128(i, k, bad);
                    usedBad = i.mem;
                    MethodTypeDesc op = MethodTypeDesc.of(ConstantDescs.CD_long, ConstantDescs.CD_int, ConstantDescs.CD_long,
                            ConstantDescs.CD_long);
                    for (int h = 0; h < 2; h++) {
                        cb.aload(XMM).loadConstant(d + h).loadConstant(i.sub);
                        xget(d + h);
                        cb.lload(h == 0 ? T1 : T2);
                        cb.invokestatic(CD_SSEINT, "op", op);
                        cb.lastore();
                    }
                }
                case SseOp.PUNPCK, SseOp.PSHUFD, SseOp.PACK -> {
                    sseSrc128(i, k, bad);
                    usedBad = i.mem;
                    cb.aload(XMM).loadConstant(d).lload(T1).lload(T2);
                    cb.loadConstant(i.op == SseOp.PSHUFD ? (int) i.imm & 0xFF : i.sub);
                    cb.invokestatic(CD_JITSSE, i.op == SseOp.PUNPCK ? "punpck" : i.op == SseOp.PSHUFD ? "pshufd" : "pack",
                            MethodTypeDesc.of(ConstantDescs.CD_void, CD_LARR, ConstantDescs.CD_int, ConstantDescs.CD_long,
                                    ConstantDescs.CD_long, ConstantDescs.CD_int));
                }
                case SseOp.PSHIFT_I -> {
                    int kind = i.sub;
                    int log = switch (kind) {
                        case SseInt.PSRLW, SseInt.PSRAW, SseInt.PSLLW -> 1;
                        case SseInt.PSRLD, SseInt.PSRAD, SseInt.PSLLD -> 2;
                        default -> 3;
                    };
                    int bits = 8 << log;
                    long count = i.imm & 0xFF;
                    boolean arith = kind == SseInt.PSRAW || kind == SseInt.PSRAD;
                    boolean left = kind == SseInt.PSLLW || kind == SseInt.PSLLD || kind == SseInt.PSLLQ;
                    long lane = bits == 64 ? -1L : (1L << bits) - 1;
                    long rep = log == 1 ? 0x0001000100010001L : log == 2 ? 0x0000000100000001L : 1L;
                    int r = 2 * i.rm;
                    for (int h = 0; h < 2; h++) {
                        cb.aload(XMM).loadConstant(r + h);
                        if (arith) {
                            cb.loadConstant(kind);
                            xget(r + h);
                            cb.loadConstant(count);
                            cb.invokestatic(CD_SSEINT, "shift", MethodTypeDesc.of(ConstantDescs.CD_long, ConstantDescs.CD_int,
                                    ConstantDescs.CD_long, ConstantDescs.CD_long));
                        } else if (count > bits - 1) {
                            cb.lconst_0();
                        } else {
                            int n = (int) count;
                            xget(r + h);
                            long m = left ? ((lane << n) & lane) * rep : (lane >>> n) * rep;
                            cb.loadConstant(n);
                            if (left) cb.lshl(); else cb.lushr();
                            if (m != -1L) {
                                cb.loadConstant(m).land();
                            }
                        }
                        cb.lastore();
                    }
                }
                default -> throw new IllegalStateException("no SSE translation for op " + i.op);
            }
            if (usedBad) {
                cb.goto_(done);
                cb.labelBinding(bad);
                exitBefore(k);
                cb.labelBinding(done);
            }
        }

        private void emitSse(Insn i, int k) {
            // The SSE unit reads general registers only for an address or a GPR source operand.
            int used = 0;
            if (i.mem) {
                if (i.base >= 0 && i.base < 16) used |= 1 << i.base;
                if (i.index >= 0 && i.index < 16) used |= 1 << i.index;
            } else if (i.rm >= 0 && i.rm < 16) {
                used |= 1 << i.rm;
            }
            if (i.reg >= 0 && i.reg < 16) {
                used |= 1 << i.reg;
            }
            if (i.op == SseOp.MASKMOV) {
                used |= 1 << Cpu.RDI; // MASKMOVDQU stores to DS:RDI
            }
            for (int n = 0; n < 16; n++) {
                if ((regs & used & 1 << n) != 0) {
                    cb.aload(RARR).loadConstant(n).lload(reg(n)).lastore();
                }
            }
            setCur(k);
            cb.aload(THIS).aload(C).loadConstant(k);
            cb.invokestatic(CD_RT, "execSse", MethodTypeDesc.of(ConstantDescs.CD_void, CD_REGION, CD_CPU, ConstantDescs.CD_int));
            if (sseStore(i)) {
                afterStore(k, plan.insnNext[k]);
            }
        }

        /** After an instruction that stored: leave if the store hit code (or anything else stopped the block). */
        private void afterStore(int k, long next) {
            Label cont = cb.newLabel();
            cb.iload(STOP).ifeq(cont);
            exitTo(next, Cpu.EXIT_CODE_WRITE, plan.remaining[k]);
            cb.labelBinding(cont);
        }

        // ------------------------------------------------------------ registers and values

        private static final long[] MASK = {0xFFL, 0xFFFFL, 0xFFFFFFFFL, -1L};

        private void mask(int sz) {
            if (sz < 3) {
                cb.loadConstant(MASK[sz]).land();
            }
        }

        private void signExtend(int sz) {
            switch (sz) {
                case 0 -> cb.l2i().i2b().i2l();
                case 1 -> cb.l2i().i2s().i2l();
                case 2 -> cb.l2i().i2l();
                default -> {
                }
            }
        }

        /** Pushes register {@code n} at {@code size} bytes, zero-extended. */
        private void ldReg(int n, int size) {
            if (size == 1 && n >= 16) {
                cb.lload(reg(n - 16)).loadConstant(8).lushr();
                mask(0);
                return;
            }
            cb.lload(reg(n));
            mask(LazyFlags.log2(size));
        }

        /** Pops a long into register {@code n} at {@code size} bytes (32-bit writes zero-extend). */
        private void stReg(int n, int size) {
            switch (size) {
                case 8 -> cb.lstore(reg(n));
                case 4 -> {
                    mask(2);
                    cb.lstore(reg(n));
                }
                case 2 -> {
                    mask(1);
                    cb.lload(reg(n)).loadConstant(~0xFFFFL).land().lor().lstore(reg(n));
                }
                default -> {
                    if (n >= 16) {
                        mask(0);
                        cb.loadConstant(8).lshl();
                        cb.lload(reg(n - 16)).loadConstant(~0xFF00L).land().lor().lstore(reg(n - 16));
                    } else {
                        mask(0);
                        cb.lload(reg(n)).loadConstant(~0xFFL).land().lor().lstore(reg(n));
                    }
                }
            }
        }

        /** Pushes the linear address of the memory operand. */
        private void ea(Insn i, int k) {
            long next = plan.insnNext[k];
            long disp = i.disp;
            if (i.base == Insn.RIP) {
                disp += next;
            }
            boolean any = false;
            if (i.base >= 0 && i.base != Insn.RIP) {
                cb.lload(reg(i.base));
                any = true;
            }
            if (i.index >= 0) {
                cb.lload(reg(i.index));
                if (i.scale != 0) {
                    cb.loadConstant(i.scale).lshl();
                }
                if (any) {
                    cb.ladd();
                }
                any = true;
            }
            if (!any) {
                cb.loadConstant(disp);
            } else if (disp != 0) {
                cb.loadConstant(disp).ladd();
            }
            if (i.asize == 4) {
                mask(2);
            }
            if (i.seg == Cpu.FS || i.seg == Cpu.GS) {
                cb.aload(C).getfield(CD_CPU, "segBase", CD_LARR).loadConstant(i.seg).laload().ladd();
            }
        }

        /** Reads {@code size} bytes at the address in local {@code addr}; pushes the zero-extended value. */
        private void load(int size, int addr) {
            int sz = LazyFlags.log2(size);
            cb.aload(C).lload(addr);
            if (plan.ram != null) {
                cb.invokestatic(SELF, "r" + size * 8, MethodTypeDesc.of(ConstantDescs.CD_long, CD_CPU, ConstantDescs.CD_long));
            } else {
                readCall(sz);
            }
        }

        private void readCall(int sz) {
            switch (sz) {
                case 0 -> cb.invokevirtual(CD_CPU, "read8", MethodTypeDesc.of(ConstantDescs.CD_int, ConstantDescs.CD_long)).i2l();
                case 1 -> cb.invokevirtual(CD_CPU, "read16", MethodTypeDesc.of(ConstantDescs.CD_int, ConstantDescs.CD_long)).i2l();
                case 2 -> cb.invokevirtual(CD_CPU, "read32", MethodTypeDesc.of(ConstantDescs.CD_long, ConstantDescs.CD_long));
                default -> cb.invokevirtual(CD_CPU, "read64", MethodTypeDesc.of(ConstantDescs.CD_long, ConstantDescs.CD_long));
            }
        }

        /** Writes the long in local {@code val} to the address in local {@code addr}. */
        private void store(int size, int addr, int val) {
            store(size, addr, val, false);
        }

        /**
         * Writes the long in local {@code val} to the address in local {@code addr}; STOP is then
         * whether the store stopped the block (it hit code or MMIO), or-ed into its value when
         * {@code accumulate}. Only the accessor's slow path can stop the block, so on the hit
         * path STOP is the constant false and its check folds away.
         */
        private void store(int size, int addr, int val, boolean accumulate) {
            int sz = LazyFlags.log2(size);
            cb.aload(C).lload(addr).lload(val);
            if (plan.ram != null) {
                cb.invokestatic(SELF, "w" + size * 8, MethodTypeDesc.of(ConstantDescs.CD_boolean, CD_CPU, ConstantDescs.CD_long,
                        ConstantDescs.CD_long));
            } else {
                writeCall(sz);
                cb.aload(C).getfield(CD_CPU, "stopBlock", ConstantDescs.CD_boolean);
            }
            if (accumulate) {
                cb.iload(STOP).ior();
            }
            cb.istore(STOP);
        }

        private void writeCall(int sz) {
            switch (sz) {
                case 0 -> cb.l2i().invokevirtual(CD_CPU, "write8", MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_long, ConstantDescs.CD_int));
                case 1 -> cb.l2i().invokevirtual(CD_CPU, "write16", MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_long, ConstantDescs.CD_int));
                case 2 -> cb.invokevirtual(CD_CPU, "write32", MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_long, ConstantDescs.CD_long));
                default -> cb.invokevirtual(CD_CPU, "write64", MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_long, ConstantDescs.CD_long));
            }
        }

        /**
         * The soft-TLB hit paths as static methods of the generated class, where guest RAM is a
         * constant (a static final field set from the class data): HotSpot inlines them into
         * {@code run} and folds the segment's own checks down to one bounds comparison. A miss
         * calls the vCPU's accessor.
         */
        /** Pushes the page number of the last byte of a {@code size}-byte access at local 1. */
        private static void lastPage(CodeBuilder c, int size) {
            c.lload(1);
            if (size > 1) {
                c.loadConstant((long) size - 1).ladd();
            }
            c.loadConstant(12).lushr();
        }

        private void accessors(java.lang.classfile.ClassBuilder clb) {
            clb.withField("RAM", CD_MS, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC | ClassFile.ACC_FINAL);
            clb.withMethodBody(ConstantDescs.CLASS_INIT_NAME, MethodTypeDesc.of(ConstantDescs.CD_void), ClassFile.ACC_STATIC,
                    c -> {
                        c.invokestatic(ClassDesc.of("java.lang.invoke.MethodHandles"), "lookup",
                                MethodTypeDesc.of(ClassDesc.of("java.lang.invoke.MethodHandles$Lookup")));
                        c.loadConstant(ConstantDescs.DEFAULT_NAME);
                        c.loadConstant(CD_PLAN);
                        c.invokestatic(ClassDesc.of("java.lang.invoke.MethodHandles"), "classData",
                                MethodTypeDesc.of(ConstantDescs.CD_Object, ClassDesc.of("java.lang.invoke.MethodHandles$Lookup"),
                                        ConstantDescs.CD_String, ConstantDescs.CD_Class));
                        c.checkcast(CD_PLAN);
                        c.invokevirtual(CD_PLAN, "ram", MethodTypeDesc.of(CD_MS));
                        c.putstatic(SELF, "RAM", CD_MS);
                        c.return_();
                    });
            for (int sz = 0; sz < 4; sz++) {
                final int z = sz, size = 1 << sz;
                // r<bits>(Cpu c, long la): locals c=0, la=1, p=3, i=5
                clb.withMethodBody("r" + size * 8, MethodTypeDesc.of(ConstantDescs.CD_long, CD_CPU, ConstantDescs.CD_long),
                        ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC, c -> {
                            Label slow = c.newLabel();
                            c.lload(1).loadConstant(12).lushr().lstore(3);
                            c.lload(3).l2i().loadConstant(Cpu.TLB_MASK).iand().istore(5);
                            // The tag is compared with the page of the access's last byte: an access
                            // crossing into the next page misses (that page's tag lives in the next slot).
                            c.aload(0).getfield(CD_CPU, "rTag", CD_LARR).iload(5).laload();
                            lastPage(c, size);
                            c.lcmp().ifne(slow);
                            c.getstatic(SELF, "RAM", CD_MS).getstatic(CD_GM, LAYOUT_FIELD[z], CD_LAYOUT[z]);
                            c.lload(1).aload(0).getfield(CD_CPU, "rAdd", CD_LARR).iload(5).laload().ladd();
                            c.invokeinterface(CD_MS, "get", MethodTypeDesc.of(CD_PRIM[z], CD_LAYOUT[z], ConstantDescs.CD_long));
                            switch (z) {
                                case 0 -> c.loadConstant(0xFF).iand().i2l();
                                case 1 -> c.loadConstant(0xFFFF).iand().i2l();
                                case 2 -> c.i2l().loadConstant(0xFFFFFFFFL).land();
                                default -> {
                                }
                            }
                            if (tso) {
                                c.invokestatic(CD_VH, "acquireFence", MethodTypeDesc.of(ConstantDescs.CD_void));
                            }
                            c.lreturn();
                            c.labelBinding(slow);
                            c.aload(0).lload(1);
                            CodeBuilder saved = cb;
                            cb = c;
                            readCall(z);
                            cb = saved;
                            c.lreturn();
                        });
                // w<bits>(Cpu c, long la, long v): locals c=0, la=1, v=3, p=5, i=7
                clb.withMethodBody("w" + size * 8, MethodTypeDesc.of(ConstantDescs.CD_boolean, CD_CPU, ConstantDescs.CD_long,
                        ConstantDescs.CD_long), ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC, c -> {
                            Label slow = c.newLabel();
                            c.lload(1).loadConstant(12).lushr().lstore(5);
                            c.lload(5).l2i().loadConstant(Cpu.TLB_MASK).iand().istore(7);
                            c.aload(0).getfield(CD_CPU, "wTag", CD_LARR).iload(7).laload();
                            lastPage(c, size);
                            c.lcmp().ifne(slow);
                            if (tso) {
                                c.invokestatic(CD_VH, "releaseFence", MethodTypeDesc.of(ConstantDescs.CD_void));
                            }
                            c.getstatic(SELF, "RAM", CD_MS).getstatic(CD_GM, LAYOUT_FIELD[z], CD_LAYOUT[z]);
                            c.lload(1).aload(0).getfield(CD_CPU, "wAdd", CD_LARR).iload(7).laload().ladd();
                            c.lload(3);
                            switch (z) {
                                case 0 -> c.l2i().i2b();
                                case 1 -> c.l2i().i2s();
                                case 2 -> c.l2i();
                                default -> {
                                }
                            }
                            c.invokeinterface(CD_MS, "set", MethodTypeDesc.of(ConstantDescs.CD_void, CD_LAYOUT[z],
                                    ConstantDescs.CD_long, CD_PRIM[z]));
                            c.iconst_0().ireturn();
                            c.labelBinding(slow);
                            c.aload(0).lload(1).lload(3);
                            CodeBuilder saved = cb;
                            cb = c;
                            writeCall(z);
                            cb = saved;
                            c.aload(0).getfield(CD_CPU, "stopBlock", ConstantDescs.CD_boolean).ireturn();
                        });
            }
        }

        /** Pushes the r/m operand at {@code size} bytes (a load for a memory operand). */
        private void readRm(Insn i, int k, int size) {
            if (i.mem) {
                ea(i, k);
                cb.lstore(ADDR);
                load(size, ADDR);
            } else {
                ldReg(i.rm, size);
            }
        }

        /** Writes local {@code val} to the r/m operand (whose address is in ADDR when {@code haveAddr}). */
        private void writeRm(Insn i, int k, int val, boolean haveAddr) {
            if (i.mem) {
                if (!haveAddr) {
                    ea(i, k);
                    cb.lstore(ADDR);
                }
                store(i.size, ADDR, val);
            } else {
                cb.lload(val);
                stReg(i.rm, i.size);
            }
        }

        private void setCur(int k) {
            cb.loadConstant(k).istore(CUR);
        }

        private void setFlags(int op, int dstSlot, int srcSlot, int resSlot) {
            if (!flagsLive[curK]) {
                return; // overwritten before anything reads them (or can fault)
            }
            cb.loadConstant(op).istore(FOP);
            if (dstSlot < 0) cb.lconst_0(); else cb.lload(dstSlot);
            cb.lstore(FDST);
            if (srcSlot < 0) cb.lconst_0(); else cb.lload(srcSlot);
            cb.lstore(FSRC);
            cb.lload(resSlot).lstore(FRES);
            knownOp = op;
        }

        /** Pushes the current CF as a long 0 or 1. */
        private void carry() {
            int kind = knownOp >>> 2, sz = knownOp & 3;
            if (knownOp >= 0 && kind == LazyFlags.LOGIC) {
                cb.lconst_0();
            } else if (knownOp >= 0 && kind == LazyFlags.SUB) {
                Label yes = cb.newLabel(), done = cb.newLabel();
                cmpUnsigned(FDST, FSRC, sz);
                cb.iflt(yes).lconst_0().goto_(done);
                cb.labelBinding(yes);
                cb.lconst_1();
                cb.labelBinding(done);
            } else {
                cb.iload(FOP).lload(FDST).lload(FSRC).lload(FRES);
                cb.invokestatic(CD_RT, "cf", MethodTypeDesc.of(ConstantDescs.CD_long, ConstantDescs.CD_int,
                        ConstantDescs.CD_long, ConstantDescs.CD_long, ConstantDescs.CD_long));
            }
        }

        private void cmpUnsigned(int a, int b, int sz) {
            cb.lload(a).lload(b);
            if (sz == 3) {
                cb.invokestatic(ConstantDescs.CD_Long, "compareUnsigned", MethodTypeDesc.of(ConstantDescs.CD_int,
                        ConstantDescs.CD_long, ConstantDescs.CD_long));
            } else {
                cb.lcmp();
            }
        }

        /** Jumps to {@code target} when condition {@code cc} holds. */
        private void jumpIf(int cc, Label target) {
            boolean neg = (cc & 1) != 0;
            int c = cc >> 1;
            int kind = knownOp >>> 2, sz = knownOp & 3;
            if (knownOp >= 0 && kind == LazyFlags.SUB) {
                switch (c) {
                    case 1 -> {
                        cmpUnsigned(FDST, FSRC, sz);
                        if (neg) cb.ifge(target); else cb.iflt(target);
                        return;
                    }
                    case 2 -> {
                        cb.lload(FDST).lload(FSRC).lcmp();
                        if (neg) cb.ifne(target); else cb.ifeq(target);
                        return;
                    }
                    case 3 -> {
                        cmpUnsigned(FDST, FSRC, sz);
                        if (neg) cb.ifgt(target); else cb.ifle(target);
                        return;
                    }
                    case 4 -> {
                        cb.lload(FRES);
                        signExtend(sz);
                        cb.lconst_0().lcmp();
                        if (neg) cb.ifge(target); else cb.iflt(target);
                        return;
                    }
                    case 6, 7 -> {
                        cb.lload(FDST);
                        signExtend(sz);
                        cb.lload(FSRC);
                        signExtend(sz);
                        cb.lcmp();
                        if (c == 6) {
                            if (neg) cb.ifge(target); else cb.iflt(target);
                        } else {
                            if (neg) cb.ifgt(target); else cb.ifle(target);
                        }
                        return;
                    }
                    default -> {
                    }
                }
            } else if (knownOp >= 0 && kind == LazyFlags.LOGIC && c != 5) {
                switch (c) {
                    case 0, 1 -> {
                        if (neg) cb.goto_(target);
                        return;
                    }
                    case 2, 3 -> {
                        cb.lload(FRES);
                        mask(sz);
                        cb.lconst_0().lcmp();
                        if (neg) cb.ifne(target); else cb.ifeq(target);
                        return;
                    }
                    case 4, 6 -> {
                        cb.lload(FRES);
                        signExtend(sz);
                        cb.lconst_0().lcmp();
                        if (neg) cb.ifge(target); else cb.iflt(target);
                        return;
                    }
                    default -> {
                        cb.lload(FRES);
                        signExtend(sz);
                        cb.lconst_0().lcmp();
                        if (neg) cb.ifgt(target); else cb.ifle(target);
                        return;
                    }
                }
            } else if (knownOp > 0 && (c == 2 || c == 4)) {
                cb.lload(FRES);
                if (c == 2) {
                    mask(sz);
                    cb.lconst_0().lcmp();
                    if (neg) cb.ifne(target); else cb.ifeq(target);
                } else {
                    signExtend(sz);
                    cb.lconst_0().lcmp();
                    if (neg) cb.ifge(target); else cb.iflt(target);
                }
                return;
            }
            cb.iload(FOP).lload(FDST).lload(FSRC).lload(FRES).loadConstant(cc);
            cb.invokestatic(CD_RT, "cond", MethodTypeDesc.of(ConstantDescs.CD_boolean, ConstantDescs.CD_int,
                    ConstantDescs.CD_long, ConstantDescs.CD_long, ConstantDescs.CD_long, ConstantDescs.CD_int));
            cb.ifne(target);
        }

        // ------------------------------------------------------------ instructions

        /** Emits a translated instruction; false when it transferred control (nothing follows on this path). */
        private boolean emitInsn(Insn i, int k, int b) {
            curK = k;
            long next = plan.insnNext[k];
            int size = i.size, sz = LazyFlags.log2(size);
            if (mayFault(i)) {
                setCur(k);
            }
            switch (i.op) {
                case Op.NOP -> {
                }
                case Op.MOV_EG, Op.MOV_EI -> {
                    if (i.op == Op.MOV_EG) ldReg(i.reg, size); else cb.loadConstant(i.imm);
                    if (!i.mem) {
                        stReg(i.rm, size);
                        break;
                    }
                    cb.lstore(T1);
                    writeRm(i, k, T1, false);
                    if (i.mem) afterStore(k, next);
                }
                case Op.MOV_GE -> {
                    readRm(i, k, size);
                    stReg(i.reg, size);
                }
                case Op.MOV_RI -> {
                    cb.loadConstant(i.imm);
                    stReg(i.reg, size);
                }
                case Op.MOVZX -> {
                    readRm(i, k, size);
                    stReg(i.reg, (int) i.imm2);
                }
                case Op.MOVSX -> {
                    readRm(i, k, size);
                    signExtend(sz);
                    stReg(i.reg, (int) i.imm2);
                }
                case Op.MOVSXD -> {
                    readRm(i, k, 4);
                    signExtend(2);
                    stReg(i.reg, 8);
                }
                case Op.LEA -> {
                    long disp = i.disp + (i.base == Insn.RIP ? next : 0);
                    cb.loadConstant(disp);
                    if (i.base >= 0 && i.base != Insn.RIP) cb.lload(reg(i.base)).ladd();
                    if (i.index >= 0) {
                        cb.lload(reg(i.index));
                        if (i.scale != 0) cb.loadConstant(i.scale).lshl();
                        cb.ladd();
                    }
                    if (i.asize == 4) mask(2);
                    else if (i.asize == 2) mask(1);
                    stReg(i.reg, size);
                }
                case Op.ALU_EG, Op.ALU_GE, Op.ALU_EI -> alu(i, k, next);
                case Op.TEST_EG, Op.TEST_EI -> {
                    readRm(i, k, size);
                    if (i.op == Op.TEST_EG) {
                        ldReg(i.reg, size);
                        cb.land();
                    } else {
                        cb.loadConstant(i.imm & MASK[sz]);
                        cb.land();
                    }
                    cb.lstore(T3);
                    setFlags(LazyFlags.LOGIC << 2 | sz, -1, -1, T3);
                }
                case Op.INC, Op.DEC -> {
                    readRm(i, k, size);
                    cb.lstore(T1);
                    cb.lload(T1).loadConstant(i.op == Op.INC ? 1L : -1L).ladd().lstore(T3);
                    if (flagsLive[k]) {
                        carry();
                    } else {
                        cb.lconst_0();
                    }
                    cb.lstore(T2);
                    writeRm(i, k, T3, true);
                    setFlags((i.op == Op.INC ? LazyFlags.INC : LazyFlags.DEC) << 2 | sz, T1, T2, T3);
                    if (i.mem) afterStore(k, next);
                }
                case Op.NOT -> {
                    readRm(i, k, size);
                    cb.loadConstant(-1L).lxor().lstore(T3);
                    writeRm(i, k, T3, true);
                    if (i.mem) afterStore(k, next);
                }
                case Op.NEG -> {
                    readRm(i, k, size);
                    cb.lstore(T2);
                    cb.lload(T2).lneg().lstore(T3);
                    writeRm(i, k, T3, true);
                    setFlags(LazyFlags.NEG << 2 | sz, -1, T2, T3);
                    if (i.mem) afterStore(k, next);
                }
                case Op.SHIFT_I -> shiftImm(i, k, next);
                case Op.SHIFT_CL -> shiftCl(i);
                case Op.IMUL_GE, Op.IMUL_GEI -> imul(i, k);
                case Op.CMOVCC -> {
                    readRm(i, k, size);
                    cb.lstore(T1);
                    Label move = cb.newLabel(), done = cb.newLabel();
                    jumpIf(i.sub, move);
                    if (size == 4) {
                        cb.lload(reg(i.reg));
                        mask(2);
                        cb.lstore(reg(i.reg));
                    }
                    cb.goto_(done);
                    cb.labelBinding(move);
                    cb.lload(T1);
                    stReg(i.reg, size);
                    cb.labelBinding(done);
                }
                case Op.SETCC -> {
                    Label yes = cb.newLabel(), done = cb.newLabel();
                    jumpIf(i.sub, yes);
                    cb.lconst_0().goto_(done);
                    cb.labelBinding(yes);
                    cb.lconst_1();
                    cb.labelBinding(done);
                    cb.lstore(T1);
                    writeRm(i, k, T1, false);
                    if (i.mem) afterStore(k, next);
                }
                case Op.CBW -> {
                    cb.lload(reg(Cpu.RAX));
                    if (size == 8) {
                        signExtend(2);
                    } else {
                        signExtend(1);
                    }
                    stReg(Cpu.RAX, size);
                }
                case Op.CWD -> {
                    cb.lload(reg(Cpu.RAX));
                    if (size == 8) {
                        cb.loadConstant(63).lshr();
                    } else {
                        signExtend(2);
                        cb.loadConstant(31).lshr();
                    }
                    stReg(Cpu.RDX, size);
                }
                case Op.JCC -> {
                    long target = next + i.imm;
                    Label taken = cb.newLabel();
                    jumpIf(i.sub, taken);
                    jumpTo(next, b);
                    cb.labelBinding(taken);
                    if (Cpu.canonical(target)) {
                        jumpTo(target, b);
                    } else {
                        exitBefore(curK); // the interpreter takes the branch again and faults
                    }
                    return false;
                }
                case Op.JMP -> {
                    if (Cpu.canonical(next + i.imm)) {
                        jumpTo(next + i.imm, b);
                    } else {
                        exitBefore(curK);
                    }
                    return false;
                }
                case Op.CALL -> {
                    if (!Cpu.canonical(next + i.imm)) {
                        exitBefore(curK); // faults before it pushes: the interpreter raises #GP
                        return false;
                    }
                    cb.lload(reg(Cpu.RSP)).loadConstant(8L).lsub().lstore(ADDR);
                    cb.loadConstant(next).lstore(T1);
                    store(8, ADDR, T1);
                    cb.lload(ADDR).lstore(reg(Cpu.RSP));
                    long target = next + i.imm;
                    Label cont = cb.newLabel();
                    cb.iload(STOP).ifeq(cont);
                    exitTo(target, Cpu.EXIT_CODE_WRITE, 0);
                    cb.labelBinding(cont);
                    jumpTo(target, b);
                    return false;
                }
                case Op.RET -> {
                    cb.lload(reg(Cpu.RSP)).lstore(ADDR);
                    load(8, ADDR);
                    cb.lstore(T1);
                    Label bad = cb.newLabel();
                    canonicalOr(T1, bad);
                    cb.lload(reg(Cpu.RSP)).loadConstant(8L).ladd().lstore(reg(Cpu.RSP));
                    indirect(T1);
                    cb.labelBinding(bad);
                    // A non-canonical target: the interpreter runs the instruction again and faults.
                    exitBefore(k);
                    return false;
                }
                case Op.JMP_E -> {
                    readRm(i, k, 8);
                    cb.lstore(T1);
                    Label bad = cb.newLabel();
                    canonicalOr(T1, bad);
                    indirect(T1);
                    cb.labelBinding(bad);
                    // A non-canonical target: the interpreter runs the instruction again and faults.
                    exitBefore(k);
                    return false;
                }
                case Op.CALL_E -> {
                    readRm(i, k, 8);
                    cb.lstore(T1);
                    Label bad = cb.newLabel(), cont = cb.newLabel();
                    canonicalOr(T1, bad);
                    cb.lload(reg(Cpu.RSP)).loadConstant(8L).lsub().lstore(ADDR);
                    cb.loadConstant(next).lstore(T2);
                    store(8, ADDR, T2);
                    cb.lload(ADDR).lstore(reg(Cpu.RSP));
                    cb.iload(STOP).ifeq(cont);
                    cb.lload(T1).lstore(EXITRIP);
                    cb.loadConstant(Cpu.EXIT_CODE_WRITE).istore(EXITCAUSE);
                    cb.goto_(exit);
                    cb.labelBinding(cont);
                    indirect(T1);
                    cb.labelBinding(bad);
                    // A non-canonical target: the interpreter runs the instruction again and faults.
                    exitBefore(k);
                    return false;
                }
                case Op.PUSH_R, Op.PUSH_I -> {
                    if (i.op == Op.PUSH_R) ldReg(i.reg, 8); else cb.loadConstant(i.imm);
                    cb.lstore(T1);
                    cb.lload(reg(Cpu.RSP)).loadConstant(8L).lsub().lstore(ADDR);
                    store(8, ADDR, T1);
                    cb.lload(ADDR).lstore(reg(Cpu.RSP));
                    afterStore(k, next);
                }
                case Op.POP_R -> {
                    cb.lload(reg(Cpu.RSP)).lstore(ADDR);
                    load(8, ADDR);
                    cb.lstore(T1);
                    cb.lload(reg(Cpu.RSP)).loadConstant(8L).ladd().lstore(reg(Cpu.RSP));
                    cb.lload(T1).lstore(reg(i.reg));
                }
                default -> throw new IllegalStateException("no translation for op " + i.op);
            }
            return true;
        }

        private void alu(Insn i, int k, long next) {
            int size = i.size, sz = LazyFlags.log2(size);
            int kind = i.sub;
            boolean toRm = i.op != Op.ALU_GE;
            if (kind != Alu.ADC && kind != Alu.SBB && (!(toRm && i.mem) || kind == Alu.CMP)) {
                aluToReg(i, k, kind, toRm ? i.rm : i.reg, size, sz);
                return;
            }
            // T1 = destination, T2 = source, T3 = result
            if (toRm) {
                readRm(i, k, size);
                cb.lstore(T1);
                if (i.op == Op.ALU_EG) ldReg(i.reg, size); else {
                    cb.loadConstant(i.imm);
                    mask(sz);
                }
                cb.lstore(T2);
            } else {
                ldReg(i.reg, size);
                cb.lstore(T1);
                readRm(i, k, size);
                cb.lstore(T2);
            }
            int flagOp;
            switch (kind) {
                case Alu.ADD -> { cb.lload(T1).lload(T2).ladd().lstore(T3); flagOp = LazyFlags.ADD; }
                case Alu.OR -> { cb.lload(T1).lload(T2).lor().lstore(T3); flagOp = LazyFlags.LOGIC; }
                case Alu.AND -> { cb.lload(T1).lload(T2).land().lstore(T3); flagOp = LazyFlags.LOGIC; }
                case Alu.XOR -> { cb.lload(T1).lload(T2).lxor().lstore(T3); flagOp = LazyFlags.LOGIC; }
                case Alu.ADC, Alu.SBB -> {
                    carry();
                    cb.lstore(T4);
                    cb.lload(T1).lload(T2);
                    if (kind == Alu.ADC) cb.ladd().lload(T4).ladd(); else cb.lsub().lload(T4).lsub();
                    cb.lstore(T3);
                    flagOp = -1;
                }
                default -> { cb.lload(T1).lload(T2).lsub().lstore(T3); flagOp = LazyFlags.SUB; }
            }
            if (kind != Alu.CMP) {
                if (toRm) {
                    writeRm(i, k, T3, true);
                } else {
                    cb.lload(T3);
                    stReg(i.reg, size);
                }
            }
            if (flagOp == LazyFlags.LOGIC) {
                setFlags(LazyFlags.LOGIC << 2 | sz, -1, -1, T3);
            } else if (flagOp >= 0) {
                setFlags(flagOp << 2 | sz, T1, T2, T3);
            } else {
                // ADC/SBB: the kind depends on the carry that came in.
                int with = (kind == Alu.ADC ? LazyFlags.ADC : LazyFlags.SBB) << 2 | sz;
                int without = (kind == Alu.ADC ? LazyFlags.ADD : LazyFlags.SUB) << 2 | sz;
                Label c0 = cb.newLabel(), done = cb.newLabel();
                cb.lload(T4).l2i().ifeq(c0).loadConstant(with).goto_(done);
                cb.labelBinding(c0);
                cb.loadConstant(without);
                cb.labelBinding(done);
                cb.istore(FOP);
                cb.lload(T1).lstore(FDST).lload(T2).lstore(FSRC).lload(T3).lstore(FRES);
                knownOp = -1;
            }
            if (i.mem && toRm && kind != Alu.CMP) {
                afterStore(k, next);
            }
        }

        /**
         * ADD, OR, AND, XOR, SUB, CMP into a register: operands on the JVM stack, copied into the
         * flag locals only when something reads the flags (nothing can fault after the source is
         * read, so the flags may change before the result lands).
         */
        private void aluToReg(Insn i, int k, int kind, int dest, int size, int sz) {
            boolean live = flagsLive[k];
            boolean logic = kind == Alu.OR || kind == Alu.AND || kind == Alu.XOR;
            if (!live && kind == Alu.CMP) {
                if (i.mem) {
                    readRm(i, k, size); // for its fault
                    cb.pop2();
                }
                return;
            }
            boolean memDest = i.mem && i.op != Op.ALU_GE; // CMP r/m, x: nothing is stored
            if (i.mem && !memDest) {
                // ALU_GE from memory: the load (which may fault) before any flag local changes
                readRm(i, k, size);
                cb.lstore(T2);
            }
            // destination operand
            if (memDest) {
                readRm(i, k, size);
            } else {
                ldReg(dest, size);
            }
            if (live && !logic) {
                cb.dup2().lstore(FDST);
            }
            // source operand
            if (i.op == Op.ALU_EI) {
                cb.loadConstant(i.imm & MASK[sz]);
            } else if (i.op == Op.ALU_EG) {
                ldReg(i.reg, size);
            } else if (i.mem) {
                cb.lload(T2);
            } else {
                ldReg(i.rm, size);
            }
            if (live && !logic) {
                cb.dup2().lstore(FSRC);
            }
            switch (kind) {
                case Alu.ADD -> cb.ladd();
                case Alu.OR -> cb.lor();
                case Alu.AND -> cb.land();
                case Alu.XOR -> cb.lxor();
                default -> cb.lsub();
            }
            if (live) {
                cb.dup2().lstore(FRES);
                int op = (logic ? LazyFlags.LOGIC : kind == Alu.ADD ? LazyFlags.ADD : LazyFlags.SUB) << 2 | sz;
                cb.loadConstant(op).istore(FOP);
                if (logic) {
                    cb.lconst_0().lstore(FDST).lconst_0().lstore(FSRC);
                }
                knownOp = op;
            }
            if (kind == Alu.CMP) {
                cb.pop2();
            } else {
                stReg(dest, size);
            }
        }

        private void shiftImm(Insn i, int k, long next) {
            int size = i.size, sz = LazyFlags.log2(size), bits = size * 8;
            int count = (int) i.imm & (size == 8 ? 63 : 31);
            if (count == 0) {
                if (!i.mem && size == 4) {
                    cb.lload(reg(i.rm));
                    mask(2);
                    cb.lstore(reg(i.rm));
                }
                return;
            }
            readRm(i, k, size);
            cb.lstore(T1);
            boolean rotate = i.sub == Shifts.ROL || i.sub == Shifts.ROR;
            switch (i.sub) {
                case Shifts.SHL, Shifts.SAL -> cb.lload(T1).loadConstant(count).lshl();
                case Shifts.SHR -> cb.lload(T1).loadConstant(count).lushr();
                case Shifts.SAR -> {
                    cb.lload(T1);
                    signExtend(sz);
                    cb.loadConstant(count).lshr();
                }
                default -> {
                    int n = count % bits;
                    if (i.sub == Shifts.ROR) {
                        n = (bits - n) % bits;
                    }
                    if (n == 0) {
                        cb.lload(T1);
                    } else {
                        cb.lload(T1).loadConstant(n).lshl().lload(T1).loadConstant(bits - n).lushr().lor();
                        mask(sz);
                    }
                }
            }
            cb.lstore(T3);
            writeRm(i, k, T3, true);
            if (!rotate) {
                cb.loadConstant((long) count).lstore(T2);
                int kind = i.sub == Shifts.SHR ? LazyFlags.SHR : i.sub == Shifts.SAR ? LazyFlags.SAR : LazyFlags.SHL;
                setFlags(kind << 2 | sz, T1, T2, T3);
            } else if (flagsLive[k]) {
                cb.iload(FOP).lload(FDST).lload(FSRC).lload(FRES).lload(T3).loadConstant(bits);
                cb.invokestatic(CD_RT, i.sub == Shifts.ROL ? "rolFlags" : "rorFlags", MethodTypeDesc.of(ConstantDescs.CD_long,
                        ConstantDescs.CD_int, ConstantDescs.CD_long, ConstantDescs.CD_long, ConstantDescs.CD_long,
                        ConstantDescs.CD_long, ConstantDescs.CD_int));
                cb.lstore(FRES);
                cb.iconst_0().istore(FOP);
                knownOp = 0;
            }
            if (i.mem) afterStore(k, next);
        }

        /** SHL/SHR/SAR reg, CL. */
        private void shiftCl(Insn i) {
            int size = i.size, sz = LazyFlags.log2(size);
            Label zero = cb.newLabel(), done = cb.newLabel();
            cb.lload(reg(Cpu.RCX)).l2i().loadConstant(size == 8 ? 63 : 31).iand().istore(CNT);
            cb.iload(CNT).ifeq(zero);
            ldReg(i.rm, size);
            cb.lstore(T1);
            switch (i.sub) {
                case Shifts.SHR -> cb.lload(T1).iload(CNT).lushr();
                case Shifts.SAR -> {
                    cb.lload(T1);
                    signExtend(sz);
                    cb.iload(CNT).lshr();
                }
                default -> cb.lload(T1).iload(CNT).lshl();
            }
            cb.lstore(T3);
            cb.lload(T3);
            stReg(i.rm, size);
            cb.iload(CNT).i2l().lstore(T2);
            int kind = i.sub == Shifts.SHR ? LazyFlags.SHR : i.sub == Shifts.SAR ? LazyFlags.SAR : LazyFlags.SHL;
            setFlags(kind << 2 | sz, T1, T2, T3);
            cb.goto_(done);
            cb.labelBinding(zero);
            if (size == 4) {
                cb.lload(reg(i.rm));
                mask(2);
                cb.lstore(reg(i.rm));
            }
            cb.labelBinding(done);
            knownOp = -1;
        }

        private void imul(Insn i, int k) {
            int size = i.size, sz = LazyFlags.log2(size);
            if (i.op == Op.IMUL_GE) {
                ldReg(i.reg, size);
                signExtend(sz);
                cb.lstore(T1);
                readRm(i, k, size);
                signExtend(sz);
                cb.lstore(T2);
            } else {
                readRm(i, k, size);
                signExtend(sz);
                cb.lstore(T1);
                cb.loadConstant(i.imm);
                signExtend(sz);
                cb.lstore(T2);
            }
            cb.lload(T1).lload(T2).lmul().lstore(T3);
            cb.lload(T3);
            stReg(i.reg, size);
            if (flagsLive[k]) {
                // Lazily: MUL with dst = overflow.
                Label ovf = cb.newLabel(), done = cb.newLabel();
                if (size == 8) {
                    cb.lload(T1).lload(T2).invokestatic(ClassDesc.of("java.lang.Math"), "multiplyHigh",
                            MethodTypeDesc.of(ConstantDescs.CD_long, ConstantDescs.CD_long, ConstantDescs.CD_long));
                    cb.lload(T3).loadConstant(63).lshr().lcmp();
                } else {
                    cb.lload(T3);
                    signExtend(sz);
                    cb.lload(T3).lcmp();
                }
                cb.ifne(ovf).lconst_0().goto_(done);
                cb.labelBinding(ovf);
                cb.lconst_1();
                cb.labelBinding(done);
                cb.lstore(FDST);
                cb.lconst_0().lstore(FSRC);
                cb.lload(T3).lstore(FRES);
                cb.loadConstant(LazyFlags.MUL << 2 | sz).istore(FOP);
                knownOp = LazyFlags.MUL << 2 | sz;
            }
        }
    }
}
