package dev.ukemu.devices.pci;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.BusDevice;
import java.util.Objects;

/**
 * PCI configuration mechanism #1 (PCI Local Bus 3.0, section 3.2.2.3.2) at ports 0xCF8-0xCFF,
 * as the i440FX host decodes it ({@code hw/pci/pci_host.c}): a dword write to CONFIG_ADDRESS at
 * 0xCF8 selects enable (bit 31), bus (23:16), device (15:11), function (10:8) and register
 * (7:2); 0xCFC-0xCFF then read and write that register in bytes, words or the whole dword.
 * With the enable bit clear the data port reads all ones.
 *
 * <p>Port 0xCF9 belongs to the PIIX reset control register: byte accesses there are forwarded to
 * it (QEMU overlays it on the address register the same way).
 */
public final class PciHost implements BusDevice {
    public static final int PORT = 0xCF8;
    public static final int SIZE = 8;
    public static final int CONFIG_ADDRESS = 0, CONFIG_DATA = 4;
    /** Offset of port 0xCF9 inside the range. */
    public static final int RESET_CONTROL = 1;
    public static final int ENABLE = 1 << 31;

    private final PciBus bus;
    private final BusDevice resetControl;
    private int address;

    /** @param resetControl the device behind byte accesses at 0xCF9 (its offset 0) */
    public PciHost(PciBus bus, BusDevice resetControl) {
        this.bus = Objects.requireNonNull(bus, "bus");
        this.resetControl = Objects.requireNonNull(resetControl, "resetControl");
    }

    public PciBus bus() {
        return bus;
    }

    /** Machine reset: the address register returns to 0. */
    public synchronized void reset() {
        address = 0;
    }

    @Override
    public long read(long offset, int size) {
        int o = (int) offset;
        if (o == RESET_CONTROL && size == 1) {
            return resetControl.read(0, 1);
        }
        int a;
        synchronized (this) {
            a = address;
        }
        if (o < CONFIG_DATA) {
            return (a >>> (8 * o)) & Bus.ones(size);
        }
        if ((a & ENABLE) == 0) {
            return Bus.ones(size);
        }
        int port = o & 3;
        int reg = (a & 0xFC) + port;
        int len = Math.min(size, PciDevice.CONFIG_SIZE - reg);
        long v = bus.configRead((a >>> 16) & 0xFF, (a >>> 8) & 0xFF, reg, len);
        return len < size ? v | (Bus.ones(size) & ~Bus.ones(len)) : v;
    }

    @Override
    public void write(long offset, int size, long value) {
        int o = (int) offset;
        if (o == RESET_CONTROL && size == 1) {
            resetControl.write(0, 1, value);
            return;
        }
        if (o < CONFIG_DATA) {
            if (o == CONFIG_ADDRESS && size == 4) {
                synchronized (this) {
                    address = (int) value;
                }
            }
            return; // QEMU ignores anything but a dword at 0xCF8
        }
        int a;
        synchronized (this) {
            a = address;
        }
        if ((a & ENABLE) == 0) {
            return;
        }
        int reg = (a & 0xFC) + (o & 3);
        int len = Math.min(size, PciDevice.CONFIG_SIZE - reg);
        bus.configWrite((a >>> 16) & 0xFF, (a >>> 8) & 0xFF, reg, len, value);
    }
}
