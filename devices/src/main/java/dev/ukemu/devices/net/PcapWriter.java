package dev.ukemu.devices.net;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Writes Ethernet frames to a classic pcap file (link type 1, microsecond timestamps, host
 * little-endian byte order) that tcpdump and Wireshark read. {@link #tap} wraps a
 * {@link FrameSink} so that every frame it accepts is recorded once, whichever way it goes.
 * A write error stops the capture (the network keeps running) and is kept for {@link #error()}.
 */
public final class PcapWriter implements Closeable {
    public static final int MAGIC_MICROSECONDS = 0xA1B2C3D4;
    public static final int VERSION_MAJOR = 2, VERSION_MINOR = 4;
    public static final int LINKTYPE_ETHERNET = 1;
    public static final int SNAPLEN = 262144;
    public static final int FILE_HEADER_SIZE = 24, RECORD_HEADER_SIZE = 16;

    private final OutputStream out;
    private final Supplier<Instant> clock;
    private IOException error;

    public PcapWriter(OutputStream out, Supplier<Instant> clock) throws IOException {
        this.out = Objects.requireNonNull(out, "out");
        this.clock = Objects.requireNonNull(clock, "clock");
        ByteBuffer h = ByteBuffer.allocate(FILE_HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(MAGIC_MICROSECONDS).putShort((short) VERSION_MAJOR).putShort((short) VERSION_MINOR)
                .putInt(0).putInt(0).putInt(SNAPLEN).putInt(LINKTYPE_ETHERNET);
        out.write(h.array());
        out.flush();
    }

    /** Creates (or truncates) {@code file} and writes the pcap file header. */
    public static PcapWriter open(Path file) throws IOException {
        return new PcapWriter(new BufferedOutputStream(Files.newOutputStream(file)), Instant::now);
    }

    /** Records the frame between {@code frame}'s position and limit; the buffer is not changed. */
    public synchronized void write(ByteBuffer frame) {
        if (error != null) {
            return;
        }
        Instant now = clock.get();
        int len = frame.remaining();
        int caught = Math.min(len, SNAPLEN);
        ByteBuffer r = ByteBuffer.allocate(RECORD_HEADER_SIZE + caught).order(ByteOrder.LITTLE_ENDIAN);
        r.putInt((int) now.getEpochSecond()).putInt(now.getNano() / 1000).putInt(caught).putInt(len);
        r.put(frame.duplicate().limit(frame.position() + caught));
        try {
            out.write(r.array());
            out.flush();
        } catch (IOException e) {
            error = e;
        }
    }

    /**
     * A sink that records each frame and passes it to {@code sink}. A frame is recorded before it
     * is passed on, so a reply the receiver produces while taking it (a backend answering at
     * once) lands after it in the capture; a refused frame offered again is recorded only once.
     */
    public FrameSink tap(FrameSink sink) {
        return new FrameSink() {
            private byte[] lastRefused;

            @Override
            public boolean offer(ByteBuffer frame) {
                ByteBuffer view = frame.duplicate();
                byte[] bytes = new byte[view.remaining()];
                view.get(bytes);
                synchronized (this) {
                    if (lastRefused == null || !java.util.Arrays.equals(lastRefused, bytes)) {
                        write(ByteBuffer.wrap(bytes));
                    }
                }
                boolean taken = sink.offer(frame);
                synchronized (this) {
                    lastRefused = taken ? null : bytes;
                }
                return taken;
            }

            @Override
            public void whenWritable(Runnable action) {
                sink.whenWritable(action);
            }
        };
    }

    /** The write error that stopped the capture, or null. */
    public synchronized IOException error() {
        return error;
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
