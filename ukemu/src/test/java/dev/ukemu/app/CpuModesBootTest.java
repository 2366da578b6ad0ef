package dev.ukemu.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Boots {@code cpu-modes.elf}, the guest that checks what a CPU does outside user-mode 64-bit code:
 * real mode and 16-bit protected mode after a drop from long mode, compatibility mode, ring 3 and
 * its faults, exception delivery (#DF, #NP, #SS, IST stacks), XSAVE layouts and system
 * instructions. It reports one PASS or FAIL line per check.
 */
class CpuModesBootTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    /** One check of each area; the guest must have run them, not skipped them. */
    static final List<String> EXPECTED_PASSES = List.of(
            "PASS 16-bit protected mode (D=0) with 66/67 prefixes",
            "PASS real mode: int 0x30 through an IVT at 0x10000+, iret",
            "PASS real mode -> long mode (LGDT, PE, 32-bit, LME, PG, 64-bit)",
            "PASS compatibility mode: 32-bit code (L=0, D=1), far jump and far return to 64-bit",
            "PASS ring 3 by IRETQ, int 0x80 (DPL 3 gate) back on TSS.RSP0",
            "PASS ring 3: in from a port the I/O bitmap allows (IOPL 0)",
            "PASS syscall/sysretq round trip",
            "PASS SMEP: supervisor fetch from a user page -> #PF(P|I/D)",
            "PASS #DF: #PF while delivering #PF (its IST stack not present)",
            "PASS #SS(0): push with a non-canonical RSP (#SS on IST 2)",
            "PASS xsave (mask all ones): XSTATE_BV and the legacy region",
            "PASS wrfsbase/rdfsbase/wrgsbase with CR4.FSGSBASE",
            "PASS rdpid returns TSC_AUX",
            "PASS rdseed",
            "PASS cpuid 0x40000000: ukemu signature");

    @Test
    void everyCheckPassesAndTheGuestPowersOff() throws Exception {
        SerialCapture serial = new SerialCapture();
        try (Machine m = Machine.create(MachineConfig.of(TestImages.image("cpu-modes.elf")).withSerialOutput(serial))) {
            m.start();
            ExitStatus s = m.waitForExit(TIMEOUT);
            String out = serial.text();
            assertFalse(out.contains("FAIL"), out);
            assertFalse(out.contains("SKIP"), out);
            assertTrue(out.matches("(?s).*\\ncpu-modes: [1-9][0-9]* passed, 0 failed, 0 skipped\\n.*"), out);
            for (String pass : EXPECTED_PASSES) {
                assertTrue(out.contains(pass + "\n"), "missing '" + pass + "' in:\n" + out);
            }
            assertEquals(0, s.code(), out);
            assertNull(s.reason(), out);
        }
    }
}
