package dev.ukemu.devices.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.irq.IrqLine;
import dev.ukemu.devices.acpi.AcpiPm;
import dev.ukemu.devices.misc.ResetControl;
import dev.ukemu.devices.pic.DualPic;
import dev.ukemu.devices.testing.RecordingIrqLine;
import dev.ukemu.devices.testing.RecordingSystemControl;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Configuration mechanism #1, BAR sizing and placement, capabilities and the PC's three functions. */
class PciTest {
    private final PortBus ports = new PortBus();
    private final Bus mmio = new Bus("MMIO");
    private final PciBus bus = new PciBus(ports, mmio);
    private final RecordingSystemControl system = new RecordingSystemControl();
    private final RecordingIrqLine[] isa = new RecordingIrqLine[16];
    private final DualPic pic = new DualPic(IrqLine.none());
    private final AcpiPm acpiPm = new AcpiPm(system, () -> 0L);
    private final Piix3IsaBridge piix3;
    private final Piix4Pm pm;

    /** A function with one BAR of each kind and a vendor capability. */
    static final class TestFunction extends PciDevice {
        final List<String> log = new ArrayList<>();
        final BusDevice io = region("io");
        final BusDevice mem32 = region("mem32");
        final BusDevice mem64 = region("mem64");

        TestFunction() {
            super("test", 0x1234, 0x5678, 7, 0x020000, HEADER_TYPE_NORMAL);
            defineBar(0, new Bar(BarKind.IO, 0x20, false, io, "io"));
            defineBar(1, new Bar(BarKind.MEMORY32, 0x1000, false, mem32, "mem32"));
            defineBar(4, new Bar(BarKind.MEMORY64, 0x4000, true, mem64, "mem64"));
            setByte(INTERRUPT_PIN, INTERRUPT_PIN_A);
            addCapability(0x09, 0x40, 16);
            addCapability(0x09, 0x50, 16);
            setByte(0x52, 0x77);
        }

        BusDevice region(String name) {
            return new BusDevice() {
                @Override
                public long read(long offset, int size) {
                    log.add(name + " r" + offset);
                    return 0x5A;
                }

                @Override
                public void write(long offset, int size, long value) {
                    log.add(name + " w" + offset + "=" + value);
                }
            };
        }

        void raise(boolean level) {
            setIntx(level);
        }
    }

    PciTest() {
        for (int i = 0; i < 16; i++) {
            isa[i] = new RecordingIrqLine();
        }
        ports.register(PciHost.PORT, PciHost.SIZE, new PciHost(bus, new ResetControl(system)), "PCI host");
        ports.register(DualPic.ELCR_PORT, DualPic.ELCR_SIZE, pic.elcrPorts(), "ELCR");
        bus.attach(0, new I440fxHostBridge());
        piix3 = new Piix3IsaBridge(n -> isa[n]);
        bus.attach(PciBus.devfn(1, 0), piix3);
        bus.setIntxRouter(piix3);
        pm = new Piix4Pm(ports, acpiPm, AcpiPm.SIZE);
        bus.attach(PciBus.devfn(1, 3), pm);
    }

    private static long address(int busNo, int slot, int fn, int reg) {
        return 0x80000000L | busNo << 16 | slot << 11 | fn << 8 | reg & 0xFC;
    }

    private long cfgRead(int slot, int fn, int reg, int size) {
        ports.write(0xCF8, 4, address(0, slot, fn, reg));
        return ports.read(0xCFC + (reg & 3), size);
    }

    private void cfgWrite(int slot, int fn, int reg, int size, long v) {
        ports.write(0xCF8, 4, address(0, slot, fn, reg));
        ports.write(0xCFC + (reg & 3), size, v);
    }

    @Test
    void theThreePcFunctionsIdentifyThemselvesAsUnderQemu() {
        assertEquals(0x12378086L, cfgRead(0, 0, 0, 4));
        assertEquals(0x060000, cfgRead(0, 0, 0x08, 4) >>> 8);
        assertEquals(0x02, cfgRead(0, 0, 0x08, 1), "i440FX revision");
        assertEquals(0x00, cfgRead(0, 0, 0x0E, 1));
        assertEquals(0x70008086L, cfgRead(1, 0, 0, 4));
        assertEquals(0x0601, cfgRead(1, 0, 0x0A, 2));
        assertEquals(0x80, cfgRead(1, 0, 0x0E, 1), "PIIX3 is multi-function");
        assertEquals(0x71138086L, cfgRead(1, 3, 0, 4));
        assertEquals(0x0680, cfgRead(1, 3, 0x0A, 2));
        assertEquals(0x03, cfgRead(1, 3, 0x08, 1));
        assertEquals(1, cfgRead(1, 3, 0x3D, 1), "PM has INTA");
        assertEquals(0x11001AF4L, cfgRead(1, 0, 0x2C, 4), "QEMU's default subsystem");
    }

    @Test
    void absentFunctionsBusesAndADisabledAddressReadAllOnes() {
        assertEquals(0xFFFFFFFFL, cfgRead(2, 0, 0, 4));
        assertEquals(0xFFFF, cfgRead(1, 1, 0, 2));
        assertEquals(0xFF, cfgRead(31, 7, 0x3C, 1));
        ports.write(0xCF8, 4, address(1, 0, 0, 0));
        assertEquals(0xFFFFFFFFL, ports.read(0xCFC, 4), "no bus 1");
        ports.write(0xCF8, 4, address(0, 0, 0, 0) & ~0x80000000L);
        assertEquals(0xFFFFFFFFL, ports.read(0xCFC, 4), "enable bit clear");
        ports.write(0xCFC, 4, 0); // dropped
        assertEquals(address(0, 0, 0, 0) & ~0x80000000L, ports.read(0xCF8, 4), "CONFIG_ADDRESS reads back");
        cfgWrite(2, 0, 0x04, 2, 7); // to nobody: no failure
    }

    @Test
    void dataPortAnswersBytesWordsAndDwordsAtEachOffset() {
        assertEquals(0x86, cfgRead(0, 0, 0, 1));
        assertEquals(0x80, cfgRead(0, 0, 1, 1));
        assertEquals(0x37, cfgRead(0, 0, 2, 1));
        assertEquals(0x12, cfgRead(0, 0, 3, 1));
        assertEquals(0x1237, cfgRead(0, 0, 2, 2));
        assertEquals(0x3780, cfgRead(0, 0, 1, 2));
        cfgWrite(0, 0, 0x3C, 1, 0xAB);
        assertEquals(0xAB, cfgRead(0, 0, 0x3C, 1));
        cfgWrite(0, 0, 0x0C, 1, 0x10); // cache line size is writable
        assertEquals(0x10, cfgRead(0, 0, 0x0C, 1));
        cfgWrite(0, 0, 0x00, 4, 0); // IDs are read-only
        assertEquals(0x12378086L, cfgRead(0, 0, 0, 4));
    }

    @Test
    void port0Cf9ByteAccessesReachTheResetControl() {
        ports.write(0xCF8, 4, 0x80000000L);
        ports.write(0xCF9, 1, ResetControl.SYS_RST);
        assertEquals(ResetControl.SYS_RST, ports.read(0xCF9, 1));
        assertEquals(0x80000000L, ports.read(0xCF8, 4), "the address register is untouched");
        ports.write(0xCF9, 1, 0x06);
        assertEquals(List.of("reset reset control register 0xCF9"), system.events());
    }

    @Test
    void barSizingReturnsTheSizeMaskAndTheTypeBits() {
        TestFunction f = new TestFunction();
        bus.attach(PciBus.devfn(3, 0), f);
        cfgWrite(3, 0, 0x10, 4, 0xFFFFFFFFL);
        assertEquals(0xFFFFFFE1L, cfgRead(3, 0, 0x10, 4), "32-byte I/O BAR");
        cfgWrite(3, 0, 0x14, 4, 0xFFFFFFFFL);
        assertEquals(0xFFFFF000L, cfgRead(3, 0, 0x14, 4), "4 KiB 32-bit memory BAR");
        cfgWrite(3, 0, 0x20, 4, 0xFFFFFFFFL);
        cfgWrite(3, 0, 0x24, 4, 0xFFFFFFFFL);
        assertEquals(0xFFFFC00CL, cfgRead(3, 0, 0x20, 4), "16 KiB 64-bit prefetchable BAR");
        assertEquals(0xFFFFFFFFL, cfgRead(3, 0, 0x24, 4), "upper half sizes as all ones");
        cfgWrite(3, 0, 0x18, 4, 0xFFFFFFFFL);
        assertEquals(0, cfgRead(3, 0, 0x18, 4), "unimplemented BAR");
        cfgWrite(3, 0, 0x30, 4, 0xFFFFFFFFL);
        assertEquals(0, cfgRead(3, 0, 0x30, 4), "no expansion ROM");
        assertEquals(PciDevice.UNMAPPED, f.barAddress(0), "decoding is off");
    }

    @Test
    void capabilityListWalksFromThePointerToTheEnd() {
        bus.attach(PciBus.devfn(3, 0), new TestFunction());
        assertTrue((cfgRead(3, 0, 0x06, 2) & PciDevice.STATUS_CAP_LIST) != 0);
        List<Integer> seen = new ArrayList<>();
        int p = (int) cfgRead(3, 0, 0x34, 1);
        while (p != 0 && seen.size() < 48) {
            seen.add(p);
            assertEquals(0x09, cfgRead(3, 0, p, 1));
            p = (int) cfgRead(3, 0, p + 1, 1);
        }
        assertEquals(List.of(0x50, 0x40), seen, "the newest capability comes first, as in QEMU");
        cfgWrite(3, 0, 0x52, 1, 0);
        assertEquals(0x77, cfgRead(3, 0, 0x52, 1), "capability bodies are read-only");
        assertFalse((cfgRead(1, 0, 0x06, 2) & PciDevice.STATUS_CAP_LIST) != 0);
    }

    @Test
    void barsAreMappedWhileDecodingIsOnAndFollowTheGuest() {
        TestFunction f = new TestFunction();
        bus.attach(PciBus.devfn(3, 0), f);
        cfgWrite(3, 0, 0x10, 4, 0xC001);
        cfgWrite(3, 0, 0x14, 4, 0xFEBF0000L);
        cfgWrite(3, 0, 0x20, 4, 0xFEBF8000L);
        cfgWrite(3, 0, 0x24, 4, 0);
        assertEquals(0xFFFF, ports.read(0xC000, 2), "I/O decoding off");
        cfgWrite(3, 0, 0x04, 2, PciDevice.COMMAND_IO);
        assertEquals(0x5A, ports.read(0xC010, 1));
        assertEquals(0xFFFFFFFFL, mmio.read(0xFEBF0000L, 4), "memory decoding off");
        cfgWrite(3, 0, 0x04, 2, PciDevice.COMMAND_IO | PciDevice.COMMAND_MEMORY);
        mmio.write(0xFEBF0004L, 4, 9);
        mmio.write(0xFEBF8010L, 4, 3);
        assertEquals(List.of("io r16", "mem32 w4=9", "mem64 w16=3"), f.log);
        // Moving the BARs moves the ranges; the old ones become unclaimed.
        cfgWrite(3, 0, 0x10, 4, 0xD001);
        cfgWrite(3, 0, 0x20, 4, 0x0);
        cfgWrite(3, 0, 0x24, 4, 0x1);
        assertEquals(0xFF, ports.read(0xC010, 1));
        assertEquals(0x5A, ports.read(0xD010, 1));
        assertEquals(0x1_0000_0000L, bus.mappedAddress(PciBus.devfn(3, 0), 4), "a 64-bit BAR above 4 GiB");
        assertEquals(0xFFFFFFFFL, mmio.read(0xFEBF8010L, 4));
        // Sizing with decoding on unmaps (all ones is not a valid address) and restores.
        cfgWrite(3, 0, 0x14, 4, 0xFFFFFFFFL);
        assertEquals(PciDevice.UNMAPPED, bus.mappedAddress(PciBus.devfn(3, 0), 1));
        cfgWrite(3, 0, 0x14, 4, 0xFEBF0000L);
        assertEquals(0xFEBF0000L, bus.mappedAddress(PciBus.devfn(3, 0), 1));
        cfgWrite(3, 0, 0x04, 2, 0);
        assertEquals(PciDevice.UNMAPPED, bus.mappedAddress(PciBus.devfn(3, 0), 0));
        assertEquals(0xFF, ports.read(0xD010, 1));
    }

    @Test
    void aBarOverlappingAnotherDeviceStaysDark() {
        TestFunction f = new TestFunction();
        bus.attach(PciBus.devfn(3, 0), f);
        List<String> conflicts = new ArrayList<>();
        bus.setConflictListener((d, b, a, why) -> conflicts.add(d.name() + " " + b));
        cfgWrite(3, 0, 0x10, 4, 0xCF8 | 1); // the config ports themselves
        cfgWrite(3, 0, 0x04, 2, PciDevice.COMMAND_IO);
        assertEquals(List.of("test 0"), conflicts);
        assertEquals(PciDevice.UNMAPPED, bus.mappedAddress(PciBus.devfn(3, 0), 0));
        assertEquals(0x12378086L, cfgRead(0, 0, 0, 4), "the config ports still work");
    }

    @Test
    void firmwareSetupMatchesSeaBios() {
        TestFunction nic = new TestFunction();
        bus.attach(PciBus.devfn(3, 0), nic);
        PciFirmware.setup(bus, ports, 128L << 20, 0);
        assertEquals(0xC001, cfgRead(3, 0, 0x10, 4), "I/O from 0xC000");
        // The region with the smaller alignment goes on top (4 KiB non-prefetchable), the 16 KiB
        // prefetchable region below it, aligned down.
        assertEquals(0xFEBFF000L, cfgRead(3, 0, 0x14, 4));
        assertEquals(0xFEBF800CL, cfgRead(3, 0, 0x20, 4));
        assertEquals(0, cfgRead(3, 0, 0x24, 4));
        assertEquals(11, cfgRead(3, 0, 0x3C, 1), "slot 3 INTA is PIRQC, IRQ 11");
        int cmd = (int) cfgRead(3, 0, 0x04, 2);
        assertEquals(PciDevice.COMMAND_IO | PciDevice.COMMAND_MEMORY | PciDevice.COMMAND_MASTER | PciDevice.COMMAND_SERR, cmd);
        assertEquals(0x0B0B0A0AL, cfgRead(1, 0, 0x60, 4), "PIRQ A-D to 10, 10, 11, 11");
        assertEquals(0x0C, ports.read(0x4D1, 1), "IRQ 10 and 11 level-triggered");
        assertEquals(0x00, ports.read(0x4D0, 1));
        assertEquals(9, cfgRead(1, 3, 0x3C, 1));
        assertEquals(0x601, cfgRead(1, 3, 0x40, 4));
        assertEquals(1, cfgRead(1, 3, 0x80, 1));
        assertEquals(0x600, pm.pmBase());
        assertEquals(0x5A, ports.read(0xC000, 1));
        assertEquals(0x5A, mmio.read(0xFEBF8000L, 1));
    }

    @Test
    void firmwarePutsSixtyFourBitBarsAboveRamWhenTheWindowIsFull() {
        TestFunction nic = new TestFunction();
        bus.attach(PciBus.devfn(3, 0), nic);
        // RAM reaching almost to the window leaves room for the 4 KiB BAR only.
        PciFirmware.setup(bus, ports, 0xFEBFE000L, 1L << 30);
        assertEquals(0x1_4000_0000L, bus.mappedAddress(PciBus.devfn(3, 0), 4), "after RAM above 4 GiB, 1 GiB aligned");
        assertEquals(0xFEBFF000L, bus.mappedAddress(PciBus.devfn(3, 0), 1));
    }

    @Test
    void intxReachesTheIsaIrqThroughThePirqRoute() {
        TestFunction nic = new TestFunction();
        bus.attach(PciBus.devfn(3, 0), nic);
        nic.raise(true);
        assertFalse(isa[11].level(), "PIRQs are not routed until the firmware says so");
        assertTrue((cfgRead(3, 0, 0x06, 2) & PciDevice.STATUS_INTERRUPT) != 0, "status shows the pending INTx");
        PciFirmware.setup(bus, ports, 128L << 20, 0);
        assertTrue(isa[11].level(), "routing an asserted PIRQ raises its IRQ");
        nic.raise(false);
        assertFalse(isa[11].level());
        assertFalse((cfgRead(3, 0, 0x06, 2) & PciDevice.STATUS_INTERRUPT) != 0);
        cfgWrite(3, 0, 0x04, 2, cfgRead(3, 0, 0x04, 2) | PciDevice.COMMAND_INTX_DISABLE);
        nic.raise(true);
        assertFalse(isa[11].level(), "Interrupt Disable masks the pin");
        cfgWrite(3, 0, 0x04, 2, cfgRead(3, 0, 0x04, 2) & ~PciDevice.COMMAND_INTX_DISABLE);
        assertTrue(isa[11].level());
        cfgWrite(1, 0, 0x62, 1, 5);
        assertFalse(isa[11].level(), "re-routing moves the level");
        assertTrue(isa[5].level());
        cfgWrite(1, 0, 0x62, 1, 0x80);
        assertFalse(isa[5].level());
        assertEquals(2, Piix3IsaBridge.pirq(PciBus.devfn(3, 0), 0));
        assertEquals(3, Piix3IsaBridge.pirq(PciBus.devfn(4, 0), 0));
        assertEquals(0, Piix3IsaBridge.pirq(PciBus.devfn(4, 0), 1));
    }

    @Test
    void pmBlockMovesWithPmbaAndObeysItsEnable() {
        PciFirmware.setup(bus, ports, 128L << 20, 0);
        ports.write(0x604, 2, 0x2000);
        assertEquals(List.of("powerOff"), system.events());
        cfgWrite(1, 3, 0x40, 4, 0xB001);
        assertEquals(0xB001, cfgRead(1, 3, 0x40, 4));
        assertEquals(0xFFFF, ports.read(0x600, 2));
        ports.write(0xB004, 2, 0x2000);
        assertEquals(2, system.events().size());
        cfgWrite(1, 3, 0x80, 1, 0);
        assertEquals(PciDevice.UNMAPPED, pm.pmBase());
        assertEquals(0xFFFF, ports.read(0xB000, 2));
    }

    @Test
    void resetTurnsDecodingOffAndClearsTheBars() {
        TestFunction nic = new TestFunction();
        bus.attach(PciBus.devfn(3, 0), nic);
        PciFirmware.setup(bus, ports, 128L << 20, 0);
        for (PciDevice d : bus.devices()) {
            d.reset();
        }
        assertEquals(1, cfgRead(3, 0, 0x10, 4));
        assertEquals(0, cfgRead(3, 0, 0x04, 2));
        assertEquals(0xFF, ports.read(0xC000, 1));
        assertEquals(0x80808080L, cfgRead(1, 0, 0x60, 4));
        assertEquals(PciDevice.UNMAPPED, pm.pmBase());
    }
}
