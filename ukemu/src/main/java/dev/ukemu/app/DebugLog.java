package dev.ukemu.app;

import dev.ukemu.core.cpu.Cpu;
import dev.ukemu.core.cpu.CpuException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * QEMU-style {@code -d} logging: {@code int} (every exception and interrupt delivered),
 * {@code unimp} (unclaimed ports and MMIO, unknown MSRs), {@code guest_errors}. Goes to
 * {@code -D FILE} or standard error.
 */
public final class DebugLog implements AutoCloseable {
    public static final List<String> CATEGORIES = List.of("int", "unimp", "guest_errors");

    private final Set<String> enabled;
    private final PrintStream out;
    private final boolean ownStream;

    DebugLog(Set<String> enabled, Path file) throws IOException {
        this.enabled = enabled;
        if (file != null && !enabled.isEmpty()) {
            this.out = new PrintStream(Files.newOutputStream(file), true);
            this.ownStream = true;
        } else {
            this.out = System.err;
            this.ownStream = false;
        }
    }

    public boolean on(String category) {
        return enabled.contains(category);
    }

    public synchronized void log(String line) {
        out.println(line);
    }

    void interrupt(Cpu c, int vector, boolean external, int errorCode, boolean hasErrorCode) {
        if (!on("int")) {
            return;
        }
        String what = external ? "external interrupt" : CpuException.mnemonic(vector);
        log(String.format("vCPU %d: %s (vector %d)%s at RIP=0x%x CS=0x%x %s CR2=0x%x",
                c.index, what, vector, hasErrorCode ? String.format(" error 0x%x", errorCode) : "",
                c.rip, c.segSel[Cpu.CS], c.modeName(), c.cr2));
    }

    @Override
    public void close() {
        if (ownStream) {
            out.close();
        }
    }
}
