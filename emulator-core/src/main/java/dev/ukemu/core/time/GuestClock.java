package dev.ukemu.core.time;

/**
 * The machine's one clock. Every time source a guest can read (TSC, PIT, RTC, APIC timer, ACPI
 * PM timer) derives from {@link #nanos()}, so a guest that calibrates one against another gets
 * a consistent answer. The TSC runs at a fixed advertised rate.
 */
public final class GuestClock {
    /** The advertised TSC rate: 2.5 GHz, announced in CPUID 0x40000010. */
    public static final long DEFAULT_TSC_KHZ = 2_500_000;

    private final java.util.function.LongSupplier source;
    private final long origin;
    private final long tscKhz;

    public GuestClock(long tscKhz) {
        this(tscKhz, System::nanoTime);
    }

    /** A clock driven by {@code nanoSource} (tests drive time by hand). */
    public GuestClock(long tscKhz, java.util.function.LongSupplier nanoSource) {
        if (tscKhz <= 0) {
            throw new IllegalArgumentException("TSC frequency must be positive");
        }
        this.tscKhz = tscKhz;
        this.source = nanoSource;
        this.origin = nanoSource.getAsLong();
    }

    public GuestClock() {
        this(DEFAULT_TSC_KHZ);
    }

    /** Nanoseconds since the machine was created. */
    public long nanos() {
        return source.getAsLong() - origin;
    }

    public long tscKhz() {
        return tscKhz;
    }

    /** TSC ticks for a span of nanoseconds, without overflow for centuries of uptime. */
    public long ticks(long nanos) {
        return (nanos / 1_000_000) * tscKhz + (nanos % 1_000_000) * tscKhz / 1_000_000;
    }

    public long tsc() {
        return ticks(nanos());
    }
}
