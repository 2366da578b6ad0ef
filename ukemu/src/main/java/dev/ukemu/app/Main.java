package dev.ukemu.app;

import dev.ukemu.app.cli.CommandLine;
import dev.ukemu.app.cli.UsageException;
import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.loader.LoadException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;

/** {@code java -jar ukemu.jar}: parses the command line, boots the machine, exits as the guest did. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        GuestMemory.Warmup.start();
        InputStream stdin = interruptibleStdin();
        int status = run(args, stdin, System.out, System.err, true);
        try {
            stdin.close();
        } catch (IOException e) {
            // Exiting anyway.
        }
        System.exit(status);
    }

    /**
     * Standard input as an interruptible channel. The serial console's reader waits in read(2)
     * until the user types, and the JVM's exit waits up to 0.3 s for a thread that is in native
     * code (-XX:UserThreadWaitAttemptsAtExit); closing this stream before exiting wakes the
     * reader out of read(2) (a signal, as for any interruptible channel), so exit is immediate.
     */
    private static InputStream interruptibleStdin() {
        return Channels.newInputStream(new FileInputStream(FileDescriptor.in).getChannel());
    }

    /** Runs ukemu as the command line would; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, System.in, out, err, false);
    }

    /**
     * As {@link #run(String[], PrintStream, PrintStream)}, with {@code in} as standard input;
     * {@code processExits}: the caller exits the JVM next, so guest RAM is left for the kernel to
     * reclaim instead of being unmapped (which would first have to link munmap).
     */
    static int run(String[] args, InputStream in, PrintStream out, PrintStream err, boolean processExits) {
        CommandLine.Parsed p;
        try {
            p = CommandLine.parse(args);
        } catch (UsageException e) {
            err.println("ukemu: " + e.getMessage());
            return ExitStatus.EXIT_USAGE;
        }
        if (p.help()) {
            out.print(CommandLine.USAGE);
            return 0;
        }
        if (p.version()) {
            out.println("ukemu " + version());
            return 0;
        }
        for (String note : p.notes()) {
            err.println("ukemu: note: " + note);
        }
        java.io.OutputStream serial = out;
        if (p.serialFile() != null) {
            try {
                serial = java.nio.file.Files.newOutputStream(p.serialFile());
            } catch (IOException e) {
                err.println("ukemu: cannot write the serial console to '" + p.serialFile() + "': " + e.getMessage());
                return ExitStatus.EXIT_USAGE;
            }
        } else if (p.vga()) {
            serial = java.io.OutputStream.nullOutputStream();
        }
        MachineConfig config = p.config().withSerialOutput(serial).withSerialInput(p.vga() ? null : in);
        try (Machine m = Machine.create(config)) {
            if (processExits) {
                m.leaveGuestRamMappedOnClose();
            }
            for (String w : m.bootImage().warnings()) {
                err.println("ukemu: warning: " + w);
            }
            VgaConsole vga = p.vga() ? new VgaConsole(m.vga(), out) : null;
            if (vga != null) {
                vga.start();
            }
            m.start();
            ExitStatus s = m.waitForExit();
            if (vga != null) {
                vga.close();
            }
            out.flush();
            serial.flush();
            if (serial != out) {
                serial.close();
            }
            if (p.stats()) {
                m.printStats(err);
            }
            if (s.reason() != null) {
                err.println("ukemu: " + s.reason());
            }
            return s.code();
        } catch (LoadException e) {
            err.println("ukemu: " + e.getMessage());
            return ExitStatus.EXIT_USAGE;
        } catch (IOException e) {
            err.println("ukemu: " + e.getMessage());
            return ExitStatus.EXIT_USAGE;
        } catch (IllegalArgumentException e) {
            err.println("ukemu: " + e.getMessage());
            return ExitStatus.EXIT_USAGE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitStatus.EXIT_INTERNAL;
        } catch (RuntimeException | OutOfMemoryError e) {
            err.println("ukemu: internal error: " + e);
            return ExitStatus.EXIT_INTERNAL;
        }
    }

    public static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "development build";
    }
}
