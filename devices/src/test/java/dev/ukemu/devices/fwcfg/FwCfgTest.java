package dev.ukemu.devices.fwcfg;

import static dev.ukemu.devices.fwcfg.FwCfg.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ukemu.core.bus.PortBus;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reads fw_cfg through ports 0x510/0x511 the way SeaBIOS and Linux's qemu_fw_cfg driver do. */
class FwCfgTest {
    private final PortBus ports = new PortBus();

    private FwCfg install(FwCfg cfg) {
        ports.register(PORT, SIZE, cfg, "fw_cfg");
        return cfg;
    }

    private void select(int key) {
        ports.write(0x510, 2, key);
    }

    private byte[] readBytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ports.read(0x511, 1);
        }
        return b;
    }

    private ByteBuffer readItem(int key, int n, ByteOrder order) {
        select(key);
        return ByteBuffer.wrap(readBytes(n)).order(order);
    }

    /** The file directory, name to {selector, size}. */
    private Map<String, int[]> directory() {
        ByteBuffer count = readItem(FILE_DIR, 4, ByteOrder.BIG_ENDIAN);
        int n = count.getInt();
        Map<String, int[]> files = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            ByteBuffer e = ByteBuffer.wrap(readBytes(64)).order(ByteOrder.BIG_ENDIAN);
            int size = e.getInt();
            int sel = e.getShort() & 0xFFFF;
            e.getShort();
            byte[] name = new byte[56];
            e.get(name);
            int len = 0;
            while (len < 56 && name[len] != 0) {
                len++;
            }
            files.put(new String(name, 0, len, StandardCharsets.UTF_8), new int[] {sel, size});
        }
        return files;
    }

    @Test
    void signatureAndFeatureBitsWithoutDma() {
        install(FwCfg.builder().build());
        select(SIGNATURE);
        assertEquals("QEMU", new String(readBytes(4), StandardCharsets.US_ASCII));
        assertEquals(FEATURE_TRADITIONAL, readItem(ID, 4, ByteOrder.LITTLE_ENDIAN).getInt());
        assertEquals(0xFFFF_FFFFL, ports.read(0x514, 4), "no DMA port");
    }

    @Test
    void reselectingStartsOverAndReadsPastTheEndAreZero() {
        install(FwCfg.builder().build());
        select(SIGNATURE);
        assertEquals('Q', ports.read(0x511, 1));
        assertEquals('E', ports.read(0x510, 1), "a byte read of the selector port reads data too");
        select(SIGNATURE);
        readBytes(4);
        assertArrayEquals(new byte[4], readBytes(4));
        select(SIGNATURE);
        assertEquals('Q', ports.read(0x511, 1));
        assertEquals(0xFFFF, ports.read(0x510, 2), "only byte reads are accepted");
    }

    @Test
    void machineValuesAreLittleEndian() {
        install(FwCfg.builder().cpus(2, 4).ramSize(512L << 20).noGraphic(true).build());
        assertEquals(2, readItem(NB_CPUS, 2, ByteOrder.LITTLE_ENDIAN).getShort());
        assertEquals(4, readItem(MAX_CPUS, 2, ByteOrder.LITTLE_ENDIAN).getShort());
        assertEquals(512L << 20, readItem(RAM_SIZE, 8, ByteOrder.LITTLE_ENDIAN).getLong());
        assertEquals(1, readItem(NOGRAPHIC, 2, ByteOrder.LITTLE_ENDIAN).getShort());
        assertEquals(1, readItem(IRQ0_OVERRIDE, 4, ByteOrder.LITTLE_ENDIAN).getInt());
        assertArrayEquals(new byte[16], readItem(UUID, 16, ByteOrder.BIG_ENDIAN).array());
    }

    @Test
    void unknownKeysReadAsZero() {
        install(FwCfg.builder().build());
        select(0x3FFF);
        assertArrayEquals(new byte[4], readBytes(4));
        select(KERNEL_CMDLINE);
        assertArrayEquals(new byte[2], readBytes(2));
        select(0x7123);
        assertEquals(0x7123, ((FwCfg) ports.find(0x510).device()).selected());
    }

    @Test
    void fileDirectoryListsFilesByNameFrom0x20() {
        install(FwCfg.builder()
                .file("opt/ukemu/zzz", new byte[] {9})
                .file("etc/boot-fail-wait", new byte[] {0x10, 0x27, 0, 0})
                .e820(0, 0x9FC00, E820_RAM)
                .e820(0x100000, (512L << 20) - 0x100000, E820_RAM)
                .build());
        Map<String, int[]> dir = directory();
        assertEquals(List.of("etc/boot-fail-wait", "etc/e820", "opt/ukemu/zzz"), List.copyOf(dir.keySet()));
        assertArrayEquals(new int[] {0x20, 4}, dir.get("etc/boot-fail-wait"));
        assertArrayEquals(new int[] {0x21, 40}, dir.get("etc/e820"));
        assertArrayEquals(new int[] {0x22, 1}, dir.get("opt/ukemu/zzz"));
        ByteBuffer e820 = readItem(0x21, 40, ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, e820.getLong());
        assertEquals(0x9FC00, e820.getLong());
        assertEquals(E820_RAM, e820.getInt());
        assertEquals(0x100000, e820.getLong());
        assertEquals((512L << 20) - 0x100000, e820.getLong());
        assertEquals(E820_RAM, e820.getInt());
        assertEquals(9, readItem(0x22, 1, ByteOrder.LITTLE_ENDIAN).get());
    }

    @Test
    void kernelCommandLineIsNulTerminated() {
        install(FwCfg.builder().kernelCommandLine("console=ttyS0", 0x20000).build());
        assertEquals(14, readItem(CMDLINE_SIZE, 4, ByteOrder.LITTLE_ENDIAN).getInt());
        assertEquals(0x20000, readItem(CMDLINE_ADDR, 4, ByteOrder.LITTLE_ENDIAN).getInt());
        select(CMDLINE_DATA);
        assertEquals("console=ttyS0\0", new String(readBytes(14), StandardCharsets.US_ASCII));
    }

    @Test
    void dataWritesAreIgnoredAndResetReselectsTheSignature() {
        FwCfg cfg = install(FwCfg.builder().ramSize(1 << 20).build());
        select(RAM_SIZE);
        ports.write(0x511, 1, 0x55);
        assertEquals(0, ports.read(0x511, 1), "first byte of 1 MiB, unchanged");
        cfg.reset();
        assertEquals('Q', ports.read(0x511, 1));
    }

    @Test
    void builderRejectsWhatTheDeviceManages() {
        assertThrows(IllegalArgumentException.class, () -> FwCfg.builder().item(FILE_DIR, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> FwCfg.builder().item(SIGNATURE, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> FwCfg.builder().item(0x25, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> FwCfg.builder().file("x".repeat(56), new byte[1]));
        assertThrows(IllegalArgumentException.class,
                () -> FwCfg.builder().file("a", new byte[1]).file("a", new byte[1]));
        FwCfg.builder().item(E820_TABLE, new byte[4]).build(); // arch-local keys are the machine's
    }
}
