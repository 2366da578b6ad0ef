package dev.ukemu.devices.pic;

import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.core.irq.IrqLine;

import java.util.Objects;

/**
 * One Intel 8259A programmable interrupt controller at offsets 0 (command: ICW1, OCW2, OCW3;
 * reads IRR or ISR) and 1 (data: ICW2-ICW4, OCW1; reads IMR) of its range.
 *
 * <p>Eight request inputs ({@link #irq(int)}) are edge-detected, or followed as levels when the
 * input's ELCR bit is set or ICW1.LTIM selected level mode for the whole chip. The INT output
 * ({@code intr}) is driven high while an unmasked request outranks everything in service; the
 * CPU side (or the master, for a slave) then runs the INTA cycle. A request that is gone by the
 * INTA cycle yields IR7's vector without setting an ISR bit (the spurious interrupt).
 *
 * <p>Behaviour follows the 8259A datasheet and QEMU's {@code hw/intc/i8259.c}: power-on and
 * ICW1 leave IMR, ISR and the vector base at zero; ELCR survives ICW1; only 8086 mode exists
 * (ICW4.µPM and the buffered-mode bits are accepted and ignored). {@link DualPic} wires two of
 * these into the PC pair.
 */
public final class Pic8259 implements BusDevice {
    /** Ports per chip: command and data. */
    public static final int SIZE = 2;
    public static final int COMMAND = 0;
    public static final int DATA = 1;

    // ICW1 (command port, bit 4 set). 8259A datasheet, "Initialization command words".
    public static final int ICW1_INIT = 0x10;
    public static final int ICW1_IC4 = 0x01;  // ICW4 follows
    public static final int ICW1_SNGL = 0x02; // single chip: no ICW3
    public static final int ICW1_ADI = 0x04;  // call address interval (8080 only, ignored)
    public static final int ICW1_LTIM = 0x08; // level-triggered inputs

    // ICW4.
    public static final int ICW4_8086 = 0x01; // µPM: 8086 mode (the only one emulated)
    public static final int ICW4_AEOI = 0x02; // automatic end of interrupt
    public static final int ICW4_MS = 0x04;   // buffered master/slave (ignored)
    public static final int ICW4_BUF = 0x08;  // buffered mode (ignored)
    public static final int ICW4_SFNM = 0x10; // special fully nested mode

    // OCW2 (command port, bits 4-3 = 00): R, SL, EOI in bits 7-5, level in bits 2-0.
    public static final int OCW2_ROTATE_AEOI_CLEAR = 0x00;
    public static final int OCW2_EOI = 0x20;           // non-specific EOI
    public static final int OCW2_NOP = 0x40;
    public static final int OCW2_SPECIFIC_EOI = 0x60;
    public static final int OCW2_ROTATE_AEOI_SET = 0x80;
    public static final int OCW2_ROTATE_EOI = 0xA0;    // rotate on non-specific EOI
    public static final int OCW2_SET_PRIORITY = 0xC0;  // level becomes the lowest priority
    public static final int OCW2_ROTATE_SPECIFIC_EOI = 0xE0;

    // OCW3 (command port, bits 4-3 = 01).
    public static final int OCW3 = 0x08;
    public static final int OCW3_READ_IRR = 0x02;
    public static final int OCW3_READ_ISR = 0x03;
    public static final int OCW3_POLL = 0x04;
    public static final int OCW3_SMM_RESET = 0x40;
    public static final int OCW3_SMM_SET = 0x60;
    private static final int OCW3_RR = 0x02;   // read register command valid
    private static final int OCW3_ESMM = 0x40; // special mask mode command valid

    /** The poll word: bit 7 set when a request was found, level in bits 2-0. */
    public static final int POLL_REQUEST = 0x80;
    /** The IR level whose vector a spurious INTA cycle returns. */
    public static final int SPURIOUS_IRQ = 7;
    /** The master's input the slave's INT output drives on a PC. */
    public static final int CASCADE_IRQ = 2;

    // Initialization sequence position (what the next data-port write means).
    private static final int READY = 0;
    private static final int WANT_ICW2 = 1;
    private static final int WANT_ICW3 = 2;
    private static final int WANT_ICW4 = 3;

    private final Object lock;
    private final boolean master;
    private final IrqLine intr;
    private final int elcrMask;
    private final IrqLine[] inputs = new IrqLine[8];

    private int irr;
    private int imr;
    private int isr;
    /** Input levels as last seen, for edge detection. */
    private int lastLevels;
    private int elcr;
    /** The IR level with the highest priority (0 unless rotated). */
    private int priorityAdd;
    private int vectorBase;
    private boolean readIsr;
    private boolean poll;
    private boolean specialMask;
    private int initState;
    private boolean autoEoi;
    private boolean rotateOnAutoEoi;
    private boolean specialFullyNested;
    private boolean icw4Needed;
    private boolean singleMode;
    private boolean levelTriggered;
    private boolean intrLevel;

    /**
     * @param master true for a master (special fully nested mode ignores its cascade input)
     * @param intr the INT output
     * @param elcrMask the ELCR bits that exist (PIIX: 0xF8 master, 0xDE slave)
     */
    public Pic8259(boolean master, IrqLine intr, int elcrMask) {
        this(master, intr, elcrMask, null);
    }

    /** A chip whose state shares {@code lock} with its partner (see {@link DualPic}). */
    Pic8259(boolean master, IrqLine intr, int elcrMask, Object lock) {
        this.master = master;
        this.intr = Objects.requireNonNull(intr, "intr");
        this.elcrMask = elcrMask & 0xFF;
        this.lock = lock != null ? lock : this;
        for (int n = 0; n < 8; n++) {
            int bit = 1 << n;
            inputs[n] = high -> setInput(bit, high);
        }
    }

    /** Power-on / machine reset: ELCR cleared, then the ICW1 reset. */
    public void reset() {
        synchronized (lock) {
            elcr = 0;
            levelTriggered = false;
            initReset();
            updateOutput();
        }
    }

    private void initReset() {
        // What ICW1 resets (QEMU's pic_reset_common); ELCR and LTIM are not touched here.
        lastLevels = 0;
        irr &= elcr;
        imr = 0;
        isr = 0;
        priorityAdd = 0;
        vectorBase = 0;
        readIsr = false;
        poll = false;
        specialMask = false;
        initState = READY;
        autoEoi = false;
        rotateOnAutoEoi = false;
        specialFullyNested = false;
        icw4Needed = false;
        singleMode = false;
    }

    /** The request input {@code n} (0-7) for a device to drive. */
    public IrqLine irq(int n) {
        return inputs[Objects.checkIndex(n, 8)];
    }

    private void setInput(int bit, boolean high) {
        synchronized (lock) {
            if ((elcr & bit) != 0 || levelTriggered) {
                if (high) {
                    irr |= bit;
                    lastLevels |= bit;
                } else {
                    irr &= ~bit;
                    lastLevels &= ~bit;
                }
            } else if (high) {
                if ((lastLevels & bit) == 0) {
                    irr |= bit; // rising edge
                }
                lastLevels |= bit;
            } else {
                lastLevels &= ~bit;
            }
            updateOutput();
        }
    }

    // ---- priority resolution -------------------------------------------------------------------

    /** Priority rank (0 = highest) of the best bit in {@code mask}, or 8 if none. */
    private int bestPriority(int mask) {
        if (mask == 0) {
            return 8;
        }
        int p = 0;
        while ((mask & (1 << ((p + priorityAdd) & 7))) == 0) {
            p++;
        }
        return p;
    }

    /** The IR level the chip wants to signal, or -1. */
    private int pendingIrq() {
        int p = bestPriority(irr & ~imr);
        if (p == 8) {
            return -1;
        }
        int inService = isr;
        if (specialMask) {
            inService &= ~imr; // masked levels in service do not inhibit lower ones
        }
        if (specialFullyNested && master) {
            inService &= ~(1 << CASCADE_IRQ); // the slave may nest inside its own service
        }
        return p < bestPriority(inService) ? (p + priorityAdd) & 7 : -1;
    }

    private void updateOutput() {
        boolean level = pendingIrq() >= 0;
        if (level != intrLevel) {
            intrLevel = level;
            intr.setLevel(level);
        }
    }

    /** True while the INT output is high. */
    public boolean interruptPending() {
        synchronized (lock) {
            return pendingIrq() >= 0;
        }
    }

    /** The INTA cycle's bookkeeping for level {@code irq}: ISR set (or AEOI), edge request consumed. */
    private void intack(int irq) {
        int bit = 1 << irq;
        if (autoEoi) {
            if (rotateOnAutoEoi) {
                priorityAdd = (irq + 1) & 7;
            }
        } else {
            isr |= bit;
        }
        if ((elcr & bit) == 0 && !levelTriggered) {
            irr &= ~bit; // a level-triggered request stays until the device drops it
        }
        updateOutput();
    }

    /**
     * The INTA cycle's first half, with the lock held: returns the IR level acknowledged, or -1
     * (a spurious cycle that touches nothing) when nothing is requesting any more.
     */
    int acknowledgeLevel() {
        int irq = pendingIrq();
        if (irq < 0) {
            return -1;
        }
        intack(irq);
        return irq;
    }

    /** The INTA cycle of a chip used alone: returns the vector the CPU would read. */
    public int acknowledge() {
        synchronized (lock) {
            int irq = acknowledgeLevel();
            return vectorBase + (irq < 0 ? SPURIOUS_IRQ : irq);
        }
    }

    // ---- bus interface ----------------------------------------------------------------------

    // Registers are one byte wide; a wider access covers consecutive ports (QEMU splits it).

    @Override
    public long read(long offset, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            long o = offset + i;
            long b = o < SIZE ? readRegister((int) o) : 0xFF;
            v |= b << (8 * i);
        }
        return v;
    }

    @Override
    public void write(long offset, int size, long value) {
        for (int i = 0; i < size && offset + i < SIZE; i++) {
            writeRegister((int) (offset + i), (int) (value >>> (8 * i)) & 0xFF);
        }
    }

    int readRegister(int port) {
        synchronized (lock) {
            if (poll) {
                // The poll command turns the next read into an INTA cycle without a vector.
                poll = false;
                int irq = pendingIrq();
                if (irq < 0) {
                    return 0;
                }
                intack(irq);
                return POLL_REQUEST | irq;
            }
            if (port == COMMAND) {
                return readIsr ? isr : irr;
            }
            return imr;
        }
    }

    void writeRegister(int port, int value) {
        synchronized (lock) {
            if (port == COMMAND) {
                if ((value & ICW1_INIT) != 0) {
                    writeIcw1(value);
                } else if ((value & 0x18) == OCW3) {
                    writeOcw3(value);
                } else {
                    writeOcw2(value);
                }
            } else {
                writeData(value);
            }
        }
    }

    private void writeIcw1(int value) {
        initReset();
        initState = WANT_ICW2;
        icw4Needed = (value & ICW1_IC4) != 0;
        singleMode = (value & ICW1_SNGL) != 0;
        levelTriggered = (value & ICW1_LTIM) != 0;
        updateOutput();
    }

    private void writeData(int value) {
        switch (initState) {
            case WANT_ICW2 -> {
                vectorBase = value & 0xF8;
                initState = singleMode ? (icw4Needed ? WANT_ICW4 : READY) : WANT_ICW3;
            }
            case WANT_ICW3 -> initState = icw4Needed ? WANT_ICW4 : READY; // cascade wiring is fixed
            case WANT_ICW4 -> {
                specialFullyNested = (value & ICW4_SFNM) != 0;
                autoEoi = (value & ICW4_AEOI) != 0;
                initState = READY;
            }
            default -> { // OCW1
                imr = value;
                updateOutput();
            }
        }
    }

    private void writeOcw2(int value) {
        int level = value & 7;
        switch (value & 0xE0) {
            case OCW2_ROTATE_AEOI_CLEAR -> rotateOnAutoEoi = false;
            case OCW2_ROTATE_AEOI_SET -> rotateOnAutoEoi = true;
            case OCW2_EOI, OCW2_ROTATE_EOI -> {
                int p = bestPriority(isr);
                if (p != 8) {
                    int irq = (p + priorityAdd) & 7;
                    isr &= ~(1 << irq);
                    if ((value & 0xE0) == OCW2_ROTATE_EOI) {
                        priorityAdd = (irq + 1) & 7;
                    }
                    updateOutput();
                }
            }
            case OCW2_SPECIFIC_EOI -> {
                isr &= ~(1 << level);
                updateOutput();
            }
            case OCW2_SET_PRIORITY -> {
                priorityAdd = (level + 1) & 7;
                updateOutput();
            }
            case OCW2_ROTATE_SPECIFIC_EOI -> {
                isr &= ~(1 << level);
                priorityAdd = (level + 1) & 7;
                updateOutput();
            }
            default -> { } // OCW2_NOP
        }
    }

    private void writeOcw3(int value) {
        if ((value & OCW3_POLL) != 0) {
            poll = true;
        }
        if ((value & OCW3_RR) != 0) {
            readIsr = (value & 1) != 0;
        }
        if ((value & OCW3_ESMM) != 0) {
            specialMask = (value & 0x20) != 0;
            updateOutput();
        }
    }

    // ---- ELCR and machine-side access -----------------------------------------------------------

    /** The edge/level control register (PIIX ELCR1/ELCR2): a set bit makes that input level-triggered. */
    public int elcr() {
        synchronized (lock) {
            return elcr;
        }
    }

    public void setElcr(int value) {
        synchronized (lock) {
            elcr = value & elcrMask;
        }
    }

    /** Sets IMR as an OCW1 would (what firmware leaves behind, e.g. SeaBIOS's 0xB8 / 0x8E). */
    public void setMask(int mask) {
        writeRegister(DATA, mask & 0xFF);
    }

    public int imr() {
        synchronized (lock) {
            return imr;
        }
    }

    public int irr() {
        synchronized (lock) {
            return irr;
        }
    }

    public int isr() {
        synchronized (lock) {
            return isr;
        }
    }

    public int vectorBase() {
        synchronized (lock) {
            return vectorBase;
        }
    }

    public boolean isMaster() {
        return master;
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return String.format("pic%s irr=%02x imr=%02x isr=%02x base=%02x prio=%d elcr=%02x",
                    master ? "0" : "1", irr, imr, isr, vectorBase, priorityAdd, elcr);
        }
    }
}
