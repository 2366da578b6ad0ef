package dev.ukemu.devices.testing;

import dev.ukemu.core.time.TimerService;

import java.util.ArrayList;
import java.util.List;

/**
 * Timers on a {@link ManualClock}: nothing fires until the test advances time, and then every
 * timer that falls due runs in deadline order with the clock set to its deadline, on the test's
 * own thread, as the machine's timer thread would run it.
 */
public final class ManualTimerService implements TimerService {
    private final ManualClock clock;
    private final List<ManualTimer> timers = new ArrayList<>();
    private long fired;

    public ManualTimerService(ManualClock clock) {
        this.clock = clock;
    }

    public ManualClock clock() {
        return clock;
    }

    public final class ManualTimer implements Timer {
        private final String name;
        private final Runnable action;
        private long deadline;
        private boolean armed;

        ManualTimer(String name, Runnable action) {
            this.name = name;
            this.action = action;
        }

        @Override
        public void setDeadline(long nanos) {
            deadline = nanos;
            armed = true;
        }

        @Override
        public void cancel() {
            armed = false;
        }

        @Override
        public boolean armed() {
            return armed;
        }

        public long deadline() {
            return deadline;
        }

        public String name() {
            return name;
        }
    }

    @Override
    public ManualTimer newTimer(String name, Runnable action) {
        ManualTimer t = new ManualTimer(name, action);
        timers.add(t);
        return t;
    }

    /** Advances the clock by {@code nanos}, firing every timer that falls due on the way. */
    public void advance(long nanos) {
        advanceTo(clock.nanos() + nanos);
    }

    /** Advances the clock to {@code target}, firing due timers in deadline order. */
    public void advanceTo(long target) {
        for (int guard = 0; ; guard++) {
            if (guard > 10_000_000) {
                throw new AssertionError("timers keep firing without time passing");
            }
            ManualTimer next = null;
            for (ManualTimer t : timers) {
                if (t.armed && t.deadline <= target && (next == null || t.deadline < next.deadline)) {
                    next = t;
                }
            }
            if (next == null) {
                break;
            }
            if (next.deadline > clock.nanos()) {
                clock.set(next.deadline);
            }
            next.armed = false;
            fired++;
            next.action.run();
        }
        clock.set(target);
    }

    /** How many timer actions have run so far. */
    public long fired() {
        return fired;
    }

    /** The earliest armed deadline, or -1 if nothing is armed. */
    public long nextDeadline() {
        long best = -1;
        for (ManualTimer t : timers) {
            if (t.armed && (best < 0 || t.deadline < best)) {
                best = t.deadline;
            }
        }
        return best;
    }
}
