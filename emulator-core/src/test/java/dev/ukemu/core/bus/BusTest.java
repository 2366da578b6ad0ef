package dev.ukemu.core.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BusTest {
    /** Records accesses and answers reads with offset*16+size. */
    static final class Probe implements BusDevice {
        final List<String> log = new ArrayList<>();

        @Override
        public long read(long offset, int size) {
            log.add("r" + offset + "/" + size);
            return offset * 16 + size;
        }

        @Override
        public void write(long offset, int size, long value) {
            log.add("w" + offset + "/" + size + "=" + value);
        }
    }

    @Test
    void devicesSeeOffsetsIntoTheirRange() {
        Bus bus = new Bus("MMIO");
        Probe p = new Probe();
        bus.register(0xFEC00000L, 0x1000, p, "ioapic");
        assertEquals(0x10 * 16 + 4, bus.read(0xFEC00010L, 4));
        bus.write(0xFEC00FFFL, 1, 7);
        assertEquals(List.of("r16/4", "w4095/1=7"), p.log);
    }

    @Test
    void overlappingRangesAreRefused() {
        Bus bus = new Bus("MMIO");
        bus.register(0x1000, 0x100, new Probe(), "a");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bus.register(0x10FF, 0x10, new Probe(), "b"));
        assertTrue(e.getMessage().contains("overlaps a"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> bus.register(0xF00, 0x101, new Probe(), "c"));
        bus.register(0x1100, 0x10, new Probe(), "adjacent is fine");
        bus.register(0xF00, 0x100, new Probe(), "below is fine");
    }

    @Test
    void unclaimedReadsAreAllOnesAndReported() {
        PortBus bus = new PortBus();
        List<Long> seen = new ArrayList<>();
        bus.setUnclaimedAccessListener((b, a, s, w, v) -> seen.add(a));
        assertEquals(0xFF, bus.read(0x1234, 1));
        assertEquals(0xFFFF, bus.read(0x1234, 2));
        assertEquals(0xFFFFFFFFL, bus.read(0x1234, 4));
        bus.write(0x99, 1, 0);
        assertEquals(List.of(0x1234L, 0x1234L, 0x1234L, 0x99L), seen);
    }

    @Test
    void portBusUsesItsTableAndWrapsAt64K() {
        PortBus bus = new PortBus();
        Probe p = new Probe();
        bus.register(0x3F8, 8, p, "uart");
        assertEquals(5 * 16 + 1, bus.read(0x3FD, 1));
        assertEquals(5 * 16 + 1, bus.read(0x1_03FD, 1)); // port numbers are 16 bits
        assertThrows(IllegalArgumentException.class, () -> bus.register(0xFFFF, 2, new Probe(), "past the end"));
        assertThrows(IllegalArgumentException.class, () -> bus.register(0x3FC, 1, new Probe(), "inside"));
    }

    @Test
    void unregisteredRangesBecomeUnclaimedAndCanBeReused() {
        Bus bus = new Bus("MMIO");
        Probe a = new Probe();
        Probe b = new Probe();
        bus.register(0xFEBFC000L, 0x4000, a, "bar");
        assertTrue(!bus.unregister(0xFEBFC000L, b), "only the owner can remove a range");
        assertTrue(!bus.unregister(0xFEBFD000L, a), "ranges are removed by their base");
        assertTrue(bus.unregister(0xFEBFC000L, a));
        assertEquals(0xFFFFFFFFL, bus.read(0xFEBFC000L, 4));
        bus.register(0xFEBFE000L, 0x4000, b, "moved");
        assertEquals(0x10 * 16 + 4, bus.read(0xFEBFE010L, 4));
        assertEquals(List.of("r16/4"), b.log);
        assertEquals(List.of(), a.log);
    }

    @Test
    void lookupsFindTheRightRangeAmongMany() {
        Bus bus = new Bus("MMIO");
        Probe[] probes = new Probe[50];
        for (int i = 0; i < probes.length; i++) {
            probes[i] = new Probe();
            bus.register(0x1000L * (probes.length - i), 0x800, probes[i], "p" + i); // registered out of order
        }
        Probe top = new Probe();
        bus.register(-0x1000L, 0x1000, top, "top of the address space");
        for (int i = 0; i < probes.length; i++) {
            long base = 0x1000L * (probes.length - i);
            assertEquals(0x7FF * 16 + 1, bus.read(base + 0x7FF, 1));
            assertEquals(0xFF, bus.read(base + 0x800, 1));
            assertEquals(1, probes[i].log.size());
        }
        assertEquals(0xFFF * 16 + 1, bus.read(-1L, 1));
        assertEquals(0xFF, bus.read(0, 1));
        assertEquals(51, bus.ranges().size());
    }

    @Test
    void portBusForgetsUnregisteredPorts() {
        PortBus bus = new PortBus();
        Probe p = new Probe();
        bus.register(0xC000, 0x20, p, "virtio legacy");
        assertTrue(bus.unregister(0xC000, p));
        assertEquals(0xFFFF, bus.read(0xC010, 2));
        bus.register(0xC010, 0x20, p, "moved");
        assertEquals(0x10 * 16 + 2, bus.read(0xC020, 2));
        assertEquals(0xFF, bus.read(0xC000, 1));
    }
}
