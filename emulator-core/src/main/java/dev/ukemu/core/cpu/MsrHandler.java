package dev.ukemu.core.cpu;

/** MSRs owned by something outside the core (the local APIC's x2APIC range). */
public interface MsrHandler {
    /** The value, or null if this handler does not own {@code msr}. */
    Long read(Cpu cpu, long msr);

    /** True if handled; throw {@link CpuException} for a #GP. */
    boolean write(Cpu cpu, long msr, long value);
}
