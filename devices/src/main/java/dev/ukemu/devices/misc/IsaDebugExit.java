package dev.ukemu.devices.misc;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.core.machine.SystemControl;

import java.util.Objects;

/**
 * QEMU's {@code isa-debug-exit}: a write of any value {@code v} (1 to 4 bytes, at any offset of
 * the range) ends the emulator with exit status {@code (v << 1) | 1}, which
 * {@link SystemControl#debugExit(int)} computes. Reads return 0 (QEMU's
 * {@code hw/misc/debugexit.c}). Test suites put it at 0x501 with size 2 (QEMU's default, what
 * Unikraft writes) or at 0xF4 with size 4 (kvm-unit-tests).
 */
public final class IsaDebugExit implements BusDevice {
    /** QEMU's default {@code iobase}. */
    public static final int DEFAULT_PORT = 0x501;
    /** QEMU's default {@code iosize}. */
    public static final int DEFAULT_SIZE = 2;
    /** The kvm-unit-tests placement: {@code -device isa-debug-exit,iobase=0xf4,iosize=0x4}. */
    public static final int KVM_UNIT_TESTS_PORT = 0xF4;
    public static final int KVM_UNIT_TESTS_SIZE = 4;

    private final SystemControl system;
    private final int iosize;

    /**
     * @param system receives {@code debugExit(v)}
     * @param iosize bytes of port space the device claims (register it with this length)
     */
    public IsaDebugExit(SystemControl system, int iosize) {
        if (iosize < 1) {
            throw new IllegalArgumentException("iosize must be at least 1: " + iosize);
        }
        this.system = Objects.requireNonNull(system, "system");
        this.iosize = iosize;
    }

    /** The device with QEMU's default size of 2 ports. */
    public IsaDebugExit(SystemControl system) {
        this(system, DEFAULT_SIZE);
    }

    /** How many ports to register. */
    public int iosize() {
        return iosize;
    }

    @Override
    public long read(long offset, int size) {
        return 0;
    }

    @Override
    public void write(long offset, int size, long value) {
        system.debugExit((int) (value & Bus.ones(Math.min(size, 4))));
    }
}
