package dev.ukemu.core.irq;

/** An interrupt line handed to a device. The device drives its level; edges are what it changes. */
@FunctionalInterface
public interface IrqLine {
    void setLevel(boolean high);

    /** An edge-triggered pulse: high, then low. */
    default void pulse() {
        setLevel(true);
        setLevel(false);
    }

    /**
     * A line connected to nothing. (A method, not a constant: an interface with default methods
     * and a static initialiser keeps the JVM's ahead-of-time cache from linking its lambdas.)
     */
    static IrqLine none() {
        return high -> { };
    }
}
