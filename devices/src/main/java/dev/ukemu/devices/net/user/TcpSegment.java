package dev.ukemu.devices.net.user;

/** A checked TCP segment from the guest (RFC 793 section 3.1), its data left in the frame. */
record TcpSegment(int srcPort, int dstPort, int seq, int ack, int flags, int window, int mss, byte[] frame,
        int dataOff, int dataLen) {

    /** Parses the segment of {@code p}, or returns null if it is short or its checksum fails. */
    static TcpSegment parse(IpPacket p) {
        byte[] f = p.frame();
        int off = p.l4Off();
        int len = p.l4Length();
        if (len < Wire.TCP_HLEN) {
            return null;
        }
        int hlen = (Wire.u8(f, off + 12) >>> 4) * 4;
        if (hlen < Wire.TCP_HLEN || hlen > len || !Wire.transportChecksumOk(f, off, len, p.src(), p.dst(), Wire.PROTO_TCP)) {
            return null;
        }
        int flags = Wire.u8(f, off + 13);
        int mss = -1;
        if ((flags & Wire.TCP_SYN) != 0) {
            for (int o = off + Wire.TCP_HLEN; o < off + hlen; ) {
                int kind = Wire.u8(f, o);
                if (kind == Wire.TCP_OPT_END) {
                    break;
                }
                if (kind == Wire.TCP_OPT_NOP) {
                    o++;
                    continue;
                }
                if (o + 1 >= off + hlen) {
                    break;
                }
                int olen = Wire.u8(f, o + 1);
                if (olen < 2 || o + olen > off + hlen) {
                    break;
                }
                if (kind == Wire.TCP_OPT_MSS && olen == 4) {
                    mss = Wire.u16(f, o + 2);
                }
                o += olen;
            }
        }
        return new TcpSegment(Wire.u16(f, off), Wire.u16(f, off + 2), Wire.i32(f, off + 4), Wire.i32(f, off + 8),
                flags, Wire.u16(f, off + 14), mss, f, off + hlen, len - hlen);
    }

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** Sequence space the segment occupies: data, plus one each for SYN and FIN. */
    int seqLength() {
        return dataLen + (has(Wire.TCP_SYN) ? 1 : 0) + (has(Wire.TCP_FIN) ? 1 : 0);
    }
}
