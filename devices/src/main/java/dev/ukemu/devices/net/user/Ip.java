package dev.ukemu.devices.net.user;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** IPv4 addresses as ints (network order read big-endian), the form the packet code works in. */
final class Ip {
    static final int BROADCAST = 0xFFFF_FFFF;

    private Ip() {}

    static int toInt(Inet4Address a) {
        byte[] b = a.getAddress();
        return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
    }

    static Inet4Address toInet(int ip) {
        try {
            return (Inet4Address) InetAddress.getByAddress(
                    new byte[] {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static String toString(int ip) {
        return (ip >>> 24) + "." + ((ip >>> 16) & 0xFF) + "." + ((ip >>> 8) & 0xFF) + "." + (ip & 0xFF);
    }

    static boolean isLoopback(int ip) {
        return (ip >>> 24) == 127;
    }

    /** Class D and E: multicast and reserved, never a NAT destination. */
    static boolean isMulticastOrReserved(int ip) {
        return (ip >>> 28) >= 0xE;
    }
}
