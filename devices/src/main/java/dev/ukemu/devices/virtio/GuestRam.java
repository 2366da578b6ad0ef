package dev.ukemu.devices.virtio;

import dev.ukemu.core.memory.GuestMemory;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A device's view of guest RAM for DMA. Every access is checked to lie entirely in RAM (never in
 * a hole, never past the end) and a bad one is a {@link VirtioError}, so a hostile driver cannot
 * make the device touch anything else. Stores are reported to a {@link WriteListener}, which the
 * machine connects to the vCPUs' decoded-code cache so that code overwritten by DMA is decoded
 * again.
 */
public final class GuestRam {
    /** Told about each range the device stored into. */
    @FunctionalInterface
    public interface WriteListener {
        void written(long pa, long len);

        WriteListener NONE = (pa, len) -> { };
    }

    private final GuestMemory memory;
    private final MemorySegment ram;
    private final WriteListener listener;

    public GuestRam(GuestMemory memory, WriteListener listener) {
        this.memory = Objects.requireNonNull(memory, "memory");
        this.ram = memory.segment();
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** True if all of {@code [pa, pa+len)} is guest RAM. */
    public boolean contains(long pa, long len) {
        return memory.layout().isRamRange(pa, len) && pa + len <= ram.byteSize();
    }

    private void check(long pa, long len) {
        if (!contains(pa, len)) {
            throw new VirtioError(String.format("DMA to 0x%x+%d is outside guest RAM", pa, len));
        }
    }

    public int readU16(long pa) {
        check(pa, 2);
        return ram.get(GuestMemory.SHORT, pa) & 0xFFFF;
    }

    public long readU32(long pa) {
        check(pa, 4);
        return ram.get(GuestMemory.INT, pa) & 0xFFFFFFFFL;
    }

    public long readU64(long pa) {
        check(pa, 8);
        return ram.get(GuestMemory.LONG, pa);
    }

    public void writeU16(long pa, int v) {
        check(pa, 2);
        ram.set(GuestMemory.SHORT, pa, (short) v);
        listener.written(pa, 2);
    }

    public void writeU32(long pa, long v) {
        check(pa, 4);
        ram.set(GuestMemory.INT, pa, (int) v);
        listener.written(pa, 4);
    }

    /** Copies {@code len} bytes at {@code pa} into {@code dst} at its position, advancing it. */
    public void read(long pa, ByteBuffer dst, int len) {
        check(pa, len);
        MemorySegment.copy(ram, pa, MemorySegment.ofBuffer(dst), 0, len);
        dst.position(dst.position() + len);
    }

    /** Copies {@code len} bytes from {@code src} at its position to {@code pa}, advancing it. */
    public void write(long pa, ByteBuffer src, int len) {
        check(pa, len);
        MemorySegment.copy(MemorySegment.ofBuffer(src), 0, ram, pa, len);
        src.position(src.position() + len);
        listener.written(pa, len);
    }
}
