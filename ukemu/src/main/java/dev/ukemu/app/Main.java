package dev.ukemu.app;

import dev.ukemu.app.cli.CommandLine;
import dev.ukemu.app.cli.UsageException;
import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.loader.LoadException;
import java.io.IOException;
import java.io.PrintStream;

/** {@code java -jar ukemu.jar}: parses the command line, boots the machine, exits as the guest did. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        GuestMemory.Warmup.start();
        System.exit(run(args, System.out, System.err));
    }

    /** Runs ukemu as the command line would; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
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
        MachineConfig config = p.config().withSerialOutput(serial).withSerialInput(p.vga() ? null : System.in);
        try (Machine m = Machine.create(config)) {
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
