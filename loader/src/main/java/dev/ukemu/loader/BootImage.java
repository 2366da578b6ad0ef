package dev.ukemu.loader;

import dev.ukemu.loader.elf.SymbolTable;
import java.util.List;

/**
 * A kernel loaded into guest RAM and the CPU state to start it in. For multiboot this is 32-bit
 * protected mode with paging off and flat 4 GiB code and data segments, {@code EIP = entry},
 * {@code EAX = eax} (the boot loader magic) and {@code EBX = ebx} (the multiboot info address).
 *
 * @param entry      guest-physical entry point
 * @param imageStart lowest address of the kernel image
 * @param imageEnd   end (exclusive) of the kernel image, BSS included
 * @param format     what was booted, for logs: {@code multiboot ELF32}, ...
 * @param symbols    the kernel's symbols (empty for stripped or flat images)
 * @param regions    everything the loader wrote, in address order, for logs and overlap checks
 * @param warnings   things the user should know that do not stop the boot, one line each
 */
public record BootImage(
        long entry,
        int eax,
        int ebx,
        long imageStart,
        long imageEnd,
        String format,
        SymbolTable symbols,
        List<Region> regions,
        List<String> warnings) {

    public BootImage {
        regions = List.copyOf(regions);
        warnings = List.copyOf(warnings);
    }

    /** A range of guest RAM the loader filled: {@code [start, end)}. */
    public record Region(String what, long start, long end) {
        @Override
        public String toString() {
            return Placement.range(start, end - start) + " " + what;
        }
    }
}
