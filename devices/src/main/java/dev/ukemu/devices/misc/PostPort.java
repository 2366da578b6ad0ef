package dev.ukemu.devices.misc;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.BusDevice;

/**
 * The POST diagnostic port 0x80. Guests write it as an I/O delay (Unikraft about 10,000 times per
 * AP start-up), so a write does nothing at all. Reads return all ones, as QEMU's
 * {@code ioport80_read} in {@code hw/i386/pc.c}.
 */
public final class PostPort implements BusDevice {
    public static final int PORT = 0x80;
    public static final int SIZE = 1;

    @Override
    public long read(long offset, int size) {
        return Bus.ones(size);
    }

    @Override
    public void write(long offset, int size, long value) {
    }
}
