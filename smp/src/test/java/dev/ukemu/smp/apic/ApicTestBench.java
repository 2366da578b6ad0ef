package dev.ukemu.smp.apic;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.cpu.Cpu;
import dev.ukemu.core.cpu.CpuidModel;
import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import dev.ukemu.core.time.GuestClock;
import dev.ukemu.core.time.TimerService;
import java.util.ArrayList;
import java.util.List;

/** N vCPUs with local APICs on one bus, an I/O APIC, and a clock the test moves by hand. */
final class ApicTestBench implements AutoCloseable {
    long now;
    final GuestClock clock = new GuestClock(2_500_000, () -> now);
    final FakeTimers timers = new FakeTimers();
    final GuestMemory mem = new GuestMemory(MemoryLayout.of(4 * MemoryLayout.MIB));
    final ApicBus bus = new ApicBus();
    final List<Cpu> cpus = new ArrayList<>();
    final List<LocalApic> apics = new ArrayList<>();
    final IoApic ioApic;
    final int[] kicks;

    ApicTestBench(int n) {
        kicks = new int[n];
        CpuidModel model = CpuidModel.max(2_500_000, n);
        for (int i = 0; i < n; i++) {
            Cpu c = new Cpu(i, mem, new PortBus(), new Bus("MMIO"), model);
            int idx = i;
            LocalApic a = new LocalApic(c, bus, clock, timers, () -> kicks[idx]++);
            c.msrExtension = a;
            bus.add(a);
            cpus.add(c);
            apics.add(a);
        }
        ioApic = new IoApic(bus, n);
    }

    void advance(long nanos) {
        now += nanos;
        timers.fireDue(clock.nanos());
    }

    /** Software-enables every APIC and switches it to x2APIC mode, as Unikraft's SMP boot does. */
    void x2apicAll() {
        for (int i = 0; i < apics.size(); i++) {
            LocalApic a = apics.get(i);
            long base = a.read(cpus.get(i), LocalApic.MSR_APIC_BASE);
            a.write(cpus.get(i), LocalApic.MSR_APIC_BASE, base | LocalApic.BASE_EXTD);
            a.write(cpus.get(i), 0x80F, 0x1FF); // SVR: enabled, spurious vector 0xFF
        }
    }

    static final class FakeTimers implements TimerService {
        final List<T> timers = new ArrayList<>();

        final class T implements Timer {
            final Runnable action;
            long deadline;
            boolean armed;

            T(Runnable action) {
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
        }

        @Override
        public Timer newTimer(String name, Runnable action) {
            T t = new T(action);
            timers.add(t);
            return t;
        }

        void fireDue(long now) {
            boolean fired = true;
            while (fired) {
                fired = false;
                for (T t : List.copyOf(timers)) {
                    if (t.armed && t.deadline <= now) {
                        t.armed = false;
                        t.action.run();
                        fired = true;
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        mem.close();
    }
}
