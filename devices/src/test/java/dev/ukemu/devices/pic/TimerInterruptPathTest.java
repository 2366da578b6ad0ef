package dev.ukemu.devices.pic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.bus.PortBus;
import dev.ukemu.devices.pit.Pit8254;
import dev.ukemu.devices.rtc.CmosRtc;
import dev.ukemu.devices.testing.ManualClock;
import dev.ukemu.devices.testing.ManualTimerService;
import dev.ukemu.devices.testing.RecordingIrqLine;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The PIT and RTC wired into the PIC pair as a PC machine wires them, driven as Unikraft does. */
class TimerInterruptPathTest {
    private final ManualClock clock = new ManualClock(1_000_000);
    private final ManualTimerService timers = new ManualTimerService(clock);
    private final RecordingIrqLine intr = new RecordingIrqLine();
    private final DualPic pic = new DualPic(intr);
    private final Pit8254 pit = new Pit8254(clock, timers, pic.irq(0));
    private final CmosRtc rtc = new CmosRtc(clock, timers, pic.irq(CmosRtc.IRQ), Instant.EPOCH);
    private final PortBus ports = new PortBus();

    TimerInterruptPathTest() {
        ports.register(DualPic.MASTER_PORT, Pic8259.SIZE, pic.master(), "pic master");
        ports.register(DualPic.SLAVE_PORT, Pic8259.SIZE, pic.slave(), "pic slave");
        ports.register(Pit8254.PORT, Pit8254.SIZE, pit, "pit");
        ports.register(CmosRtc.PORT, CmosRtc.SIZE, rtc, "rtc");
        pic.initialize(DualPic.BIOS_MASTER_BASE, DualPic.BIOS_SLAVE_BASE);
        pic.setMasks(DualPic.BIOS_MASTER_MASK, DualPic.BIOS_SLAVE_MASK);
        pit.programLikeBios();
    }

    private void outb(int port, int value) {
        ports.write(port, 1, value);
    }

    private void remap() {
        int a1 = (int) ports.read(0x21, 1);
        int a2 = (int) ports.read(0xA1, 1);
        outb(0x20, 0x11);
        outb(0xA0, 0x11);
        outb(0x21, 32);
        outb(0xA1, 40);
        outb(0x21, 4);
        outb(0xA1, 2);
        outb(0x21, 1);
        outb(0xA1, 1);
        outb(0x21, a1);
        outb(0xA1, a2);
    }

    @Test
    void oneShotPitWakesTheCpuThroughIrq0() {
        remap();
        outb(0x43, 0x38); // mode 4, as tscclock_init leaves channel 0
        timers.advance(100_000_000);
        if (pic.interruptPending()) {
            pic.acknowledge(); // a tick latched before the switch to one-shot
            outb(0x20, 0x20);
        }
        for (int block = 0; block < 3; block++) {
            outb(0x40, 999 & 0xFF);
            outb(0x40, 999 >> 8);
            long start = clock.nanos();
            timers.advanceTo(start + 837_000); // 998.7 ticks
            assertFalse(pic.interruptPending(), "block " + block + ": not yet");
            timers.advanceTo(start + 839_000); // 1001 ticks
            assertTrue(pic.interruptPending(), "block " + block);
            assertTrue(intr.level());
            assertEquals(32, pic.acknowledge());
            assertFalse(intr.level());
            outb(0x20, 0x20);
            timers.advance(1_000_000);
            assertFalse(pic.interruptPending(), "one-shot: one interrupt per count written");
        }
    }

    @Test
    void rtcUpdateInterruptArrivesOnVector40ThroughTheCascade() {
        remap();
        outb(0x21, (int) ports.read(0x21, 1) | 0x01); // the 18.2 Hz BIOS tick would come first
        outb(0x70, CmosRtc.REG_B);
        outb(0x71, CmosRtc.B_UIE | CmosRtc.B_24H);
        timers.advance(1_000_000_000);
        assertTrue(pic.interruptPending(), "IRQ 8 is open in the BIOS masks");
        assertEquals(40, pic.acknowledge());
        outb(0x70, CmosRtc.REG_C);
        assertEquals(CmosRtc.C_IRQF | CmosRtc.C_UF, ports.read(0x71, 1));
        outb(0xA0, 0x20);
        outb(0x20, 0x20);
        timers.advance(1_000_000_000);
        assertEquals(40, pic.acknowledge(), "reading C re-armed the edge");
    }
}
