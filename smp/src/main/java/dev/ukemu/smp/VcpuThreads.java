package dev.ukemu.smp;

import dev.ukemu.core.cpu.Cpu;
import dev.ukemu.core.cpu.GuestStop;
import dev.ukemu.core.cpu.Interpreter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * One platform thread per vCPU, and the machine-wide controls over them: stop, and pause every
 * vCPU at an instruction boundary (for a reset, the monitor or the debugger) and resume.
 */
public final class VcpuThreads {
    /** Decides what a vCPU does after the guest stopped it: true to keep the thread for a reset. */
    public interface GuestStopHandler {
        boolean onGuestStop(Cpu cpu, GuestStop stop);
    }

    /** Told about a host error on a vCPU thread (a bug in ukemu); the thread ends. */
    public interface FailureHandler {
        void onFailure(Cpu cpu, Throwable error);
    }

    private final List<Cpu> cpus;
    private final List<Thread> threads = new ArrayList<>();
    private final GuestStopHandler onGuestStop;
    private final FailureHandler onFailure;
    private final Object pauseLock = new Object();
    /** Outstanding pause requests (a reset and an exclusive section may overlap). */
    private int pauseDepth;
    private int parked;
    private int live;
    /** The vCPU running an exclusive section; it does not park for its own pause. */
    private Cpu exclusiveOwner;
    private final java.util.concurrent.locks.ReentrantLock exclusiveLock = new java.util.concurrent.locks.ReentrantLock();

    public VcpuThreads(List<Cpu> cpus, GuestStopHandler onGuestStop, FailureHandler onFailure) {
        this.cpus = List.copyOf(cpus);
        this.onGuestStop = onGuestStop;
        this.onFailure = onFailure;
    }

    public List<Cpu> cpus() {
        return cpus;
    }

    public void start(String machineName) {
        for (Cpu c : cpus) {
            threads.add(Thread.ofPlatform().name(machineName + "-vcpu" + c.index).daemon(true).unstarted(() -> run(c)));
        }
        synchronized (pauseLock) {
            live = threads.size();
        }
        threads.forEach(Thread::start);
    }

    private void run(Cpu c) {
        try {
            while (true) {
                try {
                    Interpreter.run(c);
                    return;
                } catch (GuestStop stop) {
                    if (!onGuestStop.onGuestStop(c, stop)) {
                        return;
                    }
                    // Keep the thread: the machine is being reset; wait inertly until then.
                    c.halted = true;
                    c.waitForSipi = true;
                }
            }
        } catch (Throwable t) {
            onFailure.onFailure(c, t);
        } finally {
            synchronized (pauseLock) {
                live--;
                pauseLock.notifyAll();
            }
        }
    }

    /** Asks every vCPU to stop at its next instruction boundary and wakes the halted ones. */
    public void stopAll() {
        for (Cpu c : cpus) {
            c.raiseEvent(Interpreter.EV_STOP);
        }
        synchronized (pauseLock) {
            pauseDepth = 0;
            pauseLock.notifyAll();
        }
        for (Thread t : threads) {
            LockSupport.unpark(t);
        }
    }

    /**
     * Parks every vCPU at an instruction boundary and returns once all are parked (or gone).
     * Must not be called from a vCPU thread.
     */
    public void pauseAll() throws InterruptedException {
        requestPause(null);
        synchronized (pauseLock) {
            while (parked < live) {
                pauseLock.wait();
            }
        }
    }

    private void requestPause(Cpu except) {
        synchronized (pauseLock) {
            pauseDepth++;
        }
        for (Cpu c : cpus) {
            if (c != except) {
                c.raiseEvent(Interpreter.EV_PAUSE);
                kick(c);
            }
        }
    }

    /** Lets paused vCPUs run again (once every pause request has been released). */
    public void resumeAll() {
        synchronized (pauseLock) {
            if (pauseDepth > 0) {
                pauseDepth--;
            }
            if (pauseDepth == 0) {
                for (Cpu c : cpus) {
                    c.clearEvent(Interpreter.EV_PAUSE);
                }
            }
            pauseLock.notifyAll();
        }
    }

    /**
     * Runs {@code action} on vCPU {@code self}'s thread while every other vCPU is parked at an
     * instruction boundary (or halted). A vCPU that wants an exclusive section while another
     * holds one parks for the holder first, so two such vCPUs cannot deadlock.
     */
    public void runExclusive(Cpu self, Runnable action) {
        // Wait for the section by blocking, not spinning (vCPUs may outnumber host cores), and
        // park whenever the holder pauses this vCPU, so two requesters cannot deadlock.
        try {
            while (!exclusiveLock.tryLock(50, java.util.concurrent.TimeUnit.MICROSECONDS)) {
                if ((self.events & Interpreter.EV_PAUSE) != 0) {
                    parkForPause(self);
                }
                if ((self.events & Interpreter.EV_STOP) != 0) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            synchronized (pauseLock) {
                exclusiveOwner = self;
            }
            requestPause(self);
            try {
                synchronized (pauseLock) {
                    while (parked < live - 1 && (self.events & Interpreter.EV_STOP) == 0) {
                        pauseLock.wait();
                    }
                }
                action.run();
            } finally {
                synchronized (pauseLock) {
                    exclusiveOwner = null;
                }
                resumeAll();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            exclusiveLock.unlock();
        }
    }

    /** Called on a vCPU's own thread when it sees a pause request: waits until resumed or stopped. */
    public void parkForPause(Cpu c) {
        synchronized (pauseLock) {
            if (c == exclusiveOwner) {
                return;
            }
            parked++;
            pauseLock.notifyAll();
            try {
                while (pauseDepth > 0 && (c.events & Interpreter.EV_STOP) == 0) {
                    pauseLock.wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                parked--;
                pauseLock.notifyAll();
            }
        }
    }

    public void join(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        for (Thread t : threads) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return;
            }
            t.join(left);
        }
    }

    /** Wakes the thread of {@code cpu} (an event was raised for it). */
    public void kick(Cpu cpu) {
        if (cpu.index < threads.size()) {
            LockSupport.unpark(threads.get(cpu.index));
        }
    }
}
