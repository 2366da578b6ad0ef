package dev.ukemu.devices.net.user;

/**
 * ICMP (RFC 792) on the gateway's side: echo replies for the gateway and DNS addresses, and
 * the error messages slirp sends back to the guest (destination unreachable, time exceeded).
 */
final class Icmp {
    static final int ECHO_REPLY = 0;
    static final int UNREACHABLE = 3;
    static final int ECHO = 8;
    static final int TIME_EXCEEDED = 11;
    static final int UNREACH_NET = 0;
    static final int UNREACH_HOST = 1;
    static final int UNREACH_PORT = 3;
    private static final int HLEN = 8;
    /** RFC 1122 3.2.2: quote at least the header and 8 bytes; slirp quotes up to 576 - 28. */
    private static final int MAX_QUOTE = 548;

    private final GuestLink link;
    private final UserNetwork.IpIds ids;
    private final int hostIp;
    private final int dnsIp;

    Icmp(UserNetConfig config, GuestLink link, UserNetwork.IpIds ids) {
        this.link = link;
        this.ids = ids;
        this.hostIp = Ip.toInt(config.host());
        this.dnsIp = Ip.toInt(config.dns());
    }

    void input(IpPacket p) {
        int len = p.l4Length();
        byte[] f = p.frame();
        int off = p.l4Off();
        if (len < HLEN || Wire.fold(Wire.sum(f, off, len, 0)) != 0) {
            return;
        }
        if (Wire.u8(f, off) == ECHO && (p.dst() == hostIp || p.dst() == dnsIp) && !p.isFragment()) {
            byte[] r = Wire.ipFrame(len);
            System.arraycopy(f, off, r, Wire.L4_OFF, len);
            Wire.ipHeader(r, p.dst(), p.src(), Wire.PROTO_ICMP, ids.next(), false);
            r[Wire.L4_OFF] = ECHO_REPLY;
            r[Wire.L4_OFF + 1] = 0;
            Wire.put16(r, Wire.L4_OFF + 2, 0);
            Wire.put16(r, Wire.L4_OFF + 2, Wire.fold(Wire.sum(r, Wire.L4_OFF, len, 0)));
            for (byte[] frag : Wire.fragment(r)) {
                link.sendIp(p.src(), frag, false);
            }
        }
        // Echoes to other addresses would need raw sockets; slirp's ping-socket path is not
        // available to Java, so they go unanswered, as from a host that drops pings.
    }

    /** Tells the guest that {@code offender} could not be delivered ({@code code}: UNREACH_*). */
    void unreachable(byte[] offender, int code) {
        error(offender, UNREACHABLE, code);
    }

    void timeExceeded(byte[] offender) {
        error(offender, TIME_EXCEEDED, 0);
    }

    /** {@code offender} is an IPv4 packet from the guest, header first. */
    private void error(byte[] offender, int type, int code) {
        int ihl = (offender[0] & 0xF) * 4;
        int src = Wire.i32(offender, 12);
        int dst = Wire.i32(offender, 16);
        if ((Wire.u16(offender, 6) & Wire.IP_OFFMASK) != 0 || src == 0 || src == Ip.BROADCAST
                || Ip.isMulticastOrReserved(src) || dst == Ip.BROADCAST || Ip.isMulticastOrReserved(dst)) {
            return; // RFC 1122 3.2.2: not about later fragments, nor to or from broadcasts
        }
        if (Wire.u8(offender, 9) == Wire.PROTO_ICMP && offender.length > ihl) {
            int t = Wire.u8(offender, ihl);
            if (t != ECHO && t != ECHO_REPLY) {
                return; // never an error about an error
            }
        }
        int quote = Math.min(offender.length, MAX_QUOTE);
        byte[] r = Wire.ipFrame(HLEN + quote);
        Wire.ipHeader(r, hostIp, src, Wire.PROTO_ICMP, ids.next(), false);
        r[Wire.L4_OFF] = (byte) type;
        r[Wire.L4_OFF + 1] = (byte) code;
        System.arraycopy(offender, 0, r, Wire.L4_OFF + HLEN, quote);
        Wire.put16(r, Wire.L4_OFF + 2, Wire.fold(Wire.sum(r, Wire.L4_OFF, HLEN + quote, 0)));
        link.sendIp(src, r, false);
    }
}
