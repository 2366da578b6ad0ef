package dev.ukemu.devices.net.user;

import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reassembles fragmented IPv4 datagrams from the guest (RFC 791 section 3.2, RFC 815 style
 * hole tracking in 8-byte blocks). Bounded in count and age; overlaps take the later bytes.
 */
final class Reassembly {
    private static final int MAX_DATAGRAMS = 16;
    private static final int MAX_PAYLOAD = 65535 - Wire.IP_HLEN;
    private static final long TIMEOUT_NANOS = 30_000_000_000L; // RFC 1122 3.3.2: 60 to 120 s suggested; slirp uses 30

    private record Id(int src, int dst, int protocol, int id) {}

    private static final class Pending {
        final byte[] payload = new byte[MAX_PAYLOAD];
        final BitSet blocks = new BitSet();
        final long createdAt = System.nanoTime();
        byte[] firstHeader;
        int totalLength = -1;
    }

    private final Map<Id, Pending> pending = new LinkedHashMap<>();

    /** Adds a fragment; returns the whole datagram once complete (as a frame), else null. */
    IpPacket add(IpPacket p) {
        byte[] f = p.frame();
        int offset = (p.fragmentField() & Wire.IP_OFFMASK) * 8;
        boolean more = (p.fragmentField() & Wire.IP_MF) != 0;
        int len = p.l4Length();
        if (offset + len > MAX_PAYLOAD || (more && (len == 0 || len % 8 != 0))) {
            return null;
        }
        Id id = new Id(p.src(), p.dst(), p.protocol(), Wire.u16(f, p.ipOff() + 4));
        Pending d = pending.get(id);
        if (d == null) {
            expire(System.nanoTime());
            if (pending.size() >= MAX_DATAGRAMS) {
                Iterator<Pending> it = pending.values().iterator();
                it.next();
                it.remove();
            }
            d = new Pending();
            pending.put(id, d);
        }
        System.arraycopy(f, p.l4Off(), d.payload, offset, len);
        d.blocks.set(offset / 8, (offset + len + 7) / 8);
        if (offset == 0) {
            d.firstHeader = new byte[Wire.IP_HLEN];
            System.arraycopy(f, p.ipOff(), d.firstHeader, 0, Wire.IP_HLEN);
        }
        if (!more) {
            d.totalLength = offset + len;
        }
        if (d.totalLength < 0 || d.firstHeader == null
                || d.blocks.nextClearBit(0) < (d.totalLength + 7) / 8) {
            return null;
        }
        pending.remove(id);
        byte[] whole = new byte[Wire.L4_OFF + d.totalLength];
        System.arraycopy(f, 0, whole, 0, Wire.ETH_HLEN);
        System.arraycopy(d.firstHeader, 0, whole, Wire.IP_OFF, Wire.IP_HLEN);
        whole[Wire.IP_OFF] = 0x45;
        Wire.put16(whole, Wire.IP_OFF + 2, Wire.IP_HLEN + d.totalLength);
        Wire.put16(whole, Wire.IP_OFF + 6, 0);
        Wire.put16(whole, Wire.IP_OFF + 10, 0);
        Wire.put16(whole, Wire.IP_OFF + 10, Wire.fold(Wire.sum(whole, Wire.IP_OFF, Wire.IP_HLEN, 0)));
        System.arraycopy(d.payload, 0, whole, Wire.L4_OFF, d.totalLength);
        return IpPacket.parse(whole, Wire.IP_OFF, whole.length - Wire.IP_OFF);
    }

    void expire(long now) {
        pending.values().removeIf(d -> now - d.createdAt > TIMEOUT_NANOS);
    }
}
