package dev.ukemu.devices.misc;

import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.core.machine.SystemControl;

import java.util.Objects;

/**
 * QEMU's ISA {@code pvpanic} device, one byte at port 0x505 ({@code hw/misc/pvpanic.c}). A read
 * returns the events the host supports; the guest writes the event that happened. PANICKED
 * reports a guest panic to the machine; CRASH_LOADED (the guest is about to run a kdump kernel)
 * is only recorded. When both bits are written, PANICKED wins, as in QEMU.
 */
public final class PvPanic implements BusDevice {
    public static final int PORT = 0x505;
    public static final int SIZE = 1;

    /** The guest panicked (pvpanic spec, bit 0). */
    public static final int PANICKED = 1 << 0;
    /** The guest loaded a crash kernel and continues into it (pvpanic spec, bit 1). */
    public static final int CRASH_LOADED = 1 << 1;
    /** What QEMU's pvpanic-isa advertises by default. */
    public static final int SUPPORTED_EVENTS = PANICKED | CRASH_LOADED;

    public static final String PANIC_MESSAGE = "guest panicked (pvpanic)";

    private final SystemControl system;
    private volatile boolean crashLoaded;

    /** @param system receives {@code panic(...)} for the PANICKED event */
    public PvPanic(SystemControl system) {
        this.system = Objects.requireNonNull(system, "system");
    }

    @Override
    public long read(long offset, int size) {
        return SUPPORTED_EVENTS;
    }

    @Override
    public void write(long offset, int size, long value) {
        int event = (int) value & 0xFF;
        if ((event & PANICKED) != 0) {
            system.panic(PANIC_MESSAGE);
        } else if ((event & CRASH_LOADED) != 0) {
            crashLoaded = true;
        }
        // Unknown bits are ignored, as QEMU does (it only logs them).
    }

    /** True once the guest has reported CRASH_LOADED. */
    public boolean crashLoaded() {
        return crashLoaded;
    }
}
