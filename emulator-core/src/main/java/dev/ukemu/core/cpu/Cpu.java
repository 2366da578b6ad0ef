package dev.ukemu.core.cpu;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The architectural state of one x86-64 vCPU and its memory path: a per-vCPU soft-TLB with
 * separate read, write and execute entries over guest RAM, the page walk behind it, segment
 * registers, the stack, and lazily computed flags. Execution lives in {@link Interpreter}.
 */
public final class Cpu {
    // General registers.
    public static final int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;
    // Segment registers in encoding order; SEG_NONE has base 0 (64-bit mode's flat segments).
    public static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, SEG_NONE = 6;
    public static final int ATTR_L = 0x2000, ATTR_DB = 0x4000, ATTR_G = 0x8000;

    // RFLAGS bits (SDM vol. 1, 3.4.3).
    public static final long RF_CF = 1, RF_FIXED = 2, RF_PF = 4, RF_AF = 0x10, RF_ZF = 0x40, RF_SF = 0x80,
            RF_TF = 0x100, RF_IF = 0x200, RF_DF = 0x400, RF_OF = 0x800, RF_IOPL = 0x3000, RF_NT = 0x4000,
            RF_RF = 0x10000, RF_VM = 0x20000, RF_AC = 0x40000, RF_VIF = 0x80000, RF_VIP = 0x100000, RF_ID = 0x200000;
    /** Bits software can change (ID included: CPUID is supported). */
    static final long RFLAGS_WRITABLE = 0x3F7FD5L;

    // CR0 / CR4 / EFER bits (SDM vol. 3, 2.5 and 2.2.1).
    public static final long CR0_PE = 1, CR0_MP = 2, CR0_EM = 4, CR0_TS = 8, CR0_ET = 0x10, CR0_NE = 0x20,
            CR0_WP = 1L << 16, CR0_AM = 1L << 18, CR0_NW = 1L << 29, CR0_CD = 1L << 30, CR0_PG = 1L << 31;
    public static final long CR4_VME = 1, CR4_PVI = 2, CR4_TSD = 4, CR4_DE = 8, CR4_PSE = 0x10, CR4_PAE = 0x20,
            CR4_MCE = 0x40, CR4_PGE = 0x80, CR4_PCE = 0x100, CR4_OSFXSR = 0x200, CR4_OSXMMEXCPT = 0x400,
            CR4_UMIP = 0x800, CR4_FSGSBASE = 0x10000, CR4_PCIDE = 0x20000, CR4_OSXSAVE = 0x40000,
            CR4_SMEP = 0x100000, CR4_SMAP = 0x200000;
    public static final long EFER_SCE = 1, EFER_LME = 0x100, EFER_LMA = 0x400, EFER_NXE = 0x800;

    // Page-table entry bits.
    static final long PTE_P = 1, PTE_RW = 2, PTE_US = 4, PTE_A = 0x20, PTE_D = 0x40, PTE_PS = 0x80,
            PTE_G = 0x100, PTE_NX = 1L << 63;
    static final long PHYS_MASK = 0x000F_FFFF_FFFF_F000L;

    static final int ACC_READ = 0, ACC_WRITE = 1, ACC_EXEC = 2;
    // Page-fault error code bits (SDM vol. 3, 4.7).
    static final int PF_P = 1, PF_W = 2, PF_U = 4, PF_RSVD = 8, PF_ID = 16;

    /** 2048 entries of 4 KiB: 8 MiB of data reach, for working sets that thrash a smaller TLB. */
    static final int TLB_BITS = 11, TLB_SIZE = 1 << TLB_BITS, TLB_MASK = TLB_SIZE - 1;
    /** Slots {@link #flushTlb} tracks individually before it clears the whole TLB instead. */
    static final int TLB_LOG = 128;
    static final int FAST_BLOCKS = 4096;

    public final int index;
    public int apicId;

    // ---- architectural state ----
    public final long[] r = new long[16];
    public long rip;
    /** RFLAGS without the six arithmetic flags, which live in the lazy-flag fields. */
    long flagsRest = RF_FIXED;
    int ccOp = LazyFlags.EFLAGS;
    long ccDst, ccSrc, ccRes;

    public final int[] segSel = new int[7];
    public final long[] segBase = new long[7];
    public final long[] segLimit = new long[7];
    /** Descriptor attributes, descriptor bits 40-55 less the limit: type (0-3), S (4), DPL (5-6), P (7), AVL (12), L (13), D/B (14), G (15). */
    public final int[] segAttr = new int[7];
    public long cr0 = CR0_ET | CR0_NE, cr2, cr3, cr4, cr8, efer;
    public long gdtBase, idtBase;
    public int gdtLimit, idtLimit = 0x3FF;
    public int ldtSel, trSel;
    public long ldtBase, trBase;
    public long ldtLimit, trLimit;
    public int trAttr;
    public long xcr0 = 1;
    /** XMM0-15: {@code xmm[2n]} holds bits 0-63 of XMMn, {@code xmm[2n+1]} bits 64-127. */
    public final long[] xmm = new long[32];
    /** MXCSR (SDM vol. 1, 10.2.3); reset value 0x1F80: all exceptions masked, round to nearest. */
    public int mxcsr = 0x1F80;
    /** SIMD floating-point exceptions detected by the current instruction, not yet in MXCSR. */
    int mxFlags;
    /** Scratch operands of SSE instructions (no allocation per instruction). */
    final long[] sseTmp = new long[8];
    /** The x87 FPU (and the MMX registers aliased onto it). */
    public final X87State fpu = new X87State();
    public long[] dr = new long[8];
    // MSRs
    public long star, lstar, cstar, sfmask, kernelGsBase, tscAux, pat = 0x0007040600070406L,
            sysenterCs, sysenterEsp, sysenterEip, apicBase, miscEnable = 1, tscOffset;

    /** Current privilege level. */
    public int cpl;
    /** Code size: 16, 32 or 64. */
    public int bits = 16;
    /** Stack-pointer width in bytes (8 in 64-bit mode, else SS.B ? 4 : 2). */
    int stackSize = 2;
    long ipMask = 0xFFFF;

    // ---- execution state ----
    long insnStart;
    /** Leave the current block after this instruction (code written, mode change, I/O exit). */
    boolean stopBlock;
    /** Set while {@link Interpreter#run} drives this vCPU without a JIT: blocks chain directly. */
    boolean chainBlocks;
    /** Set by a compiled region that left before an instruction for the interpreter to run (and fault). */
    boolean noRegion;

    /** True when SSE instructions run rather than raise #UD or #NM (CR0.EM, CR0.TS clear, CR4.OSFXSR set). */
    boolean sseUsable() {
        return (cr0 & (CR0_EM | CR0_TS)) == 0 && (cr4 & CR4_OSFXSR) != 0;
    }
    /** Instructions retired (approximate inside a faulting block). */
    public long instructions;
    /** Exits from straight-line execution, by cause (for --stats). */
    public long portIoExits, mmioExits, exceptions, interrupts, halts, blocksDecoded;
    /**
     * Backward jumps a compiled region takes before it returns to the run loop even with no event
     * pending, so that one {@link Interpreter#step} stays bounded work.
     */
    public int regionLoopLimit = 4096;
    /** Compiled-region runs, and why each run ended: indexed by the {@code EXIT_} constants. */
    public long regionRuns;
    /** Region runs entered straight from the region before (a direct transition), without the dispatch loop. */
    public long regionLinks;
    public final long[] regionExits = new long[EXIT_NAMES.length];
    public static final int EXIT_BRANCH = 0, EXIT_INDIRECT = 1, EXIT_EVENT = 2, EXIT_HELPER = 3, EXIT_FAULT = 4,
            EXIT_CODE_WRITE = 5;
    public static final String[] EXIT_NAMES = {"branch out of region", "indirect branch", "pending event",
        "interpreter-only instruction", "guest exception", "store to code"};
    /** Interrupts are inhibited for one instruction (after STI, MOV SS, POP SS). */
    boolean interruptShadow;
    public boolean halted;
    /** After INIT: halted until a start-up IPI arrives (SDM 8.4). */
    public boolean waitForSipi;
    /** The vector of the last start-up IPI (set by the sender, read on this vCPU's thread). */
    public volatile int sipiVector;
    /** NMIs are blocked from NMI delivery until the next IRET. */
    boolean nmiBlocked;
    /** Set by other threads and devices; read between blocks. */
    public volatile int events;
    private static final java.lang.invoke.VarHandle EVENTS;

    static {
        try {
            EVENTS = java.lang.invoke.MethodHandles.lookup().findVarHandle(Cpu.class, "events", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Sets event bits atomically (any thread). */
    public void raiseEvent(int bits) {
        EVENTS.getAndBitwiseOr(this, bits);
    }

    /** Clears event bits atomically (any thread). */
    public void clearEvent(int bits) {
        EVENTS.getAndBitwiseAnd(this, ~bits);
    }

    // ---- machine connections ----
    final GuestMemory memory;
    final MemoryLayout layout;
    final MemorySegment ram;
    public final PortBus io;
    public final Bus mmio;
    final CodeCache code;
    /** More than one vCPU: keep guest loads and stores in x86 (TSO) order on the JVM. */
    final boolean tso;
    final Decoder decoder = new Decoder(this);
    public CpuHooks hooks = CpuHooks.NONE;
    public MsrHandler msrExtension;
    /** This vCPU's xAPIC register page, decoded at the IA32_APIC_BASE address when enabled. */
    public dev.ukemu.core.bus.BusDevice localApicMmio;
    public final CpuidModel cpuid;

    // ---- soft-TLB: tags are linear page numbers; addends map linear to physical (= RAM offset) ----
    final long[] rTag = new long[TLB_SIZE], wTag = new long[TLB_SIZE], xTag = new long[TLB_SIZE];
    final long[] rAdd = new long[TLB_SIZE], wAdd = new long[TLB_SIZE], xAdd = new long[TLB_SIZE];
    final Block[] fastBlocks = new Block[FAST_BLOCKS];
    /**
     * The soft-TLB slots filled since the last {@link #flushTlb}, while there are at most
     * {@link #TLB_LOG}; a larger count (as at reset) means every slot may be in use.
     */
    private final int[] tlbFilled = new int[TLB_LOG];
    private int tlbFilledCount = TLB_LOG + 1;

    public Cpu(int index, GuestMemory memory, PortBus io, Bus mmio, CpuidModel cpuid) {
        this(index, memory, io, mmio, cpuid, new CodeCache(), false);
    }

    /** A vCPU of a machine whose vCPUs share {@code code}; {@code smp} when there are several. */
    public Cpu(int index, GuestMemory memory, PortBus io, Bus mmio, CpuidModel cpuid, CodeCache code, boolean smp) {
        this.code = code;
        this.tso = smp;
        code.attach(this);
        this.index = index;
        this.apicId = index;
        this.memory = memory;
        this.layout = memory.layout();
        this.ram = memory.segment();
        this.io = io;
        this.mmio = mmio;
        this.cpuid = cpuid;
        reset();
    }

    /** Power-on state (SDM vol. 3, 9.1.1): real mode at F000:FFF0. */
    public void reset() {
        Arrays.fill(r, 0);
        r[RDX] = 0x600;
        flagsRest = RF_FIXED;
        setFlagsArith(0);
        cr0 = CR0_ET | CR0_NE | CR0_CD | CR0_NW;
        cr2 = cr3 = cr4 = cr8 = efer = 0;
        xcr0 = 1;
        Arrays.fill(xmm, 0); // RESET (not INIT) clears the SSE state (SDM vol. 3, table 10-1)
        mxcsr = 0x1F80;
        mxFlags = 0;
        for (int s = 0; s < 6; s++) {
            segSel[s] = 0;
            segBase[s] = 0;
            segLimit[s] = 0xFFFF;
            segAttr[s] = 0x93;
        }
        segSel[CS] = 0xF000;
        segBase[CS] = 0xFFFF0000L;
        segAttr[CS] = 0x9B;
        segSel[SEG_NONE] = 0;
        segBase[SEG_NONE] = 0;
        segLimit[SEG_NONE] = -1;
        gdtBase = idtBase = 0;
        gdtLimit = idtLimit = 0xFFFF;
        ldtSel = trSel = 0;
        ldtBase = trBase = 0;
        ldtLimit = trLimit = 0xFFFF;
        trAttr = 0x8B;
        rip = 0xFFF0;
        cpl = 0;
        halted = false;
        waitForSipi = false;
        interruptShadow = false;
        apicBase = 0xFEE00000L | (1L << 11) | (index == 0 ? 1L << 8 : 0);
        fpu.reset();
        updateMode();
        flushTlb();
    }

    /** INIT (SDM 8.4.1, table 9-1): power-on register state, then wait for a start-up IPI. */
    public void initReset() {
        long keepApicBase = apicBase;
        long keepTsc = tscOffset;
        reset();
        apicBase = keepApicBase;
        tscOffset = keepTsc;
        nmiBlocked = false;
        halted = true;
        waitForSipi = true;
    }

    /** A start-up IPI with vector {@code v}: real mode at {@code v<<8:0000}. */
    public void startup(int v) {
        setSegmentRaw(CS, (v & 0xFF) << 8, (long) (v & 0xFF) << 12, 0xFFFF, 0x9B);
        rip = 0;
        waitForSipi = false;
        halted = false;
        updateMode();
    }

    /**
     * The multiboot hand-off state: 32-bit protected mode, paging off, flat 4 GiB code and data
     * segments, interrupts off.
     */
    public void enterFlatProtectedMode(long eip) {
        cr0 = CR0_PE | CR0_ET | CR0_NE;
        efer = 0;
        cr4 = 0;
        for (int s = 0; s < 6; s++) {
            setSegmentRaw(s, s == CS ? 0x10 : 0x18, 0, 0xFFFFFFFFL, s == CS ? 0xC09B : 0xC093);
        }
        flagsRest = RF_FIXED;
        setFlagsArith(0);
        rip = eip;
        cpl = 0;
        updateMode();
        flushTlb();
    }

    // ------------------------------------------------------------------ registers

    public long reg(int n, int size) {
        return switch (size) {
            case 1 -> n < 16 ? r[n] & 0xFF : (r[n - 16] >>> 8) & 0xFF;
            case 2 -> r[n] & 0xFFFF;
            case 4 -> r[n] & 0xFFFFFFFFL;
            default -> r[n];
        };
    }

    public void setReg(int n, int size, long v) {
        switch (size) {
            case 1 -> {
                if (n < 16) {
                    r[n] = (r[n] & ~0xFFL) | (v & 0xFF);
                } else {
                    r[n - 16] = (r[n - 16] & ~0xFF00L) | ((v & 0xFF) << 8);
                }
            }
            case 2 -> r[n] = (r[n] & ~0xFFFFL) | (v & 0xFFFF);
            case 4 -> r[n] = v & 0xFFFFFFFFL;
            default -> r[n] = v;
        }
    }

    // ------------------------------------------------------------------ flags

    public long rflags() {
        return flagsRest | (LazyFlags.compute(ccOp, ccDst, ccSrc, ccRes) & LazyFlags.ARITH);
    }

    /** Writes all of RFLAGS (no privilege filtering; callers apply IOPL/IF rules). */
    public void setRflags(long v) {
        flagsRest = (v & ~(long) LazyFlags.ARITH & RFLAGS_WRITABLE) | RF_FIXED;
        setFlagsArith((int) v & LazyFlags.ARITH);
    }

    void setFlagsArith(int f) {
        ccOp = LazyFlags.EFLAGS;
        ccRes = f;
    }

    void setCc(int op, long dst, long src, long res) {
        ccOp = op;
        ccDst = dst;
        ccSrc = src;
        ccRes = res;
    }

    int arithFlags() {
        return LazyFlags.compute(ccOp, ccDst, ccSrc, ccRes);
    }

    boolean cf() {
        return LazyFlags.cf(ccOp, ccDst, ccSrc, ccRes);
    }

    boolean zf() {
        return LazyFlags.zf(ccOp, ccRes);
    }

    boolean sf() {
        return LazyFlags.sf(ccOp, ccRes);
    }

    boolean of() {
        return (arithFlags() & LazyFlags.OF) != 0;
    }

    boolean pf() {
        return (arithFlags() & LazyFlags.PF) != 0;
    }

    /** Evaluates condition code {@code cc} (the low nibble of Jcc/SETcc/CMOVcc). */
    boolean cond(int cc) {
        return LazyFlags.cond(ccOp, ccDst, ccSrc, ccRes, cc);
    }

    boolean interruptsEnabled() {
        return (flagsRest & RF_IF) != 0;
    }

    // ------------------------------------------------------------------ modes

    /** Recomputes the code size, stack width and TLB state after CR0/EFER/CS/SS changes. */
    void updateMode() {
        boolean lma = (efer & EFER_LMA) != 0;
        if ((cr0 & CR0_PE) == 0) {
            bits = 16;
        } else if (lma && (segAttr[CS] & ATTR_L) != 0) {
            bits = 64;
        } else {
            bits = (segAttr[CS] & ATTR_DB) != 0 ? 32 : 16;
        }
        ipMask = bits == 64 ? -1L : bits == 32 ? 0xFFFFFFFFL : 0xFFFF;
        stackSize = bits == 64 ? 8 : (segAttr[SS] & ATTR_DB) != 0 ? 4 : 2;
        stopBlock = true;
    }

    public boolean longMode() {
        return (efer & EFER_LMA) != 0;
    }

    public String modeName() {
        if ((cr0 & CR0_PE) == 0) {
            return "real mode";
        }
        if (bits == 64) {
            return "64-bit mode";
        }
        if (longMode()) {
            return "compatibility mode (" + bits + "-bit)";
        }
        return bits + "-bit protected mode" + ((cr0 & CR0_PG) != 0 ? ", paging" : "");
    }

    void setSegmentRaw(int s, int sel, long base, long limit, int attr) {
        segSel[s] = sel;
        segBase[s] = base;
        segLimit[s] = limit;
        segAttr[s] = attr;
    }

    // ------------------------------------------------------------------ soft-TLB

    public void flushTlb() {
        int n = tlbFilledCount;
        if (n <= TLB_LOG) {
            // Few slots filled since the last flush (a system call, an interrupt): clear just those.
            for (int k = 0; k < n; k++) {
                int i = tlbFilled[k];
                rTag[i] = -1;
                wTag[i] = -1;
                xTag[i] = -1;
            }
        } else {
            Arrays.fill(rTag, -1L);
            Arrays.fill(wTag, -1L);
            Arrays.fill(xTag, -1L);
        }
        tlbFilledCount = 0;
        Arrays.fill(fastBlocks, null);
        stopBlock = true; // code may be mapped elsewhere now: blocks and regions look again
    }

    void flushTlbPage(long la) {
        long p = la >>> 12;
        int i = (int) p & TLB_MASK;
        if (rTag[i] == p) rTag[i] = -1;
        if (wTag[i] == p) wTag[i] = -1;
        if (xTag[i] == p) xTag[i] = -1;
        Arrays.fill(fastBlocks, null);
        stopBlock = true;
    }

    /** The physical page the instruction TLB maps linear page {@code lpage} to, or -1. */
    long execPage(long lpage) {
        int i = (int) lpage & TLB_MASK;
        return xTag[i] == lpage ? (lpage << 12) + xAdd[i] : -1;
    }

    /** Drops every write entry (another vCPU turned some page into a code page). */
    void flushWriteTlb() {
        Arrays.fill(wTag, -1L);
    }

    /** Drops write entries that map physical page {@code ppage} (it now holds code). */
    void evictWriteEntries(long ppage) {
        for (int i = 0; i < TLB_SIZE; i++) {
            if (wTag[i] != -1 && ((wTag[i] << 12) + wAdd[i]) == ppage) {
                wTag[i] = -1;
            }
        }
    }

    // ------------------------------------------------------------------ linear-address access

    public int read8(long la) {
        long p = la >>> 12;
        int i = (int) p & TLB_MASK;
        if (rTag[i] == p) {
            int v = ram.get(GuestMemory.BYTE, la + rAdd[i]) & 0xFF;
            if (tso) {
                VarHandle.acquireFence();
            }
            return v;
        }
        return (int) readSlow(la, 1);
    }

    public int read16(long la) {
        long p = la >>> 12;
        int i = (int) p & TLB_MASK;
        if (rTag[i] == p && (la & 0xFFF) <= 0xFFE) {
            int v = ram.get(GuestMemory.SHORT, la + rAdd[i]) & 0xFFFF;
            if (tso) {
                VarHandle.acquireFence();
            }
            return v;
        }
        return (int) readSlow(la, 2);
    }

    public long read32(long la) {
        long p = la >>> 12;
        int i = (int) p & TLB_MASK;
        if (rTag[i] == p && (la & 0xFFF) <= 0xFFC) {
            long v = ram.get(GuestMemory.INT, la + rAdd[i]) & 0xFFFFFFFFL;
            if (tso) {
                VarHandle.acquireFence();
            }
            return v;
        }
        return readSlow(la, 4);
    }

    public long read64(long la) {
        long p = la >>> 12;
        int i = (int) p & TLB_MASK;
        if (rTag[i] == p && (la & 0xFFF) <= 0xFF8) {
            long v = ram.get(GuestMemory.LONG, la + rAdd[i]);
            if (tso) {
                VarHandle.acquireFence();
            }
            return v;
        }
        return readSlow(la, 8);
    }

    public long read(long la, int size) {
        return switch (size) {
            case 1 -> read8(la);
            case 2 -> read16(la);
            case 4 -> read32(la);
            default -> read64(la);
        };
    }

    public void write8(long la, int v) {
        long p = la >>> 12;
        int i = (int) p & TLB_MASK;
        if (wTag[i] == p) {
            if (tso) {
                VarHandle.releaseFence();
            }
            ram.set(GuestMemory.BYTE, la + wAdd[i], (byte) v);
            return;
        }
        writeSlow(la, 1, v);
    }

    public void write16(long la, int v) {
        long p = la >>> 12;
        int i = (int) p & TLB_MASK;
        if (wTag[i] == p && (la & 0xFFF) <= 0xFFE) {
            if (tso) {
                VarHandle.releaseFence();
            }
            ram.set(GuestMemory.SHORT, la + wAdd[i], (short) v);
            return;
        }
        writeSlow(la, 2, v);
    }

    public void write32(long la, long v) {
        long p = la >>> 12;
        int i = (int) p & TLB_MASK;
        if (wTag[i] == p && (la & 0xFFF) <= 0xFFC) {
            if (tso) {
                VarHandle.releaseFence();
            }
            ram.set(GuestMemory.INT, la + wAdd[i], (int) v);
            return;
        }
        writeSlow(la, 4, v);
    }

    public void write64(long la, long v) {
        long p = la >>> 12;
        int i = (int) p & TLB_MASK;
        if (wTag[i] == p && (la & 0xFFF) <= 0xFF8) {
            if (tso) {
                VarHandle.releaseFence();
            }
            ram.set(GuestMemory.LONG, la + wAdd[i], v);
            return;
        }
        writeSlow(la, 8, v);
    }

    public void write(long la, int size, long v) {
        switch (size) {
            case 1 -> write8(la, (int) v);
            case 2 -> write16(la, (int) v);
            case 4 -> write32(la, v);
            default -> write64(la, v);
        }
    }

    /** Fetches an instruction byte (execute permission). */
    int fetch8(long la) {
        long p = la >>> 12;
        int i = (int) p & TLB_MASK;
        if (xTag[i] == p) {
            return ram.get(GuestMemory.BYTE, la + xAdd[i]) & 0xFF;
        }
        long pa = translate(la, ACC_EXEC);
        return (int) readPhys(pa, 1);
    }

    private long readSlow(long la, int size) {
        if ((la & 0xFFF) + size > 0x1000) {
            long v = 0;
            for (int k = 0; k < size; k++) {
                v |= (long) read8(la + k) << (8 * k);
            }
            return v;
        }
        long pa = translate(la, ACC_READ);
        return readPhys(pa, size);
    }

    private void writeSlow(long la, int size, long v) {
        if ((la & 0xFFF) + size > 0x1000) {
            // Check both pages before any byte lands, so a fault leaves memory untouched.
            long second = (la + size - 1);
            translate(la, ACC_WRITE);
            translate(second, ACC_WRITE);
            for (int k = 0; k < size; k++) {
                long pa = translate(la + k, ACC_WRITE);
                writePhys(pa, 1, v >>> (8 * k));
            }
            return;
        }
        long pa = translate(la, ACC_WRITE);
        writePhys(pa, size, v);
    }

    // ------------------------------------------------------------------ implicit supervisor accesses

    /** Set while a CPL 3 instruction makes an implicit supervisor-mode access: translations stay out of the soft-TLB. */
    private boolean systemAccess;

    /**
     * Reads a system data structure (GDT, LDT, IDT, TSS). These are supervisor-mode accesses
     * whatever the CPL (SDM vol. 3, 4.6): at CPL 3 the page walk checks them as CPL 0 would,
     * a #PF they cause has U/S clear, and the translation is not cached for CPL 3 to reuse.
     */
    long readSystem(long la, int size) {
        if (cpl != 3) {
            return read(la, size);
        }
        int saved = cpl;
        cpl = 0;
        systemAccess = true;
        try {
            return readSlow(la, size);
        } finally {
            cpl = saved;
            systemAccess = false;
        }
    }

    /** Writes a system data structure (a descriptor's accessed or busy bit): see {@link #readSystem}. */
    void writeSystem(long la, int size, long v) {
        if (cpl != 3) {
            write(la, size, v);
            return;
        }
        int saved = cpl;
        cpl = 0;
        systemAccess = true;
        try {
            writeSlow(la, size, v);
        } finally {
            cpl = saved;
            systemAccess = false;
        }
    }

    // ------------------------------------------------------------------ physical access

    /** Reads guest-physical memory, going to the MMIO bus for anything that is not RAM or ROM. */
    public long readPhys(long pa, int size) {
        if (memory.isReadableMemory(pa) && pa + size <= ram.byteSize()) {
            return switch (size) {
                case 1 -> ram.get(GuestMemory.BYTE, pa) & 0xFF;
                case 2 -> ram.get(GuestMemory.SHORT, pa) & 0xFFFF;
                case 4 -> ram.get(GuestMemory.INT, pa) & 0xFFFFFFFFL;
                default -> ram.get(GuestMemory.LONG, pa);
            };
        }
        mmioExits++;
        if (localApicMmio != null && isApicPage(pa)) {
            return localApicMmio.read(pa & 0xFFF, size);
        }
        return mmio.read(pa, size);
    }

    /** True if {@code pa} is in this vCPU's xAPIC page (enabled, not in x2APIC mode). */
    private boolean isApicPage(long pa) {
        long b = apicBase;
        return (b & 0xC00) == 0x800 && (pa & ~0xFFFL) == (b & 0xF_FFFF_FFFF_F000L);
    }

    /**
     * Forgets all decoded code: for stores that bypass the vCPU (a loader, a device's DMA into
     * guest RAM, the debugger).
     */
    public void invalidateDecodedCode() {
        code.clear();
        Arrays.fill(fastBlocks, null);
        flushTlb();
    }

    /** Drops decoded code on the page of {@code pa} before a store to it lands. */
    void noteCodeWrite(long pa) {
        long page = pa & ~0xFFFL;
        if (code.isCodePage(page)) {
            code.invalidatePage(page);
            Arrays.fill(fastBlocks, null);
            stopBlock = true;
        }
    }

    /** Writes guest-physical memory; ROM ignores writes; code pages are invalidated first. */
    public void writePhys(long pa, int size, long v) {
        if (memory.isRam(pa) && pa + size <= ram.byteSize()) {
            noteCodeWrite(pa);
            if (((pa + size - 1) ^ pa) > 0xFFF) {
                noteCodeWrite(pa + size - 1);
            }
            switch (size) {
                case 1 -> ram.set(GuestMemory.BYTE, pa, (byte) v);
                case 2 -> ram.set(GuestMemory.SHORT, pa, (short) v);
                case 4 -> ram.set(GuestMemory.INT, pa, (int) v);
                default -> ram.set(GuestMemory.LONG, pa, v);
            }
            return;
        }
        if (MemoryLayout.isBiosRom(pa)) {
            return;
        }
        mmioExits++;
        if (localApicMmio != null && isApicPage(pa)) {
            localApicMmio.write(pa & 0xFFF, size, v);
            return;
        }
        mmio.write(pa, size, v);
    }

    // ------------------------------------------------------------------ translation

    static boolean canonical(long la) {
        return (la << 16 >> 16) == la;
    }

    /**
     * Translates a linear address for an access, filling the TLB; raises #PF (or #GP for a
     * non-canonical address) as the hardware would.
     */
    long translate(long la, int acc) {
        if (bits == 64 && !canonical(la)) {
            throw CpuException.nonCanonical();
        }
        if ((cr0 & CR0_PG) == 0) {
            long pa = la & 0xFFFFFFFFL;
            install(la, pa, acc, true, true, true);
            return pa;
        }
        return walk(la, acc);
    }

    private long walk(long la, int acc) {
        boolean user = cpl == 3;
        boolean write = acc == ACC_WRITE;
        boolean nxe = (efer & EFER_NXE) != 0;
        long rw = PTE_RW, us = PTE_US, nx = 0;
        long pa;
        long leafAddr;
        long leaf;
        long pageMask;
        if (longMode()) {
            long table = cr3 & PHYS_MASK;
            long e4a = table + ((la >>> 39) & 511) * 8;
            long e4 = readPte(e4a, true);
            checkEntry(e4, la, acc, false, nxe);
            rw &= e4; us &= e4; nx |= e4 & PTE_NX;
            long e3a = (e4 & PHYS_MASK) + ((la >>> 30) & 511) * 8;
            long e3 = readPte(e3a, true);
            checkEntry(e3, la, acc, true, nxe);
            rw &= e3; us &= e3; nx |= e3 & PTE_NX;
            setAccessed(e4a, e4);
            if ((e3 & PTE_PS) != 0) {
                if ((e3 & 0x3FFFE000L) != 0) {
                    throw pageFault(la, acc, PF_P | PF_RSVD);
                }
                leafAddr = e3a; leaf = e3; pageMask = (1L << 30) - 1;
            } else {
                setAccessed(e3a, e3);
                long e2a = (e3 & PHYS_MASK) + ((la >>> 21) & 511) * 8;
                long e2 = readPte(e2a, true);
                checkEntry(e2, la, acc, true, nxe);
                rw &= e2; us &= e2; nx |= e2 & PTE_NX;
                if ((e2 & PTE_PS) != 0) {
                    if ((e2 & 0x1FE000L) != 0) {
                        throw pageFault(la, acc, PF_P | PF_RSVD);
                    }
                    leafAddr = e2a; leaf = e2; pageMask = (1L << 21) - 1;
                } else {
                    setAccessed(e2a, e2);
                    long e1a = (e2 & PHYS_MASK) + ((la >>> 12) & 511) * 8;
                    long e1 = readPte(e1a, true);
                    checkEntry(e1, la, acc, false, nxe);
                    rw &= e1; us &= e1; nx |= e1 & PTE_NX;
                    leafAddr = e1a; leaf = e1; pageMask = 0xFFF;
                }
            }
        } else if ((cr4 & CR4_PAE) != 0) {
            long pdpte = readPte((cr3 & 0xFFFFFFE0L) + ((la >>> 30) & 3) * 8, true);
            if ((pdpte & PTE_P) == 0) {
                throw pageFault(la, acc, 0);
            }
            long e2a = (pdpte & PHYS_MASK) + ((la >>> 21) & 511) * 8;
            long e2 = readPte(e2a, true);
            checkEntry(e2, la, acc, true, nxe);
            rw &= e2; us &= e2; nx |= e2 & PTE_NX;
            if ((e2 & PTE_PS) != 0) {
                leafAddr = e2a; leaf = e2; pageMask = (1L << 21) - 1;
            } else {
                setAccessed(e2a, e2);
                long e1a = (e2 & PHYS_MASK) + ((la >>> 12) & 511) * 8;
                long e1 = readPte(e1a, true);
                checkEntry(e1, la, acc, false, nxe);
                rw &= e1; us &= e1; nx |= e1 & PTE_NX;
                leafAddr = e1a; leaf = e1; pageMask = 0xFFF;
            }
        } else {
            long e2a = (cr3 & 0xFFFFF000L) + ((la >>> 22) & 1023) * 4;
            long e2 = readPte(e2a, false);
            if ((e2 & PTE_P) == 0) {
                throw pageFault(la, acc, 0);
            }
            rw &= e2; us &= e2;
            if ((e2 & PTE_PS) != 0 && (cr4 & CR4_PSE) != 0) {
                // 4 MiB page; PSE-36 bits 13-20 give physical address bits 32-39.
                leaf = (e2 & 0xFFC00000L) | ((e2 & 0x1FE000L) << 19) | (e2 & 0xFFF);
                leafAddr = e2a; pageMask = (1L << 22) - 1;
            } else {
                setAccessed32(e2a, e2);
                long e1a = (e2 & 0xFFFFF000L) + ((la >>> 12) & 1023) * 4;
                long e1 = readPte(e1a, false);
                if ((e1 & PTE_P) == 0) {
                    throw pageFault(la, acc, 0);
                }
                rw &= e1; us &= e1;
                leafAddr = e1a; leaf = e1; pageMask = 0xFFF;
            }
            boolean legacy32 = true;
            return finishWalk(la, acc, user, write, rw, us, nx, leafAddr, leaf & 0xFFFFFFFFFFL, pageMask, legacy32);
        }
        return finishWalk(la, acc, user, write, rw, us, nx, leafAddr, leaf, pageMask, false);
    }

    private long finishWalk(long la, int acc, boolean user, boolean write, long rw, long us, long nx,
                            long leafAddr, long leaf, long pageMask, boolean legacy32) {
        boolean wp = (cr0 & CR0_WP) != 0;
        if (user && us == 0) {
            throw pageFault(la, acc, PF_P);
        }
        if (write && rw == 0 && (user || wp)) {
            throw pageFault(la, acc, PF_P);
        }
        if (acc == ACC_EXEC && nx != 0) {
            throw pageFault(la, acc, PF_P);
        }
        if (acc == ACC_EXEC && !user && us != 0 && (cr4 & CR4_SMEP) != 0) {
            throw pageFault(la, acc, PF_P);
        }
        long newLeaf = leaf | PTE_A | (write ? PTE_D : 0);
        if (newLeaf != leaf) {
            if (legacy32) {
                writePteRaw(leafAddr, 4, newLeaf);
            } else {
                writePteRaw(leafAddr, 8, newLeaf);
            }
        }
        long pa = (leaf & PHYS_MASK & ~pageMask) | (la & pageMask);
        boolean canWrite = (rw != 0 || (!user && !wp)) && (newLeaf & PTE_D) != 0;
        boolean canExec = nx == 0 && !(!user && us != 0 && (cr4 & CR4_SMEP) != 0);
        install(la, pa, acc, true, canWrite, canExec);
        return pa;
    }

    private void checkEntry(long e, long la, int acc, boolean mayBeLarge, boolean nxe) {
        if ((e & PTE_P) == 0) {
            throw pageFault(la, acc, 0);
        }
        if (!nxe && (e & PTE_NX) != 0) {
            throw pageFault(la, acc, PF_P | PF_RSVD);
        }
        if (!mayBeLarge && (e & PTE_PS) != 0 && false) {
            throw pageFault(la, acc, PF_P | PF_RSVD);
        }
    }

    private long readPte(long pa, boolean wide) {
        return wide ? readPhys(pa, 8) : readPhys(pa, 4);
    }

    private void setAccessed(long addr, long e) {
        if ((e & PTE_A) == 0) {
            writePteRaw(addr, 8, e | PTE_A);
        }
    }

    private void setAccessed32(long addr, long e) {
        if ((e & PTE_A) == 0) {
            writePteRaw(addr, 4, e | PTE_A);
        }
    }

    private void writePteRaw(long pa, int size, long v) {
        if (memory.isRam(pa) && pa + size <= ram.byteSize()) {
            if (size == 8) {
                ram.set(GuestMemory.LONG, pa, v);
            } else {
                ram.set(GuestMemory.INT, pa, (int) v);
            }
        }
    }

    private CpuException pageFault(long la, int acc, int code) {
        cr2 = la;
        if (acc == ACC_WRITE) code |= PF_W;
        if (cpl == 3) code |= PF_U;
        if (acc == ACC_EXEC && ((efer & EFER_NXE) != 0 || (cr4 & CR4_SMEP) != 0)) code |= PF_ID;
        return CpuException.fault(CpuException.PF, code);
    }

    private void install(long la, long pa, int acc, boolean canRead, boolean canWrite, boolean canExec) {
        if (systemAccess) {
            return; // a supervisor-mode translation made at CPL 3 must not serve CPL 3's own accesses
        }
        long ppage = pa & ~0xFFFL;
        if (!memory.isReadableMemory(ppage) || ppage + 0x1000 > ram.byteSize()) {
            return;
        }
        long p = la >>> 12;
        int i = (int) p & TLB_MASK;
        long add = ppage - (p << 12);
        int n = tlbFilledCount;
        if (n < TLB_LOG) {
            tlbFilled[n] = i;
            tlbFilledCount = n + 1;
        } else if (n == TLB_LOG) {
            tlbFilledCount = n + 1;
        }
        if (canRead) {
            rTag[i] = p;
            rAdd[i] = add;
        }
        if (canWrite && memory.isRam(ppage) && !code.isCodePage(ppage)) {
            wTag[i] = p;
            wAdd[i] = add;
        } else if (wTag[i] == p) {
            wTag[i] = -1;
        }
        if (canExec) {
            xTag[i] = p;
            xAdd[i] = add;
        }
    }

    /**
     * Translates {@code la} for execution, filling the instruction TLB as a fetch would, but without
     * a fault (CR2 is left alone): -1 when it is not executable now.
     */
    long probeExec(long la) {
        long savedCr2 = cr2;
        try {
            return translate(la, ACC_EXEC);
        } catch (CpuException e) {
            return -1;
        } finally {
            cr2 = savedCr2;
        }
    }

    /** Translates for the debugger and diagnostics, without faults or side effects; -1 if unmapped. */
    public long probe(long la) {
        long savedCr2 = cr2;
        try {
            long p = la >>> 12;
            int i = (int) p & TLB_MASK;
            if (rTag[i] == p) {
                return la + rAdd[i];
            }
            return translate(la, ACC_READ);
        } catch (CpuException e) {
            return -1;
        } finally {
            cr2 = savedCr2;
        }
    }

    // ------------------------------------------------------------------ stack

    long sp() {
        return switch (stackSize) {
            case 8 -> r[RSP];
            case 4 -> r[RSP] & 0xFFFFFFFFL;
            default -> r[RSP] & 0xFFFF;
        };
    }

    void setSp(long v) {
        switch (stackSize) {
            case 8 -> r[RSP] = v;
            case 4 -> r[RSP] = v & 0xFFFFFFFFL;
            default -> r[RSP] = (r[RSP] & ~0xFFFFL) | (v & 0xFFFF);
        }
    }

    /** The linear address of a stack access; in 64-bit mode a non-canonical one is #SS(0), not #GP(0). */
    long stackAddr(long sp) {
        long a = segBase[SS] + sp;
        if (bits == 64) {
            if (!canonical(a)) {
                throw CpuException.fault(CpuException.SS, 0);
            }
            return a;
        }
        return a & 0xFFFFFFFFL;
    }

    void push(long v, int size) {
        long sp = sp() - size;
        if (stackSize == 4) sp &= 0xFFFFFFFFL; else if (stackSize == 2) sp &= 0xFFFF;
        write(stackAddr(sp), size, v);
        setSp(sp);
    }

    long pop(int size) {
        long sp = sp();
        long v = read(stackAddr(sp), size);
        setSp(sp + size);
        return v;
    }

    /** Reads the value {@code offset} bytes above the stack pointer without popping. */
    long peek(long offset, int size) {
        long sp = sp() + offset;
        if (stackSize == 4) sp &= 0xFFFFFFFFL; else if (stackSize == 2) sp &= 0xFFFF;
        return read(stackAddr(sp), size);
    }

    // ------------------------------------------------------------------ operands

    long ea(Insn i) {
        long a = i.disp;
        int b = i.base;
        if (b >= 0) {
            a += b == Insn.RIP ? rip : r[b];
        }
        if (i.index >= 0) {
            a += r[i.index] << i.scale;
        }
        if (i.asize == 4) {
            a &= 0xFFFFFFFFL;
        } else if (i.asize == 2) {
            a &= 0xFFFF;
        }
        return (a + segBase[i.seg]) & i.linMask;
    }

    long readRm(Insn i) {
        return i.mem ? read(ea(i), i.size) : reg(i.rm, i.size);
    }

    void writeRm(Insn i, long v) {
        if (i.mem) {
            write(ea(i), i.size, v);
        } else {
            setReg(i.rm, i.size, v);
        }
    }

    public String describeState() {
        return String.format("RIP=%016x RFLAGS=%08x CS=%04x %s CR0=%x CR3=%x CR4=%x EFER=%x",
                rip, rflags(), segSel[CS], modeName(), cr0, cr3, cr4, efer);
    }
}
