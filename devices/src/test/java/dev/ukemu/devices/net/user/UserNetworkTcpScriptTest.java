package dev.ukemu.devices.net.user;

import static dev.ukemu.devices.net.user.TestFrames.ACK;
import static dev.ukemu.devices.net.user.TestFrames.FIN;
import static dev.ukemu.devices.net.user.TestFrames.GATEWAY_IP;
import static dev.ukemu.devices.net.user.TestFrames.GUEST_IP;
import static dev.ukemu.devices.net.user.TestFrames.PSH;
import static dev.ukemu.devices.net.user.TestFrames.RST;
import static dev.ukemu.devices.net.user.TestFrames.SYN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Edge cases of the network's TCP, scripted segment by segment from the guest's side: the
 * guest here is nothing but the frames each test sends.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UserNetworkTcpScriptTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final int PORT = 50000;
    private static final int ISN = 1000;
    private static final byte[] NONE = new byte[0];

    private ServerSocket server;
    private FakeGuest g;
    private Socket host;
    /** The network's next sequence number, as the guest acknowledges it. */
    private int theirs;

    @BeforeEach
    void open() throws IOException {
        server = new ServerSocket();
        server.setReceiveBufferSize(4096); // so that the host stops taking data soon
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server.setSoTimeout(5000);
        g = new FakeGuest(UserNetConfig.defaults());
        g.dhcp();
    }

    @AfterEach
    void close() throws IOException {
        if (host != null) {
            host.close();
        }
        g.close();
        server.close();
    }

    private void seg(int seq, int ack, int flags, int window, byte[] data) {
        g.send(TestFrames.tcpFrame(GUEST_IP, PORT, GATEWAY_IP, server.getLocalPort(), seq, ack, flags, window, 0, data));
    }

    private TestFrames.Tcp next() {
        return g.nextTcp(PORT, WAIT);
    }

    private TestFrames.Tcp nextOrNull(Duration d) {
        TestFrames.Ip ip = g.nextIp(p -> p.proto() == 6, d);
        return ip == null ? null : TestFrames.tcp(ip);
    }

    /** Opens a connection from the guest, advertising {@code window}. */
    private void handshake(int window) throws IOException {
        g.send(TestFrames.tcpFrame(GUEST_IP, PORT, GATEWAY_IP, server.getLocalPort(), ISN, 0, SYN, window, 1460, NONE));
        TestFrames.Tcp synAck = next();
        assertEquals(SYN | ACK, synAck.flags());
        assertEquals(ISN + 1, synAck.ack());
        assertEquals(1460, synAck.mss());
        theirs = synAck.seq() + 1;
        seg(ISN + 1, theirs, ACK, window, NONE);
        host = server.accept();
        host.setSoTimeout(5000);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private String hostReads(int n) throws IOException {
        return new String(host.getInputStream().readNBytes(n), StandardCharsets.US_ASCII);
    }

    @Test
    void aRetransmittedSegmentIsDeliveredOnce() throws IOException {
        handshake(65535);
        seg(ISN + 1, theirs, ACK | PSH, 65535, bytes("AAAA"));
        assertEquals(ISN + 5, next().ack());
        seg(ISN + 1, theirs, ACK | PSH, 65535, bytes("AAAA"));
        assertEquals(ISN + 5, next().ack(), "the repeat is acknowledged again");
        seg(ISN + 3, theirs, ACK | PSH, 65535, bytes("AABB")); // overlaps: only "BB" is new
        assertEquals(ISN + 7, next().ack());
        seg(ISN + 1, theirs, ACK | FIN, 65535, bytes("AAAABB")); // everything again, and a FIN
        assertEquals(ISN + 8, next().ack());
        assertEquals("AAAABB", hostReads(100));
    }

    @Test
    void anOutOfOrderSegmentWaitsForTheGap() throws IOException {
        handshake(65535);
        seg(ISN + 5, theirs, ACK | PSH, 65535, bytes("BBBB"));
        assertEquals(ISN + 1, next().ack(), "a duplicate ACK names the gap");
        seg(ISN + 9, theirs, ACK | PSH | FIN, 65535, bytes("CC"));
        assertEquals(ISN + 1, next().ack());
        seg(ISN + 1, theirs, ACK | PSH, 65535, bytes("AAAA"));
        TestFrames.Tcp t = next();
        assertEquals(ISN + 12, t.ack(), "the gap filled: everything up to the FIN");
        assertEquals("AAAABBBBCC", hostReads(100));
    }

    @Test
    void unacknowledgedDataIsRetransmitted() throws IOException {
        handshake(65535);
        host.getOutputStream().write(bytes("hello"));
        TestFrames.Tcp first = next();
        assertEquals("hello", new String(first.data(), StandardCharsets.US_ASCII));
        assertEquals(theirs, first.seq());
        TestFrames.Tcp again = next(); // no ACK from the guest: the RTO fires
        assertEquals(first.seq(), again.seq());
        assertArrayEquals(first.data(), again.data());
        seg(ISN + 1, theirs + 5, ACK, 65535, NONE);
        assertNull(nextOrNull(Duration.ofMillis(600)), "nothing more once acknowledged");
    }

    @Test
    void aLostSynAckIsSentAgain() throws IOException {
        g.send(TestFrames.tcpFrame(GUEST_IP, PORT, GATEWAY_IP, server.getLocalPort(), ISN, 0, SYN, 65535, 1460, NONE));
        TestFrames.Tcp first = next();
        g.send(TestFrames.tcpFrame(GUEST_IP, PORT, GATEWAY_IP, server.getLocalPort(), ISN, 0, SYN, 65535, 1460, NONE));
        TestFrames.Tcp again = next();
        assertEquals(SYN | ACK, again.flags());
        assertEquals(first.seq(), again.seq());
        TestFrames.Tcp timed = next(); // and on its own after the RTO
        assertEquals(first.seq(), timed.seq());
        seg(ISN + 1, first.seq() + 1, ACK, 65535, NONE);
        host = server.accept();
        assertEquals(1, g.net.tcpConnectionCount());
    }

    @Test
    void aClosedWindowIsProbedUntilItOpens() throws IOException {
        handshake(0);
        host.getOutputStream().write(bytes("through a closed window"));
        int probes = 0;
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < until) {
            TestFrames.Tcp t = nextOrNull(Duration.ofMillis(500));
            if (t == null) {
                continue;
            }
            assertTrue(t.data().length <= 1, "only one-byte probes into a zero window");
            assertFalse(t.has(RST));
            if (t.data().length == 1) {
                assertEquals(theirs, t.seq());
                probes++;
                seg(ISN + 1, theirs, ACK, 0, NONE); // still closed
            }
        }
        assertTrue(probes >= 5, "probes: " + probes);
        seg(ISN + 1, theirs, ACK, 65535, NONE); // the window opens
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < 23) {
            TestFrames.Tcp t = next();
            if (t.seq() == theirs + got.size()) {
                got.write(t.data(), 0, t.data().length);
            } else if (t.seq() - (theirs + got.size()) < 0) {
                int skip = theirs + got.size() - t.seq();
                if (skip < t.data().length) {
                    got.write(t.data(), skip, t.data().length - skip);
                }
            }
            seg(ISN + 1, theirs + got.size(), ACK, 65535, NONE);
        }
        assertEquals("through a closed window", got.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void theWindowClosesWhenTheHostStopsReadingAndReopens() throws IOException {
        handshake(65535);
        byte[] data = new byte[4 << 20];
        new java.util.Random(7).nextBytes(data);
        int sent = 0;
        int acked = 0;
        int window = 1;
        while (window > 0 && sent < data.length) {
            // Send what the window allows, then read the acknowledgements.
            while (sent - acked < window && sent < data.length) {
                int n = Math.min(Math.min(1460, window - (sent - acked)), data.length - sent);
                seg(ISN + 1 + sent, theirs, ACK, 65535, Arrays.copyOfRange(data, sent, sent + n));
                sent += n;
            }
            TestFrames.Tcp t = next();
            acked = t.ack() - (ISN + 1);
            window = t.window();
            while ((t = nextOrNull(Duration.ofMillis(50))) != null) {
                acked = t.ack() - (ISN + 1);
                window = t.window();
            }
        }
        assertEquals(0, window, "the window closed with the host not reading");
        assertTrue(sent < data.length);
        assertEquals(sent, acked);
        // The host reads everything; the network announces the open window unasked.
        InputStream in = host.getInputStream();
        byte[] got = in.readNBytes(sent);
        assertArrayEquals(Arrays.copyOf(data, sent), got);
        TestFrames.Tcp update = next();
        assertTrue(update.window() > 0);
        assertEquals(ISN + 1 + sent, update.ack());
    }

    @Test
    void segmentsForNoConnectionAreReset() {
        g.send(TestFrames.tcpFrame(GUEST_IP, PORT, GATEWAY_IP, 9, 5000, 777, ACK, 65535, 0, NONE));
        TestFrames.Tcp t = next();
        assertEquals(RST, t.flags());
        assertEquals(777, t.seq());
        g.send(TestFrames.tcpFrame(GUEST_IP, PORT, GATEWAY_IP, 9, 5000, 0, FIN, 65535, 0, bytes("xy")));
        t = next();
        assertEquals(RST | ACK, t.flags());
        assertEquals(5003, t.ack());
        g.send(TestFrames.tcpFrame(GUEST_IP, PORT, GATEWAY_IP, 9, 5000, 0, RST, 65535, 0, NONE));
        assertNull(nextOrNull(Duration.ofMillis(200)), "never a reset for a reset");
    }

    @Test
    void idleUdpFlowsExpire() {
        g.send(TestFrames.udpFrame(GUEST_IP, 45000, GATEWAY_IP, server.getLocalPort(), bytes("x")));
        assertTrue(g.runUntil(() -> g.net.udpFlowCount() == 1, WAIT));
        assertTrue(g.runUntil(() -> g.net.udpFlowCount() == 0, WAIT), "expired after the idle time");
        assertNotNull(g.net);
    }
}
