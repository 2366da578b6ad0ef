package dev.ukemu.smp.apic;

import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.core.cpu.Cpu;
import dev.ukemu.core.cpu.CpuException;
import dev.ukemu.core.cpu.Interpreter;
import dev.ukemu.core.cpu.MsrHandler;
import dev.ukemu.core.time.GuestClock;
import dev.ukemu.core.time.TimerService;

/**
 * One vCPU's local APIC, in both interfaces: xAPIC registers in the 4 KiB MMIO page at the
 * IA32_APIC_BASE address and x2APIC registers as MSRs 0x800-0x8FF, with the mode transitions of
 * SDM vol. 3, 11.12.5. It keeps IRR/ISR/TMR, derives PPR from TPR and ISR, raises the vCPU's
 * interrupt event when something beats PPR, sends IPIs through the {@link ApicBus}, and runs the
 * APIC timer (one-shot, periodic, TSC-deadline) on the machine clock.
 */
public final class LocalApic implements BusDevice, MsrHandler {
    // Register offsets in the xAPIC page; x2APIC MSR = 0x800 + (offset >> 4) (SDM table 11-6).
    public static final int ID = 0x20, VERSION = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xA0, EOI = 0xB0,
            RRD = 0xC0, LDR = 0xD0, DFR = 0xE0, SVR = 0xF0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280,
            LVT_CMCI = 0x2F0, ICR_LO = 0x300, ICR_HI = 0x310, LVT_TIMER = 0x320, LVT_THERMAL = 0x330,
            LVT_PERF = 0x340, LVT_LINT0 = 0x350, LVT_LINT1 = 0x360, LVT_ERROR = 0x370, TIMER_INITIAL = 0x380,
            TIMER_CURRENT = 0x390, TIMER_DIVIDE = 0x3E0, SELF_IPI = 0x3F0;
    public static final int MSR_APIC_BASE = 0x1B, MSR_TSC_DEADLINE = 0x6E0, MSR_X2APIC_FIRST = 0x800,
            MSR_X2APIC_LAST = 0x8FF;
    // IA32_APIC_BASE bits.
    public static final long BASE_BSP = 1L << 8, BASE_EXTD = 1L << 10, BASE_EN = 1L << 11;
    public static final long DEFAULT_BASE = 0xFEE00000L;
    /** Version 0x14 with six LVT entries (max LVT index 5), as QEMU's APIC. */
    static final int VERSION_VALUE = 0x14 | (5 << 16);
    static final int LVT_MASKED = 1 << 16, LVT_LEVEL = 1 << 15, LVT_REMOTE_IRR = 1 << 14, LVT_PENDING = 1 << 12;
    static final int SVR_ENABLE = 1 << 8;
    // Delivery modes (ICR and LVT bits 8-10).
    public static final int DM_FIXED = 0, DM_LOWEST = 1, DM_SMI = 2, DM_NMI = 4, DM_INIT = 5, DM_STARTUP = 6,
            DM_EXTINT = 7;
    // ESR bits.
    static final int ESR_SEND_ILLEGAL_VECTOR = 1 << 5, ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6, ESR_ILLEGAL_REGISTER = 1 << 7;
    /** The APIC timer counts at 1 GHz before the divider (announced in CPUID 0x40000010 EBX). */
    public static final long BUS_HZ = 1_000_000_000L;

    final Cpu cpu;
    private final ApicBus bus;
    private final GuestClock clock;
    private final Runnable kick;
    private final TimerService.Timer timer;

    private long base;
    private int id;
    private int tpr, ldr, dfr = 0xFFFFFFFF, svr = 0xFF, esr, pendingEsr;
    private final int[] irr = new int[8], isr = new int[8], tmr = new int[8];
    private final int[] lvt = new int[7]; // CMCI, timer, thermal, perf, LINT0, LINT1, error
    private int icrLo, icrHi;
    private int timerInitial, timerDivide;
    private long timerStart, tscDeadline;
    /** The timerStart of the one-shot count that last expired. */
    private long lastFired = -1;
    /** The legacy PIC's INTR output as seen on LINT0. */
    private boolean extIntLine;
    private ExtIntSource extInt = () -> -1;
    // Messages to other APICs, sent after this APIC's lock is released (no lock-order cycles).
    private boolean outIcr, outX2;
    private int outIcrLo, outIcrHi;
    private int outEoi = -1;

    /** Where an ExtINT (a PIC behind LINT0) gets its vector from (the INTA cycle). */
    @FunctionalInterface
    public interface ExtIntSource {
        int acknowledge();
    }

    public LocalApic(Cpu cpu, ApicBus bus, GuestClock clock, TimerService timers, Runnable kick) {
        this.cpu = cpu;
        this.bus = bus;
        this.clock = clock;
        this.kick = kick;
        this.timer = timers.newTimer("apic-timer-" + cpu.index, this::timerFired);
        reset(cpu.index == 0);
    }

    /** Power-on / INIT reset of the APIC state (SDM 11.4.7.1); the base MSR keeps its address. */
    public synchronized void reset(boolean bsp) {
        base = DEFAULT_BASE | BASE_EN | (bsp ? BASE_BSP : 0);
        id = cpu.apicId;
        clearState();
        cpu.apicBase = base;
    }

    /** INIT: registers back to their reset values; the base MSR (mode, address) and ID stay. */
    public synchronized void initReset() {
        clearState();
    }

    private void clearState() {
        tpr = 0;
        ldr = 0;
        dfr = 0xFFFFFFFF;
        svr = 0xFF;
        esr = pendingEsr = 0;
        java.util.Arrays.fill(irr, 0);
        java.util.Arrays.fill(isr, 0);
        java.util.Arrays.fill(tmr, 0);
        java.util.Arrays.fill(lvt, LVT_MASKED);
        icrLo = icrHi = 0;
        timerInitial = 0;
        timerDivide = 0;
        tscDeadline = 0;
        timer.cancel();
        updateInterrupt();
    }

    public void setExtIntSource(ExtIntSource source) {
        this.extInt = source;
    }

    public int apicId() {
        return id;
    }

    public synchronized boolean x2apicMode() {
        return (base & (BASE_EN | BASE_EXTD)) == (BASE_EN | BASE_EXTD);
    }

    public synchronized boolean hardwareEnabled() {
        return (base & BASE_EN) != 0;
    }

    synchronized boolean softwareEnabled() {
        return hardwareEnabled() && (svr & SVR_ENABLE) != 0;
    }

    /**
     * Leaves the APIC as SeaBIOS does for the boot processor: software-enabled, LINT0 in ExtINT
     * mode so the PIC's interrupts reach the CPU, LINT1 as NMI.
     */
    public synchronized void biosSetup() {
        svr = SVR_ENABLE | 0xFF;
        lvt[4] = DM_EXTINT << 8;
        lvt[5] = DM_NMI << 8;
        updateInterrupt();
    }

    /** The base address of the xAPIC MMIO page, or -1 when it is not decoded (disabled, x2APIC). */
    public synchronized long mmioBase() {
        return (base & (BASE_EN | BASE_EXTD)) == BASE_EN ? base & 0xF_FFFF_FFFF_F000L : -1;
    }

    // ------------------------------------------------------------------ IRR / ISR / PPR

    private static int highest(int[] bits) {
        for (int w = 7; w >= 0; w--) {
            if (bits[w] != 0) {
                return w * 32 + 31 - Integer.numberOfLeadingZeros(bits[w]);
            }
        }
        return -1;
    }

    private static boolean test(int[] bits, int v) {
        return (bits[v >> 5] & (1 << (v & 31))) != 0;
    }

    private static void set(int[] bits, int v, boolean on) {
        if (on) {
            bits[v >> 5] |= 1 << (v & 31);
        } else {
            bits[v >> 5] &= ~(1 << (v & 31));
        }
    }

    private int ppr() {
        int isrv = highest(isr);
        int isrClass = isrv < 0 ? 0 : isrv & 0xF0;
        return (tpr & 0xF0) >= isrClass ? tpr & 0xFF : isrClass;
    }

    private boolean extIntPending() {
        return extIntLine && ((lvt[4] >> 8) & 7) == DM_EXTINT && (lvt[4] & LVT_MASKED) == 0
                || extIntLine && !hardwareEnabled();
    }

    /** Raises or clears the vCPU's interrupt event to match what is deliverable now. */
    private void updateInterrupt() {
        boolean deliverable = extIntPending();
        if (!deliverable) {
            int v = highest(irr);
            deliverable = v >= 0 && (v & 0xF0) > (ppr() & 0xF0);
        }
        if (deliverable) {
            cpu.raiseEvent(Interpreter.EV_INTERRUPT);
            kick.run();
        } else {
            cpu.clearEvent(Interpreter.EV_INTERRUPT);
        }
    }

    /** True if the CPU should take an interrupt now (it checks IF itself). */
    public synchronized boolean interruptPending() {
        if (extIntPending()) {
            return true;
        }
        int v = highest(irr);
        return v >= 0 && (v & 0xF0) > (ppr() & 0xF0);
    }

    /** The INTA cycle: the vector to deliver, moved from IRR to ISR; -1 if nothing is pending. */
    public int acknowledge() {
        boolean ext;
        synchronized (this) {
            ext = extIntPending();
        }
        if (ext) {
            int v = extInt.acknowledge();
            synchronized (this) {
                updateInterrupt();
            }
            return v;
        }
        synchronized (this) {
            int v = highest(irr);
            if (v < 0 || (v & 0xF0) <= (ppr() & 0xF0)) {
                updateInterrupt();
                return -1;
            }
            set(irr, v, false);
            set(isr, v, true);
            updateInterrupt();
            return v;
        }
    }

    /** Accepts an interrupt message addressed to this APIC (from an IPI, the I/O APIC or an LVT). */
    public void accept(int mode, int vector, boolean level) {
        switch (mode) {
            case DM_NMI -> {
                cpu.raiseEvent(Interpreter.EV_NMI);
                kick.run();
            }
            case DM_INIT -> {
                cpu.raiseEvent(Interpreter.EV_INIT);
                kick.run();
            }
            case DM_STARTUP -> {
                cpu.sipiVector = vector & 0xFF;
                cpu.raiseEvent(Interpreter.EV_SIPI);
                kick.run();
            }
            case DM_SMI -> {
                // SMM is not supported: the message is dropped, as QEMU does without SMM.
            }
            case DM_EXTINT -> {
                synchronized (this) {
                    updateInterrupt();
                }
            }
            default -> {
                synchronized (this) {
                    if (vector < 16) {
                        raiseError(ESR_RECEIVE_ILLEGAL_VECTOR);
                        return;
                    }
                    set(irr, vector, true);
                    set(tmr, vector, level);
                    updateInterrupt();
                }
            }
        }
    }

    /** The level of LINT0 (the PIC's INTR in a PC). */
    public synchronized void setLint0(boolean high) {
        boolean mask = (lvt[4] & LVT_MASKED) != 0;
        int mode = (lvt[4] >> 8) & 7;
        extIntLine = high;
        if (high && !mask && hardwareEnabled() && mode != DM_EXTINT) {
            deliverLvt(4);
        }
        updateInterrupt();
    }

    /** LINT1 (NMI on a PC). */
    public synchronized void setLint1(boolean high) {
        if (high && (lvt[5] & LVT_MASKED) == 0) {
            deliverLvt(5);
        }
    }

    private void deliverLvt(int index) {
        int e = lvt[index];
        if ((e & LVT_MASKED) != 0 || !softwareEnabled()) {
            return;
        }
        int mode = (e >> 8) & 7;
        int vector = e & 0xFF;
        if (mode == DM_FIXED && vector < 16) {
            raiseError(ESR_RECEIVE_ILLEGAL_VECTOR);
            return;
        }
        acceptLocked(mode == DM_NMI ? DM_NMI : mode == DM_EXTINT ? DM_EXTINT : DM_FIXED, vector,
                index >= 4 && (e & LVT_LEVEL) != 0);
    }

    private void acceptLocked(int mode, int vector, boolean level) {
        if (mode == DM_FIXED) {
            set(irr, vector, true);
            set(tmr, vector, level);
            updateInterrupt();
        } else {
            accept(mode, vector, level);
        }
    }

    private void raiseError(int bits) {
        pendingEsr |= bits;
        if ((lvt[6] & LVT_MASKED) == 0 && softwareEnabled()) {
            int v = lvt[6] & 0xFF;
            if (v >= 16) {
                set(irr, v, true);
                set(tmr, v, false);
                updateInterrupt();
            }
        }
    }

    private void eoi() {
        int v = highest(isr);
        if (v < 0) {
            return;
        }
        set(isr, v, false);
        boolean level = test(tmr, v);
        if (level) {
            set(tmr, v, false);
        }
        updateInterrupt();
        if (level) {
            outEoi = v;
        }
    }

    private void queueIpi(int lo, int hi, boolean x2) {
        outIcr = true;
        outIcrLo = lo;
        outIcrHi = hi;
        outX2 = x2;
    }

    /** Sends what register writes queued for other APICs; called without holding this lock. */
    private void flush() {
        boolean send;
        int lo, hi, eoiVector;
        boolean x2;
        synchronized (this) {
            send = outIcr;
            lo = outIcrLo;
            hi = outIcrHi;
            x2 = outX2;
            eoiVector = outEoi;
            outIcr = false;
            outEoi = -1;
        }
        if (send) {
            bus.sendIpi(this, lo, hi, x2);
        }
        if (eoiVector >= 0) {
            bus.broadcastEoi(eoiVector);
        }
    }

    /** True if this APIC is a destination of {@code dest} in the given addressing mode. */
    synchronized boolean matches(int dest, boolean logical, boolean x2) {
        if (!hardwareEnabled()) {
            return false;
        }
        if (x2) {
            if (dest == 0xFFFFFFFF) {
                return true;
            }
            if (!logical) {
                return dest == id;
            }
            return (dest >>> 16) == (id >>> 4) && (dest & 0xFFFF & (1 << (id & 15))) != 0;
        }
        dest &= 0xFF;
        if (dest == 0xFF) {
            return true;
        }
        if (!logical) {
            return dest == (id & 0xFF);
        }
        int logicalId = ldr >>> 24;
        if ((dfr >>> 28) == 0xF) {
            return (logicalId & dest) != 0; // flat model
        }
        return (logicalId >>> 4) == (dest >>> 4) && (logicalId & dest & 0xF) != 0; // cluster model
    }

    synchronized int priority() {
        return ppr();
    }

    synchronized void sendError(int bits) {
        raiseError(bits);
    }

    // ------------------------------------------------------------------ register file

    private long read(int off) {
        return switch (off) {
            case ID -> x2apicMode() ? id : (long) (id & 0xFF) << 24;
            case VERSION -> VERSION_VALUE;
            case TPR -> tpr;
            case APR -> 0;
            case PPR -> ppr();
            case LDR -> x2apicMode() ? x2apicLdr() : ldr;
            case DFR -> dfr;
            case SVR -> svr;
            case ESR -> esr;
            case ICR_LO -> icrLo;
            case ICR_HI -> icrHi;
            case LVT_CMCI -> lvt[0];
            case LVT_TIMER -> lvt[1];
            case LVT_THERMAL -> lvt[2];
            case LVT_PERF -> lvt[3];
            case LVT_LINT0 -> lvt[4];
            case LVT_LINT1 -> lvt[5];
            case LVT_ERROR -> lvt[6];
            case TIMER_INITIAL -> timerInitial & 0xFFFFFFFFL;
            case TIMER_CURRENT -> currentCount();
            case TIMER_DIVIDE -> timerDivide;
            default -> {
                if (off >= ISR && off < ISR + 0x80) {
                    yield isr[(off - ISR) >> 4] & 0xFFFFFFFFL;
                }
                if (off >= TMR && off < TMR + 0x80) {
                    yield tmr[(off - TMR) >> 4] & 0xFFFFFFFFL;
                }
                if (off >= IRR && off < IRR + 0x80) {
                    yield irr[(off - IRR) >> 4] & 0xFFFFFFFFL;
                }
                yield 0;
            }
        };
    }

    private int x2apicLdr() {
        return ((id >> 4) << 16) | (1 << (id & 15));
    }

    private void write(int off, long value) {
        int v = (int) value;
        switch (off) {
            case ID -> {
                if (!x2apicMode()) {
                    id = v >>> 24; // xAPIC IDs are writable (QEMU allows it)
                }
            }
            case TPR -> {
                tpr = v & 0xFF;
                updateInterrupt();
            }
            case EOI -> eoi();
            case LDR -> ldr = v & 0xFF000000;
            case DFR -> dfr = v | 0x0FFFFFFF;
            case SVR -> {
                svr = v & 0x13FF;
                if ((svr & SVR_ENABLE) == 0) {
                    for (int k = 0; k < lvt.length; k++) {
                        lvt[k] |= LVT_MASKED;
                    }
                }
                updateInterrupt();
            }
            case ESR -> {
                esr = pendingEsr;
                pendingEsr = 0;
            }
            case ICR_LO -> {
                icrLo = v & ~(1 << 12); // delivery completes at once: status always idle
                queueIpi(icrLo, icrHi, x2apicMode());
            }
            case ICR_HI -> icrHi = v & 0xFF000000;
            case LVT_CMCI -> lvt[0] = lvtValue(v, 0x107FF);
            case LVT_TIMER -> {
                lvt[1] = lvtValue(v, 0x710FF);
                rearmTimer();
            }
            case LVT_THERMAL -> lvt[2] = lvtValue(v, 0x107FF);
            case LVT_PERF -> lvt[3] = lvtValue(v, 0x107FF);
            case LVT_LINT0 -> {
                lvt[4] = lvtValue(v, 0x1A7FF);
                updateInterrupt();
            }
            case LVT_LINT1 -> lvt[5] = lvtValue(v, 0x1A7FF);
            case LVT_ERROR -> lvt[6] = lvtValue(v, 0x100FF);
            case TIMER_INITIAL -> {
                if (timerMode() != 2) {
                    timerInitial = v;
                    timerStart = clock.nanos();
                    rearmTimer();
                }
            }
            case TIMER_DIVIDE -> {
                timerDivide = v & 0xB;
                timerStart = clock.nanos();
                rearmTimer();
            }
            case SELF_IPI -> acceptLocked(DM_FIXED, v & 0xFF, false);
            default -> {
                // Read-only or reserved registers: writes are ignored (xAPIC) or #GP (x2APIC, below).
            }
        }
    }

    private int lvtValue(int v, int mask) {
        v &= mask;
        if ((svr & SVR_ENABLE) == 0) {
            v |= LVT_MASKED;
        }
        return v;
    }

    // ------------------------------------------------------------------ timer

    private int timerMode() {
        return (lvt[1] >> 17) & 3;
    }

    private int divisor() {
        int d = (timerDivide & 3) | ((timerDivide & 8) >> 1);
        return d == 7 ? 1 : 2 << d;
    }

    private long ticksToNanos(long ticks) {
        return ticks * divisor() * (1_000_000_000L / BUS_HZ);
    }

    private long currentCount() {
        if (timerInitial == 0 || timerMode() == 2) {
            return 0;
        }
        long elapsedTicks = (clock.nanos() - timerStart) / ((1_000_000_000L / BUS_HZ) * divisor());
        long init = timerInitial & 0xFFFFFFFFL;
        if (timerMode() == 1) {
            return init - elapsedTicks % init;
        }
        return elapsedTicks >= init ? 0 : init - elapsedTicks;
    }

    private void rearmTimer() {
        int mode = timerMode();
        if (mode == 2) {
            if (tscDeadline < 0) {
                timer.cancel(); // 2^63 ticks and more: centuries away
            } else if (tscDeadline != 0) {
                timer.setDeadline(tscToNanos(tscDeadline - cpu.tscOffset));
            } else {
                timer.cancel();
            }
            return;
        }
        if (timerInitial == 0) {
            timer.cancel();
            return;
        }
        long period = ticksToNanos(timerInitial & 0xFFFFFFFFL);
        long now = clock.nanos();
        long due = timerStart + period;
        if (mode == 1 && due <= now) {
            long n = (now - timerStart) / period + 1;
            due = timerStart + n * period;
        }
        if (mode == 0 && lastFired == timerStart) {
            timer.cancel(); // this one-shot count already expired
            return;
        }
        timer.setDeadline(due);
    }

    /**
     * The machine-clock time at which the clock's TSC reaches {@code tsc}, rounded up so the
     * TSC has really got there when the timer runs (else it would re-arm for the same instant).
     */
    private long tscToNanos(long tsc) {
        if (tsc <= 0) {
            return 0;
        }
        long khz = clock.tscKhz();
        return (tsc / khz) * 1_000_000 + ((tsc % khz) * 1_000_000 + khz - 1) / khz;
    }

    /**
     * The TSC as this vCPU reads it: the deadline compares with that, including what the guest
     * moved it by with IA32_TSC or IA32_TSC_ADJUST (SDM 11.5.4.1).
     */
    private long vcpuTsc() {
        return clock.tsc() + cpu.tscOffset;
    }

    private synchronized void timerFired() {
        int mode = timerMode();
        if (mode == 2) {
            if (tscDeadline == 0 || vcpuTsc() < tscDeadline) {
                rearmTimer();
                return;
            }
            tscDeadline = 0;
        } else if (timerInitial == 0) {
            return;
        }
        deliverLvt(1);
        if (mode == 1) {
            rearmTimer();
        } else if (mode == 0) {
            lastFired = timerStart;
        }
    }

    // ------------------------------------------------------------------ MMIO (xAPIC)

    @Override
    public synchronized long read(long offset, int size) {
        int off = (int) offset & 0xFF0;
        long v = read(off);
        int shift = (int) (offset & 3) * 8;
        return size >= 4 ? v & 0xFFFFFFFFL : (v >>> shift) & ((1L << (size * 8)) - 1);
    }

    @Override
    public void write(long offset, int size, long value) {
        if ((offset & 0xF) != 0 || size < 4) {
            return; // only aligned 32-bit writes reach xAPIC registers
        }
        synchronized (this) {
            write((int) offset & 0xFF0, value & 0xFFFFFFFFL);
        }
        flush();
    }

    // ------------------------------------------------------------------ MSRs

    @Override
    public synchronized Long read(Cpu c, long msr) {
        if (msr == MSR_APIC_BASE) {
            return base;
        }
        if (msr == MSR_TSC_DEADLINE) {
            return tscDeadline;
        }
        if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST) {
            if (!x2apicMode()) {
                throw CpuException.gp(0);
            }
            int off = (int) (msr - MSR_X2APIC_FIRST) << 4;
            if (off == EOI || off == SELF_IPI || off == DFR || off == ICR_HI) {
                throw CpuException.gp(0); // write-only or absent in x2APIC mode
            }
            if (off == ICR_LO) {
                return (icrLo & 0xFFFFFFFFL) | ((long) icrHi << 32);
            }
            if (!validRegister(off)) {
                throw CpuException.gp(0);
            }
            return read(off);
        }
        return null;
    }

    @Override
    public boolean write(Cpu c, long msr, long value) {
        boolean handled;
        synchronized (this) {
            handled = writeMsr(msr, value);
        }
        flush();
        return handled;
    }

    private boolean writeMsr(long msr, long value) {
        if (msr == MSR_APIC_BASE) {
            writeBase(value);
            return true;
        }
        if (msr == MSR_TSC_DEADLINE) {
            tscDeadline = value;
            if (timerMode() == 2) {
                rearmTimer();
            }
            return true;
        }
        if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST) {
            if (!x2apicMode()) {
                throw CpuException.gp(0);
            }
            int off = (int) (msr - MSR_X2APIC_FIRST) << 4;
            switch (off) {
                case ICR_LO -> {
                    icrHi = (int) (value >>> 32);
                    icrLo = (int) value & ~(1 << 12);
                    queueIpi(icrLo, icrHi, true);
                }
                case ID, VERSION, PPR, LDR, TIMER_CURRENT, APR, RRD, DFR, ICR_HI -> throw CpuException.gp(0);
                case EOI, ESR -> {
                    if (value != 0) {
                        throw CpuException.gp(0);
                    }
                    write(off, 0);
                }
                case SELF_IPI -> {
                    if ((value >>> 8) != 0) {
                        throw CpuException.gp(0);
                    }
                    write(off, value);
                }
                default -> {
                    if (!validRegister(off) || (off >= ISR && off < IRR + 0x80) || (value >>> 32) != 0) {
                        throw CpuException.gp(0);
                    }
                    write(off, value);
                }
            }
            return true;
        }
        return false;
    }

    private static boolean validRegister(int off) {
        return switch (off) {
            case ID, VERSION, TPR, PPR, LDR, SVR, ESR, LVT_CMCI, ICR_LO, LVT_TIMER, LVT_THERMAL, LVT_PERF,
                 LVT_LINT0, LVT_LINT1, LVT_ERROR, TIMER_INITIAL, TIMER_CURRENT, TIMER_DIVIDE, EOI, SELF_IPI -> true;
            default -> off >= ISR && off < IRR + 0x80;
        };
    }

    /** IA32_APIC_BASE writes with the SDM's state machine (11.12.5). */
    private void writeBase(long value) {
        long reserved = ~(0xF_FFFF_FFFF_F000L | BASE_EN | BASE_EXTD | BASE_BSP);
        if ((value & reserved) != 0) {
            throw CpuException.gp(0);
        }
        boolean en = (value & BASE_EN) != 0, extd = (value & BASE_EXTD) != 0;
        boolean wasEn = (base & BASE_EN) != 0, wasExtd = (base & BASE_EXTD) != 0;
        if (!en && extd) {
            throw CpuException.gp(0); // invalid state
        }
        if (wasEn && wasExtd && en && !extd) {
            throw CpuException.gp(0); // x2APIC -> xAPIC must go through disabled
        }
        if (!wasEn && en && extd) {
            throw CpuException.gp(0); // disabled -> x2APIC must go through xAPIC
        }
        boolean bsp = (base & BASE_BSP) != 0;
        base = (value & ~BASE_BSP) | (bsp ? BASE_BSP : 0);
        if (!en) {
            clearState(); // disabling resets the APIC to its power-on register state
        }
        cpu.apicBase = base;
    }
}
