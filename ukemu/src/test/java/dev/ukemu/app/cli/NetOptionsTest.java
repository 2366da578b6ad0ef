package dev.ukemu.app.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.app.NicConfig;
import dev.ukemu.devices.net.UserNetOptions;
import dev.ukemu.devices.net.UserNetOptions.HostForward;
import dev.ukemu.devices.net.UserNetOptions.Protocol;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The network options as QEMU and kraft users type them. */
class NetOptionsTest {
    private static List<NicConfig> nics(String... args) throws UsageException {
        List<String> all = new ArrayList<>(List.of("kernel.elf"));
        all.addAll(List.of(args));
        return CommandLine.parse(all.toArray(String[]::new)).config().nics();
    }

    private static String error(String... args) {
        return assertThrows(UsageException.class, () -> nics(args)).getMessage();
    }

    @Test
    void nicUserGivesOneCardOnQemusDefaultNetwork() throws Exception {
        List<NicConfig> n = nics("-nic", "user");
        assertEquals(1, n.size());
        assertEquals(3, n.get(0).slot());
        assertEquals("52:54:00:12:34:56", n.get(0).macText());
        UserNetOptions u = n.get(0).network();
        assertEquals("10.0.2.0", u.network().getHostAddress());
        assertEquals(24, u.prefixLength());
        assertEquals("10.0.2.2", u.host().getHostAddress());
        assertEquals("10.0.2.3", u.dns().getHostAddress());
        assertEquals("10.0.2.15", u.dhcpStart().getHostAddress());
        assertEquals(List.of(), u.hostForwards());
        assertTrue(!u.restrict());
        assertTrue(nics().isEmpty(), "no network unless asked");
    }

    @Test
    void netdevAndDeviceTogether() throws Exception {
        List<NicConfig> n = nics("-netdev", "user,id=n0,hostfwd=tcp::8080-:80,hostfwd=udp:127.0.0.1:5353-10.0.2.15:53,restrict=on",
                "-device", "virtio-net-pci,netdev=n0,mac=02:b0:b0:d3:d2:01");
        NicConfig c = n.get(0);
        assertEquals("02:b0:b0:d3:d2:01", c.macText());
        UserNetOptions u = c.network();
        assertEquals("n0", u.id());
        assertTrue(u.restrict());
        HostForward tcp = u.hostForwards().get(0);
        assertEquals(Protocol.TCP, tcp.protocol());
        assertNull(tcp.hostAddress());
        assertEquals(8080, tcp.hostPort());
        assertNull(tcp.guestAddress());
        assertEquals("10.0.2.15", u.guestAddress(tcp).getHostAddress());
        assertEquals(80, tcp.guestPort());
        HostForward udp = u.hostForwards().get(1);
        assertEquals(Protocol.UDP, udp.protocol());
        assertEquals("127.0.0.1", udp.hostAddress().getHostAddress());
        assertEquals(5353, udp.hostPort());
        assertEquals("10.0.2.15", udp.guestAddress().getHostAddress());
        assertEquals(53, udp.guestPort());
    }

    @Test
    void kraftsShortPortForward() throws Exception {
        List<NicConfig> n = nics("-p", "8080:80");
        assertEquals(1, n.size(), "-p alone brings a user network");
        assertEquals(new HostForward(Protocol.TCP, null, 8080, null, 80), n.get(0).network().hostForwards().get(0));
        n = nics("-nic", "user,hostfwd=tcp::2222-:22", "-p", "127.0.0.1:9090:90", "-p", "5353:53/udp");
        List<HostForward> f = n.get(0).network().hostForwards();
        assertEquals(3, f.size());
        assertEquals(9090, f.get(1).hostPort());
        assertEquals("127.0.0.1", f.get(1).hostAddress().getHostAddress());
        assertEquals(Protocol.UDP, f.get(2).protocol());
    }

    @Test
    void severalCardsGetQemusSlotsAndMacs() throws Exception {
        List<NicConfig> n = nics("-nic", "user", "-nic", "user,model=virtio-net-pci", "-netdev", "user,id=x",
                "-device", "virtio-net-pci,netdev=x,addr=0x8");
        assertEquals(List.of(3, 4, 8), n.stream().map(NicConfig::slot).toList());
        assertArrayEquals(NicConfig.defaultMac(1), n.get(1).mac());
        assertEquals("52:54:00:12:34:58", n.get(2).macText());
        n = nics("-nic", "user", "-device", "virtio-net-pci,addr=3");
        assertEquals(List.of(4, 3), n.stream().map(NicConfig::slot).toList(), "an explicit slot wins; others move on");
    }

    @Test
    void netDefinesTheOtherAddresses() throws Exception {
        UserNetOptions u = nics("-nic", "user,net=192.168.76.0/255.255.255.0").get(0).network();
        assertEquals("192.168.76.2", u.host().getHostAddress());
        assertEquals("192.168.76.3", u.dns().getHostAddress());
        assertEquals("192.168.76.15", u.dhcpStart().getHostAddress());
        u = nics("-nic", "user,net=10.9.0.0/16,dhcpstart=10.9.1.100,dns=10.9.0.53,ipv6=off").get(0).network();
        assertEquals(16, u.prefixLength());
        assertEquals("10.9.1.100", u.dhcpStart().getHostAddress());
    }

    @Test
    void isaDebugExitIsAcceptedWhereItAlreadyIs() throws Exception {
        assertTrue(nics("-device", "isa-debug-exit,iobase=0xf4,iosize=0x04").isEmpty());
    }

    @Test
    void badValuesAreOneLineErrorsNamingTheOption() {
        assertEquals("-netdev tap is not supported (ukemu has the user-mode network: -netdev user,id=ID)",
                error("-netdev", "tap,id=t0"));
        assertTrue(error("-netdev", "user").contains("id= is required"));
        assertTrue(error("-device", "e1000,netdev=n0").startsWith("-device e1000 is not supported"));
        assertTrue(error("-device", "virtio-net-pci,netdev=nope").contains("netdev=nope names no -netdev"));
        assertTrue(error("-device", "virtio-net-pci,mac=01:02:03:04:05:06").startsWith("-device virtio-net-pci: mac:"));
        assertTrue(error("-nic", "user,mac=52:54:00:12:34").contains("not a MAC address"));
        assertTrue(error("-nic", "user,hostfwd=tcp:8080:80").contains("hostfwd=tcp:8080:80 is malformed"));
        assertTrue(error("-nic", "user,hostfwd=sctp::1-:2").contains("protocol must be tcp or udp"));
        assertTrue(error("-nic", "user,hostfwd=tcp::70000-:80").contains("out of range"));
        assertTrue(error("-nic", "user,restrict=maybe").contains("restrict=maybe must be on or off"));
        assertTrue(error("-nic", "user,dhcpstart=10.0.3.15").contains("dhcpstart=10.0.3.15 is outside net=10.0.2.0/24"));
        assertTrue(error("-nic", "user,net=10.0.2.5/24").contains("host bits"));
        assertTrue(error("-nic", "user,net=10.0.2.0/33").contains("not a prefix length"));
        assertTrue(error("-nic", "user,host=10.0.2.256").contains("not an IPv4 address"));
        assertTrue(error("-nic", "user,tftp=/srv").contains("unknown option 'tftp'"));
        assertTrue(error("-nic", "user,model=e1000").contains("model=e1000 is not supported"));
        assertTrue(error("-nic", "tap").startsWith("-nic tap is not supported"));
        assertTrue(error("-p", "eighty:80").contains("'eighty' is not a port number"));
        assertTrue(error("-p", "80").contains("write HOSTPORT:GUESTPORT"));
        assertTrue(error("-netdev", "user,id=a", "-netdev", "user,id=a").contains("id 'a' is used twice"));
        assertTrue(error("-netdev", "user,id=a", "-device", "virtio-net-pci,netdev=a", "-device", "virtio-net-pci,netdev=a")
                .contains("already used"));
        assertTrue(error("-netdev", "user,id=a", "-netdev", "user,id=b", "-p", "1:2").contains("exactly one user network"));
        assertTrue(error("-net", "nic").startsWith("-net is not supported"));
        assertTrue(error("--net-dump", "x.pcap").contains("no network card"));
        assertTrue(error("-device", "virtio-net-pci,addr=1").contains("slots 0 and 1"));
        assertTrue(error("-device", "virtio-net-pci,addr=5", "-device", "virtio-net-pci,addr=5").contains("slot 5 is taken"));
        for (String e : List.of(error("-netdev", "tap"), error("-nic", "user,restrict=2"))) {
            assertTrue(!e.contains("\n"), e);
        }
    }

    @Test
    void netDumpIsKept() throws Exception {
        assertEquals(Path.of("out.pcap"), CommandLine.parse(new String[] {"k", "-nic", "user", "--net-dump", "out.pcap"})
                .config().netDump());
    }
}
