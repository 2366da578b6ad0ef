package dev.ukemu.devices.misc;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.core.machine.SystemControl;

import java.util.Objects;

/**
 * The PIIX reset control register at port 0xCF9 (QEMU's {@code rcr_write} in
 * {@code hw/isa/piix.c}): a write with RST_CPU (bit 2) set resets the machine, so 0x06 and
 * 0x0E (Linux's {@code reboot=pci}, the ACPI reset register QEMU's FADT names) both reset;
 * otherwise only SYS_RST (bit 1, hard reset) is kept and read back.
 *
 * <p>0xCF9 lies inside the PCI configuration address register (0xCF8, 4 bytes): the machine
 * must send byte accesses at 0xCF9 here and dword accesses at 0xCF8 to the PCI host bridge.
 */
public final class ResetControl implements BusDevice {
    public static final int PORT = 0xCF9;
    public static final int SIZE = 1;
    public static final int SYS_RST = 0x02;
    public static final int RST_CPU = 0x04;
    public static final int FULL_RST = 0x08;

    private final SystemControl system;
    private int value;

    public ResetControl(SystemControl system) {
        this.system = Objects.requireNonNull(system, "system");
    }

    /** Machine reset: the register returns to 0. */
    public synchronized void reset() {
        value = 0;
    }

    @Override
    public synchronized long read(long offset, int size) {
        return size == 1 ? value : value | (Bus.ones(size) & ~0xFFL);
    }

    @Override
    public synchronized void write(long offset, int size, long v) {
        if ((v & RST_CPU) != 0) {
            system.reset("reset control register 0xCF9");
            return;
        }
        value = (int) v & SYS_RST;
    }
}
