package dev.ukemu.devices.rtc;

import static dev.ukemu.devices.rtc.CmosRtc.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.bus.PortBus;
import dev.ukemu.devices.testing.ManualClock;
import dev.ukemu.devices.testing.ManualTimerService;
import dev.ukemu.devices.testing.RecordingIrqLine;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Reads and sets the clock through ports 0x70/0x71 the way Unikraft, Linux and a BIOS do. */
class CmosRtcTest {
    private static final long T0 = 3_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;
    /** A Thursday, leap day, two seconds before midnight UTC. */
    private static final Instant START = Instant.parse("2024-02-29T23:59:58Z");

    private final ManualClock clock = new ManualClock(T0);
    private final ManualTimerService timers = new ManualTimerService(clock);
    private final RecordingIrqLine irq = new RecordingIrqLine();
    private final CmosRtc rtc = new CmosRtc(clock, timers, irq, START);
    private final PortBus ports = new PortBus();

    CmosRtcTest() {
        ports.register(PORT, SIZE, rtc, "rtc");
    }

    /** Unikraft's rtc_read: select with NMI masked (its 1 << 8 is lost in outb), read. */
    private int read(int reg) {
        ports.write(0x70, 1, reg);
        return (int) ports.read(0x71, 1);
    }

    private void write(int reg, int value) {
        ports.write(0x70, 1, reg);
        ports.write(0x71, 1, value);
    }

    private void at(long nanosAfterStart) {
        timers.advanceTo(T0 + nanosAfterStart);
    }

    private String timeRegisters() {
        return String.format("%02x%02x-%02x-%02x %02x:%02x:%02x dow%d", read(CENTURY), read(YEAR), read(MONTH),
                read(DAY_OF_MONTH), read(HOURS), read(MINUTES), read(SECONDS), read(DAY_OF_WEEK));
    }

    @Test
    void powerOnRegistersShowTheStartTimeInBcd24Hour() {
        assertEquals(0x26, read(REG_A));
        assertEquals(0x02, read(REG_B));
        assertEquals(0x00, read(REG_C));
        assertEquals(0x80, read(REG_D));
        assertEquals("2024-02-29 23:59:58 dow5", timeRegisters());
        assertFalse(irq.level());
        assertEquals(-1, timers.nextDeadline(), "no interrupt enabled: no timer");
    }

    @Test
    void timeAdvancesWithTheMachineClockAcrossMonthEnd() {
        at(1 * S);
        assertEquals("2024-02-29 23:59:59 dow5", timeRegisters());
        at(2 * S);
        assertEquals("2024-03-01 00:00:00 dow6", timeRegisters());
        at(2 * S + 86_400 * S * 306); // to the new year
        assertEquals("2025-01-01 00:00:00 dow4", timeRegisters());
        assertEquals(Instant.parse("2025-01-01T00:00:00Z"), rtc.time());
    }

    @Test
    void uipIsSetDuringTheLast244MicrosecondsOfEachSecond() {
        at(S - UIP_HOLD_NANOS - 1);
        assertEquals(0x26, read(REG_A));
        at(S - UIP_HOLD_NANOS);
        assertEquals(0xA6, read(REG_A));
        assertEquals("2024-02-29 23:59:58 dow5", timeRegisters(), "the old second until the update");
        at(S);
        assertEquals(0x26, read(REG_A));
        assertEquals(0x59, read(SECONDS));
    }

    @Test
    void unikraftReadsTheTimeAfterUipClears() {
        at(S - 100_000); // inside the update window
        int polls = 0;
        while ((read(REG_A) & A_UIP) != 0) {
            timers.advance(10_000);
            polls++;
        }
        assertEquals(10, polls);
        assertEquals(0x59, read(SECONDS));
        assertEquals(0x23, read(HOURS));
    }

    @Test
    void binaryAnd12HourModes() {
        write(REG_B, B_DM); // binary, 12-hour
        assertEquals(58, read(SECONDS));
        assertEquals(0x80 | 11, read(HOURS), "11 PM");
        assertEquals(24, read(YEAR));
        assertEquals(20, read(CENTURY));
        at(2 * S);
        assertEquals(12, read(HOURS), "midnight is 12 AM");
        write(REG_B, 0); // BCD, 12-hour
        at(2 * S + 12 * 3600 * S);
        assertEquals(0x80 | 0x12, read(HOURS), "noon is 12 PM");
        at(2 * S + 13 * 3600 * S);
        assertEquals(0x81, read(HOURS));
    }

    @Test
    void setBitFreezesTheClockAndTheGuestSetsANewTime() {
        at(300 * MS);
        write(REG_B, B_SET | B_24H);
        write(SECONDS, 0x00);
        write(MINUTES, 0x30);
        write(HOURS, 0x12);
        write(DAY_OF_MONTH, 0x15);
        write(MONTH, 0x06);
        write(YEAR, 0x99);
        write(CENTURY, 0x19);
        at(5 * S);
        assertEquals("1999-06-15 12:30:00 dow5", timeRegisters(), "frozen while SET");
        assertEquals(0x26, read(REG_A), "no update cycle while SET");
        write(REG_B, B_24H);
        long released = clock.nanos();
        // The clock keeps its sub-second phase (0.3 s): the next update comes 0.7 s later.
        timers.advanceTo(released + 700 * MS - 1);
        assertEquals(0x00, read(SECONDS));
        timers.advanceTo(released + 700 * MS);
        assertEquals("1999-06-15 12:30:01 dow3", timeRegisters());
        assertEquals(Instant.parse("1999-06-15T12:30:01Z"), Instant.ofEpochSecond(rtc.time().getEpochSecond()));
    }

    @Test
    void writingATimeRegisterWhileRunningSetsTheClock() {
        write(SECONDS, 0x30);
        assertEquals(0x30, read(SECONDS));
        assertEquals(0x59, read(MINUTES));
        at(1 * S);
        assertEquals(0x31, read(SECONDS));
        assertEquals(C_UF, read(REG_C), "one update cycle since the time was set");
    }

    @Test
    void setClearsUpdateInterruptEnable() {
        write(REG_B, B_SET | B_UIE | B_24H);
        assertEquals(B_SET | B_24H, read(REG_B));
    }

    @Test
    void updateEndedInterruptEverySecondUntilRegisterCIsRead() {
        at(250 * MS);
        write(REG_B, B_UIE | B_24H);
        assertEquals(T0 + S, timers.nextDeadline());
        at(S);
        assertTrue(irq.level());
        assertEquals(C_IRQF | C_UF, read(REG_C));
        assertFalse(irq.level(), "reading C lowers IRQ 8");
        assertEquals(0, read(REG_C));
        at(2 * S);
        assertTrue(irq.level());
        at(3 * S);
        assertEquals(2, irq.risingEdges(), "IRQF stays set: no new edge until C is read");
        assertEquals(C_IRQF | C_AF | C_UF, read(REG_C), "the zeroed alarm matched midnight");
    }

    @Test
    void updateFlagIsSetForAPollingGuestWithoutAnInterrupt() {
        at(1500 * MS);
        assertEquals(C_UF, read(REG_C));
        assertFalse(irq.level());
        at(1900 * MS);
        assertEquals(0, read(REG_C));
    }

    @Test
    void enablingAnInterruptWhoseFlagIsSetRaisesItAtOnce() {
        at(1500 * MS);
        write(REG_B, B_UIE | B_24H);
        assertTrue(irq.level());
        assertEquals(C_IRQF | C_UF, read(REG_C));
    }

    @Test
    void periodicInterruptAt1024Hz() {
        write(REG_B, B_PIE | B_24H);
        int interrupts = 0;
        long end = T0 + S;
        while (clock.nanos() < end) {
            timers.advance(100_000);
            if (irq.level()) {
                assertEquals(C_IRQF | C_PF, read(REG_C) & ~C_UF);
                interrupts++;
            }
        }
        assertEquals(1024, interrupts);
        write(REG_A, A_DIVIDER_32K | 15); // 2 Hz
        interrupts = 0;
        end = clock.nanos() + 2 * S;
        while (clock.nanos() < end) {
            timers.advance(10 * MS);
            if (irq.level()) {
                read(REG_C);
                interrupts++;
            }
        }
        assertEquals(4, interrupts);
    }

    @Test
    void periodicFlagNeedsPieAsInQemu() {
        write(REG_A, A_DIVIDER_32K | 3); // 8192 Hz
        at(1 * MS);
        assertEquals(0, read(REG_C));
        assertFalse(irq.level());
        assertEquals(-1, timers.nextDeadline());
    }

    @Test
    void alarmWithDontCareFieldsFiresOnceAMinute() {
        write(SECONDS_ALARM, 0x05);
        write(MINUTES_ALARM, 0xFF);
        write(HOURS_ALARM, 0xC0);
        write(REG_B, B_AIE | B_24H);
        at(6 * S);
        assertFalse(irq.level(), "00:00:04");
        at(7 * S);
        assertTrue(irq.level(), "the update to 00:00:05");
        assertEquals(C_IRQF | C_AF | C_UF, read(REG_C));
        at(8 * S);
        assertEquals(C_UF, read(REG_C), "no alarm at 00:00:06 or 00:00:07 (UF has no enable)");
        at(67 * S);
        assertEquals(C_IRQF | C_AF | C_UF, read(REG_C), "00:01:05");
    }

    @Test
    void exactAlarmIsSeenByAPollingGuest() {
        write(SECONDS_ALARM, 0x00);
        write(MINUTES_ALARM, 0x00);
        write(HOURS_ALARM, 0x00);
        at(1 * S);
        assertEquals(C_UF, read(REG_C));
        at(3 * S);
        assertEquals(C_UF | C_AF, read(REG_C), "midnight matched");
        at(3 * S + 86_398 * S);
        assertEquals(C_UF, read(REG_C), "23:59:59 the next day");
        at(3 * S + 86_400 * S);
        assertEquals(C_UF | C_AF, read(REG_C), "a day later");
    }

    @Test
    void alarmHourIn12HourMode() {
        write(REG_B, 0); // BCD, 12-hour
        write(SECONDS_ALARM, 0xC0);
        write(MINUTES_ALARM, 0xC0);
        write(HOURS_ALARM, 0x12); // 12 AM: midnight
        at(1 * S);
        assertEquals(C_UF, read(REG_C));
        at(2 * S);
        assertEquals(C_UF | C_AF, read(REG_C));
    }

    @Test
    void dividerResetStopsTheClockAndTheFirstUpdateComesHalfASecondAfterRelease() {
        write(REG_A, 0x70);
        at(10 * S);
        assertEquals(0x58, read(SECONDS));
        assertEquals(0x70, read(REG_A));
        write(REG_A, 0x26);
        long released = clock.nanos();
        timers.advanceTo(released + 500 * MS - 1);
        assertEquals(0x58, read(SECONDS));
        timers.advanceTo(released + 500 * MS);
        assertEquals(0x59, read(SECONDS));
    }

    @Test
    void nmiMaskIsBit7OfTheIndexPort() {
        assertFalse(rtc.nmiMasked());
        ports.write(0x70, 1, 0x80 | REG_D);
        assertTrue(rtc.nmiMasked());
        assertEquals(0x80, ports.read(0x71, 1), "bit 7 does not reach the index");
        ports.write(0x70, 1, REG_D);
        assertFalse(rtc.nmiMasked());
        assertEquals(0xFF, ports.read(0x70, 1), "the index port reads 0xFF");
    }

    @Test
    void registersCAndDAreReadOnly() {
        write(REG_C, 0xF0);
        write(REG_D, 0x00);
        assertEquals(0x00, read(REG_C));
        assertEquals(0x80, read(REG_D));
        write(REG_A, 0xA6);
        assertEquals(0x26, read(REG_A), "UIP is read-only");
    }

    @Test
    void cmosRamKeepsWhatIsWritten() {
        for (int i = 0x0E; i < CMOS_SIZE; i++) {
            if (i != CENTURY && i != PS2_CENTURY) {
                write(i, i ^ 0x5A);
            }
        }
        for (int i = 0x0E; i < CMOS_SIZE; i++) {
            if (i != CENTURY && i != PS2_CENTURY) {
                assertEquals(i ^ 0x5A, read(i), "byte " + i);
            }
        }
    }

    @Test
    void ps2CenturyByteAliasesTheCentury() {
        assertEquals(0x20, read(PS2_CENTURY));
        write(PS2_CENTURY, 0x21);
        assertEquals(0x21, read(CENTURY));
        assertEquals("2124-02-29 23:59:58 dow3", timeRegisters());
    }

    @Test
    void machineFillsMemorySizesLikeQemu() {
        rtc.setMemorySizes(512L << 20, 0);
        assertEquals(640, read(BASE_MEMORY_LO) | read(BASE_MEMORY_LO + 1) << 8);
        assertEquals(65535, read(EXT_MEMORY_LO) | read(EXT_MEMORY_LO + 1) << 8);
        assertEquals(65535, read(EXT_MEMORY_POST_LO) | read(EXT_MEMORY_POST_LO + 1) << 8);
        assertEquals((512 - 16) * 16, read(EXT_MEMORY_16M_LO) | read(EXT_MEMORY_16M_LO + 1) << 8);
        rtc.setMemorySizes(3L << 30, 5L << 30);
        assertEquals(0x00, read(0x5B));
        assertEquals(0x40, read(0x5C));
        assertEquals(0x01, read(0x5D), "5 GiB / 64 KiB = 0x14000");
        rtc.setMemorySizes(32L << 20, 0);
        assertEquals(31 * 1024, read(EXT_MEMORY_LO) | read(EXT_MEMORY_LO + 1) << 8);
        assertEquals(256, read(EXT_MEMORY_16M_LO) | read(EXT_MEMORY_16M_LO + 1) << 8);
        rtc.setCpuCount(4);
        assertEquals(3, read(CPU_COUNT_MINUS_ONE));
    }

    @Test
    void resetClearsInterruptEnablesAndFlags() {
        write(REG_B, B_PIE | B_AIE | B_UIE | B_SQWE | B_24H);
        at(S);
        assertTrue(irq.level());
        write(SHUTDOWN_STATUS, 0x05);
        rtc.reset();
        assertFalse(irq.level());
        assertEquals(B_UIE | B_24H, read(REG_B));
        assertEquals(0, read(SHUTDOWN_STATUS));
        assertEquals(0x00, read(REG_C) & (C_PF | C_AF));
    }
}
