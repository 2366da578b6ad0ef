package dev.ukemu.app;

import dev.ukemu.core.cpu.JitConfig;
import dev.ukemu.core.memory.MemoryLayout;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Everything needed to build a machine. Built by the command line or by code embedding ukemu:
 * {@code MachineConfig.of(kernel).withSmp(2).withSerialOutput(out)}.
 */
public record MachineConfig(
        Path kernel,
        int smp,
        long ramSize,
        List<Path> initrds,
        String append,
        boolean noReboot,
        Set<String> debug,
        Path debugLog,
        OutputStream serialOutput,
        InputStream serialInput,
        String cpu,
        List<NicConfig> nics,
        Path netDump,
        JitConfig jit) {

    public static final int MAX_CPUS = 64;
    /** QEMU's default RAM size. */
    public static final long DEFAULT_RAM = 128 * MemoryLayout.MIB;

    public MachineConfig {
        if (smp < 1 || smp > MAX_CPUS) {
            throw new IllegalArgumentException("the number of vCPUs must be between 1 and " + MAX_CPUS);
        }
        initrds = List.copyOf(initrds);
        debug = Set.copyOf(debug);
        append = append == null ? "" : append;
        cpu = cpu == null ? "max" : cpu;
        nics = List.copyOf(nics);
        jit = jit == null ? JitConfig.fromSystemProperties() : jit;
    }

    public static MachineConfig of(Path kernel) {
        return new MachineConfig(kernel, 1, DEFAULT_RAM, List.of(), "", false, Set.of(), null, System.out, null, "max", List.of(), null, null);
    }

    public MachineConfig withSmp(int n) {
        return new MachineConfig(kernel, n, ramSize, initrds, append, noReboot, debug, debugLog, serialOutput, serialInput, cpu, nics, netDump, jit);
    }

    public MachineConfig withRam(long bytes) {
        return new MachineConfig(kernel, smp, bytes, initrds, append, noReboot, debug, debugLog, serialOutput, serialInput, cpu, nics, netDump, jit);
    }

    public MachineConfig withInitrds(List<Path> files) {
        return new MachineConfig(kernel, smp, ramSize, files, append, noReboot, debug, debugLog, serialOutput, serialInput, cpu, nics, netDump, jit);
    }

    public MachineConfig withAppend(String cmdline) {
        return new MachineConfig(kernel, smp, ramSize, initrds, cmdline, noReboot, debug, debugLog, serialOutput, serialInput, cpu, nics, netDump, jit);
    }

    public MachineConfig withNoReboot(boolean on) {
        return new MachineConfig(kernel, smp, ramSize, initrds, append, on, debug, debugLog, serialOutput, serialInput, cpu, nics, netDump, jit);
    }

    public MachineConfig withDebug(Set<String> categories, Path log) {
        return new MachineConfig(kernel, smp, ramSize, initrds, append, noReboot, categories, log, serialOutput, serialInput, cpu, nics, netDump, jit);
    }

    public MachineConfig withSerialOutput(OutputStream out) {
        return new MachineConfig(kernel, smp, ramSize, initrds, append, noReboot, debug, debugLog, out, serialInput, cpu, nics, netDump, jit);
    }

    public MachineConfig withSerialInput(InputStream in) {
        return new MachineConfig(kernel, smp, ramSize, initrds, append, noReboot, debug, debugLog, serialOutput, in, cpu, nics, netDump, jit);
    }

    /** A CPU model as QEMU's -cpu spells it: {@code max}, {@code qemu64,+popcnt}, ... */
    public MachineConfig withCpu(String model) {
        return new MachineConfig(kernel, smp, ramSize, initrds, append, noReboot, debug, debugLog, serialOutput, serialInput, model, nics, netDump, jit);
    }

    /** Network cards, in the order the command line gave them. */
    public MachineConfig withNics(List<NicConfig> cards) {
        return new MachineConfig(kernel, smp, ramSize, initrds, append, noReboot, debug, debugLog, serialOutput, serialInput, cpu, cards, netDump, jit);
    }

    /** Records every frame of every NIC in a pcap file ({@code --net-dump}). */
    public MachineConfig withNetDump(Path pcap) {
        return new MachineConfig(kernel, smp, ramSize, initrds, append, noReboot, debug, debugLog, serialOutput, serialInput, cpu, nics, pcap, jit);
    }

    /** The CPU engine: {@link JitConfig#OFF} for the interpreter alone. */
    public MachineConfig withJit(JitConfig config) {
        return new MachineConfig(kernel, smp, ramSize, initrds, append, noReboot, debug, debugLog, serialOutput, serialInput, cpu, nics, netDump, config);
    }
}
