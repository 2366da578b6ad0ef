package dev.ukemu.devices.virtio;

import dev.ukemu.core.memory.GuestMemory;

/**
 * The driver's side of a split virtqueue in guest memory, written the way a driver does: fill
 * descriptors, put the head in the available ring, then move the available index.
 */
final class TestRing {
    final GuestMemory mem;
    final long desc;
    final long avail;
    final long used;
    final int size;
    private int nextDesc;
    private int availIdx;
    private int lastUsed;

    /** A ring in the legacy layout at {@code base} (page-aligned used ring). */
    TestRing(GuestMemory mem, long base, int size) {
        this.mem = mem;
        this.size = size;
        this.desc = base;
        this.avail = base + 16L * size;
        this.used = (avail + 6 + 2L * size + 4095) & -4096L;
        for (long a = base; a < used + 6 + 8L * size; a += 8) {
            mem.writeLong(a, 0);
        }
    }

    /** One buffer segment: address, length, whether the device writes it. */
    record Seg(long addr, long len, boolean write) {
    }

    static Seg out(long addr, long len) {
        return new Seg(addr, len, false);
    }

    static Seg in(long addr, long len) {
        return new Seg(addr, len, true);
    }

    int writeDesc(int i, long addr, long len, int flags, int next) {
        long d = desc + 16L * i;
        mem.writeLong(d, addr);
        mem.writeInt(d + 8, (int) len);
        mem.writeShort(d + 12, flags);
        mem.writeShort(d + 14, next);
        return i;
    }

    /** Writes a chain of descriptors and makes it available; returns its head. */
    int add(Seg... segs) {
        int head = nextDesc;
        for (int k = 0; k < segs.length; k++) {
            int i = (nextDesc + k) % size;
            boolean last = k == segs.length - 1;
            int flags = (segs[k].write() ? Virtqueue.DESC_F_WRITE : 0) | (last ? 0 : Virtqueue.DESC_F_NEXT);
            writeDesc(i, segs[k].addr(), segs[k].len(), flags, (i + 1) % size);
        }
        nextDesc = (nextDesc + segs.length) % size;
        publishHead(head);
        return head;
    }

    /** Writes {@code segs} as an indirect table at {@code table} and makes one descriptor for it available. */
    int addIndirect(long table, Seg... segs) {
        for (int k = 0; k < segs.length; k++) {
            long d = table + 16L * k;
            boolean last = k == segs.length - 1;
            mem.writeLong(d, segs[k].addr());
            mem.writeInt(d + 8, (int) segs[k].len());
            mem.writeShort(d + 12, (segs[k].write() ? Virtqueue.DESC_F_WRITE : 0) | (last ? 0 : Virtqueue.DESC_F_NEXT));
            mem.writeShort(d + 14, k + 1);
        }
        int head = nextDesc;
        writeDesc(head, table, 16L * segs.length, Virtqueue.DESC_F_INDIRECT, 0);
        nextDesc = (nextDesc + 1) % size;
        publishHead(head);
        return head;
    }

    void publishHead(int head) {
        mem.writeShort(avail + 4 + 2L * (availIdx % size), head);
        availIdx = (availIdx + 1) & 0xFFFF;
        java.lang.invoke.VarHandle.releaseFence(); // the driver's write barrier before the index
        mem.writeShort(avail + 2, availIdx);
    }

    int availIdx() {
        return availIdx;
    }

    void setAvailFlags(int flags) {
        mem.writeShort(avail, flags);
    }

    void setUsedEvent(int idx) {
        mem.writeShort(avail + 4 + 2L * size, idx);
    }

    int availEvent() {
        return mem.readShort(used + 4 + 8L * size);
    }

    int usedIdx() {
        int v = mem.readShort(used + 2);
        java.lang.invoke.VarHandle.acquireFence(); // the driver's read barrier after the index
        return v;
    }

    long usedId(int n) {
        return mem.readInt(used + 4 + 8L * (n % size)) & 0xFFFFFFFFL;
    }

    long usedLen(int n) {
        return mem.readInt(used + 8 + 8L * (n % size)) & 0xFFFFFFFFL;
    }

    /** Used elements not seen yet. */
    int newlyUsed() {
        int n = (usedIdx() - lastUsed) & 0xFFFF;
        lastUsed = usedIdx();
        return n;
    }
}
