package dev.ukemu.devices.acpi;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.core.irq.IrqLine;
import dev.ukemu.core.machine.SystemControl;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The ACPI fixed-hardware registers of QEMU's PIIX4 power-management function, in the I/O block
 * QEMU puts at 0x600 ({@code hw/acpi/core.c}, {@code hw/acpi/piix4.c}; ACPI 6.5 section 4.8):
 * <pre>
 *   +0  PM1a_STS  2 bytes  write 1 to clear
 *   +2  PM1a_EN   2 bytes
 *   +4  PM1a_CNT  2 bytes  SCI_EN, SLP_TYP, SLP_EN
 *   +8  PM_TMR    4 bytes  24-bit counter at 3.579545 MHz, read-only
 * </pre>
 * Writing SLP_EN with SLP_TYP 0 (the {@code _S5} value of QEMU's PIIX4 DSDT) or with the S4 value
 * (2 on PIIX4, which QEMU also turns into a shutdown) powers the machine off. S3 (type 1) is not
 * supported and is ignored. Unikraft powers off with {@code outw(0x604, 0x2000)}.
 *
 * <p>Registers accept any access width by byte lanes (QEMU refuses all but the native width;
 * the PIIX4 itself accepts byte accesses). The SCI level is recomputed whenever the guest
 * touches PM1_STS or PM1_EN; there is no timer service yet to raise it on its own when the PM
 * timer's bit 23 flips, so TMR_STS is only seen by a guest that reads PM1_STS.
 */
public final class AcpiPm implements BusDevice {
    /** QEMU's PIIX4 PM I/O base. */
    public static final int DEFAULT_BASE = 0x600;
    /** Bytes of register space: PM1a_EVT (4), PM1a_CNT (2), reserved (2), PM_TMR (4). */
    public static final int SIZE = 12;

    // Offsets within the block (QEMU: pm1.evt at 0, pm1.cnt at 4, tmr at 8).
    public static final int PM1_STS = 0;
    public static final int PM1_EN = 2;
    public static final int PM1_CNT = 4;
    public static final int PM_TMR = 8;
    private static final int RESERVED = 6;

    // PM1_STS / PM1_EN bits (ACPI 6.5 tables 4.16 and 4.17).
    public static final int TMR_STS = 1 << 0;
    public static final int BM_STS = 1 << 4;
    public static final int GBL_STS = 1 << 5;
    public static final int PWRBTN_STS = 1 << 8;
    public static final int SLPBTN_STS = 1 << 9;
    public static final int RTC_STS = 1 << 10;
    public static final int WAK_STS = 1 << 15;
    public static final int TMR_EN = 1 << 0;
    public static final int GBL_EN = 1 << 5;
    public static final int PWRBTN_EN = 1 << 8;
    public static final int RTC_EN = 1 << 10;
    /** Enables that can raise an SCI (QEMU's ACPI_BITMASK_PM1_COMMON_ENABLED). */
    private static final int SCI_SOURCES = TMR_EN | GBL_EN | PWRBTN_EN | RTC_EN;

    // PM1_CNT bits (ACPI 6.5 table 4.18).
    public static final int SCI_EN = 1 << 0;
    public static final int SLP_TYP_SHIFT = 10;
    public static final int SLP_TYP_MASK = 7 << SLP_TYP_SHIFT;
    public static final int SLP_EN = 1 << 13;
    /** Sleep types of QEMU's PIIX4 ({@code _S5 = 0}, {@code _S3 = 1}, {@code s4_val = 2}). */
    public static final int SLP_TYP_S5 = 0;
    public static final int SLP_TYP_S3 = 1;
    public static final int SLP_TYP_S4 = 2;

    /** The ACPI PM timer frequency (ACPI 6.5 section 4.8.3.3): the 14.31818 MHz crystal / 4. */
    public static final long PM_TIMER_HZ = 3_579_545L;
    public static final int PM_TIMER_MASK = 0xFF_FFFF;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** TMR_STS is set each time bit 23 of the counter changes. */
    private static final long TMR_CARRY = 1L << 23;

    private final SystemControl system;
    private final LongSupplier nanos;
    private final long originNanos;
    private final IrqLine sci;

    private int sts;
    private int en;
    private int cnt;
    /** Timer tick at which TMR_STS next becomes set. */
    private long overflowTick;
    private boolean sciLevel;

    /**
     * @param system receives {@code powerOff()} on an S5 (or S4) sleep request
     * @param nanos the machine's monotonic clock in nanoseconds; PM_TMR counts from its value now
     * @param sci the System Control Interrupt line (ISA IRQ 9 on a PIIX4 machine)
     */
    public AcpiPm(SystemControl system, LongSupplier nanos, IrqLine sci) {
        this.system = Objects.requireNonNull(system, "system");
        this.nanos = Objects.requireNonNull(nanos, "nanos");
        this.sci = Objects.requireNonNull(sci, "sci");
        this.originNanos = nanos.getAsLong();
    }

    /** A PM block whose SCI is connected to nothing. */
    public AcpiPm(SystemControl system, LongSupplier nanos) {
        this(system, nanos, IrqLine.none());
    }

    /** Returns the registers to their power-on values (the timer keeps counting, as QEMU's). */
    public synchronized void reset() {
        sts = 0;
        en = 0;
        cnt = 0;
        overflowTick = 0;
        updateSci();
    }

    // ---- bus interface ----------------------------------------------------------------------

    @Override
    public synchronized long read(long offset, int size) {
        long v = 0;
        int i = 0;
        while (i < size) {
            int o = (int) offset + i;
            if (o >= SIZE) {
                v |= Bus.ones(size - i) << (8 * i); // past the block: an undriven bus
                break;
            }
            int base = registerBase(o);
            int width = registerWidth(base);
            int lane = o - base;
            int n = Math.min(width - lane, size - i);
            long reg = readRegister(base);
            v |= ((reg >>> (8 * lane)) & Bus.ones(n)) << (8 * i);
            i += n;
        }
        return v;
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        int i = 0;
        while (i < size && (int) offset + i < SIZE) {
            int o = (int) offset + i;
            int base = registerBase(o);
            int width = registerWidth(base);
            int lane = o - base;
            int n = Math.min(width - lane, size - i);
            long mask = Bus.ones(n) << (8 * lane);
            long part = ((value >>> (8 * i)) << (8 * lane)) & mask;
            writeRegister(base, (int) part, (int) mask);
            i += n;
        }
    }

    private static int registerBase(int offset) {
        return offset >= PM_TMR ? PM_TMR : offset & ~1;
    }

    private static int registerWidth(int base) {
        return base == PM_TMR ? 4 : 2;
    }

    private long readRegister(int base) {
        return switch (base) {
            case PM1_STS -> status();
            case PM1_EN -> en;
            case PM1_CNT -> cnt;
            case PM_TMR -> ticks() & PM_TIMER_MASK;
            default -> 0xFFFF; // reserved: nothing decodes it
        };
    }

    /** {@code value} holds the written bytes in their register lanes; {@code mask} marks them. */
    private void writeRegister(int base, int value, int mask) {
        switch (base) {
            case PM1_STS -> {
                // Write 1 to clear; lanes not written write zeros and clear nothing.
                if ((status() & value & TMR_STS) != 0) {
                    overflowTick = nextCarry(ticks());
                }
                sts &= ~value;
                updateSci();
            }
            case PM1_EN -> {
                en = (en & ~mask) | value;
                updateSci();
            }
            case PM1_CNT -> writeControl((cnt & ~mask) | value);
            default -> { } // PM_TMR is read-only; the reserved word ignores writes
        }
    }

    private void writeControl(int value) {
        cnt = value & ~SLP_EN & 0xFFFF; // SLP_EN is write-only and self-clearing
        if ((value & SLP_EN) == 0) {
            return;
        }
        int type = (value & SLP_TYP_MASK) >>> SLP_TYP_SHIFT;
        if (type == SLP_TYP_S5 || type == SLP_TYP_S4) {
            system.powerOff();
        }
        // SLP_TYP_S3 and undefined types: no suspend support, the guest keeps running.
    }

    // ---- PM timer ------------------------------------------------------------------------------

    /** Ticks of the 3.579545 MHz counter since construction, without overflow for any uptime. */
    private long ticks() {
        long ns = nanos.getAsLong() - originNanos;
        long seconds = Math.floorDiv(ns, NANOS_PER_SECOND);
        long rest = Math.floorMod(ns, NANOS_PER_SECOND);
        return seconds * PM_TIMER_HZ + rest * PM_TIMER_HZ / NANOS_PER_SECOND;
    }

    private static long nextCarry(long tick) {
        return (tick + TMR_CARRY) & ~(TMR_CARRY - 1);
    }

    private int status() {
        if (ticks() >= overflowTick) {
            sts |= TMR_STS;
        }
        return sts;
    }

    // ---- SCI and machine events ---------------------------------------------------------------

    private void updateSci() {
        boolean level = (status() & en & SCI_SOURCES) != 0;
        if (level != sciLevel) {
            sciLevel = level;
            sci.setLevel(level);
        }
    }

    /** The power button was pressed (monitor {@code system_powerdown}): sets PWRBTN_STS. */
    public synchronized void pressPowerButton() {
        if ((en & PWRBTN_EN) != 0) {
            sts |= PWRBTN_STS;
            updateSci();
        }
    }

    /**
     * Sets or clears SCI_EN, the switch into ACPI mode; the APM control port (0xB2) does this when
     * the guest writes the FADT's ACPI_ENABLE / ACPI_DISABLE values to SMI_CMD.
     */
    public synchronized void setSciEnabled(boolean enabled) {
        cnt = enabled ? cnt | SCI_EN : cnt & ~SCI_EN;
    }

    /** The current PM_TMR value (24 bits). */
    public synchronized int timer() {
        return (int) (ticks() & PM_TIMER_MASK);
    }
}
