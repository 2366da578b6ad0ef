package dev.ukemu.devices.pic;

import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.core.irq.IrqLine;

import java.util.Objects;

/**
 * The PC/AT pair of 8259As: the master at ports 0x20/0x21 drives the CPU's INTR, the slave at
 * 0xA0/0xA1 drives the master's IR2, and the PIIX edge/level control registers ELCR1/ELCR2 sit
 * at 0x4D0/0x4D1. ISA IRQ {@code n} is master input {@code n} for 0-7 and slave input
 * {@code n-8} for 8-15; IRQ 2 is the cascade and has no device input.
 *
 * <p>Both chips share one lock, so a device raising a slave input, the cascade into the master,
 * and a vCPU's INTA cycle are each atomic. {@code intr.setLevel} is called with that lock held:
 * it must only flag the vCPU (never call back into the PIC or block).
 */
public final class DualPic {
    public static final int MASTER_PORT = 0x20;
    public static final int SLAVE_PORT = 0xA0;
    /** ELCR1 (master) at 0x4D0, ELCR2 (slave) at 0x4D1. */
    public static final int ELCR_PORT = 0x4D0;
    public static final int ELCR_SIZE = 2;
    /** PIIX ELCR bits that exist: IRQ 0, 1, 2, 8 and 13 are always edge-triggered. */
    public static final int MASTER_ELCR_MASK = 0xF8;
    public static final int SLAVE_ELCR_MASK = 0xDE;
    /** The interrupt masks SeaBIOS leaves (IRQ 0, 1, 2, 6 and 8, 12, 13, 14 open). */
    public static final int BIOS_MASTER_MASK = 0xB8;
    public static final int BIOS_SLAVE_MASK = 0x8E;
    /** The vector bases a BIOS programs (real-mode IVT layout). */
    public static final int BIOS_MASTER_BASE = 0x08;
    public static final int BIOS_SLAVE_BASE = 0x70;

    private final Object lock = new Object();
    private final Pic8259 master;
    private final Pic8259 slave;
    private final BusDevice elcrPorts = new ElcrPorts();

    /** @param intr the master's INT output (to the BSP's LAPIC LINT0 in ExtINT mode) */
    public DualPic(IrqLine intr) {
        master = new Pic8259(true, Objects.requireNonNull(intr, "intr"), MASTER_ELCR_MASK, lock);
        slave = new Pic8259(false, master.irq(Pic8259.CASCADE_IRQ), SLAVE_ELCR_MASK, lock);
    }

    public Pic8259 master() {
        return master;
    }

    public Pic8259 slave() {
        return slave;
    }

    /** The two ELCR ports (register at {@link #ELCR_PORT}, {@link #ELCR_SIZE} bytes). */
    public BusDevice elcrPorts() {
        return elcrPorts;
    }

    /** ISA IRQ {@code n} (0-15, not 2). */
    public IrqLine irq(int n) {
        Objects.checkIndex(n, 16);
        if (n == Pic8259.CASCADE_IRQ) {
            throw new IllegalArgumentException("IRQ 2 is the cascade from the slave PIC");
        }
        return n < 8 ? master.irq(n) : slave.irq(n - 8);
    }

    /** True while the master's INT output is high. */
    public boolean interruptPending() {
        synchronized (lock) {
            return master.interruptPending();
        }
    }

    /**
     * The CPU's INTA cycle: returns the vector, taking it from the slave when the master grants
     * IR2. A request that vanished yields the master's IR7 vector, or the slave's IR15 vector
     * (with the master's IR2 in service) when it vanished on the slave.
     */
    public int acknowledge() {
        synchronized (lock) {
            int irq = master.acknowledgeLevel();
            if (irq < 0) {
                return master.vectorBase() + Pic8259.SPURIOUS_IRQ;
            }
            if (irq != Pic8259.CASCADE_IRQ) {
                return master.vectorBase() + irq;
            }
            int irq2 = slave.acknowledgeLevel();
            return slave.vectorBase() + (irq2 < 0 ? Pic8259.SPURIOUS_IRQ : irq2);
        }
    }

    /** Machine reset: both chips return to their power-on state, ELCR cleared. */
    public void reset() {
        synchronized (lock) {
            master.reset();
            slave.reset();
        }
    }

    /**
     * Programs both chips as a BIOS does (ICW1 with ICW4, cascade on IR2, 8086 mode), leaving
     * the given vector bases and all inputs masked.
     */
    public void initialize(int masterBase, int slaveBase) {
        synchronized (lock) {
            master.write(0, 1, Pic8259.ICW1_INIT | Pic8259.ICW1_IC4);
            master.write(1, 1, masterBase);
            master.write(1, 1, 1 << Pic8259.CASCADE_IRQ);
            master.write(1, 1, Pic8259.ICW4_8086);
            slave.write(0, 1, Pic8259.ICW1_INIT | Pic8259.ICW1_IC4);
            slave.write(1, 1, slaveBase);
            slave.write(1, 1, Pic8259.CASCADE_IRQ);
            slave.write(1, 1, Pic8259.ICW4_8086);
            setMasks(0xFF, 0xFF);
        }
    }

    /** Writes both IMRs as a guest's OCW1 would. */
    public void setMasks(int masterMask, int slaveMask) {
        synchronized (lock) {
            master.setMask(masterMask);
            slave.setMask(slaveMask);
        }
    }

    private final class ElcrPorts implements BusDevice {
        @Override
        public long read(long offset, int size) {
            long v = 0;
            for (int i = 0; i < size; i++) {
                long o = offset + i;
                long b = o == 0 ? master.elcr() : o == 1 ? slave.elcr() : 0xFF;
                v |= b << (8 * i);
            }
            return v;
        }

        @Override
        public void write(long offset, int size, long value) {
            for (int i = 0; i < size; i++) {
                long o = offset + i;
                int b = (int) (value >>> (8 * i)) & 0xFF;
                if (o == 0) {
                    master.setElcr(b);
                } else if (o == 1) {
                    slave.setElcr(b);
                }
            }
        }
    }

    @Override
    public String toString() {
        return master + "; " + slave;
    }
}
