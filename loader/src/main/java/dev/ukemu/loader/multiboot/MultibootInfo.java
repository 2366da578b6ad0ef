package dev.ukemu.loader.multiboot;

import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import java.util.List;

/**
 * The multiboot information structure (Multiboot Specification 0.6.96, section 3.3) that EBX points
 * to when the kernel starts, with the layouts of its module and memory-map entries. Addresses are
 * guest-physical and below 4 GiB.
 */
public record MultibootInfo(
        int flags,
        long memLowerKib,
        long memUpperKib,
        long cmdlineAddr,
        int modsCount,
        long modsAddr,
        long mmapLength,
        long mmapAddr,
        long bootLoaderNameAddr) {

    /** 3.2: the value in EAX that tells the kernel a multiboot loader started it. */
    public static final int BOOTLOADER_MAGIC = 0x2BADB002;

    /** 3.3 {@code flags}: which fields are valid. */
    public static final int INFO_MEMORY = 1 << 0, INFO_BOOT_DEVICE = 1 << 1, INFO_CMDLINE = 1 << 2,
            INFO_MODS = 1 << 3, INFO_MEM_MAP = 1 << 6, INFO_BOOT_LOADER_NAME = 1 << 9;

    /** 3.3 field offsets. */
    public static final int FLAGS = 0, MEM_LOWER = 4, MEM_UPPER = 8, BOOT_DEVICE = 12, CMDLINE = 16,
            MODS_COUNT = 20, MODS_ADDR = 24, MMAP_LENGTH = 44, MMAP_ADDR = 48, BOOT_LOADER_NAME = 64;
    /** Size up to and including the VBE fields, as QEMU writes it (no framebuffer fields). */
    public static final int SIZE = 88;

    /** 3.3 module entry: mod_start, mod_end, string, reserved. */
    public static final int MOD_START = 0, MOD_END = 4, MOD_STRING = 8, MODULE_SIZE = 16;

    /**
     * 3.3 memory map entry: {@code size} (of the rest, 20), base_addr, length, type. The entry's
     * {@code size} field sits at offset -4 of what it describes, so entries are 24 bytes apart.
     */
    public static final int MMAP_SIZE = 0, MMAP_BASE = 4, MMAP_LENGTH_FIELD = 12, MMAP_TYPE = 20,
            MMAP_ENTRY_SIZE = 24, MMAP_SIZE_VALUE = 20;

    /**
     * Where QEMU's multiboot option ROM puts the memory map ({@code MULTIBOOT_STRUCT_ADDR}) and the
     * info structure ({@code +0x500}): conventional memory that no kernel loads into, above the real
     * mode IVT and BIOS data area, far below the EBDA.
     */
    public static final long MMAP_ADDRESS = 0x9000, INFO_ADDRESS = MMAP_ADDRESS + 0x500;
    /** Memory-map entries that fit between the two. */
    public static final int MMAP_CAPACITY = (int) ((INFO_ADDRESS - MMAP_ADDRESS) / MMAP_ENTRY_SIZE);

    /** Writes this structure at {@code addr}; fields the flags do not announce are zero. */
    public void write(GuestMemory mem, long addr) {
        mem.zero(addr, SIZE);
        mem.writeInt(addr + FLAGS, flags);
        mem.writeInt(addr + MEM_LOWER, (int) memLowerKib);
        mem.writeInt(addr + MEM_UPPER, (int) memUpperKib);
        mem.writeInt(addr + CMDLINE, (int) cmdlineAddr);
        mem.writeInt(addr + MODS_COUNT, modsCount);
        mem.writeInt(addr + MODS_ADDR, (int) modsAddr);
        mem.writeInt(addr + MMAP_LENGTH, (int) mmapLength);
        mem.writeInt(addr + MMAP_ADDR, (int) mmapAddr);
        mem.writeInt(addr + BOOT_LOADER_NAME, (int) bootLoaderNameAddr);
    }

    /** Writes one module entry at {@code addr}. */
    public static void writeModule(GuestMemory mem, long addr, long start, long end, long stringAddr) {
        mem.writeInt(addr + MOD_START, (int) start);
        mem.writeInt(addr + MOD_END, (int) end);
        mem.writeInt(addr + MOD_STRING, (int) stringAddr);
        mem.writeInt(addr + MODULE_SIZE - 4, 0);
    }

    /** Writes the memory map at {@code addr} and returns its {@code mmap_length} in bytes. */
    public static long writeMemoryMap(GuestMemory mem, long addr, List<MemoryLayout.Region> regions) {
        long p = addr;
        for (MemoryLayout.Region r : regions) {
            mem.writeInt(p + MMAP_SIZE, MMAP_SIZE_VALUE);
            mem.writeLong(p + MMAP_BASE, r.base());
            mem.writeLong(p + MMAP_LENGTH_FIELD, r.length());
            mem.writeInt(p + MMAP_TYPE, r.type());
            p += MMAP_ENTRY_SIZE;
        }
        return p - addr;
    }
}
