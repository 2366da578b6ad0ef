package dev.ukemu.app;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/** A serial console for tests: collects what the guest prints and lets a test wait for a line. */
final class SerialCapture extends OutputStream {
    private final StringBuilder text = new StringBuilder();

    @Override
    public synchronized void write(int b) {
        text.append((char) (b & 0xFF));
        notifyAll();
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        text.append(new String(b, off, len, StandardCharsets.ISO_8859_1));
        notifyAll();
    }

    synchronized String text() {
        return text.toString().replace("\r\n", "\n");
    }

    /** Waits until {@code needle} has been printed, or fails after {@code timeout}. */
    synchronized void await(String needle, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!text().contains(needle)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("guest did not print '" + needle + "' in " + timeout + "; it printed:\n" + text());
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
