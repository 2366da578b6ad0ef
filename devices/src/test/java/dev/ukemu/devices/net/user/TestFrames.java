package dev.ukemu.devices.net.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The fake guest's own small codec for Ethernet II, ARP, IPv4, ICMP, UDP, TCP and DHCP,
 * written apart from the backend's so that each checks the other. Parsers assert checksums.
 */
final class TestFrames {
    static final long GUEST_MAC = 0x5254_0012_3456L;
    static final long BROADCAST_MAC = 0xFFFF_FFFF_FFFFL;
    static final long GATEWAY_MAC = 0x5255_0A00_0202L;
    static final int GUEST_IP = ip("10.0.2.15");
    static final int GATEWAY_IP = ip("10.0.2.2");
    static final int DNS_IP = ip("10.0.2.3");
    static final int FIN = 1;
    static final int SYN = 2;
    static final int RST = 4;
    static final int PSH = 8;
    static final int ACK = 16;

    private TestFrames() {}

    static int ip(String dotted) {
        String[] p = dotted.split("\\.");
        return (Integer.parseInt(p[0]) << 24) | (Integer.parseInt(p[1]) << 16) | (Integer.parseInt(p[2]) << 8)
                | Integer.parseInt(p[3]);
    }

    static String ipString(int ip) {
        return (ip >>> 24) + "." + ((ip >>> 16) & 0xFF) + "." + ((ip >>> 8) & 0xFF) + "." + (ip & 0xFF);
    }

    static int checksum(byte[] b, int off, int len, long initial) {
        long sum = initial;
        for (int i = 0; i < len; i += 2) {
            int hi = b[off + i] & 0xFF;
            int lo = i + 1 < len ? b[off + i + 1] & 0xFF : 0;
            sum += (hi << 8) | lo;
        }
        while (sum >> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    static long pseudo(int src, int dst, int proto, int len) {
        return (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + proto + len;
    }

    // ---- building ----

    static byte[] ethernet(long dst, long src, int type, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + payload.length);
        putMac(b, dst);
        putMac(b, src);
        b.putShort((short) type);
        b.put(payload);
        return b.array();
    }

    static void putMac(ByteBuffer b, long mac) {
        for (int i = 5; i >= 0; i--) {
            b.put((byte) (mac >>> (8 * i)));
        }
    }

    static byte[] arp(int op, long senderMac, int senderIp, long targetMac, int targetIp) {
        ByteBuffer b = ByteBuffer.allocate(28);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) op);
        putMac(b, senderMac);
        b.putInt(senderIp);
        putMac(b, targetMac);
        b.putInt(targetIp);
        return ethernet(op == 1 ? BROADCAST_MAC : targetMac, senderMac, 0x0806, b.array());
    }

    static byte[] ipv4(int src, int dst, int proto, byte[] payload, int id, int fragField, int ttl) {
        byte[] h = new byte[20 + payload.length];
        ByteBuffer b = ByteBuffer.wrap(h);
        b.put((byte) 0x45).put((byte) 0).putShort((short) h.length).putShort((short) id).putShort((short) fragField)
                .put((byte) ttl).put((byte) proto).putShort((short) 0).putInt(src).putInt(dst);
        b.putShort(10, (short) checksum(h, 0, 20, 0));
        System.arraycopy(payload, 0, h, 20, payload.length);
        return h;
    }

    static byte[] ipFrame(int src, int dst, int proto, byte[] payload) {
        return ethernet(GATEWAY_MAC, GUEST_MAC, 0x0800, ipv4(src, dst, proto, payload, 1, 0x4000, 64));
    }

    static byte[] udp(int src, int sport, int dst, int dport, byte[] data) {
        byte[] u = new byte[8 + data.length];
        ByteBuffer b = ByteBuffer.wrap(u);
        b.putShort((short) sport).putShort((short) dport).putShort((short) u.length).putShort((short) 0).put(data);
        int c = checksum(u, 0, u.length, pseudo(src, dst, 17, u.length));
        b.putShort(6, (short) (c == 0 ? 0xFFFF : c));
        return u;
    }

    static byte[] udpFrame(int src, int sport, int dst, int dport, byte[] data) {
        return ipFrame(src, dst, 17, udp(src, sport, dst, dport, data));
    }

    static byte[] tcp(int src, int sport, int dst, int dport, int seq, int ack, int flags, int window, int mss,
            byte[] data) {
        int opt = mss > 0 ? 4 : 0;
        byte[] t = new byte[20 + opt + data.length];
        ByteBuffer b = ByteBuffer.wrap(t);
        b.putShort((short) sport).putShort((short) dport).putInt(seq).putInt(ack)
                .put((byte) (((20 + opt) / 4) << 4)).put((byte) flags).putShort((short) window).putShort((short) 0)
                .putShort((short) 0);
        if (mss > 0) {
            b.put((byte) 2).put((byte) 4).putShort((short) mss);
        }
        b.put(data);
        b.putShort(16, (short) checksum(t, 0, t.length, pseudo(src, dst, 6, t.length)));
        return t;
    }

    static byte[] tcpFrame(int src, int sport, int dst, int dport, int seq, int ack, int flags, int window, int mss,
            byte[] data) {
        return ipFrame(src, dst, 6, tcp(src, sport, dst, dport, seq, ack, flags, window, mss, data));
    }

    static byte[] icmpEcho(int id, int seq, byte[] data) {
        byte[] m = new byte[8 + data.length];
        ByteBuffer b = ByteBuffer.wrap(m);
        b.put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) seq).put(data);
        b.putShort(2, (short) checksum(m, 0, m.length, 0));
        return m;
    }

    /** A DHCP client message (RFC 2131): type, and the options 50 and 54 when non-zero. */
    static byte[] dhcp(int type, int xid, long mac, boolean broadcast, int ciaddr, int requested, int serverId) {
        ByteBuffer b = ByteBuffer.allocate(300);
        b.put((byte) 1).put((byte) 1).put((byte) 6).put((byte) 0).putInt(xid).putShort((short) 0)
                .putShort((short) (broadcast ? 0x8000 : 0)).putInt(ciaddr).putInt(0).putInt(0).putInt(0);
        putMac(b, mac);
        b.position(236);
        b.putInt(0x63825363);
        b.put((byte) 53).put((byte) 1).put((byte) type);
        if (requested != 0) {
            b.put((byte) 50).put((byte) 4).putInt(requested);
        }
        if (serverId != 0) {
            b.put((byte) 54).put((byte) 4).putInt(serverId);
        }
        b.put((byte) 55).put((byte) 3).put((byte) 1).put((byte) 3).put((byte) 6);
        b.put((byte) 255);
        int src = ciaddr;
        int dst = ciaddr != 0 ? GATEWAY_IP : 0xFFFF_FFFF;
        byte[] u = udp(src, 68, dst, 67, b.array());
        return ethernet(ciaddr != 0 ? GATEWAY_MAC : BROADCAST_MAC, mac, 0x0800, ipv4(src, dst, 17, u, 7, 0, 64));
    }

    // ---- parsing ----

    record Eth(long dst, long src, int type, byte[] payload) {}

    record Ip(int src, int dst, int proto, int id, int fragField, int ttl, byte[] payload) {}

    record Udp(int srcPort, int dstPort, byte[] data) {}

    record Tcp(int srcPort, int dstPort, int seq, int ack, int flags, int window, int mss, byte[] data) {
        boolean has(int flag) {
            return (flags & flag) != 0;
        }

        int seqLength() {
            return data.length + (has(SYN) ? 1 : 0) + (has(FIN) ? 1 : 0);
        }
    }

    record Arp(int op, long senderMac, int senderIp, long targetMac, int targetIp) {}

    record Dhcp(int op, int xid, int flags, int ciaddr, int yiaddr, int siaddr, long chaddr, Map<Integer, byte[]> options) {
        int type() {
            return options.get(53)[0];
        }

        int optionInt(int tag) {
            return ByteBuffer.wrap(options.get(tag)).getInt();
        }
    }

    static Eth eth(byte[] f) {
        ByteBuffer b = ByteBuffer.wrap(f);
        long dst = mac(b);
        long src = mac(b);
        int type = b.getShort() & 0xFFFF;
        return new Eth(dst, src, type, Arrays.copyOfRange(f, 14, f.length));
    }

    static long mac(ByteBuffer b) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = (v << 8) | (b.get() & 0xFF);
        }
        return v;
    }

    static Arp arp(byte[] payload) {
        ByteBuffer b = ByteBuffer.wrap(payload);
        assertEquals(1, b.getShort());
        assertEquals(0x0800, b.getShort());
        b.getShort();
        int op = b.getShort();
        long sm = mac(b);
        int si = b.getInt();
        long tm = mac(b);
        int ti = b.getInt();
        return new Arp(op, sm, si, tm, ti);
    }

    static Ip ip(byte[] p) {
        ByteBuffer b = ByteBuffer.wrap(p);
        int vihl = b.get() & 0xFF;
        assertEquals(0x45, vihl, "IPv4 without options");
        int total = b.getShort(2) & 0xFFFF;
        assertTrue(total <= p.length, "IP length within the frame");
        assertEquals(0, checksum(p, 0, 20, 0), "IP header checksum");
        return new Ip(b.getInt(12), b.getInt(16), p[9] & 0xFF, b.getShort(4) & 0xFFFF, b.getShort(6) & 0xFFFF,
                p[8] & 0xFF, Arrays.copyOfRange(p, 20, total));
    }

    static Udp udp(Ip ip) {
        byte[] u = ip.payload();
        ByteBuffer b = ByteBuffer.wrap(u);
        int len = b.getShort(4) & 0xFFFF;
        assertEquals(u.length, len, "UDP length");
        if (b.getShort(6) != 0) {
            assertEquals(0, checksum(u, 0, u.length, pseudo(ip.src(), ip.dst(), 17, u.length)), "UDP checksum");
        }
        return new Udp(b.getShort(0) & 0xFFFF, b.getShort(2) & 0xFFFF, Arrays.copyOfRange(u, 8, len));
    }

    static Tcp tcp(Ip ip) {
        byte[] t = ip.payload();
        assertEquals(0, checksum(t, 0, t.length, pseudo(ip.src(), ip.dst(), 6, t.length)), "TCP checksum");
        ByteBuffer b = ByteBuffer.wrap(t);
        int hlen = ((t[12] & 0xFF) >>> 4) * 4;
        int mss = -1;
        for (int o = 20; o < hlen; ) {
            int kind = t[o] & 0xFF;
            if (kind == 0) {
                break;
            }
            if (kind == 1) {
                o++;
                continue;
            }
            if (kind == 2) {
                mss = b.getShort(o + 2) & 0xFFFF;
            }
            o += t[o + 1] & 0xFF;
        }
        return new Tcp(b.getShort(0) & 0xFFFF, b.getShort(2) & 0xFFFF, b.getInt(4), b.getInt(8), t[13] & 0xFF,
                b.getShort(14) & 0xFFFF, mss, Arrays.copyOfRange(t, hlen, t.length));
    }

    static Dhcp dhcp(Udp u) {
        ByteBuffer b = ByteBuffer.wrap(u.data());
        assertEquals(0x63825363, b.getInt(236), "DHCP magic cookie");
        Map<Integer, byte[]> options = new HashMap<>();
        int p = 240;
        byte[] d = u.data();
        while (p < d.length) {
            int tag = d[p++] & 0xFF;
            if (tag == 0) {
                continue;
            }
            if (tag == 255) {
                break;
            }
            int len = d[p++] & 0xFF;
            options.put(tag, Arrays.copyOfRange(d, p, p + len));
            p += len;
        }
        return new Dhcp(d[0], b.getInt(4), b.getShort(10) & 0xFFFF, b.getInt(12), b.getInt(16), b.getInt(20),
                mac(ByteBuffer.wrap(d, 28, 6)), options);
    }
}
