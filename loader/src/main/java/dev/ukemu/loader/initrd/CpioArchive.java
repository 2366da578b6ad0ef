package dev.ukemu.loader.initrd;

import dev.ukemu.loader.InputFiles;
import dev.ukemu.loader.LoadException;
import dev.ukemu.loader.Placement;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/**
 * cpio archives as initrds: packing a directory into the "newc" format Linux's initramfs and
 * Unikraft's {@code ukcpio} read, and checking the structure of a given archive.
 *
 * <p>Packing is reproducible: entries sorted by path (so a directory precedes what it holds),
 * owner root:root, mtime 0, inode numbers in entry order, permissions from the files, and symbolic
 * links stored as links, never followed.
 */
public final class CpioArchive {
    /** cpio(5): "070701" newc, "070702" newc with checksum, "070707" portable ASCII (odc). */
    public static final String MAGIC_NEWC = "070701", MAGIC_CRC = "070702", MAGIC_ODC = "070707";
    /** Name of the entry that ends an archive. */
    public static final String TRAILER = "TRAILER!!!";
    /** Header sizes: newc 6 + 13 x 8 hex digits, odc 6 + 8 x 6 + 2 x 11 octal digits. */
    static final int NEWC_HEADER = 110, ODC_HEADER = 76;
    /** st_mode type and permission bits (cpio(5), "mode"). */
    static final int S_IFMT = 0170000, PERMISSION_BITS = 07777;

    private CpioArchive() {
    }

    /** What {@link #validate} found: entries before the trailer and bytes up to its end. */
    public record Summary(int entries, long length) {
    }

    /** Packs the tree under {@code dir} (not {@code dir} itself) into a newc archive. */
    public static byte[] fromDirectory(Path dir) throws LoadException {
        String label = InputFiles.label(Initrd.KIND, dir);
        List<Node> nodes = collect(dir, label);
        long total = nodes.stream().mapToLong(n -> NEWC_HEADER + n.name().length() * 4L + 8 + n.size()).sum();
        if (total > Integer.MAX_VALUE - 8 - 4096) {
            throw new LoadException(label + " holds more than 2 GiB (" + Placement.size(total)
                    + "); pack it into a cpio file instead");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(total + 1024, 1 << 24));
        String current = "";
        try (CpioArchiveOutputStream out = new CpioArchiveOutputStream(bytes, CpioConstants.FORMAT_NEW,
                CpioConstants.BLOCK_SIZE, StandardCharsets.UTF_8.name())) {
            int inode = 1;
            for (Node node : nodes) {
                current = node.name();
                byte[] data = node.contents();
                CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, node.name());
                e.setMode(node.mode());
                e.setUID(0);
                e.setGID(0);
                e.setTime(0);
                e.setInode(inode++);
                e.setNumberOfLinks((node.mode() & S_IFMT) == CpioConstants.C_ISDIR ? 2 : 1);
                e.setRemoteDeviceMaj(node.rdevMajor());
                e.setRemoteDeviceMin(node.rdevMinor());
                e.setSize(data.length);
                out.putArchiveEntry(e);
                out.write(data);
                out.closeArchiveEntry();
            }
            current = "";
            out.finish();
        } catch (IOException e) {
            throw new LoadException("cannot pack " + label + (current.isEmpty() ? "" : " ('" + current + "')")
                    + ": " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    /** One file-system object to archive. {@code contents} is read lazily: file data or link target. */
    private record Node(String name, Path path, int mode, long size, long rdevMajor, long rdevMinor) {
        byte[] contents() throws IOException {
            return switch (mode & S_IFMT) {
                case CpioConstants.C_ISREG -> Files.readAllBytes(path);
                case CpioConstants.C_ISLNK -> Files.readSymbolicLink(path).toString().getBytes(StandardCharsets.UTF_8);
                default -> new byte[0];
            };
        }
    }

    private static List<Node> collect(Path root, String label) throws LoadException {
        if (!Files.isReadable(root)) {
            throw new LoadException("cannot read " + label + ": permission denied");
        }
        List<Node> nodes = new ArrayList<>();
        try {
            Files.walkFileTree(root, EnumSet.noneOf(FileVisitOption.class), Integer.MAX_VALUE,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                            if (!d.equals(root)) {
                                nodes.add(node(root, d, attrs));
                            }
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                            nodes.add(node(root, f, attrs));
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                            throw e;
                        }
                    });
        } catch (IOException e) {
            throw InputFiles.readError(root, Initrd.KIND, e);
        } catch (UnsupportedOperationException e) {
            throw new LoadException(label + ": " + e.getMessage());
        }
        nodes.sort((a, b) -> a.name().compareTo(b.name()));
        return nodes;
    }

    private static Node node(Path root, Path p, BasicFileAttributes attrs) throws IOException {
        StringBuilder name = new StringBuilder();
        for (Path part : root.relativize(p)) {
            name.append(name.isEmpty() ? "" : "/").append(part);
        }
        int mode = unixMode(p, attrs);
        long rdev = 0;
        int type = mode & S_IFMT;
        if (type == CpioConstants.C_ISCHR || type == CpioConstants.C_ISBLK) {
            rdev = ((Number) Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS)).longValue();
        }
        long size = attrs.isRegularFile() ? attrs.size() : attrs.isSymbolicLink() ? 4096 : 0;
        // glibc's dev_t encoding: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31.
        return new Node(name.toString(), p, mode, size,
                ((rdev >>> 8) & 0xFFF) | ((rdev >>> 32) & ~0xFFFL),
                (rdev & 0xFF) | ((rdev >>> 12) & ~0xFFL));
    }

    /** st_mode with the file type, from the "unix" view where the platform has one. */
    private static int unixMode(Path p, BasicFileAttributes attrs) throws IOException {
        try {
            return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            int type;
            if (attrs.isDirectory()) {
                type = CpioConstants.C_ISDIR;
            } else if (attrs.isSymbolicLink()) {
                type = CpioConstants.C_ISLNK;
            } else if (attrs.isRegularFile()) {
                type = CpioConstants.C_ISREG;
            } else {
                throw new UnsupportedOperationException("'" + p + "' is a special file this platform cannot describe");
            }
            int perms = 0;
            try {
                for (PosixFilePermission perm : Files.readAttributes(p, PosixFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS).permissions()) {
                    perms |= 0400 >> perm.ordinal(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
                }
            } catch (UnsupportedOperationException noPosix) {
                perms = attrs.isDirectory() || attrs.isSymbolicLink() ? 0755 : 0644;
            }
            return type | perms;
        }
    }

    /** True if {@code data} starts like a cpio archive (any of the ASCII magics). */
    public static boolean hasCpioMagic(MemorySegment data) {
        return data.byteSize() >= 6 && switch (ascii(data, 0, 6)) {
            case MAGIC_NEWC, MAGIC_CRC, MAGIC_ODC -> true;
            default -> false;
        };
    }

    public static Summary validate(String label, byte[] data) throws LoadException {
        return validate(label, MemorySegment.ofArray(data));
    }

    /**
     * Walks every header up to {@code TRAILER!!!}, checking magics, numeric fields, names and that
     * each entry fits; for "070702" also the data checksums. Data after the trailer is not examined
     * (Linux accepts further archives there).
     */
    public static Summary validate(String label, MemorySegment data) throws LoadException {
        long size = data.byteSize();
        long pos = 0;
        for (int index = 0; ; index++) {
            String where = "entry " + index + " at " + Placement.hex(pos);
            if (pos + 6 > size) {
                throw new LoadException(label + ": truncated cpio archive: no " + TRAILER + " entry after "
                        + index + " entries");
            }
            String magic = ascii(data, pos, 6);
            boolean odc = magic.equals(MAGIC_ODC);
            if (!odc && !magic.equals(MAGIC_NEWC) && !magic.equals(MAGIC_CRC)) {
                throw new LoadException(label + ": malformed cpio archive: " + where + " has no cpio magic (found '"
                        + printable(magic) + "', expected 070701, 070702 or 070707)");
            }
            int headerSize = odc ? ODC_HEADER : NEWC_HEADER;
            if (pos + headerSize > size) {
                throw new LoadException(label + ": truncated cpio archive: the header of " + where
                        + " runs past the end");
            }
            for (int f = 0; !odc && f < 13; f++) {
                number(data, pos + 6 + 8L * f, 8, 16, label, where); // every field must be hex
            }
            for (int f = 0; odc && f < 7; f++) {
                number(data, pos + 6 + 6L * f, 6, 8, label, where); // dev .. rdev
            }
            if (odc) {
                number(data, pos + 48, 11, 8, label, where); // mtime
            }
            long nameSize = odc ? number(data, pos + 59, 6, 8, label, where) : number(data, pos + 94, 8, 16, label, where);
            long fileSize = odc ? number(data, pos + 65, 11, 8, label, where) : number(data, pos + 54, 8, 16, label, where);
            long nameStart = pos + headerSize;
            if (nameSize < 1 || nameStart + nameSize > size) {
                throw new LoadException(label + ": " + (nameSize < 1 ? "malformed" : "truncated")
                        + " cpio archive: the name of " + where + " runs past the end");
            }
            if (data.get(ValueLayout.JAVA_BYTE, nameStart + nameSize - 1) != 0) {
                throw new LoadException(label + ": malformed cpio archive: the name of " + where
                        + " is not NUL-terminated");
            }
            String name = ascii(data, nameStart, (int) Math.min(nameSize - 1, 4096));
            long dataStart = odc ? nameStart + nameSize : Placement.alignUp(nameStart + nameSize, 4);
            long dataEnd = dataStart + fileSize;
            if (name.equals(TRAILER)) {
                return new Summary(index, Math.min(size, odc ? dataEnd : Placement.alignUp(dataEnd, 4)));
            }
            if (dataEnd > size) {
                throw new LoadException(label + ": truncated cpio archive: " + where + " ('" + printable(name)
                        + "', " + fileSize + " bytes) runs past the end");
            }
            if (magic.equals(MAGIC_CRC)) {
                long expected = number(data, pos + 102, 8, 16, label, where);
                long sum = 0;
                for (long i = dataStart; i < dataEnd; i++) {
                    sum += data.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
                }
                if ((sum & 0xFFFF_FFFFL) != expected) {
                    throw new LoadException(label + ": malformed cpio archive: " + where + " ('" + printable(name)
                            + "') fails its checksum");
                }
            }
            pos = odc ? dataEnd : Placement.alignUp(dataEnd, 4);
        }
    }

    private static long number(MemorySegment data, long off, int digits, int radix, String label, String where)
            throws LoadException {
        long value = 0;
        for (int i = 0; i < digits; i++) {
            int d = Character.digit(data.get(ValueLayout.JAVA_BYTE, off + i), radix);
            if (d < 0) {
                throw new LoadException(label + ": malformed cpio archive: " + where + " has a bad "
                        + (radix == 16 ? "hex" : "octal") + " field at " + Placement.hex(off));
            }
            value = value * radix + d;
        }
        return value;
    }

    private static String ascii(MemorySegment data, long off, int len) {
        byte[] b = new byte[len];
        MemorySegment.copy(data, off, MemorySegment.ofArray(b), 0, len);
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static String printable(String s) {
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
