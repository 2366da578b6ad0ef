package dev.ukemu.devices.pci;

import dev.ukemu.core.irq.IrqLine;
import java.util.function.IntFunction;

/**
 * The PIIX3 PCI-to-ISA bridge at 00:01.0 (Intel 82371SB function 0, {@code hw/isa/piix.c}), and
 * with it the PC's PCI interrupt routing: device {@code slot}'s INTx pin {@code p} (0 = INTA)
 * drives PIRQ {@code (p + slot - 1) & 3}, and the PIRQ route control registers at 0x60-0x63 send
 * each PIRQ to an ISA IRQ (bit 7 set: not routed). Several sources on one PIRQ, and several
 * PIRQs on one IRQ, combine as a wired OR of levels.
 */
public final class Piix3IsaBridge extends PciDevice implements PciBus.IntxRouter {
    public static final int VENDOR_INTEL = 0x8086;
    public static final int DEVICE_ID_82371SB_0 = 0x7000;
    public static final int CLASS_BRIDGE_ISA = 0x060100;
    /** PIRQ[A-D] route control (82371SB datasheet, PIRQRC[A:D]). */
    public static final int PIRQ_ROUTE = 0x60;
    public static final int PIRQS = 4;
    public static final int PIRQ_DISABLED = 0x80;
    public static final int ISA_IRQS = 16;
    /** Status bit 9 value QEMU resets to (DEVSEL timing medium). */
    private static final int STATUS_DEVSEL_MEDIUM = 0x0200;

    private final IntFunction<IrqLine> isaIrq;
    private final IrqLine[] lines = new IrqLine[ISA_IRQS];
    /** Asserted INTx sources per PIRQ. */
    private final int[] asserted = new int[PIRQS];
    private final boolean[] driven = new boolean[ISA_IRQS];

    /** @param isaIrq ISA IRQ n as the PIC and I/O APIC see it */
    public Piix3IsaBridge(IntFunction<IrqLine> isaIrq) {
        super("PIIX3 ISA bridge", VENDOR_INTEL, DEVICE_ID_82371SB_0, 0, CLASS_BRIDGE_ISA, HEADER_TYPE_MULTI_FUNCTION);
        this.isaIrq = isaIrq;
        resetRegisters();
    }

    /** The PIRQ that {@code devfn}'s INTx {@code pin} (0 = INTA) drives (QEMU's pci_slot_get_pirq). */
    public static int pirq(int devfn, int pin) {
        return (pin + (devfn >> 3) - 1) & 3;
    }

    /** The ISA IRQ PIRQ {@code n} goes to now, or -1. */
    public synchronized int route(int n) {
        int r = byteAt(PIRQ_ROUTE + n);
        return r < ISA_IRQS ? r : -1;
    }

    @Override
    public synchronized void setLevel(int devfn, int pin, boolean level) {
        asserted[pirq(devfn, pin)] += level ? 1 : -1;
        updateIsa();
    }

    @Override
    protected void configWritten(int reg, int size) {
        if (reg < PIRQ_ROUTE + PIRQS && reg + size > PIRQ_ROUTE) {
            updateIsa();
        }
    }

    private void updateIsa() {
        boolean[] want = new boolean[ISA_IRQS];
        for (int p = 0; p < PIRQS; p++) {
            int irq = byteAt(PIRQ_ROUTE + p);
            if (irq < ISA_IRQS && asserted[p] > 0) {
                want[irq] = true;
            }
        }
        for (int irq = 0; irq < ISA_IRQS; irq++) {
            if (want[irq] != driven[irq]) {
                driven[irq] = want[irq];
                line(irq).setLevel(want[irq]);
            }
        }
    }

    private IrqLine line(int irq) {
        if (lines[irq] == null) {
            lines[irq] = isaIrq.apply(irq);
        }
        return lines[irq];
    }

    @Override
    public void reset() {
        super.reset();
        synchronized (this) {
            resetRegisters();
            updateIsa();
        }
    }

    /** QEMU's piix_reset values. */
    private void resetRegisters() {
        setWord(COMMAND, COMMAND_IO | COMMAND_MEMORY | COMMAND_MASTER);
        setWord(STATUS, STATUS_DEVSEL_MEDIUM);
        setByte(0x4C, 0x4D);
        setByte(0x4E, 0x03);
        setByte(0x4F, 0x00);
        for (int p = 0; p < PIRQS; p++) {
            setByte(PIRQ_ROUTE + p, PIRQ_DISABLED);
        }
        setByte(0x69, 0x02);
        setByte(0x70, 0x80);
        setByte(0x76, 0x0C);
        setByte(0x77, 0x0C);
        setByte(0x78, 0x02);
        setByte(0x79, 0x00);
        setByte(0x80, 0x00);
        setByte(0x82, 0x00);
        setByte(0xA0, 0x08);
        for (int r = 0xA2; r <= 0xA7; r++) {
            setByte(r, 0);
        }
        setByte(0xA8, 0x0F);
        setByte(0xAA, 0x00);
        setByte(0xAB, 0x00);
        setByte(0xAC, 0x00);
        setByte(0xAE, 0x00);
    }
}
