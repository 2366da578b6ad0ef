package dev.ukemu.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.cpu.JitConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Boots the project's guest images through the embedding API, as a JUnit user of ukemu would. */
class BootTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void helloPrintsAndPowersOff() throws Exception {
        SerialCapture serial = new SerialCapture();
        try (Machine m = Machine.create(MachineConfig.of(TestImages.image("hello.elf")).withSerialOutput(serial))) {
            m.start();
            serial.await("Hello, World!", TIMEOUT);
            ExitStatus s = m.waitForExit(TIMEOUT);
            assertEquals(0, s.code(), "ACPI power-off exits 0");
            assertNull(s.reason());
            assertTrue(m.instructionsRetired() > 1000, "retired " + m.instructionsRetired());
        }
    }

    /** The build boots every guest with each engine; the machine must run the one the properties choose. */
    @Test
    void machineRunsTheEngineTheSystemPropertiesChoose() throws Exception {
        JitConfig wanted = JitConfig.fromSystemProperties();
        SerialCapture serial = new SerialCapture();
        try (Machine m = Machine.create(MachineConfig.of(TestImages.image("hello.elf")).withSerialOutput(serial))) {
            m.start();
            assertEquals(0, m.waitForExit(TIMEOUT).code());
            java.io.ByteArrayOutputStream stats = new java.io.ByteArrayOutputStream();
            m.printStats(new java.io.PrintStream(stats, true, java.nio.charset.StandardCharsets.UTF_8));
            String engine = wanted.enabled() ? "JIT (threshold " + wanted.threshold() + ")" : "interpreter";
            assertTrue(stats.toString(java.nio.charset.StandardCharsets.UTF_8).contains("; engine: " + engine + "\n"), stats.toString());
            System.out.println("guest boot tests engine: " + engine + (wanted.synchronous() ? ", synchronous compilation" : ""));
        }
    }

    @Test
    void helloBootsWithSeveralVcpusAndMoreRam() throws Exception {
        SerialCapture serial = new SerialCapture();
        MachineConfig cfg = MachineConfig.of(TestImages.image("hello.elf")).withSmp(4).withRam(1L << 30).withSerialOutput(serial);
        try (Machine m = Machine.create(cfg)) {
            m.start();
            assertEquals(0, m.waitForExit(TIMEOUT).code());
            assertTrue(serial.text().contains("Hello, World!\n"), serial.text());
            assertEquals(4, m.cpus().size());
        }
    }

    @Test
    void cpuBasicReportsOnlyPasses() throws Exception {
        SerialCapture serial = new SerialCapture();
        try (Machine m = Machine.create(MachineConfig.of(TestImages.image("cpu-basic.elf")).withSerialOutput(serial))) {
            m.start();
            ExitStatus s = m.waitForExit(TIMEOUT);
            String out = serial.text();
            assertFalse(out.contains("FAIL"), out);
            assertTrue(out.matches("(?s).*cpu-basic: [1-9][0-9]* passed, 0 failed.*"), out);
            assertEquals(0, s.code(), out);
        }
    }
}
