package dev.ukemu.core.cpu;

/**
 * What a vCPU asks of the machine around it: interrupts from its interrupt controller, a place
 * to park while halted, and events to log. Implemented by the board; the default does nothing.
 */
public interface CpuHooks {
    /** True if a maskable external interrupt is pending for this vCPU. */
    default boolean interruptPending(Cpu cpu) {
        return false;
    }

    /** Acknowledges the pending external interrupt and returns its vector (INTA), or -1. */
    default int acknowledgeInterrupt(Cpu cpu) {
        return -1;
    }

    /**
     * Called while the vCPU is halted with nothing it could act on: park until woken (the
     * sender of an event unparks the vCPU's thread). Spurious returns are harmless.
     */
    default void idle(Cpu cpu) {
        Thread.onSpinWait();
    }

    /**
     * Called on the vCPU's thread when {@link Interpreter#EV_PAUSE} is set: returns once the
     * machine resumes (or is stopping).
     */
    default void handleEvents(Cpu cpu) {
    }

    /** The vCPU took an INIT (its local APIC resets with it). */
    default void onInit(Cpu cpu) {
    }

    /** An exception or interrupt is being delivered (for {@code -d int}). */
    default void onInterrupt(Cpu cpu, int vector, boolean external, int errorCode, boolean hasErrorCode) {
    }

    /** A guest wrote an unknown MSR or read one (for {@code -d unimp}); the guest gets #GP. */
    default void onUnknownMsr(Cpu cpu, long msr, boolean write, long value) {
    }

    /**
     * Runs {@code action} (a guest memory update no host atomic covers) while no other vCPU of
     * the machine executes guest code. The default serialises such updates with each other only,
     * which is exact when this is the only vCPU.
     */
    default void exclusive(Cpu cpu, Runnable action) {
        synchronized (CpuHooks.class) {
            action.run();
        }
    }

    /** Time source for RDTSC. */
    default long tsc(Cpu cpu) {
        return System.nanoTime();
    }

    CpuHooks NONE = new CpuHooks() {
    };
}
