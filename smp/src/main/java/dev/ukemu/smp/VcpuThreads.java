package dev.ukemu.smp;

import dev.ukemu.core.cpu.Cpu;
import dev.ukemu.core.cpu.GuestStop;
import dev.ukemu.core.cpu.Interpreter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * One platform thread per vCPU. The boot processor runs from the loader's entry state; the
 * others wait until they are started. A guest that stops the machine (triple fault,
 * unimplemented instruction) or any host error on a vCPU thread is reported to the listener.
 */
public final class VcpuThreads {
    private final List<Cpu> cpus;
    private final List<Thread> threads = new ArrayList<>();
    private final BiConsumer<Cpu, Throwable> onFailure;

    public VcpuThreads(List<Cpu> cpus, BiConsumer<Cpu, Throwable> onFailure) {
        this.cpus = List.copyOf(cpus);
        this.onFailure = onFailure;
    }

    public List<Cpu> cpus() {
        return cpus;
    }

    /** Starts the thread of every vCPU; {@code running[i]} false leaves that vCPU waiting for start-up. */
    public void start(String machineName) {
        for (Cpu c : cpus) {
            Thread t = Thread.ofPlatform().name(machineName + "-vcpu" + c.index).daemon(true).unstarted(() -> run(c));
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    private void run(Cpu c) {
        try {
            Interpreter.run(c);
        } catch (GuestStop e) {
            onFailure.accept(c, e);
        } catch (Throwable t) {
            onFailure.accept(c, t);
        }
    }

    /** Asks every vCPU to stop at its next instruction boundary and wakes the halted ones. */
    public void stopAll() {
        for (Cpu c : cpus) {
            c.raiseEvent(Interpreter.EV_STOP);
        }
        for (Thread t : threads) {
            LockSupport.unpark(t);
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
