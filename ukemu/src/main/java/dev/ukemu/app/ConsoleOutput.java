package dev.ukemu.app;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The serial console's sink. The UART flushes after every byte; this stream turns that into a
 * write at each newline (and at most every few milliseconds otherwise), so a chatty guest costs
 * one system call per line rather than per character.
 */
final class ConsoleOutput extends OutputStream {
    private final OutputStream out;
    private final byte[] buf = new byte[8192];
    private int n;
    private long lastFlush = System.nanoTime();
    private static final long MAX_DELAY_NS = 20_000_000;

    ConsoleOutput(OutputStream out) {
        this.out = out;
    }

    @Override
    public synchronized void write(int b) throws IOException {
        if (n == buf.length) {
            drain();
        }
        buf[n++] = (byte) b;
        if (b == '\n') {
            drain();
        }
    }

    /** Called by the UART after every byte: cheap unless a partial line has waited too long. */
    @Override
    public synchronized void flush() throws IOException {
        if (n > 0 && System.nanoTime() - lastFlush > MAX_DELAY_NS) {
            drain();
        }
    }

    /** Writes out everything buffered (at exit, and from the periodic flusher). */
    synchronized void drain() throws IOException {
        if (n > 0) {
            out.write(buf, 0, n);
            n = 0;
        }
        out.flush();
        lastFlush = System.nanoTime();
    }

    @Override
    public void close() throws IOException {
        drain();
    }
}
