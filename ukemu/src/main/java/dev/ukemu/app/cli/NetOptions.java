package dev.ukemu.app.cli;

import dev.ukemu.app.NicConfig;
import dev.ukemu.devices.net.UserNetOptions;
import dev.ukemu.devices.net.UserNetOptions.HostForward;
import dev.ukemu.devices.net.UserNetOptions.Protocol;
import dev.ukemu.devices.virtio.VirtioNet;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The network part of the command line, in QEMU's spelling: {@code -netdev user,id=ID,...},
 * {@code -device virtio-net-pci,netdev=ID,mac=...}, {@code -nic user,...}, and kraft's short
 * {@code -p HOSTPORT:GUESTPORT}. Collects them, then {@link #build} checks the references and
 * assigns slots and MAC addresses as QEMU does.
 */
final class NetOptions {
    private static final Set<String> USER_KEYS = Set.of("id", "net", "host", "dns", "dhcpstart", "hostfwd",
            "restrict", "hostname", "domainname", "ipv4", "ipv6");
    private static final Set<String> NIC_MODELS = Set.of("virtio-net-pci", "virtio-net", "virtio");

    private record Device(String netdev, byte[] mac, int slot, String option) {
    }

    private final Map<String, UserNetOptions> netdevs = new LinkedHashMap<>();
    private final List<Device> devices = new ArrayList<>();
    private final List<HostForward> published = new ArrayList<>();
    private boolean noNic;
    private int anonymous;

    /** {@code -netdev TYPE,id=ID,...} */
    void netdev(String value) throws UsageException {
        Opts o = Opts.parse("-netdev", value);
        if (!"user".equals(o.type)) {
            throw new UsageException("-netdev " + (o.type == null ? value : o.type)
                    + " is not supported (ukemu has the user-mode network: -netdev user,id=ID)");
        }
        String id = o.single("id");
        if (id == null || id.isEmpty()) {
            throw new UsageException("-netdev user: id= is required (for example -netdev user,id=net0)");
        }
        addNetdev(id, user("-netdev user", o));
    }

    private void addNetdev(String id, UserNetOptions options) throws UsageException {
        if (netdevs.putIfAbsent(id, options) != null) {
            throw new UsageException("-netdev: id '" + id + "' is used twice");
        }
    }

    /** {@code -device TYPE,...}; true if it was a device ukemu has. */
    void device(String value) throws UsageException {
        Opts o = Opts.parse("-device", value);
        String type = o.type == null ? o.single("driver") : o.type;
        if (type != null && NIC_MODELS.contains(type)) {
            String name = "-device " + type;
            o.allow(name, Set.of("driver", "netdev", "mac", "id", "addr", "bus", "romfile"));
            String bus = o.single("bus");
            if (bus != null && !bus.equals("pci.0")) {
                throw new UsageException(name + ": bus=" + bus + " does not exist (ukemu has pci.0)");
            }
            devices.add(new Device(o.single("netdev"), mac(name, o.single("mac")), slot(name, o.single("addr")), name));
            return;
        }
        if ("isa-debug-exit".equals(type)) {
            o.allow("-device isa-debug-exit", Set.of("iobase", "iosize", "id"));
            String base = o.single("iobase");
            if (base != null && !Set.of("0x501", "0x0501", "0xf4", "0xF4", "0x00f4").contains(base)) {
                throw new UsageException("-device isa-debug-exit: iobase=" + base
                        + " is not supported (ukemu has isa-debug-exit at 0x501 and 0xf4)");
            }
            return; // already there
        }
        throw new UsageException("-device " + (type == null ? value : type)
                + " is not supported (ukemu has virtio-net-pci and isa-debug-exit)");
    }

    /** {@code -nic user[,model=virtio-net-pci][,mac=...][,user options]} or {@code -nic none}. */
    void nic(String value) throws UsageException {
        Opts o = Opts.parse("-nic", value);
        if ("none".equals(o.type)) {
            noNic = true;
            return;
        }
        if (!"user".equals(o.type)) {
            throw new UsageException("-nic " + (o.type == null ? value : o.type)
                    + " is not supported (ukemu has the user-mode network: -nic user)");
        }
        String model = o.single("model");
        if (model != null && !NIC_MODELS.contains(model)) {
            throw new UsageException("-nic user: model=" + model + " is not supported (ukemu has virtio-net-pci)");
        }
        byte[] mac = mac("-nic user", o.single("mac"));
        o.remove("model");
        o.remove("mac");
        String id = o.single("id");
        if (id == null) {
            id = "__nic" + anonymous++;
        }
        addNetdev(id, user("-nic user", o));
        devices.add(new Device(id, mac, -1, "-nic user"));
    }

    /** kraft's {@code -p HOSTPORT:GUESTPORT[/tcp|/udp]} or {@code -p HOSTADDR:HOSTPORT:GUESTPORT}. */
    void publish(String value) throws UsageException {
        String spec = value;
        Protocol proto = Protocol.TCP;
        int slash = spec.lastIndexOf('/');
        if (slash >= 0) {
            proto = switch (spec.substring(slash + 1).toLowerCase(Locale.ROOT)) {
                case "tcp" -> Protocol.TCP;
                case "udp" -> Protocol.UDP;
                default -> throw new UsageException("-p " + value + ": the protocol must be tcp or udp");
            };
            spec = spec.substring(0, slash);
        }
        String[] p = spec.split(":", -1);
        if (p.length < 2 || p.length > 3) {
            throw new UsageException("-p " + value + ": write HOSTPORT:GUESTPORT (for example -p 8080:80)");
        }
        Inet4Address hostAddr = p.length == 3 ? address("-p " + value, p[0]) : null;
        int hostPort = port("-p " + value, p[p.length - 2], false);
        int guestPort = port("-p " + value, p[p.length - 1], false);
        published.add(new HostForward(proto, hostAddr, hostPort, null, guestPort));
    }

    /** The NICs, with their networks; checks that every name refers to something. */
    List<NicConfig> build() throws UsageException {
        List<Device> cards = new ArrayList<>(devices);
        if (cards.isEmpty() && !published.isEmpty() && !noNic) {
            String id = "__nic" + anonymous++;
            addNetdev(id, UserNetOptions.defaults(id));
            cards.add(new Device(id, null, -1, "-p"));
        }
        if (!published.isEmpty()) {
            if (netdevs.size() != 1) {
                throw new UsageException("-p needs exactly one user network (there are " + netdevs.size()
                        + "); use hostfwd= on the -netdev instead");
            }
            Map.Entry<String, UserNetOptions> only = netdevs.entrySet().iterator().next();
            UserNetOptions u = only.getValue();
            for (HostForward f : published) {
                u = u.withHostForward(f);
            }
            only.setValue(u);
        }
        List<NicConfig> nics = new ArrayList<>();
        java.util.Set<String> taken = new java.util.HashSet<>();
        java.util.Set<Integer> slots = new java.util.HashSet<>();
        for (Device d : cards) {
            if (d.slot() >= 0 && !slots.add(d.slot())) {
                throw new UsageException(d.option() + ": PCI slot " + d.slot() + " is taken by another device");
            }
        }
        int nextSlot = NicConfig.FIRST_SLOT;
        int defaultMacs = 0;
        for (Device d : cards) {
            UserNetOptions net = null;
            if (d.netdev() != null) {
                net = netdevs.get(d.netdev());
                if (net == null) {
                    throw new UsageException(d.option() + ": netdev=" + d.netdev() + " names no -netdev");
                }
                if (!taken.add(d.netdev())) {
                    throw new UsageException(d.option() + ": netdev=" + d.netdev() + " is already used by another NIC");
                }
            }
            int slot = d.slot();
            if (slot < 0) {
                while (slots.contains(nextSlot)) {
                    nextSlot++;
                }
                if (nextSlot > 31) {
                    throw new UsageException(d.option() + ": no free PCI slot left");
                }
                slot = nextSlot;
                slots.add(slot);
            }
            byte[] mac = d.mac() != null ? d.mac() : NicConfig.defaultMac(defaultMacs++);
            nics.add(new NicConfig(slot, mac, net));
        }
        return nics;
    }

    // ---- option values ------------------------------------------------------------------------

    private static UserNetOptions user(String name, Opts o) throws UsageException {
        o.allow(name, USER_KEYS);
        String id = o.single("id");
        UserNetOptions d = UserNetOptions.defaults(id);
        Inet4Address net = d.network();
        int prefix = d.prefixLength();
        String netText = o.single("net");
        if (netText != null) {
            String addr = netText;
            String mask = null;
            int slash = netText.indexOf('/');
            if (slash >= 0) {
                addr = netText.substring(0, slash);
                mask = netText.substring(slash + 1);
            }
            net = address(name + ": net", addr);
            if (mask != null) {
                prefix = prefix(name, netText, mask);
            } else {
                prefix = 24;
            }
            int m = prefix == 0 ? 0 : -1 << (32 - prefix);
            if ((UserNetOptions.toInt(net) & ~m) != 0) {
                throw new UsageException(name + ": net=" + netText + " has host bits set (write the network address)");
            }
            if (prefix > 29) {
                throw new UsageException(name + ": net=" + netText + " is too small for a gateway, DNS and DHCP");
            }
        }
        int base = UserNetOptions.toInt(net);
        Inet4Address host = value(name, o, "host", base | 2);
        Inet4Address dns = value(name, o, "dns", base | 3);
        Inet4Address dhcp = value(name, o, "dhcpstart", base | 15);
        boolean restrict = onOff(name, "restrict", o.single("restrict"), false);
        String ipv4 = o.single("ipv4");
        if (ipv4 != null && !onOff(name, "ipv4", ipv4, true)) {
            throw new UsageException(name + ": ipv4=off is not supported (the user network is IPv4)");
        }
        onOff(name, "ipv6", o.single("ipv6"), false); // accepted; the user network has no IPv6
        UserNetOptions u = new UserNetOptions(id, net, prefix, host, dns, dhcp, List.of(), restrict,
                o.single("hostname"), o.single("domainname"));
        for (String k : List.of("host", "dns", "dhcpstart")) {
            Inet4Address a = switch (k) {
                case "host" -> host;
                case "dns" -> dns;
                default -> dhcp;
            };
            if (!u.inNetwork(a)) {
                throw new UsageException(name + ": " + k + "=" + a.getHostAddress() + " is outside net="
                        + net.getHostAddress() + "/" + prefix);
            }
        }
        for (String f : o.all("hostfwd")) {
            u = u.withHostForward(hostForward(name, f));
        }
        return u;
    }

    private static Inet4Address value(String name, Opts o, String key, int fallback) throws UsageException {
        String v = o.single(key);
        return v == null ? UserNetOptions.fromInt(fallback) : address(name + ": " + key, v);
    }

    /** {@code [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport} */
    static HostForward hostForward(String name, String text) throws UsageException {
        String what = name + ": hostfwd=" + text;
        String bad = what + " is malformed (write hostfwd=tcp::8080-:80)";
        int dash = text.indexOf('-');
        if (dash < 0) {
            throw new UsageException(bad);
        }
        String[] h = text.substring(0, dash).split(":", -1);
        String[] g = text.substring(dash + 1).split(":", -1);
        if (h.length != 3 || g.length != 2) {
            throw new UsageException(bad);
        }
        Protocol proto = switch (h[0].toLowerCase(Locale.ROOT)) {
            case "", "tcp" -> Protocol.TCP;
            case "udp" -> Protocol.UDP;
            default -> throw new UsageException(what + ": the protocol must be tcp or udp");
        };
        Inet4Address hostAddr = h[1].isEmpty() ? null : address(what, h[1]);
        int hostPort = port(what, h[2], true);
        Inet4Address guestAddr = g[0].isEmpty() ? null : address(what, g[0]);
        int guestPort = port(what, g[1], false);
        return new HostForward(proto, hostAddr, hostPort, guestAddr, guestPort);
    }

    private static Inet4Address address(String what, String text) throws UsageException {
        try {
            return UserNetOptions.ipv4(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException(what + ": " + e.getMessage());
        }
    }

    private static int port(String what, String text, boolean zeroOk) throws UsageException {
        int p;
        try {
            p = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new UsageException(what + ": '" + text + "' is not a port number");
        }
        if (p < (zeroOk ? 0 : 1) || p > 65535) {
            throw new UsageException(what + ": port " + p + " is out of range (1-65535)");
        }
        return p;
    }

    private static int prefix(String name, String netText, String mask) throws UsageException {
        if (mask.contains(".")) {
            int m = UserNetOptions.toInt(address(name + ": net=" + netText, mask));
            int len = Integer.bitCount(m);
            if (m != (len == 0 ? 0 : -1 << (32 - len))) {
                throw new UsageException(name + ": net=" + netText + ": the mask is not contiguous");
            }
            return len;
        }
        try {
            int len = Integer.parseInt(mask);
            if (len < 0 || len > 32) {
                throw new NumberFormatException();
            }
            return len;
        } catch (NumberFormatException e) {
            throw new UsageException(name + ": net=" + netText + ": '" + mask + "' is not a prefix length (0-32)");
        }
    }

    private static boolean onOff(String name, String key, String v, boolean dflt) throws UsageException {
        if (v == null) {
            return dflt;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "on", "yes", "true", "y" -> true;
            case "off", "no", "false", "n" -> false;
            default -> throw new UsageException(name + ": " + key + "=" + v + " must be on or off");
        };
    }

    private static byte[] mac(String name, String v) throws UsageException {
        if (v == null) {
            return null;
        }
        try {
            return VirtioNet.parseMac(v);
        } catch (IllegalArgumentException e) {
            throw new UsageException(name + ": mac: " + e.getMessage());
        }
    }

    private static int slot(String name, String v) throws UsageException {
        if (v == null) {
            return -1;
        }
        String s = v.toLowerCase(Locale.ROOT);
        if (s.endsWith(".0")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.contains(".")) {
            throw new UsageException(name + ": addr=" + v + ": only function 0 is supported");
        }
        try {
            int n = s.startsWith("0x") ? Integer.parseInt(s.substring(2), 16) : Integer.parseInt(s, 16);
            if (n < 2 || n > 31) {
                throw new UsageException(name + ": addr=" + v + ": slots 0 and 1 are the chipset's; use 2-0x1f");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(name + ": addr=" + v + " is not a PCI slot");
        }
    }

    /** QEMU's option syntax: {@code type,key=value,key=value}, with ",," for a literal comma. */
    static final class Opts {
        final String option;
        String type;
        final Map<String, List<String>> values = new LinkedHashMap<>();

        private Opts(String option) {
            this.option = option;
        }

        static Opts parse(String option, String text) throws UsageException {
            Opts o = new Opts(option);
            List<String> parts = new ArrayList<>();
            StringBuilder cur = new StringBuilder();
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == ',') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == ',') {
                        cur.append(',');
                        i++;
                    } else {
                        parts.add(cur.toString());
                        cur.setLength(0);
                    }
                } else {
                    cur.append(c);
                }
            }
            parts.add(cur.toString());
            for (int i = 0; i < parts.size(); i++) {
                String p = parts.get(i);
                int eq = p.indexOf('=');
                if (eq < 0) {
                    if (i == 0 && !p.isEmpty()) {
                        o.type = p;
                        continue;
                    }
                    throw new UsageException(option + ": '" + p + "' is not key=value");
                }
                String k = p.substring(0, eq);
                if (i == 0 && k.equals("type")) {
                    o.type = p.substring(eq + 1);
                    continue;
                }
                o.values.computeIfAbsent(k, x -> new ArrayList<>()).add(p.substring(eq + 1));
            }
            return o;
        }

        String single(String key) throws UsageException {
            List<String> l = values.get(key);
            if (l == null) {
                return null;
            }
            if (l.size() > 1) {
                throw new UsageException(option + ": " + key + "= is given twice");
            }
            return l.get(0);
        }

        List<String> all(String key) {
            return values.getOrDefault(key, List.of());
        }

        void remove(String key) {
            values.remove(key);
        }

        void allow(String name, Set<String> keys) throws UsageException {
            for (String k : values.keySet()) {
                if (!keys.contains(k)) {
                    throw new UsageException(name + ": unknown option '" + k + "' (known: "
                            + String.join(", ", new java.util.TreeSet<>(keys)) + ")");
                }
            }
        }
    }
}
