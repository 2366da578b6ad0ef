package dev.ukemu.devices.net.user;

import static dev.ukemu.devices.net.user.FakeGuest.assertNoReset;
import static dev.ukemu.devices.net.user.TestFrames.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.devices.net.user.FakeGuest.GuestTcp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** TCP through the user-mode network: the guest's side is the fake guest's own small TCP. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UserNetworkTcpTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static UserNetConfig forwardTo(int guestPort) {
        return UserNetConfig.builder()
                .hostForward(new UserNetConfig.HostForward(UserNetConfig.Protocol.TCP, UserNetConfig.LOOPBACK, 0, null,
                        guestPort))
                .build();
    }

    /** Reads {@code n} bytes (or to EOF) from a host socket on another thread. */
    private static CompletableFuture<byte[]> readAll(Socket s, int n) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return s.getInputStream().readNBytes(n);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private static CompletableFuture<Void> writeAll(Socket s, byte[] data) {
        return CompletableFuture.runAsync(() -> {
            try {
                OutputStream out = s.getOutputStream();
                for (int i = 0; i < data.length; i += 8192) {
                    out.write(data, i, Math.min(8192, data.length - i));
                }
                out.flush();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void guestConnectsOutThroughTheGateway() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, LOOPBACK); FakeGuest g = new FakeGuest(UserNetConfig.defaults())) {
            g.dhcp();
            GuestTcp c = g.connect(GATEWAY_IP, server.getLocalPort(), 40001);
            server.setSoTimeout(10_000);
            try (Socket host = server.accept()) {
                host.setSoTimeout(20_000);
                assertTrue(g.runUntil(() -> c.established, WAIT));
                assertEquals(1460, c.peerMss, "the network advertises MSS 1460");
                byte[] up = random(300_000, 1);
                byte[] down = random(200_000, 2);
                CompletableFuture<byte[]> hostGot = readAll(host, up.length);
                CompletableFuture<Void> hostSent = writeAll(host, down);
                c.write(up);
                assertTrue(g.runUntil(() -> c.in.size() == down.length && c.allAcked(), WAIT),
                        "got " + c.in.size());
                hostSent.get(10, TimeUnit.SECONDS);
                assertArrayEquals(up, hostGot.get(10, TimeUnit.SECONDS));
                assertArrayEquals(down, c.in.toByteArray());
                for (TestFrames.Tcp t : c.log) {
                    assertTrue(t.data().length <= 1400, "segments respect the guest's MSS of 1400");
                }

                // Guest closes first; the host sees EOF, then closes its side.
                c.shutdownOutput();
                assertTrue(g.runUntil(c::allAcked, WAIT));
                assertEquals(-1, host.getInputStream().read());
                host.getOutputStream().write("bye".getBytes());
                host.shutdownOutput();
                assertTrue(g.runUntil(() -> c.finReceived, WAIT));
                assertEquals("bye", new String(Arrays.copyOfRange(c.in.toByteArray(), down.length, c.in.size())));
            }
            assertTrue(g.runUntil(() -> g.net.tcpConnectionCount() == 0, WAIT), "TIME_WAIT ends");
            assertNoReset(c);
        }
    }

    @Test
    void refusedConnectionIsReset() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            closedPort = s.getLocalPort();
        }
        try (FakeGuest g = new FakeGuest(UserNetConfig.defaults())) {
            GuestTcp c = g.connect(GATEWAY_IP, closedPort, 40002);
            assertTrue(g.runUntil(() -> c.reset, WAIT));
            TestFrames.Tcp rst = c.log.getLast();
            assertTrue(rst.has(TestFrames.RST) && rst.has(TestFrames.ACK));
            assertEquals(c.iss + 1, rst.ack(), "the reset acknowledges the SYN");
            assertEquals(0, g.net.tcpConnectionCount());
        }
    }

    @Test
    void hostForwardMovesAMebibyteEachWayThroughASmallWindowAndAStallingNic() throws Exception {
        try (FakeGuest g = new FakeGuest(forwardTo(8080))) {
            g.dhcp();
            g.listen(8080);
            g.receiveWindow = 4096;
            g.readPerPump = 3000;
            InetSocketAddress fwd = g.net.hostForwardAddresses().getFirst();
            try (Socket host = new Socket(fwd.getAddress(), fwd.getPort())) {
                host.setSoTimeout(20_000);
                GuestTcp c = g.accept(8080, WAIT);
                assertTrue(g.runUntil(() -> c.established, WAIT));
                byte[] toGuest = random(1 << 20, 3);
                byte[] toHost = random(1 << 20, 4);
                CompletableFuture<byte[]> hostGot = readAll(host, toHost.length);
                CompletableFuture<Void> hostSent = writeAll(host, toGuest);
                c.write(toHost);
                long start = System.nanoTime();
                int[] turns = {0};
                assertTrue(g.runUntil(() -> {
                    // The NIC refuses frames for 20 ms out of every 60.
                    g.refuse(turns[0]++ % 30 < 10);
                    return c.in.size() == toGuest.length && c.allAcked();
                }, Duration.ofSeconds(90)), "guest got " + c.in.size());
                g.refuse(false);
                hostSent.get(10, TimeUnit.SECONDS);
                assertArrayEquals(toHost, hostGot.get(10, TimeUnit.SECONDS));
                assertArrayEquals(toGuest, c.in.toByteArray());
                for (TestFrames.Tcp t : c.log) {
                    assertTrue(t.data().length <= 4096, "never more than the guest's window");
                }
                assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(90));
                assertNoReset(c);
            }
        }
    }

    @Test
    void halfCloseFromTheHostKeepsTheOtherDirectionOpen() throws Exception {
        try (FakeGuest g = new FakeGuest(forwardTo(8081))) {
            g.dhcp();
            g.listen(8081);
            InetSocketAddress fwd = g.net.hostForwardAddresses().getFirst();
            try (Socket host = new Socket(fwd.getAddress(), fwd.getPort())) {
                host.setSoTimeout(20_000);
                GuestTcp c = g.accept(8081, WAIT);
                host.getOutputStream().write("request".getBytes());
                host.shutdownOutput();
                assertTrue(g.runUntil(() -> c.finReceived, WAIT));
                assertEquals("request", c.in.toString());
                byte[] reply = random(100_000, 5);
                c.write(reply);
                c.shutdownOutput();
                assertTrue(g.runUntil(c::allAcked, WAIT));
                InputStream in = host.getInputStream();
                assertArrayEquals(reply, in.readNBytes(reply.length + 10));
            }
            assertTrue(g.runUntil(() -> g.net.tcpConnectionCount() == 0, WAIT));
        }
    }

    @Test
    void guestResetClosesTheHostSocket() throws Exception {
        try (FakeGuest g = new FakeGuest(forwardTo(8082))) {
            g.dhcp();
            g.listen(8082);
            InetSocketAddress fwd = g.net.hostForwardAddresses().getFirst();
            try (Socket host = new Socket(fwd.getAddress(), fwd.getPort())) {
                host.setSoTimeout(20_000);
                GuestTcp c = g.accept(8082, WAIT);
                assertTrue(g.runUntil(() -> c.established, WAIT));
                c.abort();
                host.setSoTimeout(10_000);
                assertThrows(SocketException.class, () -> host.getInputStream().read(), "the host sees a reset");
            }
            assertTrue(g.runUntil(() -> g.net.tcpConnectionCount() == 0, WAIT));
        }
    }

    @Test
    void hostResetResetsTheGuest() throws Exception {
        try (FakeGuest g = new FakeGuest(forwardTo(8083))) {
            g.dhcp();
            g.listen(8083);
            InetSocketAddress fwd = g.net.hostForwardAddresses().getFirst();
            Socket host = new Socket(fwd.getAddress(), fwd.getPort());
            GuestTcp c = g.accept(8083, WAIT);
            assertTrue(g.runUntil(() -> c.established, WAIT));
            host.setSoLinger(true, 0);
            host.close();
            assertTrue(g.runUntil(() -> c.reset, WAIT));
            assertTrue(g.runUntil(() -> g.net.tcpConnectionCount() == 0, WAIT));
        }
    }

    @Test
    void guestRefusingAForwardedConnectionResetsTheHost() throws Exception {
        try (FakeGuest g = new FakeGuest(forwardTo(8084))) {
            g.dhcp();
            // Not listening on 8084: the fake guest answers the SYN with a reset.
            InetSocketAddress fwd = g.net.hostForwardAddresses().getFirst();
            try (Socket host = new Socket(fwd.getAddress(), fwd.getPort())) {
                host.setSoTimeout(20_000);
                host.setSoTimeout(10_000);
                assertTrue(g.runUntil(() -> g.net.tcpConnectionCount() == 0 && !g.unclaimed.isEmpty(), WAIT));
                assertThrows(SocketException.class, () -> host.getInputStream().read());
            }
        }
    }

    @Test
    void twoHundredConcurrentForwardedConnections() throws Exception {
        int n = 200;
        try (FakeGuest g = new FakeGuest(forwardTo(9000))) {
            g.dhcp();
            g.listen(9000);
            InetSocketAddress fwd = g.net.hostForwardAddresses().getFirst();
            List<Socket> hosts = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    Socket s = new Socket(fwd.getAddress(), fwd.getPort());
                    s.setSoTimeout(20_000);
                    hosts.add(s);
                }
                assertTrue(g.runUntil(() -> g.connections().size() == n
                        && g.connections().stream().allMatch(c -> c.established), WAIT));
                List<CompletableFuture<byte[]>> got = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    hosts.get(i).getOutputStream().write(("hello " + i).getBytes());
                    got.add(readAll(hosts.get(i), 20_000));
                }
                // Each guest connection answers what it got with 20000 bytes derived from it.
                List<GuestTcp> answered = new ArrayList<>();
                assertTrue(g.runUntil(() -> {
                    for (GuestTcp c : g.connections()) {
                        if (!answered.contains(c) && c.in.size() > 0 && c.in.toString().matches("hello \\d+")) {
                            answered.add(c);
                            c.write(payloadFor(c.in.toString()));
                            c.shutdownOutput();
                        }
                    }
                    return answered.size() == n && answered.stream().allMatch(GuestTcp::allAcked);
                }, WAIT), "answered " + answered.size());
                for (int i = 0; i < n; i++) {
                    assertArrayEquals(payloadFor("hello " + i), got.get(i).get(10, TimeUnit.SECONDS));
                }
            } finally {
                for (Socket s : hosts) {
                    s.close();
                }
            }
            assertTrue(g.runUntil(() -> g.net.tcpConnectionCount() == 0, WAIT), "all connections end");
        }
    }

    private static byte[] payloadFor(String greeting) {
        return random(20_000, greeting.hashCode());
    }

    @Test
    void aTakenPortIsAClearOneLineError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
            UserNetConfig cfg = UserNetConfig.builder()
                    .hostForward(UserNetConfig.parseHostForward("tcp:127.0.0.1:" + taken.getLocalPort() + "-:8080"))
                    .build();
            UserNetException e = assertThrows(UserNetException.class, () -> new UserNetwork(cfg).close());
            assertEquals("hostfwd tcp 127.0.0.1:" + taken.getLocalPort() + ": port already in use", e.getMessage());
        }
        try (java.net.DatagramSocket taken = new java.net.DatagramSocket(0, LOOPBACK)) {
            UserNetConfig cfg = UserNetConfig.builder()
                    .hostForward(UserNetConfig.parseHostForward("udp::" + taken.getLocalPort() + "-:53"))
                    .build();
            UserNetException e = assertThrows(UserNetException.class, () -> new UserNetwork(cfg).close());
            assertEquals("hostfwd udp 127.0.0.1:" + taken.getLocalPort() + ": port already in use", e.getMessage());
        }
    }

    @Test
    void restrictLeavesHostForwardsWorking() throws Exception {
        UserNetConfig cfg = UserNetConfig.builder().restrict(true)
                .hostForward(new UserNetConfig.HostForward(UserNetConfig.Protocol.TCP, UserNetConfig.LOOPBACK, 0, null, 8085))
                .build();
        try (FakeGuest g = new FakeGuest(cfg)) {
            g.dhcp();
            g.listen(8085);
            InetSocketAddress fwd = g.net.hostForwardAddresses().getFirst();
            try (Socket host = new Socket(fwd.getAddress(), fwd.getPort())) {
                host.setSoTimeout(20_000);
                GuestTcp c = g.accept(8085, WAIT);
                host.getOutputStream().write("ping".getBytes());
                assertTrue(g.runUntil(() -> c.in.size() == 4, WAIT));
                c.write("pong".getBytes());
                assertTrue(g.runUntil(c::allAcked, WAIT));
                assertEquals("pong", new String(host.getInputStream().readNBytes(4)));
            }
        }
    }
}
