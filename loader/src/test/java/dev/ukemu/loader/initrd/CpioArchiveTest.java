package dev.ukemu.loader.initrd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.loader.LoadException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpioArchiveTest {
    @TempDir
    Path tmp;
    private Path root;

    /** rootfs/{b.txt, etc/{motd, init.d/}, bin/{tool (0755), link -> tool}, lib -> etc} */
    @BeforeEach
    void tree() throws IOException {
        root = Files.createDirectory(tmp.resolve("rootfs"));
        Files.writeString(root.resolve("b.txt"), "bee\n");
        Files.createDirectories(root.resolve("etc/init.d"));
        Files.writeString(root.resolve("etc/motd"), "hello from ukemu\n");
        Files.createDirectory(root.resolve("bin"));
        Files.write(root.resolve("bin/tool"), new byte[] {0x7F, 'E', 'L', 'F', 0, 1, 2});
        Files.setPosixFilePermissions(root.resolve("bin/tool"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(root.resolve("etc/motd"), PosixFilePermissions.fromString("rw-r-----"));
        Files.createSymbolicLink(root.resolve("bin/link"), Path.of("tool"));
        Files.createSymbolicLink(root.resolve("lib"), Path.of("etc")); // a link to a directory: not followed
    }

    private record Read(CpioArchiveEntry entry, byte[] data) {
    }

    private static List<Read> read(byte[] archive) throws IOException {
        List<Read> list = new ArrayList<>();
        try (CpioArchiveInputStream in = new CpioArchiveInputStream(new ByteArrayInputStream(archive))) {
            for (CpioArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                list.add(new Read(e, in.readAllBytes()));
            }
        }
        return list;
    }

    @Test
    void packsADirectorySortedWithRootOwnershipAndModes() throws Exception {
        byte[] archive = CpioArchive.fromDirectory(root);
        assertEquals("070701", new String(archive, 0, 6, StandardCharsets.US_ASCII));
        List<Read> entries = read(archive);
        assertEquals(List.of("b.txt", "bin", "bin/link", "bin/tool", "etc", "etc/init.d", "etc/motd", "lib"),
                entries.stream().map(r -> r.entry().getName()).toList());
        for (Read r : entries) {
            assertEquals(CpioConstants.FORMAT_NEW, r.entry().getFormat());
            assertEquals(0, r.entry().getUID(), r.entry().getName());
            assertEquals(0, r.entry().getGID(), r.entry().getName());
            assertEquals(0, r.entry().getTime(), r.entry().getName());
        }
        Read tool = entries.get(3), motd = entries.get(6), link = entries.get(2), lib = entries.get(7);
        assertEquals(0100755, tool.entry().getMode());
        assertArrayEquals(new byte[] {0x7F, 'E', 'L', 'F', 0, 1, 2}, tool.data());
        assertEquals(0100640, motd.entry().getMode());
        assertEquals("hello from ukemu\n", new String(motd.data(), StandardCharsets.UTF_8));
        assertTrue(entries.get(1).entry().isDirectory());
        assertEquals(0, entries.get(1).entry().getSize());
        assertTrue(link.entry().isSymbolicLink());
        assertEquals("tool", new String(link.data(), StandardCharsets.UTF_8));
        assertTrue(lib.entry().isSymbolicLink(), "symlinks to directories stay links");
        assertEquals("etc", new String(lib.data(), StandardCharsets.UTF_8));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), entries.stream().map(r -> r.entry().getInode()).toList());
    }

    @Test
    void endsWithTheTrailer() throws Exception {
        byte[] archive = CpioArchive.fromDirectory(root);
        String text = new String(archive, StandardCharsets.ISO_8859_1);
        int trailer = text.lastIndexOf("TRAILER!!!");
        assertTrue(trailer > text.lastIndexOf("lib\0"), "trailer after the last entry");
        assertEquals("070701", text.substring(trailer - 110, trailer - 104));
        assertEquals(0, archive.length % 512, "padded to cpio's block size");
        CpioArchive.Summary summary = CpioArchive.validate("initrd 'rootfs'", archive);
        assertEquals(8, summary.entries());
        assertTrue(summary.length() <= archive.length && summary.length() > trailer);
    }

    @Test
    void buildsAreReproducible() throws Exception {
        byte[] first = CpioArchive.fromDirectory(root);
        Files.setLastModifiedTime(root.resolve("b.txt"), FileTime.fromMillis(123_456_789_000L));
        Files.setLastModifiedTime(root.resolve("etc"), FileTime.fromMillis(42_000L));
        byte[] second = CpioArchive.fromDirectory(root);
        assertArrayEquals(first, second);
    }

    @Test
    void emptyDirectoryIsJustTheTrailer() throws Exception {
        byte[] archive = CpioArchive.fromDirectory(Files.createDirectory(tmp.resolve("empty")));
        assertEquals(List.of(), read(archive));
        assertEquals(0, CpioArchive.validate("x", archive).entries());
    }

    @Test
    void initrdOpenPacksDirectoriesAndKeepsFiles() throws Exception {
        Initrd fromDir = Initrd.open(root);
        assertTrue(fromDir instanceof Initrd.FromBytes);
        assertEquals(root.toString(), fromDir.name());
        assertEquals(CpioArchive.fromDirectory(root).length, fromDir.size());
        Path file = Files.writeString(tmp.resolve("plain.img"), "12345");
        Initrd fromFile = Initrd.open(file);
        assertEquals(new Initrd.FromFile(file, 5), fromFile);
        assertEquals("initrd '" + file + "'", fromFile.label());
    }

    @Test
    void validatesOdcAndCrcArchives() throws Exception {
        for (short format : new short[] {CpioConstants.FORMAT_OLD_ASCII, CpioConstants.FORMAT_NEW_CRC}) {
            byte[] archive = archive(format, "hello", "data!");
            assertEquals(1, CpioArchive.validate("x", archive).entries(), "format " + format);
            assertTrue(CpioArchive.hasCpioMagic(MemorySegment.ofArray(archive)));
        }
    }

    @Test
    void crcMismatchIsReported() throws Exception {
        byte[] archive = archive(CpioConstants.FORMAT_NEW_CRC, "hello", "data!");
        int data = new String(archive, StandardCharsets.ISO_8859_1).indexOf("data!");
        archive[data] = 'D';
        assertEquals("initrd 'c': malformed cpio archive: entry 0 at 0x0 ('hello') fails its checksum",
                invalid("initrd 'c'", archive));
    }

    @Test
    void malformedArchivesAreOneLineErrors() throws Exception {
        byte[] good = archive(CpioConstants.FORMAT_NEW, "file", "0123456789");
        assertEquals("i: malformed cpio archive: entry 0 at 0x0 has no cpio magic (found '070709', expected"
                + " 070701, 070702 or 070707)", invalid("i", with(good, 5, '9')));
        assertEquals("i: malformed cpio archive: entry 0 at 0x0 has a bad hex field at 0x16",
                invalid("i", with(good, 22, 'g')));
        assertEquals("i: truncated cpio archive: the header of entry 0 at 0x0 runs past the end",
                invalid("i", Arrays.copyOf(good, 50)));
        assertEquals("i: truncated cpio archive: entry 0 at 0x0 ('file', 10 bytes) runs past the end",
                invalid("i", Arrays.copyOf(good, 120)));
        int trailer = new String(good, StandardCharsets.ISO_8859_1).indexOf("070701", 6);
        assertEquals("i: truncated cpio archive: no TRAILER!!! entry after 1 entries",
                invalid("i", Arrays.copyOf(good, trailer)));
        assertEquals("i: malformed cpio archive: the name of entry 0 at 0x0 is not NUL-terminated",
                invalid("i", with(good, 110 + 4, 'X')));
        assertFalse(CpioArchive.hasCpioMagic(MemorySegment.ofArray("\u001f\u008b gzip".getBytes())));
    }

    private static String invalid(String label, byte[] archive) {
        return assertThrows(LoadException.class, () -> CpioArchive.validate(label, archive)).getMessage();
    }

    private static byte[] with(byte[] data, int offset, char c) {
        byte[] copy = data.clone();
        copy[offset] = (byte) c;
        return copy;
    }

    private static byte[] archive(short format, String name, String contents) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (CpioArchiveOutputStream out = new CpioArchiveOutputStream(bytes, format)) {
            CpioArchiveEntry e = new CpioArchiveEntry(format, name);
            byte[] data = contents.getBytes(StandardCharsets.US_ASCII);
            e.setMode(0100644);
            e.setSize(data.length);
            if (format == CpioConstants.FORMAT_NEW_CRC) {
                long sum = 0;
                for (byte b : data) {
                    sum += b & 0xFF;
                }
                e.setChksum(sum);
            }
            out.putArchiveEntry(e);
            out.write(data);
            out.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }
}
