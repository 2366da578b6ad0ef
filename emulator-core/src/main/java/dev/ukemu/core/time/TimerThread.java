package dev.ukemu.core.time;

import java.util.PriorityQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** The machine's timer thread: sleeps until the earliest armed deadline and runs its action. */
public final class TimerThread implements TimerService, AutoCloseable {
    private final GuestClock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final PriorityQueue<T> queue = new PriorityQueue<>((a, b) -> Long.compare(a.deadline, b.deadline));
    private final Thread thread;
    private volatile boolean closed;

    public TimerThread(GuestClock clock, String name) {
        this.clock = clock;
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::loop);
        thread.start();
    }

    private final class T implements Timer {
        final String name;
        final Runnable action;
        long deadline;
        boolean queued;

        T(String name, Runnable action) {
            this.name = name;
            this.action = action;
        }

        @Override
        public void setDeadline(long nanos) {
            lock.lock();
            try {
                if (queued) {
                    queue.remove(this);
                }
                deadline = nanos;
                queue.add(this);
                queued = true;
                changed.signal();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void cancel() {
            lock.lock();
            try {
                if (queued) {
                    queue.remove(this);
                    queued = false;
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean armed() {
            lock.lock();
            try {
                return queued;
            } finally {
                lock.unlock();
            }
        }
    }

    @Override
    public Timer newTimer(String name, Runnable action) {
        return new T(name, action);
    }

    private void loop() {
        while (!closed) {
            T due = null;
            lock.lock();
            try {
                T head = queue.peek();
                if (head == null) {
                    changed.awaitUninterruptibly();
                    continue;
                }
                long wait = head.deadline - clock.nanos();
                if (wait > 0) {
                    changed.awaitNanos(wait);
                    continue;
                }
                queue.poll();
                head.queued = false;
                due = head;
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            due.action.run();
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
