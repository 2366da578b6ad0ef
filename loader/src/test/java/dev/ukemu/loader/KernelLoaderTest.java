package dev.ukemu.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The front door's messages, one for every way a kernel or initrd can be wrong. */
class KernelLoaderTest {
    @TempDir
    Path dir;
    private GuestMemory mem;

    @BeforeEach
    void open() {
        mem = new GuestMemory(MemoryLayout.of(16 << 20));
    }

    @AfterEach
    void close() {
        mem.close();
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private String error(Path kernel, List<Path> initrds) {
        return assertThrows(LoadException.class, () -> KernelLoader.load(kernel, "x=1", initrds, mem)).getMessage();
    }

    private static byte[] bootableElf() {
        return ElfBuilder.elf32().entry(0x100000).load(0x100000, new byte[] {(byte) 0xF4}, 16)
                .multiboot(0x34, 0x3).build();
    }

    @Test
    void missingKernel() {
        Path k = dir.resolve("nope");
        assertEquals("cannot read kernel '" + k + "': no such file", error(k, List.of()));
    }

    @Test
    void kernelIsADirectory() {
        assertEquals("kernel '" + dir + "' is a directory", error(dir, List.of()));
    }

    @Test
    void emptyKernel() throws IOException {
        Path k = file("empty", new byte[0]);
        assertEquals("kernel '" + k + "' is empty", error(k, List.of()));
    }

    @Test
    void unreadableKernel() throws IOException {
        Path k = file("secret", bootableElf());
        Files.setPosixFilePermissions(k, PosixFilePermissions.fromString("---------"));
        assumeFalse(Files.isReadable(k), "running as root: every file is readable");
        assertEquals("cannot read kernel '" + k + "': permission denied", error(k, List.of()));
    }

    @Test
    void readFailuresAreNamed() {
        Path k = Path.of("k");
        assertEquals("cannot read kernel 'k': permission denied",
                InputFiles.readError(k, "kernel", new java.nio.file.AccessDeniedException("k")).getMessage());
        assertEquals("cannot read initrd 'k': Input/output error",
                InputFiles.readError(k, "initrd", new IOException("Input/output error")).getMessage());
    }

    @Test
    void neitherElfNorMultiboot() throws IOException {
        Path k = file("notes.txt", "just some text, no kernel here\n".repeat(400).getBytes());
        assertEquals("kernel '" + k + "' is not an ELF file and has no multiboot header in the first 8 KiB",
                error(k, List.of()));
    }

    @Test
    void elfWithoutMultibootHeader() throws IOException {
        Path k = file("app", ElfBuilder.elf64().entry(0x100000).load(0x100000, new byte[16], 16).build());
        assertEquals("kernel '" + k + "' has no multiboot header (ukemu boots multiboot kernels)", error(k, List.of()));
        Path dbg = file("hello_qemu-x86_64.dbg", ElfBuilder.elf64().entry(0x100000).load(0x100000, new byte[16], 16)
                .build());
        assertEquals("kernel '" + dbg + "' has no multiboot header (ukemu boots multiboot kernels; the bootable"
                + " image is '" + dir.resolve("hello_qemu-x86_64") + "')", error(dbg, List.of()));
    }

    @Test
    void multibootHeaderWithBadChecksum() throws IOException {
        byte[] image = bootableElf();
        image[0x34 + 8] ^= 1;
        Path k = file("badsum", image);
        assertEquals("kernel '" + k + "': the multiboot header at 0x34 has a bad checksum"
                + " (magic + flags + checksum must be 0)", error(k, List.of()));
    }

    @Test
    void multibootHeaderOnlyBeyond8KiB() throws IOException {
        byte[] image = new byte[12288];
        System.arraycopy(ElfBuilder.multibootHeader(0x10000, 0x100000, 0x100000, 0, 0, 0x100000), 0, image, 8192, 32);
        Path k = file("late.bin", image);
        assertEquals("kernel '" + k + "' is not an ELF file and has no multiboot header in the first 8 KiB",
                error(k, List.of()));
    }

    @Test
    void multibootWithoutAddressFieldsNeedsAnElfFile() throws IOException {
        byte[] image = new byte[4096];
        System.arraycopy(ElfBuilder.multibootHeader(0x3), 0, image, 0, 12);
        Path k = file("flat.bin", image);
        assertEquals("kernel '" + k + "' is not an ELF file, and its multiboot header has no address fields"
                + " (flag bit 16) to load it by", error(k, List.of()));
    }

    @Test
    void truncatedProgramHeaders() throws IOException {
        byte[] good = bootableElf();
        byte[] cut = Arrays.copyOf(good, ElfBuilder.PHOFF + 16);
        Path k = file("cut", cut);
        assertEquals("kernel '" + k + "': program header table (1 entry) (offset 0x100, 0x20 bytes) extends past"
                + " the end of the file (0x110 bytes)", error(k, List.of()));
    }

    @Test
    void elfWithNoLoadableSegments() throws IOException {
        Path k = file("nothing", ElfBuilder.elf32().entry(0x100000).multiboot(0x34, 0).build());
        assertEquals("kernel '" + k + "' has no loadable segments", error(k, List.of()));
    }

    @Test
    void linuxBzImageIsNamed() throws IOException {
        byte[] image = new byte[4096];
        image[0x202] = 'H';
        image[0x203] = 'd';
        image[0x204] = 'r';
        image[0x205] = 'S';
        Path k = file("bzImage", image);
        assertEquals("kernel '" + k + "' is a Linux bzImage; ukemu boots multiboot kernels (Linux is not supported"
                + " yet)", error(k, List.of()));
    }

    @Test
    void missingInitrd() throws IOException {
        Path k = file("k", bootableElf());
        Path initrd = dir.resolve("initrd.cpio");
        assertEquals("cannot read initrd '" + initrd + "': no such file", error(k, List.of(initrd)));
    }

    @Test
    void emptyInitrdFileIsAnEmptyModule() throws Exception {
        Path k = file("k", bootableElf());
        Path initrd = file("empty.img", new byte[0]);
        BootImage boot = KernelLoader.load(k, "", List.of(initrd), mem);
        long mods = mem.readInt(boot.ebx() + 24);
        assertEquals(1, mem.readInt(boot.ebx() + 20));
        assertEquals(mem.readInt(mods), mem.readInt(mods + 4), "mod_start == mod_end");
    }

    @Test
    void commandLineIsPathThenAppend() {
        Path k = Path.of("build", "hello_qemu-x86_64");
        assertEquals("build/hello_qemu-x86_64", KernelLoader.commandLine(k, null));
        assertEquals("build/hello_qemu-x86_64", KernelLoader.commandLine(k, ""));
        assertEquals("build/hello_qemu-x86_64 -- a b", KernelLoader.commandLine(k, "-- a b"));
    }

    @Test
    void nulInTheCommandLineIsRefused() throws IOException {
        Path k = file("k", bootableElf());
        assertEquals("the kernel command line contains a NUL character",
                assertThrows(LoadException.class, () -> KernelLoader.load(k, "a\0b", List.of(), mem)).getMessage());
    }

    @Test
    void messagesAreOneLine() {
        assertEquals("a b", new LoadException("a\n b\r\n").getMessage());
    }

    @Test
    void sizesReadLikeAPerson() {
        assertEquals("2 MiB", Placement.size(2 << 20));
        assertEquals("1.5 GiB", Placement.size(3L << 29));
        assertEquals("300 bytes", Placement.size(300));
        assertEquals("4 KiB", Placement.size(4096));
        assertEquals("0x100000-0x1fffff", Placement.range(0x100000, 0x100000));
    }
}
