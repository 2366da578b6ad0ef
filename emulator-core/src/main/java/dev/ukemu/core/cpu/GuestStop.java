package dev.ukemu.core.cpu;

/**
 * Thrown out of the run loop when the guest did something the machine cannot continue from:
 * a triple fault or an instruction ukemu does not implement. The message is one line.
 */
public final class GuestStop extends RuntimeException {
    public enum Kind { TRIPLE_FAULT, UNIMPLEMENTED }

    public final Kind kind;

    public GuestStop(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }
}
