package dev.ukemu.app;

import dev.ukemu.devices.vga.VgaText;
import java.io.PrintStream;

/**
 * {@code --vga}: the guest's 80x25 VGA text screen drawn in the terminal, redrawn when the
 * guest changes it (at most 20 times a second), and printed once more when the machine ends so
 * the last screen stays in the scroll-back.
 */
final class VgaConsole implements AutoCloseable {
    private static final long FRAME_MS = 50;

    private final VgaText vga;
    private final PrintStream out;
    private final Thread thread;
    private volatile boolean running = true;
    private long drawn = -1;

    VgaConsole(VgaText vga, PrintStream out) {
        this.vga = vga;
        this.out = out;
        this.thread = Thread.ofPlatform().name("ukemu-vga").daemon(true).unstarted(this::loop);
    }

    void start() {
        out.print("\u001b[?1049h\u001b[?25l"); // alternate screen, hide the cursor
        out.flush();
        thread.start();
    }

    private void loop() {
        while (running) {
            long changes = vga.changes();
            if (changes != drawn) {
                drawn = changes;
                out.print("\u001b[H" + vga.renderAnsi());
                out.flush();
            }
            try {
                Thread.sleep(FRAME_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.print("\u001b[?25h\u001b[?1049l"); // back to the normal screen
        out.print(vga.renderText().stripTrailing());
        out.println();
        out.flush();
    }
}
