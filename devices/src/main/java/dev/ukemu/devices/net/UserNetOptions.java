package dev.ukemu.devices.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The options of QEMU's user-mode network ({@code -netdev user,...}): the virtual network and
 * the addresses of its gateway, DNS server and first DHCP lease, the host-to-guest port
 * forwards, and whether the guest is cut off from the outside ({@code restrict=on}).
 * Defaults are QEMU's: 10.0.2.0/24, gateway 10.0.2.2, DNS 10.0.2.3, leases from 10.0.2.15.
 */
public record UserNetOptions(
        String id,
        Inet4Address network,
        int prefixLength,
        Inet4Address host,
        Inet4Address dns,
        Inet4Address dhcpStart,
        List<HostForward> hostForwards,
        boolean restrict,
        String hostname,
        String domainName) {

    public enum Protocol { TCP, UDP }

    /**
     * {@code hostfwd=tcp:HOSTADDR:HOSTPORT-GUESTADDR:GUESTPORT}. A null host address means every
     * host address; a null guest address means the first DHCP lease ({@link #dhcpStart}).
     */
    public record HostForward(Protocol protocol, Inet4Address hostAddress, int hostPort,
                              Inet4Address guestAddress, int guestPort) {
        public HostForward {
            Objects.requireNonNull(protocol, "protocol");
            if (hostPort < 0 || hostPort > 0xFFFF || guestPort < 1 || guestPort > 0xFFFF) {
                throw new IllegalArgumentException("port out of range");
            }
        }
    }

    public UserNetOptions {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(dns, "dns");
        Objects.requireNonNull(dhcpStart, "dhcpStart");
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length " + prefixLength);
        }
        hostForwards = List.copyOf(hostForwards);
    }

    /** QEMU's defaults for a user network named {@code id}. */
    public static UserNetOptions defaults(String id) {
        return new UserNetOptions(id, ipv4("10.0.2.0"), 24, ipv4("10.0.2.2"), ipv4("10.0.2.3"), ipv4("10.0.2.15"),
                List.of(), false, null, null);
    }

    public UserNetOptions withHostForward(HostForward f) {
        List<HostForward> l = new ArrayList<>(hostForwards);
        l.add(f);
        return new UserNetOptions(id, network, prefixLength, host, dns, dhcpStart, l, restrict, hostname, domainName);
    }

    /** The guest address a forward goes to. */
    public Inet4Address guestAddress(HostForward f) {
        return f.guestAddress() != null ? f.guestAddress() : dhcpStart;
    }

    /** True if {@code a} lies in the virtual network. */
    public boolean inNetwork(Inet4Address a) {
        int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
        return (toInt(a) & mask) == (toInt(network) & mask);
    }

    public static int toInt(Inet4Address a) {
        byte[] b = a.getAddress();
        return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
    }

    public static Inet4Address fromInt(int v) {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16),
                (byte) (v >>> 8), (byte) v});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Parses a dotted-quad IPv4 literal without any name lookup. */
    public static Inet4Address ipv4(String text) {
        String[] p = text.split("\\.", -1);
        if (p.length != 4) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
        }
        int v = 0;
        for (String s : p) {
            if (s.isEmpty() || s.length() > 3 || !s.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
            }
            int n = Integer.parseInt(s);
            if (n > 255) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
            }
            v = v << 8 | n;
        }
        return fromInt(v);
    }
}
