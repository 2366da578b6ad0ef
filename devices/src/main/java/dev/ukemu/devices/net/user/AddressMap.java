package dev.ukemu.devices.net.user;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Translates between the guest's view of addresses and the host's, as slirp's
 * {@code sotranslate_out} and {@code sotranslate_in} do: the gateway (and every other address
 * of the guest network) is the host's loopback, the DNS address is the host's resolver.
 */
final class AddressMap {
    static final int DNS_PORT = 53;

    private final int network;
    private final int mask;
    private final int hostIp;
    private final int dnsIp;
    private final InetSocketAddress dnsUpstream;

    AddressMap(UserNetConfig config) {
        this.network = Ip.toInt(config.network());
        this.mask = config.mask();
        this.hostIp = Ip.toInt(config.host());
        this.dnsIp = Ip.toInt(config.dns());
        this.dnsUpstream = config.dnsUpstream() != null ? config.dnsUpstream()
                : new InetSocketAddress(resolvConfNameserver(Path.of("/etc/resolv.conf")), DNS_PORT);
    }

    InetSocketAddress dnsUpstream() {
        return dnsUpstream;
    }

    /**
     * Where on the host a guest packet for {@code dst:port} goes, or null if it is not for
     * anywhere outside (broadcast, multicast, the unspecified or a loopback address).
     */
    InetSocketAddress outside(int dst, int port) {
        int broadcast = network | ~mask;
        if (dst == 0 || dst == Ip.BROADCAST || dst == broadcast || dst == network || Ip.isMulticastOrReserved(dst)
                || Ip.isLoopback(dst) || (dst >>> 24) == 0) {
            return null;
        }
        if ((dst & mask) == network) {
            if (dst == dnsIp) {
                return port == DNS_PORT ? dnsUpstream : new InetSocketAddress(dnsUpstream.getAddress(), port);
            }
            return new InetSocketAddress(UserNetConfig.LOOPBACK, port);
        }
        return new InetSocketAddress(Ip.toInet(dst), port);
    }

    /**
     * The guest's view of a host address, as {@code ip << 16 | port} (ip unsigned), or -1 if
     * the guest cannot see it (IPv6).
     */
    long inside(InetSocketAddress from) {
        InetAddress a = from.getAddress();
        int port = from.getPort();
        if (from.equals(dnsUpstream)) {
            return pack(dnsIp, DNS_PORT);
        }
        if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
            return pack(hostIp, port);
        }
        if (a instanceof Inet4Address v4) {
            return pack(Ip.toInt(v4), port);
        }
        byte[] b = a.getAddress();
        if (b.length == 16 && isV4Mapped(b)) {
            return pack(((b[12] & 0xFF) << 24) | ((b[13] & 0xFF) << 16) | ((b[14] & 0xFF) << 8) | (b[15] & 0xFF), port);
        }
        return -1;
    }

    static long pack(int ip, int port) {
        return (Integer.toUnsignedLong(ip) << 16) | port;
    }

    static int packedIp(long packed) {
        return (int) (packed >>> 16);
    }

    static int packedPort(long packed) {
        return (int) (packed & 0xFFFF);
    }

    private static boolean isV4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xFF && b[11] == (byte) 0xFF;
    }

    /** The first nameserver in resolv.conf, or 127.0.0.1 if there is none (slirp's fallback). */
    static InetAddress resolvConfNameserver(Path resolvConf) {
        try {
            for (String line : Files.readAllLines(resolvConf, StandardCharsets.UTF_8)) {
                String[] words = line.trim().split("\\s+");
                if (words.length >= 2 && words[0].equals("nameserver")) {
                    try {
                        String literal = words[1];
                        int zone = literal.indexOf('%');
                        return InetAddress.ofLiteral(zone >= 0 ? literal.substring(0, zone) : literal);
                    } catch (IllegalArgumentException e) {
                        // Not an address literal: try the next line.
                    }
                }
            }
        } catch (IOException e) {
            // No resolv.conf: fall back.
        }
        return UserNetConfig.LOOPBACK;
    }
}
