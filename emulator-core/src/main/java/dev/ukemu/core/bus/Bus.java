package dev.ukemu.core.bus;

import java.util.Arrays;

/**
 * An address space that maps disjoint ranges to devices. Registering a range that overlaps an
 * existing one is refused. Reads of unclaimed addresses return all ones (an undriven ISA/PCI bus);
 * writes to them are dropped. Both are reported to the {@link UnclaimedAccessListener}.
 *
 * <p>Ranges can be removed again ({@link #unregister}), which PCI needs when a guest moves a BAR.
 * Lookups run on vCPU threads while another vCPU may be remapping, so they read an immutable
 * sorted snapshot that each change replaces.
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

    private static final Range[] NONE = new Range[0];

    private final String name;
    /** Sorted by base (unsigned); replaced, never modified. */
    private volatile Range[] ranges = NONE;
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
        Range[] old = ranges;
        int at = insertionPoint(old, base);
        Range below = at > 0 ? old[at - 1] : null;
        Range above = at < old.length ? old[at] : null;
        Range o = below != null && Long.compareUnsigned(below.end() - 1, base) >= 0 ? below
                : above != null && Long.compareUnsigned(above.base(), base + length - 1) <= 0 ? above : null;
        if (o != null) {
            throw new IllegalArgumentException(String.format(
                    "%s: %s at 0x%x-0x%x overlaps %s at 0x%x-0x%x", name, deviceName, base,
                    base + length - 1, o.name(), o.base(), o.end() - 1));
        }
        Range[] next = new Range[old.length + 1];
        System.arraycopy(old, 0, next, 0, at);
        next[at] = r;
        System.arraycopy(old, at, next, at + 1, old.length - at);
        onRegister(r);
        ranges = next;
    }

    /**
     * Removes the range that starts at {@code base} if {@code device} owns it; returns whether
     * there was one. Accesses already under way may still reach the device once.
     */
    public synchronized boolean unregister(long base, BusDevice device) {
        Range[] old = ranges;
        int at = indexOf(old, base);
        if (at < 0 || old[at].device() != device) {
            return false;
        }
        Range r = old[at];
        Range[] next = new Range[old.length - 1];
        System.arraycopy(old, 0, next, 0, at);
        System.arraycopy(old, at + 1, next, at, old.length - at - 1);
        ranges = next;
        onUnregister(r);
        return true;
    }

    /** Hook for subclasses that keep a faster index. */
    protected void onRegister(Range r) {
    }

    /** Hook for subclasses that keep a faster index. */
    protected void onUnregister(Range r) {
    }

    /** The range that contains {@code address}, or null. */
    public Range find(long address) {
        Range[] rs = ranges;
        int at = floorIndex(rs, address);
        if (at < 0 || !rs[at].contains(address)) {
            return null;
        }
        return rs[at];
    }

    /** Every registered range, in address order. */
    public java.util.List<Range> ranges() {
        return java.util.List.of(ranges);
    }

    /** First index whose base is >= {@code base} (unsigned). */
    private static int insertionPoint(Range[] rs, long base) {
        int lo = 0, hi = rs.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(rs[mid].base(), base) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Last index whose base is <= {@code address} (unsigned), or -1. */
    private static int floorIndex(Range[] rs, long address) {
        int lo = 0, hi = rs.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(rs[mid].base(), address) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo - 1;
    }

    private static int indexOf(Range[] rs, long base) {
        int at = insertionPoint(rs, base);
        return at < rs.length && rs[at].base() == base ? at : -1;
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

    @Override
    public String toString() {
        return name + " " + Arrays.toString(ranges);
    }
}
