package dev.ukemu.devices.pit;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.core.irq.IrqLine;
import dev.ukemu.core.time.TimerService;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The Intel 8254 programmable interval timer at offsets 0-3 of its range (ports 0x40-0x43 on a
 * PC), plus the PC's port 0x61 ({@link #speakerPort()}), which gates channel 2 and shows its OUT.
 *
 * <p>Counters are not ticked: each channel remembers when its count was loaded and derives the
 * current count and OUT level from the machine clock at 1.193182 MHz, so a guest that polls the
 * counter (latch command plus two reads, Unikraft's TSC calibration) costs a few divisions and
 * no allocation. Channel 0's OUT drives {@code irq0}; a timer is armed for its next transition,
 * so periodic modes (2, 3) raise an edge each period and one-shot modes (0, 4) raise one.
 *
 * <p>Behaviour follows the 82C54 datasheet, and QEMU's {@code hw/timer/i8254*.c} where the
 * datasheet leaves room: no extra clock between writing a count and loading it, so mode 0's OUT
 * rises N ticks after the count is written and mode 4's strobe comes at tick N (OUT low) with the
 * edge the PIC sees at N+1. Departures from QEMU where it takes a shortcut: OUT has the datasheet's
 * polarity in modes 2, 4 and 5 (high, with a one-tick low pulse); the gate stops modes 0, 2, 3
 * and 4 and triggers modes 1 and 5; modes 2 and 3 take a new count at the end of the current
 * period (the datasheet puts mode 3's at the end of the half-cycle); the status byte carries the
 * null-count flag. Power-on state is QEMU's: every channel in mode 3 counting 65536, gates of
 * channels 0 and 1 high.
 */
public final class Pit8254 implements BusDevice {
    /** The PC's base port and the number of ports. */
    public static final int PORT = 0x40;
    public static final int SIZE = 4;
    /** Port 0x61, NMI status and control (speaker): see {@link #speakerPort()}. */
    public static final int SPEAKER_PORT = 0x61;
    /** The input clock: the 14.31818 MHz crystal divided by 12. */
    public static final long FREQUENCY_HZ = 1_193_182;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    public static final int COUNTER0 = 0;
    public static final int COUNTER1 = 1;
    public static final int COUNTER2 = 2;
    public static final int CONTROL = 3;

    // Control word (82C54 datasheet figure 7): SC1 SC0 RW1 RW0 M2 M1 M0 BCD.
    public static final int CW_SELECT_SHIFT = 6;
    public static final int CW_READ_BACK = 0xC0;   // SC = 11
    public static final int CW_ACCESS_SHIFT = 4;
    public static final int ACCESS_LATCH = 0;      // counter latch command
    public static final int ACCESS_LSB = 1;
    public static final int ACCESS_MSB = 2;
    public static final int ACCESS_LSB_MSB = 3;
    public static final int CW_MODE_SHIFT = 1;
    public static final int CW_BCD = 0x01;

    // Read-back command (figure 9): 1 1 /COUNT /STATUS CNT2 CNT1 CNT0 0.
    public static final int RB_NO_COUNT = 0x20;
    public static final int RB_NO_STATUS = 0x10;

    // Status byte (figure 10): OUTPUT NULL-COUNT RW1 RW0 M2 M1 M0 BCD.
    public static final int STATUS_OUT = 0x80;
    public static final int STATUS_NULL_COUNT = 0x40;

    // Port 0x61 bits (IBM PC/AT technical reference; QEMU's hw/audio/pcspk.c).
    public static final int SPK_GATE2 = 0x01;
    public static final int SPK_DATA = 0x02;
    public static final int SPK_REFRESH = 0x10; // toggles on every read (QEMU's dummy refresh clock)
    public static final int SPK_OUT2 = 0x20;

    // Byte sequencing of counts (QEMU's RW_STATE_*): LSB, MSB, or LSB then MSB.
    private static final int RW_LSB = 1;
    private static final int RW_MSB = 2;
    private static final int RW_WORD0 = 3;
    private static final int RW_WORD1 = 4;

    private final LongSupplier nanos;
    private final IrqLine irq0;
    private final TimerService.Timer timer;
    private final Channel[] channels = {new Channel(), new Channel(), new Channel()};
    private final BusDevice speaker = new SpeakerPort();

    private boolean irqLevel;
    private boolean irqDriven;
    /** The OUT0 transition the timer is armed for, in clock nanoseconds. */
    private long scheduled = -1;
    private boolean speakerData;
    private int refreshToggle;

    /**
     * @param nanos the machine clock ({@code GuestClock::nanos}); counting derives from it
     * @param timers where channel 0's OUT transitions are scheduled
     * @param irq0 channel 0's OUT (PIC IRQ0, I/O APIC pin 2)
     */
    public Pit8254(LongSupplier nanos, TimerService timers, IrqLine irq0) {
        this.nanos = Objects.requireNonNull(nanos, "nanos");
        this.irq0 = Objects.requireNonNull(irq0, "irq0");
        this.timer = Objects.requireNonNull(timers, "timers").newTimer("pit", this::onTimer);
        reset();
    }

    /** Power-on and machine reset (QEMU's pit_reset_common). */
    public synchronized void reset() {
        long now = nanos.getAsLong();
        for (int i = 0; i < 3; i++) {
            channels[i].reset(now, i != COUNTER2);
        }
        speakerData = false;
        updateIrq(now);
    }

    /** Port 0x61: write gate 2 (bit 0) and speaker data (bit 1); read them plus OUT2 and refresh. */
    public BusDevice speakerPort() {
        return speaker;
    }

    // ---- bus interface ----------------------------------------------------------------------

    @Override
    public long read(long offset, int size) {
        if (size == 1) {
            return readRegister((int) offset);
        }
        long v = 0;
        for (int i = 0; i < size; i++) {
            long o = offset + i;
            v |= (long) (o < SIZE ? readRegister((int) o) : 0xFF) << (8 * i);
        }
        return v;
    }

    @Override
    public void write(long offset, int size, long value) {
        for (int i = 0; i < size && offset + i < SIZE; i++) {
            writeRegister((int) (offset + i), (int) (value >>> (8 * i)) & 0xFF);
        }
    }

    private synchronized int readRegister(int offset) {
        if (offset == CONTROL) {
            return 0; // write-only; QEMU reads 0
        }
        return channels[offset].read(nanos.getAsLong());
    }

    private synchronized void writeRegister(int offset, int value) {
        long now = nanos.getAsLong();
        if (offset != CONTROL) {
            channels[offset].writeCount(now, value);
            if (offset == COUNTER0) {
                updateIrq(now);
            }
        } else if ((value & CW_READ_BACK) == CW_READ_BACK) {
            for (int i = 0; i < 3; i++) {
                if ((value & (2 << i)) != 0) {
                    Channel c = channels[i];
                    if ((value & RB_NO_COUNT) == 0) {
                        c.latchCount(now);
                    }
                    if ((value & RB_NO_STATUS) == 0) {
                        c.latchStatus(now);
                    }
                }
            }
        } else {
            Channel c = channels[value >>> CW_SELECT_SHIFT];
            int access = (value >>> CW_ACCESS_SHIFT) & 3;
            if (access == ACCESS_LATCH) {
                c.latchCount(now); // the calibration poll: no state change, no timer work
            } else {
                c.control(now, access, (value >>> CW_MODE_SHIFT) & 7, (value & CW_BCD) != 0);
                if (c == channels[COUNTER0]) {
                    updateIrq(now);
                }
            }
        }
    }

    // ---- channel 0 interrupt ------------------------------------------------------------------

    private void updateIrq(long t) {
        Channel c = channels[COUNTER0];
        boolean level = c.out(t);
        if (level != irqLevel || !irqDriven) {
            irqLevel = level;
            irqDriven = true;
            irq0.setLevel(level);
        }
        long next = c.nextTransition(t);
        if (next == scheduled) {
            return; // already armed for it
        }
        scheduled = next;
        if (next >= 0) {
            timer.setDeadline(next);
        } else {
            timer.cancel();
        }
    }

    private synchronized void onTimer() {
        long t = scheduled;
        if (t < 0 || t > nanos.getAsLong()) {
            return; // re-armed or cancelled after this firing was taken off the queue
        }
        // Evaluate at the transition itself, not at the (possibly late) current time, so a late
        // timer still produces every edge, as QEMU's pit_irq_timer does.
        updateIrq(t);
    }

    // ---- machine-side access ------------------------------------------------------------------

    /** Sets a channel's GATE input (channel 2's is port 0x61 bit 0; 0 and 1 are tied high). */
    public synchronized void setGate(int channel, boolean high) {
        long now = nanos.getAsLong();
        channels[Objects.checkIndex(channel, 3)].setGate(now, high);
        if (channel == COUNTER0) {
            updateIrq(now);
        }
    }

    /** The OUT pin of a channel now. */
    public synchronized boolean out(int channel) {
        return channels[Objects.checkIndex(channel, 3)].out(nanos.getAsLong());
    }

    /** The mode (0-5) a channel was programmed for. */
    public synchronized int mode(int channel) {
        return channels[Objects.checkIndex(channel, 3)].mode;
    }

    /** The count a channel counts from, 1-65536 (1-10000 in BCD). */
    public synchronized int initialCount(int channel) {
        return channels[Objects.checkIndex(channel, 3)].count;
    }

    /** Programs channel 0 as SeaBIOS leaves it: mode 2, LSB then MSB, count 65536 (18.2 Hz). */
    public void programLikeBios() {
        writeRegister(CONTROL, ACCESS_LSB_MSB << CW_ACCESS_SHIFT | 2 << CW_MODE_SHIFT);
        writeRegister(COUNTER0, 0);
        writeRegister(COUNTER0, 0);
    }

    // ---- time arithmetic -------------------------------------------------------------------

    /** Whole input-clock ticks in {@code ns} nanoseconds, without overflow for any uptime. */
    static long ticksIn(long ns) {
        if (ns <= 0) {
            return 0;
        }
        return ns / NANOS_PER_SECOND * FREQUENCY_HZ + ns % NANOS_PER_SECOND * FREQUENCY_HZ / NANOS_PER_SECOND;
    }

    /** The fewest nanoseconds that hold {@code ticks} whole ticks. */
    static long nanosFor(long ticks) {
        return ticks / FREQUENCY_HZ * NANOS_PER_SECOND
                + Math.ceilDiv(ticks % FREQUENCY_HZ * NANOS_PER_SECOND, FREQUENCY_HZ);
    }

    static int toBcd(int v) {
        return (v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10;
    }

    static int fromBcd(int v) {
        return (v >>> 12 & 0xF) * 1000 + (v >>> 8 & 0xF) * 100 + (v >>> 4 & 0xF) * 10 + (v & 0xF);
    }

    // ---- one counter --------------------------------------------------------------------------

    private final class Channel {
        int mode;
        /** The M2-M0 bits as written (6 and 7 behave as 2 and 3). */
        int modeBits;
        boolean bcd;
        int rwMode;
        int readState;
        int writeState;
        int writeLatch;
        int latchedCount;
        /** Read state of the latched count (RW_*), 0 when no count is latched. */
        int countLatched;
        boolean statusLatched;
        int status;

        boolean gate;
        /** The count register (CR) last written, 1-65536 (BCD: 1-10000). */
        int countRegister;
        /** The count the counting element started from. */
        int count;
        /** The counting element holds a count (modes 1 and 5: it has been triggered). */
        boolean loaded;
        /** The counting element is decrementing (loaded, and the gate allows it). */
        boolean running;
        /** Clock time at which {@link #baseTicks} was last brought up to date. */
        long start;
        /** Ticks counted since the load before {@link #start} (only gate pauses add to it). */
        long baseTicks;
        /** What the counter reads while it holds no count. */
        int frozen;
        boolean nullCount;
        /** Modes 2 and 3: a count written while counting, loaded at {@link #reloadAt}. */
        boolean reloadPending;
        long reloadAt;
        /** The elapsed-tick value at which the pending reload happens. */
        long reloadTick;

        void reset(long now, boolean gateHigh) {
            mode = 3;
            modeBits = 3;
            bcd = false;
            rwMode = 0; // QEMU leaves the access mode zero until programmed; it reads as LSB
            readState = 0;
            writeState = 0;
            countLatched = 0;
            statusLatched = false;
            gate = gateHigh;
            countRegister = 0x10000;
            nullCount = false;
            reloadPending = false;
            load(now, 0x10000);
            running = gate;
            frozen = 0;
        }

        private int modulus() {
            return bcd ? 10_000 : 0x10000;
        }

        private void load(long now, int n) {
            count = n;
            loaded = true;
            running = true;
            start = now;
            baseTicks = 0;
            nullCount = false;
            reloadPending = false;
        }

        private void applyReload(long now) {
            if (reloadPending && now >= reloadAt) {
                // Count on from the old period's end without moving the tick grid.
                count = countRegister;
                baseTicks -= reloadTick;
                nullCount = false;
                reloadPending = false;
            }
        }

        /** Ticks counted since the counting element was loaded. */
        long elapsed(long now) {
            applyReload(now);
            return running ? baseTicks + ticksIn(now - start) : baseTicks;
        }

        /** The counting element's value now, as a binary number (65536 shows as 0). */
        int value(long now) {
            if (!loaded) {
                return frozen;
            }
            long d = elapsed(now);
            int n = count;
            long v = switch (mode) {
                case 2 -> n - d % n;
                case 3 -> {
                    long p = d % n;
                    long half = (n + 1) / 2;
                    long phase = p < half ? p : p - half;
                    yield (n & 1) == 0 ? n - 2 * phase : n - 1 - 2 * phase;
                }
                default -> Math.floorMod(n - d, (long) modulus()); // keeps counting past zero
            };
            return (int) (v % modulus());
        }

        boolean out(long now) {
            if (!loaded) {
                return mode != 0; // mode 0 drives OUT low from the control word until terminal count
            }
            long d = elapsed(now);
            int n = count;
            return switch (mode) {
                case 0, 1 -> d >= n;
                case 2 -> !gate || n == 1 || d % n != n - 1; // low for the tick at count 1
                case 3 -> !gate || d % n < (n + 1) / 2;
                default -> d != n; // modes 4 and 5: a one-tick low strobe at terminal count
            };
        }

        /** The clock time of OUT's next change (or of a pending reload), or -1. */
        long nextTransition(long now) {
            long reload = reloadPending ? reloadAt : -1;
            if (!loaded || !running) {
                return reload;
            }
            long d = elapsed(now);
            long n = count;
            long k;
            switch (mode) {
                case 0, 1 -> k = d < n ? n : -1;
                case 2 -> {
                    long base = d - d % n;
                    k = n == 1 ? -1 : d % n < n - 1 ? base + n - 1 : base + n;
                }
                case 3 -> {
                    long base = d - d % n;
                    long half = (n + 1) / 2;
                    k = half == n ? -1 : d % n < half ? base + half : base + n;
                }
                default -> k = d < n ? n : d == n ? n + 1 : -1;
            }
            if (k < 0) {
                return reload;
            }
            long at = start + nanosFor(k - baseTicks);
            if (at <= now) {
                at = now + 1;
            }
            return reload >= 0 ? Math.min(reload, at) : at;
        }

        void control(long now, int access, int m, boolean useBcd) {
            frozen = loaded ? value(now) : frozen;
            rwMode = access;
            readState = access;
            writeState = access;
            modeBits = m;
            mode = m > 5 ? m & 3 : m;
            bcd = useBcd;
            countLatched = 0;
            statusLatched = false;
            loaded = false;
            running = false;
            reloadPending = false;
            nullCount = true;
        }

        void writeCount(long now, int b) {
            switch (writeState) {
                case RW_MSB -> setCountRegister(now, b << 8);
                case RW_WORD0 -> {
                    writeLatch = b;
                    writeState = RW_WORD1;
                    if (mode == 0 && loaded) {
                        // Mode 0: the first byte stops counting and drives OUT low.
                        frozen = value(now);
                        loaded = false;
                        running = false;
                    }
                }
                case RW_WORD1 -> {
                    writeState = RW_WORD0;
                    setCountRegister(now, writeLatch | b << 8);
                }
                default -> setCountRegister(now, b);
            }
        }

        private void setCountRegister(long now, int raw) {
            int n = bcd ? fromBcd(raw) : raw;
            if (n == 0) {
                n = modulus();
            }
            countRegister = n;
            nullCount = true;
            switch (mode) {
                case 1, 5 -> { } // loaded by the next gate trigger
                case 2, 3 -> {
                    if (loaded && running) {
                        // The period under way finishes with the old count.
                        long d = elapsed(now);
                        reloadTick = d - d % count + count;
                        reloadAt = start + nanosFor(reloadTick - baseTicks);
                        reloadPending = true;
                    } else {
                        load(now, n);
                        running = gate;
                    }
                }
                default -> {
                    load(now, n); // modes 0 and 4 load at once and (re)start
                    running = gate;
                }
            }
        }

        void setGate(long now, boolean high) {
            if (high == gate) {
                return;
            }
            applyReload(now);
            gate = high;
            switch (mode) {
                case 1, 5 -> {
                    if (high) {
                        load(now, countRegister); // rising edge (re)triggers
                    }
                }
                case 2, 3 -> {
                    if (high) {
                        load(now, countRegister); // rising edge reloads
                    } else if (loaded) {
                        baseTicks = elapsed(now);
                        running = false;
                        reloadPending = false;
                    }
                }
                default -> {
                    if (!loaded) {
                        return;
                    }
                    if (high) {
                        start = now; // counting resumes where it stopped
                        running = true;
                    } else {
                        baseTicks = elapsed(now);
                        running = false;
                    }
                }
            }
        }

        void latchCount(long now) {
            if (countLatched == 0) { // a second latch before the read is ignored
                latchedCount = display(value(now));
                countLatched = rwMode == 0 ? RW_LSB : rwMode;
            }
        }

        void latchStatus(long now) {
            if (!statusLatched) {
                applyReload(now);
                status = (out(now) ? STATUS_OUT : 0) | (nullCount ? STATUS_NULL_COUNT : 0)
                        | rwMode << CW_ACCESS_SHIFT | modeBits << CW_MODE_SHIFT | (bcd ? CW_BCD : 0);
                statusLatched = true;
            }
        }

        private int display(int v) {
            return bcd ? toBcd(v % 10_000) : v & 0xFFFF;
        }

        int read(long now) {
            if (statusLatched) {
                statusLatched = false;
                return status;
            }
            switch (countLatched) {
                case 0 -> { }
                case RW_MSB -> {
                    countLatched = 0;
                    return latchedCount >>> 8;
                }
                case RW_WORD0 -> { // LSB then MSB
                    countLatched = RW_MSB;
                    return latchedCount & 0xFF;
                }
                default -> {
                    countLatched = 0;
                    return latchedCount & 0xFF;
                }
            }
            int v = display(value(now));
            return switch (readState) {
                case RW_MSB -> v >>> 8;
                case RW_WORD0 -> {
                    readState = RW_WORD1;
                    yield v & 0xFF;
                }
                case RW_WORD1 -> {
                    readState = RW_WORD0;
                    yield v >>> 8;
                }
                default -> v & 0xFF;
            };
        }
    }

    // ---- port 0x61 ----------------------------------------------------------------------------

    private final class SpeakerPort implements BusDevice {
        @Override
        public long read(long offset, int size) {
            synchronized (Pit8254.this) {
                Channel c2 = channels[COUNTER2];
                refreshToggle ^= SPK_REFRESH;
                int v = (c2.gate ? SPK_GATE2 : 0) | (speakerData ? SPK_DATA : 0) | refreshToggle
                        | (c2.out(nanos.getAsLong()) ? SPK_OUT2 : 0);
                return size == 1 ? v : v | (Bus.ones(size) & ~0xFFL);
            }
        }

        @Override
        public void write(long offset, int size, long value) {
            synchronized (Pit8254.this) {
                speakerData = (value & SPK_DATA) != 0;
                setGate(COUNTER2, (value & SPK_GATE2) != 0);
            }
        }
    }
}
