package dev.ukemu.devices.misc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.devices.testing.RecordingSystemControl;

import java.util.List;
import org.junit.jupiter.api.Test;

class PvPanicTest {
    private final RecordingSystemControl system = new RecordingSystemControl();
    private final PvPanic pvpanic = new PvPanic(system);

    @Test
    void readAdvertisesPanickedAndCrashLoaded() {
        assertEquals(0x03, pvpanic.read(0, 1));
    }

    @Test
    void panickedBitPanicsTheMachine() {
        pvpanic.write(0, 1, 1); // outb(0x505, 1) from Unikraft's crash path
        assertEquals(List.of("panic guest panicked (pvpanic)"), system.events());
        assertFalse(pvpanic.crashLoaded());
    }

    @Test
    void crashLoadedIsOnlyRecorded() {
        pvpanic.write(0, 1, PvPanic.CRASH_LOADED);
        assertEquals(List.of(), system.events());
        assertTrue(pvpanic.crashLoaded());
    }

    @Test
    void panickedWinsOverCrashLoadedAndUnknownBitsAreIgnored() {
        pvpanic.write(0, 1, 0x80);
        assertEquals(List.of(), system.events());
        pvpanic.write(0, 1, PvPanic.PANICKED | PvPanic.CRASH_LOADED);
        assertEquals(List.of("panic " + PvPanic.PANIC_MESSAGE), system.events());
        assertFalse(pvpanic.crashLoaded());
    }
}
