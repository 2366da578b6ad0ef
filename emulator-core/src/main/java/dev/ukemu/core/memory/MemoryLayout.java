package dev.ukemu.core.memory;

import java.util.ArrayList;
import java.util.List;

/**
 * The guest-physical map of a PC, in one place. Follows QEMU's {@code pc} machine: conventional
 * memory below 640 KiB, the VGA window, the BIOS ROM area, RAM from 1 MiB up to the 32-bit PCI
 * hole, and any RAM that does not fit below 4 GiB above it.
 */
public record MemoryLayout(long ramSize, long belowFourG, long aboveFourG) {
    public static final long KIB = 1024, MIB = 1024 * KIB, GIB = 1024 * MIB;

    /** End of conventional RAM as the BIOS reports it; the EBDA sits just below 640 KiB. */
    public static final long EBDA_START = 0x9FC00;
    public static final long CONVENTIONAL_END = 0xA0000;
    /** Legacy VGA window 0xA0000–0xBFFFF (MMIO). */
    public static final long VGA_START = 0xA0000, VGA_END = 0xC0000;
    /** Option-ROM area 0xC0000–0xDFFFF: RAM-backed, as under QEMU. */
    public static final long OPTION_ROM_START = 0xC0000;
    /** BIOS area 0xE0000–0xFFFFF: read-only to the guest; the loader puts ACPI tables here. */
    public static final long BIOS_START = 0xE0000, BIOS_END = 0x100000;
    public static final long HIGH_MEMORY = 0x100000;
    /** RAM at or above this size is split around the PCI hole (QEMU pc, gigabyte-aligned). */
    public static final long LOWMEM_SPLIT_THRESHOLD = 0xE0000000L;
    public static final long LOWMEM_LIMIT = 0xC0000000L;
    public static final long FOUR_G = 0x1_0000_0000L;
    /** I/O APIC and local APIC MMIO windows. */
    public static final long IOAPIC_BASE = 0xFEC00000L, LAPIC_BASE = 0xFEE00000L;
    /**
     * SeaBIOS keeps the top 128 KiB of low RAM for its tables and reports it reserved; QEMU
     * guests see that map. Unikraft 0.17's region coalescing even depends on a reserved entry
     * right after the last RAM page (it trims an over-long free region against it).
     */
    public static final long FIRMWARE_TOP_RESERVED = 128 * KIB;
    /** The smallest machine that can hold a kernel at 1 MiB and its boot data. */
    public static final long MIN_RAM = 2 * MIB;
    /** The largest RAM ukemu accepts (also bounded by host memory: pages are reserved lazily). */
    public static final long MAX_RAM = 1024 * GIB;

    public MemoryLayout {
        if (ramSize < MIN_RAM) {
            throw new IllegalArgumentException("RAM size must be at least 2 MiB");
        }
    }

    public static MemoryLayout of(long ramSize) {
        if (ramSize < MIN_RAM || ramSize > MAX_RAM) {
            throw new IllegalArgumentException("RAM size must be between 2 MiB and 1 TiB");
        }
        long below = ramSize >= LOWMEM_SPLIT_THRESHOLD ? LOWMEM_LIMIT : ramSize;
        return new MemoryLayout(ramSize, below, ramSize - below);
    }

    /** Size of the physical address range backed by the RAM segment (holes included). */
    public long backingSize() {
        return aboveFourG > 0 ? FOUR_G + aboveFourG : belowFourG;
    }

    /** Highest physical address + 1 that is RAM. */
    public long topOfRam() {
        return aboveFourG > 0 ? FOUR_G + aboveFourG : belowFourG;
    }

    /** True if {@code paddr} is guest RAM (writable memory, holes excluded). */
    public boolean isRam(long paddr) {
        if (paddr < 0) {
            return false;
        }
        if (paddr < CONVENTIONAL_END) {
            return true;
        }
        if (paddr < HIGH_MEMORY) {
            return paddr >= OPTION_ROM_START && paddr < BIOS_START;
        }
        if (paddr < belowFourG) {
            return true;
        }
        return paddr >= FOUR_G && paddr < FOUR_G + aboveFourG;
    }

    /**
     * True if all of {@code [paddr, paddr+len)} is guest RAM, with no hole inside: what a device
     * may read or write by DMA. An empty range is RAM wherever it starts.
     */
    public boolean isRamRange(long paddr, long len) {
        if (len < 0 || paddr < 0 || paddr + len < paddr) {
            return false;
        }
        if (len == 0) {
            return true;
        }
        long last = paddr + len - 1;
        return isRam(paddr) && last < ramRegionEnd(paddr);
    }

    /** End of the contiguous RAM region holding {@code paddr}, which must be RAM. */
    private long ramRegionEnd(long paddr) {
        if (paddr < CONVENTIONAL_END) {
            return CONVENTIONAL_END;
        }
        if (paddr < HIGH_MEMORY) {
            return BIOS_START;
        }
        if (paddr < belowFourG) {
            return belowFourG;
        }
        return FOUR_G + aboveFourG;
    }

    /** True if {@code paddr} is in the BIOS ROM area. */
    public static boolean isBiosRom(long paddr) {
        return paddr >= BIOS_START && paddr < BIOS_END;
    }

    /** An entry of the firmware memory map (E820 / multiboot mmap types). */
    public record Region(long base, long length, int type) {
        public static final int RAM = 1, RESERVED = 2, ACPI = 3, NVS = 4;
    }

    /** The memory map a BIOS would report, sorted and non-overlapping. */
    public List<Region> firmwareMap() {
        List<Region> map = new ArrayList<>();
        map.add(new Region(0, EBDA_START, Region.RAM));
        map.add(new Region(EBDA_START, CONVENTIONAL_END - EBDA_START, Region.RESERVED));
        map.add(new Region(BIOS_START, BIOS_END - BIOS_START, Region.RESERVED));
        if (belowFourG > HIGH_MEMORY) {
            map.add(new Region(HIGH_MEMORY, usableBelowFourG() - HIGH_MEMORY, Region.RAM));
            map.add(new Region(usableBelowFourG(), FIRMWARE_TOP_RESERVED, Region.RESERVED));
        }
        // QEMU reserves the top 256 KiB below 4 GiB for the BIOS flash mapping.
        map.add(new Region(0xFFFC0000L, 0x40000, Region.RESERVED));
        if (aboveFourG > 0) {
            map.add(new Region(FOUR_G, aboveFourG, Region.RAM));
        }
        return map;
    }

    /** Multiboot {@code mem_lower}: KiB of conventional memory. */
    public long memLowerKib() {
        return EBDA_START / KIB;
    }

    /** Multiboot {@code mem_upper}: KiB of contiguous usable RAM from 1 MiB. */
    public long memUpperKib() {
        return (usableBelowFourG() - HIGH_MEMORY) / KIB;
    }

    /** End of the RAM below 4 GiB that the firmware map reports usable. */
    public long usableBelowFourG() {
        return belowFourG - FIRMWARE_TOP_RESERVED;
    }

    /**
     * Parses a size as users write it: {@code 953M}, {@code 1G}, {@code 512K}, {@code 2T}, or a
     * plain number of MiB (QEMU's convention), with an optional trailing {@code B} or {@code iB}.
     */
    public static long parseSize(String text) {
        String s = text.trim();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty size");
        }
        String upper = s.toUpperCase(java.util.Locale.ROOT);
        if (upper.endsWith("IB")) {
            upper = upper.substring(0, upper.length() - 2);
        } else if (upper.endsWith("B") && upper.length() > 1 && !Character.isDigit(upper.charAt(upper.length() - 2))) {
            upper = upper.substring(0, upper.length() - 1);
        }
        long unit = MIB;
        char last = upper.charAt(upper.length() - 1);
        switch (last) {
            case 'K' -> unit = KIB;
            case 'M' -> unit = MIB;
            case 'G' -> unit = GIB;
            case 'T' -> unit = 1024 * GIB;
            case 'B' -> unit = 1;
            default -> {
                if (!Character.isDigit(last)) {
                    throw new IllegalArgumentException("bad size '" + text + "' (use e.g. 128M, 1G)");
                }
                last = 0;
            }
        }
        String digits = last == 0 ? upper : upper.substring(0, upper.length() - 1);
        if (digits.isEmpty() || !digits.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
            throw new IllegalArgumentException("bad size '" + text + "' (use e.g. 128M, 1G)");
        }
        try {
            java.math.BigDecimal v = new java.math.BigDecimal(digits).multiply(java.math.BigDecimal.valueOf(unit));
            return v.setScale(0, java.math.RoundingMode.DOWN).longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("bad size '" + text + "' (use e.g. 128M, 1G)");
        }
    }
}
