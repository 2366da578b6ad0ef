package dev.ukemu.loader.multiboot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import dev.ukemu.loader.BootImage;
import dev.ukemu.loader.ElfBuilder;
import dev.ukemu.loader.KernelLoader;
import dev.ukemu.loader.LoadException;
import dev.ukemu.loader.elf.ElfFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultibootLoaderTest {
    private static final long MIB = 1 << 20;
    /** Page-align and memory-info, as Unikraft's header asks. */
    private static final int UNIKRAFT_FLAGS = 0x3;
    private static final int ADDR = MultibootHeader.FLAG_ADDRESS_FIELDS;

    @TempDir
    Path dir;
    private GuestMemory mem;

    private GuestMemory memory(long size) {
        mem = new GuestMemory(MemoryLayout.of(size));
        return mem;
    }

    @AfterEach
    void close() {
        if (mem != null) {
            mem.close();
        }
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static byte[] pattern(int len, int seed) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (i * 7 + seed);
        }
        return b;
    }

    /** Dirt where the loader must write zeros. */
    private static void dirty(GuestMemory mem, long start, int len) {
        byte[] junk = new byte[len];
        Arrays.fill(junk, (byte) 0xAA);
        mem.load(start, junk);
    }

    private static String cString(GuestMemory mem, long addr) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (long p = addr; mem.readByte(p) != 0; p++) {
            out.write(mem.readByte(p));
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static long u32(GuestMemory mem, long addr) {
        return mem.readInt(addr) & 0xFFFF_FFFFL;
    }

    /** An ELF32 like Unikraft's wrapper: header at 0x34, text at 1 MiB, data + BSS after it. */
    private static byte[] unikraftLikeElf32(byte[] text, byte[] data) {
        return ElfBuilder.elf32().entry(0x100010)
                .load(0x100000, text, text.length)
                .segment(ElfFile.PT_LOAD, ElfBuilder.PF_R | ElfBuilder.PF_W, 0x102000, 0x102000, data, 0x3000)
                .multiboot(0x34, UNIKRAFT_FLAGS)
                .build();
    }

    @Test
    void loadsElf32SegmentsAtTheirPhysicalAddressesAndZeroesBss() throws Exception {
        GuestMemory mem = memory(32 * MIB);
        dirty(mem, 0x102000, 0x4000);
        byte[] text = pattern(0x1234, 1), data = pattern(0x100, 2);
        Path kernel = file("k32", unikraftLikeElf32(text, data));
        BootImage boot = KernelLoader.load(kernel, "", List.of(), mem);

        assertArrayEquals(text, mem.read(0x100000, text.length));
        assertArrayEquals(data, mem.read(0x102000, data.length));
        assertArrayEquals(new byte[0x3000 - 0x100], mem.read(0x102100, 0x3000 - 0x100), "bss zeroed");
        assertEquals(kernel.toString(), cString(mem, 0x105000), "the info strings follow on the next page");
        assertEquals(0x100010, boot.entry());
        assertEquals(0x2BADB002, boot.eax());
        assertEquals(0x9500, boot.ebx());
        assertEquals(0x100000, boot.imageStart());
        assertEquals(0x105000, boot.imageEnd());
        assertEquals("multiboot ELF32", boot.format());
        assertEquals(List.of(), boot.warnings());
    }

    @Test
    void loadsElf64SegmentsToo() throws Exception {
        GuestMemory mem = memory(32 * MIB);
        dirty(mem, 0x200000, 0x2000);
        byte[] text = pattern(0x800, 3);
        byte[] elf = ElfBuilder.elf64().entry(0x200000)
                .load(0x200000, text, 0x1800)
                .symbol("kmain", 0x200000, 0x40, ElfFile.STT_FUNC)
                .multiboot(0x40, UNIKRAFT_FLAGS)
                .build();
        BootImage boot = KernelLoader.load(file("k64", elf), null, List.of(), mem);
        assertArrayEquals(text, mem.read(0x200000, text.length));
        assertArrayEquals(new byte[0x1000], mem.read(0x200800, 0x1000));
        assertEquals(0xAA, mem.readByte(0x201800));
        assertEquals("multiboot ELF64", boot.format());
        assertEquals(0x200000, boot.entry());
        assertEquals(0x201800, boot.imageEnd());
        assertEquals("kmain+0x10", boot.symbols().describe(0x200010));
    }

    @Test
    void virtualEntryPointIsTranslatedToItsPhysicalAddress() throws Exception {
        GuestMemory mem = memory(32 * MIB);
        byte[] elf = ElfBuilder.elf32().entry(0xC010_0010L)
                .segment(ElfFile.PT_LOAD, ElfBuilder.PF_R | ElfBuilder.PF_X, 0xC010_0000L, 0x100000, pattern(64, 0), 64)
                .multiboot(0x34, 0)
                .build();
        BootImage boot = KernelLoader.load(file("higherhalf", elf), "", List.of(), mem);
        assertEquals(0x100010, boot.entry());
    }

    @Test
    void loadsAFlatBinaryByTheHeaderAddressFields() throws Exception {
        GuestMemory mem = memory(32 * MIB);
        dirty(mem, 0x100000, 0x5000);
        byte[] image = pattern(0x1800, 5);
        // header at file offset 0x40 = physical 0x100040; load the whole file, BSS up to 0x103800
        byte[] header = ElfBuilder.multibootHeader(ADDR | UNIKRAFT_FLAGS, 0x100040, 0x100000, 0, 0x103800, 0x100080);
        System.arraycopy(header, 0, image, 0x40, header.length);
        BootImage boot = KernelLoader.load(file("flat.bin", image), "", List.of(), mem);
        assertArrayEquals(image, mem.read(0x100000, image.length));
        assertArrayEquals(new byte[0x103800 - 0x101800], mem.read(0x101800, 0x103800 - 0x101800));
        assertEquals(0xAA, mem.readByte(0x103800), "nothing written between the BSS and the next page");
        assertEquals(0x100080, boot.entry());
        assertEquals(0x100000, boot.imageStart());
        assertEquals(0x103800, boot.imageEnd());
        assertEquals("multiboot image (address fields)", boot.format());
    }

    @Test
    void addressFieldsSelectAPartOfTheFile() throws Exception {
        GuestMemory mem = memory(32 * MIB);
        byte[] image = pattern(0x3000, 9);
        // header at file offset 0x1010 says it lives at 0x200010 and text starts at 0x200000:
        // so file offset 0x1000 is the first byte loaded; load_end_addr stops after 0x800 bytes
        byte[] header = ElfBuilder.multibootHeader(ADDR, 0x200010, 0x200000, 0x200800, 0, 0x200020);
        System.arraycopy(header, 0, image, 0x1010, header.length);
        BootImage boot = KernelLoader.load(file("part.bin", image), "", List.of(), mem);
        assertArrayEquals(Arrays.copyOfRange(image, 0x1000, 0x1800), mem.read(0x200000, 0x800));
        assertEquals(0x200800, boot.imageEnd());
        assertEquals(0x200020, boot.entry());
    }

    @Test
    void badAddressFieldsAreExplained() throws Exception {
        GuestMemory mem = memory(32 * MIB);
        assertEquals("kernel '" + dir + "/a.bin': multiboot header load_addr 0x100100 is above header_addr 0x100000",
                flatError(mem, "a.bin", 0, 0x100000, 0x100100, 0, 0));
        assertEquals("kernel '" + dir + "/b.bin': multiboot header load_end_addr 0x200000 asks for 0xff000 bytes"
                + " past the end of the file", flatError(mem, "b.bin", 0, 0x100000, 0x100000, 0x200000, 0));
        assertEquals("kernel '" + dir + "/c.bin': multiboot header bss_end_addr 0x100800 is below the end of the"
                + " loaded image 0x101000", flatError(mem, "c.bin", 0, 0x100000, 0x100000, 0, 0x100800));
        assertEquals("kernel '" + dir + "/d.bin': multiboot header places load_addr 0x100 bytes before the header,"
                + " but the header is at file offset 0x40", flatError(mem, "d.bin", 0x40, 0x100100, 0x100000, 0, 0));
        assertEquals("kernel '" + dir + "/e.bin': image at 0x1f00000-0x1f00fff does not fit in 16 MiB of RAM",
                flatError(memory(16 * MIB), "e.bin", 0, 0x1F00000, 0x1F00000, 0, 0));
    }

    private String flatError(GuestMemory mem, String name, int offset, long headerAddr, long loadAddr, long loadEnd,
                             long bssEnd) throws IOException {
        byte[] image = new byte[0x1000];
        byte[] header = ElfBuilder.multibootHeader(ADDR, headerAddr, loadAddr, loadEnd, bssEnd, loadAddr);
        System.arraycopy(header, 0, image, offset, header.length);
        Path k = file(name, image);
        return assertThrows(LoadException.class, () -> KernelLoader.load(k, "", List.of(), mem)).getMessage();
    }

    @Test
    void buildsTheMultibootInfoLikeQemu() throws Exception {
        GuestMemory mem = memory(64 * MIB);
        dirty(mem, 0x9000, 0x1000);
        Path kernel = file("hello_qemu-x86_64", unikraftLikeElf32(pattern(0x1000, 1), pattern(0x10, 2)));
        byte[] first = pattern(5000, 3), second = pattern(4096, 4);
        Path m1 = file("initrd.cpio", first), m2 = file("extra.bin", second);
        BootImage boot = KernelLoader.load(kernel, "console=ttyS0 -- arg", List.of(m1, m2), mem);

        long mbi = boot.ebx();
        assertEquals(MultibootInfo.INFO_ADDRESS, mbi);
        assertEquals(0x24D, u32(mem, mbi)); // MEM | CMDLINE | MODS | MMAP | BOOT_LOADER_NAME
        assertEquals(639, u32(mem, mbi + 4)); // KiB below the EBDA
        assertEquals(63 * 1024 - 128, u32(mem, mbi + 8)); // KiB from 1 MiB to the firmware-reserved top 128 KiB
        assertEquals(0, u32(mem, mbi + 12), "no boot device");
        assertEquals(kernel + " console=ttyS0 -- arg", cString(mem, u32(mem, mbi + 16)));
        assertEquals("ukemu", cString(mem, u32(mem, mbi + 64)));
        for (int off : new int[] {28, 32, 36, 40, 52, 56, 60, 68, 72, 76, 80, 84}) {
            assertEquals(0, u32(mem, mbi + off), "unannounced field at +" + off);
        }

        // modules: entries on the page after the kernel image, contents page-aligned after them
        assertEquals(2, u32(mem, mbi + 20));
        long mods = u32(mem, mbi + 24);
        assertEquals(0x105000, mods); // kernel ends at 0x105000 (already page-aligned)
        long start1 = u32(mem, mods), end1 = u32(mem, mods + 4);
        long start2 = u32(mem, mods + 16), end2 = u32(mem, mods + 20);
        assertEquals(0x106000, start1);
        assertEquals(start1 + first.length, end1);
        assertEquals(0x108000, start2); // 0x106000 + 5000 rounded up to a page
        assertEquals(start2 + second.length, end2);
        assertArrayEquals(first, mem.read(start1, first.length));
        assertArrayEquals(second, mem.read(start2, second.length));
        assertEquals(m1.toString(), cString(mem, u32(mem, mods + 8)));
        assertEquals(m2.toString(), cString(mem, u32(mem, mods + 24)));
        assertEquals(0, u32(mem, mods + 12));

        // memory map at 0x9000, 24-byte entries with size 20
        assertEquals(MultibootInfo.MMAP_ADDRESS, u32(mem, mbi + 48));
        List<MemoryLayout.Region> map = mem.layout().firmwareMap();
        assertEquals(24L * map.size(), u32(mem, mbi + 44));
        for (int i = 0; i < map.size(); i++) {
            long e = 0x9000 + 24L * i;
            assertEquals(20, u32(mem, e));
            assertEquals(map.get(i).base(), mem.readLong(e + 4));
            assertEquals(map.get(i).length(), mem.readLong(e + 12));
            assertEquals(map.get(i).type(), u32(mem, e + 20));
        }
        assertEquals(0x100000, mem.readLong(0x9000 + 24 * 3 + 4), "RAM from 1 MiB");
        assertEquals(63 * MIB - 128 * 1024, mem.readLong(0x9000 + 24 * 3 + 12));
        assertEquals(64 * MIB - 128 * 1024, mem.readLong(0x9000 + 24 * 4 + 4), "then the firmware-reserved top, as QEMU shows it");
        assertEquals(2, u32(mem, 0x9000 + 24 * 4 + 20));

        // everything the loader wrote is RAM below 4 GiB, and nothing overlaps
        long previousEnd = 0;
        for (BootImage.Region r : boot.regions()) {
            assertTrue(mem.isLoadable(r.start(), r.end() - r.start()), r.toString());
            assertTrue(r.end() <= MemoryLayout.FOUR_G, r.toString());
            assertTrue(r.start() >= previousEnd, "overlap at " + r);
            previousEnd = r.end();
        }
        assertEquals(List.of("multiboot memory map", "multiboot info", "kernel", "multiboot module list and strings",
                "initrd '" + m1 + "'", "initrd '" + m2 + "'"), boot.regions().stream().map(BootImage.Region::what).toList());
    }

    @Test
    void commandLineIsTheKernelPathAloneWithoutAppend() throws Exception {
        for (String append : new String[] {null, ""}) {
            GuestMemory mem = memory(16 * MIB);
            Path kernel = file("k", unikraftLikeElf32(pattern(16, 1), pattern(16, 2)));
            BootImage boot = KernelLoader.load(kernel, append, List.of(), mem);
            long cmdline = u32(mem, boot.ebx() + 16);
            assertEquals(kernel.toString(), cString(mem, cmdline));
            assertEquals(0, mem.readByte(cmdline + kernel.toString().length()), "NUL-terminated");
            assertEquals(0, u32(mem, boot.ebx() + 20), "no modules");
            assertEquals(0x105000, u32(mem, boot.ebx() + 24), "mods_addr still set, as QEMU does");
            mem.close();
            this.mem = null;
        }
    }

    @Test
    void directoryInitrdBecomesACpioModule() throws Exception {
        GuestMemory mem = memory(16 * MIB);
        Path root = Files.createDirectory(dir.resolve("rootfs"));
        Files.writeString(root.resolve("hello.txt"), "hi\n");
        Path kernel = file("k", unikraftLikeElf32(pattern(16, 1), pattern(16, 2)));
        BootImage boot = KernelLoader.load(kernel, "", List.of(root), mem);
        long mods = u32(mem, boot.ebx() + 24);
        long start = u32(mem, mods), end = u32(mem, mods + 4);
        assertEquals("070701", new String(mem.read(start, 6), java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(2, dev.ukemu.loader.initrd.CpioArchive.validate("x",
                mem.segment().asSlice(start, end - start)).entries() + 1); // hello.txt, then the trailer
        assertEquals(root.toString(), cString(mem, u32(mem, mods + 8)));
    }

    @Test
    void brokenCpioFileIsLoadedWithAWarning() throws Exception {
        GuestMemory mem = memory(16 * MIB);
        byte[] cpio = "070701zzzzzzzz".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Path initrd = file("bad.cpio", Arrays.copyOf(cpio, 200));
        Path kernel = file("k", unikraftLikeElf32(pattern(16, 1), pattern(16, 2)));
        BootImage boot = KernelLoader.load(kernel, "", List.of(initrd), mem);
        assertEquals(List.of("initrd '" + initrd + "': malformed cpio archive: entry 0 at 0x0 has a bad hex field"
                + " at 0x6 (loaded anyway)"), boot.warnings());
        assertEquals(200, u32(mem, u32(mem, boot.ebx() + 24) + 4) - u32(mem, u32(mem, boot.ebx() + 24)));
    }

    @Test
    void segmentOutsideRamIsAnError() throws Exception {
        GuestMemory mem = memory(2 * MIB);
        byte[] elf = ElfBuilder.elf32().entry(0x100000).load(0x100000, pattern(64, 0), 0x200000)
                .multiboot(0x34, UNIKRAFT_FLAGS).build();
        Path k = file("big", elf);
        assertEquals("kernel '" + k + "': segment at 0x100000-0x2fffff does not fit in 2 MiB of RAM",
                assertThrows(LoadException.class, () -> KernelLoader.load(k, "", List.of(), mem)).getMessage());
    }

    @Test
    void segmentInTheVgaWindowIsAnError() throws Exception {
        GuestMemory mem = memory(16 * MIB);
        byte[] elf = ElfBuilder.elf32().entry(0xA0000).load(0xA0000, pattern(64, 0), 64)
                .multiboot(0x34, 0).build();
        Path k = file("vga", elf);
        assertEquals("kernel '" + k + "': segment at 0xa0000-0xa003f overlaps the VGA window at 0xa0000-0xbffff",
                assertThrows(LoadException.class, () -> KernelLoader.load(k, "", List.of(), mem)).getMessage());
    }

    @Test
    void elf64SegmentAbove4GiBIsAnError() throws Exception {
        GuestMemory mem = memory(16 * MIB);
        byte[] elf = ElfBuilder.elf64().entry(0x100000).load(0x1_0000_0000L, pattern(64, 0), 64)
                .multiboot(0x40, 0).build();
        Path k = file("high", elf);
        assertEquals("kernel '" + k + "': segment at 0x100000000-0x10000003f lies above 4 GiB, where a multiboot"
                + " kernel cannot load",
                assertThrows(LoadException.class, () -> KernelLoader.load(k, "", List.of(), mem)).getMessage());
    }

    @Test
    void kernelOverTheMultibootInfoIsAnError() throws Exception {
        GuestMemory mem = memory(16 * MIB);
        byte[] elf = ElfBuilder.elf32().entry(0x8000).load(0x8000, pattern(0x2000, 0), 0x2000)
                .multiboot(0x34, 0).build();
        Path k = file("low", elf);
        assertEquals("kernel '" + k + "': image at 0x8000-0x9fff overlaps the multiboot info at 0x9000-0x9557",
                assertThrows(LoadException.class, () -> KernelLoader.load(k, "", List.of(), mem)).getMessage());
    }

    @Test
    void modulesAfterALowKernelMustNotCoverTheMultibootInfo() throws Exception {
        GuestMemory mem = memory(16 * MIB);
        byte[] elf = ElfBuilder.elf32().entry(0x1000).load(0x1000, pattern(0x100, 0), 0x100)
                .multiboot(0x34, 0).build();
        Path k = file("tiny", elf);
        Path initrd = file("initrd.img", new byte[0x10000]);
        // kernel 0x1000-0x10ff, module list 0x2000, module 0x3000-0x12fff: across 0x9000
        assertEquals("initrd '" + initrd + "' (64 KiB) at 0x3000-0x12fff overlaps the multiboot info at 0x9000-0x9557",
                assertThrows(LoadException.class, () -> KernelLoader.load(k, "", List.of(initrd), mem)).getMessage());
        BootImage alone = KernelLoader.load(k, "", List.of(), mem);
        assertEquals(0x2000, u32(mem, alone.ebx() + 24), "without the module it fits");
    }

    @Test
    void overlappingSegmentsAreAnError() throws Exception {
        GuestMemory mem = memory(16 * MIB);
        byte[] elf = ElfBuilder.elf32().entry(0x100000).load(0x100000, pattern(64, 0), 0x2000)
                .load(0x101000, pattern(64, 1), 64).multiboot(0x34, 0).build();
        Path k = file("overlap", elf);
        assertEquals("kernel '" + k + "': segment at 0x101000-0x10103f overlaps the segment at 0x100000-0x101fff",
                assertThrows(LoadException.class, () -> KernelLoader.load(k, "", List.of(), mem)).getMessage());
    }

    @Test
    void initrdLargerThanRamIsAnError() throws Exception {
        GuestMemory mem = memory(2 * MIB);
        Path kernel = file("k", unikraftLikeElf32(pattern(16, 1), pattern(16, 2)));
        Path initrd = file("initrd.img", new byte[(int) MIB]);
        // kernel 0x100000-0x104fff, info page 0x105000, initrd from 0x106000: 1 MiB does not fit below 2 MiB
        assertEquals("initrd '" + initrd + "' (1 MiB) at 0x106000-0x205fff does not fit in 2 MiB of RAM",
                assertThrows(LoadException.class, () -> KernelLoader.load(kernel, "", List.of(initrd), mem))
                        .getMessage());
    }

    @Test
    void unknownRequiredFlagsAreRefusedAndVideoModeIsIgnored() throws Exception {
        GuestMemory mem = memory(16 * MIB);
        Path k = file("flags", ElfBuilder.elf32().entry(0x100000).load(0x100000, pattern(16, 0), 16)
                .multiboot(0x34, 0x3 | 0x10).build());
        assertEquals("kernel '" + k + "': its multiboot header requires features ukemu does not have"
                + " (flags 0x10 of 0x13)",
                assertThrows(LoadException.class, () -> KernelLoader.load(k, "", List.of(), mem)).getMessage());

        Path video = file("video", ElfBuilder.elf32().entry(0x100000).load(0x100000, pattern(16, 0), 16)
                .multiboot(0x34, MultibootHeader.FLAG_VIDEO_MODE, 0, 0, 0, 0, 0, 0, 80, 25, 0).build());
        BootImage boot = KernelLoader.load(video, "", List.of(), mem);
        assertEquals(List.of("kernel '" + video + "' asks for a video mode (multiboot flag 2); like QEMU, ukemu"
                + " ignores it"), boot.warnings());
        assertEquals(0x100000, boot.entry());
    }

    @Test
    void entryOutsideTheImageIsAWarning() throws Exception {
        GuestMemory mem = memory(16 * MIB);
        Path k = file("entry", ElfBuilder.elf32().entry(0x300000).load(0x100000, pattern(16, 0), 16)
                .multiboot(0x34, 0).build());
        BootImage boot = KernelLoader.load(k, "", List.of(), mem);
        assertEquals(0x300000, boot.entry());
        assertEquals(List.of("kernel '" + k + "': entry point 0x300000 is outside the loaded image"
                + " 0x100000-0x10000f"), boot.warnings());
    }

    @Test
    void mbiAddressesAreLittleEndianU32() throws Exception {
        // The info structure is read by 32-bit code: check the raw bytes of one field as well.
        GuestMemory mem = memory(16 * MIB);
        Path k = file("k", unikraftLikeElf32(pattern(16, 1), pattern(16, 2)));
        KernelLoader.load(k, "", List.of(), mem);
        ByteBuffer raw = ByteBuffer.wrap(mem.read(0x9500, 88)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x9000, raw.getInt(48));
        assertEquals(0x24D, raw.getInt(0));
    }
}
