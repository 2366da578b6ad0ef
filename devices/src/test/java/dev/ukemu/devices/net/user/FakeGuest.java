package dev.ukemu.devices.net.user;

import static dev.ukemu.devices.net.user.TestFrames.ACK;
import static dev.ukemu.devices.net.user.TestFrames.FIN;
import static dev.ukemu.devices.net.user.TestFrames.GATEWAY_MAC;
import static dev.ukemu.devices.net.user.TestFrames.GUEST_IP;
import static dev.ukemu.devices.net.user.TestFrames.GUEST_MAC;
import static dev.ukemu.devices.net.user.TestFrames.PSH;
import static dev.ukemu.devices.net.user.TestFrames.RST;
import static dev.ukemu.devices.net.user.TestFrames.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.devices.net.FrameSink;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * A scripted guest on the far side of a {@link UserNetwork}: it exchanges raw Ethernet frames
 * through the {@link FrameSink} API, answers ARP for its address, and runs a small TCP of its
 * own (with a receive window it controls and a NIC that can refuse frames for a while).
 */
final class FakeGuest implements FrameSink, AutoCloseable {
    final UserNetwork net;
    final FrameSink toNet;
    private final LinkedBlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    private volatile boolean refusing;
    private Runnable waiter;
    private final Map<String, GuestTcp> connections = new HashMap<>();
    private final Map<Integer, Deque<GuestTcp>> accepted = new HashMap<>();
    /** Frames that no TCP connection of this guest claimed, for the tests to inspect. */
    final Deque<TestFrames.Ip> unclaimed = new ArrayDeque<>();
    int receiveWindow = 65535;
    int readPerPump = Integer.MAX_VALUE;

    FakeGuest(UserNetConfig config) {
        this(config, Tunables.DEFAULT.withFastTimers(), Outbound.DIRECT);
    }

    FakeGuest(UserNetConfig config, Tunables tunables, Outbound outbound) {
        net = new UserNetwork(config, tunables, outbound);
        toNet = net.connect(this);
    }

    @Override
    public boolean offer(ByteBuffer frame) {
        if (refusing) {
            return false;
        }
        byte[] copy = new byte[frame.remaining()];
        frame.get(copy);
        received.add(copy);
        return true;
    }

    @Override
    public void whenWritable(Runnable action) {
        boolean now;
        synchronized (this) {
            now = !refusing;
            if (!now) {
                waiter = action;
            }
        }
        if (now) {
            action.run();
        }
    }

    void refuse(boolean refuse) {
        Runnable w;
        synchronized (this) {
            refusing = refuse;
            w = refuse ? null : waiter;
            if (!refuse) {
                waiter = null;
            }
        }
        if (w != null) {
            w.run();
        }
    }

    void send(byte[] frame) {
        while (!toNet.offer(ByteBuffer.wrap(frame))) {
            CountDownLatch latch = new CountDownLatch(1);
            toNet.whenWritable(latch::countDown);
            try {
                latch.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** The next frame for the guest, answering ARP requests for its address on the way. */
    byte[] next(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            byte[] f;
            try {
                f = received.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            if (f == null) {
                return null;
            }
            TestFrames.Eth e = TestFrames.eth(f);
            if (e.type() == 0x0806) {
                TestFrames.Arp a = TestFrames.arp(e.payload());
                if (a.op() == 1 && a.targetIp() == GUEST_IP) {
                    send(TestFrames.arp(2, GUEST_MAC, GUEST_IP, a.senderMac(), a.senderIp()));
                    continue;
                }
            }
            return f;
        }
    }

    /** The next IPv4 packet matching {@code filter}; others are skipped. */
    TestFrames.Ip nextIp(Predicate<TestFrames.Ip> filter, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            byte[] f = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (f == null) {
                break;
            }
            TestFrames.Eth e = TestFrames.eth(f);
            if (e.type() == 0x0800) {
                assertEquals(GATEWAY_MAC, e.src(), "frames come from the gateway's MAC");
                TestFrames.Ip ip = TestFrames.ip(e.payload());
                if (filter.test(ip)) {
                    return ip;
                }
            }
        }
        return null;
    }

    TestFrames.Tcp nextTcp(int localPort, Duration timeout) {
        TestFrames.Ip ip = nextIp(p -> p.proto() == 6 && TestFrames.tcp(p).dstPort() == localPort, timeout);
        assertNotNull(ip, "a TCP segment for port " + localPort);
        return TestFrames.tcp(ip);
    }

    /** Gets a lease for the guest's MAC, as a real guest does at boot. */
    int dhcp() {
        send(TestFrames.dhcp(1, 0x1234, GUEST_MAC, false, 0, 0, 0));
        TestFrames.Dhcp offer = TestFrames.dhcp(TestFrames.udp(nextIp(p -> p.proto() == 17, Duration.ofSeconds(5))));
        assertEquals(2, offer.type());
        send(TestFrames.dhcp(3, 0x1235, GUEST_MAC, false, 0, offer.yiaddr(), offer.siaddr()));
        TestFrames.Dhcp ack = TestFrames.dhcp(TestFrames.udp(nextIp(p -> p.proto() == 17, Duration.ofSeconds(5))));
        assertEquals(5, ack.type());
        return ack.yiaddr();
    }

    // ---- the guest's TCP ----

    GuestTcp connect(int remoteIp, int remotePort, int localPort) {
        GuestTcp c = new GuestTcp(this, localPort, remoteIp, remotePort);
        connections.put(c.id(), c);
        c.sendSyn();
        return c;
    }

    void listen(int port) {
        accepted.putIfAbsent(port, new ArrayDeque<>());
    }

    GuestTcp accept(int port, Duration timeout) {
        assertTrue(runUntil(() -> !accepted.get(port).isEmpty(), timeout), "a connection to guest port " + port);
        return accepted.get(port).poll();
    }

    List<GuestTcp> connections() {
        return new ArrayList<>(connections.values());
    }

    /** Handles frames and lets every connection send, until {@code done} or the timeout. */
    boolean runUntil(BooleanSupplier done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            pumpOnce(Duration.ofMillis(2));
        }
        return true;
    }

    void pumpOnce(Duration wait) {
        byte[] f = next(wait);
        int handled = 0;
        while (f != null) {
            dispatch(f);
            if (++handled > 512) {
                break;
            }
            f = next(Duration.ZERO);
        }
        for (GuestTcp c : new ArrayList<>(connections.values())) {
            c.pump();
        }
    }

    private void dispatch(byte[] f) {
        TestFrames.Eth e = TestFrames.eth(f);
        if (e.type() != 0x0800) {
            return;
        }
        TestFrames.Ip ip = TestFrames.ip(e.payload());
        if (ip.proto() != 6) {
            unclaimed.add(ip);
            return;
        }
        TestFrames.Tcp t = TestFrames.tcp(ip);
        String id = t.dstPort() + ":" + ip.src() + ":" + t.srcPort();
        GuestTcp c = connections.get(id);
        if (c == null && t.has(SYN) && !t.has(ACK) && accepted.containsKey(t.dstPort())) {
            c = new GuestTcp(this, t.dstPort(), ip.src(), t.srcPort());
            connections.put(id, c);
            c.acceptSyn(t);
            accepted.get(t.dstPort()).add(c);
            return;
        }
        if (c == null) {
            unclaimed.add(ip);
            if (!t.has(RST)) {
                // No such connection: reset, as a real guest would.
                int seq = t.has(ACK) ? t.ack() : 0;
                send(TestFrames.tcpFrame(GUEST_IP, t.dstPort(), ip.src(), t.srcPort(), seq,
                        t.seq() + t.seqLength(), RST | ACK, 0, 0, new byte[0]));
            }
            return;
        }
        c.onSegment(t);
    }

    void forget(GuestTcp c) {
        connections.remove(c.id());
    }

    @Override
    public void close() {
        net.close();
    }

    /**
     * One TCP connection of the fake guest: in-order receive with a window it controls,
     * window-limited send with timeout retransmission, FIN and RST.
     */
    static final class GuestTcp {
        private final FakeGuest g;
        final int localPort;
        final int remoteIp;
        final int remotePort;
        int iss = 0x1000_0000 + (int) (Math.random() * 1_000_000);
        int sndUna = iss;
        int sndNxt = iss;
        int rcvNxt;
        int peerWnd;
        int peerMss = 536;
        boolean established;
        boolean finReceived;
        boolean finSent;
        boolean reset;
        int unread;
        int lastAdvertised;
        final ByteArrayOutputStream in = new ByteArrayOutputStream();
        private byte[] out = new byte[0];
        private boolean closeWhenSent;
        private long lastProgress = System.nanoTime();
        private long lastProbe;
        final List<TestFrames.Tcp> log = new ArrayList<>();

        GuestTcp(FakeGuest g, int localPort, int remoteIp, int remotePort) {
            this.g = g;
            this.localPort = localPort;
            this.remoteIp = remoteIp;
            this.remotePort = remotePort;
        }

        String id() {
            return localPort + ":" + remoteIp + ":" + remotePort;
        }

        int window() {
            return Math.max(0, g.receiveWindow - unread);
        }

        void sendSyn() {
            g.send(TestFrames.tcpFrame(GUEST_IP, localPort, remoteIp, remotePort, iss, 0, SYN, window(), 1400,
                    new byte[0]));
            sndNxt = iss + 1;
        }

        void acceptSyn(TestFrames.Tcp t) {
            rcvNxt = t.seq() + 1;
            peerWnd = t.window();
            peerMss = t.mss() > 0 ? t.mss() : 536;
            g.send(TestFrames.tcpFrame(GUEST_IP, localPort, remoteIp, remotePort, iss, rcvNxt, SYN | ACK, window(),
                    1400, new byte[0]));
            sndNxt = iss + 1;
        }

        /** Queues bytes to send to the remote end. */
        void write(byte[] data) {
            byte[] n = Arrays.copyOf(out, out.length + data.length);
            System.arraycopy(data, 0, n, out.length, data.length);
            out = n;
        }

        /** Sends FIN once everything written has been sent. */
        void shutdownOutput() {
            closeWhenSent = true;
        }

        void abort() {
            g.send(TestFrames.tcpFrame(GUEST_IP, localPort, remoteIp, remotePort, sndNxt, rcvNxt, RST | ACK, 0, 0,
                    new byte[0]));
            reset = true;
            g.forget(this);
        }

        boolean allAcked() {
            if (closeWhenSent && !finSent) {
                return false;
            }
            return sndUna == iss + 1 + out.length + (finSent ? 1 : 0);
        }

        void onSegment(TestFrames.Tcp t) {
            log.add(t);
            if (t.has(RST)) {
                reset = true;
                g.forget(this);
                return;
            }
            if (!established) {
                if (t.has(SYN) && t.has(ACK)) {
                    assertEquals(iss + 1, t.ack(), "SYN-ACK acknowledges our SYN");
                    rcvNxt = t.seq() + 1;
                    peerMss = t.mss() > 0 ? t.mss() : 536;
                    sndUna = t.ack();
                    peerWnd = t.window();
                    established = true;
                    ack();
                    return;
                }
                if (t.has(ACK) && t.ack() == iss + 1) {
                    established = true; // our SYN-ACK was acknowledged
                } else {
                    return;
                }
            }
            if (t.has(SYN)) {
                ack(); // a repeated SYN-ACK: our ACK was lost or late
                return;
            }
            if (t.has(ACK) && t.ack() - sndUna > 0 && t.ack() - sndNxt <= 0) {
                sndUna = t.ack();
                lastProgress = System.nanoTime();
            }
            if (t.has(ACK)) {
                peerWnd = t.window();
            }
            int len = t.data().length;
            if (len > 0 || t.has(FIN)) {
                if (t.seq() == rcvNxt) {
                    int take = Math.min(len, window());
                    in.write(t.data(), 0, take);
                    rcvNxt += take;
                    unread += take;
                    if (take == len && t.has(FIN) && !finReceived) {
                        finReceived = true;
                        rcvNxt++;
                    }
                } else if (t.seq() - rcvNxt < 0 && t.seq() + t.seqLength() - rcvNxt > 0) {
                    // Overlaps what we have: take the new tail.
                    int skip = rcvNxt - t.seq();
                    int take = Math.min(len - skip, window());
                    if (take > 0) {
                        in.write(t.data(), skip, take);
                        rcvNxt += take;
                        unread += take;
                    }
                    if (skip + take == len && t.has(FIN) && !finReceived) {
                        finReceived = true;
                        rcvNxt++;
                    }
                }
                ack();
            }
        }

        void ack() {
            lastAdvertised = window();
            g.send(TestFrames.tcpFrame(GUEST_IP, localPort, remoteIp, remotePort, sndNxt, rcvNxt, ACK, lastAdvertised,
                    0, new byte[0]));
        }

        void pump() {
            if (reset || !established) {
                return;
            }
            // The application reads some of what arrived; tell the peer when the window opens.
            int read = Math.min(unread, g.readPerPump);
            unread -= read;
            if (read > 0 && window() - lastAdvertised >= Math.min(g.receiveWindow / 2, 1460)) {
                ack();
            }
            long now = System.nanoTime();
            int dataEnd = iss + 1 + out.length;
            if (sndNxt != sndUna && now - lastProgress > TimeUnit.MILLISECONDS.toNanos(300)) {
                sndNxt = sndUna; // no acknowledgement for a while: go back
                if (finSent && sndNxt - dataEnd <= 0) {
                    finSent = false;
                }
                lastProgress = now;
            }
            while (sndNxt - dataEnd < 0) {
                int inFlight = sndNxt - sndUna;
                int room = peerWnd - inFlight;
                if (room <= 0) {
                    if (peerWnd == 0 && inFlight == 0 && now - lastProbe > TimeUnit.MILLISECONDS.toNanos(200)) {
                        room = 1; // window probe
                        lastProbe = now;
                    } else {
                        break;
                    }
                }
                int n = Math.min(Math.min(room, peerMss), dataEnd - sndNxt);
                int off = sndNxt - (iss + 1);
                byte[] chunk = Arrays.copyOfRange(out, off, off + n);
                g.send(TestFrames.tcpFrame(GUEST_IP, localPort, remoteIp, remotePort, sndNxt, rcvNxt, ACK | PSH,
                        window(), 0, chunk));
                sndNxt += n;
            }
            if (closeWhenSent && !finSent && sndNxt == dataEnd) {
                g.send(TestFrames.tcpFrame(GUEST_IP, localPort, remoteIp, remotePort, sndNxt, rcvNxt, ACK | FIN,
                        window(), 0, new byte[0]));
                finSent = true;
                sndNxt++;
            }
        }
    }

    static void assertNoReset(GuestTcp c) {
        assertTrue(!c.reset, "connection " + c.id() + " was reset");
    }
}
