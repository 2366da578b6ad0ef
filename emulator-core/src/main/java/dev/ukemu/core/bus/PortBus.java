package dev.ukemu.core.bus;

/**
 * The 64 KiB x86 port-I/O space. Lookups go through a flat table so that hot ports (POST 0x80,
 * the PIT, the UART's LSR) cost an array load and one call. Each slot holds the device together
 * with its base, so a vCPU racing with a remap sees either the old or the new mapping whole.
 */
public final class PortBus extends Bus {
    public static final int PORTS = 0x10000;

    private record Slot(BusDevice device, int base) {
    }

    private final Slot[] slots = new Slot[PORTS];

    public PortBus() {
        super("port I/O");
    }

    @Override
    public synchronized void register(long base, long length, BusDevice device, String name) {
        if (base < 0 || base + length > PORTS) {
            throw new IllegalArgumentException(String.format("%s: ports 0x%x+%d outside 0-0xffff", name, base, length));
        }
        super.register(base, length, device, name);
    }

    @Override
    protected void onRegister(Range r) {
        Slot s = new Slot(r.device(), (int) r.base());
        for (long p = r.base(); p < r.end(); p++) {
            slots[(int) p] = s;
        }
    }

    @Override
    protected void onUnregister(Range r) {
        for (long p = r.base(); p < r.end(); p++) {
            slots[(int) p] = null;
        }
    }

    @Override
    public long read(long port, int size) {
        int p = (int) port & 0xFFFF;
        Slot s = slots[p];
        if (s == null) {
            reportUnclaimed(p, size, false, 0);
            return ones(size);
        }
        return s.device().read(p - s.base(), size);
    }

    @Override
    public void write(long port, int size, long value) {
        int p = (int) port & 0xFFFF;
        Slot s = slots[p];
        if (s == null) {
            reportUnclaimed(p, size, true, value);
            return;
        }
        s.device().write(p - s.base(), size, value);
    }
}
