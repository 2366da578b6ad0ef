package dev.ukemu.app.cli;

/** A command line ukemu cannot run; the message is one line for the user. */
public final class UsageException extends Exception {
    public UsageException(String message) {
        super(message, null, false, false);
    }
}
