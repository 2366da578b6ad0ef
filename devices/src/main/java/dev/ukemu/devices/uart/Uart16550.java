package dev.ukemu.devices.uart;

import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.core.irq.IrqLine;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A 16550A UART at offsets 0–7 of its range (COM1 sits at 0x3F8, IRQ 4).
 *
 * <p>Transmission is instantaneous: a byte written to THR goes straight to the output stream (or,
 * in loopback mode, into the receiver), so LSR always shows THRE and TEMT to a polling guest.
 * Reception is fed from another thread through {@link #receive(int)} (a line: bytes beyond the
 * FIFO are lost and set OE) or {@link #offer(byte[], int, int)} (back-pressure: only what fits is
 * taken; wait for room with {@link #awaitRxSpace(long, TimeUnit)}).
 *
 * <p>Interrupt output follows a PC: the INTR pin reaches the interrupt controller only while
 * MCR.OUT2 is set and loopback is off (loopback forces the modem outputs inactive). The reset
 * value of MCR has OUT2 set, as QEMU's, so guests written against QEMU get interrupts without
 * touching MCR. There is no baud-rate timing, so the receive-timeout interrupt (CTI) is signalled
 * as soon as a batch of input leaves the FIFO below its trigger level, as if the line went idle.
 *
 * <p>Behaviour follows the PC16550D datasheet and QEMU's {@code hw/char/serial.c}.
 */
public final class Uart16550 implements BusDevice {
    /** Number of byte registers the UART decodes. */
    public static final int SIZE = 8;
    /** The standard 1.8432 MHz crystal divided by 16: the baud rate of divisor 1. */
    public static final int BAUD_BASE = 115_200;
    /** Depth of the receive FIFO on a 16550A. */
    public static final int FIFO_SIZE = 16;

    // Register offsets (PC16550D table 2). Reads and writes of offsets 0-2 reach different registers.
    public static final int RBR = 0; // receiver buffer (read, DLAB=0)
    public static final int THR = 0; // transmitter holding (write, DLAB=0)
    public static final int DLL = 0; // divisor latch low (DLAB=1)
    public static final int IER = 1; // interrupt enable (DLAB=0)
    public static final int DLM = 1; // divisor latch high (DLAB=1)
    public static final int IIR = 2; // interrupt identification (read)
    public static final int FCR = 2; // FIFO control (write)
    public static final int LCR = 3; // line control
    public static final int MCR = 4; // modem control
    public static final int LSR = 5; // line status
    public static final int MSR = 6; // modem status
    public static final int SCR = 7; // scratch

    // IER: interrupt sources enabled.
    public static final int IER_ERBFI = 0x01; // received data available (and timeout)
    public static final int IER_ETBEI = 0x02; // transmitter holding register empty
    public static final int IER_ELSI = 0x04;  // receiver line status
    public static final int IER_EDSSI = 0x08; // modem status
    private static final int IER_MASK = 0x0F;

    // IIR: bit 0 clear = interrupt pending; bits 1-3 = source; bits 6-7 = FIFOs enabled.
    public static final int IIR_NO_INT = 0x01;
    public static final int IIR_MSI = 0x00;  // modem status (priority 4)
    public static final int IIR_THRI = 0x02; // THR empty (priority 3)
    public static final int IIR_RDI = 0x04;  // received data available (priority 2)
    public static final int IIR_RLSI = 0x06; // receiver line status (priority 1)
    public static final int IIR_CTI = 0x0C;  // character timeout (priority 2)
    public static final int IIR_ID_MASK = 0x0F;
    public static final int IIR_FIFO_ENABLED = 0xC0;

    // FCR: write-only.
    public static final int FCR_FE = 0x01;  // FIFO enable
    public static final int FCR_RFR = 0x02; // clear receive FIFO
    public static final int FCR_XFR = 0x04; // clear transmit FIFO
    public static final int FCR_DMS = 0x08; // DMA mode select
    public static final int FCR_ITL_MASK = 0xC0; // receive trigger level: 1, 4, 8, 14 bytes
    private static final int FCR_STICKY = FCR_ITL_MASK | FCR_DMS | FCR_FE;

    // LCR.
    public static final int LCR_DLAB = 0x80; // divisor latch access
    public static final int LCR_BREAK = 0x40;

    // MCR.
    public static final int MCR_DTR = 0x01;
    public static final int MCR_RTS = 0x02;
    public static final int MCR_OUT1 = 0x04;
    public static final int MCR_OUT2 = 0x08; // on a PC, enables the UART's IRQ buffer
    public static final int MCR_LOOP = 0x10;
    private static final int MCR_MASK = 0x1F;

    // LSR.
    public static final int LSR_DR = 0x01;   // data ready
    public static final int LSR_OE = 0x02;   // overrun error
    public static final int LSR_PE = 0x04;   // parity error
    public static final int LSR_FE = 0x08;   // framing error
    public static final int LSR_BI = 0x10;   // break interrupt
    public static final int LSR_THRE = 0x20; // THR empty
    public static final int LSR_TEMT = 0x40; // transmitter (THR and shift register) empty
    public static final int LSR_RX_FIFO_ERROR = 0x80;
    /** The bits a read of LSR clears, and the ones that raise a line-status interrupt. */
    private static final int LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI;

    // MSR: bits 4-7 are the input lines, bits 0-3 record changes since the last MSR read.
    public static final int MSR_DCTS = 0x01;
    public static final int MSR_DDSR = 0x02;
    public static final int MSR_TERI = 0x04; // RI went from on to off
    public static final int MSR_DDCD = 0x08;
    public static final int MSR_CTS = 0x10;
    public static final int MSR_DSR = 0x20;
    public static final int MSR_RI = 0x40;
    public static final int MSR_DCD = 0x80;
    private static final int MSR_DELTAS = 0x0F;
    private static final int MSR_LINES = 0xF0;

    // Reset values (QEMU's serial_reset): 9600 baud, 8N1 is left to the guest, OUT2 set.
    private static final int RESET_DIVISOR = 0x0C;
    private static final int RESET_MCR = MCR_OUT2;
    /** What an unconnected-but-ready host side shows on the modem inputs (QEMU's default). */
    public static final int DEFAULT_MODEM_LINES = MSR_DCD | MSR_DSR | MSR_CTS;

    private final IrqLine irq;
    private final OutputStream out;

    private int divisor;
    private int ier;
    private int fcr;
    private int lcr;
    private int mcr;
    /** Read without the lock by {@link #read} for LSR polling; written only under the lock. */
    private volatile int lsr;
    private int msrLines;
    private int msrDeltas;
    private int externalLines = DEFAULT_MODEM_LINES;
    private int scr;

    private final byte[] rxFifo = new byte[FIFO_SIZE];
    private int rxHead;
    private int rxCount;
    private int rxTriggerLevel;
    /** The last byte received; what RBR shows when the holding register is empty without FIFO. */
    private int rbr;

    private boolean thrPending;
    private boolean timeoutPending;
    private int iirId = IIR_NO_INT;
    private boolean irqLevel;

    private int rxSpaceWaiters;
    private Runnable rxSpaceListener;
    private long txErrors;

    /**
     * @param irq the interrupt line (COM1: ISA IRQ 4), driven as a level
     * @param out where transmitted bytes go; each byte is followed by {@code flush()}
     */
    public Uart16550(IrqLine irq, OutputStream out) {
        this.irq = Objects.requireNonNull(irq, "irq");
        this.out = Objects.requireNonNull(out, "out");
        resetState();
    }

    /** Returns to the power-on state (a machine reset); the RX FIFO is emptied. */
    public synchronized void reset() {
        resetState();
        updateIrq();
        signalRxSpace();
    }

    private void resetState() {
        divisor = RESET_DIVISOR;
        ier = 0;
        fcr = 0;
        lcr = 0;
        mcr = RESET_MCR;
        lsr = LSR_THRE | LSR_TEMT;
        msrLines = externalLines;
        msrDeltas = 0;
        scr = 0;
        rxHead = 0;
        rxCount = 0;
        rxTriggerLevel = 1;
        rbr = 0;
        thrPending = false;
        timeoutPending = false;
        iirId = IIR_NO_INT;
    }

    // ---- bus interface ----------------------------------------------------------------------

    @Override
    public long read(long offset, int size) {
        // Registers are one byte wide: a wider access reads consecutive registers (QEMU splits it).
        if (size == 1) {
            int o = (int) offset;
            if (o == LSR) {
                int l = lsr;
                if ((l & LSR_ERRORS) == 0) {
                    return l; // the per-byte TX poll: no lock, no allocation
                }
            }
            return readRegister(o);
        }
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (long) readRegister((int) offset + i) << (8 * i);
        }
        return v;
    }

    @Override
    public void write(long offset, int size, long value) {
        for (int i = 0; i < size; i++) {
            writeRegister((int) offset + i, (int) (value >>> (8 * i)) & 0xFF);
        }
    }

    private synchronized int readRegister(int offset) {
        return switch (offset & 7) {
            case RBR -> (lcr & LCR_DLAB) != 0 ? divisor & 0xFF : readRbr();
            case IER -> (lcr & LCR_DLAB) != 0 ? divisor >>> 8 : ier;
            case IIR -> readIir();
            case LCR -> lcr;
            case MCR -> mcr;
            case LSR -> readLsr();
            case MSR -> readMsr();
            default -> scr;
        };
    }

    private synchronized void writeRegister(int offset, int value) {
        switch (offset & 7) {
            case THR -> {
                if ((lcr & LCR_DLAB) != 0) {
                    divisor = (divisor & 0xFF00) | value;
                } else {
                    transmit(value);
                }
            }
            case IER -> {
                if ((lcr & LCR_DLAB) != 0) {
                    divisor = (divisor & 0x00FF) | (value << 8);
                } else {
                    writeIer(value);
                }
            }
            case FCR -> writeFcr(value);
            case LCR -> lcr = value;
            case MCR -> writeMcr(value);
            case LSR, MSR -> { } // read-only (factory test registers on a real part)
            default -> scr = value;
        }
    }

    // ---- registers ----------------------------------------------------------------------------

    private int readRbr() {
        int b;
        if (rxCount > 0) {
            b = rxFifo[rxHead] & 0xFF;
            rxHead = (rxHead + 1) % FIFO_SIZE;
            rxCount--;
        } else {
            b = fifoEnabled() ? 0 : rbr;
        }
        if (rxCount == 0) {
            lsr &= ~(LSR_DR | LSR_BI);
        }
        // Reading restarts the character timer; with no line timing it expires at once, but the
        // line is dropped first so an edge-triggered controller sees a new interrupt.
        timeoutPending = false;
        updateIrq();
        if (armTimeout()) {
            updateIrq();
        }
        signalRxSpace();
        return b;
    }

    private int readIir() {
        int v = iirId | (fifoEnabled() ? IIR_FIFO_ENABLED : 0);
        if (iirId == IIR_THRI) {
            thrPending = false; // reading IIR acknowledges THRE when it is the reported source
            updateIrq();
        }
        return v;
    }

    private int readLsr() {
        int l = lsr;
        if ((l & LSR_ERRORS) != 0) {
            lsr = l & ~LSR_ERRORS;
            updateIrq();
        }
        return l;
    }

    private int readMsr() {
        int v = msrLines | msrDeltas;
        if (msrDeltas != 0) {
            msrDeltas = 0;
            updateIrq();
        }
        return v;
    }

    private void writeIer(int value) {
        int changed = (ier ^ value) & IER_MASK;
        ier = value & IER_MASK;
        // Enabling ETBEI while THR is empty raises THRE even if it was acknowledged before
        // (not in the datasheet; real parts and QEMU do it and Windows depends on it).
        if ((changed & IER_ETBEI) != 0) {
            thrPending = (ier & IER_ETBEI) != 0 && (lsr & LSR_THRE) != 0;
        }
        if (changed != 0) {
            updateIrq();
        }
    }

    private void writeFcr(int value) {
        if (((value ^ fcr) & FCR_FE) != 0) {
            value |= FCR_RFR | FCR_XFR; // toggling FIFO mode empties both FIFOs
        }
        if ((value & FCR_RFR) != 0) {
            rxHead = 0;
            rxCount = 0;
            lsr &= ~(LSR_DR | LSR_BI);
            timeoutPending = false;
            signalRxSpace();
        }
        if ((value & FCR_XFR) != 0) {
            // The TX FIFO is always empty here (bytes leave at once); clearing it shows THRE anew.
            lsr |= LSR_THRE | LSR_TEMT;
            thrPending = true;
        }
        fcr = value & FCR_STICKY;
        rxTriggerLevel = switch (fcr & FCR_ITL_MASK) {
            case 0x00 -> 1;
            case 0x40 -> 4;
            case 0x80 -> 8;
            default -> 14;
        };
        updateIrq();
    }

    private void writeMcr(int value) {
        boolean wasLoop = (mcr & MCR_LOOP) != 0;
        mcr = value & MCR_MASK;
        setModemInputs(currentModemInputs());
        updateIrq(); // OUT2 and LOOP gate the output pin
        if (wasLoop != ((mcr & MCR_LOOP) != 0)) {
            signalRxSpace(); // external input is held off in loopback
        }
    }

    private void transmit(int b) {
        // THR takes the byte (THRE acknowledged), the shifter sends it at once, THR is empty again.
        thrPending = false;
        updateIrq();
        if ((mcr & MCR_LOOP) != 0) {
            rxPut(b);
            armTimeout();
        } else {
            try {
                out.write(b);
                out.flush();
            } catch (IOException e) {
                txErrors++; // the guest cannot be stalled; the byte is lost as on a dead line
            }
        }
        thrPending = true;
        updateIrq();
    }

    // ---- receive path ---------------------------------------------------------------------------

    private boolean fifoEnabled() {
        return (fcr & FCR_FE) != 0;
    }

    private int rxCapacity() {
        return fifoEnabled() ? FIFO_SIZE : 1;
    }

    /** Puts one byte into the receiver with line semantics (overrun loses data and sets OE). */
    private void rxPut(int b) {
        rbr = b & 0xFF;
        if (rxCount < rxCapacity()) {
            rxFifo[(rxHead + rxCount) % FIFO_SIZE] = (byte) b;
            rxCount++;
        } else if (fifoEnabled()) {
            lsr |= LSR_OE; // a full FIFO keeps its contents; the new character is lost
        } else {
            rxFifo[rxHead] = (byte) b; // the holding register is overwritten
            lsr |= LSR_OE;
        }
        lsr |= LSR_DR;
    }

    /** Character-timeout indication, due when the FIFO holds data below its trigger level. */
    private boolean armTimeout() {
        if (fifoEnabled() && rxCount > 0 && rxCount < rxTriggerLevel) {
            timeoutPending = true;
            return true;
        }
        return false;
    }

    /**
     * One byte arrives on the serial line. If the receiver is full it is lost and LSR.OE is set,
     * as on real hardware. In loopback mode the line is disconnected and the byte is dropped.
     */
    public synchronized void receive(int b) {
        if ((mcr & MCR_LOOP) != 0) {
            return;
        }
        rxPut(b);
        armTimeout();
        updateIrq();
    }

    /** Bytes arrive on the serial line, with the overrun semantics of {@link #receive(int)}. */
    public synchronized void receive(byte[] data) {
        if ((mcr & MCR_LOOP) != 0 || data.length == 0) {
            return;
        }
        for (byte b : data) {
            rxPut(b);
        }
        armTimeout();
        updateIrq();
    }

    /**
     * Hands the guest as many of {@code data[off..off+len)} as the receiver has room for, without
     * ever overrunning, and returns how many were taken (0 when full or in loopback mode). A
     * feeder that gets fewer than {@code len} waits with {@link #awaitRxSpace} and offers the rest.
     */
    public synchronized int offer(byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, data.length);
        int n = Math.min(len, rxSpaceLocked());
        for (int i = 0; i < n; i++) {
            rxPut(data[off + i]);
        }
        if (n > 0) {
            armTimeout();
            updateIrq();
        }
        return n;
    }

    /** How many bytes {@link #offer} would accept now. */
    public synchronized int rxSpace() {
        return rxSpaceLocked();
    }

    /** True if {@link #offer} would accept at least one byte now. */
    public boolean canReceive() {
        return rxSpace() > 0;
    }

    private int rxSpaceLocked() {
        return (mcr & MCR_LOOP) != 0 ? 0 : rxCapacity() - rxCount;
    }

    /**
     * Blocks until the receiver has room (the guest read RBR, cleared the FIFO, left loopback or
     * reset the UART) or the timeout passes.
     *
     * @return true if there is room
     */
    public synchronized boolean awaitRxSpace(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        rxSpaceWaiters++;
        try {
            while (rxSpaceLocked() == 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return true;
        } finally {
            rxSpaceWaiters--;
        }
    }

    /**
     * Registers a callback run when the guest makes room in the receiver (for event-loop feeders
     * that do not block). It runs on the vCPU thread with the UART's lock held: it must not block;
     * calling {@link #offer} from it is allowed.
     */
    public synchronized void setRxSpaceListener(Runnable listener) {
        this.rxSpaceListener = listener;
    }

    private void signalRxSpace() {
        if (rxSpaceLocked() == 0) {
            return;
        }
        if (rxSpaceWaiters > 0) {
            notifyAll();
        }
        Runnable l = rxSpaceListener;
        if (l != null) {
            l.run();
        }
    }

    // ---- modem lines ------------------------------------------------------------------------------

    /**
     * Sets the modem input lines the far end drives (MSR bit positions: {@link #MSR_CTS},
     * {@link #MSR_DSR}, {@link #MSR_RI}, {@link #MSR_DCD}). Changes set the MSR delta bits and may
     * raise a modem-status interrupt; in loopback mode they take effect when loopback ends.
     */
    public synchronized void setModemLines(int lines) {
        externalLines = lines & MSR_LINES;
        setModemInputs(currentModemInputs());
        updateIrq();
    }

    private int currentModemInputs() {
        if ((mcr & MCR_LOOP) == 0) {
            return externalLines;
        }
        // Loopback wires the outputs to the inputs: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
        return ((mcr & MCR_RTS) != 0 ? MSR_CTS : 0)
                | ((mcr & MCR_DTR) != 0 ? MSR_DSR : 0)
                | ((mcr & MCR_OUT1) != 0 ? MSR_RI : 0)
                | ((mcr & MCR_OUT2) != 0 ? MSR_DCD : 0);
    }

    private void setModemInputs(int lines) {
        int changed = lines ^ msrLines;
        if (changed == 0) {
            return;
        }
        msrDeltas |= ((changed & (MSR_CTS | MSR_DSR | MSR_DCD)) >>> 4);
        if ((msrLines & MSR_RI) != 0 && (lines & MSR_RI) == 0) {
            msrDeltas |= MSR_TERI; // trailing edge of ring only
        }
        msrLines = lines;
    }

    // ---- interrupts -------------------------------------------------------------------------------

    private void updateIrq() {
        int id;
        int l = lsr;
        if ((ier & IER_ELSI) != 0 && (l & LSR_ERRORS) != 0) {
            id = IIR_RLSI;
        } else if ((ier & IER_ERBFI) != 0 && timeoutPending) {
            id = IIR_CTI;
        } else if ((ier & IER_ERBFI) != 0 && (l & LSR_DR) != 0
                && (!fifoEnabled() || rxCount >= rxTriggerLevel)) {
            id = IIR_RDI;
        } else if ((ier & IER_ETBEI) != 0 && thrPending) {
            id = IIR_THRI;
        } else if ((ier & IER_EDSSI) != 0 && msrDeltas != 0) {
            id = IIR_MSI;
        } else {
            id = IIR_NO_INT;
        }
        iirId = id;
        boolean level = id != IIR_NO_INT && (mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
        if (level != irqLevel) {
            irqLevel = level;
            irq.setLevel(level);
        }
    }

    // ---- observation (monitor, tests) ------------------------------------------------------------

    /** The programmed baud-rate divisor (DLM:DLL). */
    public synchronized int divisor() {
        return divisor;
    }

    /** The programmed baud rate, or 0 for divisor 0. */
    public synchronized int baudRate() {
        return divisor == 0 ? 0 : BAUD_BASE / divisor;
    }

    /** True while the UART drives its interrupt line high. */
    public synchronized boolean irqAsserted() {
        return irqLevel;
    }

    /** Bytes the output stream refused (each one an IOException). */
    public synchronized long txErrors() {
        return txErrors;
    }
}
