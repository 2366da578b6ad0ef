package dev.ukemu.devices.pci;

import dev.ukemu.core.bus.BusDevice;
import java.util.Objects;

/**
 * One PCI function: its 256-byte type-0 configuration header and device-specific space, the
 * BARs it decodes and its INTx pin. Writes go through per-byte masks as in QEMU's
 * {@code hw/pci/pci.c}: {@code wmask} says which bits the guest may change, {@code w1cmask}
 * which bits a written 1 clears. The {@link PciBus} maps the BARs when the guest programs them
 * and enables decoding; the function itself never sees an absolute address.
 */
public abstract class PciDevice {
    public static final int CONFIG_SIZE = 256;
    /** Header offsets (PCI Local Bus 3.0, section 6.1). */
    public static final int VENDOR_ID = 0x00, DEVICE_ID = 0x02, COMMAND = 0x04, STATUS = 0x06,
            REVISION_ID = 0x08, CLASS_PROG = 0x09, CLASS_DEVICE = 0x0A, CACHE_LINE_SIZE = 0x0C,
            LATENCY_TIMER = 0x0D, HEADER_TYPE = 0x0E, BAR0 = 0x10, SUBSYSTEM_VENDOR_ID = 0x2C,
            SUBSYSTEM_ID = 0x2E, ROM_ADDRESS = 0x30, CAPABILITY_LIST = 0x34, INTERRUPT_LINE = 0x3C,
            INTERRUPT_PIN = 0x3D;
    /** End of the standard header; capabilities and device registers live above it. */
    public static final int HEADER_SIZE = 0x40;
    public static final int BAR_COUNT = 6;

    // Command register bits (section 6.2.2).
    public static final int COMMAND_IO = 0x0001, COMMAND_MEMORY = 0x0002, COMMAND_MASTER = 0x0004,
            COMMAND_SERR = 0x0100, COMMAND_INTX_DISABLE = 0x0400;
    // Status register bits (section 6.2.3).
    public static final int STATUS_INTERRUPT = 0x0008, STATUS_CAP_LIST = 0x0010,
            STATUS_W1C = 0x0100 | 0x0800 | 0x1000 | 0x2000 | 0x4000 | 0x8000;
    public static final int HEADER_TYPE_NORMAL = 0x00, HEADER_TYPE_MULTI_FUNCTION = 0x80;
    // BAR low bits (section 6.2.5.1).
    public static final int BAR_SPACE_IO = 0x01, BAR_MEM_TYPE_64 = 0x04, BAR_MEM_PREFETCH = 0x08;
    public static final int INTERRUPT_PIN_A = 1;
    /** QEMU's default subsystem IDs (PCI_SUBVENDOR_ID_REDHAT_QUMRANET, PCI_SUBDEVICE_ID_QEMU). */
    public static final int QEMU_SUBSYSTEM_VENDOR = 0x1AF4, QEMU_SUBSYSTEM_ID = 0x1100;
    /** Address of a BAR that decodes nothing. */
    public static final long UNMAPPED = -1;

    /** What kind of space a BAR claims. */
    public enum BarKind { IO, MEMORY32, MEMORY64 }

    /** A region the function decodes: {@code size} is a power of two. */
    public record Bar(BarKind kind, long size, boolean prefetchable, BusDevice device, String name) {
        public Bar {
            if (size < (kind == BarKind.IO ? 4 : 16) || Long.bitCount(size) != 1) {
                throw new IllegalArgumentException("BAR size must be a power of two: " + size);
            }
            Objects.requireNonNull(device, "device");
        }

        public boolean isIo() {
            return kind == BarKind.IO;
        }
    }

    protected final byte[] config = new byte[CONFIG_SIZE];
    private final byte[] wmask = new byte[CONFIG_SIZE];
    private final byte[] w1cmask = new byte[CONFIG_SIZE];
    private final Bar[] bars = new Bar[BAR_COUNT];
    private final String name;
    private PciBus bus;
    private int devfn = -1;
    private boolean intxLevel;
    private boolean intxOut;

    /**
     * @param classCode class, subclass and programming interface as {@code 0xCCSSPP}
     */
    protected PciDevice(String name, int vendor, int device, int revision, int classCode, int headerType) {
        this.name = name;
        setWord(VENDOR_ID, vendor);
        setWord(DEVICE_ID, device);
        config[REVISION_ID] = (byte) revision;
        config[CLASS_PROG] = (byte) classCode;
        setWord(CLASS_DEVICE, classCode >>> 8);
        config[HEADER_TYPE] = (byte) headerType;
        setWord(SUBSYSTEM_VENDOR_ID, QEMU_SUBSYSTEM_VENDOR);
        setWord(SUBSYSTEM_ID, QEMU_SUBSYSTEM_ID);
        wmask[CACHE_LINE_SIZE] = (byte) 0xFF;
        wmask[INTERRUPT_LINE] = (byte) 0xFF;
        setMaskWord(wmask, COMMAND, COMMAND_IO | COMMAND_MEMORY | COMMAND_MASTER | COMMAND_INTX_DISABLE | COMMAND_SERR);
        setMaskWord(w1cmask, STATUS, STATUS_W1C);
        // Device-specific registers are writable unless a capability or the subclass says not.
        for (int i = HEADER_SIZE; i < CONFIG_SIZE; i++) {
            wmask[i] = (byte) 0xFF;
        }
    }

    public String name() {
        return name;
    }

    /** Device and function number on its bus ({@code slot << 3 | function}), or -1. */
    public int devfn() {
        return devfn;
    }

    public int vendorId() {
        return word(VENDOR_ID);
    }

    public int deviceId() {
        return word(DEVICE_ID);
    }

    void attach(PciBus bus, int devfn) {
        if (this.bus != null) {
            throw new IllegalStateException(name + " is already on a bus");
        }
        this.bus = bus;
        this.devfn = devfn;
    }

    // ---- setup by subclasses ------------------------------------------------------------------

    /** Declares BAR {@code index}; a 64-bit BAR also takes {@code index + 1}. */
    protected final void defineBar(int index, Bar bar) {
        int slots = bar.kind() == BarKind.MEMORY64 ? 2 : 1;
        if (index < 0 || index + slots > BAR_COUNT || bars[index] != null || (slots == 2 && bars[index + 1] != null)) {
            throw new IllegalArgumentException("BAR " + index + " of " + name + " is taken or out of range");
        }
        bars[index] = bar;
        int reg = BAR0 + 4 * index;
        int low = switch (bar.kind()) {
            case IO -> BAR_SPACE_IO;
            case MEMORY32 -> bar.prefetchable() ? BAR_MEM_PREFETCH : 0;
            case MEMORY64 -> BAR_MEM_TYPE_64 | (bar.prefetchable() ? BAR_MEM_PREFETCH : 0);
        };
        setLong(reg, low);
        long mask = ~(bar.size() - 1);
        setMaskLong(wmask, reg, (int) mask & (bar.isIo() ? ~0x3 : ~0xF));
        if (slots == 2) {
            setMaskLong(wmask, reg + 4, (int) (mask >>> 32));
        }
    }

    /** The BAR declared at {@code index} (not the upper half of a 64-bit BAR), or null. */
    public final Bar bar(int index) {
        return bars[index];
    }

    /**
     * Adds a capability of {@code length} bytes at {@code offset} with capability ID {@code id}
     * to the front of the list, as QEMU's {@code pci_add_capability} does; the body is read-only
     * unless the subclass opens bits with {@link #setWritable}.
     */
    protected final void addCapability(int id, int offset, int length) {
        if (offset < HEADER_SIZE || offset + length > CONFIG_SIZE || (offset & 3) != 0) {
            throw new IllegalArgumentException("capability at 0x" + Integer.toHexString(offset));
        }
        config[offset] = (byte) id;
        config[offset + 1] = config[CAPABILITY_LIST];
        config[CAPABILITY_LIST] = (byte) offset;
        setWord(STATUS, word(STATUS) | STATUS_CAP_LIST);
        for (int i = offset; i < offset + length; i++) {
            wmask[i] = 0;
        }
    }

    /** Makes {@code length} bytes at {@code offset} guest-writable (or read-only). */
    protected final void setWritable(int offset, int length, boolean writable) {
        for (int i = offset; i < offset + length; i++) {
            wmask[i] = (byte) (writable ? 0xFF : 0);
        }
    }

    // ---- configuration space access -----------------------------------------------------------

    /** Reads {@code size} (1, 2 or 4) bytes at {@code reg}; bytes past the end read as ones. */
    public final synchronized long configRead(int reg, int size) {
        beforeConfigRead(reg, size);
        long v = 0;
        for (int i = 0; i < size; i++) {
            int a = reg + i;
            long b = a < CONFIG_SIZE ? config[a] & 0xFF : 0xFF;
            v |= b << (8 * i);
        }
        return v;
    }

    /** Writes through the masks, then lets the bus remap BARs and the function react. */
    public final void configWrite(int reg, int size, long value) {
        synchronized (this) {
            int oldCommand = word(COMMAND);
            for (int i = 0; i < size && reg + i < CONFIG_SIZE; i++) {
                int a = reg + i;
                int b = (int) (value >>> (8 * i)) & 0xFF;
                int w = wmask[a] & 0xFF;
                int c = w1cmask[a] & 0xFF;
                config[a] = (byte) (((config[a] & ~w) | (b & w)) & ~(b & c));
            }
            if (touches(reg, size, COMMAND, 2) && ((oldCommand ^ word(COMMAND)) & COMMAND_INTX_DISABLE) != 0) {
                updateIntx();
            }
            configWritten(reg, size);
        }
        if (bus != null && (touches(reg, size, COMMAND, 2) || touches(reg, size, BAR0, 4 * BAR_COUNT))) {
            bus.updateMappings(this);
        }
        afterConfigWrite(reg, size);
    }

    private static boolean touches(int reg, int size, int start, int length) {
        return reg < start + length && reg + size > start;
    }

    /** Hook run under the device lock before a guest read (to refresh a register's value). */
    protected void beforeConfigRead(int reg, int size) {
    }

    /** Hook run under the device lock after a guest write updated {@link #config}. */
    protected void configWritten(int reg, int size) {
    }

    /** Hook run after a write and any remapping, outside the device lock. */
    protected void afterConfigWrite(int reg, int size) {
    }

    /** The command register as the guest left it. */
    public final synchronized int command() {
        return word(COMMAND);
    }

    /** True if the guest allows this function to master the bus (DMA). */
    public final synchronized boolean busMasterEnabled() {
        return (word(COMMAND) & COMMAND_MASTER) != 0;
    }

    /**
     * Where BAR {@code index} decodes now, or {@link #UNMAPPED}: decoding must be enabled in the
     * command register and the address valid, with QEMU's {@code pci_bar_address} rules (no
     * address 0, no wrap, a 32-bit BAR below 4 GiB, I/O inside the 64 KiB port space).
     */
    public final synchronized long barAddress(int index) {
        Bar bar = bars[index];
        if (bar == null) {
            return UNMAPPED;
        }
        int cmd = word(COMMAND);
        int reg = BAR0 + 4 * index;
        long addr;
        if (bar.isIo()) {
            if ((cmd & COMMAND_IO) == 0) {
                return UNMAPPED;
            }
            addr = (longAt(reg) & 0xFFFFFFFFL) & ~(bar.size() - 1);
            long last = addr + bar.size() - 1;
            if (addr == 0 || last > 0xFFFF) {
                return UNMAPPED;
            }
            return addr;
        }
        if ((cmd & COMMAND_MEMORY) == 0) {
            return UNMAPPED;
        }
        addr = longAt(reg) & 0xFFFFFFFFL;
        if (bar.kind() == BarKind.MEMORY64) {
            addr |= (longAt(reg + 4) & 0xFFFFFFFFL) << 32;
        }
        addr &= ~(bar.size() - 1);
        long last = addr + bar.size() - 1;
        if (addr == 0 || Long.compareUnsigned(last, addr) <= 0 || last == -1L) {
            return UNMAPPED;
        }
        if (bar.kind() != BarKind.MEMORY64 && last >= 0xFFFFFFFFL) {
            return UNMAPPED;
        }
        if (last >= 1L << 52) {
            return UNMAPPED; // beyond any physical address a vCPU can form
        }
        return addr;
    }

    // ---- INTx ---------------------------------------------------------------------------------

    /**
     * Drives this function's INTx pin: the Interrupt Status bit follows it, and the bus sees it
     * unless the guest set Interrupt Disable.
     */
    protected final synchronized void setIntx(boolean level) {
        intxLevel = level;
        updateIntx();
    }

    private void updateIntx() {
        int status = word(STATUS);
        setWord(STATUS, intxLevel ? status | STATUS_INTERRUPT : status & ~STATUS_INTERRUPT);
        boolean out = intxLevel && (word(COMMAND) & COMMAND_INTX_DISABLE) == 0;
        if (out != intxOut) {
            intxOut = out;
            int pin = config[INTERRUPT_PIN] & 0xFF;
            if (bus != null && pin >= 1 && pin <= 4) {
                bus.intx(devfn, pin - 1, out);
            }
        }
    }

    /** Back to power-on values: decoding off, BARs at 0, INTx low (QEMU's pci_do_device_reset). */
    public void reset() {
        synchronized (this) {
            setWord(COMMAND, word(COMMAND) & ~(wordMask(COMMAND)));
            setWord(STATUS, word(STATUS) & ~STATUS_W1C);
            config[CACHE_LINE_SIZE] = 0;
            config[INTERRUPT_LINE] = 0;
            for (int i = 0; i < BAR_COUNT; i++) {
                int reg = BAR0 + 4 * i;
                int m = (wmask[reg] & 0xFF) | (wmask[reg + 1] & 0xFF) << 8 | (wmask[reg + 2] & 0xFF) << 16
                        | (wmask[reg + 3] & 0xFF) << 24;
                setLong(reg, longAt(reg) & ~m);
            }
            intxLevel = false;
            updateIntx();
        }
        if (bus != null) {
            bus.updateMappings(this);
        }
    }

    private int wordMask(int reg) {
        return (wmask[reg] & 0xFF) | (wmask[reg + 1] & 0xFF) << 8;
    }

    // ---- little-endian helpers on config ------------------------------------------------------

    protected final int byteAt(int reg) {
        return config[reg] & 0xFF;
    }

    protected final int word(int reg) {
        return (config[reg] & 0xFF) | (config[reg + 1] & 0xFF) << 8;
    }

    protected final int longAt(int reg) {
        return word(reg) | word(reg + 2) << 16;
    }

    protected final void setByte(int reg, int v) {
        config[reg] = (byte) v;
    }

    protected final void setWord(int reg, int v) {
        config[reg] = (byte) v;
        config[reg + 1] = (byte) (v >>> 8);
    }

    protected final void setLong(int reg, int v) {
        setWord(reg, v);
        setWord(reg + 2, v >>> 16);
    }

    private static void setMaskWord(byte[] mask, int reg, int v) {
        mask[reg] = (byte) v;
        mask[reg + 1] = (byte) (v >>> 8);
    }

    private static void setMaskLong(byte[] mask, int reg, int v) {
        setMaskWord(mask, reg, v);
        setMaskWord(mask, reg + 2, v >>> 16);
    }

    @Override
    public String toString() {
        return String.format("%02x.%x %s (%04x:%04x)", devfn >> 3, devfn & 7, name, vendorId(), deviceId());
    }
}
