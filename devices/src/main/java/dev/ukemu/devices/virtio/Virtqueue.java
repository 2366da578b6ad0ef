package dev.ukemu.devices.virtio;

import java.lang.invoke.VarHandle;

/**
 * A split virtqueue (virtio 1.2, section 2.7) as the device sees it: the descriptor table, the
 * driver's available ring and the device's used ring, all in guest RAM at addresses the driver
 * chose. Everything read from the guest is validated: indices against the queue size, chains
 * against loops (a chain never has more descriptors than the queue), descriptors against guest
 * RAM; a violation is a {@link VirtioError}.
 *
 * <p>Memory ordering with the vCPU threads that run the driver: the available index is read
 * before the entries it publishes (acquire), used entries are written before the used index
 * (release), and a full fence separates publishing the used index from reading the driver's
 * notification suppression fields, as the spec's memory barriers require.
 *
 * <p>Not thread-safe: the transport serialises access.
 */
public final class Virtqueue {
    // Descriptor flags (section 2.7.5).
    public static final int DESC_F_NEXT = 1, DESC_F_WRITE = 2, DESC_F_INDIRECT = 4;
    /** Available ring flag: the driver wants no interrupts (section 2.7.7). */
    public static final int AVAIL_F_NO_INTERRUPT = 1;
    public static final int DESC_SIZE = 16;
    /** The largest queue a split ring can have. */
    public static final int MAX_SIZE = 32768;
    /** Legacy rings: the used ring starts on the next 4 KiB boundary (VIRTIO_PCI_VRING_ALIGN). */
    public static final int LEGACY_ALIGN = 4096;

    private final int index;
    private final int maxSize;
    private final GuestRam ram;

    private int size;
    private boolean enabled;
    private long desc;
    private long avail;
    private long used;
    private boolean eventIdx;

    private int lastAvail;
    private int usedIdx;
    private boolean signalledValid;
    private int signalledUsed;

    public Virtqueue(int index, int maxSize, GuestRam ram) {
        if (maxSize < 1 || maxSize > MAX_SIZE || Integer.bitCount(maxSize) != 1) {
            throw new IllegalArgumentException("queue size must be a power of two up to 32768: " + maxSize);
        }
        this.index = index;
        this.maxSize = maxSize;
        this.ram = ram;
        reset();
    }

    /** Device reset: no rings, size back to the maximum, indices at 0. */
    public void reset() {
        size = maxSize;
        enabled = false;
        desc = avail = used = 0;
        eventIdx = false;
        lastAvail = usedIdx = 0;
        signalledValid = false;
        signalledUsed = 0;
    }

    public int index() {
        return index;
    }

    public int maxSize() {
        return maxSize;
    }

    public int size() {
        return size;
    }

    /** Sets the size the driver chose; false (no change) unless a power of two up to the maximum. */
    public boolean setSize(int n) {
        if (n < 1 || n > maxSize || Integer.bitCount(n) != 1) {
            return false;
        }
        size = n;
        return true;
    }

    public boolean enabled() {
        return enabled;
    }

    public void setEnabled(boolean on) {
        enabled = on;
    }

    public long descAddr() {
        return desc;
    }

    public long driverAddr() {
        return avail;
    }

    public long deviceAddr() {
        return used;
    }

    public void setDescAddr(long a) {
        desc = a;
    }

    public void setDriverAddr(long a) {
        avail = a;
    }

    public void setDeviceAddr(long a) {
        used = a;
    }

    /** A legacy queue: all three parts in one block at {@code pa}, used ring page-aligned. */
    public void setLegacyAddress(long pa) {
        desc = pa;
        avail = pa + (long) DESC_SIZE * size;
        used = (avail + 6 + 2L * size + LEGACY_ALIGN - 1) & -LEGACY_ALIGN;
        enabled = pa != 0;
    }

    /** Whether used_event/avail_event (VIRTIO_F_EVENT_IDX) are in force. */
    public void setEventIdx(boolean on) {
        eventIdx = on;
    }

    /** True when the driver has set the queue up. */
    public boolean ready() {
        return enabled && desc != 0;
    }

    public int lastAvailIdx() {
        return lastAvail;
    }

    public int usedIdx() {
        return usedIdx;
    }

    // ---- available ring ---------------------------------------------------------------------

    /** The driver's available index; entries before it are visible once this returns. */
    public int availIdx() {
        int v = ram.readU16(avail + 2);
        VarHandle.acquireFence();
        return v;
    }

    /** Available buffers not yet taken. */
    public int pending() {
        int n = (availIdx() - lastAvail) & 0xFFFF;
        if (n > size) {
            throw new VirtioError(String.format("queue %d: driver moved the available index %d past %d entries",
                    index, n, size));
        }
        return n;
    }

    /** Takes the next available chain, or returns null when there is none. */
    public DescriptorChain pop(DescriptorChain into) {
        if (pending() == 0) {
            return null;
        }
        int head = ram.readU16(avail + 4 + 2L * (lastAvail % size));
        if (head >= size) {
            throw new VirtioError(String.format("queue %d: head index %d >= queue size %d", index, head, size));
        }
        DescriptorChain chain = into != null ? into : new DescriptorChain();
        walk(head, chain);
        lastAvail = (lastAvail + 1) & 0xFFFF;
        if (eventIdx) {
            // avail_event: tell the driver to notify for anything past what we took.
            ram.writeU16(used + 4 + 8L * size, lastAvail);
        }
        return chain;
    }

    /** Gives back the last {@code n} chains taken (they will be popped again). */
    public void rewind(int n) {
        lastAvail = (lastAvail - n) & 0xFFFF;
    }

    private void walk(int head, DescriptorChain chain) {
        chain.reset(head);
        long table = desc;
        int limit = size;
        int i = head;
        int visited = 0;
        boolean indirect = false;
        boolean sawWritable = false;
        while (true) {
            long d = table + (long) DESC_SIZE * i;
            long addr = ram.readU64(d);
            long len = ram.readU32(d + 8);
            int flags = ram.readU16(d + 12);
            int next = ram.readU16(d + 14);
            if (++visited > size) {
                throw new VirtioError(String.format("queue %d: descriptor chain from %d loops or exceeds %d", index, head, size));
            }
            if ((flags & DESC_F_INDIRECT) != 0) {
                if (indirect) {
                    throw new VirtioError("queue " + index + ": nested indirect descriptor");
                }
                if ((flags & DESC_F_NEXT) != 0 || visited != 1) {
                    throw new VirtioError("queue " + index + ": indirect descriptor inside a chain");
                }
                if (len == 0 || len % DESC_SIZE != 0) {
                    throw new VirtioError("queue " + index + ": indirect table of " + len + " bytes");
                }
                if (!ram.contains(addr, len)) {
                    throw new VirtioError(String.format("queue %d: indirect table 0x%x+%d outside guest RAM", index, addr, len));
                }
                indirect = true;
                table = addr;
                limit = (int) Math.min(len / DESC_SIZE, Integer.MAX_VALUE);
                visited = 0;
                i = 0;
                continue;
            }
            if (len == 0) {
                throw new VirtioError("queue " + index + ": zero-sized buffer");
            }
            if (!ram.contains(addr, len)) {
                throw new VirtioError(String.format("queue %d: buffer 0x%x+%d outside guest RAM", index, addr, len));
            }
            boolean writable = (flags & DESC_F_WRITE) != 0;
            if (!writable && sawWritable) {
                throw new VirtioError("queue " + index + ": readable descriptor after a writable one");
            }
            sawWritable |= writable;
            chain.add(addr, (int) len, writable);
            if ((flags & DESC_F_NEXT) == 0) {
                return;
            }
            if (next >= limit) {
                throw new VirtioError(String.format("queue %d: next index %d >= %d", index, next, limit));
            }
            i = next;
        }
    }

    // ---- used ring --------------------------------------------------------------------------

    /** Writes a used element for {@code head}; the driver sees it after {@link #publish}. */
    public void add(int head, long len, int offset) {
        long e = used + 4 + 8L * ((usedIdx + offset) % size);
        ram.writeU32(e, head);
        ram.writeU32(e + 4, len);
    }

    /** Makes {@code count} elements written with {@link #add} visible to the driver. */
    public void publish(int count) {
        int next = (usedIdx + count) & 0xFFFF;
        VarHandle.releaseFence();
        ram.writeU16(used + 2, next);
        usedIdx = next;
    }

    /** Returns one chain to the driver: an element and the index update. */
    public void push(int head, long len) {
        add(head, len, 0);
        publish(1);
    }

    /**
     * True if the driver wants an interrupt for what was published since the last one
     * (QEMU's {@code virtio_should_notify} without NOTIFY_ON_EMPTY).
     */
    public boolean shouldInterrupt() {
        VarHandle.fullFence();
        if (!eventIdx) {
            return (ram.readU16(avail) & AVAIL_F_NO_INTERRUPT) == 0;
        }
        boolean valid = signalledValid;
        int old = signalledUsed;
        signalledValid = true;
        signalledUsed = usedIdx;
        int event = ram.readU16(avail + 4 + 2L * size);
        return !valid || needEvent(event, usedIdx, old);
    }

    /** {@code vring_need_event}: did the index cross {@code event} going from old to new? */
    static boolean needEvent(int event, int newIdx, int old) {
        return ((newIdx - event - 1) & 0xFFFF) < ((newIdx - old) & 0xFFFF);
    }

    /**
     * Asks the driver to notify when it adds a buffer (with EVENT_IDX: sets avail_event to the
     * current available index), then returns the available index as it is after that request is
     * visible, so a caller that compares it with what it saw before cannot miss a buffer added
     * in between.
     */
    public int enableNotification() {
        if (eventIdx) {
            ram.writeU16(used + 4 + 8L * size, availIdx());
        }
        VarHandle.fullFence();
        int idx = availIdx();
        pending();
        return idx;
    }
}
