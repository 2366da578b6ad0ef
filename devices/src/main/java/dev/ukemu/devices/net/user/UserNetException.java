package dev.ukemu.devices.net.user;

/**
 * The user-mode network could not start (for example a forwarded host port is taken). The
 * message is one line, fit to print as it is.
 */
public final class UserNetException extends RuntimeException {
    public UserNetException(String message, Throwable cause) {
        super(message, cause);
    }
}
