package dev.ukemu.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Boots {@code compute.elf}, the benchmark suite that benchmarks/compare-compute times, at a tiny
 * scale: every benchmark must compute its known answer (the suite checks them itself) and report a
 * time.
 */
class ComputeBootTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    static final List<String> BENCHMARKS =
            List.of("sieve", "crc32", "sha256", "matmul", "qsort", "strsearch", "interp", "hashtab", "listwalk");

    private record Run(ExitStatus status, String out) {
    }

    private static Run boot(String append) throws Exception {
        SerialCapture serial = new SerialCapture();
        MachineConfig config = MachineConfig.of(TestImages.image("compute.elf")).withAppend(append).withSerialOutput(serial);
        try (Machine m = Machine.create(config)) {
            m.start();
            ExitStatus s = m.waitForExit(TIMEOUT);
            return new Run(s, serial.text());
        }
    }

    @Test
    void everyBenchmarkChecksItsAnswerAndReportsCycles() throws Exception {
        Run r = boot("scale=1 reps=2");
        String out = r.out();
        assertTrue(out.startsWith("compute: scale=1 reps=2 tsc_khz=2500000\n"), out);
        for (String name : BENCHMARKS) {
            Matcher m = Pattern.compile("\nbench " + name + " ok cycles=([0-9]+) reps=2 us=[0-9]+ size=[0-9]+ sum=0x[0-9a-f]+\n")
                    .matcher(out);
            assertTrue(m.find(), "no ok line for " + name + " in:\n" + out);
            assertTrue(Long.parseLong(m.group(1)) > 0, out);
        }
        assertFalse(out.contains("FAIL"), out);
        assertTrue(out.contains("\ncompute: all ok (9 benchmarks)\n"), out);
        assertEquals(0, r.status().code(), out);
        assertNull(r.status().reason(), out);
    }

    @Test
    void aSelectionThatMatchesNothingFailsThroughDebugExit() throws Exception {
        Run r = boot("scale=1 reps=1 only=nothing");
        assertTrue(r.out().contains("\ncompute: FAIL no benchmark matches only=nothing\n"), r.out());
        assertEquals((1 << 1) | 1, r.status().code(), r.out());
    }

    @Test
    void onlyRunsTheNamedBenchmarks() throws Exception {
        Run r = boot("scale=1 reps=1 only=sha256,interp");
        assertTrue(r.out().contains("\ncompute: all ok (2 benchmarks)\n"), r.out());
        assertTrue(r.out().contains("\nbench sha256 ok "), r.out());
        assertFalse(r.out().contains("bench sieve"), r.out());
        assertEquals(0, r.status().code(), r.out());
    }
}
