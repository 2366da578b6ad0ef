package dev.ukemu.devices.net.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.devices.net.user.UserNetConfig.HostForward;
import dev.ukemu.devices.net.user.UserNetConfig.Protocol;
import org.junit.jupiter.api.Test;

class UserNetConfigTest {
    @Test
    void defaultsAreQemus() {
        UserNetConfig c = UserNetConfig.defaults();
        assertEquals("10.0.2.0", c.network().getHostAddress());
        assertEquals(24, c.prefixLength());
        assertEquals("10.0.2.2", c.host().getHostAddress());
        assertEquals("10.0.2.3", c.dns().getHostAddress());
        assertEquals("10.0.2.15", c.dhcpStart().getHostAddress());
        assertEquals("52:55:0a:00:02:02", c.gatewayMac().toString());
        assertFalse(c.restrict());
        assertTrue(c.hostForwards().isEmpty());
        assertNull(c.dnsUpstream());
    }

    @Test
    void parsesQemuHostForwards() {
        HostForward f = UserNetConfig.parseHostForward("tcp::8080-:80");
        assertEquals(Protocol.TCP, f.protocol());
        assertEquals("127.0.0.1", f.hostAddress().getHostAddress());
        assertEquals(8080, f.hostPort());
        assertNull(f.guestAddress());
        assertEquals(80, f.guestPort());

        HostForward u = UserNetConfig.parseHostForward("hostfwd=udp:127.0.0.2:5353-10.0.2.16:53");
        assertEquals(Protocol.UDP, u.protocol());
        assertEquals("127.0.0.2", u.hostAddress().getHostAddress());
        assertEquals("10.0.2.16", u.guestAddress().getHostAddress());
        assertEquals(53, u.guestPort());

        assertEquals(Protocol.TCP, UserNetConfig.parseHostForward(":0.0.0.0:22-:22").protocol());
    }

    @Test
    void builderFillsTheGuestAddress() {
        UserNetConfig c = UserNetConfig.builder().hostForward("tcp::8080-:8080").build();
        assertEquals("10.0.2.15", c.hostForwards().getFirst().guestAddress().getHostAddress());
        assertEquals("tcp:127.0.0.1:8080-10.0.2.15:8080", c.hostForwards().getFirst().toString());
    }

    @Test
    void badRulesGiveOneLineErrors() {
        for (String rule : new String[] {"tcp:8080-:80", "sctp::1-:2", "tcp::0-:80", "tcp::8080-:65536",
                "tcp::80x-:80", "tcp:1.2.3:80-:80", "tcp:1.2.3.256:80-:80", "tcp::80:80", "", "tcp::1-:2-3"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> UserNetConfig.parseHostForward(rule), rule);
            assertTrue(e.getMessage().startsWith("invalid hostfwd rule '" + rule + "': "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void addressesMustLieInTheNetwork() {
        assertThrows(IllegalArgumentException.class,
                () -> UserNetConfig.builder().dns(UserNetConfig.ipv4(10, 0, 3, 3)).build());
        assertThrows(IllegalArgumentException.class,
                () -> UserNetConfig.builder().network(UserNetConfig.ipv4(10, 0, 2, 1), 24).build());
    }

    @Test
    void macAddressesRoundTrip() {
        assertEquals("52:54:00:12:34:56", MacAddress.parse("52-54-00-12-34-56").toString());
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("52:54:00:12:34"));
    }
}
