package dev.ukemu.loader.acpi;

import dev.ukemu.core.memory.MemoryLayout;

/**
 * What the ACPI tables describe of the machine.
 *
 * @param cpuCount      vCPUs; CPU {@code i} has ACPI processor UID {@code i} and APIC ID {@code i}
 * @param firstX2apicId the lowest APIC ID described by a Processor Local x2APIC structure (type 9)
 *                      rather than a Processor Local APIC (type 0). ACPI requires 255, the first ID
 *                      an 8-bit field cannot hold ({@link #X2APIC_ID_MIN}); a lower value is for
 *                      tests of x2APIC-only readers (newer Linux ignores x2APIC entries below 255
 *                      when type 0 entries exist)
 * @param levelIrqMask  ISA IRQs (bit {@code n} = IRQ {@code n}) that are level-triggered and active
 *                      high like PCI interrupts, each declared by an interrupt source override to the
 *                      same GSI. Always includes the SCI (IRQ 9). QEMU declares 5, 9, 10 and 11, the
 *                      PIIX PCI link targets; add those a PCI device actually uses.
 */
public record AcpiConfig(int cpuCount, int firstX2apicId, int levelIrqMask) {
    /** The I/O APIC ID is the CPU count and must fit in a byte without being the broadcast 0xFF. */
    public static final int MAX_CPUS = 254;
    public static final int X2APIC_ID_MIN = 255;
    public static final int ISA_IRQS = 16;
    /** The SCI of the PIIX4 PM function. */
    public static final int SCI_IRQ = Fadt.SCI_IRQ;
    /** IRQs that cannot be level overrides: 0 has its own (to GSI 2), 2 is the PIC cascade. */
    private static final int NOT_LEVEL = (1 << 0) | (1 << 2);

    static final long LAPIC_BASE = MemoryLayout.LAPIC_BASE;
    static final long IOAPIC_BASE = MemoryLayout.IOAPIC_BASE;
    /** The one I/O APIC's pins are GSIs 0..23. */
    static final int IOAPIC_GSI_BASE = 0;

    public AcpiConfig {
        if (cpuCount < 1 || cpuCount > MAX_CPUS) {
            throw new IllegalArgumentException("CPU count must be between 1 and " + MAX_CPUS + ": " + cpuCount);
        }
        if (firstX2apicId < 0 || firstX2apicId > X2APIC_ID_MIN) {
            throw new IllegalArgumentException("first x2APIC ID must be between 0 and 255: " + firstX2apicId);
        }
        if ((levelIrqMask & ~0xFFFF) != 0 || (levelIrqMask & NOT_LEVEL) != 0) {
            throw new IllegalArgumentException(String.format(
                    "level IRQ mask 0x%x names IRQ 0, 2 or one above 15", levelIrqMask));
        }
        levelIrqMask |= 1 << SCI_IRQ;
    }

    /** {@code cpuCount} CPUs with xAPIC entries up to APIC ID 254, and only the SCI level-triggered. */
    public AcpiConfig(int cpuCount) {
        this(cpuCount, X2APIC_ID_MIN, 1 << SCI_IRQ);
    }

    /** This configuration with IRQs {@code irqs} also declared level-triggered, active high. */
    public AcpiConfig withLevelIrqs(int... irqs) {
        int mask = levelIrqMask;
        for (int irq : irqs) {
            if (irq < 0 || irq >= ISA_IRQS) {
                throw new IllegalArgumentException("not an ISA IRQ: " + irq);
            }
            mask |= 1 << irq;
        }
        return new AcpiConfig(cpuCount, firstX2apicId, mask);
    }

    /** This configuration with x2APIC entries from APIC ID {@code id} on. */
    public AcpiConfig withFirstX2apicId(int id) {
        return new AcpiConfig(cpuCount, id, levelIrqMask);
    }

    /** The APIC ID of CPU {@code index}: the index, so IDs run 0..N-1 in table order. */
    public int apicId(int index) {
        return index;
    }

    /**
     * The I/O APIC's ID: the first after the CPUs', so it collides with no local APIC ID (QEMU's
     * MADT says 0). The machine's I/O APIC must report the same ID in its ID register.
     */
    public int ioApicId() {
        return cpuCount;
    }
}
