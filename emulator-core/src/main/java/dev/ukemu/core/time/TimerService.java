package dev.ukemu.core.time;

/**
 * Deadlines on the machine clock. A device asks for a timer once and re-arms it as its state
 * changes; when {@link GuestClock#nanos()} passes the deadline, the action runs on the
 * machine's timer thread (so device state touched there must be thread-safe).
 */
public interface TimerService {
    /** A timer that runs {@code action} each time its deadline passes. */
    Timer newTimer(String name, Runnable action);

    interface Timer {
        /** Arms (or re-arms) the timer for an absolute time in {@link GuestClock#nanos()} units. */
        void setDeadline(long nanos);

        /** Disarms the timer. */
        void cancel();

        boolean armed();
    }
}
