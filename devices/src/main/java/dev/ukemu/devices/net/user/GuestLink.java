package dev.ukemu.devices.net.user;

import dev.ukemu.devices.net.FrameSink;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The Ethernet side facing the guest: ARP (RFC 826) for the gateway's addresses and for the
 * guest's, and the queue of frames the NIC has not taken yet. Runs on the event loop only.
 *
 * <p>When the NIC refuses a frame, that frame and every later one wait here, in order, until
 * the NIC says it is writable again. Frames carrying TCP data, SYN or FIN always wait;
 * datagrams, bare ACKs and resets are dropped once the backlog is long, as a full network
 * would.
 */
final class GuestLink {
    static final int ARP_LEN = 28;
    private static final int ARP_REQUEST = 1;
    private static final int ARP_REPLY = 2;
    private static final int HTYPE_ETHERNET = 1;

    private final Tunables tunables;
    private final long gatewayMac;
    private final int network;
    private final int mask;
    private final int hostIp;
    private final int dnsIp;
    private final Runnable onWritable;
    private FrameSink sink;
    private final ArrayDeque<byte[]> backlog = new ArrayDeque<>();
    private boolean awaitingWritable;
    private final Map<Integer, Long> macs = new LinkedHashMap<>();
    private final Map<Integer, ArrayDeque<byte[]>> unresolved = new HashMap<>();
    private final Map<Integer, Long> lastArpRequest = new HashMap<>();
    private long droppedFrames;

    GuestLink(UserNetConfig config, Tunables tunables, Runnable onWritable) {
        this.tunables = tunables;
        this.gatewayMac = config.gatewayMac().value();
        this.network = Ip.toInt(config.network());
        this.mask = config.mask();
        this.hostIp = Ip.toInt(config.host());
        this.dnsIp = Ip.toInt(config.dns());
        this.onWritable = onWritable;
    }

    void attach(FrameSink sink) {
        this.sink = sink;
        awaitingWritable = false;
        flush();
    }

    /** True when a new frame would go straight to the NIC: TCP sends only then. */
    boolean open() {
        return sink != null && backlog.isEmpty();
    }

    long droppedFrames() {
        return droppedFrames;
    }

    boolean inNetwork(int ip) {
        return (ip & mask) == network;
    }

    /** Remembers the guest's Ethernet address for {@code ip} and sends what waited for it. */
    void learn(int ip, long mac) {
        if (ip == 0 || ip == hostIp || ip == dnsIp || !inNetwork(ip) || (mac & 0x0100_0000_0000L) != 0) {
            return;
        }
        Long old = macs.put(ip, mac);
        if (old == null && macs.size() > tunables.maxNeighbours()) {
            Iterator<Integer> it = macs.keySet().iterator();
            if (it.next() != ip) {
                it.remove();
            }
        }
        ArrayDeque<byte[]> waiting = unresolved.remove(ip);
        if (waiting != null) {
            for (byte[] f : waiting) {
                ethernet(f, mac, Wire.ETHERTYPE_IPV4);
                transmit(f, true);
            }
        }
    }

    /**
     * Sends a frame built by {@link Wire#ipFrame} to {@code dstIp}, asking the guest for its
     * Ethernet address first if need be.
     */
    void sendIp(int dstIp, byte[] frame, boolean reliable) {
        long mac;
        if (dstIp == Ip.BROADCAST) {
            mac = MacAddress.BROADCAST.value();
        } else {
            Long known = macs.get(dstIp);
            if (known == null) {
                ArrayDeque<byte[]> q = unresolved.computeIfAbsent(dstIp, k -> new ArrayDeque<>());
                if (q.size() >= tunables.maxUnresolvedFrames()) {
                    q.poll();
                    droppedFrames++;
                }
                q.add(frame);
                requestMac(dstIp);
                return;
            }
            mac = known;
        }
        ethernet(frame, mac, Wire.ETHERTYPE_IPV4);
        transmit(frame, reliable);
    }

    /** Sends a frame to the guest's unicast Ethernet address {@code mac} without ARP. */
    void sendIpTo(long mac, byte[] frame, boolean reliable) {
        ethernet(frame, mac, Wire.ETHERTYPE_IPV4);
        transmit(frame, reliable);
    }

    private void ethernet(byte[] f, long dstMac, int ethertype) {
        Wire.putMac(f, 0, dstMac);
        Wire.putMac(f, 6, gatewayMac);
        Wire.put16(f, 12, ethertype);
    }

    private void requestMac(int ip) {
        long now = System.nanoTime();
        Long last = lastArpRequest.get(ip);
        if (last != null && now - last < tunables.arpRetryNanos()) {
            return;
        }
        if (lastArpRequest.size() > tunables.maxNeighbours()) {
            lastArpRequest.clear();
            unresolved.keySet().retainAll(macs.keySet());
        }
        lastArpRequest.put(ip, now);
        byte[] f = new byte[Wire.ETH_HLEN + ARP_LEN];
        ethernet(f, MacAddress.BROADCAST.value(), Wire.ETHERTYPE_ARP);
        arpBody(f, ARP_REQUEST, gatewayMac, hostIp, 0, ip);
        transmit(f, false);
    }

    /** Handles an ARP frame from the guest: learns its sender, answers for the gateway and DNS. */
    void arpInput(byte[] f, int len) {
        int a = Wire.ETH_HLEN;
        if (len < a + ARP_LEN || Wire.u16(f, a) != HTYPE_ETHERNET || Wire.u16(f, a + 2) != Wire.ETHERTYPE_IPV4
                || Wire.u8(f, a + 4) != 6 || Wire.u8(f, a + 5) != 4) {
            return;
        }
        int op = Wire.u16(f, a + 6);
        long senderMac = Wire.mac(f, a + 8);
        int senderIp = Wire.i32(f, a + 14);
        int targetIp = Wire.i32(f, a + 24);
        if (op != ARP_REQUEST && op != ARP_REPLY) {
            return;
        }
        learn(senderIp, senderMac);
        if (op == ARP_REQUEST && (targetIp == hostIp || targetIp == dnsIp)) {
            byte[] r = new byte[Wire.ETH_HLEN + ARP_LEN];
            ethernet(r, senderMac, Wire.ETHERTYPE_ARP);
            arpBody(r, ARP_REPLY, gatewayMac, targetIp, senderMac, senderIp);
            transmit(r, false);
        }
    }

    private static void arpBody(byte[] f, int op, long senderMac, int senderIp, long targetMac, int targetIp) {
        int a = Wire.ETH_HLEN;
        Wire.put16(f, a, HTYPE_ETHERNET);
        Wire.put16(f, a + 2, Wire.ETHERTYPE_IPV4);
        f[a + 4] = 6;
        f[a + 5] = 4;
        Wire.put16(f, a + 6, op);
        Wire.putMac(f, a + 8, senderMac);
        Wire.put32(f, a + 14, senderIp);
        Wire.putMac(f, a + 18, targetMac);
        Wire.put32(f, a + 24, targetIp);
    }

    private void transmit(byte[] f, boolean reliable) {
        if (backlog.isEmpty() && sink != null && sink.offer(ByteBuffer.wrap(f))) {
            return;
        }
        if (!reliable && backlog.size() >= tunables.maxBacklogForDatagrams()) {
            droppedFrames++;
            return;
        }
        backlog.add(f);
        awaitWritable();
    }

    /** Hands the NIC what waited; true when nothing waits any more. */
    boolean flush() {
        while (!backlog.isEmpty()) {
            if (sink == null || !sink.offer(ByteBuffer.wrap(backlog.peek()))) {
                awaitWritable();
                return false;
            }
            backlog.poll();
        }
        return true;
    }

    /** The NIC called back: it may take frames again. */
    void writable() {
        awaitingWritable = false;
    }

    private void awaitWritable() {
        if (!awaitingWritable && sink != null) {
            awaitingWritable = true;
            sink.whenWritable(onWritable);
        }
    }
}
