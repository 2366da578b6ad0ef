package dev.ukemu.devices.virtio;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One available buffer: the head index the driver gave and the guest-physical segments its
 * descriptors name, readable ones first, then writable ones (the order virtio requires). Every
 * segment has already been checked to be guest RAM.
 */
public final class DescriptorChain {
    private int head;
    private int count;
    private int readableCount;
    private long[] addr = new long[4];
    private int[] len = new int[4];
    private long readableBytes;
    private long writableBytes;

    void reset(int head) {
        this.head = head;
        count = 0;
        readableCount = 0;
        readableBytes = 0;
        writableBytes = 0;
    }

    void add(long a, int l, boolean writable) {
        if (count == addr.length) {
            addr = Arrays.copyOf(addr, count * 2);
            len = Arrays.copyOf(len, count * 2);
        }
        addr[count] = a;
        len[count] = l;
        count++;
        if (writable) {
            writableBytes += l & 0xFFFFFFFFL;
        } else {
            readableCount++;
            readableBytes += l & 0xFFFFFFFFL;
        }
    }

    /** The descriptor index to return in the used ring. */
    public int head() {
        return head;
    }

    public int segments() {
        return count;
    }

    public long readableBytes() {
        return readableBytes;
    }

    public long writableBytes() {
        return writableBytes;
    }

    /**
     * Copies up to {@code max} readable bytes, starting {@code skip} bytes in, into {@code dst};
     * returns how many were copied.
     */
    public int gather(GuestRam ram, long skip, ByteBuffer dst, int max) {
        int copied = 0;
        long offset = 0;
        for (int i = 0; i < readableCount && copied < max; i++) {
            long l = len[i] & 0xFFFFFFFFL;
            if (offset + l <= skip) {
                offset += l;
                continue;
            }
            long from = Math.max(0, skip - offset);
            int n = (int) Math.min(l - from, max - copied);
            ram.read(addr[i] + from, dst, n);
            copied += n;
            offset += l;
        }
        return copied;
    }

    /**
     * Copies {@code src}'s remaining bytes into the writable segments, starting {@code skip}
     * bytes in; returns how many fitted.
     */
    public int scatter(GuestRam ram, long skip, ByteBuffer src) {
        int written = 0;
        long offset = 0;
        for (int i = readableCount; i < count && src.hasRemaining(); i++) {
            long l = len[i] & 0xFFFFFFFFL;
            if (offset + l <= skip) {
                offset += l;
                continue;
            }
            long from = Math.max(0, skip - offset);
            int n = (int) Math.min(l - from, src.remaining());
            ram.write(addr[i] + from, src, n);
            written += n;
            offset += l;
        }
        return written;
    }
}
