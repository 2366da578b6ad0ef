package dev.ukemu.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots {@code pc-devices.elf}, the guest that checks the PC devices a Unikraft kernel meets (PIT,
 * PIC, I/O APIC, RTC and CMOS, ACPI tables, fw_cfg, VGA text, i8042) and reports one PASS or FAIL
 * line per check, and drives its command-line, initrd and reset paths.
 */
class PcDevicesBootTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final String IMAGE = "pc-devices.elf";

    /** A check of each device path; the guest must have run it, not just skipped it. */
    static final List<String> EXPECTED_PASSES = List.of(
            "PASS PIT channel 0 mode 2 calibrates the TSC",
            "PASS PIT read-back: status then count",
            "PASS PIT channel 2 mode 0: OUT2 rises 1 ms after the gate opens",
            "PASS PIT status null-count flag",
            "PASS PIT access modes",
            "PASS PIT mode 2 at 1 kHz: 50 IRQ 0 through the PIC",
            "PASS PIT mode 4 one-shot wakes sti;hlt once",
            "PASS PIC OCW1: masked IRQ 0 is held in IRR",
            "PASS PIC specific EOI in the handler",
            "PASS PIC poll command",
            "PASS PIC automatic EOI mode",
            "PASS PIT mode 2 at 1 kHz: 30 IRQ 0 through I/O APIC pin 2",
            "PASS local APIC TPR 0x40 holds vector 0x30 in IRR",
            "PASS RTC time in BCD",
            "PASS RTC binary mode",
            "PASS RTC periodic interrupt at 1024 Hz",
            "PASS CMOS memory sizes match the multiboot memory map",
            "PASS ACPI MADT",
            "PASS CPU count: MADT type-0 entries = fw_cfg key 0x05 = CMOS 0x5f + 1",
            "PASS fw_cfg RAM size (key 0x03) matches the multiboot memory map",
            "PASS VGA CRTC cursor location",
            "PASS i8042 controller self-test",
            "PASS RTC set through register B SET",
            "PASS RTC update-ended and alarm interrupts");

    private record Run(ExitStatus status, String out) {
    }

    private static Run boot(MachineConfig config) throws Exception {
        SerialCapture serial = new SerialCapture();
        try (Machine m = Machine.create(config.withSerialOutput(serial))) {
            m.start();
            ExitStatus s = m.waitForExit(TIMEOUT);
            return new Run(s, serial.text());
        }
    }

    private static void assertAllPassed(Run r) {
        assertFalse(r.out().contains("FAIL"), r.out());
        assertTrue(r.out().matches("(?s).*\\npc-devices: [0-9]+ passed, 0 failed\\n.*"), r.out());
        assertEquals(0, r.status().code(), r.out());
        assertNull(r.status().reason(), r.out());
    }

    @Test
    void everyDeviceCheckPassesAndTheGuestPowersOff() throws Exception {
        Path kernel = TestImages.image(IMAGE);
        Run r = boot(MachineConfig.of(kernel));
        assertAllPassed(r);
        assertTrue(r.out().contains("\ncmdline: " + kernel + "\n"), "no --append: the kernel path alone\n" + r.out());
        assertFalse(r.out().contains("modules:"), r.out());
        for (String pass : EXPECTED_PASSES) {
            assertTrue(r.out().contains(pass), "missing '" + pass + "' in:\n" + r.out());
        }
        assertTrue(r.out().contains("CPUs: MADT 1, fw_cfg 1, CMOS 0x5f+1 1\n"), r.out());
    }

    @Test
    void devicesDescribeTwoCpusAndMoreRam() throws Exception {
        // The CPU counts (MADT, fw_cfg, CMOS) and the memory sizes (CMOS, fw_cfg) follow the machine.
        Run r = boot(MachineConfig.of(TestImages.image(IMAGE)).withSmp(2).withRam(512L << 20));
        assertAllPassed(r);
        assertTrue(r.out().contains("CPUs: MADT 2, fw_cfg 2, CMOS 0x5f+1 2\n"), r.out());
        assertTrue(r.out().contains("fw_cfg: RAM 524288 KiB, 2 CPUs\n"), r.out());
    }

    @Test
    void commandLineAndModuleReachTheGuest(@TempDir Path dir) throws Exception {
        byte[] bytes = {'u', 'k', 'e', 'm', 'u', 0, 1, 2, (byte) 0x7F, (byte) 0x80, (byte) 0xFE, (byte) 0xFF,
                '\n', '\r', ' ', 'z', 'x', 'y'};
        Path module = Files.write(dir.resolve("module.bin"), bytes);
        Path kernel = TestImages.image(IMAGE);
        // No word the guest knows: it also runs every device check with a module loaded.
        Run r = boot(MachineConfig.of(kernel).withAppend("alpha beta=gamma").withInitrds(List.of(module)));
        assertAllPassed(r);
        assertTrue(r.out().contains("\ncmdline: " + kernel + " alpha beta=gamma\n"), r.out());
        assertTrue(r.out().contains("\nmodules: 1\n"), r.out());
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            first.append(' ').append(HexFormat.of().toHexDigits(bytes[i]));
        }
        assertTrue(r.out().matches("(?s).*\\nmodule 0: 18 bytes at 0x[0-9a-f]+, first bytes:" + first + "\\n.*"), r.out());
        assertTrue(r.out().contains("\nmodule 0 string: " + module + "\n"), r.out());
        assertFalse(r.out().contains("cpio:"), r.out());
    }

    @Test
    void directoryInitrdArrivesAsANewcCpioArchive(@TempDir Path dir) throws Exception {
        Path root = Files.createDirectory(dir.resolve("root"));
        Files.writeString(root.resolve("hello.txt"), "hello\n");
        Files.write(root.resolve("alpha.bin"), new byte[] {'A', 'B'});
        Files.createDirectory(root.resolve("sub"));
        Files.writeString(root.resolve("sub/nested.txt"), "n\n");
        Run r = boot(MachineConfig.of(TestImages.image(IMAGE)).withAppend("info-only").withInitrds(List.of(root)));
        assertAllPassed(r);
        assertTrue(r.out().contains("PASS module 0 is a newc cpio archive ending in its trailer\n"), r.out());
        // Sorted by path, a directory before what it holds.
        String listing = String.join("", "cpio: alpha.bin (2 bytes)\n", "cpio: hello.txt (6 bytes)\n",
                "cpio: sub (0 bytes)\n", "cpio: sub/nested.txt (2 bytes)\n");
        assertTrue(r.out().contains(listing), r.out());
        assertTrue(r.out().contains("\ncpio: 4 entries\n"), r.out());
    }

    @Test
    void keyboardControllerResetRestartsTheKernelAndKeepsRam() throws Exception {
        Run r = boot(MachineConfig.of(TestImages.image(IMAGE)).withAppend("reset-test"));
        assertAllPassed(r);
        String out = r.out();
        int reset = out.indexOf("reset-test: resetting through the keyboard controller");
        int second = out.indexOf("reset-test: boot 2, after a keyboard-controller reset\n");
        assertTrue(reset >= 0 && second > reset, out);
        assertEquals(2, out.split("pc-devices: start\n", -1).length - 1, out);
        assertTrue(out.contains("PASS i8042 reset restarted the kernel, RAM kept\n"), out);
    }

    @Test
    void keyboardControllerResetWithNoRebootEndsTheRun() throws Exception {
        Run r = boot(MachineConfig.of(TestImages.image(IMAGE)).withAppend("reset-test").withNoReboot(true));
        String out = r.out();
        assertEquals(0, r.status().code(), out);
        assertNull(r.status().reason(), out);
        assertTrue(out.contains("reset-test: resetting through the keyboard controller"), out);
        assertEquals(1, out.split("pc-devices: start\n", -1).length - 1, out);
        assertFalse(out.contains("boot 2"), out);
        assertFalse(out.contains("FAIL"), out);
    }
}
