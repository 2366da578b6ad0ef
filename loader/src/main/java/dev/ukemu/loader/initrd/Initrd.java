package dev.ukemu.loader.initrd;

import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.loader.InputFiles;
import dev.ukemu.loader.LoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An initial RAM disk given with {@code --initrd}: a file, loaded as it is (any file can be a
 * multiboot module), or a directory, packed into a newc cpio archive.
 */
public sealed interface Initrd permits Initrd.FromFile, Initrd.FromBytes {
    String KIND = "initrd";

    /** The path as the user gave it: the module's string in the multiboot info, as under QEMU. */
    String name();

    long size();

    /** Copies the contents to guest RAM at {@code paddr}; the caller has checked that they fit. */
    void copyTo(GuestMemory mem, long paddr) throws LoadException;

    default String label() {
        return KIND + " '" + name() + "'";
    }

    /** A directory becomes a cpio archive; anything else must be a readable regular file. */
    static Initrd open(Path path) throws LoadException {
        if (Files.isDirectory(path)) {
            return new FromBytes(path.toString(), CpioArchive.fromDirectory(path));
        }
        return new FromFile(path, InputFiles.requireRegularFile(path, KIND));
    }

    /** A file streamed into guest RAM, never held whole in the Java heap. */
    record FromFile(Path path, long size) implements Initrd {
        private static final int CHUNK = 1 << 20;

        @Override
        public String name() {
            return path.toString();
        }

        @Override
        public void copyTo(GuestMemory mem, long paddr) throws LoadException {
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(size, 1)));
                long done = 0;
                while (done < size) {
                    buf.clear().limit((int) Math.min(buf.capacity(), size - done));
                    int n = ch.read(buf);
                    if (n < 0) {
                        throw new LoadException(label() + " shrank while it was being read ("
                                + done + " of " + size + " bytes)");
                    }
                    mem.load(paddr + done, buf.array(), 0, n);
                    done += n;
                }
            } catch (IOException e) {
                throw InputFiles.readError(path, KIND, e);
            }
        }
    }

    /** Contents built in memory (a cpio archive made from a directory). */
    record FromBytes(String name, byte[] bytes) implements Initrd {
        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public void copyTo(GuestMemory mem, long paddr) {
            mem.load(paddr, bytes);
        }
    }
}
