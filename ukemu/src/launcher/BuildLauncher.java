import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Run by the build after the jar (as a source-file program, so it needs nothing but the JDK):
 * writes the launcher {@code target/ukemu} from {@code src/launcher/ukemu} and makes the JVM's
 * ahead-of-time cache {@code target/ukemu.aot} (JEP 483, 514, 515) with a training run of
 * {@code java -jar ukemu.jar} on a guest. The cache is tied to this JDK build and to this jar;
 * one from an earlier jar is always removed first, because the JVM may not notice that a jar
 * changed (JDK-8377932) and would then run the old classes.
 *
 * <p>Arguments: TARGET_DIR LAUNCHER_TEMPLATE TRAINING_IMAGE FALLBACK_IMAGE SKIP JVM_OPTIONS
 * [logging-level=MAVEN_LOGGING_LEVEL]. The training run's output goes to {@code target/ukemu-training.log}
 * and is shown only if it fails; at Maven's default logging level one line says what was made.
 */
public class BuildLauncher {
    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 6 && args.length != 7) {
            fail("usage: BuildLauncher TARGET_DIR LAUNCHER_TEMPLATE TRAINING_IMAGE FALLBACK_IMAGE SKIP JVM_OPTIONS"
                    + " [logging-level=N]");
        }
        Path target = Path.of(args[0]);
        Path template = Path.of(args[1]);
        Path image = Files.isRegularFile(Path.of(args[2])) ? Path.of(args[2]) : Path.of(args[3]);
        boolean skip = Boolean.parseBoolean(args[4].strip());
        List<String> jvmOptions = args[5].isBlank() ? List.of() : List.of(args[5].strip().split("\\s+"));
        // Maven's levels: 0 debug, 1 info, 2 warnings, 3 errors (-q).
        boolean verbose = args.length < 7 || !args[6].strip().matches("(logging-level=)?[2-9]");

        Path jar = target.resolve("ukemu.jar");
        Path cache = target.resolve("ukemu.aot");
        Path training = target.resolve("ukemu-training.aot");
        Path log = target.resolve("ukemu-training.log");
        Files.deleteIfExists(cache);
        Files.deleteIfExists(training);
        Files.deleteIfExists(target.resolve("ukemu-training.aot.config"));

        String javaHome = System.getProperty("java.home");
        Path launcher = target.resolve("ukemu");
        Files.writeString(launcher, Files.readString(template)
                .replace("@BUILD_JAVA_HOME@", javaHome)
                .replace("@JVM_OPTIONS@", String.join(" ", jvmOptions)));
        try {
            Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: the script is for Unix-like hosts anyway.
        }

        if (skip) {
            if (verbose) {
                System.out.println("ukemu: no AOT cache (ukemu.aot.skip): target/ukemu runs the jar without one");
            }
            return;
        }
        if (!Files.isRegularFile(jar)) {
            fail("ukemu: cannot make the AOT cache: " + jar + " is missing");
        }
        if (!Files.isRegularFile(image)) {
            fail("ukemu: cannot make the AOT cache: the training guest " + image + " is missing");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(javaHome, "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-XX:AOTCacheOutput=" + training);
        cmd.add("-Xlog:aot=error");
        cmd.add("-Xlog:cds=error");
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.add(image.toString());
        Files.writeString(log, String.join(" ", cmd) + "\n");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // Options from the environment would change what the cache is made for.
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        Process p = pb.start();
        p.getOutputStream().close();
        int status;
        if (p.waitFor(5, TimeUnit.MINUTES)) {
            status = p.exitValue();
        } else {
            p.destroyForcibly();
            p.waitFor();
            status = -1;
        }
        if (status != 0 || !Files.isRegularFile(training)) {
            Files.deleteIfExists(training);
            System.err.print(Files.readString(log));
            fail("ukemu: the training run that makes the AOT cache (target/ukemu.aot) failed"
                    + (status == -1 ? " (no exit within 5 minutes)" : " with exit status " + status)
                    + (status == 0 ? " and wrote no cache" : "") + "; its command and output are above"
                    + " (and in " + log + ").\n"
                    + "ukemu: the cache needs a HotSpot JDK 25 or newer (java " + System.getProperty("java.version")
                    + " from " + javaHome + " ran it). Build with -Dukemu.aot.skip=true to do without it"
                    + " (ukemu then starts more slowly).");
        }
        Files.move(training, cache, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (verbose) {
            System.out.printf("ukemu: AOT cache %s (%d MB) for %s, from a training run on %s%n", cache,
                    Files.size(cache) >> 20, jar, image);
        }
    }

    private static void fail(String message) {
        System.err.println(message);
        System.exit(1);
    }
}
