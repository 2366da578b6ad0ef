package dev.ukemu.loader.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.ukemu.core.memory.GuestMemory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds and checks the ACPI tables in guest memory as an OS does, independently of the builder: the
 * RSDP by scanning the BIOS area in 16-byte steps (Unikraft, Linux), then the RSDT and XSDT, then
 * every table they list; each signature, length and checksum is verified on the way.
 */
final class GuestAcpiReader {
    static final long SCAN_START = 0xE0000, SCAN_END = 0x100000;

    final GuestMemory mem;
    final long rsdp;
    final long rsdtAddress;
    final long xsdtAddress;
    /** Tables the RSDT lists, by signature, and those the XSDT lists (must be the same). */
    final Map<String, Long> viaRsdt = new LinkedHashMap<>();
    final Map<String, Long> viaXsdt = new LinkedHashMap<>();

    GuestAcpiReader(GuestMemory mem) {
        this.mem = mem;
        this.rsdp = scanForRsdp(mem);
        assertEquals(0, sum(rsdp, 20), "RSDP checksum over the first 20 bytes");
        assertEquals(2, mem.readByte(rsdp + 15), "RSDP revision");
        int length = mem.readInt(rsdp + 20);
        assertEquals(36, length, "RSDP length");
        assertEquals(0, sum(rsdp, length), "RSDP extended checksum");
        rsdtAddress = mem.readInt(rsdp + 16) & 0xFFFF_FFFFL;
        xsdtAddress = mem.readLong(rsdp + 24);
        checkTable(rsdtAddress, "RSDT");
        checkTable(xsdtAddress, "XSDT");
        for (long entry : entries(rsdtAddress, 4)) {
            viaRsdt.put(checkTable(entry, null), entry);
        }
        for (long entry : entries(xsdtAddress, 8)) {
            viaXsdt.put(checkTable(entry, null), entry);
        }
    }

    static long scanForRsdp(GuestMemory mem) {
        byte[] want = "RSD PTR ".getBytes(StandardCharsets.US_ASCII);
        for (long p = SCAN_START; p < SCAN_END; p += 16) {
            if (java.util.Arrays.equals(mem.read(p, 8), want)) {
                return p;
            }
        }
        return fail("no RSDP in 0xE0000-0xFFFFF");
    }

    /** The table with this signature, found through the XSDT (or the FADT for FACS and DSDT). */
    long table(String signature) {
        return switch (signature) {
            case "DSDT" -> mem.readLong(table("FACP") + Fadt.X_DSDT);
            case "FACS" -> mem.readInt(table("FACP") + Fadt.FIRMWARE_CTRL) & 0xFFFF_FFFFL;
            default -> {
                Long at = viaXsdt.get(signature);
                if (at == null) {
                    fail("no " + signature + " in the XSDT");
                }
                yield at;
            }
        };
    }

    int length(long table) {
        return mem.readInt(table + 4);
    }

    byte[] bytes(long table) {
        return mem.read(table, length(table));
    }

    String ascii(long at, int len) {
        return new String(mem.read(at, len), StandardCharsets.US_ASCII);
    }

    /** Verifies a System Description Table's header and checksum; returns its signature. */
    String checkTable(long at, String expected) {
        assertTrue(at > 0 && at < 0x1_0000_0000L, "table below 4 GiB");
        String sig = ascii(at, 4);
        if (expected != null) {
            assertEquals(expected, sig, "signature at 0x" + Long.toHexString(at));
        }
        int length = length(at);
        assertTrue(length >= 36, sig + " length " + length);
        assertEquals(0, sum(at, length), sig + " checksum");
        assertEquals("UKEMU ", ascii(at + 10, 6), sig + " OEM ID");
        assertEquals("UKEMUPC ", ascii(at + 16, 8), sig + " OEM table ID");
        assertEquals("UKMU", ascii(at + 28, 4), sig + " creator ID");
        return sig;
    }

    List<Long> entries(long table, int width) {
        int n = (length(table) - 36) / width;
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long p = table + 36 + (long) i * width;
            out.add(width == 4 ? mem.readInt(p) & 0xFFFF_FFFFL : mem.readLong(p));
        }
        return out;
    }

    int sum(long at, int len) {
        int s = 0;
        for (byte b : mem.read(at, len)) {
            s += b;
        }
        return s & 0xFF;
    }

    /** One MADT interrupt controller structure: its type and bytes. */
    record MadtEntry(int type, byte[] b) {
        int u8(int off) {
            return b[off] & 0xFF;
        }

        int u16(int off) {
            return u8(off) | u8(off + 1) << 8;
        }

        long u32(int off) {
            return (u16(off) | (long) u16(off + 2) << 16) & 0xFFFF_FFFFL;
        }
    }

    List<MadtEntry> madtEntries() {
        long madt = table("APIC");
        int length = length(madt);
        List<MadtEntry> out = new ArrayList<>();
        long p = madt + 44;
        while (p < madt + length) {
            int type = mem.readByte(p);
            int len = mem.readByte(p + 1);
            assertTrue(len >= 2 && p + len <= madt + length, "MADT entry length " + len);
            out.add(new MadtEntry(type, mem.read(p, len)));
            p += len;
        }
        assertEquals(madt + length, p, "MADT entries fill the table exactly");
        return out;
    }
}
