package dev.ukemu.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class GuestMemoryTest {
    private static long residentKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    @Test
    void untouchedRamCostsNoResidentMemory() throws IOException {
        long before = residentKib();
        try (GuestMemory m = new GuestMemory(MemoryLayout.of(8 * MemoryLayout.GIB))) {
            long after = residentKib();
            assertTrue(after - before < 64 * 1024, "8 GiB of guest RAM made " + (after - before) + " KiB resident");
            m.writeLong(7 * MemoryLayout.GIB, 42);
            assertEquals(42, m.readLong(7 * MemoryLayout.GIB));
            assertEquals(0, m.readLong(6 * MemoryLayout.GIB));
        }
    }

    @Test
    void loaderMayFillRomButNotTheHoles() {
        try (GuestMemory m = new GuestMemory(MemoryLayout.of(64 * MemoryLayout.MIB))) {
            m.load(0xF0000, new byte[] {1, 2, 3});
            assertEquals(2, m.readByte(0xF0001));
            assertThrows(IllegalArgumentException.class, () -> m.load(0xB8000, new byte[4]));
            assertThrows(IllegalArgumentException.class, () -> m.load(64 * MemoryLayout.MIB - 2, new byte[4]));
            assertTrue(m.isLoadable(0x100000, 0x1000));
        }
    }
}
