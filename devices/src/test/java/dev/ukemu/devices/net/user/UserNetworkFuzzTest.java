package dev.ukemu.devices.net.user;

import static dev.ukemu.devices.net.user.TestFrames.ACK;
import static dev.ukemu.devices.net.user.TestFrames.DNS_IP;
import static dev.ukemu.devices.net.user.TestFrames.FIN;
import static dev.ukemu.devices.net.user.TestFrames.GATEWAY_IP;
import static dev.ukemu.devices.net.user.TestFrames.GATEWAY_MAC;
import static dev.ukemu.devices.net.user.TestFrames.GUEST_IP;
import static dev.ukemu.devices.net.user.TestFrames.GUEST_MAC;
import static dev.ukemu.devices.net.user.TestFrames.PSH;
import static dev.ukemu.devices.net.user.TestFrames.RST;
import static dev.ukemu.devices.net.user.TestFrames.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.devices.net.FrameSink;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Feeds the network random and mutated frames (10^5 by default, {@code -Dukemu.fuzz.frames=N}
 * for more): no frame may raise an exception inside it, and it must still answer afterwards.
 * Every guest connection and datagram is routed to loopback sinks this test owns, whatever
 * address the mutated frame names.
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class UserNetworkFuzzTest {
    private static final int FRAMES = Integer.getInteger("ukemu.fuzz.frames", 100_000);

    /** The NIC's receive side: takes frames, sometimes refuses for a while. */
    private static final class FuzzNic implements FrameSink {
        final AtomicLong received = new AtomicLong();
        final AtomicReference<Runnable> waiter = new AtomicReference<>();
        volatile boolean refusing;

        @Override
        public boolean offer(ByteBuffer frame) {
            if (refusing) {
                return false;
            }
            byte[] f = new byte[frame.remaining()];
            frame.get(f);
            received.incrementAndGet();
            return true;
        }

        @Override
        public void whenWritable(Runnable action) {
            waiter.set(action);
            if (!refusing) {
                Runnable r = waiter.getAndSet(null);
                if (r != null) {
                    r.run();
                }
            }
        }

        void refuse(boolean on) {
            refusing = on;
            if (!on) {
                Runnable r = waiter.getAndSet(null);
                if (r != null) {
                    r.run();
                }
            }
        }
    }

    @Test
    void randomAndMutatedFramesNeverBreakTheNetwork() throws Exception {
        try (ServerSocket tcpSink = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
                DatagramSocket udpSink = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            Thread.ofPlatform().daemon().start(() -> acceptAndMisbehave(tcpSink));
            Thread.ofPlatform().daemon().start(() -> echo(udpSink));
            InetSocketAddress tcpTo = (InetSocketAddress) tcpSink.getLocalSocketAddress();
            InetSocketAddress udpTo = (InetSocketAddress) udpSink.getLocalSocketAddress();
            Outbound toSinks = (protocol, dest) -> protocol == UserNetConfig.Protocol.TCP ? tcpTo : udpTo;
            UserNetConfig cfg = UserNetConfig.builder()
                    .dnsUpstream(udpTo)
                    .hostForward(new UserNetConfig.HostForward(UserNetConfig.Protocol.UDP, UserNetConfig.LOOPBACK, 0, null, 5000))
                    .build();
            Tunables tunables = Tunables.DEFAULT.withFastTimers().withSocketLimits(128, 64);
            FuzzNic nic = new FuzzNic();
            try (UserNetwork net = new UserNetwork(cfg, tunables, toSinks)) {
                FrameSink toNet = net.connect(nic);
                SplittableRandom rnd = new SplittableRandom(Long.getLong("ukemu.fuzz.seed", 20261121L));
                long start = System.nanoTime();
                for (int i = 0; i < FRAMES; i++) {
                    if (i % 5000 == 0) {
                        nic.refuse(rnd.nextInt(4) == 0);
                    }
                    byte[] f = frame(rnd);
                    offer(toNet, f);
                }
                nic.refuse(false);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("fuzz: %d frames in %.1f s, %d frames to the guest%n", FRAMES, seconds,
                        nic.received.get());
                assertEquals(0, net.internalErrors(), "exceptions inside the network");

                // Still alive and answering: a ping of the gateway comes back.
                long before = nic.received.get();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (nic.received.get() == before && System.nanoTime() < deadline) {
                    offer(toNet, TestFrames.ipFrame(GUEST_IP, GATEWAY_IP, 1, TestFrames.icmpEcho(1, 1, new byte[8])));
                    Thread.sleep(50);
                }
                assertTrue(nic.received.get() > before, "the network still answers");
                assertTrue(net.tcpConnectionCount() <= 128);
                assertEquals(0, net.internalErrors());
            }
        }
    }

    private static void offer(FrameSink toNet, byte[] f) throws InterruptedException {
        while (!toNet.offer(ByteBuffer.wrap(f))) {
            CountDownLatch latch = new CountDownLatch(1);
            toNet.whenWritable(latch::countDown);
            assertTrue(latch.await(30, TimeUnit.SECONDS), "the network takes frames again");
        }
    }

    private static void acceptAndMisbehave(ServerSocket sink) {
        int n = 0;
        while (!sink.isClosed()) {
            try {
                Socket s = sink.accept();
                switch (n++ % 3) {
                    case 0 -> s.close(); // end of stream at once
                    case 1 -> { // reset
                        s.setSoLinger(true, 0);
                        s.close();
                    }
                    default -> { // talk a little, then close
                        s.getOutputStream().write(new byte[3000]);
                        s.close();
                    }
                }
            } catch (IOException e) {
                // The sink is closing, or the peer reset first.
            }
        }
    }

    private static void echo(DatagramSocket s) {
        byte[] buf = new byte[65536];
        while (!s.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                s.receive(p);
                s.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
            } catch (IOException e) {
                return;
            }
        }
    }

    // ---- frame generation ----

    static byte[] frame(SplittableRandom r) {
        int kind = r.nextInt(100);
        if (kind < 10) {
            byte[] f = new byte[r.nextInt(0, 1600)];
            r.nextBytes(f);
            return f;
        }
        byte[] valid = valid(r);
        if (kind < 35) {
            return valid;
        }
        if (kind < 60) {
            return mutateFields(r, valid);
        }
        return mutateBytes(r, valid);
    }

    private static int someIp(SplittableRandom r) {
        return switch (r.nextInt(6)) {
            case 0 -> GATEWAY_IP;
            case 1 -> DNS_IP;
            case 2 -> GUEST_IP;
            case 3 -> 0xFFFFFFFF;
            case 4 -> 0x0A000200 | r.nextInt(256);
            default -> r.nextInt();
        };
    }

    private static int somePort(SplittableRandom r) {
        return switch (r.nextInt(4)) {
            case 0 -> 53;
            case 1 -> 67;
            case 2 -> 5000;
            default -> r.nextInt(65536);
        };
    }

    private static byte[] payload(SplittableRandom r, int max) {
        byte[] b = new byte[r.nextInt(0, max + 1)];
        r.nextBytes(b);
        return b;
    }

    private static byte[] valid(SplittableRandom r) {
        int src = r.nextInt(4) == 0 ? someIp(r) : GUEST_IP;
        return switch (r.nextInt(9)) {
            case 0 -> TestFrames.arp(1 + r.nextInt(2), GUEST_MAC, src, r.nextBoolean() ? 0 : GATEWAY_MAC, someIp(r));
            case 1 -> TestFrames.dhcp(new int[] {1, 3, 4, 7, 8, 0}[r.nextInt(6)], r.nextInt(),
                    0x525400000000L | r.nextInt(64), r.nextBoolean(), r.nextBoolean() ? 0 : someIp(r),
                    r.nextBoolean() ? 0 : someIp(r), r.nextBoolean() ? 0 : GATEWAY_IP);
            case 2 -> TestFrames.ipFrame(src, someIp(r), 1, TestFrames.icmpEcho(r.nextInt(65536), r.nextInt(65536),
                    payload(r, 100)));
            case 3, 4 -> TestFrames.udpFrame(src, 1024 + r.nextInt(64), someIp(r), somePort(r), payload(r, 1500));
            case 5 -> fragment(r, src);
            default -> TestFrames.tcpFrame(src, 1024 + r.nextInt(32), someIp(r), 80 + r.nextInt(4),
                    r.nextInt(64) * 1000, r.nextInt(64) * 1000,
                    new int[] {SYN, SYN, ACK, ACK | PSH, ACK | FIN, RST, RST | ACK, SYN | ACK, r.nextInt(64)}[r.nextInt(9)],
                    r.nextInt(65536), r.nextBoolean() ? r.nextInt(2000) : 0, payload(r, 1400));
        };
    }

    private static byte[] fragment(SplittableRandom r, int src) {
        byte[] body = payload(r, 200);
        int frag = r.nextInt(8) | (r.nextBoolean() ? 0x2000 : 0);
        return TestFrames.ethernet(GATEWAY_MAC, GUEST_MAC, 0x0800,
                TestFrames.ipv4(src, GATEWAY_IP, 17, body, r.nextInt(4), frag, r.nextInt(3) == 0 ? 0 : 64));
    }

    /** Changes header fields, then fixes the checksums so the frame reaches the deeper layers. */
    private static byte[] mutateFields(SplittableRandom r, byte[] f) {
        byte[] m = f.clone();
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
            int at = 14 + r.nextInt(Math.max(1, Math.min(m.length - 14, 80)));
            if (at < m.length) {
                m[at] = (byte) r.nextInt(256);
            }
        }
        if (r.nextInt(4) == 0) {
            m = Arrays.copyOf(m, Math.max(0, m.length - r.nextInt(1, 40)));
        }
        fixChecksums(m);
        return m;
    }

    private static byte[] mutateBytes(SplittableRandom r, byte[] f) {
        byte[] m = f.clone();
        switch (r.nextInt(3)) {
            case 0 -> {
                int flips = 1 + r.nextInt(4);
                for (int i = 0; i < flips && m.length > 0; i++) {
                    m[r.nextInt(m.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> m = Arrays.copyOf(m, r.nextInt(m.length + 1));
            default -> {
                byte[] tail = payload(r, 100);
                m = Arrays.copyOf(m, m.length + tail.length);
                System.arraycopy(tail, 0, m, f.length, tail.length);
            }
        }
        return m;
    }

    private static void fixChecksums(byte[] f) {
        if (f.length < 34 || (f[12] & 0xFF) != 0x08 || f[13] != 0 || (f[14] & 0xF0) != 0x40) {
            return;
        }
        int ihl = (f[14] & 0xF) * 4;
        if (ihl < 20 || 14 + ihl > f.length) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(f);
        b.putShort(24, (short) 0);
        b.putShort(24, (short) TestFrames.checksum(f, 14, ihl, 0));
        int total = Math.min(b.getShort(16) & 0xFFFF, f.length - 14);
        int l4 = 14 + ihl;
        int len = total - ihl;
        if (len < 8) {
            return;
        }
        int src = b.getInt(26);
        int dst = b.getInt(30);
        int proto = f[23] & 0xFF;
        int at = switch (proto) {
            case 6 -> len >= 20 ? l4 + 16 : -1;
            case 17 -> l4 + 6;
            case 1 -> l4 + 2;
            default -> -1;
        };
        if (at < 0) {
            return;
        }
        b.putShort(at, (short) 0);
        long pseudo = proto == 1 ? 0 : TestFrames.pseudo(src, dst, proto, len);
        b.putShort(at, (short) TestFrames.checksum(f, l4, len, pseudo));
    }
}
