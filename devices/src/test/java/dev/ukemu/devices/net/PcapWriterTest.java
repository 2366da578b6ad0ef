package dev.ukemu.devices.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PcapWriterTest {
    private final Instant t = Instant.ofEpochSecond(1_700_000_000L, 123_456_789);

    @Test
    void fileHeaderAndRecordsAreClassicPcap() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PcapWriter w = new PcapWriter(out, () -> t);
        ByteBuffer frame = ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7});
        frame.position(2);
        w.write(frame);
        assertEquals(2, frame.position(), "the frame is left as it was");
        ByteBuffer b = ByteBuffer.wrap(out.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xA1B2C3D4, b.getInt());
        assertEquals(2, b.getShort());
        assertEquals(4, b.getShort());
        assertEquals(0, b.getInt());
        assertEquals(0, b.getInt());
        assertEquals(PcapWriter.SNAPLEN, b.getInt());
        assertEquals(1, b.getInt(), "LINKTYPE_ETHERNET");
        assertEquals(1_700_000_000, b.getInt());
        assertEquals(123_456, b.getInt(), "microseconds");
        assertEquals(5, b.getInt());
        assertEquals(5, b.getInt());
        byte[] data = new byte[5];
        b.get(data);
        assertEquals(3, data[0]);
        assertFalse(b.hasRemaining());
    }

    @Test
    void aFrameOfferedAgainAfterARefusalIsRecordedOnce() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PcapWriter w = new PcapWriter(out, () -> t);
        boolean[] full = {true};
        FrameSink sink = new FrameSink() {
            @Override
            public boolean offer(ByteBuffer frame) {
                if (full[0]) {
                    return false;
                }
                frame.position(frame.limit());
                return true;
            }

            @Override
            public void whenWritable(Runnable action) {
                action.run();
            }
        };
        FrameSink tapped = w.tap(sink);
        ByteBuffer f = ByteBuffer.wrap(new byte[60]);
        assertFalse(tapped.offer(f));
        assertEquals(24 + 16 + 60, out.size(), "recorded when first sent");
        full[0] = false;
        assertTrue(tapped.offer(f));
        assertEquals(24 + 16 + 60, out.size(), "the retry of the same frame is not recorded again");
        assertTrue(tapped.offer(ByteBuffer.wrap(new byte[61])));
        assertEquals(24 + 2 * 16 + 60 + 61, out.size());
        boolean[] ran = {false};
        tapped.whenWritable(() -> ran[0] = true);
        assertTrue(ran[0]);
    }

    @Test
    void aReplyMadeWhileTakingAFrameIsRecordedAfterIt() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PcapWriter w = new PcapWriter(out, () -> t);
        FrameSink guest = new FrameSink() {
            @Override
            public boolean offer(ByteBuffer frame) {
                frame.position(frame.limit());
                return true;
            }

            @Override
            public void whenWritable(Runnable action) {
                action.run();
            }
        };
        FrameSink toGuest = w.tap(guest);
        // A backend that answers a request (first byte 1) at once, from inside offer().
        FrameSink backend = new FrameSink() {
            @Override
            public boolean offer(ByteBuffer frame) {
                frame.position(frame.limit());
                toGuest.offer(ByteBuffer.wrap(new byte[] {2, 0, 0}));
                return true;
            }

            @Override
            public void whenWritable(Runnable action) {
                action.run();
            }
        };
        w.tap(backend).offer(ByteBuffer.wrap(new byte[] {1, 0, 0}));
        byte[] pcap = out.toByteArray();
        assertEquals(1, pcap[24 + 16], "the request first");
        assertEquals(2, pcap[24 + 16 + 3 + 16], "then the reply");
    }

    @Test
    void aWriteErrorStopsTheCaptureQuietly() throws IOException {
        OutputStream broken = new OutputStream() {
            int n;

            @Override
            public void write(int b) throws IOException {
                if (++n > 24) {
                    throw new IOException("disk full");
                }
            }
        };
        PcapWriter w = new PcapWriter(broken, () -> t);
        w.write(ByteBuffer.wrap(new byte[60]));
        w.write(ByteBuffer.wrap(new byte[60]));
        assertEquals("disk full", w.error().getMessage());
    }
}
