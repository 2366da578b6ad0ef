package dev.ukemu.core.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;

/**
 * Guest RAM: one off-heap segment indexed directly by guest-physical address, so a soft-TLB entry
 * is just the physical page. The PC holes inside it (VGA window, PCI hole) are never touched
 * through this segment and, like all untouched pages, cost no host memory: the segment is an
 * anonymous {@code MAP_NORESERVE} mapping, which the kernel fills on first touch.
 */
public final class GuestMemory implements AutoCloseable {
    public static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemoryLayout layout;
    private final Arena arena;
    private final MemorySegment ram;

    public GuestMemory(MemoryLayout layout) {
        this.layout = layout;
        this.arena = Arena.ofShared();
        this.ram = allocate(arena, layout.backingSize());
    }

    public MemoryLayout layout() {
        return layout;
    }

    /** The backing segment, indexed by guest-physical address. */
    public MemorySegment segment() {
        return ram;
    }

    public long size() {
        return ram.byteSize();
    }

    /** True if the guest may read and write {@code paddr} as plain RAM. */
    public boolean isRam(long paddr) {
        return layout.isRam(paddr);
    }

    /** True if {@code paddr} is backed by this segment and readable as memory (RAM or BIOS ROM). */
    public boolean isReadableMemory(long paddr) {
        return layout.isRam(paddr) || MemoryLayout.isBiosRom(paddr);
    }

    /** True if {@code [paddr, paddr+len)} is entirely RAM or ROM (what a loader may fill). */
    public boolean isLoadable(long paddr, long len) {
        if (len < 0 || paddr < 0 || paddr + len > ram.byteSize() || paddr + len < paddr) {
            return false;
        }
        long end = paddr + len;
        for (long p = paddr & ~0xFFFL; p < end; p += 4096) {
            if (!isReadableMemory(p)) {
                return false;
            }
        }
        return true;
    }

    /** Copies {@code data} to RAM or ROM at {@code paddr}, as firmware or a loader does. */
    public void load(long paddr, byte[] data, int off, int len) {
        if (!isLoadable(paddr, len)) {
            throw new IllegalArgumentException(String.format(
                    "0x%x-0x%x is not guest RAM or ROM", paddr, paddr + len - 1));
        }
        MemorySegment.copy(MemorySegment.ofArray(data), off, ram, paddr, len);
    }

    public void load(long paddr, byte[] data) {
        load(paddr, data, 0, data.length);
    }

    /** Fills {@code [paddr, paddr+len)} with zero (BSS). */
    public void zero(long paddr, long len) {
        if (!isLoadable(paddr, len)) {
            throw new IllegalArgumentException(String.format(
                    "0x%x-0x%x is not guest RAM or ROM", paddr, paddr + len - 1));
        }
        ram.asSlice(paddr, len).fill((byte) 0);
    }

    public void read(long paddr, byte[] dst, int off, int len) {
        MemorySegment.copy(ram, paddr, MemorySegment.ofArray(dst), off, len);
    }

    public byte[] read(long paddr, int len) {
        byte[] b = new byte[len];
        read(paddr, b, 0, len);
        return b;
    }

    public int readByte(long paddr) {
        return ram.get(BYTE, paddr) & 0xFF;
    }

    public int readShort(long paddr) {
        return ram.get(SHORT, paddr) & 0xFFFF;
    }

    public int readInt(long paddr) {
        return ram.get(INT, paddr);
    }

    public long readLong(long paddr) {
        return ram.get(LONG, paddr);
    }

    public void writeByte(long paddr, int v) {
        ram.set(BYTE, paddr, (byte) v);
    }

    public void writeShort(long paddr, int v) {
        ram.set(SHORT, paddr, (short) v);
    }

    public void writeInt(long paddr, int v) {
        ram.set(INT, paddr, v);
    }

    public void writeLong(long paddr, long v) {
        ram.set(LONG, paddr, v);
    }

    @Override
    public void close() {
        arena.close();
    }

    private static final int PROT_READ = 1, PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;

    private static MemorySegment allocate(Arena arena, long size) {
        MethodHandle mmap = Mmap.HANDLE;
        if (mmap != null) {
            try {
                MemorySegment base = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, size,
                        PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
                if (base.address() != -1L && base.address() != 0L) {
                    return base.reinterpret(size, arena, seg -> unmap(seg, size));
                }
            } catch (Throwable t) {
                // Fall through to a heap-independent allocation.
            }
        }
        // Portable fallback: Arena zeroes (and so touches) the memory.
        return arena.allocate(size, 4096);
    }

    private static void unmap(MemorySegment seg, long size) {
        MethodHandle munmap = Munmap.HANDLE;
        if (munmap == null) {
            return;
        }
        try {
            int rc = (int) munmap.invokeExact(seg, size);
        } catch (Throwable ignored) {
            // The mapping dies with the process anyway.
        }
    }

    /**
     * Prepares on a background thread what guest RAM needs from the FFM API. On a freshly started
     * JVM the first use of each piece costs time because the JDK generates code for it: linking
     * mmap (tens of milliseconds), its first call, and the first access through each of
     * {@link #BYTE} .. {@link #LONG}. The command line starts this first thing, so that the work
     * overlaps with parsing options and building the machine; whoever needs a piece first either
     * waits for it (class initialisation) or makes it as well. A class of its own, so that starting
     * it does not initialise GuestMemory (and the FFM classes) on the caller's thread. munmap is
     * left alone: a command-line run exits without unmapping.
     */
    public static final class Warmup {
        private Warmup() {
        }

        public static void start() {
            Thread.ofPlatform().name("ukemu-ffm-warmup").daemon(true).start(GuestMemory::warmUp);
        }
    }

    /** In the order a booting machine needs them: mmap, then the accessors on a heap segment. */
    private static void warmUp() {
        MethodHandle mmap = Mmap.HANDLE;
        MemorySegment s = MemorySegment.ofArray(new long[8]);
        s.set(BYTE, 0, s.get(BYTE, 1));
        s.set(SHORT, 2, s.get(SHORT, 4));
        s.set(INT, 8, s.get(INT, 12));
        s.set(LONG, 16, s.get(LONG, 24));
        MemorySegment.copy(MemorySegment.ofArray(new byte[8]), 0, s, 32, 8);
    }

    /** mmap from the C library, looked up once; null where the platform has none. */
    private static final class Mmap {
        static final MethodHandle HANDLE = link("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));

        static {
            // A call that maps nothing (length 0 fails with EINVAL): the first call of a downcall
            // generates code too, and this way it is done by whoever links.
            if (HANDLE != null) {
                try {
                    MemorySegment none = (MemorySegment) HANDLE.invokeExact(MemorySegment.NULL, 0L, PROT_READ,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
                } catch (Throwable ignored) {
                    // The real call reports whatever is wrong.
                }
            }
        }
    }

    /** munmap, linked apart from mmap: nothing needs it until memory is closed. */
    private static final class Munmap {
        static final MethodHandle HANDLE = link("munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    private static MethodHandle link(String name, FunctionDescriptor signature) {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), signature);
        } catch (Throwable t) {
            return null;
        }
    }
}
