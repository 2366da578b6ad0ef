package dev.ukemu.devices.net.user;

import java.util.ArrayList;
import java.util.List;

/**
 * Byte layouts of Ethernet II, ARP, IPv4, ICMP, UDP and TCP, and the Internet checksum. Frames
 * to the guest are built whole in a byte array: Ethernet header at 0, IPv4 header at 14.
 */
final class Wire {
    static final int ETH_HLEN = 14;
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_ARP = 0x0806;
    static final int IP_HLEN = 20;
    static final int IP_OFF = ETH_HLEN;
    /** Where the transport header starts in frames built here (no IP options). */
    static final int L4_OFF = ETH_HLEN + IP_HLEN;
    static final int PROTO_ICMP = 1;
    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;
    static final int UDP_HLEN = 8;
    static final int TCP_HLEN = 20;
    /** Ethernet payload limit; the guest's MTU as QEMU's slirp assumes it. */
    static final int MTU = 1500;
    static final int TTL = 64;

    // RFC 791 flags/fragment-offset field.
    static final int IP_DF = 0x4000;
    static final int IP_MF = 0x2000;
    static final int IP_OFFMASK = 0x1FFF;

    // RFC 793 control bits.
    static final int TCP_FIN = 0x01;
    static final int TCP_SYN = 0x02;
    static final int TCP_RST = 0x04;
    static final int TCP_PSH = 0x08;
    static final int TCP_ACK = 0x10;
    static final int TCP_URG = 0x20;
    static final int TCP_OPT_END = 0;
    static final int TCP_OPT_NOP = 1;
    static final int TCP_OPT_MSS = 2;

    private Wire() {}

    static int u8(byte[] b, int off) {
        return b[off] & 0xFF;
    }

    static int u16(byte[] b, int off) {
        return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
    }

    static int i32(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    }

    static long mac(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void put32(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static void putMac(byte[] b, int off, long mac) {
        for (int i = 0; i < 6; i++) {
            b[off + i] = (byte) (mac >>> (40 - 8 * i));
        }
    }

    /** Adds {@code len} bytes as 16-bit big-endian words to {@code sum} (RFC 1071), unfolded. */
    static long sum(byte[] b, int off, int len, long sum) {
        int end = off + len;
        int i = off;
        for (; i + 1 < end; i += 2) {
            sum += ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
        }
        if (i < end) {
            sum += (b[i] & 0xFF) << 8;
        }
        return sum;
    }

    /** The one's-complement checksum field value for an unfolded sum. */
    static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    static long pseudoHeader(int src, int dst, int protocol, int length) {
        return (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + protocol + length;
    }

    /** True if the transport checksum over a segment (checksum field included) verifies. */
    static boolean transportChecksumOk(byte[] b, int off, int len, int src, int dst, int protocol) {
        return fold(sum(b, off, len, pseudoHeader(src, dst, protocol, len))) == 0;
    }

    /** A frame with room for an IPv4 packet carrying {@code l4Length} bytes. */
    static byte[] ipFrame(int l4Length) {
        return new byte[L4_OFF + l4Length];
    }

    /** Fills the IPv4 header of a frame built by {@link #ipFrame}; the length is the frame's. */
    static void ipHeader(byte[] f, int src, int dst, int protocol, int id, boolean dontFragment) {
        f[IP_OFF] = 0x45;
        f[IP_OFF + 1] = 0;
        put16(f, IP_OFF + 2, f.length - ETH_HLEN);
        put16(f, IP_OFF + 4, id);
        put16(f, IP_OFF + 6, dontFragment ? IP_DF : 0);
        f[IP_OFF + 8] = (byte) TTL;
        f[IP_OFF + 9] = (byte) protocol;
        put16(f, IP_OFF + 10, 0);
        put32(f, IP_OFF + 12, src);
        put32(f, IP_OFF + 16, dst);
        put16(f, IP_OFF + 10, fold(sum(f, IP_OFF, IP_HLEN, 0)));
    }

    /** A UDP datagram in a frame (possibly wider than the MTU: see {@link #fragment}). */
    static byte[] udp(int src, int srcPort, int dst, int dstPort, byte[] data, int off, int len, int id) {
        byte[] f = ipFrame(UDP_HLEN + len);
        ipHeader(f, src, dst, PROTO_UDP, id, false);
        put16(f, L4_OFF, srcPort);
        put16(f, L4_OFF + 2, dstPort);
        put16(f, L4_OFF + 4, UDP_HLEN + len);
        System.arraycopy(data, off, f, L4_OFF + UDP_HLEN, len);
        int c = fold(sum(f, L4_OFF, UDP_HLEN + len, pseudoHeader(src, dst, PROTO_UDP, UDP_HLEN + len)));
        put16(f, L4_OFF + 6, c == 0 ? 0xFFFF : c);
        return f;
    }

    /** Sets the checksum of the TCP segment in a frame built by {@link #ipFrame}. */
    static void tcpChecksum(byte[] f, int src, int dst) {
        int len = f.length - L4_OFF;
        put16(f, L4_OFF + 16, 0);
        put16(f, L4_OFF + 16, fold(sum(f, L4_OFF, len, pseudoHeader(src, dst, PROTO_TCP, len))));
    }

    /**
     * Splits a frame whose IPv4 packet exceeds the MTU into fragments (RFC 791 section 3.2); a
     * frame that fits is returned alone.
     */
    static List<byte[]> fragment(byte[] frame) {
        int ipLen = frame.length - ETH_HLEN;
        if (ipLen <= MTU) {
            return List.of(frame);
        }
        int payload = ipLen - IP_HLEN;
        int chunk = (MTU - IP_HLEN) & ~7;
        List<byte[]> out = new ArrayList<>();
        for (int done = 0; done < payload; done += chunk) {
            int n = Math.min(chunk, payload - done);
            byte[] f = new byte[L4_OFF + n];
            System.arraycopy(frame, 0, f, 0, L4_OFF);
            System.arraycopy(frame, L4_OFF + done, f, L4_OFF, n);
            put16(f, IP_OFF + 2, IP_HLEN + n);
            put16(f, IP_OFF + 6, (done >>> 3) | (done + n < payload ? IP_MF : 0));
            put16(f, IP_OFF + 10, 0);
            put16(f, IP_OFF + 10, fold(sum(f, IP_OFF, IP_HLEN, 0)));
            out.add(f);
        }
        return out;
    }

    /** Sequence-number order modulo 2^32 (RFC 793 section 3.3). */
    static boolean seqLt(int a, int b) {
        return a - b < 0;
    }

    static boolean seqLe(int a, int b) {
        return a - b <= 0;
    }

    static boolean seqGt(int a, int b) {
        return a - b > 0;
    }

    static boolean seqGe(int a, int b) {
        return a - b >= 0;
    }
}
