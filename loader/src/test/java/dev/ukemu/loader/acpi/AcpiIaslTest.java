package dev.ukemu.loader.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks the tables against ACPICA's own reading of them, when its {@code iasl} (Debian package
 * {@code acpica-tools}) is installed; skipped otherwise. Each table is disassembled, which must
 * succeed without complaint, then compiled back from the disassembly, which must give the same
 * bytes except where iasl signs its own name (creator ID and revision) and so the checksum.
 */
class AcpiIaslTest {
    private static Optional<Path> iasl = Optional.empty();

    @TempDir
    Path dir;

    @BeforeAll
    static void findIasl() {
        String path = System.getenv("PATH");
        if (path != null) {
            iasl = Arrays.stream(path.split(File.pathSeparator))
                    .map(d -> Path.of(d, "iasl"))
                    .filter(Files::isExecutable)
                    .findFirst();
        }
    }

    /** The table types, from a machine whose MADT holds every kind of structure the builder writes. */
    @ParameterizedTest
    @ValueSource(strings = {"FACP", "APIC", "DSDT", "FACS", "RSDT", "XSDT"})
    void iaslDisassemblesAndReassemblesTheTable(String signature) throws Exception {
        assumeTrue(iasl.isPresent(), "iasl (acpica-tools) is not installed");
        byte[] table;
        try (GuestMemory mem = new GuestMemory(MemoryLayout.of(16 * MemoryLayout.MIB))) {
            AcpiTables.Result result = AcpiTables.install(mem, new AcpiConfig(12).withFirstX2apicId(8).withLevelIrqs(11));
            AcpiTables.Table t = result.table(signature);
            table = mem.read(t.address(), t.length());
        }
        String name = signature.toLowerCase(Locale.ROOT);
        Files.write(dir.resolve(name + ".dat"), table);

        String out = run("-d", name + ".dat");
        Path dsl = dir.resolve(name + ".dsl");
        assertTrue(Files.exists(dsl), "no disassembly:\n" + out);
        String text = Files.readString(dsl);
        assertFalse(text.contains("****"), "iasl flagged the table:\n" + text);
        if (signature.equals("DSDT")) {
            assertTrue(text.contains("Name (_S5, Package (0x04)"), text);
        }

        out = run("-p", "again_" + name, name + ".dsl");
        assertTrue(out.contains("0 Errors, 0 Warnings"), out);
        byte[] again = Files.readAllBytes(dir.resolve("again_" + name + ".aml"));
        assertEquals(table.length, again.length, "length after a round trip through iasl");
        if (signature.equals("FACS")) {
            assertArrayEquals(table, again);
        } else {
            assertArrayEquals(withoutCreator(table), withoutCreator(again), "bytes after a round trip through iasl");
        }
    }

    /** The table with its checksum and creator ID and revision zeroed. */
    private static byte[] withoutCreator(byte[] table) {
        byte[] b = table.clone();
        b[TableBuilder.CHECKSUM] = 0;
        Arrays.fill(b, TableBuilder.CREATOR_ID, TableBuilder.HEADER_SIZE, (byte) 0);
        return b;
    }

    /** Runs iasl in the temporary directory; fails unless it exits with status 0. */
    private String run(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>();
        command.add(iasl.orElseThrow().toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] output = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "iasl did not finish");
        String text = new String(output, java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + text);
        return text;
    }
}
