package dev.ukemu.devices.net.user;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The user-mode network's settings, with QEMU's {@code -netdev user} defaults: network
 * 10.0.2.0/24, the host (gateway, DHCP server) at 10.0.2.2, DNS at 10.0.2.3, leases from
 * 10.0.2.15.
 *
 * @param network      the guest network's address
 * @param prefixLength the guest network's prefix length (24 for a /24)
 * @param host         the gateway's address; guest connections to it reach the host's loopback
 * @param dns          the DNS address the guest is given; queries to it go to {@code dnsUpstream}
 * @param dhcpStart    the first address handed out by DHCP
 * @param gatewayMac   the Ethernet address the gateway and DNS answer with
 * @param restrict     QEMU's {@code restrict=on}: the guest reaches nothing outside except
 *                     through the host forwards
 * @param hostForwards QEMU's {@code hostfwd} rules, every guest address filled in
 * @param dnsUpstream  where DNS queries go, or null for the first nameserver in /etc/resolv.conf
 *                     (127.0.0.1 if there is none)
 */
public record UserNetConfig(
        Inet4Address network,
        int prefixLength,
        Inet4Address host,
        Inet4Address dns,
        Inet4Address dhcpStart,
        MacAddress gatewayMac,
        boolean restrict,
        List<HostForward> hostForwards,
        InetSocketAddress dnsUpstream) {

    /** slirp's gateway address: 52:55 followed by the gateway's IPv4 address. */
    public static final MacAddress DEFAULT_GATEWAY_MAC = new MacAddress(0x5255_0A00_0202L);

    public enum Protocol { TCP, UDP }

    /**
     * One forwarded port: connections (TCP) or datagrams (UDP) reaching
     * {@code hostAddress:hostPort} on the host go to {@code guestAddress:guestPort} in the guest.
     * A null {@code guestAddress} stands for the first DHCP address until the rule is put in a
     * {@link UserNetConfig}. Host port 0 binds a free port (see
     * {@link UserNetwork#hostForwardAddresses()}).
     */
    public record HostForward(
            Protocol protocol, Inet4Address hostAddress, int hostPort, Inet4Address guestAddress, int guestPort) {
        public HostForward {
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(hostAddress, "hostAddress");
            if (hostPort < 0 || hostPort > 65535) {
                throw new IllegalArgumentException("hostfwd host port " + hostPort + " out of range 0-65535");
            }
            if (guestPort < 1 || guestPort > 65535) {
                throw new IllegalArgumentException("hostfwd guest port " + guestPort + " out of range 1-65535");
            }
        }

        /** A TCP forward from 127.0.0.1:hostPort to the first DHCP address. */
        public static HostForward tcp(int hostPort, int guestPort) {
            return new HostForward(Protocol.TCP, LOOPBACK, hostPort, null, guestPort);
        }

        /** A UDP forward from 127.0.0.1:hostPort to the first DHCP address. */
        public static HostForward udp(int hostPort, int guestPort) {
            return new HostForward(Protocol.UDP, LOOPBACK, hostPort, null, guestPort);
        }

        /** QEMU's spelling, as {@link UserNetConfig#parseHostForward} reads it. */
        @Override
        public String toString() {
            return protocol.name().toLowerCase(Locale.ROOT) + ":" + hostAddress.getHostAddress() + ":" + hostPort
                    + "-" + (guestAddress == null ? "" : guestAddress.getHostAddress()) + ":" + guestPort;
        }
    }

    static final Inet4Address LOOPBACK = ipv4(127, 0, 0, 1);

    public UserNetConfig {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(dns, "dns");
        Objects.requireNonNull(dhcpStart, "dhcpStart");
        Objects.requireNonNull(gatewayMac, "gatewayMac");
        if (prefixLength < 8 || prefixLength > 30) {
            throw new IllegalArgumentException("network prefix /" + prefixLength + " out of range /8-/30");
        }
        int mask = maskOf(prefixLength);
        int net = Ip.toInt(network);
        if ((net & ~mask) != 0) {
            throw new IllegalArgumentException("network " + network.getHostAddress() + "/" + prefixLength
                    + " has host bits set");
        }
        for (Inet4Address a : List.of(host, dns, dhcpStart)) {
            if ((Ip.toInt(a) & mask) != net) {
                throw new IllegalArgumentException(a.getHostAddress() + " is outside the network "
                        + network.getHostAddress() + "/" + prefixLength);
            }
        }
        List<HostForward> filled = new ArrayList<>();
        for (HostForward f : hostForwards) {
            filled.add(f.guestAddress() != null ? f
                    : new HostForward(f.protocol(), f.hostAddress(), f.hostPort(), dhcpStart, f.guestPort()));
        }
        hostForwards = List.copyOf(filled);
    }

    /** QEMU's defaults, no forwards. */
    public static UserNetConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The network mask as an int, for example 0xFFFFFF00. */
    int mask() {
        return maskOf(prefixLength);
    }

    private static int maskOf(int prefixLength) {
        return -1 << (32 - prefixLength);
    }

    /**
     * Reads one QEMU host forward, {@code [hostfwd=][tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport}
     * (an empty protocol means tcp, an empty host address 127.0.0.1, an empty guest address the
     * first DHCP address). Errors are one line, naming the rule.
     */
    public static HostForward parseHostForward(String rule) {
        String text = rule.startsWith("hostfwd=") ? rule.substring("hostfwd=".length()) : rule;
        String[] halves = text.split("-", -1);
        if (halves.length != 2) {
            throw badRule(rule, "expected [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport");
        }
        String[] hostSide = halves[0].split(":", -1);
        String[] guestSide = halves[1].split(":", -1);
        if (hostSide.length != 3 || guestSide.length != 2) {
            throw badRule(rule, "expected [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport");
        }
        Protocol protocol = switch (hostSide[0].toLowerCase(Locale.ROOT)) {
            case "", "tcp" -> Protocol.TCP;
            case "udp" -> Protocol.UDP;
            default -> throw badRule(rule, "protocol '" + hostSide[0] + "' is neither tcp nor udp");
        };
        Inet4Address hostAddress = hostSide[1].isEmpty() ? LOOPBACK : parseIpv4(rule, hostSide[1]);
        int hostPort = parsePort(rule, "host", hostSide[2]);
        Inet4Address guestAddress = guestSide[0].isEmpty() ? null : parseIpv4(rule, guestSide[0]);
        int guestPort = parsePort(rule, "guest", guestSide[1]);
        return new HostForward(protocol, hostAddress, hostPort, guestAddress, guestPort);
    }

    private static int parsePort(String rule, String side, String text) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw badRule(rule, side + " port '" + text + "' is not a number");
        }
        int port = Integer.parseInt(text);
        if (port < 1 || port > 65535) {
            throw badRule(rule, side + " port " + port + " out of range 1-65535");
        }
        return port;
    }

    /** Dotted-quad IPv4 only: a host name would need a DNS lookup. */
    static Inet4Address parseIpv4(String rule, String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw badRule(rule, "'" + text + "' is not an IPv4 address");
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
                    || Integer.parseInt(p) > 255) {
                throw badRule(rule, "'" + text + "' is not an IPv4 address");
            }
            b[i] = (byte) Integer.parseInt(p);
        }
        return Ip.toInet(((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF));
    }

    private static IllegalArgumentException badRule(String rule, String why) {
        return new IllegalArgumentException("invalid hostfwd rule '" + rule + "': " + why);
    }

    static Inet4Address ipv4(int a, int b, int c, int d) {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Builds a {@link UserNetConfig}; unset fields take QEMU's defaults. */
    public static final class Builder {
        private Inet4Address network = ipv4(10, 0, 2, 0);
        private int prefixLength = 24;
        private Inet4Address host = ipv4(10, 0, 2, 2);
        private Inet4Address dns = ipv4(10, 0, 2, 3);
        private Inet4Address dhcpStart = ipv4(10, 0, 2, 15);
        private MacAddress gatewayMac = DEFAULT_GATEWAY_MAC;
        private boolean restrict;
        private final List<HostForward> hostForwards = new ArrayList<>();
        private InetSocketAddress dnsUpstream;

        private Builder() {}

        public Builder network(Inet4Address network, int prefixLength) {
            this.network = network;
            this.prefixLength = prefixLength;
            return this;
        }

        public Builder host(Inet4Address host) {
            this.host = host;
            return this;
        }

        public Builder dns(Inet4Address dns) {
            this.dns = dns;
            return this;
        }

        public Builder dhcpStart(Inet4Address dhcpStart) {
            this.dhcpStart = dhcpStart;
            return this;
        }

        public Builder gatewayMac(MacAddress gatewayMac) {
            this.gatewayMac = gatewayMac;
            return this;
        }

        public Builder restrict(boolean restrict) {
            this.restrict = restrict;
            return this;
        }

        public Builder hostForward(HostForward forward) {
            hostForwards.add(Objects.requireNonNull(forward));
            return this;
        }

        /** Adds a forward in QEMU's spelling, see {@link #parseHostForward}. */
        public Builder hostForward(String rule) {
            return hostForward(parseHostForward(rule));
        }

        public Builder dnsUpstream(InetSocketAddress dnsUpstream) {
            this.dnsUpstream = dnsUpstream;
            return this;
        }

        public UserNetConfig build() {
            return new UserNetConfig(network, prefixLength, host, dns, dhcpStart, gatewayMac, restrict,
                    hostForwards, dnsUpstream);
        }
    }
}
