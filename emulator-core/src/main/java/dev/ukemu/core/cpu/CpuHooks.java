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
     * Called on HLT and on every loop while halted: park until an event arrives or a timer
     * fires. Implementations return promptly when {@link Cpu#events} is non-zero.
     */
    default void idle(Cpu cpu) {
        Thread.onSpinWait();
    }

    /** Called for each event in {@link Cpu#events}; clears what it handles. */
    default void handleEvents(Cpu cpu) {
    }

    /** An exception or interrupt is being delivered (for {@code -d int}). */
    default void onInterrupt(Cpu cpu, int vector, boolean external, int errorCode, boolean hasErrorCode) {
    }

    /** A guest wrote an unknown MSR or read one (for {@code -d unimp}); the guest gets #GP. */
    default void onUnknownMsr(Cpu cpu, long msr, boolean write, long value) {
    }

    /** Time source for RDTSC. */
    default long tsc(Cpu cpu) {
        return System.nanoTime();
    }

    CpuHooks NONE = new CpuHooks() {
    };
}
