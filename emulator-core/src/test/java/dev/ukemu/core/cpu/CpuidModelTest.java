package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import org.junit.jupiter.api.Test;

class CpuidModelTest {
    static final long KHZ = 2_500_000;

    static int[] query(CpuidModel m, int apicId, int leaf, int sub) {
        try (GuestMemory mem = new GuestMemory(MemoryLayout.of(4 * MemoryLayout.MIB))) {
            Cpu c = new Cpu(apicId, mem, new PortBus(), new Bus("MMIO"), m);
            return m.query(c, leaf, sub);
        }
    }

    static String str(int... regs) {
        StringBuilder sb = new StringBuilder();
        for (int r : regs) {
            for (int k = 0; k < 4; k++) {
                char ch = (char) ((r >>> (8 * k)) & 0xFF);
                if (ch != 0) {
                    sb.append(ch);
                }
            }
        }
        return sb.toString();
    }

    @Test
    void maxAnnouncesWhatUnikraftNeedsAndIdentifiesTheHypervisor() {
        CpuidModel m = CpuidModel.fromSpec("max", KHZ, 4);
        int[] l1 = query(m, 3, 1, 0);
        assertEquals(3, l1[1] >>> 24, "initial APIC ID");
        assertTrue((l1[2] & (1 << 21)) != 0, "x2APIC");
        assertTrue((l1[2] & (1 << 30)) != 0, "RDRAND");
        assertTrue((l1[2] & (1 << 31)) != 0, "hypervisor");
        assertTrue((query(m, 0, 7, 0)[1] & (1 << 18)) != 0, "RDSEED");
        int[] hv = query(m, 0, 0x40000000, 0);
        assertEquals(0x40000010, hv[0]);
        assertEquals(CpuidModel.HYPERVISOR_SIGNATURE, str(hv[1], hv[2], hv[3]));
        assertEquals(KHZ, query(m, 0, 0x40000010, 0)[0] & 0xFFFFFFFFL, "TSC kHz");
        assertTrue((query(m, 0, 0x80000001, 0)[3] & (1 << 29)) != 0, "long mode");
        int[] v = query(m, 0, 0, 0);
        assertEquals("GenuineIntel", str(v[1], v[3], v[2]));
    }

    @Test
    void osxsaveBitFollowsCr4() {
        CpuidModel m = CpuidModel.fromSpec("max", KHZ, 1);
        try (GuestMemory mem = new GuestMemory(MemoryLayout.of(4 * MemoryLayout.MIB))) {
            Cpu c = new Cpu(0, mem, new PortBus(), new Bus("MMIO"), m);
            assertEquals(0, m.query(c, 1, 0)[2] & (1 << 27), "CR4.OSXSAVE clear");
            c.cr4 |= Cpu.CR4_OSXSAVE;
            assertEquals(1 << 27, m.query(c, 1, 0)[2] & (1 << 27), "CR4.OSXSAVE set");
            assertTrue((m.query(c, 1, 0)[2] & (1 << 26)) != 0, "XSAVE itself");
        }
    }

    @Test
    void hostIsMaxAndQemuSpellingsParse() {
        CpuidModel m = CpuidModel.fromSpec("host,+x2apic,-pmu", KHZ, 1);
        assertTrue(m.has(CpuidModel.F_X2APIC));
        assertEquals(CpuidModel.fromSpec("max", KHZ, 1).enabledFeatures(), m.enabledFeatures());
        assertFalse(CpuidModel.fromSpec("max,-x2apic", KHZ, 1).has(CpuidModel.F_X2APIC));
        assertFalse(CpuidModel.fromSpec("max,rdrand=off", KHZ, 1).has(CpuidModel.F_RDRAND));
        assertTrue(CpuidModel.fromSpec("qemu64,+tsc_deadline", KHZ, 1).has(CpuidModel.F_TSC_DEADLINE));
    }

    @Test
    void qemu64IsAmdWithoutTheNewerFeatures() {
        CpuidModel m = CpuidModel.fromSpec("qemu64", KHZ, 1);
        int[] v = query(m, 0, 0, 0);
        assertEquals("AuthenticAMD", str(v[1], v[3], v[2]));
        assertFalse(m.has(CpuidModel.F_POPCNT));
        assertFalse(m.has(CpuidModel.F_RDSEED));
        assertTrue(m.has(CpuidModel.F_LM));
        assertTrue(CpuidModel.fromSpec("qemu64,+popcnt", KHZ, 1).has(CpuidModel.F_POPCNT));
    }

    @Test
    void onlyImplementedFeaturesCanBeTurnedOn() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuidModel.fromSpec("max,+avx", KHZ, 1));
        assertEquals("CPU feature 'avx' is not implemented by ukemu", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CpuidModel.fromSpec("max,+frobnicate", KHZ, 1));
        assertThrows(IllegalArgumentException.class, () -> CpuidModel.fromSpec("pentium", KHZ, 1));
        for (String name : CpuidModel.fromSpec("max", KHZ, 1).enabledFeatures()) {
            // Every feature max announces can be asked for explicitly: it is implemented.
            assertTrue(CpuidModel.fromSpec("qemu64,+" + name, KHZ, 1).enabledFeatures().contains(name), name);
        }
    }
}
