package dev.ukemu.devices.testing;

import java.util.function.LongSupplier;

/** A machine clock that moves only when a test moves it. */
public final class ManualClock implements LongSupplier {
    private long now;

    public ManualClock(long start) {
        this.now = start;
    }

    public ManualClock() {
        this(0);
    }

    public synchronized long nanos() {
        return now;
    }

    @Override
    public long getAsLong() {
        return nanos();
    }

    /** Moves the clock without running any timer (use {@link ManualTimerService} for that). */
    public synchronized void set(long nanos) {
        if (nanos < now) {
            throw new IllegalArgumentException("time runs forward: " + nanos + " < " + now);
        }
        now = nanos;
    }
}
