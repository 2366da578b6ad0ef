package dev.ukemu.devices.misc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ukemu.core.bus.PortBus;
import dev.ukemu.devices.testing.RecordingSystemControl;

import java.util.List;
import org.junit.jupiter.api.Test;

class IsaDebugExitTest {
    private final RecordingSystemControl system = new RecordingSystemControl();

    @Test
    void unikraftShutdownAndCrashValuesReachSystemControl() {
        PortBus ports = new PortBus();
        IsaDebugExit exit = new IsaDebugExit(system);
        ports.register(IsaDebugExit.DEFAULT_PORT, exit.iosize(), exit, "isa-debug-exit");

        ports.write(0x501, 2, 41); // outw(0x501, 41): a clean Unikraft shutdown
        ports.write(0x502, 1, 42); // second port of the pair, byte write
        assertEquals(List.of("debugExit 41", "debugExit 42"), system.events());
        assertEquals(0, ports.read(0x501, 2), "reads return 0 as in QEMU");
    }

    @Test
    void kvmUnitTestsPlacementPassesTheWholeDoubleword() {
        PortBus ports = new PortBus();
        IsaDebugExit exit = new IsaDebugExit(system, IsaDebugExit.KVM_UNIT_TESTS_SIZE);
        ports.register(IsaDebugExit.KVM_UNIT_TESTS_PORT, exit.iosize(), exit, "isa-debug-exit");

        ports.write(0xF4, 4, 0x1234_5678L);
        ports.write(0xF4, 1, 0x1FF); // only the low byte of a byte write
        assertEquals(List.of("debugExit " + 0x1234_5678, "debugExit " + 0xFF), system.events());
        assertEquals(4, exit.iosize());
    }

    @Test
    void sizeMustClaimAtLeastOnePort() {
        assertThrows(IllegalArgumentException.class, () -> new IsaDebugExit(system, 0));
    }
}
