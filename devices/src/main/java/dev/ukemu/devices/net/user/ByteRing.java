package dev.ukemu.devices.net.user;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A circular byte queue between a socket and a TCP sequence space, growing by doubling up to
 * its limit so that idle connections stay small.
 */
final class ByteRing {
    private static final int INITIAL = 4096;
    private final int limit;
    private byte[] buf;
    private int head;
    private int size;

    ByteRing(int limit) {
        this.limit = limit;
        this.buf = new byte[Math.min(INITIAL, limit)];
    }

    private void reserve(int wanted) {
        if (wanted <= buf.length) {
            return;
        }
        int cap = buf.length;
        while (cap < wanted) {
            cap = Math.min(limit, cap * 2);
        }
        byte[] bigger = new byte[cap];
        copy(0, bigger, 0, size);
        buf = bigger;
        head = 0;
    }

    int size() {
        return size;
    }

    /** Room left before the limit. */
    int free() {
        return limit - size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Appends up to {@code len} bytes; returns how many fitted. */
    int append(byte[] src, int off, int len) {
        int n = Math.min(len, free());
        reserve(size + n);
        int tail = (head + size) % buf.length;
        int first = Math.min(n, buf.length - tail);
        System.arraycopy(src, off, buf, tail, first);
        System.arraycopy(src, off + first, buf, 0, n - first);
        size += n;
        return n;
    }

    /** Copies {@code len} bytes starting {@code offset} bytes after the head. */
    void copy(int offset, byte[] dst, int dstOff, int len) {
        if (offset < 0 || len < 0 || offset + len > size) {
            throw new IndexOutOfBoundsException("ring copy " + offset + "+" + len + " of " + size);
        }
        int start = (head + offset) % buf.length;
        int first = Math.min(len, buf.length - start);
        System.arraycopy(buf, start, dst, dstOff, first);
        System.arraycopy(buf, 0, dst, dstOff + first, len - first);
    }

    void discard(int n) {
        if (n < 0 || n > size) {
            throw new IndexOutOfBoundsException("ring discard " + n + " of " + size);
        }
        head = (head + n) % buf.length;
        size -= n;
        if (size == 0) {
            head = 0;
        }
    }

    /** Reads from {@code ch} into the free space: bytes read, or -1 at end of stream. */
    int readFrom(SocketChannel ch) throws IOException {
        if (free() == 0) {
            return 0;
        }
        if (size == buf.length) {
            reserve(size + 1);
        }
        int room = buf.length - size;
        int tail = (head + size) % buf.length;
        int first = Math.min(room, buf.length - tail);
        long n;
        if (first == room) {
            n = ch.read(ByteBuffer.wrap(buf, tail, first));
        } else {
            n = ch.read(new ByteBuffer[] {ByteBuffer.wrap(buf, tail, first), ByteBuffer.wrap(buf, 0, room - first)});
        }
        if (n > 0) {
            size += (int) n;
        }
        return (int) n;
    }

    /** Writes from the head to {@code ch}, consuming what was written. */
    int writeTo(SocketChannel ch) throws IOException {
        if (size == 0) {
            return 0;
        }
        int first = Math.min(size, buf.length - head);
        long n;
        if (first == size) {
            n = ch.write(ByteBuffer.wrap(buf, head, first));
        } else {
            n = ch.write(new ByteBuffer[] {ByteBuffer.wrap(buf, head, first), ByteBuffer.wrap(buf, 0, size - first)});
        }
        discard((int) n);
        return (int) n;
    }
}
