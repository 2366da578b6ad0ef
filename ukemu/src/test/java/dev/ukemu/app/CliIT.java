package dev.ukemu.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.cpu.JitConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs {@code java -jar ukemu.jar} as a user types it, and checks its output and exit status. */
class CliIT {
    record Result(int code, String out, String err) {
    }

    static Result ukemu(String... args) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("ukemu.jar", "target/ukemu.jar"));
        assertTrue(Files.isRegularFile(jar), "missing " + jar.toAbsolutePath());
        List<String> cmd = java();
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("ukemu did not exit: " + cmd);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    /**
     * The java command, with this JVM's {@code ukemu.jit*} properties passed on: ukemu without a
     * {@code --jit} option takes its engine from them, so the build's interpreter and JIT runs of
     * these tests reach the spawned emulator.
     */
    static List<String> java() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String name : System.getProperties().stringPropertyNames().stream().sorted().toList()) {
            if (name.equals("ukemu.jit") || name.startsWith("ukemu.jit.")) {
                cmd.add("-D" + name + "=" + System.getProperty(name));
            }
        }
        return cmd;
    }

    /** What {@code --stats} names as the engine when the command line does not choose one. */
    static String expectedEngine() {
        JitConfig jit = JitConfig.fromSystemProperties();
        return jit.enabled() ? "JIT (threshold " + jit.threshold() + ")" : "interpreter";
    }

    static String image(String name) {
        return TestImages.image(name).toString();
    }

    @Test
    void helloPrintsAndExitsZero() throws Exception {
        Result r = ukemu(image("hello.elf"));
        assertTrue(r.out().contains("Hello, World!"), r.out());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
    }

    @Test
    void helloWithQemuSpelling() throws Exception {
        Result r = ukemu("-kernel", image("hello.elf"), "-m", "953M", "-smp", "cpus=3", "-nographic", "-no-reboot",
                "-parallel", "none", "-rtc", "base=utc", "-machine", "pc,accel=kvm", "-cpu", "host,+x2apic,-pmu");
        assertTrue(r.out().contains("Hello, World!"), r.out() + r.err());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("accel=kvm requested: ukemu emulates the CPU in Java"), r.err());
    }

    @Test
    void cpuBasicPassesEverything() throws Exception {
        Result r = ukemu(image("cpu-basic.elf"), "--smp", "2", "-m", "1G");
        assertFalse(r.out().contains("FAIL"), r.out());
        assertTrue(r.out().contains(" passed, 0 failed"), r.out());
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void cpuModesPassesEverything() throws Exception {
        Result r = ukemu(image("cpu-modes.elf"), "--no-reboot");
        String out = r.out().replace("\r\n", "\n");
        assertFalse(out.contains("FAIL"), out + r.err());
        assertTrue(out.matches("(?s).*\ncpu-modes: [1-9][0-9]* passed, 0 failed, 0 skipped\n.*"), out);
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
    }

    @Test
    void statsReportTheWorkDone() throws Exception {
        Result r = ukemu(image("cpu-basic.elf"), "--stats");
        assertEquals(0, r.code(), r.err());
        var m = java.util.regex.Pattern.compile("ukemu stats: ([0-9,]+) guest instructions in [0-9.]+ s \\(([0-9.]+) MIPS\\)")
                .matcher(r.err());
        assertTrue(m.find(), r.err());
        assertTrue(Long.parseLong(m.group(1).replace(",", "")) > 100_000, r.err());
        assertTrue(r.err().contains("port I/O"), r.err());
        assertTrue(r.err().contains("exceptions"), r.err());
        assertTrue(r.err().contains("; engine: " + expectedEngine() + "\n"), r.err());
    }

    @Test
    void jitOptionChoosesTheEngine() throws Exception {
        Result off = ukemu(image("cpu-basic.elf"), "--jit", "off", "--stats");
        assertEquals(0, off.code(), off.err());
        assertTrue(off.out().contains(" passed, 0 failed"), off.out());
        assertTrue(off.err().contains("; engine: interpreter\n"), off.err());
        Result on = ukemu(image("cpu-basic.elf"), "--jit", "on", "--stats");
        assertEquals(0, on.code(), on.err());
        assertTrue(on.out().contains(" passed, 0 failed"), on.out());
        assertTrue(on.err().contains("; engine: JIT (threshold " + JitConfig.DEFAULT_THRESHOLD + ")\n"), on.err());
        Result bad = ukemu(image("hello.elf"), "--jit", "fast");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("--jit: expected on or off"), bad.err());
    }

    @Test
    void smpBasicWithThreeCpusInQemuSpelling() throws Exception {
        Result r = ukemu(image("smp-basic.elf"), "-smp", "cpus=3");
        String out = r.out().replace("\r\n", "\n");
        assertFalse(out.contains("FAIL"), out + r.err());
        assertTrue(out.contains("smp-basic: 3 CPUs found\n"), out);
        assertTrue(out.matches("(?s).*smp-basic: [1-9][0-9]* passed, 0 failed, [0-9]+ skipped \\(3 CPUs\\)\n.*"), out);
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
    }

    @Test
    void helpAndVersion() throws Exception {
        Result help = ukemu("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("Usage: ukemu KERNEL"), help.out());
        Result version = ukemu("--version");
        assertEquals(0, version.code());
        assertTrue(version.out().matches("ukemu \\d+\\.\\d+\\.\\d+.*\\n"), version.out());
    }

    /** One line on standard error, a non-zero status, no stack trace. */
    static void assertCleanError(Result r, String expected) {
        assertNotEquals(0, r.code());
        assertEquals(ExitStatus.EXIT_USAGE, r.code(), r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "more than one line: " + err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), err);
        assertTrue(err.startsWith("ukemu: "), err);
        assertTrue(err.contains(expected), err);
    }

    @Test
    void missingKernel(@TempDir Path dir) throws Exception {
        assertCleanError(ukemu(dir.resolve("nope.elf").toString()), "nope.elf");
    }

    @Test
    void directoryAsKernel(@TempDir Path dir) throws Exception {
        assertCleanError(ukemu(dir.toString()), "is a directory");
    }

    @Test
    void notAnElf(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("readme.txt");
        Files.writeString(f, "this is not a kernel\n".repeat(100));
        assertCleanError(ukemu(f.toString()), "readme.txt");
    }

    @Test
    void elfWithoutMultibootHeader() throws Exception {
        // The host's own /bin/true: a real ELF64 executable with no multiboot header.
        assertCleanError(ukemu("/bin/true"), "no multiboot header");
    }

    @Test
    void zeroRam() throws Exception {
        assertCleanError(ukemu(image("hello.elf"), "-m", "0"), "-m");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "0", "65", "-1"})
    void badSmp(String n) throws Exception {
        assertCleanError(ukemu(image("hello.elf"), "--smp", n), "--smp");
    }

    @Test
    void unimplementedCpuFeature() throws Exception {
        assertCleanError(ukemu(image("hello.elf"), "-cpu", "qemu64,+avx"), "-cpu: CPU feature 'avx' is not implemented by ukemu");
    }

    @Test
    void unknownOption() throws Exception {
        assertCleanError(ukemu(image("hello.elf"), "--frobnicate"), "unknown option '--frobnicate'");
    }

    @Test
    void missingInitrd(@TempDir Path dir) throws Exception {
        assertCleanError(ukemu(image("hello.elf"), "--initrd", dir.resolve("gone.cpio").toString()), "gone.cpio");
    }

    /**
     * A flat multiboot kernel (header with address fields, flag bit 16) whose 32-bit entry at
     * 0x100020 is {@code code}: the smallest guest that does one thing.
     */
    static Path flatKernel(Path dir, String name, int... code) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(0x20 + code.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int magic = 0x1BADB002, flags = 0x00010000;
        b.putInt(magic).putInt(flags).putInt(-(magic + flags));
        b.putInt(0x100000).putInt(0x100000).putInt(0).putInt(0).putInt(0x100020);
        b.position(0x20);
        for (int c : code) {
            b.put((byte) c);
        }
        Path f = dir.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    @Test
    void debugExitValueBecomesTheExitStatus(@TempDir Path dir) throws Exception {
        // mov dx, 0x501; mov ax, 21; out dx, ax; hlt
        Path k = flatKernel(dir, "exit21.bin", 0x66, 0xBA, 0x01, 0x05, 0x66, 0xB8, 21, 0, 0x66, 0xEF, 0xF4);
        Result r = ukemu(k.toString());
        assertEquals((21 << 1) | 1, r.code(), r.err());
    }

    @Test
    void tripleFaultIsOneLineNamingWhere(@TempDir Path dir) throws Exception {
        // ud2 with the reset IDT (base 0, all zeroes): #UD -> #GP -> #DF -> triple fault.
        Path k = flatKernel(dir, "ud2.bin", 0x90, 0x0F, 0x0B);
        Result r = ukemu(k.toString(), "--no-reboot");
        assertEquals(ExitStatus.EXIT_GUEST_FAILURE, r.code(), r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), err);
        assertTrue(err.startsWith("ukemu: vCPU 0: triple fault in 32-bit protected mode at RIP=0x100021 ("), err);
        assertTrue(err.contains("while delivering #DF"), err);
    }

    @Test
    void unimplementedInstructionIsOneLineWithItsBytes(@TempDir Path dir) throws Exception {
        Path k = flatKernel(dir, "vzeroupper.bin", 0x90, 0xC5, 0xF8, 0x77); // nop; vzeroupper (no AVX)
        Result r = ukemu(k.toString());
        assertEquals(ExitStatus.EXIT_GUEST_FAILURE, r.code(), r.err());
        assertEquals("ukemu: vCPU 0: unimplemented instruction at RIP=0x100021 in 32-bit protected mode: c5 f8 (#UD, vector 6)",
                r.err().strip());
    }

    @Test
    void interruptLogGoesToTheFileGiven(@TempDir Path dir) throws Exception {
        Path k = flatKernel(dir, "ud2.bin", 0x0F, 0x0B);
        Path log = dir.resolve("int.log");
        Result r = ukemu(k.toString(), "--no-reboot", "-d", "int", "-D", log.toString());
        assertEquals(ExitStatus.EXIT_GUEST_FAILURE, r.code());
        String text = Files.readString(log);
        assertTrue(text.startsWith("vCPU 0: #UD (vector 6) at RIP=0x100020"), text);
        assertTrue(text.contains("#DF (vector 8)"), text);
    }

    @Test
    void tripleFaultWithoutNoRebootRestartsTheKernel(@TempDir Path dir) throws Exception {
        // Counts boots in RAM outside the image (kept across a reset), triple-faults on the first
        // two, and exits with the count on the third.
        Path k = flatKernel(dir, "reboot3.bin",
                0xA1, 0x00, 0x00, 0x20, 0x00,       // mov eax, [0x200000]
                0x40,                               // inc eax
                0xA3, 0x00, 0x00, 0x20, 0x00,       // mov [0x200000], eax
                0x83, 0xF8, 0x03,                   // cmp eax, 3
                0x72, 0x07,                         // jb fault
                0x66, 0xBA, 0x01, 0x05,             // mov dx, 0x501
                0x66, 0xEF,                         // out dx, ax
                0xF4,                               // hlt
                0x0F, 0x0B);                        // fault: ud2
        Result r = ukemu(k.toString());
        assertEquals((3 << 1) | 1, r.code(), r.err());
        assertEquals(2, r.err().lines().filter(l -> l.contains("triple fault") && l.endsWith("resetting the machine")).count(), r.err());
    }

    @Test
    void vgaScreenIsShownInTheTerminal(@TempDir Path dir) throws Exception {
        Path k = flatKernel(dir, "vga.bin",
                0xC7, 0x05, 0x00, 0x80, 0x0B, 0x00, 0x48, 0x07, 0x69, 0x07, // mov dword [0xb8000], "H" "i" (grey on black)
                0x66, 0xBA, 0x04, 0x06,                                     // mov dx, 0x604
                0x66, 0xB8, 0x00, 0x20,                                     // mov ax, 0x2000
                0x66, 0xEF, 0xF4);                                          // out dx, ax; hlt
        Result r = ukemu(k.toString(), "--vga");
        assertEquals(0, r.code(), r.err());
        String last = r.out().substring(r.out().lastIndexOf("\u001b[?1049l") + 8);
        assertTrue(last.startsWith("Hi"), "final screen: " + last);
        assertTrue(r.out().contains("\u001b[?1049h"), "drawn on the alternate screen");
    }

    @Test
    void serialConsoleCanGoToAFile(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("serial.log");
        Result r = ukemu(image("hello.elf"), "-serial", "file:" + log);
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().contains("Hello"), r.out());
        assertTrue(Files.readString(log).contains("Hello, World!"));
    }

    @Test
    void forwardToAPortInUseIsAOneLineError() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Result r = ukemu(image("hello.elf"), "-nic", "user,hostfwd=tcp::" + port + "-:80");
            assertCleanError(r, "hostfwd tcp 127.0.0.1:" + port + ": port already in use");
            r = ukemu(image("hello.elf"), "-p", port + ":80");
            assertCleanError(r, "port already in use");
        }
    }

    @Test
    void userNetworkGuestWithoutTrafficBootsNormally() throws Exception {
        Result r = ukemu(image("hello.elf"), "-nic", "user");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Hello, World!"), r.out());
    }

    @Test
    void badMacIsAOneLineError() throws Exception {
        Result r = ukemu(image("hello.elf"), "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0,mac=zz");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("ukemu: -device virtio-net-pci: mac:"), r.err());
    }

    @Test
    void unconnectedCardDoesNotDisturbTheGuest(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("net.pcap");
        Result r = ukemu(image("hello.elf"), "-device", "virtio-net-pci", "--net-dump", pcap.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Hello, World!"), r.out());
        assertEquals(24, Files.size(pcap), "a pcap header and no frames");
    }

    @Test
    void netDumpRecordsTheGuestsDhcpAndHttp(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("net.pcap");
        int tcpPort = NetBootTest.freeTcpPort();
        int udpPort = NetBootTest.freeUdpPort();
        Path jar = Path.of(System.getProperty("ukemu.jar", "target/ukemu.jar"));
        List<String> cmd = java();
        cmd.addAll(List.of("-jar", jar.toString(), image("net-basic.elf"), "-nic",
                "user,hostfwd=tcp::" + tcpPort + "-:80,hostfwd=udp::" + udpPort + "-:7", "--net-dump", pcap.toString()));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectError(dir.resolve("stderr").toFile()).start();
        StringBuilder out = new StringBuilder();
        try {
            var in = p.getInputStream();
            int b;
            while (out.indexOf("net-basic: serving") < 0 && (b = in.read()) >= 0) {
                out.append((char) b);
            }
            assertTrue(out.indexOf("net-basic: serving") >= 0, out.toString());
            assertEquals(NetBootTest.expectedResponse().length, NetBootTest.httpGet(tcpPort).length);
            try (var udp = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
                udp.setSoTimeout(30_000);
                NetBootTest.udpExchange(udp, udpPort, "quit".getBytes(StandardCharsets.US_ASCII));
            }
            out.append(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "ukemu did not exit");
        } finally {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), out + Files.readString(dir.resolve("stderr")));
        assertFalse(out.toString().contains("FAIL"), out.toString());

        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(pcap));
        assertTrue(b.remaining() >= 24, "pcap global header");
        b.order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != 0xa1b2c3d4) {
            b.order(java.nio.ByteOrder.BIG_ENDIAN);
        }
        assertEquals(0xa1b2c3d4, b.getInt(0), "pcap magic (microsecond timestamps)");
        assertEquals(2, b.getShort(4), "pcap major version");
        assertEquals(4, b.getShort(6), "pcap minor version");
        assertEquals(1, b.getInt(20), "link type Ethernet");
        int frames = 0, dhcp = 0, http = 0;
        java.util.Set<Integer> dhcpTypes = new java.util.TreeSet<>();
        b.position(24);
        while (b.remaining() > 0) {
            assertTrue(b.remaining() >= 16, "record header");
            b.getInt();
            b.getInt();
            int incl = b.getInt();
            int orig = b.getInt();
            assertTrue(incl <= orig && incl <= b.remaining(), "record length");
            byte[] f = new byte[incl];
            b.get(f);
            frames++;
            if (f.length < 34 || (f[12] & 0xFF) != 0x08 || f[13] != 0x00) {
                continue;
            }
            int ihl = (f[14] & 0x0F) * 4;
            int proto = f[23] & 0xFF;
            int l4 = 14 + ihl;
            if (f.length < l4 + 4) {
                continue;
            }
            int sport = (f[l4] & 0xFF) << 8 | (f[l4 + 1] & 0xFF);
            int dport = (f[l4 + 2] & 0xFF) << 8 | (f[l4 + 3] & 0xFF);
            if (proto == 17 && (sport == 68 && dport == 67 || sport == 67 && dport == 68)) {
                dhcp++;
                for (int o = l4 + 8 + 240; o + 2 < f.length && (f[o] & 0xFF) != 255; ) {
                    if (f[o] == 0) {
                        o++;
                        continue;
                    }
                    if (f[o] == 53) {
                        dhcpTypes.add(f[o + 2] & 0xFF);
                    }
                    o += 2 + (f[o + 1] & 0xFF);
                }
            } else if (proto == 6 && (sport == 80 || dport == 80)) {
                http++;
            }
        }
        assertTrue(dhcp >= 4, "DHCP frames: " + dhcp);
        assertEquals(java.util.Set.of(1, 2, 3, 5), dhcpTypes, "DISCOVER, OFFER, REQUEST, ACK");
        assertTrue(http >= 10, "TCP frames to or from port 80: " + http + " of " + frames);
    }
}
