package dev.ukemu.devices.misc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.bus.PortBus;
import dev.ukemu.devices.testing.RecordingIrqLine;
import dev.ukemu.devices.testing.RecordingSystemControl;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Port 0x92 and the PIIX reset control register at 0xCF9, as reboot code uses them. */
class ResetPortsTest {
    private final RecordingSystemControl system = new RecordingSystemControl();
    private final RecordingIrqLine a20 = new RecordingIrqLine();
    private final Port92 port92 = new Port92(system, a20);
    private final ResetControl rcr = new ResetControl(system);
    private final PortBus ports = new PortBus();

    ResetPortsTest() {
        ports.register(Port92.PORT, Port92.SIZE, port92, "port 92");
        ports.register(ResetControl.PORT, ResetControl.SIZE, rcr, "rcr");
    }

    @Test
    void port92StartsWithA20OnAndDrivesTheGate() {
        assertEquals(Port92.A20, ports.read(0x92, 1));
        ports.write(0x92, 1, 0x00);
        assertFalse(a20.level());
        ports.write(0x92, 1, Port92.A20);
        assertTrue(a20.level());
        assertEquals(List.of(), system.events());
    }

    @Test
    void port92ResetsOnARisingBit0() {
        ports.write(0x92, 1, Port92.A20 | Port92.FAST_RESET);
        assertEquals(List.of("reset port 0x92 fast reset"), system.events());
        ports.write(0x92, 1, Port92.A20 | Port92.FAST_RESET);
        assertEquals(1, system.events().size(), "bit 0 already set: no new edge");
        port92.reset();
        assertEquals(Port92.A20, ports.read(0x92, 1), "the machine reset clears bit 0");
        ports.write(0x92, 1, Port92.FAST_RESET);
        assertEquals(2, system.events().size());
    }

    @Test
    void resetControlKeepsTheResetTypeAndResetsOnRstCpu() {
        ports.write(0xCF9, 1, ResetControl.SYS_RST | ResetControl.FULL_RST);
        assertEquals(ResetControl.SYS_RST, ports.read(0xCF9, 1));
        assertEquals(List.of(), system.events());
        ports.write(0xCF9, 1, 0x06);
        ports.write(0xCF9, 1, 0x0E);
        ports.write(0xCF9, 1, 0x04);
        assertEquals(List.of("reset reset control register 0xCF9", "reset reset control register 0xCF9",
                "reset reset control register 0xCF9"), system.events());
        rcr.reset();
        assertEquals(0, ports.read(0xCF9, 1));
    }
}
