package dev.ukemu.loader;

import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.loader.elf.ElfFile;
import dev.ukemu.loader.initrd.Initrd;
import dev.ukemu.loader.multiboot.MultibootHeader;
import dev.ukemu.loader.multiboot.MultibootLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The front door: reads a kernel file, recognises its boot protocol and loads it with its command
 * line and initrds into guest RAM, like QEMU's {@code -kernel}, {@code -append} and {@code -initrd}.
 *
 * <p>Protocols are tried in QEMU's order. Today only multiboot v1 boots; the places where a Linux
 * bzImage (the "HdrS" setup header, tried before multiboot) and PVH or direct ELF64 entry (tried
 * after it) slot in are marked below.
 */
public final class KernelLoader {
    public static final String KIND = "kernel";

    /** Linux boot protocol: "HdrS" at offset 0x202 of a bzImage (Documentation/arch/x86/boot.rst). */
    static final int LINUX_HEADER_OFFSET = 0x202, LINUX_HEADER_MAGIC = 0x53726448;

    private KernelLoader() {
    }

    /**
     * Loads {@code kernel} into {@code mem}.
     *
     * @param append  the command line after the kernel path ({@code -append}); null or empty for none
     * @param initrds files or directories, each one multiboot module (a directory becomes a cpio)
     */
    public static BootImage load(Path kernel, String append, List<Path> initrds, GuestMemory mem)
            throws LoadException {
        String label = InputFiles.label(KIND, kernel);
        byte[] image = InputFiles.readAll(kernel, KIND);

        if (u32(image, LINUX_HEADER_OFFSET) == LINUX_HEADER_MAGIC) {
            throw new LoadException(label + " is a Linux bzImage; ukemu boots multiboot kernels (Linux is not"
                    + " supported yet)");
        }
        Optional<MultibootHeader> multiboot = MultibootHeader.find(image, label);
        if (multiboot.isPresent()) {
            return MultibootLoader.load(label, image, multiboot.get(), commandLine(kernel, append),
                    openInitrds(initrds == null ? List.of() : initrds), mem);
        }
        // PVH (an ELF note with the 32-bit entry) and direct ELF64 entry would be tried here.
        OptionalInt badChecksum = MultibootHeader.badChecksumOffset(image);
        if (badChecksum.isPresent()) {
            throw new LoadException(label + ": the multiboot header at " + Placement.hex(badChecksum.getAsInt())
                    + " has a bad checksum (magic + flags + checksum must be 0)");
        }
        if (ElfFile.isElf(image)) {
            ElfFile.parse(label, image); // a broken ELF file is worth saying so first
            String hint = kernel.toString().endsWith(".dbg")
                    ? "; the bootable image is '" + kernel.toString().replaceFirst("\\.dbg$", "") + "'" : "";
            throw new LoadException(label + " has no multiboot header (ukemu boots multiboot kernels" + hint + ")");
        }
        throw new LoadException(label + " is not an ELF file and has no multiboot header in the first "
                + MultibootHeader.SEARCH_LIMIT / 1024 + " KiB");
    }

    /**
     * The multiboot command line QEMU builds: the kernel path as given, then a space and the
     * {@code -append} string when there is one.
     */
    public static String commandLine(Path kernel, String append) {
        return append == null || append.isEmpty() ? kernel.toString() : kernel + " " + append;
    }

    private static List<Initrd> openInitrds(List<Path> paths) throws LoadException {
        List<Initrd> list = new ArrayList<>(paths.size());
        for (Path p : paths) {
            list.add(Initrd.open(p));
        }
        return list;
    }

    private static int u32(byte[] b, int o) {
        if (o + 4 > b.length) {
            return 0;
        }
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
    }
}
