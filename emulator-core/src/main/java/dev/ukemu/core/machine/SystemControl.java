package dev.ukemu.core.machine;

/** What a device may ask of the machine as a whole: power off, exit with a status, reset. */
public interface SystemControl {
    /** ACPI S5 or an equivalent: the guest is finished; exit status 0. */
    void powerOff();

    /** isa-debug-exit: the process exits with {@code (value << 1) | 1}. */
    void debugExit(int value);

    /** A system reset (keyboard controller, triple fault, ACPI reset register). */
    void reset(String why);

    /** A guest-visible panic (pvpanic). */
    default void panic(String why) {
        reset(why);
    }
}
