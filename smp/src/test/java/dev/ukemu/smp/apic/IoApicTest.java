package dev.ukemu.smp.apic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IoApicTest {
    static void program(IoApic io, int pin, long entry) {
        io.write(0x00, 4, 0x10 + 2 * pin);
        io.write(0x10, 4, entry & 0xFFFFFFFFL);
        io.write(0x00, 4, 0x11 + 2 * pin);
        io.write(0x10, 4, entry >>> 32);
    }

    @Test
    void versionAndIdRegisters() {
        try (ApicTestBench b = new ApicTestBench(2)) {
            b.ioApic.write(0x00, 4, 1);
            assertEquals(0x170020L, b.ioApic.read(0x10, 4), "24 pins, version 0x20");
            b.ioApic.write(0x00, 4, 0);
            assertEquals(2L << 24, b.ioApic.read(0x10, 4));
        }
    }

    @Test
    void edgePinDeliversOncePerRisingEdge() {
        try (ApicTestBench b = new ApicTestBench(2)) {
            b.x2apicAll();
            program(b.ioApic, 2, (1L << 56) | 0x30); // to APIC 1, fixed, edge
            b.ioApic.setPin(2, true);
            b.ioApic.setPin(2, true);
            LocalApic a1 = b.apics.get(1);
            assertEquals(0x30, a1.acknowledge());
            a1.write(a1.cpu, 0x80B, 0);
            assertEquals(-1, a1.acknowledge(), "no second delivery without a new edge");
        }
    }

    @Test
    void levelPinWaitsForEoiAndRedeliversWhileAsserted() {
        try (ApicTestBench b = new ApicTestBench(1)) {
            b.x2apicAll();
            LocalApic a = b.apics.get(0);
            program(b.ioApic, 9, IoApic.LEVEL | 0x39);
            b.ioApic.setPin(9, true);
            assertTrue((b.ioApic.redirectionEntry(9) & IoApic.REMOTE_IRR) != 0);
            assertEquals(0x39, a.acknowledge());
            a.write(a.cpu, 0x80B, 0); // EOI of a level interrupt is broadcast to the I/O APIC
            assertEquals(0x39, a.acknowledge(), "still asserted: delivered again");
            b.ioApic.setPin(9, false);
            a.write(a.cpu, 0x80B, 0);
            assertFalse(a.interruptPending());
            assertEquals(0, b.ioApic.redirectionEntry(9) & IoApic.REMOTE_IRR);
        }
    }

    @Test
    void maskedPinsDeliverNothingUntilUnmaskedWhileLevelAsserted() {
        try (ApicTestBench b = new ApicTestBench(1)) {
            b.x2apicAll();
            program(b.ioApic, 11, IoApic.MASKED | IoApic.LEVEL | 0x3B);
            b.ioApic.setPin(11, true);
            assertFalse(b.apics.get(0).interruptPending());
            program(b.ioApic, 11, IoApic.LEVEL | 0x3B);
            assertEquals(0x3B, b.apics.get(0).acknowledge());
        }
    }
}
