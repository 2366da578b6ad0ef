package dev.ukemu.devices.pit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.bus.PortBus;
import dev.ukemu.devices.testing.ManualClock;
import dev.ukemu.devices.testing.ManualTimerService;
import dev.ukemu.devices.testing.RecordingIrqLine;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Programs the PIT through ports 0x40-0x43 and 0x61 as Unikraft, Linux and a BIOS do. */
class Pit8254Test {
    private static final long START = 7_000_000_123L;

    private final ManualClock clock = new ManualClock(START);
    private final ManualTimerService timers = new ManualTimerService(clock);
    private final RecordingIrqLine irq0 = new RecordingIrqLine();
    private final Pit8254 pit = new Pit8254(clock, timers, irq0);
    private final PortBus ports = new PortBus();

    Pit8254Test() {
        ports.register(Pit8254.PORT, Pit8254.SIZE, pit, "pit");
        ports.register(Pit8254.SPEAKER_PORT, 1, pit.speakerPort(), "port 61");
    }

    private int inb(int port) {
        return (int) ports.read(port, 1);
    }

    private void outb(int port, int value) {
        ports.write(port, 1, value);
    }

    /** Unikraft's i8254_gettick: latch channel 0, read LSB then MSB. */
    private int latchedTick() {
        outb(0x43, 0x00);
        int lo = inb(0x40);
        return lo | inb(0x40) << 8;
    }

    private int readCounter(int port) {
        int lo = inb(port);
        return lo | inb(port) << 8;
    }

    private void program(int controlWord, int port, int count) {
        outb(0x43, controlWord);
        outb(port, count & 0xFF);
        outb(port, count >>> 8);
    }

    private static long ticks(long n) {
        return Pit8254.nanosFor(n);
    }

    /** Advances to exactly {@code n} ticks after {@code from}. */
    private void advanceToTick(long from, long n) {
        timers.advanceTo(from + ticks(n));
    }

    private int readBackStatus(int channel) {
        outb(0x43, 0xC0 | Pit8254.RB_NO_COUNT | 2 << channel);
        return inb(0x40 + channel);
    }

    @Test
    void powerOnStateIsMode3At65536WithChannel2GateLow() {
        assertEquals(Pit8254.STATUS_OUT | 3 << 1, readBackStatus(0), "OUT high, mode 3, access 0");
        assertEquals(3 << 1, readBackStatus(1) & 0x7F);
        assertEquals(0x00, inb(0x61) & (Pit8254.SPK_GATE2 | Pit8254.SPK_DATA));
        assertTrue(irq0.level());
        assertEquals(3, pit.mode(0));
        assertEquals(0x10000, pit.initialCount(0));
        // 65536 in mode 3 counts down by two from 0 (65536): 18.2 Hz on IRQ0.
        advanceToTick(START, 0x8000);
        assertFalse(irq0.level(), "second half of the square wave");
        advanceToTick(START, 0x10000);
        assertTrue(irq0.level());
        assertEquals(0, inb(0x43), "the control register reads 0");
    }

    @Test
    void unikraftCalibrationMode2At100Hz() {
        program(0x34, 0x40, 1_193_182 / 100);
        long t0 = clock.nanos();
        assertEquals(11931, latchedTick());
        timers.advanceTo(t0 + 1_000_000); // 1 ms = 1193.182 ticks
        assertEquals(11931 - 1193, latchedTick());
        advanceToTick(t0, 11930);
        assertEquals(1, latchedTick());
        assertFalse(irq0.level(), "OUT is low while the count is 1");
        advanceToTick(t0, 11931);
        assertEquals(11931, latchedTick(), "reloaded");
        assertTrue(irq0.level());
        irq0.clearHistory();
        timers.advanceTo(t0 + 100_000_000);
        assertEquals(List.of(false, true, false, true, false, true, false, true, false, true,
                false, true, false, true, false, true, false, true), irq0.history(),
                "periods 2 to 10 end within 100 ms (the eleventh at 109.99 ms)");
        assertEquals(Pit8254.STATUS_OUT | 3 << 4 | 2 << 1, readBackStatus(0));
    }

    @Test
    void unikraftDelayLoopTerminatesAgainstTheClock() {
        program(0x34, 0x40, 11931);
        long t0 = clock.nanos();
        // plat/kvm/x86/tscclock.c i8254_delay(100000) while every poll takes 1 us of guest time.
        int initial = latchedTick();
        long remaining = 100_000L * 1_193_182 / 1_000_000;
        int polls = 0;
        while (remaining > 1) {
            timers.advance(1_000);
            int cur = latchedTick();
            remaining -= cur > initial ? 11931 - (cur - initial) : initial - cur;
            initial = cur;
            polls++;
        }
        long elapsed = clock.nanos() - t0;
        assertTrue(Math.abs(elapsed - 100_000_000) < 10_000, "delay took " + elapsed + " ns");
        assertEquals(100_000, polls, 1);
    }

    @Test
    void unikraftIdleTimerMode4InterruptsAfterNPlusOneTicks() {
        outb(0x43, 0x38); // channel 0, LSB then MSB, mode 4
        assertEquals(Pit8254.STATUS_OUT | Pit8254.STATUS_NULL_COUNT | 3 << 4 | 4 << 1, readBackStatus(0));
        irq0.clearHistory();
        int n = 1000 - 1; // tscclock_cpu_block: "ticks -= 1"
        outb(0x40, n & 0xFF);
        outb(0x40, n >>> 8);
        long t0 = clock.nanos();
        assertEquals(Pit8254.STATUS_OUT | 3 << 4 | 4 << 1, readBackStatus(0), "loaded: null count clear");
        timers.advanceTo(t0 + ticks(n) - 1);
        assertEquals(List.of(), irq0.history());
        assertEquals(1, latchedTick());
        timers.advanceTo(t0 + ticks(n));
        assertEquals(List.of(false), irq0.history(), "strobe low at terminal count");
        assertEquals(0, latchedTick());
        timers.advanceTo(t0 + ticks(n + 1));
        assertEquals(List.of(false, true), irq0.history(), "the PIC sees the edge 1000 ticks in");
        assertEquals(-1, timers.nextDeadline(), "one-shot: nothing more to do");
        assertEquals(0xFFFF, latchedTick(), "the counter wraps and keeps counting");
        // The next block rewrites only the count: the one-shot starts again.
        outb(0x40, 99);
        outb(0x40, 0);
        long t1 = clock.nanos();
        timers.advanceTo(t1 + ticks(100));
        assertEquals(List.of(false, true, false, true), irq0.history());
    }

    @Test
    void mode4RewriteBeforeTerminalCountRestartsTheCount() {
        program(0x38, 0x40, 500);
        long t0 = clock.nanos();
        irq0.clearHistory();
        advanceToTick(t0, 400);
        program(0x38, 0x40, 500); // reprogrammed before the strobe
        long t1 = clock.nanos();
        advanceToTick(t0, 600);
        assertEquals(List.of(), irq0.history(), "the first count never reached zero");
        advanceToTick(t1, 501);
        assertEquals(List.of(false, true), irq0.history());
    }

    @Test
    void linuxOneShotMode0RaisesOutAtTerminalCount() {
        outb(0x43, 0x30);
        assertFalse(irq0.level(), "mode 0 drives OUT low from the control word");
        outb(0x40, 100);
        outb(0x40, 0);
        long t0 = clock.nanos();
        advanceToTick(t0, 99);
        assertFalse(irq0.level());
        assertEquals(1, latchedTick());
        advanceToTick(t0, 100);
        assertTrue(irq0.level());
        advanceToTick(t0, 150);
        assertEquals(0x10000 - 50, latchedTick());
        assertTrue(irq0.level(), "OUT stays high until a new count or control word");
        outb(0x40, 50); // first byte: counting stops, OUT low
        assertFalse(irq0.level());
        int frozen = latchedTick();
        advanceToTick(t0, 300);
        assertEquals(frozen, latchedTick());
        outb(0x40, 0);
        long t1 = clock.nanos();
        advanceToTick(t1, 50);
        assertTrue(irq0.level());
        assertEquals(3, irq0.risingEdges(), "power-on, first and second terminal counts");
    }

    @Test
    void latchHoldsItsValueAndASecondLatchIsIgnored() {
        program(0x34, 0x40, 10_000);
        long t0 = clock.nanos();
        advanceToTick(t0, 100);
        outb(0x43, 0x00);
        advanceToTick(t0, 200);
        outb(0x43, 0x00); // ignored: the first latch is unread
        assertEquals(9_900, readCounter(0x40));
        assertEquals(9_800, readCounter(0x40), "after the latch is read, reads follow the counter");
        outb(0x43, 0x00);
        assertEquals(9_800 & 0xFF, inb(0x40));
        advanceToTick(t0, 300);
        assertEquals(9_800 >>> 8, inb(0x40), "the MSB still comes from the latch");
    }

    @Test
    void lsbOnlyAndMsbOnlyAccess() {
        outb(0x43, 0x10); // channel 0, LSB only, mode 0
        outb(0x40, 0x80);
        assertEquals(0x80, pit.initialCount(0));
        assertEquals(0x80, inb(0x40));
        assertEquals(0x80, inb(0x40), "every read is the LSB");
        outb(0x43, 0x20 | 2 << 1); // MSB only, mode 2
        outb(0x40, 0x12);
        assertEquals(0x1200, pit.initialCount(0));
        assertEquals(0x12, inb(0x40));
        long t0 = clock.nanos();
        advanceToTick(t0, 0x101);
        assertEquals(0x10, inb(0x40));
    }

    @Test
    void readBackLatchesStatusThenCountForSeveralChannels() {
        program(0x34, 0x40, 1000);
        program(0x74, 0x41, 2000); // channel 1, mode 2
        long t0 = clock.nanos();
        advanceToTick(t0, 10);
        outb(0x43, 0xC0 | 0x02 | 0x04); // latch count and status of channels 0 and 1
        advanceToTick(t0, 500);
        assertEquals(Pit8254.STATUS_OUT | 3 << 4 | 2 << 1, inb(0x40), "status comes first");
        assertEquals(990, readCounter(0x40));
        assertEquals(Pit8254.STATUS_OUT | 3 << 4 | 2 << 1, inb(0x41));
        assertEquals(1990, readCounter(0x41));
        assertEquals(500, readCounter(0x40), "latches consumed");
        outb(0x43, 0xC0 | Pit8254.RB_NO_STATUS | 0x02);
        assertEquals(500, readCounter(0x40), "count-only read-back");
    }

    @Test
    void newCountInMode2TakesEffectAtTheEndOfThePeriod() {
        program(0x34, 0x40, 1000);
        long t0 = clock.nanos();
        advanceToTick(t0, 300);
        outb(0x40, 100);
        outb(0x40, 0);
        assertEquals(Pit8254.STATUS_OUT | Pit8254.STATUS_NULL_COUNT | 3 << 4 | 2 << 1, readBackStatus(0));
        assertEquals(700, latchedTick(), "the period under way keeps its count");
        advanceToTick(t0, 1000);
        assertEquals(Pit8254.STATUS_OUT | 3 << 4 | 2 << 1, readBackStatus(0));
        assertEquals(100, latchedTick());
        advanceToTick(t0, 1050);
        assertEquals(50, latchedTick());
        assertEquals(100, pit.initialCount(0));
    }

    @Test
    void squareWaveOnChannel2SeenThroughPort61() {
        outb(0x61, Pit8254.SPK_GATE2 | Pit8254.SPK_DATA);
        program(0xB6, 0x42, 10);
        long t0 = clock.nanos();
        assertTrue((inb(0x61) & Pit8254.SPK_OUT2) != 0);
        advanceToTick(t0, 3);
        assertEquals(4, readCounter(0x42), "mode 3 counts down by two");
        assertTrue((inb(0x61) & Pit8254.SPK_OUT2) != 0);
        advanceToTick(t0, 7);
        assertEquals(6, readCounter(0x42));
        assertEquals(0, inb(0x61) & Pit8254.SPK_OUT2, "second half: OUT low");
        advanceToTick(t0, 10);
        assertTrue((inb(0x61) & Pit8254.SPK_OUT2) != 0);
        assertEquals(Pit8254.SPK_GATE2 | Pit8254.SPK_DATA,
                inb(0x61) & (Pit8254.SPK_GATE2 | Pit8254.SPK_DATA));
        // Odd counts: high for (N+1)/2, low for (N-1)/2.
        program(0xB6, 0x42, 5);
        long t1 = clock.nanos();
        advanceToTick(t1, 2);
        assertTrue((inb(0x61) & Pit8254.SPK_OUT2) != 0);
        advanceToTick(t1, 3);
        assertEquals(0, inb(0x61) & Pit8254.SPK_OUT2);
        advanceToTick(t1, 5);
        assertTrue((inb(0x61) & Pit8254.SPK_OUT2) != 0);
    }

    @Test
    void gateLowHoldsMode3OutHighAndTheRisingEdgeReloads() {
        outb(0x61, Pit8254.SPK_GATE2);
        program(0xB6, 0x42, 100);
        long t0 = clock.nanos();
        advanceToTick(t0, 60);
        assertEquals(0, inb(0x61) & Pit8254.SPK_OUT2);
        outb(0x61, 0);
        assertTrue((inb(0x61) & Pit8254.SPK_OUT2) != 0, "gate low forces OUT high");
        advanceToTick(t0, 90);
        outb(0x61, Pit8254.SPK_GATE2);
        assertEquals(100, readCounter(0x42), "the rising gate reloads the count");
    }

    @Test
    void refreshBitTogglesOnEveryRead() {
        int a = inb(0x61) & Pit8254.SPK_REFRESH;
        int b = inb(0x61) & Pit8254.SPK_REFRESH;
        int c = inb(0x61) & Pit8254.SPK_REFRESH;
        assertEquals(Pit8254.SPK_REFRESH, a ^ b);
        assertEquals(a, c);
    }

    @Test
    void mode1IsAGateTriggeredRetriggerableOneShot() {
        program(0xB2, 0x42, 5);
        assertTrue(pit.out(2), "OUT high until triggered");
        outb(0x61, Pit8254.SPK_GATE2);
        long t0 = clock.nanos();
        assertFalse(pit.out(2));
        advanceToTick(t0, 3);
        assertEquals(2, readCounter(0x42));
        outb(0x61, 0);
        outb(0x61, Pit8254.SPK_GATE2); // retrigger
        long t1 = clock.nanos();
        advanceToTick(t1, 4);
        assertFalse(pit.out(2), "the retrigger restarted the pulse");
        advanceToTick(t1, 5);
        assertTrue(pit.out(2));
    }

    @Test
    void mode5StrobesNTicksAfterTheTrigger() {
        program(0xBA, 0x42, 8);
        outb(0x61, Pit8254.SPK_GATE2);
        long t0 = clock.nanos();
        advanceToTick(t0, 7);
        assertTrue(pit.out(2));
        advanceToTick(t0, 8);
        assertFalse(pit.out(2));
        advanceToTick(t0, 9);
        assertTrue(pit.out(2));
    }

    @Test
    void mode0GateLowPausesCounting() {
        outb(0x61, Pit8254.SPK_GATE2);
        program(0xB0, 0x42, 100);
        long t0 = clock.nanos();
        advanceToTick(t0, 30);
        outb(0x61, 0);
        long paused = clock.nanos();
        advanceToTick(paused, 50);
        assertEquals(70, readCounter(0x42));
        outb(0x61, Pit8254.SPK_GATE2);
        long resumed = clock.nanos();
        advanceToTick(resumed, 69);
        assertFalse(pit.out(2));
        advanceToTick(resumed, 70);
        assertTrue(pit.out(2));
    }

    @Test
    void bcdCountingUsesDecimalDigits() {
        outb(0x43, 0x30 | Pit8254.CW_BCD);
        outb(0x40, 0x00);
        outb(0x40, 0x10); // 1000 decimal
        long t0 = clock.nanos();
        advanceToTick(t0, 1);
        assertEquals(0x0999, latchedTick());
        advanceToTick(t0, 1000);
        assertTrue(irq0.level());
        advanceToTick(t0, 1001);
        assertEquals(0x9999, latchedTick(), "BCD wraps at 10000");
        outb(0x43, 0x34 | Pit8254.CW_BCD);
        outb(0x40, 0);
        outb(0x40, 0);
        assertEquals(10_000, pit.initialCount(0), "zero is 10^4 in BCD");
        assertEquals(Pit8254.STATUS_OUT | 3 << 4 | 2 << 1 | Pit8254.CW_BCD, readBackStatus(0));
    }

    @Test
    void controlWordResetsTheByteSequence() {
        outb(0x43, 0x34);
        outb(0x40, 0x34); // LSB only, then the guest starts over
        outb(0x43, 0x34);
        outb(0x40, 0x10);
        outb(0x40, 0x00);
        assertEquals(0x10, pit.initialCount(0));
    }

    @Test
    void biosProgramsChannel0LikeSeaBios() {
        pit.programLikeBios();
        assertEquals(2, pit.mode(0));
        assertEquals(0x10000, pit.initialCount(0));
        long t0 = clock.nanos();
        irq0.clearHistory();
        timers.advanceTo(t0 + 1_000_000_000);
        assertEquals(18, irq0.risingEdges(), "18.2 Hz");
    }

    @Test
    void pollingDoesNotArmTimers() {
        program(0x34, 0x40, 11931);
        long deadline = timers.nextDeadline();
        long fired = timers.fired();
        for (int i = 0; i < 1000; i++) {
            latchedTick();
        }
        assertEquals(deadline, timers.nextDeadline());
        assertEquals(fired, timers.fired());
    }

    @Test
    void latchAndReadPollingDoesNotAllocate() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        program(0x34, 0x40, 11931);
        int sink = 0;
        for (int i = 0; i < 200_000; i++) {
            sink += latchedTick();
            clock.set(clock.nanos() + 1_000);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 1_000_000; i++) {
            sink += latchedTick();
            clock.set(clock.nanos() + 100);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(sink != 0);
        assertTrue(allocated < 64 * 1024, "1M latch+read polls allocated " + allocated + " bytes");
    }

    @Test
    void tickArithmeticDoesNotOverflowAfterLongUptime() {
        long day = 86_400L * 1_000_000_000L;
        assertEquals(86_400L * 1_193_182, Pit8254.ticksIn(day));
        long n = 86_400L * 1_193_182 + 5;
        assertEquals(n, Pit8254.ticksIn(Pit8254.nanosFor(n)));
        assertEquals(n - 1, Pit8254.ticksIn(Pit8254.nanosFor(n) - 1));
    }
}
