package dev.ukemu.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryLayoutTest {
    static final long MIB = MemoryLayout.MIB, GIB = MemoryLayout.GIB;

    @Test
    void sizesParseAsUsersWriteThem() {
        assertEquals(953 * MIB, MemoryLayout.parseSize("953M"));
        assertEquals(GIB, MemoryLayout.parseSize("1G"));
        assertEquals(GIB, MemoryLayout.parseSize("1g"));
        assertEquals(128 * MIB, MemoryLayout.parseSize("128"));
        assertEquals(512 * 1024, MemoryLayout.parseSize("512K"));
        assertEquals(3 * GIB / 2, MemoryLayout.parseSize("1.5G"));
        assertEquals(2 * GIB, MemoryLayout.parseSize("2GiB"));
        for (String bad : new String[] {"", "abc", "12Q", "M", "-1", "1..5G"}) {
            assertThrows(IllegalArgumentException.class, () -> MemoryLayout.parseSize(bad), bad);
        }
    }

    @Test
    void smallMachinesAreContiguousBelow4G() {
        MemoryLayout l = MemoryLayout.of(128 * MIB);
        assertEquals(128 * MIB, l.belowFourG());
        assertEquals(0, l.aboveFourG());
        assertTrue(l.isRam(0x500));
        assertFalse(l.isRam(0xB8000), "VGA window");
        assertFalse(l.isRam(0xF0000), "BIOS ROM is not writable RAM");
        assertTrue(MemoryLayout.isBiosRom(0xF0000));
        assertTrue(l.isRam(128 * MIB - 1));
        assertFalse(l.isRam(128 * MIB));
        assertEquals(639, l.memLowerKib());
        assertEquals((128 * MIB - 128 * 1024 - MemoryLayout.HIGH_MEMORY) / 1024, l.memUpperKib(), "as QEMU with SeaBIOS: 129920");
    }

    @Test
    void largeMachinesSplitAroundThePciHoleAsQemuDoes() {
        MemoryLayout l = MemoryLayout.of(4 * GIB);
        assertEquals(3 * GIB, l.belowFourG());
        assertEquals(GIB, l.aboveFourG());
        assertFalse(l.isRam(0xE0000000L));
        assertTrue(l.isRam(MemoryLayout.FOUR_G));
        assertEquals(5 * GIB, l.backingSize());
        MemoryLayout justBelow = MemoryLayout.of(0xDFF00000L);
        assertEquals(0xDFF00000L, justBelow.belowFourG());
    }

    @Test
    void firmwareMapCoversRamAndReservesTheBiosArea() {
        MemoryLayout l = MemoryLayout.of(4 * GIB);
        List<MemoryLayout.Region> map = l.firmwareMap();
        long ram = map.stream().filter(r -> r.type() == MemoryLayout.Region.RAM).mapToLong(MemoryLayout.Region::length).sum();
        // All RAM but the EBDA, the VGA/ROM window between 640 KiB and 1 MiB and the firmware's
        // top 128 KiB below the PCI hole is reported.
        assertEquals(4 * GIB - (MemoryLayout.HIGH_MEMORY - MemoryLayout.EBDA_START) - MemoryLayout.FIRMWARE_TOP_RESERVED, ram);
        for (int k = 1; k < map.size(); k++) {
            assertTrue(map.get(k - 1).base() + map.get(k - 1).length() <= map.get(k).base(), "sorted, disjoint");
        }
        assertTrue(map.stream().anyMatch(r -> r.base() == MemoryLayout.BIOS_START && r.type() == MemoryLayout.Region.RESERVED));
        assertTrue(map.stream().anyMatch(r -> r.base() == 3 * GIB - 128 * 1024 && r.length() == 128 * 1024
                && r.type() == MemoryLayout.Region.RESERVED), "a reserved entry right after the last low RAM page");
    }

    @Test
    void tooLittleRamIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> MemoryLayout.of(0));
        assertThrows(IllegalArgumentException.class, () -> MemoryLayout.of(MIB));
    }

    @Test
    void ramRangesStopAtTheHoles() {
        MemoryLayout small = MemoryLayout.of(128 * MIB);
        assertTrue(small.isRamRange(0x1000, 0x1000));
        assertTrue(small.isRamRange(0x9F000, 0x1000));
        assertFalse(small.isRamRange(0x9F000, 0x1001), "runs into the VGA window");
        assertFalse(small.isRamRange(0xBFFFF, 2));
        assertTrue(small.isRamRange(0xC0000, 0x20000));
        assertFalse(small.isRamRange(0xDFFFF, 2), "runs into the BIOS");
        assertTrue(small.isRamRange(0x100000, 127 * MIB));
        assertFalse(small.isRamRange(0x100000, 127 * MIB + 1), "past the top of RAM");
        assertFalse(small.isRamRange(-1, 1));
        assertFalse(small.isRamRange(0x1000, -1));
        assertFalse(small.isRamRange(Long.MAX_VALUE, 2), "wraps around");
        assertTrue(small.isRamRange(0xA0000, 0), "empty");
        MemoryLayout big = MemoryLayout.of(4 * 1024 * MIB);
        assertFalse(big.isRamRange(0xBFFFF000L, 0x2000), "runs into the PCI hole");
        assertTrue(big.isRamRange(0x1_0000_0000L, 1024 * MIB));
        assertFalse(big.isRamRange(0x1_0000_0000L, 1024 * MIB + 1));
    }
}
