package dev.ukemu.devices.net.user;

import static dev.ukemu.devices.net.user.TestFrames.BROADCAST_MAC;
import static dev.ukemu.devices.net.user.TestFrames.DNS_IP;
import static dev.ukemu.devices.net.user.TestFrames.GATEWAY_IP;
import static dev.ukemu.devices.net.user.TestFrames.GATEWAY_MAC;
import static dev.ukemu.devices.net.user.TestFrames.GUEST_IP;
import static dev.ukemu.devices.net.user.TestFrames.GUEST_MAC;
import static dev.ukemu.devices.net.user.TestFrames.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ARP, DHCP, ICMP and UDP through the user-mode network, driven by a fake guest. */
class UserNetworkBasicsTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void answersArpForGatewayAndDns() {
        try (FakeGuest g = new FakeGuest(UserNetConfig.defaults())) {
            for (int target : new int[] {GATEWAY_IP, DNS_IP}) {
                g.send(TestFrames.arp(1, GUEST_MAC, GUEST_IP, 0, target));
                TestFrames.Eth e = TestFrames.eth(g.next(WAIT));
                assertEquals(0x0806, e.type());
                assertEquals(GUEST_MAC, e.dst());
                TestFrames.Arp a = TestFrames.arp(e.payload());
                assertEquals(2, a.op());
                assertEquals(target, a.senderIp());
                assertEquals(GATEWAY_MAC, a.senderMac());
                assertEquals(GUEST_IP, a.targetIp());
                assertEquals(GUEST_MAC, a.targetMac());
            }
            g.send(TestFrames.arp(1, GUEST_MAC, GUEST_IP, 0, ip("10.0.2.99")));
            assertNull(g.next(Duration.ofMillis(200)), "no answer for an address nobody has");
        }
    }

    @Test
    void asksTheGuestForItsMacWhenItNeedsIt() throws Exception {
        // A UDP forward delivers to the guest before it ever spoke: the network must ARP first.
        UserNetConfig cfg = UserNetConfig.builder()
                .hostForward(new UserNetConfig.HostForward(UserNetConfig.Protocol.UDP, UserNetConfig.LOOPBACK, 0, null, 7777))
                .build();
        try (FakeGuest g = new FakeGuest(cfg); DatagramSocket host = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            InetSocketAddress fwd = g.net.hostForwardAddresses().getFirst();
            byte[] msg = "hello guest".getBytes(StandardCharsets.US_ASCII);
            host.send(new DatagramPacket(msg, msg.length, fwd));
            TestFrames.Eth e = TestFrames.eth(rawNext(g));
            assertEquals(0x0806, e.type());
            assertEquals(BROADCAST_MAC, e.dst());
            TestFrames.Arp a = TestFrames.arp(e.payload());
            assertEquals(1, a.op());
            assertEquals(GUEST_IP, a.targetIp());
            assertEquals(GATEWAY_IP, a.senderIp());
            g.send(TestFrames.arp(2, GUEST_MAC, GUEST_IP, GATEWAY_MAC, GATEWAY_IP));
            TestFrames.Ip ip = g.nextIp(p -> p.proto() == 17, WAIT);
            TestFrames.Udp u = TestFrames.udp(ip);
            assertEquals(7777, u.dstPort());
            assertEquals(GATEWAY_IP, ip.src());
            assertEquals(host.getLocalPort(), u.srcPort());
            assertArrayEquals(msg, u.data());

            // The guest answers to 10.0.2.2:<host port>; it reaches the host socket.
            byte[] reply = "hello host".getBytes(StandardCharsets.US_ASCII);
            g.send(TestFrames.udpFrame(GUEST_IP, 7777, GATEWAY_IP, host.getLocalPort(), reply));
            DatagramPacket in = new DatagramPacket(new byte[100], 100);
            host.setSoTimeout(5000);
            host.receive(in);
            assertEquals("hello host", new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII));
            assertEquals(fwd.getPort(), in.getPort());
        }
    }

    private static byte[] rawNext(FakeGuest g) {
        // next() would answer the ARP request itself; this test wants to see it.
        try {
            java.lang.reflect.Field f = FakeGuest.class.getDeclaredField("received");
            f.setAccessible(true);
            @SuppressWarnings("unchecked")
            var q = (java.util.concurrent.BlockingQueue<byte[]>) f.get(g);
            return q.poll(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (ReflectiveOperationException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void dhcpLeaseWithTheUsualOptions() {
        try (FakeGuest g = new FakeGuest(UserNetConfig.defaults())) {
            g.send(TestFrames.dhcp(1, 42, GUEST_MAC, false, 0, 0, 0));
            TestFrames.Ip ip = g.nextIp(p -> p.proto() == 17, WAIT);
            assertEquals(GATEWAY_IP, ip.src());
            assertEquals(GUEST_IP, ip.dst(), "no broadcast flag: unicast to the offered address");
            TestFrames.Udp u = TestFrames.udp(ip);
            assertEquals(67, u.srcPort());
            assertEquals(68, u.dstPort());
            TestFrames.Dhcp offer = TestFrames.dhcp(u);
            assertEquals(2, offer.op());
            assertEquals(42, offer.xid());
            assertEquals(2, offer.type());
            assertEquals(GUEST_IP, offer.yiaddr());
            assertEquals(GUEST_MAC, offer.chaddr());
            assertEquals(GATEWAY_IP, offer.optionInt(54));
            assertEquals(0xFFFFFF00, offer.optionInt(1));
            assertEquals(GATEWAY_IP, offer.optionInt(3));
            assertEquals(DNS_IP, offer.optionInt(6));
            assertEquals(86400, offer.optionInt(51));

            g.send(TestFrames.dhcp(3, 43, GUEST_MAC, true, 0, GUEST_IP, GATEWAY_IP));
            TestFrames.Eth e = TestFrames.eth(g.next(WAIT));
            assertEquals(BROADCAST_MAC, e.dst(), "broadcast flag: broadcast reply");
            TestFrames.Ip ackIp = TestFrames.ip(e.payload());
            assertEquals(0xFFFFFFFF, ackIp.dst());
            TestFrames.Dhcp ack = TestFrames.dhcp(TestFrames.udp(ackIp));
            assertEquals(5, ack.type());
            assertEquals(GUEST_IP, ack.yiaddr());
            assertEquals(0x8000, ack.flags());

            // A renewal from the bound address is unicast to it.
            g.send(TestFrames.dhcp(3, 44, GUEST_MAC, false, GUEST_IP, 0, 0));
            TestFrames.Ip renew = g.nextIp(p -> p.proto() == 17, WAIT);
            assertEquals(GUEST_IP, renew.dst());
            assertEquals(5, TestFrames.dhcp(TestFrames.udp(renew)).type());

            // INFORM: configuration without a lease.
            g.send(TestFrames.dhcp(8, 45, GUEST_MAC, false, GUEST_IP, 0, 0));
            TestFrames.Dhcp inform = TestFrames.dhcp(TestFrames.udp(g.nextIp(p -> p.proto() == 17, WAIT)));
            assertEquals(5, inform.type());
            assertEquals(0, inform.yiaddr());
            assertFalse(inform.options().containsKey(51));
            assertEquals(DNS_IP, inform.optionInt(6));
        }
    }

    @Test
    void dhcpGivesEachMacItsOwnAddressAndTakesReleasesBack() {
        try (FakeGuest g = new FakeGuest(UserNetConfig.defaults())) {
            long other = 0x5254_0000_0002L;
            assertEquals(GUEST_IP, g.dhcp());
            g.send(TestFrames.dhcp(1, 50, other, true, 0, 0, 0));
            TestFrames.Dhcp offer = TestFrames.dhcp(TestFrames.udp(g.nextIp(p -> p.proto() == 17, WAIT)));
            assertEquals(ip("10.0.2.16"), offer.yiaddr());

            // The second guest asks for the first one's address: refused.
            g.send(TestFrames.dhcp(3, 51, other, true, 0, GUEST_IP, GATEWAY_IP));
            TestFrames.Dhcp nak = TestFrames.dhcp(TestFrames.udp(g.nextIp(p -> p.proto() == 17, WAIT)));
            assertEquals(6, nak.type());

            // A request naming another server is not for us.
            g.send(TestFrames.dhcp(3, 52, other, true, 0, ip("10.0.2.16"), ip("10.0.2.9")));
            assertNull(g.nextIp(p -> p.proto() == 17, Duration.ofMillis(200)));

            // After the first guest releases its address, the second may have it.
            g.send(TestFrames.dhcp(7, 53, GUEST_MAC, false, GUEST_IP, 0, GATEWAY_IP));
            g.send(TestFrames.dhcp(3, 54, other, true, 0, GUEST_IP, GATEWAY_IP));
            TestFrames.Dhcp ack = TestFrames.dhcp(TestFrames.udp(g.nextIp(p -> p.proto() == 17, WAIT)));
            assertEquals(5, ack.type());
            assertEquals(GUEST_IP, ack.yiaddr());
        }
    }

    @Test
    void pingsTheGatewayAndDns() {
        try (FakeGuest g = new FakeGuest(UserNetConfig.defaults())) {
            byte[] payload = "abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.US_ASCII);
            for (int target : new int[] {GATEWAY_IP, DNS_IP}) {
                g.send(TestFrames.ipFrame(GUEST_IP, target, 1, TestFrames.icmpEcho(0x77, 3, payload)));
                TestFrames.Ip ip = g.nextIp(p -> p.proto() == 1, WAIT);
                assertEquals(target, ip.src());
                assertEquals(GUEST_IP, ip.dst());
                byte[] m = ip.payload();
                assertEquals(0, TestFrames.checksum(m, 0, m.length, 0), "ICMP checksum");
                assertEquals(0, m[0], "echo reply");
                assertEquals(0x77, ByteBuffer.wrap(m).getShort(4));
                assertEquals(3, ByteBuffer.wrap(m).getShort(6));
                assertArrayEquals(payload, Arrays.copyOfRange(m, 8, m.length));
            }
        }
    }

    @Test
    void expiredTtlGetsTimeExceeded() {
        try (FakeGuest g = new FakeGuest(UserNetConfig.defaults())) {
            byte[] packet = TestFrames.ipv4(GUEST_IP, GATEWAY_IP, 17, TestFrames.udp(GUEST_IP, 1000, GATEWAY_IP, 9, new byte[4]), 9, 0, 0);
            g.send(TestFrames.ethernet(GATEWAY_MAC, GUEST_MAC, 0x0800, packet));
            TestFrames.Ip ip = g.nextIp(p -> p.proto() == 1, WAIT);
            assertEquals(11, ip.payload()[0]);
            assertArrayEquals(Arrays.copyOf(packet, 28), Arrays.copyOfRange(ip.payload(), 8, 36));
        }
    }

    @Test
    void dnsQueriesGoToTheHostResolver() throws Exception {
        try (DatagramSocket dns = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            Thread server = Thread.ofPlatform().daemon().start(() -> fakeDns(dns));
            UserNetConfig cfg = UserNetConfig.builder()
                    .dnsUpstream(new InetSocketAddress(InetAddress.getLoopbackAddress(), dns.getLocalPort())).build();
            try (FakeGuest g = new FakeGuest(cfg)) {
                byte[] query = "query:example.test".getBytes(StandardCharsets.US_ASCII);
                g.send(TestFrames.udpFrame(GUEST_IP, 40000, DNS_IP, 53, query));
                TestFrames.Ip ip = g.nextIp(p -> p.proto() == 17, WAIT);
                TestFrames.Udp u = TestFrames.udp(ip);
                assertEquals(DNS_IP, ip.src(), "the answer comes from the DNS address");
                assertEquals(53, u.srcPort());
                assertEquals(40000, u.dstPort());
                assertEquals("answer:query:example.test", new String(u.data(), StandardCharsets.US_ASCII));
            }
            server.interrupt();
        }
    }

    private static void fakeDns(DatagramSocket dns) {
        byte[] buf = new byte[2048];
        while (!dns.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                dns.receive(p);
                byte[] answer = ("answer:" + new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII))
                        .getBytes(StandardCharsets.US_ASCII);
                dns.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
            } catch (java.io.IOException e) {
                return;
            }
        }
    }

    @Test
    void resolvConfGivesTheUpstreamResolver(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("resolv.conf");
        Files.writeString(conf, "# comment\nsearch example\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n");
        assertEquals("192.0.2.53", AddressMap.resolvConfNameserver(conf).getHostAddress());
        Files.writeString(conf, "search example\n");
        assertEquals("127.0.0.1", AddressMap.resolvConfNameserver(conf).getHostAddress());
        assertEquals("127.0.0.1", AddressMap.resolvConfNameserver(dir.resolve("missing")).getHostAddress());
    }

    @Test
    void udpToTheGatewayReachesHostLoopbackAndBack() throws Exception {
        try (DatagramSocket echo = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                FakeGuest g = new FakeGuest(UserNetConfig.defaults())) {
            Thread server = Thread.ofPlatform().daemon().start(() -> echo(echo));
            g.dhcp();
            for (int size : new int[] {0, 1, 512, 1472}) {
                byte[] data = new byte[size];
                new java.util.Random(size).nextBytes(data);
                g.send(TestFrames.udpFrame(GUEST_IP, 41000, GATEWAY_IP, echo.getLocalPort(), data));
                TestFrames.Ip ip = g.nextIp(p -> p.proto() == 17, WAIT);
                assertNotNull(ip, "echo of " + size + " bytes");
                TestFrames.Udp u = TestFrames.udp(ip);
                assertEquals(GATEWAY_IP, ip.src());
                assertEquals(echo.getLocalPort(), u.srcPort());
                assertEquals(41000, u.dstPort());
                assertArrayEquals(data, u.data());
            }
            assertEquals(1, g.net.udpFlowCount());
            server.interrupt();
        }
    }

    @Test
    void largeDatagramsAreFragmentedBothWays() throws Exception {
        try (DatagramSocket echo = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                FakeGuest g = new FakeGuest(UserNetConfig.defaults())) {
            Thread.ofPlatform().daemon().start(() -> echo(echo));
            byte[] data = new byte[4000];
            new java.util.Random(1).nextBytes(data);
            // The guest sends 4000 bytes in three fragments; the network reassembles them.
            byte[] udp = TestFrames.udp(GUEST_IP, 42000, GATEWAY_IP, echo.getLocalPort(), data);
            int[] cuts = {0, 1480, 2960, udp.length};
            for (int i = 2; i >= 0; i--) { // out of order, too
                byte[] part = Arrays.copyOfRange(udp, cuts[i], cuts[i + 1]);
                int frag = (cuts[i] / 8) | (i < 2 ? 0x2000 : 0);
                g.send(TestFrames.ethernet(GATEWAY_MAC, GUEST_MAC, 0x0800,
                        TestFrames.ipv4(GUEST_IP, GATEWAY_IP, 17, part, 0x4242, frag, 64)));
            }
            // The echo comes back fragmented to the MTU; reassemble it here.
            byte[] whole = new byte[8 + data.length];
            int got = 0;
            while (got < whole.length) {
                TestFrames.Ip ip = g.nextIp(p -> p.proto() == 17, WAIT);
                assertNotNull(ip, "a fragment");
                assertTrue(ip.payload().length + 20 <= 1500);
                int off = (ip.fragField() & 0x1FFF) * 8;
                System.arraycopy(ip.payload(), 0, whole, off, ip.payload().length);
                got += ip.payload().length;
            }
            assertEquals(0, TestFrames.checksum(whole, 0, whole.length, TestFrames.pseudo(GATEWAY_IP, GUEST_IP, 17, whole.length)));
            assertArrayEquals(data, Arrays.copyOfRange(whole, 8, whole.length));
        }
    }

    private static void echo(DatagramSocket s) {
        byte[] buf = new byte[65536];
        while (!s.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                s.receive(p);
                s.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
            } catch (java.io.IOException e) {
                return;
            }
        }
    }

    @Test
    void restrictKeepsTheGuestIn() throws Exception {
        try (DatagramSocket echo = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                java.net.ServerSocket server = new java.net.ServerSocket(0, 5, InetAddress.getLoopbackAddress());
                FakeGuest g = new FakeGuest(UserNetConfig.builder().restrict(true).build())) {
            Thread.ofPlatform().daemon().start(() -> echo(echo));
            // DHCP still works, without route or DNS (slirp's restricted lease).
            g.send(TestFrames.dhcp(1, 1, GUEST_MAC, false, 0, 0, 0));
            TestFrames.Dhcp offer = TestFrames.dhcp(TestFrames.udp(g.nextIp(p -> p.proto() == 17, WAIT)));
            assertEquals(GUEST_IP, offer.yiaddr());
            assertFalse(offer.options().containsKey(3));
            assertFalse(offer.options().containsKey(6));
            // Ping of the gateway is answered.
            g.send(TestFrames.ipFrame(GUEST_IP, GATEWAY_IP, 1, TestFrames.icmpEcho(1, 1, new byte[8])));
            assertNotNull(g.nextIp(p -> p.proto() == 1, WAIT));
            // UDP goes nowhere.
            g.send(TestFrames.udpFrame(GUEST_IP, 43000, GATEWAY_IP, echo.getLocalPort(), new byte[] {1}));
            assertNull(g.nextIp(p -> p.proto() == 17, Duration.ofMillis(300)));
            // A TCP connection attempt is reset.
            g.send(TestFrames.tcpFrame(GUEST_IP, 44000, GATEWAY_IP, server.getLocalPort(), 1000, 0, TestFrames.SYN,
                    65535, 1460, new byte[0]));
            TestFrames.Tcp t = g.nextTcp(44000, WAIT);
            assertTrue(t.has(TestFrames.RST));
            assertEquals(1001, t.ack());
            assertEquals(0, g.net.tcpConnectionCount());
        }
    }

    @Test
    void unreachableDestinationsAreReportedByIcmp() {
        Outbound nowhere = (protocol, dest) -> null;
        try (FakeGuest g = new FakeGuest(UserNetConfig.defaults(), Tunables.DEFAULT.withFastTimers(), nowhere)) {
            byte[] udp = TestFrames.udpFrame(GUEST_IP, 46000, ip("192.0.2.1"), 9, new byte[] {1, 2, 3});
            g.send(udp);
            TestFrames.Ip ip = g.nextIp(p -> p.proto() == 1, WAIT);
            assertNotNull(ip);
            assertEquals(GATEWAY_IP, ip.src());
            assertEquals(3, ip.payload()[0], "destination unreachable");
            assertEquals(1, ip.payload()[1], "host unreachable");
            assertEquals(0, TestFrames.checksum(ip.payload(), 0, ip.payload().length, 0));
            assertArrayEquals(Arrays.copyOfRange(udp, 14, udp.length), Arrays.copyOfRange(ip.payload(), 8, ip.payload().length),
                    "the whole offending datagram is quoted");

            byte[] syn = TestFrames.tcpFrame(GUEST_IP, 46001, ip("192.0.2.1"), 80, 1, 0, TestFrames.SYN, 65535, 1460, new byte[0]);
            g.send(syn);
            ip = g.nextIp(p -> p.proto() == 1, WAIT);
            assertNotNull(ip);
            assertEquals(3, ip.payload()[0]);
            assertEquals(1, ip.payload()[1]);
            assertEquals(0, g.net.tcpConnectionCount());

            // Never an ICMP error about an ICMP error.
            g.send(TestFrames.ipFrame(GUEST_IP, ip("192.0.2.1"), 1, ip.payload()));
            assertNull(g.nextIp(p -> p.proto() == 1, Duration.ofMillis(200)));
        }
    }
}
