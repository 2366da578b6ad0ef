package dev.ukemu.loader.acpi;

import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import dev.ukemu.loader.Placement;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the ACPI tables of QEMU's {@code pc} machine into the BIOS area, where firmware would
 * leave them: RSDP, RSDT, XSDT, FADT, FACS, DSDT and MADT.
 *
 * <p>Everything goes into the E segment, 0xE0000 upwards, RSDP first. Unikraft looks for the RSDP
 * only by scanning 0xE0000–0xFFFFF in 16-byte steps (never the EBDA), and Linux scans the same
 * range when boot_params has no {@code acpi_rsdp_addr}. The BIOS area is below 4 GiB, so 32-bit
 * pointers reach every table, and the memory map already reports it as reserved. The F segment
 * stays free for structures that must be found there (SMBIOS, the MP floating pointer).
 *
 * <p>The machine calls {@link #install} once the kernel is loaded (so nothing it loads can cover
 * the tables) and before any vCPU runs. The tables stay valid across a reset: the guest cannot
 * write the BIOS area.
 */
public final class AcpiTables {
    /** Where the tables go: the E segment of the BIOS area. */
    public static final long AREA_START = MemoryLayout.BIOS_START;
    public static final long AREA_END = 0xF0000;
    /** Alignment of every table that has no stricter rule; keeps each on a scan boundary. */
    static final int TABLE_ALIGNMENT = 16;

    /** One structure written to guest memory. */
    public record Table(String signature, long address, int length) {
        public long end() {
            return address + length;
        }
    }

    /**
     * What {@link #install} wrote: the RSDP's address (for boot_params {@code acpi_rsdp_addr}) and
     * every structure in address order, the RSDP first.
     */
    public record Result(long rsdpAddress, List<Table> tables) {
        public Result {
            tables = List.copyOf(tables);
        }

        /** The structure with this signature ({@code "RSD PTR "} for the RSDP). */
        public Table table(String signature) {
            return tables.stream().filter(t -> t.signature().equals(signature)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no " + signature + " table"));
        }

        /** The span from the first structure to the end of the last. */
        public long start() {
            return tables.getFirst().address();
        }

        public long end() {
            return tables.getLast().end();
        }
    }

    private AcpiTables() {
    }

    /** Builds the tables for {@code cfg} and writes them to {@code mem} at {@link #AREA_START}. */
    public static Result install(GuestMemory mem, AcpiConfig cfg) {
        byte[] facs = Facs.build();
        byte[] dsdt = Dsdt.build();
        byte[] madt = Madt.build(cfg);

        long rsdpAt = AREA_START;
        long facsAt = Placement.alignUp(rsdpAt + Rsdp.SIZE, Facs.ALIGNMENT);
        long dsdtAt = Placement.alignUp(facsAt + facs.length, TABLE_ALIGNMENT);
        long fadtAt = Placement.alignUp(dsdtAt + dsdt.length, TABLE_ALIGNMENT);
        byte[] fadt = Fadt.build(facsAt, dsdtAt, cfg.cpuCount());
        long madtAt = Placement.alignUp(fadtAt + fadt.length, TABLE_ALIGNMENT);
        // The FADT first, as the specification's examples and every firmware list it.
        List<Long> described = List.of(fadtAt, madtAt);
        byte[] rsdt = RootTable.rsdt(described);
        long rsdtAt = Placement.alignUp(madtAt + madt.length, TABLE_ALIGNMENT);
        byte[] xsdt = RootTable.xsdt(described);
        long xsdtAt = Placement.alignUp(rsdtAt + rsdt.length, TABLE_ALIGNMENT);
        byte[] rsdp = Rsdp.build(rsdtAt, xsdtAt);

        long end = xsdtAt + xsdt.length;
        if (end > AREA_END) {
            throw new IllegalStateException(String.format(
                    "ACPI tables for %d CPUs end at 0x%x, past 0x%x", cfg.cpuCount(), end, AREA_END));
        }
        // Padding between tables reads as zero whatever was there before.
        mem.zero(AREA_START, end - AREA_START);
        List<Table> written = new ArrayList<>();
        put(mem, written, Rsdp.SIGNATURE_VALUE, rsdpAt, rsdp);
        put(mem, written, Facs.SIGNATURE_VALUE, facsAt, facs);
        put(mem, written, Dsdt.SIGNATURE_VALUE, dsdtAt, dsdt);
        put(mem, written, Fadt.SIGNATURE_VALUE, fadtAt, fadt);
        put(mem, written, Madt.SIGNATURE_VALUE, madtAt, madt);
        put(mem, written, RootTable.RSDT, rsdtAt, rsdt);
        put(mem, written, RootTable.XSDT, xsdtAt, xsdt);
        return new Result(rsdpAt, written);
    }

    private static void put(GuestMemory mem, List<Table> written, String signature, long at, byte[] bytes) {
        mem.load(at, bytes);
        written.add(new Table(signature, at, bytes.length));
    }
}
