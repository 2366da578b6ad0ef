package dev.ukemu.core.cpu;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What CPUID announces. Each feature is one bit of one leaf register, named as QEMU names it,
 * and a model announces only features the CPU implements. Shared by all vCPUs of a machine;
 * the per-vCPU parts (APIC ID) come from the executing {@link Cpu}.
 */
public final class CpuidModel {
    /** A feature bit: leaf, register (0=EAX 1=EBX 2=ECX 3=EDX), bit. */
    public record Feature(String name, int leaf, int reg, int bit) {
    }

    private static final Map<String, Feature> FEATURES = new LinkedHashMap<>();

    private static int def(String name, int leaf, int reg, int bit) {
        FEATURES.put(name, new Feature(name, leaf, reg, bit));
        return FEATURES.size() - 1;
    }

    // Leaf 1 EDX.
    public static final int F_FPU = def("fpu", 1, 3, 0), F_VME = def("vme", 1, 3, 1), F_DE = def("de", 1, 3, 2),
            F_PSE = def("pse", 1, 3, 3), F_TSC = def("tsc", 1, 3, 4), F_MSR = def("msr", 1, 3, 5),
            F_PAE = def("pae", 1, 3, 6), F_MCE = def("mce", 1, 3, 7), F_CX8 = def("cx8", 1, 3, 8),
            F_APIC = def("apic", 1, 3, 9), F_SEP = def("sep", 1, 3, 11), F_MTRR = def("mtrr", 1, 3, 12),
            F_PGE = def("pge", 1, 3, 13), F_MCA = def("mca", 1, 3, 14), F_CMOV = def("cmov", 1, 3, 15),
            F_PAT = def("pat", 1, 3, 16), F_PSE36 = def("pse36", 1, 3, 17), F_CLFLUSH = def("clflush", 1, 3, 19),
            F_MMX = def("mmx", 1, 3, 23), F_FXSR = def("fxsr", 1, 3, 24), F_SSE = def("sse", 1, 3, 25),
            F_SSE2 = def("sse2", 1, 3, 26);
    // Leaf 1 ECX.
    public static final int F_SSE3 = def("pni", 1, 2, 0), F_MONITOR = def("monitor", 1, 2, 3),
            F_SSSE3 = def("ssse3", 1, 2, 9), F_CX16 = def("cx16", 1, 2, 13), F_PCID = def("pcid", 1, 2, 17),
            F_SSE41 = def("sse4.1", 1, 2, 19), F_SSE42 = def("sse4.2", 1, 2, 20), F_X2APIC = def("x2apic", 1, 2, 21),
            F_MOVBE = def("movbe", 1, 2, 22), F_POPCNT = def("popcnt", 1, 2, 23),
            F_TSC_DEADLINE = def("tsc-deadline", 1, 2, 24), F_XSAVE = def("xsave", 1, 2, 26),
            F_AVX = def("avx", 1, 2, 28), F_RDRAND = def("rdrand", 1, 2, 30), F_HYPERVISOR = def("hypervisor", 1, 2, 31);
    // Leaf 7 EBX / ECX.
    public static final int F_FSGSBASE = def("fsgsbase", 7, 1, 0), F_SMEP = def("smep", 7, 1, 7),
            F_ERMS = def("erms", 7, 1, 9), F_INVPCID = def("invpcid", 7, 1, 10), F_RDSEED = def("rdseed", 7, 1, 18),
            F_SMAP = def("smap", 7, 1, 20), F_CLFLUSHOPT = def("clflushopt", 7, 1, 23),
            F_UMIP = def("umip", 7, 2, 2), F_RDPID = def("rdpid", 7, 2, 22);
    // Leaf 0x80000001 EDX / ECX.
    public static final int F_SYSCALL = def("syscall", 0x80000001, 3, 11), F_NX = def("nx", 0x80000001, 3, 20),
            F_PDPE1GB = def("pdpe1gb", 0x80000001, 3, 26), F_RDTSCP = def("rdtscp", 0x80000001, 3, 27),
            F_LM = def("lm", 0x80000001, 3, 29), F_LAHF_LM = def("lahf_lm", 0x80000001, 2, 0),
            F_ABM = def("abm", 0x80000001, 2, 5);
    // Pseudo-features that are not CPUID bits but that QEMU users toggle.
    public static final int F_PMU = def("pmu", -1, 0, 0);

    /** Everything ukemu implements today; {@code --cpu max} announces exactly this. */
    private static final int[] IMPLEMENTED = {
        F_FPU, F_FXSR, F_XSAVE,
        F_DE, F_PSE, F_TSC, F_MSR, F_PAE, F_CX8, F_SEP, F_PGE, F_CMOV, F_PAT, F_PSE36, F_CLFLUSH,
        F_MMX, F_SSE, F_SSE2, F_SSE3, F_SSSE3, F_SSE41, F_SSE42,
        F_APIC, F_CX16, F_X2APIC, F_TSC_DEADLINE, F_MOVBE, F_POPCNT, F_RDRAND, F_HYPERVISOR,
        F_FSGSBASE, F_SMEP, F_RDSEED, F_RDPID,
        F_SYSCALL, F_NX, F_PDPE1GB, F_RDTSCP, F_LM, F_LAHF_LM, F_ABM,
    };

    private final boolean[] enabled = new boolean[FEATURES.size()];
    private final String vendor;
    private final long tscKhz;
    private final int cpuCount;

    private CpuidModel(String vendor, long tscKhz, int cpuCount) {
        this.vendor = vendor;
        this.tscKhz = tscKhz;
        this.cpuCount = cpuCount;
    }

    /** The default model: every implemented feature. */
    /** The names of the features this model announces, for logs and the monitor. */
    public java.util.List<String> enabledFeatures() {
        java.util.List<String> names = new java.util.ArrayList<>();
        int i = 0;
        for (Feature f : FEATURES.values()) {
            if (enabled[i++] && f.leaf() >= 0) {
                names.add(f.name());
            }
        }
        return names;
    }

    public static CpuidModel max(long tscKhz, int cpuCount) {
        CpuidModel m = new CpuidModel("GenuineIntel", tscKhz, cpuCount);
        for (int f : IMPLEMENTED) {
            m.enabled[f] = true;
        }
        return m;
    }

    public static boolean isImplemented(int f) {
        for (int g : IMPLEMENTED) {
            if (g == f) {
                return true;
            }
        }
        return false;
    }

    /** A feature by any of QEMU's spellings ({@code sse4.1}, {@code sse4_1}, {@code tsc_deadline}). */
    public static Feature feature(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (String candidate : new String[] {n, n.replace('_', '.'), n.replace('_', '-'), n.replace('-', '_')}) {
            Feature f = FEATURES.get(candidate);
            if (f != null) {
                return f;
            }
        }
        return null;
    }

    private static int indexOf(Feature f) {
        int i = 0;
        for (Feature g : FEATURES.values()) {
            if (g == f) {
                return i;
            }
            i++;
        }
        return -1;
    }

    /** QEMU's qemu64 model, less what ukemu does not implement. */
    private static final int[] QEMU64 = {
        F_FPU, F_DE, F_PSE, F_TSC, F_MSR, F_PAE, F_MCE, F_CX8, F_APIC, F_SEP, F_MTRR, F_PGE, F_MCA, F_CMOV,
        F_PAT, F_PSE36, F_CLFLUSH, F_MMX, F_FXSR, F_SSE, F_SSE2, F_SSE3, F_CX16, F_HYPERVISOR,
        F_LM, F_SYSCALL, F_NX, F_LAHF_LM,
    };

    /**
     * A model from a {@code -cpu} argument as QEMU spells it: {@code max}, {@code host} (the same
     * as max here), {@code qemu64}, then {@code +feature}, {@code -feature}, {@code feature=on|off}.
     * Asking for a feature ukemu does not implement is an error; turning one off always works.
     *
     * @throws IllegalArgumentException with a one-line message for an unknown model or feature
     */
    public static CpuidModel fromSpec(String spec, long tscKhz, int cpuCount) {
        String[] parts = spec.split(",");
        String model = parts[0].strip().toLowerCase(Locale.ROOT);
        CpuidModel m;
        switch (model) {
            case "max", "host", "" -> m = max(tscKhz, cpuCount);
            case "qemu64" -> {
                m = new CpuidModel("AuthenticAMD", tscKhz, cpuCount);
                for (int f : QEMU64) {
                    m.enabled[f] = isImplemented(f);
                }
            }
            default -> throw new IllegalArgumentException("unknown CPU model '" + parts[0]
                    + "' (ukemu has: max, host, qemu64)");
        }
        for (int k = 1; k < parts.length; k++) {
            String p = parts[k].strip();
            if (p.isEmpty()) {
                continue;
            }
            boolean on;
            String name;
            if (p.startsWith("+") || p.startsWith("-")) {
                on = p.charAt(0) == '+';
                name = p.substring(1);
            } else if (p.contains("=")) {
                name = p.substring(0, p.indexOf('='));
                String v = p.substring(p.indexOf('=') + 1).toLowerCase(Locale.ROOT);
                on = switch (v) {
                    case "on", "true", "yes" -> true;
                    case "off", "false", "no" -> false;
                    default -> throw new IllegalArgumentException("CPU feature " + name + ": '" + v + "' is not on or off");
                };
            } else {
                name = p;
                on = true;
            }
            Feature f = feature(name);
            if (f == null) {
                throw new IllegalArgumentException("unknown CPU feature '" + name + "'");
            }
            int idx = indexOf(f);
            if (on && !isImplemented(idx)) {
                throw new IllegalArgumentException("CPU feature '" + name + "' is not implemented by ukemu");
            }
            m.enabled[idx] = on;
        }
        return m;
    }

    public boolean has(int f) {
        return enabled[f];
    }

    public void set(int f, boolean on) {
        enabled[f] = on;
    }

    long cr4Allowed() {
        long a = Cpu.CR4_VME | Cpu.CR4_PVI | Cpu.CR4_TSD | Cpu.CR4_DE | Cpu.CR4_PSE | Cpu.CR4_PAE | Cpu.CR4_MCE
                | Cpu.CR4_PGE | Cpu.CR4_PCE;
        if (has(F_FXSR) || has(F_SSE)) a |= Cpu.CR4_OSFXSR | Cpu.CR4_OSXMMEXCPT;
        if (has(F_UMIP)) a |= Cpu.CR4_UMIP;
        if (has(F_FSGSBASE)) a |= Cpu.CR4_FSGSBASE;
        if (has(F_PCID)) a |= Cpu.CR4_PCIDE;
        if (has(F_XSAVE)) a |= Cpu.CR4_OSXSAVE;
        if (has(F_SMEP)) a |= Cpu.CR4_SMEP;
        if (has(F_SMAP)) a |= Cpu.CR4_SMAP;
        return a;
    }

    long xcr0Supported() {
        long v = 1;
        if (has(F_SSE)) v |= 2;
        if (has(F_AVX)) v |= 4;
        return v;
    }

    private int bits(int leaf, int reg) {
        int v = 0;
        int idx = 0;
        for (Feature f : FEATURES.values()) {
            if (f.leaf() == leaf && f.reg() == reg && enabled[idx]) {
                v |= 1 << f.bit();
            }
            idx++;
        }
        return v;
    }

    private static int str(String s, int off) {
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int ch = off + k < s.length() ? s.charAt(off + k) : 0;
            v |= (ch & 0xFF) << (8 * k);
        }
        return v;
    }

    /** The brand string, 48 bytes. */
    static final String BRAND = "ukemu virtual CPU";
    /** Hypervisor signature at leaf 0x40000000 (EBX, ECX, EDX). */
    public static final String HYPERVISOR_SIGNATURE = "ukemuukemuuk";

    /** Returns {EAX, EBX, ECX, EDX} for a leaf and subleaf on vCPU {@code c}. */
    public int[] query(Cpu c, int leaf, int sub) {
        int maxBasic = 0xD;
        long maxExt = 0x80000008L;
        int[] r = new int[4];
        switch (leaf) {
            case 0 -> {
                r[0] = maxBasic;
                r[1] = str(vendor, 0);
                r[3] = str(vendor, 4);
                r[2] = str(vendor, 8);
            }
            case 1 -> {
                r[0] = 0x000806F1; // family 6, model 0x8F (Sapphire Rapids-like), stepping 1
                r[1] = (c.apicId << 24) | (Math.min(cpuCount, 255) << 16) | (8 << 8);
                // ECX[27] OSXSAVE mirrors CR4.OSXSAVE (SDM vol. 2A, CPUID, table 3-10).
                r[2] = bits(1, 2) | (has(F_XSAVE) && (c.cr4 & Cpu.CR4_OSXSAVE) != 0 ? 1 << 27 : 0);
                r[3] = bits(1, 3) | (cpuCount > 1 ? 1 << 28 : 0);
            }
            case 7 -> {
                if (sub == 0) {
                    r[1] = bits(7, 1);
                    r[2] = bits(7, 2);
                }
            }
            case 0xB -> {
                // Topology: one thread per core, cpuCount cores in one package.
                if (sub == 0) {
                    r[0] = 0; r[1] = 1; r[2] = 0x100;
                } else if (sub == 1) {
                    r[0] = 32 - Integer.numberOfLeadingZeros(Math.max(1, cpuCount - 1));
                    r[1] = cpuCount; r[2] = 0x201;
                } else {
                    r[2] = sub;
                }
                r[3] = c.apicId;
            }
            case 0xD -> {
                if (has(F_XSAVE)) {
                    // Standard-form sizes: 512-byte legacy region + 64-byte header, then AVX at 576.
                    if (sub == 0) {
                        r[0] = (int) xcr0Supported();
                        r[1] = 576 + ((c.xcr0 & 4) != 0 ? 256 : 0);
                        r[2] = 576 + (has(F_AVX) ? 256 : 0);
                    } else if (sub == 1) {
                        r[0] = 1; // XSAVEOPT
                    } else if (sub == 2 && has(F_AVX)) {
                        r[0] = 256;
                        r[1] = 576;
                    }
                }
            }
            case 0x40000000 -> {
                r[0] = 0x40000010;
                r[1] = str(HYPERVISOR_SIGNATURE, 0);
                r[2] = str(HYPERVISOR_SIGNATURE, 4);
                r[3] = str(HYPERVISOR_SIGNATURE, 8);
            }
            case 0x40000010 -> {
                r[0] = (int) tscKhz;
                r[1] = 1_000_000; // bus (APIC timer) frequency in kHz
            }
            case 0x80000000 -> r[0] = (int) maxExt;
            case 0x80000001 -> {
                r[2] = bits(0x80000001, 2);
                r[3] = bits(0x80000001, 3);
            }
            case 0x80000002, 0x80000003, 0x80000004 -> {
                int base = (leaf - 0x80000002) * 16;
                for (int k = 0; k < 4; k++) {
                    r[k] = str(BRAND, base + k * 4);
                }
            }
            case 0x80000008 -> r[0] = 0x3028; // 40 physical, 48 linear address bits
            default -> {
                if (Integer.compareUnsigned(leaf, maxBasic) > 0 && leaf > 0 && Integer.compareUnsigned(leaf, 0x40000000) < 0) {
                    // Intel: leaves above the maximum return the highest basic leaf's data.
                    return query(c, maxBasic, sub);
                }
            }
        }
        return r;
    }

    void execute(Cpu c) {
        int[] r = query(c, (int) c.r[Cpu.RAX], (int) c.r[Cpu.RCX]);
        c.r[Cpu.RAX] = r[0] & 0xFFFFFFFFL;
        c.r[Cpu.RBX] = r[1] & 0xFFFFFFFFL;
        c.r[Cpu.RCX] = r[2] & 0xFFFFFFFFL;
        c.r[Cpu.RDX] = r[3] & 0xFFFFFFFFL;
    }

    public long tscKhz() {
        return tscKhz;
    }
}
