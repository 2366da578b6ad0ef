package dev.ukemu.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.devices.net.UserNetOptions;
import dev.ukemu.devices.net.FrameSink;
import dev.ukemu.devices.net.NetBackend;
import dev.ukemu.devices.net.UserNetBackendFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Boots {@code net-basic.elf}, the guest with its own virtio-net driver and IPv4 stack, on a user
 * network with host forwards to free loopback ports; once it serves, talks to it as a client would:
 * UDP echo, then sequential and concurrent HTTP GETs whose responses must match, byte for byte, the
 * body the guest computes from a formula (computed here too). A datagram "quit" ends the guest.
 *
 * <p>Counts: {@code -Dukemu.net.sequential} (default 1000) and {@code -Dukemu.net.concurrent}
 * (default 100).
 */
class NetBootTest {
    static final String IMAGE = "net-basic.elf";
    static final Duration BOOT_TIMEOUT = Duration.ofSeconds(60);
    static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
    static final int SOCKET_TIMEOUT_MS = 30_000;
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    static final int SEQUENTIAL = Integer.getInteger("ukemu.net.sequential", 1000);
    static final int CONCURRENT = Integer.getInteger("ukemu.net.concurrent", 100);

    static final List<String> EXPECTED_PASSES = List.of(
            "PASS virtio-net link up",
            "PASS DHCP lease 10.0.2.15, gateway 10.0.2.2",
            "PASS ARP of the gateway",
            "PASS ping the gateway: echo reply with our data",
            "PASS virtio-net interrupts on IRQ 11");

    /** The guest's body: 64-byte lines ending in a newline, the rest letters and digits by formula. */
    static byte[] expectedBody() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        byte[] b = new byte[20000];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i % 64 == 63 ? '\n' : alphabet.charAt((i * 7 + i / 64) % 62));
        }
        return b;
    }

    static byte[] expectedResponse() {
        byte[] body = expectedBody();
        byte[] head = ("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    /** A port nobody uses on loopback right now (the guest's forward binds it a moment later). */
    static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    static MachineConfig config(SerialCapture serial, int tcpPort, int udpPort) {
        UserNetOptions net = UserNetOptions.defaults("n0")
                .withHostForward(new UserNetOptions.HostForward(UserNetOptions.Protocol.TCP, null, tcpPort, null, 80))
                .withHostForward(new UserNetOptions.HostForward(UserNetOptions.Protocol.UDP, null, udpPort, null, 7));
        return MachineConfig.of(TestImages.image(IMAGE)).withSerialOutput(serial)
                .withNics(List.of(new NicConfig(NicConfig.FIRST_SLOT, NicConfig.defaultMac(0), net)));
    }

    static byte[] httpGet(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(LOOPBACK, port), SOCKET_TIMEOUT_MS);
            s.setSoTimeout(SOCKET_TIMEOUT_MS);
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.0\r\nHost: ukemu\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return in.readAllBytes();
        }
    }

    static byte[] udpExchange(DatagramSocket sock, int port, byte[] data) throws IOException {
        sock.send(new DatagramPacket(data, data.length, LOOPBACK, port));
        byte[] buf = new byte[2048];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        sock.receive(p);
        return Arrays.copyOf(p.getData(), p.getLength());
    }

    @Test
    void guestDrivesTheNicAndServesUdpEchoAndHttp() throws Exception {
        byte[] expected = expectedResponse();
        SerialCapture serial = new SerialCapture();
        Machine machine = null;
        int tcpPort = 0, udpPort = 0;
        for (int attempt = 0; machine == null; attempt++) {
            tcpPort = freeTcpPort();
            udpPort = freeUdpPort();
            try {
                machine = Machine.create(config(serial, tcpPort, udpPort));
            } catch (IOException e) {
                if (attempt == 4) {
                    throw e; // someone keeps taking the ports we found free
                }
            }
        }
        int httpPort = tcpPort, echoPort = udpPort;
        try (Machine m = machine; DatagramSocket udp = new DatagramSocket(0, LOOPBACK)) {
            udp.setSoTimeout(SOCKET_TIMEOUT_MS);
            long t0 = System.nanoTime();
            m.start();
            serial.await("net-basic: serving", BOOT_TIMEOUT);
            long tServing = System.nanoTime();

            byte[] ping = "ukemu udp echo \u0000\u00ff".getBytes(StandardCharsets.ISO_8859_1);
            assertArrayEquals(ping, udpExchange(udp, echoPort, ping), "UDP echo");

            for (int i = 0; i < SEQUENTIAL; i++) {
                byte[] got = httpGet(httpPort);
                assertArrayEquals(expected, got, "sequential GET " + i);
            }
            long tSequential = System.nanoTime();

            CountDownLatch go = new CountDownLatch(1);
            List<Future<byte[]>> results = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, CONCURRENT))) {
                for (int i = 0; i < CONCURRENT; i++) {
                    results.add(pool.submit(() -> {
                        go.await();
                        return httpGet(httpPort);
                    }));
                }
                go.countDown();
                for (int i = 0; i < results.size(); i++) {
                    assertArrayEquals(expected, results.get(i).get(), "concurrent GET " + i);
                }
            }
            long tConcurrent = System.nanoTime();

            byte[] quit = "quit".getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(quit, udpExchange(udp, echoPort, quit), "the guest echoes quit too");
            ExitStatus status = m.waitForExit(EXIT_TIMEOUT);
            String out = serial.text();
            System.out.printf("net-basic: boot to serving %d ms, %d sequential GETs %d ms, %d concurrent GETs %d ms%n",
                    (tServing - t0) / 1_000_000, SEQUENTIAL, (tSequential - tServing) / 1_000_000, CONCURRENT,
                    (tConcurrent - tSequential) / 1_000_000);

            assertFalse(out.contains("FAIL"), out);
            for (String pass : EXPECTED_PASSES) {
                assertTrue(out.contains(pass), "missing '" + pass + "' in:\n" + out);
            }
            int total = SEQUENTIAL + CONCURRENT;
            assertTrue(out.contains("net-basic: served " + total + " HTTP responses on " + total + " connections, 2 UDP echoes"),
                    out);
            assertTrue(out.contains("\nnet-basic: 5 passed, 0 failed\n"), out);
            assertEquals(0, status.code(), out);
            assertNull(status.reason(), out);
        }
    }

    @Test
    void requestCountOnTheCommandLineEndsTheGuest() throws Exception {
        SerialCapture serial = new SerialCapture();
        int tcpPort = freeTcpPort();
        MachineConfig c = config(serial, tcpPort, freeUdpPort()).withAppend("requests=3");
        try (Machine m = Machine.create(c)) {
            m.start();
            serial.await("net-basic: serving", BOOT_TIMEOUT);
            assertTrue(serial.text().contains(", until 3 responses)"), serial.text());
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(expectedResponse(), httpGet(tcpPort), "GET " + i);
            }
            ExitStatus status = m.waitForExit(EXIT_TIMEOUT);
            String out = serial.text();
            assertFalse(out.contains("FAIL"), out);
            assertTrue(out.contains("net-basic: served 3 HTTP responses on 3 connections, 0 UDP echoes"), out);
            assertEquals(0, status.code(), out);
        }
    }

    /** Whether a frame is IPv4 TCP. */
    static boolean isTcp(ByteBuffer f) {
        int p = f.position();
        return f.remaining() >= 34 && f.getShort(p + 12) == 0x0800 && f.get(p + 23) == 6;
    }

    /**
     * The real user network, but every TCP segment for the guest arrives twice: the guest must
     * answer each duplicate with an ACK and still deliver every response byte for byte.
     */
    @Test
    void duplicatedSegmentsAreAcknowledgedAndChangeNothing() throws Exception {
        SerialCapture serial = new SerialCapture();
        int tcpPort = freeTcpPort();
        int udpPort = freeUdpPort();
        AtomicInteger duplicated = new AtomicInteger();
        UserNetBackendFactory doubling = options -> {
            NetBackend real = NetBackends.createUser(options);
            return new NetBackend() {
                @Override
                public FrameSink connect(FrameSink toGuest) {
                    return real.connect(new FrameSink() {
                        @Override
                        public boolean offer(ByteBuffer frame) {
                            ByteBuffer copy = isTcp(frame) ? ByteBuffer.allocate(frame.remaining()).put(frame.duplicate()).flip() : null;
                            if (!toGuest.offer(frame)) {
                                return false;
                            }
                            if (copy != null && toGuest.offer(copy)) {
                                duplicated.incrementAndGet();
                            }
                            return true;
                        }

                        @Override
                        public void whenWritable(Runnable action) {
                            toGuest.whenWritable(action);
                        }
                    });
                }

                @Override
                public void close() {
                    real.close();
                }
            };
        };
        try (Machine m = Machine.create(config(serial, tcpPort, udpPort), doubling);
                DatagramSocket udp = new DatagramSocket(0, LOOPBACK)) {
            udp.setSoTimeout(SOCKET_TIMEOUT_MS);
            m.start();
            serial.await("net-basic: serving", BOOT_TIMEOUT);
            for (int i = 0; i < 20; i++) {
                assertArrayEquals(expectedResponse(), httpGet(tcpPort), "GET " + i);
            }
            udpExchange(udp, udpPort, "quit".getBytes(StandardCharsets.US_ASCII));
            ExitStatus status = m.waitForExit(EXIT_TIMEOUT);
            String out = serial.text();
            assertFalse(out.contains("FAIL"), out);
            assertTrue(duplicated.get() >= 20 * 4, "segments duplicated: " + duplicated.get());
            var matcher = java.util.regex.Pattern.compile("net-basic: served 20 HTTP responses on 20 connections, 1 UDP echoes, "
                    + "([0-9]+) duplicate segments re-ACKed").matcher(out);
            assertTrue(matcher.find(), out);
            assertTrue(Integer.parseInt(matcher.group(1)) >= 20 * 2, "re-ACKed: " + matcher.group(1) + "\n" + out);
            assertEquals(0, status.code(), out);
        }
    }
}
