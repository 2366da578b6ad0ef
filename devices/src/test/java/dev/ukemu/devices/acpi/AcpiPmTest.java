package dev.ukemu.devices.acpi;

import static dev.ukemu.devices.acpi.AcpiPm.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.bus.PortBus;
import dev.ukemu.devices.testing.RecordingIrqLine;
import dev.ukemu.devices.testing.RecordingSystemControl;

import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

class AcpiPmTest {
    /** A clock the test moves by hand; starts far from zero to check the origin is taken. */
    private long now = 5_000_000_000L;
    private final RecordingSystemControl system = new RecordingSystemControl();
    private final RecordingIrqLine sci = new RecordingIrqLine();
    private final AcpiPm pm = new AcpiPm(system, () -> now, sci);
    private final PortBus ports = new PortBus();

    AcpiPmTest() {
        ports.register(DEFAULT_BASE, SIZE, pm, "piix4-pm");
    }

    @Test
    void unikraftPowerOffWriteCallsPowerOff() {
        ports.write(0x604, 2, 0x2000);
        assertEquals(List.of("powerOff"), system.events());
        assertEquals(0, ports.read(0x604, 2) & SLP_EN, "SLP_EN reads back as 0");
    }

    @Test
    void otherControlValuesDoNotPowerOff() {
        ports.write(0x604, 2, 0x0001);                           // SCI_EN only
        ports.write(0x604, 2, SLP_TYP_S5 << SLP_TYP_SHIFT);      // type without SLP_EN
        ports.write(0x604, 2, SLP_EN | (SLP_TYP_S3 << SLP_TYP_SHIFT)); // S3: unsupported
        ports.write(0x604, 2, SLP_EN | (5 << SLP_TYP_SHIFT));    // undefined type
        assertEquals(List.of(), system.events());
        assertEquals(5 << SLP_TYP_SHIFT, ports.read(0x604, 2), "the written type is kept");
    }

    @Test
    void s4IsTurnedIntoAShutdownAsInQemu() {
        ports.write(0x604, 2, SLP_EN | (SLP_TYP_S4 << SLP_TYP_SHIFT));
        assertEquals(List.of("powerOff"), system.events());
    }

    @Test
    void byteWriteToTheHighHalfOfControlAlsoPowersOff() {
        ports.write(0x604, 1, SCI_EN);
        ports.write(0x605, 1, 0x20);
        assertEquals(List.of("powerOff"), system.events());
        assertEquals(SCI_EN, ports.read(0x604, 2));
    }

    @Test
    void pmTimerCountsAt3579545HzFromConstruction() {
        assertEquals(0, ports.read(0x608, 4));
        now += 1_000_000_000L;
        assertEquals(3_579_545, ports.read(0x608, 4));
        now += 1_000L; // 1 µs = 3.58 ticks
        assertEquals(3_579_548, ports.read(0x608, 4));
        now += 279L; // 1279 ns after the second: 4.578 ticks, floor 4
        assertEquals(3_579_549, ports.read(0x608, 4));
    }

    @Test
    void pmTimerWrapsAt24Bits() {
        // 2^24 ticks take 16777216 / 3579545 s = 4.686... s.
        long wrapNanos = (1L << 24) * 1_000_000_000L / PM_TIMER_HZ + 1;
        now += wrapNanos;
        long value = ports.read(0x608, 4);
        assertTrue(value < 4, "just past the wrap: " + value);
        now += 1_000_000_000L;
        assertEquals((value + 3_579_545) & 0xFF_FFFF, ports.read(0x608, 4));
        // An hour of uptime, where a naive ns * Hz product would already overflow past 2577 s.
        now += 3_600_000_000_000L;
        long ticks = BigInteger.valueOf(wrapNanos + 1_000_000_000L + 3_600_000_000_000L)
                .multiply(BigInteger.valueOf(PM_TIMER_HZ))
                .divide(BigInteger.valueOf(1_000_000_000L)).longValueExact();
        assertEquals(ticks & 0xFF_FFFF, ports.read(0x608, 4));
        assertEquals(0, ports.read(0x608, 4) >>> 24);
    }

    @Test
    void timerStatusIsSetAtEachBit23CarryAndClearedByWritingOne() {
        assertEquals(TMR_STS, ports.read(0x600, 2) & TMR_STS, "set at power-on, as QEMU");
        ports.write(0x600, 2, TMR_STS);
        assertEquals(0, ports.read(0x600, 2) & TMR_STS);

        long carryNanos = (1L << 23) * 1_000_000_000L / PM_TIMER_HZ + 1; // ~2.34 s
        now += carryNanos - 1_000_000;
        assertEquals(0, ports.read(0x600, 2) & TMR_STS);
        now += 1_000_000;
        assertEquals(TMR_STS, ports.read(0x600, 2) & TMR_STS);
        ports.write(0x600, 2, 0); // writing 0 clears nothing
        assertEquals(TMR_STS, ports.read(0x600, 2) & TMR_STS);
    }

    @Test
    void enableRegisterReadsBackAndGatesTheSci() {
        ports.write(0x602, 2, PWRBTN_EN);
        assertEquals(PWRBTN_EN, ports.read(0x602, 2));
        assertFalse(sci.level(), "TMR_STS is set but TMR_EN is not");

        pm.pressPowerButton();
        assertEquals(PWRBTN_STS, ports.read(0x600, 2) & PWRBTN_STS);
        assertTrue(sci.level());
        ports.write(0x600, 2, PWRBTN_STS);
        assertFalse(sci.level());
        assertEquals(0, ports.read(0x600, 2) & PWRBTN_STS);

        ports.write(0x602, 2, PWRBTN_EN | TMR_EN);
        assertTrue(sci.level(), "the power-on TMR_STS now raises the SCI");
    }

    @Test
    void powerButtonIsIgnoredWhileDisabled() {
        pm.pressPowerButton();
        assertEquals(0, ports.read(0x600, 2) & PWRBTN_STS);
        assertFalse(sci.level());
    }

    @Test
    void sciEnableIsSetByTheApmPathAndReadable() {
        pm.setSciEnabled(true);
        assertEquals(SCI_EN, ports.read(0x604, 2));
        pm.setSciEnabled(false);
        assertEquals(0, ports.read(0x604, 2));
    }

    @Test
    void reservedWordReadsAllOnesAndTimerIgnoresWrites() {
        assertEquals(0xFFFF, ports.read(0x606, 2));
        now += 1_000_000_000L;
        ports.write(0x608, 4, 0);
        assertEquals(3_579_545, ports.read(0x608, 4));
        assertEquals(3_579_545 & 0xFF, ports.read(0x608, 1));
        assertEquals((3_579_545 >> 8) & 0xFF, ports.read(0x609, 1));
    }
}
