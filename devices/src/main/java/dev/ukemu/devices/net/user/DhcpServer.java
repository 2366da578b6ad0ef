package dev.ukemu.devices.net.user;

import java.util.Arrays;

/**
 * The DHCP server on the gateway address (RFC 2131, options from RFC 2132): hands out
 * addresses from the first DHCP address on, one per guest Ethernet address, as slirp's
 * {@code bootp.c} does; also answers INFORM and takes back RELEASEd addresses.
 */
final class DhcpServer {
    static final int SERVER_PORT = 67;
    static final int CLIENT_PORT = 68;
    private static final int BOOTREQUEST = 1;
    private static final int BOOTREPLY = 2;
    private static final int FIXED_LEN = 236; // op .. file, RFC 2131 figure 1
    private static final int COOKIE = 0x63825363; // RFC 2131 section 3
    private static final int MIN_BOOTP_LEN = 300; // RFC 1542 section 3.5
    private static final int FLAG_BROADCAST = 0x8000;
    // RFC 2132 option tags.
    private static final int OPT_PAD = 0;
    private static final int OPT_SUBNET_MASK = 1;
    private static final int OPT_ROUTER = 3;
    private static final int OPT_DNS = 6;
    private static final int OPT_REQUESTED_IP = 50;
    private static final int OPT_LEASE_TIME = 51;
    private static final int OPT_MESSAGE_TYPE = 53;
    private static final int OPT_SERVER_ID = 54;
    private static final int OPT_MESSAGE = 56;
    private static final int OPT_END = 255;
    // RFC 2132 section 9.6 message types.
    static final int DISCOVER = 1;
    static final int OFFER = 2;
    static final int REQUEST = 3;
    static final int DECLINE = 4;
    static final int ACK = 5;
    static final int NAK = 6;
    static final int RELEASE = 7;
    static final int INFORM = 8;
    private static final long FREE = -1;

    private final UserNetConfig config;
    private final GuestLink link;
    private final Tunables tunables;
    private final UserNetwork.IpIds ids;
    private final int hostIp;
    private final int firstIp;
    private final long[] leases;

    DhcpServer(UserNetConfig config, GuestLink link, Tunables tunables, UserNetwork.IpIds ids) {
        this.config = config;
        this.link = link;
        this.tunables = tunables;
        this.ids = ids;
        this.hostIp = Ip.toInt(config.host());
        this.firstIp = Ip.toInt(config.dhcpStart());
        int lastInNetwork = Ip.toInt(config.network()) | ~config.mask(); // the broadcast address
        int size = (int) Math.min(tunables.dhcpPoolSize(), (long) lastInNetwork - firstIp);
        this.leases = new long[Math.max(size, 0)];
        Arrays.fill(leases, FREE);
    }

    /** A datagram from the guest to port 67; {@code off} is where the BOOTP message starts. */
    void input(byte[] f, int off, int len) {
        if (len < FIXED_LEN + 4 || Wire.u8(f, off) != BOOTREQUEST || Wire.u8(f, off + 1) != 1
                || Wire.u8(f, off + 2) != 6) {
            return;
        }
        int xid = Wire.i32(f, off + 4);
        int flags = Wire.u16(f, off + 10);
        int ciaddr = Wire.i32(f, off + 12);
        long chaddr = Wire.mac(f, off + 28);
        if ((chaddr & 0x0100_0000_0000L) != 0 || chaddr == 0) {
            return;
        }
        int type = 0;
        int requested = 0;
        int serverId = 0;
        if (Wire.i32(f, off + FIXED_LEN) == COOKIE) {
            int p = off + FIXED_LEN + 4;
            int end = off + len;
            while (p < end) {
                int tag = Wire.u8(f, p++);
                if (tag == OPT_PAD) {
                    continue;
                }
                if (tag == OPT_END || p >= end) {
                    break;
                }
                int olen = Wire.u8(f, p++);
                if (p + olen > end) {
                    break;
                }
                switch (tag) {
                    case OPT_MESSAGE_TYPE -> type = olen >= 1 ? Wire.u8(f, p) : 0;
                    case OPT_REQUESTED_IP -> requested = olen >= 4 ? Wire.i32(f, p) : 0;
                    case OPT_SERVER_ID -> serverId = olen >= 4 ? Wire.i32(f, p) : 0;
                    default -> { }
                }
                p += olen;
            }
        }
        if (type == 0) {
            type = REQUEST; // plain BOOTP: answer as slirp does, with the client's address
        }
        switch (type) {
            case DISCOVER -> {
                int addr = requested != 0 && available(requested, chaddr) ? requested : leaseFor(chaddr);
                if (addr != 0) {
                    reply(OFFER, xid, flags, 0, addr, chaddr);
                }
            }
            case REQUEST -> {
                if (serverId != 0 && serverId != hostIp) {
                    return; // the client took another server's offer
                }
                int want = requested != 0 ? requested : ciaddr;
                if (want == 0) {
                    want = leaseFor(chaddr);
                    if (want == 0) {
                        return;
                    }
                }
                if (available(want, chaddr)) {
                    leases[want - firstIp] = chaddr;
                    link.learn(want, chaddr);
                    reply(ACK, xid, flags, ciaddr, want, chaddr);
                } else {
                    reply(NAK, xid, flags, 0, 0, chaddr);
                }
            }
            case INFORM -> {
                if (ciaddr != 0) {
                    link.learn(ciaddr, chaddr);
                    reply(ACK, xid, flags, ciaddr, 0, chaddr);
                }
            }
            case RELEASE -> {
                int i = ciaddr - firstIp;
                if (i >= 0 && i < leases.length && leases[i] == chaddr) {
                    leases[i] = FREE;
                }
            }
            default -> { } // DECLINE and anything else: nothing to say
        }
    }

    /** The address {@code mac} holds, else the first free one; 0 if the pool is exhausted. */
    private int leaseFor(long mac) {
        int free = -1;
        for (int i = 0; i < leases.length; i++) {
            if (leases[i] == mac) {
                return firstIp + i;
            }
            if (free < 0 && leases[i] == FREE) {
                free = i;
            }
        }
        if (free < 0) {
            return 0;
        }
        leases[free] = mac;
        return firstIp + free;
    }

    private boolean available(int addr, long mac) {
        long i = (long) addr - firstIp;
        return i >= 0 && i < leases.length && (leases[(int) i] == FREE || leases[(int) i] == mac);
    }

    private void reply(int type, int xid, int requestFlags, int ciaddr, int yiaddr, long chaddr) {
        byte[] m = new byte[Math.max(MIN_BOOTP_LEN, FIXED_LEN + 4 + 64)];
        m[0] = BOOTREPLY;
        m[1] = 1;
        m[2] = 6;
        Wire.put32(m, 4, xid);
        Wire.put16(m, 10, requestFlags & FLAG_BROADCAST);
        Wire.put32(m, 12, type == INFORM || type == ACK ? ciaddr : 0);
        Wire.put32(m, 16, yiaddr);
        Wire.put32(m, 20, type == NAK ? 0 : hostIp);
        Wire.putMac(m, 28, chaddr);
        Wire.put32(m, FIXED_LEN, COOKIE);
        int p = FIXED_LEN + 4;
        p = option(m, p, OPT_MESSAGE_TYPE, 1, type);
        p = option(m, p, OPT_SERVER_ID, 4, hostIp);
        if (type == NAK) {
            byte[] text = "requested address not available".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            m[p++] = (byte) OPT_MESSAGE;
            m[p++] = (byte) text.length;
            System.arraycopy(text, 0, m, p, text.length);
            p += text.length;
        } else {
            p = option(m, p, OPT_SUBNET_MASK, 4, config.mask());
            if (!config.restrict()) { // slirp gives a restricted guest neither route nor DNS
                p = option(m, p, OPT_ROUTER, 4, hostIp);
                p = option(m, p, OPT_DNS, 4, Ip.toInt(config.dns()));
            }
            if (yiaddr != 0) {
                p = option(m, p, OPT_LEASE_TIME, 4, tunables.dhcpLeaseSeconds());
            }
        }
        m[p] = (byte) OPT_END;
        // RFC 2131 section 4.1: where the reply goes.
        boolean broadcast = type == NAK || (ciaddr == 0 && (requestFlags & FLAG_BROADCAST) != 0);
        int dst = broadcast ? Ip.BROADCAST : ciaddr != 0 ? ciaddr : yiaddr;
        byte[] frame = Wire.udp(hostIp, SERVER_PORT, dst, CLIENT_PORT, m, 0, m.length, ids.next());
        link.sendIpTo(broadcast ? MacAddress.BROADCAST.value() : chaddr, frame, false);
    }

    private static int option(byte[] m, int p, int tag, int len, int value) {
        m[p++] = (byte) tag;
        m[p++] = (byte) len;
        if (len == 1) {
            m[p++] = (byte) value;
        } else {
            Wire.put32(m, p, value);
            p += 4;
        }
        return p;
    }
}
