package dev.ukemu.core.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TimerThreadTest {
    @Test
    void timersFireInDeadlineOrderAndNotBefore() throws InterruptedException {
        GuestClock clock = new GuestClock();
        List<String> fired = new CopyOnWriteArrayList<>();
        List<Long> lateness = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(2);
        try (TimerThread timers = new TimerThread(clock, "test-timers")) {
            long now = clock.nanos();
            long[] deadlines = {now + 20_000_000, now + 5_000_000};
            TimerService.Timer a = timers.newTimer("a", () -> {
                fired.add("a");
                lateness.add(clock.nanos() - deadlines[0]);
                done.countDown();
            });
            TimerService.Timer b = timers.newTimer("b", () -> {
                fired.add("b");
                lateness.add(clock.nanos() - deadlines[1]);
                done.countDown();
            });
            a.setDeadline(deadlines[0]);
            b.setDeadline(deadlines[1]);
            assertTrue(done.await(5, TimeUnit.SECONDS));
            assertEquals(List.of("b", "a"), fired);
            assertTrue(lateness.stream().allMatch(l -> l >= 0), "no timer fires early: " + lateness);
            assertFalse(a.armed());
        }
    }

    @Test
    void cancelledAndReArmedTimersFollowTheLastDeadline() throws InterruptedException {
        GuestClock clock = new GuestClock();
        CountDownLatch fired = new CountDownLatch(1);
        List<String> order = new CopyOnWriteArrayList<>();
        try (TimerThread timers = new TimerThread(clock, "test-timers")) {
            TimerService.Timer never = timers.newTimer("never", () -> order.add("never"));
            TimerService.Timer moved = timers.newTimer("moved", () -> {
                order.add("moved");
                fired.countDown();
            });
            // "never" would fire 50 ms before "moved" if cancelling did not work.
            long now = clock.nanos();
            never.setDeadline(now + 50_000_000);
            never.cancel();
            moved.setDeadline(now + 10_000_000_000L);
            moved.setDeadline(now + 100_000_000);
            assertTrue(fired.await(5, TimeUnit.SECONDS));
            assertEquals(List.of("moved"), order);
            assertFalse(never.armed());
        }
    }
}
