package dev.ukemu.app;

/**
 * How a machine ended: the process exit code ukemu uses, and a one-line reason when it was not
 * the guest's own choice (triple fault, unimplemented instruction, host error).
 */
public record ExitStatus(int code, String reason) {
    public static ExitStatus powerOff() {
        return new ExitStatus(0, null);
    }

    /** isa-debug-exit: QEMU's {@code (value << 1) | 1}. */
    public static ExitStatus debugExit(int value) {
        return new ExitStatus(((value << 1) | 1) & 0xFF, null);
    }

    public static ExitStatus failure(String reason) {
        return new ExitStatus(EXIT_GUEST_FAILURE, reason);
    }

    // isa-debug-exit codes are always odd, so ukemu's own failures use even codes.
    /** Bad input: a usage error, a missing or malformed kernel, a port in use. */
    public static final int EXIT_USAGE = 2;
    /** A guest ukemu could not continue: triple fault, unimplemented instruction. */
    public static final int EXIT_GUEST_FAILURE = 4;
    /** An internal error of ukemu itself. */
    public static final int EXIT_INTERNAL = 6;
}
