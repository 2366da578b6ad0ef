package dev.ukemu.devices.rtc;

import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.core.irq.IrqLine;
import dev.ukemu.core.time.TimerService;

import java.time.Instant;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The Motorola MC146818 real-time clock and its 128 bytes of CMOS RAM, at offsets 0 (index, and
 * the NMI mask in bit 7) and 1 (data) of its range: ports 0x70/0x71 on a PC, interrupting on
 * ISA IRQ 8.
 *
 * <p>Time is the wall clock the machine was started at (QEMU's {@code -rtc base=utc}) plus the
 * machine clock since; a guest that sets the time (SET in register B, or a write while the clock
 * runs) moves that base. Registers show it in BCD or binary (DM) and 12- or 24-hour form, as
 * register B says. UIP reads set during the last 244 µs of each second; the update-ended,
 * alarm and periodic flags in register C are computed from time when read, and a timer raises
 * IRQ 8 for them only while their interrupt is enabled.
 *
 * <p>Behaviour follows the MC146818A datasheet and QEMU's {@code hw/rtc/mc146818rtc.c}
 * (reset values A=0x26, B=0x02, D=0x80; SET clears UIE; PF is set only while PIE is, where the
 * datasheet sets it regardless; index port reads 0xFF; index 0x37 is the PS/2 alias of the
 * century byte 0x32).
 */
public final class CmosRtc implements BusDevice {
    public static final int PORT = 0x70;
    public static final int SIZE = 2;
    public static final int IRQ = 8;
    public static final int INDEX = 0;
    public static final int DATA = 1;
    /** Bytes of CMOS RAM, clock registers included. */
    public static final int CMOS_SIZE = 128;

    /** Bit 7 of the index port masks NMI on a PC. */
    public static final int NMI_MASK = 0x80;

    // Clock registers (MC146818A datasheet table 2).
    public static final int SECONDS = 0x00;
    public static final int SECONDS_ALARM = 0x01;
    public static final int MINUTES = 0x02;
    public static final int MINUTES_ALARM = 0x03;
    public static final int HOURS = 0x04;
    public static final int HOURS_ALARM = 0x05;
    public static final int DAY_OF_WEEK = 0x06;
    public static final int DAY_OF_MONTH = 0x07;
    public static final int MONTH = 0x08;
    public static final int YEAR = 0x09;
    public static final int REG_A = 0x0A;
    public static final int REG_B = 0x0B;
    public static final int REG_C = 0x0C;
    public static final int REG_D = 0x0D;

    // PC CMOS layout (QEMU's pc_cmos_init, what SeaBIOS reads).
    public static final int SHUTDOWN_STATUS = 0x0F;
    public static final int EQUIPMENT = 0x14;
    public static final int BASE_MEMORY_LO = 0x15;      // KiB below 1 MiB (640)
    public static final int EXT_MEMORY_LO = 0x17;       // KiB above 1 MiB, up to 65535
    public static final int EXT_MEMORY_POST_LO = 0x30;  // same value, as POST reports it
    public static final int CENTURY = 0x32;
    public static final int EXT_MEMORY_16M_LO = 0x34;   // 64 KiB units between 16 MiB and 4 GiB
    public static final int PS2_CENTURY = 0x37;         // IBM PS/2 alias of CENTURY
    public static final int HIGH_MEMORY_LO = 0x5B;      // 64 KiB units above 4 GiB, 3 bytes
    public static final int CPU_COUNT_MINUS_ONE = 0x5F;

    // Register A.
    public static final int A_UIP = 0x80;
    public static final int A_DIVIDER_MASK = 0x70;
    public static final int A_DIVIDER_32K = 0x20;       // 32.768 kHz time base, running
    public static final int A_DIVIDER_RESET = 0x60;     // 11x: divider chain held in reset
    public static final int A_RATE_MASK = 0x0F;
    // Register B.
    public static final int B_SET = 0x80;
    public static final int B_PIE = 0x40;
    public static final int B_AIE = 0x20;
    public static final int B_UIE = 0x10;
    public static final int B_SQWE = 0x08;
    public static final int B_DM = 0x04;                // binary (1) or BCD (0)
    public static final int B_24H = 0x02;
    public static final int B_DSE = 0x01;
    // Register C.
    public static final int C_IRQF = 0x80;
    public static final int C_PF = 0x40;
    public static final int C_AF = 0x20;
    public static final int C_UF = 0x10;
    private static final int C_FLAGS = C_PF | C_AF | C_UF;
    // Register D.
    public static final int D_VRT = 0x80;

    /** An alarm byte of 0xC0-0xFF matches any value ("don't care"). */
    public static final int ALARM_DONT_CARE = 0xC0;

    /** UIP is set this long before each update (8 cycles of the 32.768 kHz base: 244 µs). */
    public static final long UIP_HOLD_NANOS = 8 * 1_000_000_000L / 32_768;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long BASE_HZ = 32_768;
    private static final int SECONDS_PER_DAY = 86_400;

    private final LongSupplier nanos;
    private final IrqLine irq;
    private final TimerService.Timer timer;
    private final int[] cmos = new int[CMOS_SIZE];

    private int index;
    private boolean nmiMasked;
    /** Guest time = baseSeconds + (clock - baseClock + baseSubNanos) / 1e9. */
    private long baseSeconds;
    private long baseClock;
    private long baseSubNanos;
    /** The sub-second phase the clock had when it stopped (kept across SET, as QEMU's offset). */
    private long frozenSubNanos;
    /** The guest second the time registers were last filled from (Long.MIN_VALUE: stale). */
    private long shownSecond = Long.MIN_VALUE;
    /** The last guest second whose update cycle has been accounted in register C. */
    private long checkedSecond;
    /** The last periodic-interrupt period accounted in register C. */
    private long checkedPeriod;
    private boolean irqLevel;
    private long scheduled = -1;

    /**
     * @param nanos the machine clock ({@code GuestClock::nanos})
     * @param timers where interrupt deadlines are scheduled
     * @param irq IRQ 8
     * @param start the wall-clock time (UTC) the machine clock's current value stands for
     */
    public CmosRtc(LongSupplier nanos, TimerService timers, IrqLine irq, Instant start) {
        this.nanos = Objects.requireNonNull(nanos, "nanos");
        this.irq = Objects.requireNonNull(irq, "irq");
        this.timer = Objects.requireNonNull(timers, "timers").newTimer("rtc", this::onTimer);
        cmos[REG_A] = A_DIVIDER_32K | 0x06; // 1024 Hz periodic rate
        cmos[REG_B] = B_24H;
        cmos[REG_C] = 0;
        cmos[REG_D] = D_VRT;
        long now = nanos.getAsLong();
        baseSeconds = start.getEpochSecond();
        baseSubNanos = start.getNano();
        baseClock = now;
        checkedSecond = guestSecond(now);
        checkedPeriod = periodIndex(now);
        showTime(now);
    }

    /** Machine reset (QEMU's rtc_reset): interrupt enables and flags cleared, time kept. */
    public synchronized void reset() {
        long now = nanos.getAsLong();
        catchUp(now);
        if (cmos[SHUTDOWN_STATUS] != 0xFE) {
            cmos[SHUTDOWN_STATUS] = 0; // 0xFE marks an S3 resume the firmware must see
        }
        cmos[REG_B] &= ~(B_PIE | B_AIE | B_SQWE);
        cmos[REG_C] = 0;
        setIrq(false);
        rearm(now);
    }

    // ---- bus interface ----------------------------------------------------------------------

    @Override
    public long read(long offset, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            long o = offset + i;
            long b = o == DATA ? readData() : 0xFF; // the index port is write-only; QEMU reads 0xFF
            v |= b << (8 * i);
        }
        return v;
    }

    @Override
    public void write(long offset, int size, long value) {
        for (int i = 0; i < size && offset + i < SIZE; i++) {
            int b = (int) (value >>> (8 * i)) & 0xFF;
            if (offset + i == INDEX) {
                writeIndex(b);
            } else {
                writeData(b);
            }
        }
    }

    private synchronized void writeIndex(int b) {
        index = b & 0x7F;
        nmiMasked = (b & NMI_MASK) != 0;
    }

    private synchronized int readData() {
        long now = nanos.getAsLong();
        catchUp(now);
        int i = index == PS2_CENTURY ? CENTURY : index;
        switch (i) {
            case SECONDS, MINUTES, HOURS, DAY_OF_WEEK, DAY_OF_MONTH, MONTH, YEAR, CENTURY -> {
                if (running()) {
                    showTime(now);
                }
                return cmos[i];
            }
            case REG_A -> {
                return cmos[REG_A] | (updateInProgress(now) ? A_UIP : 0);
            }
            case REG_C -> {
                int v = cmos[REG_C];
                cmos[REG_C] = 0;
                setIrq(false);
                rearm(now);
                return v;
            }
            default -> {
                return cmos[i];
            }
        }
    }

    private synchronized void writeData(int b) {
        long now = nanos.getAsLong();
        catchUp(now);
        int i = index == PS2_CENTURY ? CENTURY : index;
        switch (i) {
            case SECONDS, MINUTES, HOURS, DAY_OF_WEEK, DAY_OF_MONTH, MONTH, YEAR, CENTURY -> {
                if (running()) {
                    showTime(now); // the other fields keep counting from now
                    cmos[i] = b;
                    setTimeFromRegisters(now, subSecond(now));
                } else {
                    cmos[i] = b;
                }
            }
            case REG_A -> writeA(now, b);
            case REG_B -> writeB(now, b);
            case REG_C, REG_D -> { } // read-only
            default -> cmos[i] = b;
        }
        rearm(now);
    }

    private void writeA(long now, int b) {
        int old = cmos[REG_A];
        boolean wasRunning = running();
        if (wasRunning) {
            showTime(now);
        }
        cmos[REG_A] = b & ~A_UIP;
        boolean inReset = (b & A_DIVIDER_RESET) == A_DIVIDER_RESET;
        if (!inReset && (old & A_DIVIDER_RESET) == A_DIVIDER_RESET && (cmos[REG_B] & B_SET) == 0) {
            // Leaving divider reset: the first update comes half a second later.
            setTimeFromRegisters(now, NANOS_PER_SECOND / 2);
        } else if (wasRunning && !running()) {
            freezeAt(now);
        }
        if (((old ^ b) & A_RATE_MASK) != 0) {
            checkedPeriod = periodIndex(now);
        }
    }

    private void writeB(long now, int b) {
        int old = cmos[REG_B];
        if ((b & B_SET) != 0) {
            if (running()) {
                showTime(now);
                freezeAt(now);
            }
            b &= ~B_UIE; // SET clears UIE
        } else if ((old & B_SET) != 0 && (cmos[REG_A] & A_DIVIDER_MASK) <= A_DIVIDER_32K) {
            cmos[REG_B] = b;
            setTimeFromRegisters(now, frozenSubNanos);
        }
        cmos[REG_B] = b;
        if (((old ^ b) & (B_DM | B_24H)) != 0) {
            shownSecond = Long.MIN_VALUE; // a running clock shows itself in the new format
        }
        if ((b & ~old & B_PIE) != 0) {
            checkedPeriod = periodIndex(now); // PF counts from the moment PIE is set
        }
        // A flag already set raises the interrupt as soon as it is enabled.
        if ((cmos[REG_C] & b & C_FLAGS) != 0) {
            cmos[REG_C] |= C_IRQF;
            setIrq(true);
        } else {
            cmos[REG_C] &= ~C_IRQF;
            setIrq(false);
        }
    }

    // ---- time keeping ---------------------------------------------------------------------------

    private boolean running() {
        return (cmos[REG_B] & B_SET) == 0 && (cmos[REG_A] & A_DIVIDER_MASK) <= A_DIVIDER_32K;
    }

    private boolean dividerRunning() {
        return (cmos[REG_A] & A_DIVIDER_RESET) != A_DIVIDER_RESET;
    }

    private long guestSecond(long now) {
        return baseSeconds + Math.floorDiv(now - baseClock + baseSubNanos, NANOS_PER_SECOND);
    }

    private long subSecond(long now) {
        return Math.floorMod(now - baseClock + baseSubNanos, NANOS_PER_SECOND);
    }

    private void freezeAt(long now) {
        frozenSubNanos = subSecond(now);
    }

    private boolean updateInProgress(long now) {
        return running() && subSecond(now) >= NANOS_PER_SECOND - UIP_HOLD_NANOS;
    }

    /** Restarts the clock from the time registers, {@code subNanos} into the current second. */
    private void setTimeFromRegisters(long now, long subNanos) {
        long seconds = registersToEpochSeconds();
        baseSeconds = seconds;
        baseClock = now;
        baseSubNanos = subNanos;
        shownSecond = Long.MIN_VALUE;
        checkedSecond = seconds; // setting the time is not an update cycle
    }

    private int fromReg(int v) {
        return (cmos[REG_B] & B_DM) != 0 ? v : (v >>> 4) * 10 + (v & 0x0F);
    }

    private int toReg(int v) {
        return (cmos[REG_B] & B_DM) != 0 ? v : (v / 10) << 4 | v % 10;
    }

    private int hourFromReg(int v) {
        int h = fromReg(v & 0x7F);
        if ((cmos[REG_B] & B_24H) == 0) {
            h = h % 12 + ((v & 0x80) != 0 ? 12 : 0);
        }
        return h;
    }

    private int hourToReg(int h) {
        if ((cmos[REG_B] & B_24H) != 0) {
            return toReg(h);
        }
        int h12 = h % 12 == 0 ? 12 : h % 12;
        return toReg(h12) | (h >= 12 ? 0x80 : 0);
    }

    private long registersToEpochSeconds() {
        int year = fromReg(cmos[CENTURY]) * 100 + fromReg(cmos[YEAR]);
        int month = Math.max(1, Math.min(12, fromReg(cmos[MONTH])));
        long days = daysFromCivil(year, month, fromReg(cmos[DAY_OF_MONTH]));
        return days * SECONDS_PER_DAY + hourFromReg(cmos[HOURS]) * 3600L
                + fromReg(cmos[MINUTES]) * 60L + fromReg(cmos[SECONDS]);
    }

    /** Fills the time registers from the running clock (once per guest second). */
    private void showTime(long now) {
        long s = guestSecond(now);
        if (s == shownSecond) {
            return;
        }
        shownSecond = s;
        long days = Math.floorDiv(s, SECONDS_PER_DAY);
        int tod = (int) Math.floorMod(s, SECONDS_PER_DAY);
        cmos[SECONDS] = toReg(tod % 60);
        cmos[MINUTES] = toReg(tod / 60 % 60);
        cmos[HOURS] = hourToReg(tod / 3600);
        cmos[DAY_OF_WEEK] = toReg((int) Math.floorMod(days + 4, 7) + 1); // 1970-01-01: Thursday; Sunday = 1
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm, proleptic Gregorian).
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long doe = z - era * 146_097;
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        int day = (int) (doy - (153 * mp + 2) / 5 + 1);
        int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
        cmos[DAY_OF_MONTH] = toReg(day);
        cmos[MONTH] = toReg(month);
        cmos[YEAR] = toReg((int) Math.floorMod(year, 100));
        cmos[CENTURY] = toReg((int) Math.floorMod(year / 100, 100));
    }

    static long daysFromCivil(long year, int month, int day) {
        long y = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(y, 400);
        long yoe = y - era * 400;
        long doy = (153L * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146_097 + doe - 719_468;
    }

    // ---- interrupt flags ------------------------------------------------------------------------

    /** Periodic interrupt period in 32.768 kHz cycles, 0 when off (datasheet table 3). */
    private int periodCycles() {
        int rate = cmos[REG_A] & A_RATE_MASK;
        if (rate == 0 || !dividerRunning()) {
            return 0;
        }
        return rate <= 2 ? 1 << (rate + 6) : 1 << (rate - 1);
    }

    private long periodIndex(long now) {
        int period = periodCycles();
        if (period == 0) {
            return 0;
        }
        long cycles = now / NANOS_PER_SECOND * BASE_HZ + now % NANOS_PER_SECOND * BASE_HZ / NANOS_PER_SECOND;
        return cycles / period;
    }

    private long periodStartNanos(long periodIndex) {
        long cycles = periodIndex * periodCycles();
        return cycles / BASE_HZ * NANOS_PER_SECOND + Math.ceilDiv(cycles % BASE_HZ * NANOS_PER_SECOND, BASE_HZ);
    }

    /** Sets the register C flags for everything that happened up to {@code now}. */
    private void catchUp(long now) {
        int flags = 0;
        if ((cmos[REG_B] & B_PIE) != 0 && periodCycles() != 0) {
            // QEMU runs the periodic timer, and so sets PF, only while PIE is set.
            long p = periodIndex(now);
            if (p > checkedPeriod) {
                flags |= C_PF;
            }
            checkedPeriod = p;
        }
        if (running()) {
            long s = guestSecond(now);
            if (s > checkedSecond) {
                flags |= C_UF;
                if (alarmMatchesBetween(checkedSecond, s)) {
                    flags |= C_AF;
                }
                checkedSecond = s;
            }
        }
        if (flags != 0) {
            cmos[REG_C] |= flags;
            if ((cmos[REG_C] & cmos[REG_B] & C_FLAGS) != 0) {
                cmos[REG_C] |= C_IRQF;
                setIrq(true);
            }
        }
    }

    private int alarmField(int reg, boolean hours) {
        int v = cmos[reg];
        if ((v & ALARM_DONT_CARE) == ALARM_DONT_CARE) {
            return -1;
        }
        return hours ? hourFromReg(v) : fromReg(v);
    }

    /** True if an update to some second in {@code (from, to]} matches the alarm. */
    private boolean alarmMatchesBetween(long from, long to) {
        int as = alarmField(SECONDS_ALARM, false);
        int am = alarmField(MINUTES_ALARM, false);
        int ah = alarmField(HOURS_ALARM, true);
        long span = Math.min(to - from, SECONDS_PER_DAY);
        for (long s = to - span + 1; s <= to; s++) {
            int tod = (int) Math.floorMod(s, SECONDS_PER_DAY);
            if ((as < 0 || as == tod % 60) && (am < 0 || am == tod / 60 % 60) && (ah < 0 || ah == tod / 3600)) {
                return true;
            }
        }
        return false;
    }

    private void setIrq(boolean level) {
        if (level != irqLevel) {
            irqLevel = level;
            irq.setLevel(level);
        }
    }

    /** Arms the timer for the next interrupt an enabled source can raise. */
    private void rearm(long now) {
        long next = -1;
        int b = cmos[REG_B];
        if ((b & B_PIE) != 0 && periodCycles() != 0) {
            next = periodStartNanos(periodIndex(now) + 1);
        }
        if ((b & (B_UIE | B_AIE)) != 0 && running()) {
            long update = now + NANOS_PER_SECOND - subSecond(now);
            next = next < 0 ? update : Math.min(next, update);
        }
        if (next == scheduled) {
            return;
        }
        scheduled = next;
        if (next >= 0) {
            timer.setDeadline(next);
        } else {
            timer.cancel();
        }
    }

    private synchronized void onTimer() {
        long now = nanos.getAsLong();
        if (scheduled >= 0 && scheduled > now) {
            return; // stale firing: re-armed since
        }
        catchUp(now);
        scheduled = -1;
        rearm(now);
    }

    // ---- machine-side access ------------------------------------------------------------------

    /** True while the guest has NMI masked through bit 7 of port 0x70. */
    public synchronized boolean nmiMasked() {
        return nmiMasked;
    }

    /** Writes a CMOS byte as firmware would (no side effects on the clock). */
    public synchronized void setCmos(int index, int value) {
        cmos[Objects.checkIndex(index, CMOS_SIZE)] = value & 0xFF;
    }

    public synchronized int cmos(int index) {
        return cmos[Objects.checkIndex(index, CMOS_SIZE)];
    }

    /**
     * Records the RAM size where QEMU's {@code pc_cmos_init} puts it: base memory (640 KiB) at
     * 0x15, KiB above 1 MiB at 0x17 and 0x30 (capped at 65535), 64 KiB units between 16 MiB and
     * 4 GiB at 0x34 (capped at 65535), and 64 KiB units above 4 GiB at 0x5B (three bytes).
     */
    public synchronized void setMemorySizes(long belowFourGiB, long aboveFourGiB) {
        long kib = 1024;
        long mib = 1024 * kib;
        int base = (int) Math.min(belowFourGiB / kib, 640);
        put16(BASE_MEMORY_LO, base);
        int ext = (int) Math.min(belowFourGiB > mib ? (belowFourGiB - mib) / kib : 0, 65535);
        put16(EXT_MEMORY_LO, ext);
        put16(EXT_MEMORY_POST_LO, ext);
        int ext16 = (int) Math.min(belowFourGiB > 16 * mib ? (belowFourGiB - 16 * mib) / (64 * kib) : 0, 65535);
        put16(EXT_MEMORY_16M_LO, ext16);
        long high = aboveFourGiB / (64 * kib);
        cmos[HIGH_MEMORY_LO] = (int) (high & 0xFF);
        cmos[HIGH_MEMORY_LO + 1] = (int) (high >>> 8 & 0xFF);
        cmos[HIGH_MEMORY_LO + 2] = (int) (high >>> 16 & 0xFF);
    }

    /** CPU count minus one at 0x5F, as QEMU records it for SeaBIOS. */
    public synchronized void setCpuCount(int cpus) {
        cmos[CPU_COUNT_MINUS_ONE] = Math.max(0, cpus - 1) & 0xFF;
    }

    private void put16(int lo, int value) {
        cmos[lo] = value & 0xFF;
        cmos[lo + 1] = value >>> 8 & 0xFF;
    }

    /** The guest's RTC time now (whole seconds), as the registers would show it. */
    public synchronized Instant time() {
        long now = nanos.getAsLong();
        if (running()) {
            return Instant.ofEpochSecond(guestSecond(now), subSecond(now));
        }
        return Instant.ofEpochSecond(registersToEpochSeconds());
    }

    /** Whether IRQ 8 is being driven high. */
    public synchronized boolean irqLevel() {
        return irqLevel;
    }

    @Override
    public String toString() {
        return String.format("rtc index=%02x %s", index, time());
    }
}
