package dev.ukemu.devices.net.user;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The guest's TCP connections, one {@link TcpConnection} per 4-tuple, and the host-forward
 * listeners that open connections towards the guest.
 */
final class TcpNat {
    /** A connection as the guest sees it: its own end, and the remote end it talks to. */
    record Key(int guestIp, int guestPort, int remoteIp, int remotePort) {}

    private final UserNetConfig config;
    private final Tunables tunables;
    private final Selector selector;
    private final GuestLink link;
    private final Icmp icmp;
    private final AddressMap addresses;
    private final Outbound outbound;
    private final UserNetwork.IpIds ids;
    private final Map<Key, TcpConnection> connections = new HashMap<>();
    private final Set<TcpConnection> blocked = new LinkedHashSet<>();
    private final Set<TcpConnection> acks = new LinkedHashSet<>();
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final Random isnSource = new Random();
    private long nextTimer = Long.MAX_VALUE;

    TcpNat(UserNetConfig config, Tunables tunables, Selector selector, GuestLink link, Icmp icmp,
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

    Selector selector() {
        return selector;
    }

    GuestLink link() {
        return link;
    }

    Icmp icmp() {
        return icmp;
    }

    UserNetwork.IpIds ids() {
        return ids;
    }

    int connectionCount() {
        return connections.size();
    }

    List<String> describeConnections() {
        return connections.values().stream().map(TcpConnection::toString).toList();
    }

    // ---- host forwards ----

    /** Binds a TCP host forward; returns the bound address. */
    InetSocketAddress listen(UserNetConfig.HostForward forward) {
        InetSocketAddress at = new InetSocketAddress(forward.hostAddress(), forward.hostPort());
        ServerSocketChannel server = null;
        try {
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(at, 128);
            server.configureBlocking(false);
            InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
            int guestIp = Ip.toInt(forward.guestAddress());
            int guestPort = forward.guestPort();
            ServerSocketChannel s = server;
            server.register(selector, SelectionKey.OP_ACCEPT, (SelectHandler) k -> accept(s, guestIp, guestPort));
            listeners.add(server);
            return bound;
        } catch (IOException e) {
            closeQuietly(server);
            String why = e instanceof BindException ? inUseOrDenied(e) : String.valueOf(e.getMessage());
            throw new UserNetException("hostfwd tcp " + at.getAddress().getHostAddress() + ":" + forward.hostPort()
                    + ": " + why, e);
        }
    }

    static String inUseOrDenied(IOException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (m.contains("in use")) {
            return "port already in use";
        }
        if (m.contains("permission") || m.contains("denied")) {
            return "permission denied";
        }
        if (m.contains("assign")) {
            return "address not available on this host";
        }
        return m;
    }

    private void accept(ServerSocketChannel server, int guestIp, int guestPort) {
        for (int i = 0; i < 64; i++) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                return; // for example out of descriptors: try again on the next readiness
            }
            if (ch == null) {
                return;
            }
            try {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                long peer = addresses.inside((InetSocketAddress) ch.getRemoteAddress());
                Key key = new Key(guestIp, guestPort, AddressMap.packedIp(peer), AddressMap.packedPort(peer));
                if (peer < 0 || connections.containsKey(key) || connections.size() >= tunables.maxTcpConnections()) {
                    ch.setOption(StandardSocketOptions.SO_LINGER, 0);
                    ch.close();
                    continue;
                }
                TcpConnection c = new TcpConnection(this, key, tunables, isnSource.nextInt());
                connections.put(key, c);
                c.openFromHost(ch);
            } catch (IOException e) {
                closeQuietly(ch);
            }
        }
    }

    // ---- guest segments ----

    void input(IpPacket p) {
        TcpSegment s = TcpSegment.parse(p);
        if (s == null || Ip.isMulticastOrReserved(p.dst()) || p.dst() == Ip.BROADCAST || p.src() == 0) {
            return;
        }
        Key key = new Key(p.src(), s.srcPort(), p.dst(), s.dstPort());
        TcpConnection c = connections.get(key);
        boolean freshSyn = (s.flags() & (Wire.TCP_SYN | Wire.TCP_ACK | Wire.TCP_RST | Wire.TCP_FIN)) == Wire.TCP_SYN;
        if (c != null && c.state == TcpConnection.State.TIME_WAIT && freshSyn) {
            remove(c); // RFC 1122 4.2.2.13: a new SYN may reopen a connection in TIME-WAIT
            c.shutdown();
            c = null;
        }
        if (c != null) {
            c.input(s, p);
            return;
        }
        if (s.has(Wire.TCP_RST)) {
            return;
        }
        if (!freshSyn || s.has(Wire.TCP_URG) || config.restrict() || connections.size() >= tunables.maxTcpConnections()) {
            // slirp answers a restricted guest's connection attempts with a reset.
            replyReset(key, s);
            return;
        }
        InetSocketAddress dest = addresses.outside(p.dst(), s.dstPort());
        if (dest == null) {
            return;
        }
        InetSocketAddress route = outbound.route(UserNetConfig.Protocol.TCP, dest);
        if (route == null) {
            icmp.unreachable(p.copyPacket(), Icmp.UNREACH_HOST);
            return;
        }
        c = new TcpConnection(this, key, tunables, isnSource.nextInt());
        connections.put(key, c);
        SocketChannel ch = null;
        boolean connected;
        try {
            ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            connected = ch.connect(route);
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            c.openFailed(s, p.copyPacket(), e instanceof IOException io ? io : new IOException(e.getMessage(), e));
            return;
        }
        c.openFromGuest(s, p.copyPacket(), ch, connected);
    }

    /** RFC 793 "reset generation" for a segment that belongs to no connection. */
    private void replyReset(Key key, TcpSegment s) {
        if (s.has(Wire.TCP_ACK)) {
            sendReset(key, s.ack(), 0, Wire.TCP_RST);
        } else {
            sendReset(key, 0, s.seq() + s.seqLength(), Wire.TCP_RST | Wire.TCP_ACK);
        }
    }

    void sendReset(Key key, int seq, int ack, int flags) {
        byte[] f = Wire.ipFrame(Wire.TCP_HLEN);
        Wire.ipHeader(f, key.remoteIp(), key.guestIp(), Wire.PROTO_TCP, ids.next(), true);
        int t = Wire.L4_OFF;
        Wire.put16(f, t, key.remotePort());
        Wire.put16(f, t + 2, key.guestPort());
        Wire.put32(f, t + 4, seq);
        Wire.put32(f, t + 8, ack);
        f[t + 12] = (byte) ((Wire.TCP_HLEN / 4) << 4);
        f[t + 13] = (byte) flags;
        Wire.tcpChecksum(f, key.remoteIp(), key.guestIp());
        link.sendIp(key.guestIp(), f, false);
    }

    // ---- scheduling ----

    void remove(TcpConnection c) {
        connections.remove(c.key, c);
        blocked.remove(c);
        acks.remove(c);
    }

    /** {@code c} has data to send but the NIC is full. */
    void blocked(TcpConnection c) {
        blocked.add(c);
    }

    /** The NIC takes frames again: let the blocked connections send. */
    void resume() {
        while (!blocked.isEmpty() && link.open()) {
            TcpConnection c = blocked.iterator().next();
            blocked.remove(c);
            c.output(false);
        }
    }

    /** {@code c} owes the guest an acknowledgement, sent after this batch of frames. */
    void ackLater(TcpConnection c) {
        acks.add(c);
    }

    void flushAcks() {
        if (acks.isEmpty()) {
            return;
        }
        List<TcpConnection> due = new ArrayList<>(acks);
        acks.clear();
        for (TcpConnection c : due) {
            c.flushAck();
        }
    }

    void timerArmed(long at) {
        if (at < nextTimer) {
            nextTimer = at;
        }
    }

    long nextTimer() {
        return nextTimer;
    }

    void runTimers(long now) {
        if (now < nextTimer) {
            return;
        }
        nextTimer = Long.MAX_VALUE;
        List<TcpConnection> due = new ArrayList<>();
        for (TcpConnection c : connections.values()) {
            if (c.timerAt != 0) {
                if (c.timerAt - now <= 0) {
                    due.add(c);
                } else if (c.timerAt < nextTimer) {
                    nextTimer = c.timerAt;
                }
            }
        }
        for (TcpConnection c : due) {
            if (c.timerAt != 0 && c.timerAt - now <= 0) {
                c.timerExpired();
            }
        }
    }

    void close() {
        for (TcpConnection c : new ArrayList<>(connections.values())) {
            c.shutdown();
        }
        connections.clear();
        for (ServerSocketChannel s : listeners) {
            closeQuietly(s);
        }
    }

    private static void closeQuietly(java.nio.channels.Channel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // Closing: nothing to add.
            }
        }
    }
}
