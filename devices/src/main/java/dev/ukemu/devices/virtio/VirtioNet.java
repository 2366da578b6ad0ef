package dev.ukemu.devices.virtio;

import dev.ukemu.devices.net.FrameSink;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A virtio network card (virtio 1.2, section 5.1; QEMU's {@code virtio-net.c}) with one receive
 * queue (0) and one transmit queue (1). Offered: VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS (the link
 * is always up) and VIRTIO_NET_F_MRG_RXBUF; no checksum or segmentation offload (frames are
 * complete and checksummed on both sides), no control queue, no multiqueue.
 *
 * <p>Every frame carries a virtio-net header: 10 bytes for a legacy driver, 12 (with
 * {@code num_buffers}) once VIRTIO_F_VERSION_1 or MRG_RXBUF is negotiated. Sent frames go to the
 * backend's {@link FrameSink}; when it refuses one, transmission stops with that frame kept and
 * resumes when the backend says it is writable. Frames for the guest come in through
 * {@link #toGuest()}, which refuses them (consuming nothing) while the guest has no receive
 * buffers, and runs the backend's {@code whenWritable} action once the guest adds some.
 */
public final class VirtioNet implements VirtioDevice {
    public static final int DEVICE_TYPE = 1;
    public static final int CLASS_NETWORK_ETHERNET = 0x020000;
    public static final int RX_QUEUE = 0, TX_QUEUE = 1;
    /** QEMU's default ring sizes. */
    public static final int QUEUE_SIZE = 256;

    // Feature bits (section 5.1.3).
    public static final int F_MAC = 5, F_MRG_RXBUF = 15, F_STATUS = 16, F_CTRL_VQ = 17, F_MQ = 22;
    // Configuration layout (section 5.1.4).
    public static final int CONFIG_MAC = 0, CONFIG_STATUS = 6, CONFIG_MAX_VQ_PAIRS = 8, CONFIG_SIZE = 10;
    public static final int S_LINK_UP = 1;
    /** Header sizes (section 5.1.6): without num_buffers, and with it. */
    public static final int HEADER_LEGACY = 10, HEADER = 12;
    public static final int HEADER_NUM_BUFFERS = 10;
    /** Largest frame sent on: 64 KiB plus an Ethernet header; larger ones are dropped. */
    public static final int MAX_FRAME = 65536 + 14;
    /** QEMU's default MAC address for the first NIC. */
    public static final String DEFAULT_MAC = "52:54:00:12:34:56";

    private static final FrameSink DISCARD = new FrameSink() {
        @Override
        public boolean offer(ByteBuffer frame) {
            frame.position(frame.limit());
            return true;
        }

        @Override
        public void whenWritable(Runnable action) {
            action.run();
        }
    };

    private final byte[] mac;
    private final FrameSink toGuest = new ReceiveSide();
    private volatile FrameSink toBackend = DISCARD;
    private VirtioTransport t;

    private final AtomicInteger txWork = new AtomicInteger();
    private final DescriptorChain txChain = new DescriptorChain();
    private final List<DescriptorChain> rxChains = new ArrayList<>();
    /** The frame taken off the TX ring that the backend has not accepted yet. */
    private ByteBuffer pendingFrame;
    private int pendingHead;
    private int pendingResets;
    private final List<Runnable> rxWaiters = new ArrayList<>();
    /** Available index when a frame was last refused, or -1: wake waiters only for new buffers. */
    private int refusedAtAvail = -1;

    private long txFrames, rxFrames, txDropped, rxDropped;

    public VirtioNet(byte[] mac) {
        if (mac.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes");
        }
        this.mac = mac.clone();
    }

    /** Parses {@code 52:54:00:12:34:56}; throws IllegalArgumentException if malformed. */
    public static byte[] parseMac(String text) {
        String[] parts = text.split(":", -1);
        if (parts.length != 6) {
            throw new IllegalArgumentException("'" + text + "' is not a MAC address (write 52:54:00:12:34:56)");
        }
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            if (parts[i].length() != 2) {
                throw new IllegalArgumentException("'" + text + "' is not a MAC address (write 52:54:00:12:34:56)");
            }
            try {
                b[i] = (byte) HexFormat.fromHexDigits(parts[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + text + "' is not a MAC address (write 52:54:00:12:34:56)");
            }
        }
        if ((b[0] & 1) != 0) {
            throw new IllegalArgumentException("'" + text + "' is a multicast address, not one for a NIC");
        }
        return b;
    }

    /** Connects the backend: frames the guest sends go to {@code sink}. */
    public void setBackend(FrameSink sink) {
        this.toBackend = sink == null ? DISCARD : sink;
    }

    /** Where the backend puts frames for the guest. */
    public FrameSink toGuest() {
        return toGuest;
    }

    public byte[] mac() {
        synchronized (lockOrThis()) {
            return mac.clone();
        }
    }

    private Object lockOrThis() {
        return t != null ? t.lock() : this;
    }

    /** Frames sent, received, and dropped (too large to send, or too large for a receive buffer). */
    public long[] counters() {
        synchronized (lockOrThis()) {
            return new long[] {txFrames, rxFrames, txDropped, rxDropped};
        }
    }

    // ---- VirtioDevice -------------------------------------------------------------------------

    @Override
    public int deviceType() {
        return DEVICE_TYPE;
    }

    @Override
    public int pciClass() {
        return CLASS_NETWORK_ETHERNET;
    }

    @Override
    public long deviceFeatures() {
        return 1L << F_MAC | 1L << F_STATUS | 1L << F_MRG_RXBUF;
    }

    @Override
    public int[] queueSizes() {
        return new int[] {QUEUE_SIZE, QUEUE_SIZE};
    }

    @Override
    public int configSize() {
        return CONFIG_SIZE;
    }

    @Override
    public long readConfig(int offset, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (long) configByte(offset + i) << (8 * i);
        }
        return v;
    }

    private int configByte(int o) {
        if (o < CONFIG_MAC + 6) {
            return mac[o] & 0xFF;
        }
        return switch (o) {
            case CONFIG_STATUS -> S_LINK_UP;
            case CONFIG_MAX_VQ_PAIRS -> 1;
            default -> 0;
        };
    }

    @Override
    public void writeConfig(int offset, int size, long value) {
        // A legacy driver may set the MAC through the configuration space (QEMU allows it too).
        if ((t.negotiatedFeatures() & 1L << VirtioPci.F_VERSION_1) != 0) {
            return;
        }
        for (int i = 0; i < size; i++) {
            int o = offset + i;
            if (o < CONFIG_MAC + 6) {
                mac[o] = (byte) (value >>> (8 * i));
            }
        }
    }

    @Override
    public void attach(VirtioTransport transport) {
        this.t = transport;
    }

    @Override
    public void queueNotified(int queue) {
        if (queue == TX_QUEUE) {
            kickTx();
        } else if (queue == RX_QUEUE) {
            wakeReceivers();
        }
    }

    @Override
    public void activated() {
        wakeReceivers();
        kickTx();
    }

    @Override
    public void reset() {
        pendingFrame = null;
        refusedAtAvail = -1;
    }

    private int headerLength() {
        long f = t.negotiatedFeatures();
        return (f & (1L << VirtioPci.F_VERSION_1 | 1L << F_MRG_RXBUF)) != 0 ? HEADER : HEADER_LEGACY;
    }

    // ---- transmit -----------------------------------------------------------------------------

    /** Processes the TX ring; one thread at a time, others just ask it to go round again. */
    private void kickTx() {
        if (txWork.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            drainTx();
            missed = txWork.addAndGet(-missed);
        } while (missed != 0);
    }

    private void drainTx() {
        FrameSink sink = toBackend;
        while (true) {
            ByteBuffer frame;
            int head;
            int resets;
            synchronized (t.lock()) {
                if (!t.live()) {
                    return;
                }
                Virtqueue q = t.queue(TX_QUEUE);
                if (!q.ready()) {
                    return;
                }
                try {
                    if (pendingFrame == null && !takeFrame(q)) {
                        return;
                    }
                } catch (VirtioError e) {
                    t.fail(e);
                    return;
                }
                if (pendingFrame == null) {
                    continue; // dropped an oversized frame
                }
                frame = pendingFrame;
                head = pendingHead;
                resets = pendingResets;
            }
            if (!sink.offer(frame)) {
                sink.whenWritable(this::kickTx);
                return;
            }
            synchronized (t.lock()) {
                if (pendingFrame == frame && resets == t.resetCount()) {
                    pendingFrame = null;
                    txFrames++;
                    Virtqueue q = t.queue(TX_QUEUE);
                    try {
                        q.push(head, 0);
                        t.interruptIfNeeded(q);
                    } catch (VirtioError e) {
                        t.fail(e);
                        return;
                    }
                }
            }
        }
    }

    /** Pops the next TX chain into {@link #pendingFrame}; false when the ring is empty. */
    private boolean takeFrame(Virtqueue q) {
        DescriptorChain c = q.pop(txChain);
        if (c == null) {
            int seen = q.availIdx();
            if (q.enableNotification() == seen && q.pending() == 0) {
                return false;
            }
            c = q.pop(txChain);
            if (c == null) {
                return false;
            }
        }
        int hdr = headerLength();
        if (c.readableBytes() < hdr) {
            throw new VirtioError("virtio-net: transmit buffer shorter than the " + hdr + "-byte header");
        }
        long len = c.readableBytes() - hdr;
        if (len > MAX_FRAME) {
            txDropped++;
            q.push(c.head(), 0);
            t.interruptIfNeeded(q);
            return true;
        }
        ByteBuffer b = ByteBuffer.allocate((int) len);
        c.gather(t.ram(), hdr, b, (int) len);
        b.flip();
        pendingFrame = b;
        pendingHead = c.head();
        pendingResets = t.resetCount();
        return true;
    }

    // ---- receive ------------------------------------------------------------------------------

    /** Runs the backend's waiting actions if the guest may take frames now. */
    private void wakeReceivers() {
        List<Runnable> run;
        synchronized (t.lock()) {
            if (rxWaiters.isEmpty() || !t.live() || !t.queue(RX_QUEUE).ready()) {
                return;
            }
            try {
                if (t.queue(RX_QUEUE).pending() == 0) {
                    return;
                }
            } catch (VirtioError e) {
                t.fail(e);
                return;
            }
            run = new ArrayList<>(rxWaiters);
            rxWaiters.clear();
        }
        for (Runnable r : run) {
            r.run();
        }
    }

    private DescriptorChain rxChain(int i) {
        while (rxChains.size() <= i) {
            rxChains.add(new DescriptorChain());
        }
        return rxChains.get(i);
    }

    /** Places one frame in guest buffers; false (nothing consumed) if they are too few. */
    private boolean receive(Virtqueue q, ByteBuffer frame) {
        int hdr = headerLength();
        int len = frame.remaining();
        long need = (long) hdr + len;
        boolean mergeable = (t.negotiatedFeatures() & 1L << F_MRG_RXBUF) != 0;
        int seen = q.availIdx();
        while (true) {
            int n = 0;
            long have = 0;
            while (have < need && (mergeable || n == 0)) {
                DescriptorChain c = q.pop(rxChain(n));
                if (c == null) {
                    break;
                }
                if (c.writableBytes() == 0) {
                    throw new VirtioError("virtio-net: receive buffer with no writable descriptor");
                }
                n++;
                have += c.writableBytes();
            }
            if (n > 0 && !mergeable && have < need) {
                q.rewind(1); // QEMU drops a frame too large for one buffer and keeps the buffer
                rxDropped++;
                frame.position(frame.limit());
                return true;
            }
            if (have < need) {
                q.rewind(n);
                int now = q.enableNotification();
                if (now != seen) {
                    seen = now; // buffers arrived while we looked: try again
                    continue;
                }
                refusedAtAvail = now;
                return false;
            }
            ByteBuffer packet = ByteBuffer.allocate((int) need).order(ByteOrder.LITTLE_ENDIAN);
            if (hdr == HEADER) {
                packet.putShort(HEADER_NUM_BUFFERS, (short) n);
            }
            packet.position(hdr);
            packet.put(frame);
            packet.flip();
            for (int i = 0; i < n; i++) {
                DescriptorChain c = rxChains.get(i);
                int wrote = c.scatter(t.ram(), 0, packet);
                q.add(c.head(), wrote, i);
            }
            q.publish(n);
            rxFrames++;
            refusedAtAvail = -1;
            t.interruptIfNeeded(q);
            return true;
        }
    }

    private final class ReceiveSide implements FrameSink {
        @Override
        public boolean offer(ByteBuffer frame) {
            synchronized (t.lock()) {
                if (!t.live()) {
                    return false;
                }
                Virtqueue q = t.queue(RX_QUEUE);
                if (!q.ready()) {
                    return false;
                }
                int start = frame.position();
                try {
                    return receive(q, frame);
                } catch (VirtioError e) {
                    frame.position(start);
                    t.fail(e);
                    return false;
                }
            }
        }

        @Override
        public void whenWritable(Runnable action) {
            boolean now = false;
            synchronized (t.lock()) {
                if (t.live() && t.queue(RX_QUEUE).ready()) {
                    try {
                        Virtqueue q = t.queue(RX_QUEUE);
                        int idx = q.enableNotification();
                        now = idx != refusedAtAvail && q.pending() > 0;
                    } catch (VirtioError e) {
                        t.fail(e);
                    }
                }
                if (!now) {
                    rxWaiters.add(action);
                }
            }
            if (now) {
                action.run();
            }
        }
    }
}
