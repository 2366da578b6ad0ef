package dev.ukemu.loader.multiboot;

import static dev.ukemu.loader.Placement.PAGE_SIZE;
import static dev.ukemu.loader.Placement.alignUp;
import static dev.ukemu.loader.Placement.hex;
import static dev.ukemu.loader.Placement.range;

import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import dev.ukemu.loader.BootImage;
import dev.ukemu.loader.LoadException;
import dev.ukemu.loader.Placement;
import dev.ukemu.loader.elf.ElfFile;
import dev.ukemu.loader.elf.SymbolTable;
import dev.ukemu.loader.initrd.CpioArchive;
import dev.ukemu.loader.initrd.Initrd;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Loads a multiboot v1 kernel the way QEMU's {@code -kernel} does (hw/i386/multiboot.c and its
 * option ROM): the image by its ELF program headers, or by the header's address fields when flag
 * 16 is set; then, from the page after the image, the module list, the module strings, the command
 * line and the boot loader name, and the modules themselves, each page-aligned; the memory map at
 * 0x9000 and the info structure at 0x9500.
 *
 * <p>Beyond QEMU: ELF64 kernels load too when everything lies below 4 GiB (GRUB's rule), required
 * flag bits ukemu does not know are refused (as the specification and GRUB demand), and every byte
 * is checked to land in RAM.
 */
public final class MultibootLoader {
    /** The {@code boot_loader_name} string. */
    public static final String BOOT_LOADER_NAME = "ukemu";

    private MultibootLoader() {
    }

    /** The kernel image in RAM: {@code [start, end)} with BSS, and where to jump. */
    private record Kernel(long start, long end, long entry, String format, SymbolTable symbols) {
    }

    /**
     * Loads {@code image} (whose multiboot header is {@code header}) with {@code modules} into
     * {@code mem}. {@code label} names the kernel in messages; {@code cmdline} is the whole kernel
     * command line, argv[0] included.
     */
    public static BootImage load(String label, byte[] image, MultibootHeader header, String cmdline,
                                 List<Initrd> modules, GuestMemory mem) throws LoadException {
        if (header.unsupportedRequiredFlags() != 0) {
            throw new LoadException(label + ": its multiboot header requires features ukemu does not have (flags "
                    + hex(header.unsupportedRequiredFlags()) + " of " + hex(header.flags() & 0xFFFF_FFFFL) + ")");
        }
        if (cmdline.indexOf('\0') >= 0) {
            throw new LoadException("the kernel command line contains a NUL character");
        }
        List<String> warnings = new ArrayList<>();
        if (header.wantsVideoMode()) {
            warnings.add(label + " asks for a video mode (multiboot flag 2); like QEMU, ukemu ignores it");
        }
        Kernel kernel = header.hasAddressFields() ? loadByAddressFields(label, image, header, mem)
                : loadElf(label, image, mem);
        requireClearOfInfo(label + ": image", kernel.start(), kernel.end());
        if (kernel.entry() < kernel.start() || kernel.entry() >= kernel.end()) {
            warnings.add(label + ": entry point " + hex(kernel.entry()) + " is outside the loaded image "
                    + range(kernel.start(), kernel.end() - kernel.start()));
        }

        List<BootImage.Region> regions = new ArrayList<>();
        regions.add(new BootImage.Region("kernel", kernel.start(), kernel.end()));
        InfoBuffer buffer = placeInfoBuffer(label, cmdline, modules, alignUp(kernel.end(), PAGE_SIZE), mem,
                regions, warnings);
        long mmapLength = writeMemoryMap(mem);
        regions.add(new BootImage.Region("multiboot memory map", MultibootInfo.MMAP_ADDRESS,
                MultibootInfo.MMAP_ADDRESS + mmapLength));
        MemoryLayout layout = mem.layout();
        MultibootInfo info = new MultibootInfo(
                MultibootInfo.INFO_MEMORY | MultibootInfo.INFO_CMDLINE | MultibootInfo.INFO_MODS
                        | MultibootInfo.INFO_MEM_MAP | MultibootInfo.INFO_BOOT_LOADER_NAME,
                layout.memLowerKib(), layout.memUpperKib(),
                buffer.cmdlineAddr(), modules.size(), buffer.modsAddr(),
                mmapLength, MultibootInfo.MMAP_ADDRESS,
                buffer.bootLoaderNameAddr());
        info.write(mem, MultibootInfo.INFO_ADDRESS);
        regions.add(new BootImage.Region("multiboot info", MultibootInfo.INFO_ADDRESS,
                MultibootInfo.INFO_ADDRESS + MultibootInfo.SIZE));
        regions.sort((a, b) -> Long.compare(a.start(), b.start()));
        return new BootImage(kernel.entry(), MultibootInfo.BOOTLOADER_MAGIC, (int) MultibootInfo.INFO_ADDRESS,
                kernel.start(), kernel.end(), kernel.format(), kernel.symbols(), regions, warnings);
    }

    /** Where {@link #placeInfoBuffer} put what the info structure points to. */
    private record InfoBuffer(long modsAddr, long cmdlineAddr, long bootLoaderNameAddr) {
    }

    /**
     * Writes, from {@code modsAddr}: the module entries, their strings, the command line and the
     * boot loader name (QEMU's order), then each module on the following pages.
     */
    private static InfoBuffer placeInfoBuffer(String label, String cmdline, List<Initrd> modules, long modsAddr,
                                              GuestMemory mem, List<BootImage.Region> regions,
                                              List<String> warnings) throws LoadException {
        List<byte[]> strings = new ArrayList<>();
        modules.forEach(m -> strings.add(utf8z(m.name())));
        strings.add(utf8z(cmdline));
        strings.add(utf8z(BOOT_LOADER_NAME));
        long[] stringAddrs = new long[strings.size()];
        long stringsEnd = modsAddr + (long) MultibootInfo.MODULE_SIZE * modules.size();
        for (int i = 0; i < strings.size(); i++) {
            stringAddrs[i] = stringsEnd;
            stringsEnd += strings.get(i).length;
        }
        long bufferEnd = alignUp(stringsEnd, PAGE_SIZE);
        String what = "the multiboot command line and module list after " + label;
        Placement.requireRam(mem, modsAddr, bufferEnd - modsAddr, what);
        requireClearOfInfo(what, modsAddr, bufferEnd);
        mem.zero(modsAddr, bufferEnd - modsAddr);
        for (int i = 0; i < strings.size(); i++) {
            mem.load(stringAddrs[i], strings.get(i));
        }
        regions.add(new BootImage.Region("multiboot module list and strings", modsAddr, stringsEnd));

        long addr = bufferEnd;
        for (int i = 0; i < modules.size(); i++) {
            Initrd m = modules.get(i);
            long size = m.size();
            what = m.label() + " (" + Placement.size(size) + ")";
            if (addr + size > MemoryLayout.FOUR_G) {
                throw new LoadException(what + " at " + range(addr, size) + " would end above 4 GiB");
            }
            Placement.requireRam(mem, addr, size, what);
            requireClearOfInfo(what, addr, addr + size);
            m.copyTo(mem, addr);
            if (m instanceof Initrd.FromFile) {
                checkCpio(m, mem.segment().asSlice(addr, size), warnings);
            }
            MultibootInfo.writeModule(mem, modsAddr + (long) MultibootInfo.MODULE_SIZE * i, addr, addr + size,
                    stringAddrs[i]);
            regions.add(new BootImage.Region(m.label(), addr, addr + size));
            addr = alignUp(addr + size, PAGE_SIZE);
        }
        int n = modules.size();
        return new InfoBuffer(modsAddr, stringAddrs[n], stringAddrs[n + 1]);
    }

    /**
     * The memory map and info structure sit at fixed low addresses; a kernel loaded below them, or
     * what follows it, must not cover them (QEMU would silently overwrite one with the other).
     */
    private static void requireClearOfInfo(String what, long start, long end) throws LoadException {
        long infoEnd = MultibootInfo.INFO_ADDRESS + MultibootInfo.SIZE;
        if (start < infoEnd && end > MultibootInfo.MMAP_ADDRESS) {
            throw new LoadException(what + " at " + range(start, end - start) + " overlaps the multiboot info at "
                    + range(MultibootInfo.MMAP_ADDRESS, infoEnd - MultibootInfo.MMAP_ADDRESS));
        }
    }

    /** A file that starts like a cpio archive but is broken is loaded anyway, with a warning. */
    private static void checkCpio(Initrd m, MemorySegment contents, List<String> warnings) {
        if (CpioArchive.hasCpioMagic(contents)) {
            try {
                CpioArchive.validate(m.label(), contents);
            } catch (LoadException e) {
                warnings.add(e.getMessage() + " (loaded anyway)");
            }
        }
    }

    private static long writeMemoryMap(GuestMemory mem) throws LoadException {
        List<MemoryLayout.Region> map = mem.layout().firmwareMap();
        if (map.size() > MultibootInfo.MMAP_CAPACITY) {
            throw new LoadException("the memory map has " + map.size() + " entries; the multiboot info has room for "
                    + MultibootInfo.MMAP_CAPACITY);
        }
        mem.zero(MultibootInfo.MMAP_ADDRESS, MultibootInfo.INFO_ADDRESS - MultibootInfo.MMAP_ADDRESS);
        return MultibootInfo.writeMemoryMap(mem, MultibootInfo.MMAP_ADDRESS, map);
    }

    /** Flag 16 clear: PT_LOAD segments at their physical addresses, BSS zeroed (spec 3.1.3). */
    private static Kernel loadElf(String label, byte[] image, GuestMemory mem) throws LoadException {
        if (!ElfFile.isElf(image)) {
            throw new LoadException(label + " is not an ELF file, and its multiboot header has no address fields"
                    + " (flag bit 16) to load it by");
        }
        ElfFile elf = ElfFile.parse(label, image);
        List<ElfFile.ProgramHeader> segments = new ArrayList<>(elf.loadSegments());
        if (segments.isEmpty()) {
            throw new LoadException(label + " has no loadable segments");
        }
        segments.sort((a, b) -> Long.compareUnsigned(a.paddr(), b.paddr()));
        long start = Long.MAX_VALUE, end = 0;
        ElfFile.ProgramHeader previous = null;
        for (ElfFile.ProgramHeader ph : segments) {
            String where = label + ": segment at " + range(ph.paddr(), ph.memSize());
            if (ph.paddr() < 0 || ph.memSize() < 0 || ph.memSize() > MemoryLayout.FOUR_G
                    || ph.paddr() + ph.memSize() > MemoryLayout.FOUR_G) {
                throw new LoadException(where + " lies above 4 GiB, where a multiboot kernel cannot load");
            }
            if (previous != null && previous.paddr() + previous.memSize() > ph.paddr()) {
                throw new LoadException(where + " overlaps the segment at "
                        + range(previous.paddr(), previous.memSize()));
            }
            Placement.requireRam(mem, ph.paddr(), ph.memSize(), label + ": segment");
            previous = ph;
            start = Math.min(start, ph.paddr());
            end = Math.max(end, ph.paddr() + ph.memSize());
        }
        for (ElfFile.ProgramHeader ph : segments) {
            mem.load(ph.paddr(), image, (int) ph.offset(), (int) ph.fileSize());
            mem.zero(ph.paddr() + ph.fileSize(), ph.memSize() - ph.fileSize());
        }
        long entry = physicalEntry(elf);
        if (entry < 0 || entry >= MemoryLayout.FOUR_G) {
            throw new LoadException(label + ": entry point " + hex(entry) + " is above 4 GiB; multiboot starts"
                    + " the kernel in 32-bit mode");
        }
        return new Kernel(start, end, entry, "multiboot ELF" + (elf.is64() ? "64" : "32"), SymbolTable.of(elf));
    }

    /**
     * e_entry is a virtual address; when it falls in an executable segment linked at a different
     * physical address, jump to the physical one (what QEMU's ELF loader does).
     */
    static long physicalEntry(ElfFile elf) {
        for (ElfFile.ProgramHeader ph : elf.loadSegments()) {
            if (ph.vaddr() != ph.paddr() && ph.isExecutable()
                    && Long.compareUnsigned(elf.entry() - ph.vaddr(), ph.fileSize()) < 0) {
                return elf.entry() - ph.vaddr() + ph.paddr();
            }
        }
        return elf.entry();
    }

    /** Flag 16 set: header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr (spec 3.1.3). */
    private static Kernel loadByAddressFields(String label, byte[] image, MultibootHeader h, GuestMemory mem)
            throws LoadException {
        String fields = label + ": multiboot header ";
        if (h.loadAddr() > h.headerAddr()) {
            throw new LoadException(fields + "load_addr " + hex(h.loadAddr()) + " is above header_addr "
                    + hex(h.headerAddr()));
        }
        long fileOffset = h.offset() - (h.headerAddr() - h.loadAddr());
        if (fileOffset < 0) {
            throw new LoadException(fields + "places load_addr " + hex(h.headerAddr() - h.loadAddr())
                    + " bytes before the header, but the header is at file offset " + hex(h.offset()));
        }
        long loadSize;
        if (h.loadEndAddr() == 0) {
            loadSize = image.length - fileOffset;
        } else {
            if (h.loadEndAddr() < h.loadAddr()) {
                throw new LoadException(fields + "load_end_addr " + hex(h.loadEndAddr()) + " is below load_addr "
                        + hex(h.loadAddr()));
            }
            loadSize = h.loadEndAddr() - h.loadAddr();
            if (fileOffset + loadSize > image.length) {
                throw new LoadException(fields + "load_end_addr " + hex(h.loadEndAddr()) + " asks for "
                        + hex(fileOffset + loadSize - image.length) + " bytes past the end of the file");
            }
        }
        long memSize = loadSize;
        if (h.bssEndAddr() != 0) {
            if (h.bssEndAddr() < h.loadAddr() + loadSize) {
                throw new LoadException(fields + "bss_end_addr " + hex(h.bssEndAddr()) + " is below the end of"
                        + " the loaded image " + hex(h.loadAddr() + loadSize));
            }
            memSize = h.bssEndAddr() - h.loadAddr();
        }
        if (h.loadAddr() + memSize > MemoryLayout.FOUR_G) {
            throw new LoadException(label + ": image at " + range(h.loadAddr(), memSize) + " lies above 4 GiB");
        }
        Placement.requireRam(mem, h.loadAddr(), memSize, label + ": image");
        mem.load(h.loadAddr(), image, (int) fileOffset, (int) loadSize);
        mem.zero(h.loadAddr() + loadSize, memSize - loadSize);
        SymbolTable symbols = SymbolTable.EMPTY;
        String format = "multiboot image (address fields)";
        if (ElfFile.isElf(image)) {
            try {
                ElfFile elf = ElfFile.parse(label, image);
                symbols = SymbolTable.of(elf);
                format = "multiboot ELF" + (elf.is64() ? "64" : "32") + " (address fields)";
            } catch (LoadException notNeeded) {
                // The address fields loaded it; a broken ELF only costs the symbols.
            }
        }
        return new Kernel(h.loadAddr(), h.loadAddr() + memSize, h.entryAddr(), format, symbols);
    }

    private static byte[] utf8z(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(b, b.length + 1);
    }
}
