package dev.ukemu.devices.misc;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.core.irq.IrqLine;
import dev.ukemu.core.machine.SystemControl;

import java.util.Objects;

/**
 * System control port A at 0x92 ("fast A20 and reset", QEMU's {@code hw/i386/port92.c}): bit 1
 * drives the A20 gate, and a 0-to-1 transition of bit 0 resets the machine. Reads return the
 * last value written; the reset bit reads back as 0 after a reset. It starts with A20 on, as
 * SeaBIOS leaves it.
 */
public final class Port92 implements BusDevice {
    public static final int PORT = 0x92;
    public static final int SIZE = 1;
    public static final int FAST_RESET = 0x01;
    public static final int A20 = 0x02;

    private final SystemControl system;
    private final IrqLine a20;
    private int value = A20;

    /**
     * @param system receives the reset request
     * @param a20 the A20 gate (high: enabled)
     */
    public Port92(SystemControl system, IrqLine a20) {
        this.system = Objects.requireNonNull(system, "system");
        this.a20 = Objects.requireNonNull(a20, "a20");
    }

    /** Machine reset: the reset bit clears, A20 is left as it was (QEMU's port92_reset). */
    public synchronized void reset() {
        value &= ~FAST_RESET;
    }

    @Override
    public synchronized long read(long offset, int size) {
        return size == 1 ? value : value | (Bus.ones(size) & ~0xFFL);
    }

    @Override
    public synchronized void write(long offset, int size, long v) {
        int old = value;
        value = (int) v & 0xFF;
        a20.setLevel((value & A20) != 0);
        if ((value & FAST_RESET) != 0 && (old & FAST_RESET) == 0) {
            system.reset("port 0x92 fast reset");
        }
    }
}
