package dev.ukemu.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher the build writes ({@code target/ukemu}) and the AOT cache it uses
 * ({@code target/ukemu.aot}): the launcher runs the jar, the JVM takes ukemu's classes from the
 * cache, and a cache that does not fit (older than the jar, or not a cache) changes nothing in
 * what the user sees.
 */
@DisabledOnOs(OS.WINDOWS)
class LauncherIT {
    record Result(int code, String out, String err) {
    }

    static final Path LAUNCHER = Path.of(System.getProperty("ukemu.launcher", "target/ukemu"));
    static final boolean NO_CACHE = Boolean.getBoolean("ukemu.aot.skip");

    static Result run(Path launcher, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(launcher.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("UKEMU_JAVA_OPTS");
        pb.environment().putAll(env);
        Process p = pb.start();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the launcher did not exit: " + cmd);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    /** Boots hello.elf with a class-loading log (and {@code jvmOptions}); returns the log. */
    static String bootHello(Path launcher, Path log, String... jvmOptions) throws IOException, InterruptedException {
        String opts = String.join(" ", jvmOptions) + " -Xlog:class+load=info:file=" + log;
        Result r = run(launcher, Map.of("UKEMU_JAVA_OPTS", opts.strip()), TestImages.image("hello.elf").toString());
        assertEquals("Hello, World!\n", r.out().replace("\r\n", "\n"), r.err());
        assertEquals("", r.err());
        assertEquals(0, r.code());
        return Files.readString(log);
    }

    static boolean fromCache(String classLoadLog) {
        return classLoadLog.lines().anyMatch(l -> l.contains(" dev.ukemu.app.Main source: shared objects file"));
    }

    @Test
    void launcherBootsHelloWithTheCache(@TempDir Path dir) throws Exception {
        assertTrue(Files.isExecutable(LAUNCHER), "missing " + LAUNCHER.toAbsolutePath());
        assumeFalse(NO_CACHE, "built with -Dukemu.aot.skip=true");
        Path cache = LAUNCHER.resolveSibling("ukemu.aot");
        assertTrue(Files.isRegularFile(cache), "the build made no AOT cache: " + cache.toAbsolutePath());
        String log = bootHello(LAUNCHER, dir.resolve("classes.log"));
        assertTrue(fromCache(log), "ukemu's classes did not come from the AOT cache:\n"
                + log.lines().filter(l -> l.contains("dev.ukemu.app.Main ")).toList());
    }

    @Test
    void launcherPassesArgumentsAndExitStatus() throws Exception {
        Result version = run(LAUNCHER, Map.of(), "--version");
        assertEquals(0, version.code(), version.err());
        assertTrue(version.out().matches("ukemu \\d+\\.\\d+\\.\\d+.*\\n"), version.out());
        Result bad = run(LAUNCHER, Map.of(), TestImages.image("hello.elf").toString(), "--smp", "0");
        assertEquals(ExitStatus.EXIT_USAGE, bad.code(), bad.err());
        assertTrue(bad.err().startsWith("ukemu: --smp"), bad.err());
    }

    /** A copy of the launcher and the jar in {@code dir}, with {@code cache} as their AOT cache. */
    static Path copyWithCache(Path dir, byte[] cache) throws IOException {
        Path launcher = Files.copy(LAUNCHER, dir.resolve("ukemu"), StandardCopyOption.COPY_ATTRIBUTES);
        Path jar = Files.copy(LAUNCHER.resolveSibling("ukemu.jar"), dir.resolve("ukemu.jar"));
        Path aot = Files.write(dir.resolve("ukemu.aot"), cache);
        // The cache is newer than the jar, as the build leaves them.
        Files.setLastModifiedTime(jar, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        Files.setLastModifiedTime(aot, FileTime.fromMillis(System.currentTimeMillis()));
        return launcher;
    }

    @Test
    void cacheOlderThanTheJarIsNotUsed(@TempDir Path dir) throws Exception {
        assumeFalse(NO_CACHE, "built with -Dukemu.aot.skip=true");
        Path launcher = copyWithCache(dir, Files.readAllBytes(LAUNCHER.resolveSibling("ukemu.aot")));
        // A jar rebuilt after its cache: the JVM might not notice (JDK-8377932), the launcher must.
        Files.setLastModifiedTime(dir.resolve("ukemu.jar"), FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        assertFalse(fromCache(bootHello(launcher, dir.resolve("classes.log"))));
    }

    @Test
    void cacheTheJvmCannotUseIsIgnoredQuietly(@TempDir Path dir) throws Exception {
        Path launcher = copyWithCache(dir, "not an AOT cache\n".repeat(100).getBytes(StandardCharsets.US_ASCII));
        assertFalse(fromCache(bootHello(launcher, dir.resolve("classes.log"))));
    }

    @Test
    void cacheForOtherJvmOptionsIsIgnoredQuietly(@TempDir Path dir) throws Exception {
        assumeFalse(NO_CACHE, "built with -Dukemu.aot.skip=true");
        // The cache was made with compressed oops (as ZGC, for one, runs without): the JVM rejects it.
        assertFalse(fromCache(bootHello(LAUNCHER, dir.resolve("classes.log"), "-XX:-UseCompressedOops")));
    }
}
