package dev.ukemu.devices.virtio;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.devices.pci.PciDevice;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A transitional virtio PCI function (virtio 1.2, section 4.1; QEMU's {@code virtio-pci.c}):
 * both the legacy I/O interface in BAR0 and the modern capabilities pointing into a 64-bit
 * prefetchable memory BAR4, so old drivers (Unikraft's) and new ones (Linux's) both find it.
 *
 * <pre>
 * BAR0 (I/O, legacy)            BAR4 (16 KiB memory, modern)
 *   0x00 host features   r32      0x0000 common configuration (cfg_type 1)
 *   0x04 guest features  rw32     0x1000 ISR status          (cfg_type 3)
 *   0x08 queue PFN       rw32     0x2000 device configuration (cfg_type 4)
 *   0x0C queue size      r16      0x3000 notifications       (cfg_type 2, 4 bytes per queue)
 *   0x0E queue select    rw16   plus the PCI configuration access capability (cfg_type 5)
 *   0x10 queue notify    w16
 *   0x12 device status   rw8
 *   0x13 ISR             r8, read clears it and lowers INTx
 *   0x14 device configuration (no MSI-X, so it never moves to 0x18)
 * </pre>
 *
 * VIRTIO_F_VERSION_1 is offered only through the modern interface (the legacy one has 32 bits).
 * There is no MSI-X: every vector register reads VIRTIO_MSI_NO_VECTOR and the interrupt is
 * INTA, a level held high while ISR bit 0 (used buffers) or bit 1 (configuration change) is
 * set. A driver that breaks the protocol gets DEVICE_NEEDS_RESET and a configuration interrupt.
 */
public final class VirtioPci extends PciDevice implements VirtioTransport {
    public static final int VENDOR_ID = 0x1AF4;
    /** Transitional device IDs are 0x1000 + type - 1 (section 4.1.2.3); revision 0. */
    public static final int TRANSITIONAL_DEVICE_BASE = 0x0FFF;

    // Device status bits (section 2.1).
    public static final int STATUS_ACKNOWLEDGE = 1, STATUS_DRIVER = 2, STATUS_DRIVER_OK = 4,
            STATUS_FEATURES_OK = 8, STATUS_NEEDS_RESET = 0x40, STATUS_FAILED = 0x80;
    // ISR bits (section 4.1.4.5).
    public static final int ISR_QUEUE = 1, ISR_CONFIG = 2;
    // Transport feature bits (section 6).
    public static final int F_NOTIFY_ON_EMPTY = 24, F_ANY_LAYOUT = 27, F_INDIRECT_DESC = 28,
            F_EVENT_IDX = 29, F_VERSION_1 = 32;
    public static final int NO_VECTOR = 0xFFFF;

    // Legacy registers in BAR0 (section 4.1.4.8).
    public static final int LEGACY_BAR = 0;
    public static final int HOST_FEATURES = 0x00, GUEST_FEATURES = 0x04, QUEUE_PFN = 0x08, QUEUE_NUM = 0x0C,
            QUEUE_SEL = 0x0E, QUEUE_NOTIFY = 0x10, DEVICE_STATUS = 0x12, ISR_STATUS = 0x13, LEGACY_CONFIG = 0x14;
    public static final int QUEUE_ADDR_SHIFT = 12;

    // Modern layout of BAR4, as QEMU lays it out.
    public static final int MODERN_BAR = 4;
    public static final int MODERN_BAR_SIZE = 0x4000;
    public static final int COMMON_CFG = 0x0000, ISR_CFG = 0x1000, DEVICE_CFG = 0x2000, NOTIFY_CFG = 0x3000;
    public static final int REGION_SIZE = 0x1000;
    public static final int NOTIFY_OFF_MULTIPLIER = 4;

    // Common configuration fields (section 4.1.4.3).
    public static final int DEVICE_FEATURE_SELECT = 0x00, DEVICE_FEATURE = 0x04, DRIVER_FEATURE_SELECT = 0x08,
            DRIVER_FEATURE = 0x0C, CONFIG_MSIX_VECTOR = 0x10, NUM_QUEUES = 0x12, COMMON_STATUS = 0x14,
            CONFIG_GENERATION = 0x15, COMMON_QUEUE_SELECT = 0x16, QUEUE_SIZE = 0x18, QUEUE_MSIX_VECTOR = 0x1A,
            QUEUE_ENABLE = 0x1C, QUEUE_NOTIFY_OFF = 0x1E, QUEUE_DESC = 0x20, QUEUE_DRIVER = 0x28,
            QUEUE_DEVICE = 0x30;

    // Vendor capabilities (section 4.1.4).
    public static final int CAP_ID_VENDOR = 0x09;
    public static final int CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4, CAP_PCI_CFG = 5;
    public static final int CAP_BAR = 4, CAP_OFFSET = 8, CAP_LENGTH = 12, CAP_NOTIFY_MULTIPLIER = 16,
            CAP_PCI_CFG_DATA = 16;
    /** Where the capabilities sit: QEMU's first free offsets, the PCI access one last (list head). */
    public static final int CAP_COMMON_AT = 0x40, CAP_ISR_AT = 0x50, CAP_DEVICE_AT = 0x60, CAP_NOTIFY_AT = 0x70,
            CAP_PCI_CFG_AT = 0x84;

    private final VirtioDevice device;
    private final GuestRam ram;
    private final Virtqueue[] queues;
    private final long legacyFeatures;
    private final long modernFeatures;
    private final int legacySize;

    private int status;
    private int isr;
    private boolean broken;
    private long driverFeatures;
    private final int[] driverFeatureWords = new int[2];
    private int deviceFeatureSelect;
    private int driverFeatureSelect;
    private int queueSelect;
    private int configGeneration;
    private int resets;
    private Consumer<String> errors = message -> { };
    /** Work to do once the lock is released (a notification, activation, bus master). */
    private long deferredNotify;
    private boolean deferredActivate;
    private boolean deferredMaster;

    public VirtioPci(VirtioDevice device, GuestRam ram) {
        super("virtio-pci type " + device.deviceType(), VENDOR_ID, TRANSITIONAL_DEVICE_BASE + device.deviceType(), 0,
                device.pciClass(), HEADER_TYPE_NORMAL);
        this.device = Objects.requireNonNull(device, "device");
        this.ram = Objects.requireNonNull(ram, "ram");
        int[] sizes = device.queueSizes();
        if (sizes.length == 0 || sizes.length > 64) {
            throw new IllegalArgumentException("a virtio device has 1 to 64 queues here");
        }
        this.queues = new Virtqueue[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            queues[i] = new Virtqueue(i, sizes[i], ram);
        }
        long ring = 1L << F_INDIRECT_DESC | 1L << F_EVENT_IDX;
        this.legacyFeatures = (device.deviceFeatures() | ring | 1L << F_ANY_LAYOUT) & 0xFFFFFFFFL;
        this.modernFeatures = device.deviceFeatures() | ring | 1L << F_VERSION_1;
        setWord(SUBSYSTEM_VENDOR_ID, VENDOR_ID);
        setWord(SUBSYSTEM_ID, device.deviceType());
        setByte(INTERRUPT_PIN, INTERRUPT_PIN_A);
        this.legacySize = Math.max(32, Integer.highestOneBit(LEGACY_CONFIG + device.configSize() - 1) << 1);
        defineBar(LEGACY_BAR, new Bar(BarKind.IO, legacySize, false, new LegacyRegisters(), "virtio legacy"));
        defineBar(MODERN_BAR, new Bar(BarKind.MEMORY64, MODERN_BAR_SIZE, true, new ModernRegisters(), "virtio modern"));
        addVirtioCap(CAP_COMMON_AT, 16, CAP_COMMON, COMMON_CFG, REGION_SIZE);
        addVirtioCap(CAP_ISR_AT, 16, CAP_ISR, ISR_CFG, REGION_SIZE);
        addVirtioCap(CAP_DEVICE_AT, 16, CAP_DEVICE, DEVICE_CFG, REGION_SIZE);
        addVirtioCap(CAP_NOTIFY_AT, 20, CAP_NOTIFY, NOTIFY_CFG, REGION_SIZE);
        setLong(CAP_NOTIFY_AT + CAP_NOTIFY_MULTIPLIER, NOTIFY_OFF_MULTIPLIER);
        addVirtioCap(CAP_PCI_CFG_AT, 20, CAP_PCI_CFG, 0, 0);
        setByte(CAP_PCI_CFG_AT + CAP_BAR, 0);
        setWritable(CAP_PCI_CFG_AT + CAP_BAR, 1, true);
        setWritable(CAP_PCI_CFG_AT + CAP_OFFSET, 12, true);
        device.attach(this);
    }

    private void addVirtioCap(int at, int len, int type, int offset, int length) {
        addCapability(CAP_ID_VENDOR, at, len);
        setByte(at + 2, len);
        setByte(at + 3, type);
        setByte(at + CAP_BAR, MODERN_BAR);
        setLong(at + CAP_OFFSET, offset);
        setLong(at + CAP_LENGTH, length);
    }

    /** Receives one line per protocol error the driver makes (for {@code -d guest_errors}). */
    public void setErrorListener(Consumer<String> listener) {
        this.errors = Objects.requireNonNull(listener, "listener");
    }

    public VirtioDevice device() {
        return device;
    }

    /** Size of the legacy I/O BAR. */
    public int legacyBarSize() {
        return legacySize;
    }

    /** Features offered through the modern interface (the legacy one sees the low 32 bits, VERSION_1 aside). */
    public long offeredFeatures() {
        return modernFeatures;
    }

    public synchronized int status() {
        return status;
    }

    public synchronized int isr() {
        return isr;
    }

    // ---- VirtioTransport ----------------------------------------------------------------------

    @Override
    public Object lock() {
        return this;
    }

    @Override
    public GuestRam ram() {
        return ram;
    }

    @Override
    public Virtqueue queue(int n) {
        return queues[n];
    }

    @Override
    public synchronized long negotiatedFeatures() {
        return driverFeatures;
    }

    @Override
    public synchronized boolean live() {
        return (status & STATUS_DRIVER_OK) != 0 && !broken && busMasterEnabled();
    }

    @Override
    public synchronized int resetCount() {
        return resets;
    }

    @Override
    public synchronized void interruptIfNeeded(Virtqueue q) {
        try {
            if (q.shouldInterrupt()) {
                raiseIsr(ISR_QUEUE);
            }
        } catch (VirtioError e) {
            fail(e);
        }
    }

    @Override
    public synchronized void fail(VirtioError e) {
        if (!broken) {
            errors.accept("virtio: " + e.getMessage() + "; the device needs a reset");
        }
        broken = true;
        status |= STATUS_NEEDS_RESET;
        if ((status & STATUS_DRIVER_OK) != 0) {
            configGeneration++;
            raiseIsr(ISR_CONFIG);
        }
    }

    @Override
    public synchronized void configChanged() {
        configGeneration++;
        if ((status & STATUS_DRIVER_OK) != 0) {
            raiseIsr(ISR_CONFIG);
        }
    }

    private void raiseIsr(int bits) {
        isr |= bits;
        setIntx(true);
    }

    private int readIsr() {
        int v = isr;
        isr = 0;
        setIntx(false);
        return v;
    }

    // ---- status, features, reset --------------------------------------------------------------

    private void writeStatus(int value, boolean legacy) {
        int v = value & 0xFF;
        if (v == 0) {
            resetDevice();
            return;
        }
        int old = status;
        if (!legacy && (v & STATUS_FEATURES_OK) != 0 && (old & STATUS_FEATURES_OK) == 0) {
            long asked = (driverFeatureWords[0] & 0xFFFFFFFFL) | (long) driverFeatureWords[1] << 32;
            if ((asked & ~modernFeatures) != 0) {
                v &= ~STATUS_FEATURES_OK; // the driver accepted something never offered
            }
        }
        status = v | (broken ? STATUS_NEEDS_RESET : 0);
        if (legacy && v == (STATUS_ACKNOWLEDGE | STATUS_DRIVER)) {
            // QEMU: Linux before 2.6.34 never set bus master; enable it for the driver.
            deferredMaster = true;
        }
        if ((old & STATUS_DRIVER_OK) == 0 && (status & STATUS_DRIVER_OK) != 0) {
            deferredActivate = true;
        }
    }

    private void setDriverFeatures(long value) {
        if ((status & STATUS_FEATURES_OK) != 0) {
            return; // fixed once the driver said FEATURES_OK
        }
        driverFeatures = value;
        boolean eventIdx = (value & 1L << F_EVENT_IDX) != 0;
        for (Virtqueue q : queues) {
            q.setEventIdx(eventIdx);
        }
    }

    private void resetDevice() {
        status = 0;
        broken = false;
        driverFeatures = 0;
        driverFeatureWords[0] = driverFeatureWords[1] = 0;
        deviceFeatureSelect = driverFeatureSelect = 0;
        queueSelect = 0;
        for (Virtqueue q : queues) {
            q.reset();
        }
        resets++;
        device.reset();
        if (isr != 0) {
            readIsr();
        }
    }

    /** Machine reset: the function and the virtio device both return to power-on state. */
    @Override
    public void reset() {
        synchronized (this) {
            resetDevice();
            deferredNotify = 0;
            deferredActivate = deferredMaster = false;
        }
        super.reset();
    }

    private Virtqueue selected() {
        return queueSelect < queues.length ? queues[queueSelect] : null;
    }

    /** Runs what a register write asked for, outside the lock (drivers call into backends). */
    private void runDeferred() {
        long notify;
        boolean activate;
        boolean master;
        synchronized (this) {
            notify = deferredNotify;
            activate = deferredActivate;
            master = deferredMaster;
            deferredNotify = 0;
            deferredActivate = deferredMaster = false;
        }
        if (master && !busMasterEnabled()) {
            configWrite(COMMAND, 2, command() | COMMAND_MASTER);
        }
        if (activate) {
            device.activated();
        }
        while (notify != 0) {
            int q = Long.numberOfTrailingZeros(notify);
            notify &= notify - 1;
            device.queueNotified(q);
        }
    }

    private void notifyQueue(int q) {
        if (q >= 0 && q < queues.length) {
            deferredNotify |= 1L << q;
        }
    }

    private long readDeviceConfig(int offset, int size) {
        if (offset < 0 || offset + size > device.configSize()) {
            return Bus.ones(size);
        }
        return device.readConfig(offset, size);
    }

    private void writeDeviceConfig(int offset, int size, long value) {
        if (offset >= 0 && offset + size <= device.configSize()) {
            device.writeConfig(offset, size, value);
        }
    }

    // ---- PCI configuration access capability ---------------------------------------------------

    @Override
    protected void beforeConfigRead(int reg, int size) {
        int data = CAP_PCI_CFG_AT + CAP_PCI_CFG_DATA;
        if (reg < data + 4 && reg + size > data) {
            int len = longAt(CAP_PCI_CFG_AT + CAP_LENGTH);
            if (byteAt(CAP_PCI_CFG_AT + CAP_BAR) == MODERN_BAR && (len == 1 || len == 2 || len == 4)) {
                setLong(data, (int) modernRead(longAt(CAP_PCI_CFG_AT + CAP_OFFSET) & 0xFFFFFFFFL, len));
            }
        }
    }

    @Override
    protected void configWritten(int reg, int size) {
        int data = CAP_PCI_CFG_AT + CAP_PCI_CFG_DATA;
        if (reg < data + 4 && reg + size > data) {
            int len = longAt(CAP_PCI_CFG_AT + CAP_LENGTH);
            if (byteAt(CAP_PCI_CFG_AT + CAP_BAR) == MODERN_BAR && (len == 1 || len == 2 || len == 4)) {
                modernWrite(longAt(CAP_PCI_CFG_AT + CAP_OFFSET) & 0xFFFFFFFFL, len, longAt(data) & 0xFFFFFFFFL);
            }
        }
    }

    @Override
    protected void afterConfigWrite(int reg, int size) {
        if (reg < COMMAND + 2 && reg + size > COMMAND) {
            synchronized (this) {
                if ((status & STATUS_DRIVER_OK) != 0) {
                    deferredActivate = true; // bus master may have come on: resume queue work
                }
            }
        }
        runDeferred();
    }

    // ---- legacy registers ----------------------------------------------------------------------

    private final class LegacyRegisters implements BusDevice {
        @Override
        public long read(long offset, int size) {
            synchronized (VirtioPci.this) {
                int o = (int) offset;
                if (o >= LEGACY_CONFIG) {
                    return readDeviceConfig(o - LEGACY_CONFIG, size);
                }
                Virtqueue q = selected();
                long v = switch (o) {
                    case HOST_FEATURES -> legacyFeatures;
                    case GUEST_FEATURES -> driverFeatures & 0xFFFFFFFFL;
                    case QUEUE_PFN -> q == null ? 0 : q.descAddr() >>> QUEUE_ADDR_SHIFT;
                    case QUEUE_NUM -> q == null ? 0 : q.size();
                    case QUEUE_SEL -> queueSelect;
                    case DEVICE_STATUS -> status;
                    case ISR_STATUS -> readIsr();
                    default -> Bus.ones(4);
                };
                return v & Bus.ones(size);
            }
        }

        @Override
        public void write(long offset, int size, long value) {
            synchronized (VirtioPci.this) {
                int o = (int) offset;
                long v = value & Bus.ones(size);
                if (o >= LEGACY_CONFIG) {
                    writeDeviceConfig(o - LEGACY_CONFIG, size, value);
                } else {
                    switch (o) {
                        case GUEST_FEATURES -> setDriverFeatures(v & legacyFeatures);
                        case QUEUE_PFN -> {
                            Virtqueue q = selected();
                            if (v == 0) {
                                resetDevice(); // QEMU: a zero PFN resets the whole device
                            } else if (q != null) {
                                q.setLegacyAddress(v << QUEUE_ADDR_SHIFT);
                            }
                        }
                        case QUEUE_SEL -> queueSelect = (int) v;
                        case QUEUE_NOTIFY -> notifyQueue((int) v);
                        case DEVICE_STATUS -> writeStatus((int) v, true);
                        default -> { }
                    }
                }
            }
            runDeferred();
        }
    }

    // ---- modern registers ----------------------------------------------------------------------

    private final class ModernRegisters implements BusDevice {
        @Override
        public long read(long offset, int size) {
            if (size == 8) {
                return read(offset, 4) | read(offset + 4, 4) << 32;
            }
            return modernRead(offset, size);
        }

        @Override
        public void write(long offset, int size, long value) {
            if (size == 8) {
                write(offset, 4, value & 0xFFFFFFFFL);
                write(offset + 4, 4, value >>> 32);
                return;
            }
            modernWrite(offset, size, value);
            runDeferred();
        }
    }

    private synchronized long modernRead(long offset, int size) {
        int o = (int) offset;
        return switch (o & -REGION_SIZE) {
            case COMMON_CFG -> readCommon(o, size) & Bus.ones(size);
            case ISR_CFG -> o == ISR_CFG ? readIsr() & Bus.ones(size) : 0;
            case DEVICE_CFG -> readDeviceConfig(o - DEVICE_CFG, size);
            default -> 0;
        };
    }

    private synchronized void modernWrite(long offset, int size, long value) {
        int o = (int) offset;
        long v = value & Bus.ones(size);
        switch (o & -REGION_SIZE) {
            case COMMON_CFG -> writeCommon(o, v);
            case DEVICE_CFG -> writeDeviceConfig(o - DEVICE_CFG, size, v);
            case NOTIFY_CFG -> notifyQueue((o - NOTIFY_CFG) / NOTIFY_OFF_MULTIPLIER);
            default -> { }
        }
    }

    private long readCommon(int o, int size) {
        Virtqueue q = selected();
        return switch (o) {
            case DEVICE_FEATURE_SELECT -> deviceFeatureSelect;
            case DEVICE_FEATURE -> deviceFeatureSelect < 2 ? modernFeatures >>> (32 * deviceFeatureSelect) : 0;
            case DRIVER_FEATURE_SELECT -> driverFeatureSelect;
            case DRIVER_FEATURE -> driverFeatureSelect < 2 ? driverFeatureWords[driverFeatureSelect] & 0xFFFFFFFFL : 0;
            case CONFIG_MSIX_VECTOR, QUEUE_MSIX_VECTOR -> NO_VECTOR;
            case NUM_QUEUES -> queues.length;
            case COMMON_STATUS -> size == 1 ? status : status | configGeneration << 8;
            case CONFIG_GENERATION -> configGeneration & 0xFF;
            case COMMON_QUEUE_SELECT -> queueSelect;
            case QUEUE_SIZE -> q == null ? 0 : q.size();
            case QUEUE_ENABLE -> q != null && q.enabled() ? 1 : 0;
            case QUEUE_NOTIFY_OFF -> queueSelect;
            case QUEUE_DESC -> q == null ? 0 : q.descAddr();
            case QUEUE_DESC + 4 -> q == null ? 0 : q.descAddr() >>> 32;
            case QUEUE_DRIVER -> q == null ? 0 : q.driverAddr();
            case QUEUE_DRIVER + 4 -> q == null ? 0 : q.driverAddr() >>> 32;
            case QUEUE_DEVICE -> q == null ? 0 : q.deviceAddr();
            case QUEUE_DEVICE + 4 -> q == null ? 0 : q.deviceAddr() >>> 32;
            default -> 0;
        };
    }

    private void writeCommon(int o, long v) {
        Virtqueue q = selected();
        switch (o) {
            case DEVICE_FEATURE_SELECT -> deviceFeatureSelect = (int) v;
            case DRIVER_FEATURE_SELECT -> driverFeatureSelect = (int) v;
            case DRIVER_FEATURE -> {
                if (driverFeatureSelect < 2 && (status & STATUS_FEATURES_OK) == 0) {
                    driverFeatureWords[driverFeatureSelect] = (int) v;
                    long asked = (driverFeatureWords[0] & 0xFFFFFFFFL) | (long) driverFeatureWords[1] << 32;
                    setDriverFeatures(asked & modernFeatures);
                }
            }
            case COMMON_STATUS -> writeStatus((int) v, false);
            case COMMON_QUEUE_SELECT -> queueSelect = (int) v;
            case QUEUE_SIZE -> {
                if (q != null) {
                    q.setSize((int) v);
                }
            }
            case QUEUE_ENABLE -> {
                if (q == null) {
                    return;
                }
                if (v == 1) {
                    q.setEnabled(true);
                } else {
                    fail(new VirtioError("wrong value for queue_enable: " + v));
                }
            }
            case QUEUE_DESC -> setLow(q, 0, v);
            case QUEUE_DESC + 4 -> setHigh(q, 0, v);
            case QUEUE_DRIVER -> setLow(q, 1, v);
            case QUEUE_DRIVER + 4 -> setHigh(q, 1, v);
            case QUEUE_DEVICE -> setLow(q, 2, v);
            case QUEUE_DEVICE + 4 -> setHigh(q, 2, v);
            default -> { }
        }
    }

    private static void setLow(Virtqueue q, int which, long v) {
        if (q != null) {
            set(q, which, (get(q, which) & 0xFFFFFFFF00000000L) | (v & 0xFFFFFFFFL));
        }
    }

    private static void setHigh(Virtqueue q, int which, long v) {
        if (q != null) {
            set(q, which, (get(q, which) & 0xFFFFFFFFL) | v << 32);
        }
    }

    private static long get(Virtqueue q, int which) {
        return switch (which) {
            case 0 -> q.descAddr();
            case 1 -> q.driverAddr();
            default -> q.deviceAddr();
        };
    }

    private static void set(Virtqueue q, int which, long a) {
        switch (which) {
            case 0 -> q.setDescAddr(a);
            case 1 -> q.setDriverAddr(a);
            default -> q.setDeviceAddr(a);
        }
    }
}
