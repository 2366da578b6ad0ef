package dev.ukemu.loader.acpi;

/**
 * The Multiple APIC Description Table (ACPI 6.5 section 5.2.12), signature {@code APIC}: the
 * interrupt controllers, as QEMU's {@code acpi_build_madt} ({@code hw/i386/acpi-common.c})
 * describes a {@code pc} machine. Unikraft takes its CPU list from here and requires the APIC IDs
 * to be 0..N-1 in table order; Linux also takes the I/O APIC and the ISA overrides.
 */
final class Madt {
    static final String SIGNATURE_VALUE = "APIC";
    /** Revision 3 (ACPI 4.0, which added the x2APIC structures), as current QEMU. */
    static final int REVISION_VALUE = 3;

    /** Offsets after the header. */
    static final int LOCAL_APIC_ADDRESS = 36, FLAGS = 40, ENTRIES = 44;
    /** Table 5.20: the machine also has dual 8259 PICs. */
    static final int PCAT_COMPAT = 1;

    /** Table 5.21: structure types, and the sizes of those used here. */
    static final int TYPE_LOCAL_APIC = 0, TYPE_IO_APIC = 1, TYPE_INTERRUPT_OVERRIDE = 2,
            TYPE_LOCAL_APIC_NMI = 4, TYPE_LOCAL_X2APIC = 9, TYPE_LOCAL_X2APIC_NMI = 0x0A;
    static final int LOCAL_APIC_SIZE = 8, IO_APIC_SIZE = 12, INTERRUPT_OVERRIDE_SIZE = 10,
            LOCAL_APIC_NMI_SIZE = 6, LOCAL_X2APIC_SIZE = 16, LOCAL_X2APIC_NMI_SIZE = 12;

    /** Table 5.23, also used by the x2APIC structure: the processor is usable. */
    static final int LAPIC_ENABLED = 1;
    /** Table 5.26 MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2; 0 = bus default. */
    static final int INTI_CONFORMS = 0, INTI_ACTIVE_HIGH = 0b01, INTI_LEVEL = 0b11 << 2;
    static final int INTI_LEVEL_ACTIVE_HIGH = INTI_LEVEL | INTI_ACTIVE_HIGH;
    /** ISA IRQ 0 (the PIT) arrives on I/O APIC pin 2 on a PC. */
    static final int PIT_IRQ = 0, PIT_GSI = 2;
    /** ISA bus, the only source bus an override names. */
    static final int BUS_ISA = 0;
    /** "All processors" in the NMI structures, and the LINT pin NMI arrives on. */
    static final int ALL_PROCESSORS = 0xFF;
    static final long ALL_PROCESSORS_X2APIC = 0xFFFF_FFFFL;
    static final int LINT1 = 1;

    private Madt() {
    }

    static byte[] build(AcpiConfig cfg) {
        TableBuilder t = TableBuilder.sdt(SIGNATURE_VALUE, REVISION_VALUE)
                .u32(AcpiConfig.LAPIC_BASE)
                .u32(PCAT_COMPAT);
        boolean anyX2apic = false;
        for (int cpu = 0; cpu < cfg.cpuCount(); cpu++) {
            int apicId = cfg.apicId(cpu);
            int uid = cpu;
            if (apicId < cfg.firstX2apicId()) {
                t.u8(TYPE_LOCAL_APIC).u8(LOCAL_APIC_SIZE).u8(uid).u8(apicId).u32(LAPIC_ENABLED);
            } else {
                anyX2apic = true;
                t.u8(TYPE_LOCAL_X2APIC).u8(LOCAL_X2APIC_SIZE).u16(0)
                        .u32(apicId).u32(LAPIC_ENABLED).u32(uid);
            }
        }
        t.u8(TYPE_IO_APIC).u8(IO_APIC_SIZE).u8(cfg.ioApicId()).u8(0)
                .u32(AcpiConfig.IOAPIC_BASE).u32(AcpiConfig.IOAPIC_GSI_BASE);
        override(t, PIT_IRQ, PIT_GSI, INTI_CONFORMS);
        for (int irq = 1; irq < AcpiConfig.ISA_IRQS; irq++) {
            if ((cfg.levelIrqMask() & (1 << irq)) != 0) {
                override(t, irq, irq, INTI_LEVEL_ACTIVE_HIGH);
            }
        }
        t.u8(TYPE_LOCAL_APIC_NMI).u8(LOCAL_APIC_NMI_SIZE).u8(ALL_PROCESSORS).u16(0).u8(LINT1);
        if (anyX2apic) {
            // QEMU writes only this one once any CPU needs an x2APIC entry; both together cover
            // the processors of either kind.
            t.u8(TYPE_LOCAL_X2APIC_NMI).u8(LOCAL_X2APIC_NMI_SIZE).u16(0)
                    .u32(ALL_PROCESSORS_X2APIC).u8(LINT1).zeros(3);
        }
        return t.finish();
    }

    private static void override(TableBuilder t, int irq, int gsi, int flags) {
        t.u8(TYPE_INTERRUPT_OVERRIDE).u8(INTERRUPT_OVERRIDE_SIZE).u8(BUS_ISA).u8(irq).u32(gsi).u16(flags);
    }
}
