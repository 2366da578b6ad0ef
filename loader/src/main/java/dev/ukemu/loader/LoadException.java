package dev.ukemu.loader;

/**
 * A kernel or initrd that cannot be booted. The message is one line a user can act on, naming the
 * file as given, e.g. {@code kernel 'foo.bin' is not an ELF file}.
 */
public final class LoadException extends Exception {
    public LoadException(String message) {
        super(oneLine(message));
    }

    public LoadException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    private static String oneLine(String message) {
        return message.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
