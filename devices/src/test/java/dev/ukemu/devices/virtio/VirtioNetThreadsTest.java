package dev.ukemu.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.devices.net.FrameSink;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A backend thread pushing frames into a small receive ring while a driver thread consumes and
 * recycles buffers: with refusals and {@code whenWritable} wake-ups racing real notifications,
 * every frame arrives exactly once and in order.
 */
class VirtioNetThreadsTest {
    static final int FRAMES = 20_000;
    static final int BUFFERS = 8;

    @Test
    void noFrameIsLostOrDuplicatedUnderBackPressure() throws Exception {
        try (NetRig rig = new NetRig()) {
            TestRing[] rings = rig.modernUp(1L << VirtioNet.F_MAC | 1L << VirtioPci.F_VERSION_1
                    | 1L << VirtioPci.F_EVENT_IDX, BUFFERS);
            TestRing rx = rings[0];
            for (int i = 0; i < BUFFERS; i++) {
                rx.add(TestRing.in(NetRig.BUFFERS + 0x1000L * i, 2048));
            }
            rig.notifyModern(0);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            FrameSink sink = rig.net.toGuest();
            Thread backend = Thread.ofPlatform().name("backend").start(() -> {
                try {
                    Semaphore writable = new Semaphore(0);
                    for (int i = 0; i < FRAMES; i++) {
                        ByteBuffer f = ByteBuffer.allocate(60 + i % 1000).order(ByteOrder.LITTLE_ENDIAN);
                        f.putInt(0, i);
                        while (!sink.offer(f)) {
                            sink.whenWritable(writable::release);
                            if (!writable.tryAcquire(10, TimeUnit.SECONDS)) {
                                throw new AssertionError("never woken at frame " + i);
                            }
                        }
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            int expected = 0;
            int seen = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (expected < FRAMES && failure.get() == null && System.nanoTime() < deadline) {
                int used = rx.usedIdx();
                if (used == seen) {
                    Thread.onSpinWait();
                    continue;
                }
                while (seen != used) {
                    long id = rx.usedId(seen);
                    long len = rx.usedLen(seen);
                    long buf = NetRig.BUFFERS + 0x1000L * (rig.mem.readLong(rx.desc + 16 * id) - NetRig.BUFFERS) / 0x1000;
                    int seq = rig.mem.readInt(buf + VirtioNet.HEADER);
                    assertEquals(expected, seq, "frame order");
                    assertEquals(VirtioNet.HEADER + 60 + seq % 1000, len);
                    expected++;
                    seen = (seen + 1) & 0xFFFF;
                    rx.add(TestRing.in(buf, 2048)); // recycle the buffer
                }
                rig.notifyModern(0);
            }
            backend.join(10_000);
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(FRAMES, expected);
            assertEquals(FRAMES, rig.net.counters()[1]);
            assertTrue(rig.errors.isEmpty(), rig.errors.toString());
        }
    }
}
