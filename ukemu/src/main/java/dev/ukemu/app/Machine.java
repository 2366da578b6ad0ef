package dev.ukemu.app;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.cpu.CodeCache;
import dev.ukemu.core.cpu.Cpu;
import dev.ukemu.core.cpu.CpuHooks;
import dev.ukemu.core.cpu.CpuidModel;
import dev.ukemu.core.cpu.GuestStop;
import dev.ukemu.core.irq.IrqLine;
import dev.ukemu.core.machine.SystemControl;
import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import dev.ukemu.core.time.GuestClock;
import dev.ukemu.core.time.TimerThread;
import dev.ukemu.devices.net.FrameSink;
import dev.ukemu.devices.net.NetBackend;
import dev.ukemu.devices.net.PcapWriter;
import dev.ukemu.devices.net.UserNetBackendFactory;
import dev.ukemu.devices.net.UserNetOptions;
import dev.ukemu.devices.pci.PciBus;
import dev.ukemu.devices.uart.Uart16550;
import dev.ukemu.devices.virtio.GuestRam;
import dev.ukemu.devices.virtio.VirtioNet;
import dev.ukemu.devices.virtio.VirtioPci;
import dev.ukemu.devices.vga.VgaText;
import dev.ukemu.loader.BootImage;
import dev.ukemu.loader.KernelLoader;
import dev.ukemu.loader.LoadException;
import dev.ukemu.loader.acpi.AcpiConfig;
import dev.ukemu.loader.acpi.AcpiTables;
import dev.ukemu.smp.VcpuThreads;
import dev.ukemu.smp.apic.ApicBus;
import dev.ukemu.smp.apic.IoApic;
import dev.ukemu.smp.apic.LocalApic;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * A PC: guest RAM, the port-I/O and MMIO buses with their devices, the vCPUs on their threads,
 * and the kernel loaded into it. The same class serves the command line and code that embeds
 * ukemu (a JUnit test booting a guest):
 *
 * <pre>{@code
 * try (Machine m = Machine.create(MachineConfig.of(kernel).withSerialOutput(out))) {
 *     m.start();
 *     ExitStatus s = m.waitForExit(Duration.ofSeconds(30));
 * }
 * }</pre>
 */
public final class Machine implements AutoCloseable {
    private final MachineConfig config;
    private final GuestClock clock = new GuestClock();
    private final GuestMemory memory;
    private final PortBus ports = new PortBus();
    private final Bus mmio = new Bus("MMIO");
    private final List<Cpu> cpus = new ArrayList<>();
    private final VcpuThreads threads;
    private final Uart16550 uart;
    private final ConsoleOutput console;
    private final DebugLog log;
    private final BootImage boot;
    private final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
    private final CpuidModel cpuid;
    private final TimerThread timers;
    private final ApicBus apicBus = new ApicBus();
    private final List<LocalApic> apics = new ArrayList<>();
    private final IoApic ioApic;
    private final PcDevices devices;
    private volatile boolean resetting;
    private final AcpiTables.Result acpi;
    private final CodeCache code;
    private final List<VirtioNet> nics = new ArrayList<>();
    private final List<NetBackend> backends = new ArrayList<>();
    private PcapWriter pcap;
    private long startNanos;
    private boolean leaveRamMapped;

    private Machine(MachineConfig config, UserNetBackendFactory userNet) throws LoadException, IOException {
        for (NicConfig n : config.nics()) {
            if (n.network() != null && userNet == null) {
                throw new IllegalArgumentException(
                        "-netdev user: the user-mode network backend is not part of this build of ukemu");
            }
        }
        this.config = config;
        this.log = new DebugLog(config.debug(), config.debugLog());
        this.memory = new GuestMemory(MemoryLayout.of(config.ramSize()));
        this.console = new ConsoleOutput(config.serialOutput());
        SystemControl control = new Control();
        if (log.on("unimp")) {
            Bus.UnclaimedAccessListener l = (bus, addr, size, write, value) -> log.log(String.format(
                    "unclaimed %s %s 0x%x size %d%s", bus.name(), write ? "write" : "read", addr, size,
                    write ? String.format(" value 0x%x", value) : ""));
            ports.setUnclaimedAccessListener(l);
            mmio.setUnclaimedAccessListener(l);
        }
        this.timers = new TimerThread(clock, "ukemu-timers");
        this.cpuid = CpuidModel.fromSpec(config.cpu(), clock.tscKhz(), config.smp());
        Hooks hooks = new Hooks();
        this.code = new CodeCache(config.jit());
        for (int i = 0; i < config.smp(); i++) {
            Cpu c = new Cpu(i, memory, ports, mmio, cpuid, code, config.smp() > 1);
            c.hooks = hooks;
            cpus.add(c);
        }
        this.threads = new VcpuThreads(cpus, this::guestStopped, this::vcpuFailed);
        for (Cpu c : cpus) {
            LocalApic apic = new LocalApic(c, apicBus, clock, timers, () -> threads.kick(c));
            c.msrExtension = apic;
            c.localApicMmio = apic;
            apicBus.add(apic);
            apics.add(apic);
        }
        this.ioApic = new IoApic(apicBus, config.smp());
        mmio.register(MemoryLayout.IOAPIC_BASE, IoApic.SIZE, ioApic, "I/O APIC");
        // The PIC's INTR reaches every local APIC's LINT0 (only the boot CPU's is in ExtINT mode).
        IrqLine picOutput = high -> {
            for (LocalApic a : apics) {
                a.setLint0(high);
            }
        };
        this.devices = new PcDevices(ports, mmio, clock, timers, control, ioApic, picOutput, console,
                memory.layout(), config.smp());
        for (LocalApic a : apics) {
            a.setExtIntSource(devices.pic::acknowledge);
        }
        this.uart = devices.uart;
        if (log.on("unimp")) {
            devices.pci.setConflictListener((d, bar, addr, why) -> log.log(String.format(
                    "PCI %s BAR%d at 0x%x left unmapped: %s", d, bar, addr, why)));
        }
        GuestRam dma = new GuestRam(memory, code::noteExternalWrite);
        for (NicConfig n : config.nics()) {
            VirtioNet card = new VirtioNet(n.mac());
            VirtioPci function = new VirtioPci(card, dma);
            function.setErrorListener(message -> {
                if (log.on("guest_errors")) {
                    log.log(message);
                }
            });
            devices.pci.attach(PciBus.devfn(n.slot(), 0), function);
            nics.add(card);
        }
        devices.pciFirmwareSetup();
        this.boot = KernelLoader.load(config.kernel(), config.append(), config.initrds(), memory);
        this.acpi = AcpiTables.install(memory, new AcpiConfig(config.smp()));
        bootState();
        try {
            connectNetworks(userNet);
        } catch (IOException | RuntimeException e) {
            closeNetworks();
            timers.close();
            memory.close();
            throw e;
        }
    }

    /** Opens the backends and the pcap tap and plugs each card into its network. */
    private void connectNetworks(UserNetBackendFactory userNet) throws IOException {
        if (config.netDump() != null) {
            try {
                pcap = PcapWriter.open(config.netDump());
            } catch (IOException e) {
                throw new IOException("--net-dump: cannot write '" + config.netDump() + "': " + e.getMessage(), e);
            }
        }
        for (int i = 0; i < nics.size(); i++) {
            UserNetOptions options = config.nics().get(i).network();
            VirtioNet card = nics.get(i);
            if (options == null) {
                card.setBackend(pcap != null ? pcap.tap(new FrameSink() {
                    @Override
                    public boolean offer(java.nio.ByteBuffer frame) {
                        frame.position(frame.limit()); // no cable: frames go nowhere
                        return true;
                    }

                    @Override
                    public void whenWritable(Runnable action) {
                        action.run();
                    }
                }) : null);
                continue;
            }
            NetBackend backend = userNet.create(options);
            backends.add(backend);
            FrameSink toGuest = pcap != null ? pcap.tap(card.toGuest()) : card.toGuest();
            FrameSink toBackend = backend.connect(toGuest);
            card.setBackend(pcap != null ? pcap.tap(toBackend) : toBackend);
        }
    }

    private void closeNetworks() {
        for (NetBackend b : backends) {
            try {
                b.close();
            } catch (RuntimeException e) {
                // Closing is best effort: the process is going away.
            }
        }
        backends.clear();
        if (pcap != null) {
            try {
                pcap.close();
            } catch (IOException e) {
                System.err.println("ukemu: --net-dump: " + e.getMessage());
            }
            pcap = null;
        }
    }

    /** The PC's devices, for tests in this package. */
    PcDevices pcDevices() {
        return devices;
    }

    /** The network cards, in command-line order. */
    public List<VirtioNet> nics() {
        return nics;
    }

    /** Puts the vCPUs and APICs in the state the firmware leaves them in for the kernel. */
    private void bootState() {
        Cpu bsp = cpus.get(0);
        bsp.enterFlatProtectedMode(boot.entry());
        bsp.r[Cpu.RAX] = boot.eax() & 0xFFFFFFFFL;
        bsp.r[Cpu.RBX] = boot.ebx() & 0xFFFFFFFFL;
        // As SeaBIOS leaves it: the boot CPU's APIC passes the PIC through LINT0.
        apics.get(0).biosSetup();
        for (int i = 1; i < cpus.size(); i++) {
            // Application processors wait for INIT and a start-up IPI.
            cpus.get(i).halted = true;
            cpus.get(i).waitForSipi = true;
        }
    }

    /**
     * Builds a machine and loads its kernel; a bad kernel or initrd is a {@link LoadException}.
     * NICs on a user network get this build's user-mode backend.
     */
    public static Machine create(MachineConfig config) throws LoadException, IOException {
        return new Machine(config, NetBackends.user().orElse(null));
    }

    /** As {@link #create(MachineConfig)}, with {@code userNet} making the user-mode networks. */
    public static Machine create(MachineConfig config, UserNetBackendFactory userNet) throws LoadException, IOException {
        return new Machine(config, userNet);
    }

    public BootImage bootImage() {
        return boot;
    }

    public List<Cpu> cpus() {
        return cpus;
    }

    public GuestMemory memory() {
        return memory;
    }

    public Uart16550 serial() {
        return uart;
    }

    public VgaText vga() {
        return devices.vga;
    }

    public void start() {
        startNanos = System.nanoTime();
        threads.start("ukemu");
        InputStream in = config.serialInput();
        if (in != null) {
            Thread feeder = Thread.ofPlatform().name("ukemu-serial-in").daemon(true).unstarted(() -> feed(in));
            feeder.start();
        }
    }

    private void feed(InputStream in) {
        byte[] buf = new byte[256];
        try {
            int n;
            while (!exit.isDone() && (n = in.read(buf)) > 0) {
                int off = 0;
                while (off < n && !exit.isDone()) {
                    int took = uart.offer(buf, off, n - off);
                    off += took;
                    if (took == 0) {
                        uart.awaitRxSpace(50, TimeUnit.MILLISECONDS);
                    }
                }
            }
        } catch (IOException | InterruptedException e) {
            // Input closed: the guest simply sees no more characters.
        }
    }

    /** Waits for the guest to power off, exit or fail. */
    public ExitStatus waitForExit() throws InterruptedException {
        try {
            return exit.get();
        } catch (java.util.concurrent.ExecutionException e) {
            return ExitStatus.failure(e.getCause().toString());
        }
    }

    /** Waits at most {@code timeout}; throws {@link TimeoutException} if the guest is still running. */
    public ExitStatus waitForExit(Duration timeout) throws InterruptedException, TimeoutException {
        try {
            return exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return ExitStatus.failure(e.getCause().toString());
        }
    }

    /** Stops the machine from outside (as if powered off); returns the status it ended with. */
    public ExitStatus stop() {
        finish(ExitStatus.powerOff());
        return exit.join();
    }

    /** Prints the --stats report (call after the machine ended). */
    public void printStats(java.io.PrintStream out) {
        Stats.print(out, cpus, System.nanoTime() - startNanos, code);
    }

    public long instructionsRetired() {
        long n = 0;
        for (Cpu c : cpus) {
            n += c.instructions;
        }
        return n;
    }

    private void finish(ExitStatus status) {
        if (exit.complete(status)) {
            threads.stopAll();
            try {
                console.drain();
            } catch (IOException e) {
                // The console is gone; nothing more to say there.
            }
        }
    }

    /** A triple fault or an unimplemented instruction; returns true if the machine resets. */
    private boolean guestStopped(Cpu c, GuestStop stop) {
        if (stop.kind == GuestStop.Kind.TRIPLE_FAULT && !config.noReboot()) {
            System.err.println("ukemu: " + stop.getMessage() + "; resetting the machine");
            requestReset();
            return true;
        }
        finish(ExitStatus.failure(stop.getMessage()));
        return false;
    }

    /** A system reset: as QEMU without -no-reboot, the firmware starts the kernel afresh. */
    private void requestReset() {
        if (exit.isDone() || resetting) {
            return;
        }
        resetting = true;
        Thread.ofPlatform().name("ukemu-reset").daemon(true).start(this::reboot);
    }

    private void reboot() {
        try {
            threads.pauseAll();
            if (exit.isDone()) {
                return;
            }
            devices.reset();
            for (int i = 0; i < cpus.size(); i++) {
                Cpu c = cpus.get(i);
                c.reset();
                apics.get(i).reset(i == 0);
            }
            cpus.get(0).invalidateDecodedCode();
            KernelLoader.load(config.kernel(), config.append(), config.initrds(), memory);
            bootState();
        } catch (LoadException e) {
            finish(ExitStatus.failure("reset: " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            resetting = false;
            threads.resumeAll();
        }
    }

    private void vcpuFailed(Cpu c, Throwable t) {
        String where = String.format("vCPU %d at RIP=0x%x in %s", c.index, c.rip, c.modeName());
        finish(new ExitStatus(ExitStatus.EXIT_INTERNAL, "internal error on " + where + ": " + t));
        if (log.on("int") || log.on("unimp") || Boolean.getBoolean("ukemu.trace")) {
            t.printStackTrace();
        }
    }

    @Override
    public void close() {
        finish(ExitStatus.powerOff());
        try {
            threads.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeNetworks();
        timers.close();
        log.close();
        if (!leaveRamMapped) {
            memory.close();
        }
    }

    /**
     * Makes {@link #close()} leave guest RAM mapped: for a process that exits right after, where
     * the kernel reclaims it anyway and unmapping would first cost linking munmap.
     */
    void leaveGuestRamMappedOnClose() {
        leaveRamMapped = true;
    }

    private final class Control implements SystemControl {
        @Override
        public void powerOff() {
            finish(ExitStatus.powerOff());
        }

        @Override
        public void debugExit(int value) {
            finish(ExitStatus.debugExit(value));
        }

        @Override
        public void reset(String why) {
            if (config.noReboot()) {
                finish(ExitStatus.powerOff()); // QEMU's -no-reboot: a guest reset ends the run
            } else {
                requestReset();
            }
        }

        @Override
        public void panic(String why) {
            finish(ExitStatus.failure(why));
        }
    }

    private final class Hooks implements CpuHooks {
        @Override
        public void idle(Cpu cpu) {
            // Whoever raises an event for this vCPU unparks it; the timeout only bounds a lost race.
            LockSupport.parkNanos(100_000_000L);
        }

        @Override
        public boolean interruptPending(Cpu cpu) {
            return apics.get(cpu.index).interruptPending();
        }

        @Override
        public int acknowledgeInterrupt(Cpu cpu) {
            return apics.get(cpu.index).acknowledge();
        }

        @Override
        public void handleEvents(Cpu cpu) {
            threads.parkForPause(cpu);
        }

        @Override
        public void exclusive(Cpu cpu, Runnable action) {
            if (cpus.size() == 1) {
                action.run();
            } else {
                threads.runExclusive(cpu, action);
            }
        }

        @Override
        public void onInit(Cpu cpu) {
            apics.get(cpu.index).initReset();
        }

        @Override
        public void onInterrupt(Cpu cpu, int vector, boolean external, int errorCode, boolean hasErrorCode) {
            log.interrupt(cpu, vector, external, errorCode, hasErrorCode);
        }

        @Override
        public void onUnknownMsr(Cpu cpu, long msr, boolean write, long value) {
            if (log.on("unimp")) {
                log.log(String.format("vCPU %d: unknown MSR 0x%x %s%s at RIP=0x%x", cpu.index, msr,
                        write ? "write" : "read", write ? String.format(" 0x%x", value) : "", cpu.rip));
            }
        }

        @Override
        public long tsc(Cpu cpu) {
            return clock.tsc();
        }
    }
}
