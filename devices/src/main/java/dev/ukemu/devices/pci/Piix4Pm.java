package dev.ukemu.devices.pci;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.BusDevice;

/**
 * The PIIX4 power-management function at 00:01.3 (Intel 82371AB function 3,
 * {@code hw/acpi/piix4.c}). Its PMBA register (0x40) places the ACPI register block on the port
 * bus, and PMREGMISC bit 0 (0x80) turns that decoding on, so the guest may move the block just
 * as under QEMU. The SCI is wired to ISA IRQ 9 outside PCI's INTx routing; the interrupt line
 * register only tells the guest so.
 */
public final class Piix4Pm extends PciDevice {
    public static final int VENDOR_INTEL = 0x8086;
    public static final int DEVICE_ID_82371AB_3 = 0x7113;
    public static final int REVISION = 0x03;
    public static final int CLASS_BRIDGE_OTHER = 0x068000;
    /** Power management base address (PMBA); bit 0 reads as 1 (I/O space indicator). */
    public static final int PMBA = 0x40;
    /** PMREGMISC: bit 0 enables the PM I/O block. */
    public static final int PMREGMISC = 0x80, PMIOSE = 0x01;
    /** SMBus base (SMBBA) and host configuration (SMBHSTCFG). */
    public static final int SMBBA = 0x90, SMBHSTCFG = 0xD2;
    /** The base is 64-byte aligned (PMBA bits 15:6). */
    public static final int PM_BASE_MASK = 0xFFC0;

    private final Bus ports;
    private final BusDevice pm;
    private final int pmSize;
    private long mappedAt = UNMAPPED;

    /**
     * @param ports the port bus the block appears on
     * @param pm the ACPI PM register block (PM1 event, control, timer), {@code pmSize} bytes
     */
    public Piix4Pm(Bus ports, BusDevice pm, int pmSize) {
        super("PIIX4 PM", VENDOR_INTEL, DEVICE_ID_82371AB_3, REVISION, CLASS_BRIDGE_OTHER, HEADER_TYPE_NORMAL);
        this.ports = ports;
        this.pm = pm;
        this.pmSize = pmSize;
        setByte(INTERRUPT_PIN, INTERRUPT_PIN_A);
        resetRegisters();
        setWritable(PMBA, 4, false);
        setWritable(PMBA, 2, true);
    }

    private void resetRegisters() {
        setLong(PMBA, 0x01);
        setByte(PMREGMISC, 0);
        setLong(SMBBA, 0x01);
    }

    @Override
    protected void configWritten(int reg, int size) {
        // Bit 0 of PMBA is hard-wired; bits 5:1 are reserved zeros.
        setWord(PMBA, (word(PMBA) & PM_BASE_MASK) | 0x01);
        if ((reg < PMBA + 4 && reg + size > PMBA) || (reg <= PMREGMISC && reg + size > PMREGMISC)) {
            remap();
        }
    }

    /** Where the PM block decodes now, or {@link #UNMAPPED}. */
    public synchronized long pmBase() {
        return mappedAt;
    }

    private void remap() {
        long want = (byteAt(PMREGMISC) & PMIOSE) != 0 ? word(PMBA) & PM_BASE_MASK : UNMAPPED;
        if (want == mappedAt) {
            return;
        }
        if (mappedAt != UNMAPPED) {
            ports.unregister(mappedAt, pm);
            mappedAt = UNMAPPED;
        }
        if (want != UNMAPPED && want != 0) {
            try {
                ports.register(want, pmSize, pm, "ACPI PM (PIIX4)");
                mappedAt = want;
            } catch (IllegalArgumentException e) {
                // Another device owns those ports: the block stays unreachable, as the guest asked for
                // a conflicting place.
            }
        }
    }

    @Override
    public void reset() {
        super.reset();
        synchronized (this) {
            resetRegisters();
            remap();
        }
    }
}
