package dev.ukemu.devices.fwcfg;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.BusDevice;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * QEMU's firmware configuration device, I/O-port flavour ({@code docs/specs/fw_cfg.rst},
 * {@code hw/nvram/fw_cfg.c}): a 16-bit write to offset 0 (port 0x510) selects an item, and each
 * byte read from offset 1 (port 0x511; offset 0 too, as in QEMU) returns the item's next byte,
 * then zeros past its end. Byte writes are ignored (the data port has been read-only since QEMU
 * 2.4). The DMA interface is not offered: the ID item's DMA bit is clear and port 0x514 is left
 * unclaimed, so firmware falls back to the data port.
 *
 * <p>Items are fixed when the machine builds the device ({@link #builder()}). Integers are
 * little-endian, except the file directory, which is big-endian as in QEMU: a 32-bit count,
 * then per file a 32-bit size, 16-bit selector, 16 reserved bits and a 56-byte NUL-padded name.
 * Files are listed in name order and numbered from {@link #FILE_FIRST} in that order.
 */
public final class FwCfg implements BusDevice {
    public static final int PORT = 0x510;
    public static final int SIZE = 2;
    public static final int SELECTOR = 0;
    public static final int DATA = 1;

    // Selector keys (include/standard-headers/linux/qemu_fw_cfg.h).
    public static final int SIGNATURE = 0x0000;
    public static final int ID = 0x0001;
    public static final int UUID = 0x0002;
    public static final int RAM_SIZE = 0x0003;
    public static final int NOGRAPHIC = 0x0004;
    public static final int NB_CPUS = 0x0005;
    public static final int MACHINE_ID = 0x0006;
    public static final int KERNEL_ADDR = 0x0007;
    public static final int KERNEL_SIZE = 0x0008;
    public static final int KERNEL_CMDLINE = 0x0009;
    public static final int INITRD_ADDR = 0x000A;
    public static final int INITRD_SIZE = 0x000B;
    public static final int BOOT_DEVICE = 0x000C;
    public static final int NUMA = 0x000D;
    public static final int BOOT_MENU = 0x000E;
    public static final int MAX_CPUS = 0x000F;
    public static final int KERNEL_ENTRY = 0x0010;
    public static final int KERNEL_DATA = 0x0011;
    public static final int INITRD_DATA = 0x0012;
    public static final int CMDLINE_ADDR = 0x0013;
    public static final int CMDLINE_SIZE = 0x0014;
    public static final int CMDLINE_DATA = 0x0015;
    public static final int SETUP_ADDR = 0x0016;
    public static final int SETUP_SIZE = 0x0017;
    public static final int SETUP_DATA = 0x0018;
    public static final int FILE_DIR = 0x0019;
    public static final int FILE_FIRST = 0x0020;
    public static final int WRITE_CHANNEL = 0x4000;
    public static final int ARCH_LOCAL = 0x8000;
    public static final int ENTRY_MASK = ~(WRITE_CHANNEL | ARCH_LOCAL) & 0xFFFF;
    // x86 arch-local keys (hw/i386/fw_cfg.h).
    public static final int ACPI_TABLES = ARCH_LOCAL;
    public static final int SMBIOS_ENTRIES = ARCH_LOCAL + 1;
    public static final int IRQ0_OVERRIDE = ARCH_LOCAL + 2;
    public static final int E820_TABLE = ARCH_LOCAL + 3;
    public static final int HPET = ARCH_LOCAL + 4;

    /** FW_CFG_ID feature bits. */
    public static final int FEATURE_TRADITIONAL = 0x01;
    public static final int FEATURE_DMA = 0x02;

    /** Longest file name, NUL included. */
    public static final int MAX_NAME = 56;
    /** QEMU's default file slot count: selectors 0x20-0x3F. */
    public static final int FILE_SLOTS = 0x20;
    /** The name of the e820 memory map file SeaBIOS reads. */
    public static final String E820_FILE = "etc/e820";
    /** e820 entry types. */
    public static final int E820_RAM = 1;
    public static final int E820_RESERVED = 2;

    private static final byte[] EMPTY = new byte[0];

    private final Map<Integer, byte[]> items;
    private final List<String> fileNames;
    private byte[] current = EMPTY;
    private int selected = SIGNATURE;
    private int offset;

    private FwCfg(Map<Integer, byte[]> items, List<String> fileNames) {
        this.items = items;
        this.fileNames = fileNames;
        select(SIGNATURE);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Machine reset: the selector returns to the signature (QEMU's fw_cfg_reset). */
    public synchronized void reset() {
        select(SIGNATURE);
    }

    // ---- bus interface ----------------------------------------------------------------------

    @Override
    public synchronized long read(long offset, int size) {
        if (size != 1) {
            return Bus.ones(size); // QEMU accepts only byte reads of the combined port
        }
        return readByte();
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        if (size == 2) {
            select((int) value & 0xFFFF);
        }
        // Byte writes would be data writes: not supported, ignored.
    }

    private void select(int key) {
        selected = key;
        offset = 0;
        byte[] data = items.get(key & (ARCH_LOCAL | ENTRY_MASK));
        current = data != null ? data : EMPTY;
    }

    private int readByte() {
        return offset < current.length ? current[offset++] & 0xFF : 0;
    }

    /** The selector last written. */
    public synchronized int selected() {
        return selected;
    }

    /** The names of the files, in directory order. */
    public List<String> files() {
        return fileNames;
    }

    /** A copy of an item's contents, or null. */
    public byte[] item(int key) {
        byte[] data = items.get(key);
        return data == null ? null : data.clone();
    }

    /** Collects the items before the device is built. */
    public static final class Builder {
        private final Map<Integer, byte[]> items = new HashMap<>();
        private final TreeMap<String, byte[]> files = new TreeMap<>();
        private final ByteArrayOutputStream e820 = new ByteArrayOutputStream();

        private Builder() {
            item(UUID, new byte[16]);
            u16(NOGRAPHIC, 0);
            u16(BOOT_MENU, 0);
            u32(IRQ0_OVERRIDE, 1); // the PIT's IRQ0 reaches I/O APIC pin 2 (QEMU without KVM)
        }

        /** Sets a raw item (replacing a previous one with the same key). */
        public Builder item(int key, byte[] data) {
            int k = key & (ARCH_LOCAL | ENTRY_MASK);
            boolean managed = k == SIGNATURE || k == ID || k == FILE_DIR || (k >= FILE_FIRST && k < ARCH_LOCAL);
            if (managed) {
                throw new IllegalArgumentException(String.format("key 0x%04x is managed by the device", k));
            }
            items.put(k, data.clone());
            return this;
        }

        public Builder u16(int key, int value) {
            return item(key, ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) value).array());
        }

        public Builder u32(int key, int value) {
            return item(key, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
        }

        public Builder u64(int key, long value) {
            return item(key, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
        }

        /** FW_CFG_NB_CPUS (CPUs started) and FW_CFG_MAX_CPUS (highest APIC ID + 1). */
        public Builder cpus(int bootCpus, int maxCpus) {
            u16(NB_CPUS, bootCpus);
            return u16(MAX_CPUS, maxCpus);
        }

        /** FW_CFG_RAM_SIZE: the machine's RAM in bytes. */
        public Builder ramSize(long bytes) {
            return u64(RAM_SIZE, bytes);
        }

        public Builder noGraphic(boolean noGraphic) {
            return u16(NOGRAPHIC, noGraphic ? 1 : 0);
        }

        public Builder uuid(byte[] uuid) {
            if (uuid.length != 16) {
                throw new IllegalArgumentException("a UUID has 16 bytes");
            }
            return item(UUID, uuid);
        }

        /**
         * The kernel command line as QEMU's Linux loader publishes it: CMDLINE_SIZE (length with
         * the NUL), CMDLINE_DATA (the NUL-terminated string) and CMDLINE_ADDR (where it was put).
         */
        public Builder kernelCommandLine(String cmdline, long address) {
            byte[] text = cmdline.getBytes(StandardCharsets.UTF_8);
            byte[] data = new byte[text.length + 1];
            System.arraycopy(text, 0, data, 0, text.length);
            u32(CMDLINE_ADDR, (int) address);
            u32(CMDLINE_SIZE, data.length);
            return item(CMDLINE_DATA, data);
        }

        /** Adds a named file (e.g. {@code etc/acpi/rsdp}); names are unique and under 56 bytes. */
        public Builder file(String name, byte[] data) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length >= MAX_NAME) {
                throw new IllegalArgumentException("fw_cfg file name must be 1-55 bytes: " + name);
            }
            if (files.containsKey(name) || (name.equals(E820_FILE) && e820.size() > 0)) {
                throw new IllegalArgumentException("duplicate fw_cfg file " + name);
            }
            files.put(name, data.clone());
            return this;
        }

        /** Appends an entry to {@code etc/e820}: 64-bit address, 64-bit length, 32-bit type. */
        public Builder e820(long address, long length, int type) {
            if (files.containsKey(E820_FILE)) {
                throw new IllegalStateException("etc/e820 was already added as a file");
            }
            e820.writeBytes(ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(address).putLong(length).putInt(type).array());
            return this;
        }

        public FwCfg build() {
            Map<Integer, byte[]> all = new HashMap<>(items);
            all.put(SIGNATURE, "QEMU".getBytes(StandardCharsets.US_ASCII));
            all.put(ID, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(FEATURE_TRADITIONAL).array());
            TreeMap<String, byte[]> allFiles = new TreeMap<>(files);
            if (e820.size() > 0) {
                allFiles.put(E820_FILE, e820.toByteArray());
            }
            if (allFiles.size() > FILE_SLOTS) {
                throw new IllegalArgumentException("more than " + FILE_SLOTS + " fw_cfg files");
            }
            ByteBuffer dir = ByteBuffer.allocate(4 + allFiles.size() * 64).order(ByteOrder.BIG_ENDIAN);
            dir.putInt(allFiles.size());
            List<String> names = new ArrayList<>();
            int key = FILE_FIRST;
            for (Map.Entry<String, byte[]> f : allFiles.entrySet()) {
                byte[] name = f.getKey().getBytes(StandardCharsets.UTF_8);
                dir.putInt(f.getValue().length).putShort((short) key).putShort((short) 0);
                dir.put(name).put(new byte[MAX_NAME - name.length]);
                all.put(key, f.getValue());
                names.add(f.getKey());
                key++;
            }
            all.put(FILE_DIR, dir.array());
            return new FwCfg(Map.copyOf(all), List.copyOf(names));
        }
    }
}
