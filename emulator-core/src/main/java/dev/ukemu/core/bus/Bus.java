package dev.ukemu.core.bus;

import java.util.Map;
import java.util.TreeMap;

/**
 * An address space that maps disjoint ranges to devices. Registering a range that overlaps an
 * existing one is refused. Reads of unclaimed addresses return all ones (an undriven ISA/PCI bus);
 * writes to them are dropped. Both are reported to the {@link UnclaimedAccessListener}.
 */
public class Bus {
    /** One registered range. */
    public record Range(long base, long length, BusDevice device, String name) {
        public long end() {
            return base + length;
        }

        boolean contains(long address) {
            return Long.compareUnsigned(address - base, length) < 0;
        }
    }

    /** Told about accesses nobody claims (for {@code -d unimp} style logging). */
    public interface UnclaimedAccessListener {
        void unclaimed(Bus bus, long address, int size, boolean write, long value);
    }

    private final String name;
    private final TreeMap<Long, Range> ranges = new TreeMap<>(Long::compareUnsigned);
    private UnclaimedAccessListener unclaimed = (b, a, s, w, v) -> { };

    public Bus(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    public void setUnclaimedAccessListener(UnclaimedAccessListener listener) {
        this.unclaimed = listener;
    }

    /**
     * Maps {@code [base, base+length)} to {@code device}.
     *
     * @throws IllegalArgumentException if the range is empty or overlaps a registered range
     */
    public synchronized void register(long base, long length, BusDevice device, String deviceName) {
        if (length <= 0) {
            throw new IllegalArgumentException("empty range for " + deviceName);
        }
        Range r = new Range(base, length, device, deviceName);
        Map.Entry<Long, Range> below = ranges.floorEntry(base + length - 1);
        if (below != null && Long.compareUnsigned(below.getValue().end() - 1, base) >= 0) {
            Range o = below.getValue();
            throw new IllegalArgumentException(String.format(
                    "%s: %s at 0x%x-0x%x overlaps %s at 0x%x-0x%x", name, deviceName, base,
                    base + length - 1, o.name(), o.base(), o.end() - 1));
        }
        ranges.put(base, r);
        onRegister(r);
    }

    /** Hook for subclasses that keep a faster index. */
    protected void onRegister(Range r) {
    }

    /** The range that contains {@code address}, or null. */
    public Range find(long address) {
        Map.Entry<Long, Range> e = ranges.floorEntry(address);
        if (e == null || !e.getValue().contains(address)) {
            return null;
        }
        return e.getValue();
    }

    public long read(long address, int size) {
        Range r = find(address);
        if (r == null) {
            unclaimed.unclaimed(this, address, size, false, 0);
            return ones(size);
        }
        return r.device().read(address - r.base(), size);
    }

    public void write(long address, int size, long value) {
        Range r = find(address);
        if (r == null) {
            unclaimed.unclaimed(this, address, size, true, value);
            return;
        }
        r.device().write(address - r.base(), size, value);
    }

    protected final void reportUnclaimed(long address, int size, boolean write, long value) {
        unclaimed.unclaimed(this, address, size, write, value);
    }

    public static long ones(int size) {
        return size >= 8 ? -1L : (1L << (size * 8)) - 1;
    }
}
