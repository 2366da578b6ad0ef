package dev.ukemu.app.cli;

import dev.ukemu.app.DebugLog;
import dev.ukemu.app.MachineConfig;
import dev.ukemu.app.NicConfig;
import dev.ukemu.core.cpu.CpuidModel;
import dev.ukemu.core.memory.MemoryLayout;
import dev.ukemu.core.cpu.JitConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Parses ukemu's command line: its own GNU-style options ({@code --smp 2}, {@code -m 1G}) and the
 * QEMU spellings users already type ({@code -kernel}, {@code -smp cpus=3}, {@code -append},
 * {@code -no-reboot}, {@code -nographic}, ...), so that ukemu can stand in for
 * {@code qemu-system-x86_64} in existing scripts.
 */
public final class CommandLine {
    /** What the user asked for. */
    /**
     * What the user asked for. {@code serialFile} is where the serial console goes instead of
     * standard output ({@code -serial file:PATH}); {@code vga} shows the VGA screen in the terminal.
     */
    public record Parsed(MachineConfig config, boolean help, boolean version, List<String> notes, boolean stats,
                         boolean vga, Path serialFile) {
    }

    private CommandLine() {
    }

    public static final String USAGE = """
            Usage: ukemu KERNEL [options]
                   ukemu -kernel KERNEL [QEMU-style options]

            Boots a multiboot kernel (a Unikraft qemu/x86_64 image, for example) on an emulated
            x86-64 PC with a serial console on standard input and output.

            Options:
              --smp N, -smp [cpus=]N    number of vCPUs, 1-64 (default 1)
              -m SIZE, --memory SIZE    guest RAM: 953M, 1G, 512K or plain MiB (default 128M)
              --initrd FILE             load FILE as a multiboot module (repeatable; commas
                                        separate several files as with QEMU)
              --append STRING           kernel command line after the kernel path
              --no-reboot               exit instead of rebooting when the guest resets
              --cpu MODEL[,+F,-F]       CPUID model: max (default; host is the same), qemu64,
                                        with QEMU feature names to add or remove
              --vga                     show the guest's VGA text screen in the terminal (the
                                        serial console then goes to -serial file:PATH, if given)
              -serial file:PATH         write the serial console to PATH
              --jit on|off              translate hot guest code to JVM bytecode (default on);
                                        off runs the interpreter alone
              --stats                   at exit, print instructions executed, MIPS, decoded
                                        blocks and exits by cause to standard error
              -nic user[,mac=M][,hostfwd=tcp::HOSTPORT-:GUESTPORT]...
                                        a virtio-net card on QEMU's user-mode network
                                        (10.0.2.0/24, gateway 10.0.2.2, DNS 10.0.2.3)
              -netdev user,id=ID[,net=A/N][,host=A][,dns=A][,dhcpstart=A][,hostfwd=...]
                     [,restrict=on|off]  a user-mode network, for -device
              -device virtio-net-pci,netdev=ID[,mac=52:54:00:12:34:56][,addr=SLOT]
                                        a virtio-net card (transitional: legacy and 1.x)
              -p HOSTPORT:GUESTPORT     forward a host TCP port to the guest (kraft's
                                        spelling of hostfwd=tcp::HOSTPORT-:GUESTPORT)
              --net-dump FILE.pcap      record every frame both ways in a pcap file
              -d LIST                   log events: int, unimp, guest_errors (comma-separated)
              -D FILE                   write the -d log to FILE instead of standard error
              -h, --help                print this help
              --version                 print the version

            Accepted for QEMU compatibility: -kernel, -initrd, -append, -no-reboot, -nographic,
            -machine/-M (pc, accel=...), -cpu, -parallel none, -serial stdio, -display none,
            -vga none, -monitor none, -rtc base=utc, -enable-kvm, -accel.

            Exit status: 0 when the guest powers off; (v << 1) | 1 when it writes v to
            isa-debug-exit (port 0x501 or 0xf4); 2 for bad input; 4 when the guest cannot
            continue (triple fault, unimplemented instruction).
            """;

    public static Parsed parse(String[] args) throws UsageException {
        Path kernel = null;
        int smp = 1;
        long ram = MachineConfig.DEFAULT_RAM;
        List<Path> initrds = new ArrayList<>();
        String append = "";
        boolean noReboot = false;
        Set<String> debug = new LinkedHashSet<>();
        Path debugLog = null;
        boolean help = false;
        boolean version = false;
        String cpu = "max";
        boolean stats = false;
        boolean vga = false;
        JitConfig jit = null;
        Path serialFile = null;
        List<String> notes = new ArrayList<>();
        NetOptions net = new NetOptions();
        Path netDump = null;

        for (int k = 0; k < args.length; k++) {
            String a = args[k];
            String name = a;
            String inline = null;
            if (a.startsWith("--") && a.contains("=")) {
                name = a.substring(0, a.indexOf('='));
                inline = a.substring(a.indexOf('=') + 1);
            }
            switch (name) {
                case "-h", "-help", "--help" -> help = true;
                case "-version", "--version" -> version = true;
                case "-kernel", "--kernel" -> kernel = Path.of(value(args, ++k, name, inline));
                case "--smp", "-smp" -> smp = parseSmp(name, value(args, inline == null ? ++k : k, name, inline));
                case "-m", "--memory" -> ram = parseRam(name, value(args, inline == null ? ++k : k, name, inline));
                case "-initrd", "--initrd" -> {
                    for (String f : value(args, inline == null ? ++k : k, name, inline).split(",")) {
                        if (!f.isBlank()) {
                            initrds.add(Path.of(f.strip()));
                        }
                    }
                }
                case "-append", "--append" -> append = value(args, inline == null ? ++k : k, name, inline);
                case "-no-reboot", "--no-reboot" -> noReboot = true;
                case "--stats" -> stats = true;
                case "--vga" -> vga = true;
                case "--jit" -> {
                    String v = value(args, inline == null ? ++k : k, name, inline);
                    jit = switch (v) {
                        case "on" -> JitConfig.on();
                        case "off" -> JitConfig.OFF;
                        default -> throw new UsageException("--jit: expected on or off, not '" + v + "'");
                    };
                }
                case "-d" -> {
                    for (String cat : value(args, ++k, name, null).split(",")) {
                        String c = cat.strip().toLowerCase(Locale.ROOT);
                        if (!DebugLog.CATEGORIES.contains(c)) {
                            throw new UsageException("-d: unknown log category '" + cat + "' (known: "
                                    + String.join(", ", DebugLog.CATEGORIES) + ")");
                        }
                        debug.add(c);
                    }
                }
                case "-D" -> debugLog = Path.of(value(args, ++k, name, null));
                case "-nographic", "-enable-kvm", "-no-hpet", "-no-acpi-ignored" -> {
                    if (name.equals("-enable-kvm")) {
                        notes.add("KVM is not used: ukemu emulates the CPU in Java");
                    }
                }
                case "-machine", "-M" -> {
                    String v = value(args, ++k, name, null);
                    checkMachine(v, notes);
                }
                case "-accel" -> {
                    String v = value(args, ++k, name, null);
                    if (!v.startsWith("tcg")) {
                        notes.add("accel=" + v + " requested: ukemu emulates the CPU in Java");
                    }
                }
                case "-cpu", "--cpu" -> {
                    cpu = value(args, inline == null ? ++k : k, name, inline);
                    try {
                        CpuidModel.fromSpec(cpu, 1, 1);
                    } catch (IllegalArgumentException e) {
                        throw new UsageException(name + ": " + e.getMessage());
                    }
                }
                case "-parallel", "-serial", "-display", "-vga", "-monitor" -> {
                    String v = value(args, ++k, name, null);
                    if (name.equals("-serial") && v.startsWith("file:") && v.length() > 5) {
                        serialFile = Path.of(v.substring(5));
                        continue;
                    }
                    boolean ok = switch (name) {
                        case "-serial" -> v.equals("stdio") || v.equals("mon:stdio");
                        case "-vga" -> v.equals("none") || v.equals("std") || v.equals("cirrus");
                        default -> v.equals("none") || (name.equals("-monitor") && v.equals("stdio"));
                    };
                    if (!ok) {
                        throw new UsageException(name + " " + v + " is not supported (ukemu's console is the serial port on standard input/output)");
                    }
                }
                case "-rtc" -> {
                    String v = value(args, ++k, name, null);
                    if (!v.startsWith("base=utc")) {
                        throw new UsageException("-rtc " + v + " is not supported (the RTC runs on UTC)");
                    }
                }
                case "-netdev" -> net.netdev(value(args, ++k, name, null));
                case "-device" -> net.device(value(args, ++k, name, null));
                case "-nic" -> net.nic(value(args, ++k, name, null));
                case "-p" -> net.publish(value(args, ++k, name, null));
                case "--net-dump" -> netDump = Path.of(value(args, inline == null ? ++k : k, name, inline));
                case "-net" -> throw new UsageException(
                        "-net is not supported: use -nic user or -netdev user,id=ID -device virtio-net-pci,netdev=ID");
                default -> {
                    if (a.startsWith("-") && a.length() > 1) {
                        throw new UsageException("unknown option '" + a + "' (see --help)");
                    }
                    if (kernel != null) {
                        throw new UsageException("more than one kernel given: '" + kernel + "' and '" + a + "'");
                    }
                    kernel = Path.of(a);
                }
            }
        }
        if (help || version) {
            return new Parsed(null, help, version, notes, stats, vga, serialFile);
        }
        if (kernel == null) {
            throw new UsageException("no kernel given (usage: ukemu KERNEL [options]; see --help)");
        }
        List<NicConfig> nics = net.build();
        if (netDump != null && nics.isEmpty()) {
            throw new UsageException("--net-dump: there is no network card to record (add -nic user)");
        }
        MachineConfig config = MachineConfig.of(kernel).withSmp(smp).withRam(ram).withInitrds(initrds)
                .withAppend(append).withNoReboot(noReboot).withDebug(debug, debugLog).withCpu(cpu)
                .withNics(nics).withNetDump(netDump);
        if (jit != null) {
            config = config.withJit(jit);
        }
        return new Parsed(config, false, false, notes, stats, vga, serialFile);
    }

    private static String value(String[] args, int k, String name, String inline) throws UsageException {
        if (inline != null) {
            return inline;
        }
        if (k >= args.length) {
            throw new UsageException(name + " needs a value (see --help)");
        }
        return args[k];
    }

    static int parseSmp(String name, String v) throws UsageException {
        String n = v;
        for (String part : v.split(",")) {
            if (part.startsWith("cpus=")) {
                n = part.substring(5);
            } else if (!part.contains("=")) {
                n = part;
            } else if (!part.matches("(maxcpus|sockets|cores|threads|dies)=\\d+")) {
                throw new UsageException(name + ": unknown property '" + part + "'");
            }
        }
        int count;
        try {
            count = Integer.parseInt(n.strip());
        } catch (NumberFormatException e) {
            throw new UsageException(name + ": '" + v + "' is not a number of vCPUs (1-" + MachineConfig.MAX_CPUS + ")");
        }
        if (count < 1 || count > MachineConfig.MAX_CPUS) {
            throw new UsageException(name + ": " + count + " vCPUs is out of range (1-" + MachineConfig.MAX_CPUS + ")");
        }
        return count;
    }

    static long parseRam(String name, String v) throws UsageException {
        String s = v;
        for (String part : v.split(",")) {
            if (part.startsWith("size=")) {
                s = part.substring(5);
            } else if (!part.contains("=")) {
                s = part;
            }
        }
        long bytes;
        try {
            bytes = MemoryLayout.parseSize(s);
        } catch (IllegalArgumentException e) {
            throw new UsageException(name + ": " + e.getMessage());
        }
        if (bytes < MemoryLayout.MIN_RAM) {
            throw new UsageException(name + ": " + v + " is too little RAM (at least 2M)");
        }
        if (bytes > MemoryLayout.MAX_RAM) {
            throw new UsageException(name + ": " + v + " is more RAM than ukemu supports (at most 1T)");
        }
        return bytes;
    }

    private static void checkMachine(String v, List<String> notes) throws UsageException {
        for (String part : v.split(",")) {
            if (part.isEmpty() || part.equals("pc") || part.startsWith("pc-i440fx") || part.equals("type=pc")) {
                continue;
            }
            if (part.startsWith("accel=")) {
                if (!part.equals("accel=tcg")) {
                    notes.add(part + " requested: ukemu emulates the CPU in Java");
                }
                continue;
            }
            if (part.equals("q35") || part.equals("type=q35") || part.equals("microvm")) {
                throw new UsageException("-machine " + part + " is not supported (ukemu emulates QEMU's pc machine)");
            }
            if (!part.contains("=")) {
                throw new UsageException("-machine: unknown machine '" + part + "' (ukemu emulates 'pc')");
            }
            // Other properties (usb=off, dump-guest-core=off, ...) do not change this machine.
        }
    }
}
