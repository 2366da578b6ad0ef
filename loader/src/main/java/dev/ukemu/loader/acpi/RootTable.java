package dev.ukemu.loader.acpi;

import java.util.List;

/**
 * The tables the RSDP points to, listing every other table except the FACS and DSDT (which the FADT
 * points to): the RSDT with 32-bit entries (ACPI 6.5 section 5.2.7) and the XSDT with 64-bit entries
 * (section 5.2.8). Both list the same tables in the same order.
 */
final class RootTable {
    static final String RSDT = "RSDT", XSDT = "XSDT";
    static final int REVISION_VALUE = 1;

    private RootTable() {
    }

    static byte[] rsdt(List<Long> tables) {
        TableBuilder t = TableBuilder.sdt(RSDT, REVISION_VALUE);
        for (long address : tables) {
            if (address >>> 32 != 0) {
                throw new IllegalArgumentException("RSDT entries must lie below 4 GiB");
            }
            t.u32(address);
        }
        return t.finish();
    }

    static byte[] xsdt(List<Long> tables) {
        TableBuilder t = TableBuilder.sdt(XSDT, REVISION_VALUE);
        for (long address : tables) {
            t.u64(address);
        }
        return t.finish();
    }
}
