package dev.ukemu.devices.net.user;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * UDP for the guest, as slirp's {@code udp.c}: one host {@link DatagramChannel} per guest
 * source address and port, dropped after a while idle; answers come back to that port from
 * wherever they came (translated like the destinations were). A UDP host forward is such a
 * channel bound to the forwarded port, which never expires.
 */
final class UdpNat {
    private static final int MAX_DATAGRAM = 65507;
    private static final int READS_PER_WAKEUP = 64;

    private final UserNetConfig config;
    private final Tunables tunables;
    private final Selector selector;
    private final GuestLink link;
    private final Icmp icmp;
    private final AddressMap addresses;
    private final Outbound outbound;
    private final UserNetwork.IpIds ids;
    /** By guest address and port (see {@link AddressMap#pack}), least recently used first. */
    private final LinkedHashMap<Long, Flow> flows = new LinkedHashMap<>(16, 0.75f, true);
    private final ByteBuffer receiveBuffer = ByteBuffer.allocate(MAX_DATAGRAM);
    private long nextExpiry = Long.MAX_VALUE;

    UdpNat(UserNetConfig config, Tunables tunables, Selector selector, GuestLink link, Icmp icmp,
            AddressMap addresses, Outbound outbound, UserNetwork.IpIds ids) {
        this.config = config;
        this.tunables = tunables;
        this.selector = selector;
        this.link = link;
        this.icmp = icmp;
        this.addresses = addresses;
        this.outbound = outbound;
        this.ids = ids;
    }

    private final class Flow implements SelectHandler {
        final DatagramChannel channel;
        final int guestIp;
        final int guestPort;
        final boolean forward;
        long expiresAt;
        /** The guest's last datagram, quoted if the host reports its destination unreachable. */
        byte[] lastPacket;

        Flow(DatagramChannel channel, int guestIp, int guestPort, boolean forward) {
            this.channel = channel;
            this.guestIp = guestIp;
            this.guestPort = guestPort;
            this.forward = forward;
        }

        @Override
        public void ready(SelectionKey key) {
            for (int i = 0; i < READS_PER_WAKEUP && key.isValid(); i++) {
                receiveBuffer.clear();
                SocketAddress from;
                try {
                    from = channel.receive(receiveBuffer);
                } catch (PortUnreachableException e) {
                    if (lastPacket != null) {
                        icmp.unreachable(lastPacket, Icmp.UNREACH_PORT);
                    }
                    continue;
                } catch (IOException e) {
                    if (!forward) {
                        drop(this);
                    }
                    return;
                }
                if (from == null) {
                    return;
                }
                long seen = addresses.inside((InetSocketAddress) from);
                if (seen < 0) {
                    continue;
                }
                if (!forward) {
                    expiresAt = System.nanoTime() + tunables.udpIdleNanos();
                }
                byte[] f = Wire.udp(AddressMap.packedIp(seen), AddressMap.packedPort(seen), guestIp, guestPort,
                        receiveBuffer.array(), 0, receiveBuffer.position(), ids.next());
                for (byte[] fragment : Wire.fragment(f)) {
                    link.sendIp(guestIp, fragment, false);
                }
            }
        }
    }

    int flowCount() {
        return (int) flows.values().stream().filter(f -> !f.forward).count();
    }

    /** Binds a UDP host forward; returns the bound address. */
    InetSocketAddress listen(UserNetConfig.HostForward forward) {
        InetSocketAddress at = new InetSocketAddress(forward.hostAddress(), forward.hostPort());
        DatagramChannel ch = null;
        try {
            ch = DatagramChannel.open(StandardProtocolFamily.INET);
            ch.bind(at);
            ch.configureBlocking(false);
            int guestIp = Ip.toInt(forward.guestAddress());
            Flow flow = new Flow(ch, guestIp, forward.guestPort(), true);
            ch.register(selector, SelectionKey.OP_READ, flow);
            Flow old = flows.put(AddressMap.pack(guestIp, forward.guestPort()), flow);
            if (old != null) {
                close(old);
            }
            return (InetSocketAddress) ch.getLocalAddress();
        } catch (IOException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // Reporting the bind failure.
                }
            }
            String why = e instanceof BindException ? TcpNat.inUseOrDenied(e) : String.valueOf(e.getMessage());
            throw new UserNetException("hostfwd udp " + at.getAddress().getHostAddress() + ":" + forward.hostPort()
                    + ": " + why, e);
        }
    }

    /** A datagram from the guest, not for the DHCP server. */
    void input(IpPacket p, int srcPort, int dstPort, int dataOff, int dataLen) {
        long id = AddressMap.pack(p.src(), srcPort);
        Flow flow = flows.get(id);
        if (config.restrict() && (flow == null || !flow.forward)) {
            return; // slirp: a restricted guest's datagrams go nowhere but the forwards
        }
        InetSocketAddress dest = addresses.outside(p.dst(), dstPort);
        if (dest == null || srcPort == 0 || dstPort == 0) {
            return;
        }
        InetSocketAddress route = outbound.route(UserNetConfig.Protocol.UDP, dest);
        if (route == null) {
            icmp.unreachable(p.copyPacket(), Icmp.UNREACH_HOST);
            return;
        }
        if (flow == null) {
            flow = open(p.src(), srcPort);
            if (flow == null) {
                return;
            }
            flows.put(id, flow);
        }
        if (!flow.forward) {
            long idle = dstPort == AddressMap.DNS_PORT ? tunables.dnsIdleNanos() : tunables.udpIdleNanos();
            flow.expiresAt = Math.max(flow.expiresAt, System.nanoTime() + idle);
            nextExpiry = Math.min(nextExpiry, flow.expiresAt);
        }
        flow.lastPacket = null;
        try {
            flow.channel.send(ByteBuffer.wrap(p.frame(), dataOff, dataLen), route);
        } catch (IOException | RuntimeException e) {
            // slirp reports a failed sendto as the network unreachable.
            icmp.unreachable(p.copyPacket(), e instanceof NoRouteToHostException ? Icmp.UNREACH_HOST : Icmp.UNREACH_NET);
            return;
        }
        flow.lastPacket = p.copyPacket();
    }

    private Flow open(int guestIp, int guestPort) {
        if (flowCount() >= tunables.maxUdpFlows()) {
            for (Iterator<Flow> it = flows.values().iterator(); it.hasNext(); ) {
                Flow oldest = it.next();
                if (!oldest.forward) {
                    it.remove();
                    close(oldest);
                    break;
                }
            }
        }
        DatagramChannel ch = null;
        try {
            ch = DatagramChannel.open();
            ch.configureBlocking(false);
            ch.bind(null);
            Flow flow = new Flow(ch, guestIp, guestPort, false);
            ch.register(selector, SelectionKey.OP_READ, flow);
            return flow;
        } catch (IOException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // Dropping the datagram anyway.
                }
            }
            return null;
        }
    }

    private void drop(Flow flow) {
        flows.remove(AddressMap.pack(flow.guestIp, flow.guestPort), flow);
        close(flow);
    }

    private static void close(Flow flow) {
        try {
            flow.channel.close();
        } catch (IOException e) {
            // Gone either way.
        }
    }

    long nextExpiry() {
        return nextExpiry;
    }

    void expire(long now) {
        if (now < nextExpiry) {
            return;
        }
        nextExpiry = Long.MAX_VALUE;
        List<Flow> old = new ArrayList<>();
        for (Map.Entry<Long, Flow> e : flows.entrySet()) {
            Flow f = e.getValue();
            if (f.forward) {
                continue;
            }
            if (f.expiresAt - now <= 0) {
                old.add(f);
            } else {
                nextExpiry = Math.min(nextExpiry, f.expiresAt);
            }
        }
        old.forEach(this::drop);
    }

    void close() {
        flows.values().forEach(UdpNat::close);
        flows.clear();
    }
}
