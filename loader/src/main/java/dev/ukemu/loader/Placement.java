package dev.ukemu.loader;

import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;

/** Checks that what a loader writes lands in guest RAM, and formats addresses for its messages. */
public final class Placement {
    public static final long PAGE_SIZE = 4096;

    private Placement() {
    }

    /**
     * Fails unless {@code [start, start+len)} is RAM (or BIOS ROM) the loader may fill. The message
     * reads {@code <what> at 0x100000-0x2fffff does not fit in 2 MiB of RAM}.
     */
    public static void requireRam(GuestMemory mem, long start, long len, String what) throws LoadException {
        if (mem.isLoadable(start, len)) {
            return;
        }
        MemoryLayout layout = mem.layout();
        String where = what + " at " + range(start, len);
        long firstBad = firstUnloadable(mem, start, len);
        if (firstBad >= layout.topOfRam()
                || (firstBad >= layout.belowFourG() && firstBad < MemoryLayout.FOUR_G)) {
            throw new LoadException(where + " does not fit in " + size(layout.ramSize()) + " of RAM");
        }
        if (firstBad >= MemoryLayout.VGA_START && firstBad < MemoryLayout.VGA_END) {
            throw new LoadException(where + " overlaps the VGA window at "
                    + range(MemoryLayout.VGA_START, MemoryLayout.VGA_END - MemoryLayout.VGA_START));
        }
        throw new LoadException(where + " is not in guest RAM");
    }

    private static long firstUnloadable(GuestMemory mem, long start, long len) {
        if (start < 0) {
            return start;
        }
        long end = start + len;
        for (long p = start; p < end; p = (p & ~(PAGE_SIZE - 1)) + PAGE_SIZE) {
            if (!mem.isLoadable(p, 1)) {
                return p;
            }
        }
        return end;
    }

    public static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }

    /** {@code 0x100000-0x1fffff} for a range of {@code len} bytes ({@code 0x100000-} when empty). */
    public static String range(long start, long len) {
        return hex(start) + "-" + (len > 0 ? hex(start + len - 1) : "");
    }

    public static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    /** A size as a user reads it: {@code 2 MiB}, {@code 1.5 GiB}, {@code 300 bytes}. */
    public static String size(long bytes) {
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        if (bytes < 1024) {
            return bytes + (bytes == 1 ? " byte" : " bytes");
        }
        int unit = 0;
        double value = bytes / 1024.0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return (value == Math.rint(value) ? String.valueOf((long) value)
                : String.format(java.util.Locale.ROOT, "%.1f", value)) + " " + units[unit];
    }
}
