package dev.ukemu.devices.net.user;

/**
 * A checked IPv4 packet from the guest, in place in its frame: the header checksum verified,
 * lengths within the frame.
 */
record IpPacket(byte[] frame, int ipOff, int headerLength, int totalLength, int src, int dst, int protocol,
        int ttl, int fragmentField) {

    /** Parses the IPv4 packet at {@code ipOff}, or returns null if it is malformed. */
    static IpPacket parse(byte[] frame, int ipOff, int available) {
        if (available < Wire.IP_HLEN) {
            return null;
        }
        int vihl = Wire.u8(frame, ipOff);
        int ihl = (vihl & 0xF) * 4;
        int total = Wire.u16(frame, ipOff + 2);
        if ((vihl >>> 4) != 4 || ihl < Wire.IP_HLEN || total < ihl || total > available) {
            return null;
        }
        if (Wire.fold(Wire.sum(frame, ipOff, ihl, 0)) != 0) {
            return null;
        }
        return new IpPacket(frame, ipOff, ihl, total, Wire.i32(frame, ipOff + 12), Wire.i32(frame, ipOff + 16),
                Wire.u8(frame, ipOff + 9), Wire.u8(frame, ipOff + 8), Wire.u16(frame, ipOff + 6));
    }

    int l4Off() {
        return ipOff + headerLength;
    }

    int l4Length() {
        return totalLength - headerLength;
    }

    boolean isFragment() {
        return (fragmentField & (Wire.IP_MF | Wire.IP_OFFMASK)) != 0;
    }

    /** The packet alone (header and payload), as ICMP errors quote it. */
    byte[] copyPacket() {
        byte[] p = new byte[totalLength];
        System.arraycopy(frame, ipOff, p, 0, totalLength);
        return p;
    }
}
