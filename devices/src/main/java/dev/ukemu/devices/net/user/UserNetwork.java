package dev.ukemu.devices.net.user;

import dev.ukemu.devices.net.FrameSink;
import dev.ukemu.devices.net.NetBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * QEMU's user-mode network ({@code -netdev user}) in Java: the guest sees a small network with
 * a gateway, a DHCP server and a DNS server, and its connections and datagrams leave through
 * ordinary host sockets, so neither root nor a TAP device is needed.
 *
 * <p>One event-loop thread owns all state: it waits on a {@link Selector} for the host
 * sockets, and takes the frames the NIC hands in (from any thread) through a queue. Host
 * forwards are bound when the network is constructed, so a taken port fails there.
 *
 * <pre>{@code
 * UserNetwork net = new UserNetwork(UserNetConfig.builder().hostForward("tcp::8080-:8080").build());
 * FrameSink fromGuest = net.connect(nicReceiveSide);
 * }</pre>
 */
public final class UserNetwork implements NetBackend {
    private static final Logger LOG = Logger.getLogger(UserNetwork.class.getName());
    private static final long HOUSEKEEPING_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int FRAMES_PER_TURN = 256;

    /** IPv4 identification numbers for the packets sent to the guest. */
    static final class IpIds {
        private int next;

        int next() {
            return (next++) & 0xFFFF;
        }
    }

    private final UserNetConfig config;
    private final Tunables tunables;
    private final Selector selector;
    private final Thread loop;
    private final ConcurrentLinkedQueue<byte[]> inbound = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inboundCount = new AtomicInteger();
    private final List<Runnable> inboundWaiters = new ArrayList<>();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private final AtomicBoolean nicWritable = new AtomicBoolean();
    private final AtomicLong internalErrors = new AtomicLong();
    private final AtomicBoolean connected = new AtomicBoolean();
    private volatile boolean closed;

    private final int hostIp;
    private final IpIds ids = new IpIds();
    private final GuestLink link;
    private final Icmp icmp;
    private final DhcpServer dhcp;
    private final UdpNat udp;
    private final TcpNat tcp;
    private final Reassembly reassembly = new Reassembly();
    private final AddressMap addresses;
    private final List<InetSocketAddress> forwardAddresses;
    private long nextHousekeeping;

    /** Starts the network; binds the host forwards. */
    public UserNetwork(UserNetConfig config) {
        this(config, Tunables.DEFAULT, Outbound.DIRECT);
    }

    UserNetwork(UserNetConfig config, Tunables tunables, Outbound outbound) {
        this.config = Objects.requireNonNull(config);
        this.tunables = tunables;
        this.hostIp = Ip.toInt(config.host());
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new UserNetException("user network: cannot open a selector: " + e.getMessage(), e);
        }
        this.addresses = new AddressMap(config);
        this.link = new GuestLink(config, tunables, this::nicWritable);
        this.icmp = new Icmp(config, link, ids);
        this.dhcp = new DhcpServer(config, link, tunables, ids);
        this.udp = new UdpNat(config, tunables, selector, link, icmp, addresses, outbound, ids);
        this.tcp = new TcpNat(config, tunables, selector, link, icmp, addresses, outbound, ids);
        List<InetSocketAddress> bound = new ArrayList<>();
        try {
            for (UserNetConfig.HostForward f : config.hostForwards()) {
                bound.add(f.protocol() == UserNetConfig.Protocol.TCP ? tcp.listen(f) : udp.listen(f));
            }
        } catch (UserNetException e) {
            closeSockets();
            throw e;
        }
        this.forwardAddresses = List.copyOf(bound);
        this.loop = Thread.ofPlatform().daemon().name("usernet").unstarted(this::run);
        loop.start();
    }

    public UserNetConfig config() {
        return config;
    }

    /**
     * The host addresses the forwards are bound to, in the order of
     * {@link UserNetConfig#hostForwards()}; a forward asked for port 0 shows its real port.
     */
    public List<InetSocketAddress> hostForwardAddresses() {
        return forwardAddresses;
    }

    @Override
    public FrameSink connect(FrameSink toGuest) {
        Objects.requireNonNull(toGuest);
        if (!connected.compareAndSet(false, true)) {
            throw new IllegalStateException("user network already has a NIC");
        }
        submit(() -> link.attach(toGuest));
        return new FrameSink() {
            @Override
            public boolean offer(ByteBuffer frame) {
                return fromGuest(frame);
            }

            @Override
            public void whenWritable(Runnable action) {
                whenInboundWritable(action);
            }
        };
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        selector.wakeup();
        if (Thread.currentThread() != loop) {
            try {
                loop.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- the NIC's side, any thread ----

    private boolean fromGuest(ByteBuffer frame) {
        if (closed) {
            return true; // a closed network swallows frames, as an unplugged cable would
        }
        if (inboundCount.get() >= tunables.inboundQueueFrames()) {
            return false;
        }
        byte[] copy = new byte[frame.remaining()];
        frame.get(copy);
        inboundCount.incrementAndGet();
        inbound.add(copy);
        wake();
        return true;
    }

    private void whenInboundWritable(Runnable action) {
        boolean now;
        synchronized (inboundWaiters) {
            now = closed || inboundCount.get() < tunables.inboundQueueFrames();
            if (!now) {
                inboundWaiters.add(action);
            }
        }
        if (now) {
            action.run();
        }
    }

    private void nicWritable() {
        nicWritable.set(true);
        wake();
    }

    private void wake() {
        if (wakeupPending.compareAndSet(false, true)) {
            selector.wakeup();
        }
    }

    private void submit(Runnable task) {
        tasks.add(task);
        wake();
    }

    /** Runs {@code query} on the event loop and returns its answer (for tests and monitors). */
    <T> T onLoop(Supplier<T> query) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        submit(() -> {
            try {
                answer.complete(query.get());
            } catch (RuntimeException e) {
                answer.completeExceptionally(e);
            }
        });
        try {
            return answer.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    int tcpConnectionCount() {
        return onLoop(tcp::connectionCount);
    }

    List<String> tcpConnections() {
        return onLoop(tcp::describeConnections);
    }

    int udpFlowCount() {
        return onLoop(udp::flowCount);
    }

    /** Exceptions the loop caught from its own code: a bug if ever non-zero. */
    long internalErrors() {
        return internalErrors.get();
    }

    /** Frames the NIC handed in that the loop has not handled yet. */
    int pendingFrames() {
        return inboundCount.get();
    }

    // ---- the event loop ----

    private void run() {
        nextHousekeeping = System.nanoTime() + HOUSEKEEPING_NANOS;
        try {
            while (!closed) {
                turn();
            }
        } finally {
            closeSockets();
            synchronized (inboundWaiters) {
                inboundWaiters.forEach(Runnable::run);
                inboundWaiters.clear();
            }
        }
    }

    private void turn() {
        try {
            long now = System.nanoTime();
            long next = Math.min(Math.min(tcp.nextTimer(), udp.nextExpiry()), nextHousekeeping);
            if (!inbound.isEmpty() || !tasks.isEmpty() || nicWritable.get()) {
                selector.selectNow();
            } else {
                long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(next - now) + 1);
                selector.select(Math.min(waitMillis, HOUSEKEEPING_NANOS / 1_000_000));
            }
            wakeupPending.set(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (SelectionKey key : selector.selectedKeys()) {
            guarded(() -> ((SelectHandler) key.attachment()).ready(key));
        }
        selector.selectedKeys().clear();
        Runnable task;
        while ((task = tasks.poll()) != null) {
            guarded(task);
        }
        if (nicWritable.getAndSet(false)) {
            link.writable();
            guarded(() -> {
                if (link.flush()) {
                    tcp.resume();
                }
            });
        }
        byte[] frame;
        for (int i = 0; i < FRAMES_PER_TURN && (frame = inbound.poll()) != null; i++) {
            inboundCount.decrementAndGet();
            byte[] f = frame;
            guarded(() -> frameFromGuest(f));
        }
        releaseInboundWaiters();
        long now = System.nanoTime();
        guarded(() -> tcp.runTimers(now));
        guarded(() -> udp.expire(now));
        if (now - nextHousekeeping >= 0) {
            nextHousekeeping = now + HOUSEKEEPING_NANOS;
            guarded(() -> reassembly.expire(now));
        }
        guarded(tcp::flushAcks);
    }

    private void releaseInboundWaiters() {
        List<Runnable> ready;
        synchronized (inboundWaiters) {
            if (inboundWaiters.isEmpty() || inboundCount.get() >= tunables.inboundQueueFrames()) {
                return;
            }
            ready = new ArrayList<>(inboundWaiters);
            inboundWaiters.clear();
        }
        ready.forEach(this::guarded);
    }

    private void guarded(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException | StackOverflowError e) {
            internalErrors.incrementAndGet();
            LOG.log(Level.WARNING, "user network: internal error", e);
        }
    }

    private void closeSockets() {
        tcp.close();
        udp.close();
        try {
            selector.close();
        } catch (IOException e) {
            // Closing: nothing to add.
        }
    }

    // ---- frames from the guest ----

    private void frameFromGuest(byte[] f) {
        if (f.length < Wire.ETH_HLEN) {
            return;
        }
        switch (Wire.u16(f, 12)) {
            case Wire.ETHERTYPE_ARP -> link.arpInput(f, f.length);
            case Wire.ETHERTYPE_IPV4 -> ipInput(f);
            default -> { } // IPv6 and the rest: this network speaks IPv4 only
        }
    }

    private void ipInput(byte[] f) {
        IpPacket p = IpPacket.parse(f, Wire.IP_OFF, f.length - Wire.IP_OFF);
        if (p == null) {
            return;
        }
        if (link.inNetwork(p.src())) {
            link.learn(p.src(), Wire.mac(f, 6));
        }
        if (p.ttl() == 0) {
            icmp.timeExceeded(p.copyPacket());
            return;
        }
        if (p.isFragment()) {
            p = reassembly.add(p);
            if (p == null) {
                return;
            }
        }
        switch (p.protocol()) {
            case Wire.PROTO_ICMP -> icmp.input(p);
            case Wire.PROTO_UDP -> udpInput(p);
            case Wire.PROTO_TCP -> tcp.input(p);
            default -> { }
        }
    }

    private void udpInput(IpPacket p) {
        byte[] f = p.frame();
        int off = p.l4Off();
        if (p.l4Length() < Wire.UDP_HLEN) {
            return;
        }
        int length = Wire.u16(f, off + 4);
        if (length < Wire.UDP_HLEN || length > p.l4Length()) {
            return;
        }
        if (Wire.u16(f, off + 6) != 0 && !Wire.transportChecksumOk(f, off, length, p.src(), p.dst(), Wire.PROTO_UDP)) {
            return;
        }
        int srcPort = Wire.u16(f, off);
        int dstPort = Wire.u16(f, off + 2);
        if (dstPort == DhcpServer.SERVER_PORT && (p.dst() == hostIp || p.dst() == Ip.BROADCAST)) {
            dhcp.input(f, off + Wire.UDP_HLEN, length - Wire.UDP_HLEN);
            return;
        }
        udp.input(p, srcPort, dstPort, off + Wire.UDP_HLEN, length - Wire.UDP_HLEN);
    }
}
