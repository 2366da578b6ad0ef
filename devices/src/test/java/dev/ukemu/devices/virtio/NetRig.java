package dev.ukemu.devices.virtio;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import dev.ukemu.devices.net.FrameSink;
import dev.ukemu.devices.pci.PciBus;
import dev.ukemu.devices.pci.PciFirmware;
import dev.ukemu.devices.pci.PciHost;
import dev.ukemu.devices.pci.Piix3IsaBridge;
import dev.ukemu.devices.testing.RecordingIrqLine;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A virtio-net card at 00:03.0 on a PCI bus with its BARs placed as SeaBIOS places them, 16 MiB
 * of guest RAM, INTA routed to a recorded IRQ 11, and a recording backend.
 */
final class NetRig implements AutoCloseable {
    static final int SLOT = 3;
    static final int IO = 0xC000;
    static final long RX_RING = 0x10000, TX_RING = 0x20000, BUFFERS = 0x100000, TABLES = 0x80000;

    final GuestMemory mem = new GuestMemory(MemoryLayout.of(16 * MemoryLayout.MIB));
    final PortBus ports = new PortBus();
    final Bus mmio = new Bus("MMIO");
    final PciBus bus = new PciBus(ports, mmio);
    final RecordingIrqLine irq11 = new RecordingIrqLine();
    final Backend backend = new Backend();
    final List<String> errors = new ArrayList<>();
    final List<long[]> dmaWrites = new ArrayList<>();
    final VirtioNet net;
    final VirtioPci pci;
    final long modernBase;

    /** Records frames, refuses them on demand, and remembers whenWritable actions. */
    static final class Backend implements FrameSink {
        final List<byte[]> frames = new ArrayList<>();
        final List<Runnable> waiting = new ArrayList<>();
        boolean refuse;

        @Override
        public boolean offer(ByteBuffer frame) {
            if (refuse) {
                return false;
            }
            byte[] b = new byte[frame.remaining()];
            frame.get(b);
            frames.add(b);
            return true;
        }

        @Override
        public void whenWritable(Runnable action) {
            waiting.add(action);
        }

        void release() {
            refuse = false;
            List<Runnable> run = new ArrayList<>(waiting);
            waiting.clear();
            run.forEach(Runnable::run);
        }
    }

    NetRig() {
        this(VirtioNet.parseMac(VirtioNet.DEFAULT_MAC));
    }

    NetRig(byte[] mac) {
        this(mac, null);
    }

    /** With {@code writes} told about every DMA store instead of the recorded list. */
    NetRig(byte[] mac, GuestRam.WriteListener writes) {
        ports.register(PciHost.PORT, PciHost.SIZE, new PciHost(bus, new dev.ukemu.devices.misc.ResetControl(new dev.ukemu.devices.testing.RecordingSystemControl())), "PCI host");
        Piix3IsaBridge piix3 = new Piix3IsaBridge(n -> n == 11 ? irq11 : high -> { });
        bus.attach(PciBus.devfn(1, 0), piix3);
        bus.setIntxRouter(piix3);
        net = new VirtioNet(mac);
        pci = new VirtioPci(net, new GuestRam(mem, writes != null ? writes : (pa, len) -> dmaWrites.add(new long[] {pa, len})));
        pci.setErrorListener(errors::add);
        net.setBackend(backend);
        bus.attach(PciBus.devfn(SLOT, 0), pci);
        PciFirmware.setup(bus, ports, mem.layout().belowFourG(), 0);
        modernBase = bus.mappedAddress(PciBus.devfn(SLOT, 0), VirtioPci.MODERN_BAR);
    }

    long cfgRead(int reg, int size) {
        ports.write(0xCF8, 4, 0x80000000L | SLOT << 11 | reg & 0xFC);
        return ports.read(0xCFC + (reg & 3), size);
    }

    void cfgWrite(int reg, int size, long v) {
        ports.write(0xCF8, 4, 0x80000000L | SLOT << 11 | reg & 0xFC);
        ports.write(0xCFC + (reg & 3), size, v);
    }

    // Legacy register access through BAR0.
    long in(int reg, int size) {
        return ports.read(IO + reg, size);
    }

    void out(int reg, int size, long v) {
        ports.write(IO + reg, size, v);
    }

    // Modern register access through BAR4.
    long common(int reg, int size) {
        return mmio.read(modernBase + VirtioPci.COMMON_CFG + reg, size);
    }

    void common(int reg, int size, long v) {
        mmio.write(modernBase + VirtioPci.COMMON_CFG + reg, size, v);
    }

    /** Unikraft's legacy bring-up: reset, ACK, DRIVER, features, FEATURES_OK, queues by PFN, DRIVER_OK. */
    TestRing[] legacyUp(long guestFeatures) {
        out(VirtioPci.DEVICE_STATUS, 1, 0);
        out(VirtioPci.DEVICE_STATUS, 1, 1);
        out(VirtioPci.DEVICE_STATUS, 1, 3);
        out(VirtioPci.GUEST_FEATURES, 4, guestFeatures & in(VirtioPci.HOST_FEATURES, 4));
        out(VirtioPci.DEVICE_STATUS, 1, 0xB);
        TestRing[] rings = new TestRing[2];
        long[] base = {RX_RING, TX_RING};
        for (int q = 0; q < 2; q++) {
            out(VirtioPci.QUEUE_SEL, 2, q);
            int size = (int) in(VirtioPci.QUEUE_NUM, 2);
            rings[q] = new TestRing(mem, base[q], size);
            out(VirtioPci.QUEUE_PFN, 4, base[q] >>> 12);
        }
        out(VirtioPci.DEVICE_STATUS, 1, 0xF);
        return rings;
    }

    /** A virtio 1.x driver's bring-up through the common configuration structure. */
    TestRing[] modernUp(long driverFeatures, int queueSize) {
        common(VirtioPci.COMMON_STATUS, 1, 0);
        common(VirtioPci.COMMON_STATUS, 1, 1);
        common(VirtioPci.COMMON_STATUS, 1, 3);
        common(VirtioPci.DRIVER_FEATURE_SELECT, 4, 0);
        common(VirtioPci.DRIVER_FEATURE, 4, driverFeatures & 0xFFFFFFFFL);
        common(VirtioPci.DRIVER_FEATURE_SELECT, 4, 1);
        common(VirtioPci.DRIVER_FEATURE, 4, driverFeatures >>> 32);
        common(VirtioPci.COMMON_STATUS, 1, 0xB);
        TestRing[] rings = new TestRing[2];
        long[] base = {RX_RING, TX_RING};
        for (int q = 0; q < 2; q++) {
            common(VirtioPci.COMMON_QUEUE_SELECT, 2, q);
            common(VirtioPci.QUEUE_SIZE, 2, queueSize);
            rings[q] = new TestRing(mem, base[q], queueSize);
            common(VirtioPci.QUEUE_DESC, 4, rings[q].desc);
            common(VirtioPci.QUEUE_DESC + 4, 4, 0);
            common(VirtioPci.QUEUE_DRIVER, 4, rings[q].avail);
            common(VirtioPci.QUEUE_DRIVER + 4, 4, 0);
            common(VirtioPci.QUEUE_DEVICE, 8, rings[q].used);
            common(VirtioPci.QUEUE_ENABLE, 2, 1);
        }
        common(VirtioPci.COMMON_STATUS, 1, 0xF);
        return rings;
    }

    void notifyLegacy(int q) {
        out(VirtioPci.QUEUE_NOTIFY, 2, q);
    }

    void notifyModern(int q) {
        common(VirtioPci.COMMON_QUEUE_SELECT, 2, q);
        long off = common(VirtioPci.QUEUE_NOTIFY_OFF, 2);
        mmio.write(modernBase + VirtioPci.NOTIFY_CFG + off * VirtioPci.NOTIFY_OFF_MULTIPLIER, 2, q);
    }

    static byte[] frame(int len, int seed) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (seed + i * 7);
        }
        return b;
    }

    byte[] read(long pa, int len) {
        return mem.read(pa, len);
    }

    @Override
    public void close() {
        mem.close();
    }
}
