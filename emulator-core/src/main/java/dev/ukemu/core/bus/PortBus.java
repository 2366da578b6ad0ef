package dev.ukemu.core.bus;

/**
 * The 64 KiB x86 port-I/O space. Lookups go through a flat table so that hot ports (POST 0x80,
 * the PIT, the UART's LSR) cost an array load and one call.
 */
public final class PortBus extends Bus {
    public static final int PORTS = 0x10000;

    private final BusDevice[] devices = new BusDevice[PORTS];
    private final int[] bases = new int[PORTS];

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
        for (long p = r.base(); p < r.end(); p++) {
            devices[(int) p] = r.device();
            bases[(int) p] = (int) r.base();
        }
    }

    @Override
    public long read(long port, int size) {
        int p = (int) port & 0xFFFF;
        BusDevice d = devices[p];
        if (d == null) {
            reportUnclaimed(p, size, false, 0);
            return ones(size);
        }
        return d.read(p - bases[p], size);
    }

    @Override
    public void write(long port, int size, long value) {
        int p = (int) port & 0xFFFF;
        BusDevice d = devices[p];
        if (d == null) {
            reportUnclaimed(p, size, true, value);
            return;
        }
        d.write(p - bases[p], size, value);
    }
}
