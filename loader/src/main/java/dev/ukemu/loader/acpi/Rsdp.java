package dev.ukemu.loader.acpi;

/**
 * The Root System Description Pointer (ACPI 6.5 section 5.2.5.3), revision 2 so that it carries
 * both the RSDT (for ACPI 1.0 readers) and the XSDT. Operating systems find it by scanning for its
 * signature on 16-byte boundaries, so it must be 16-byte aligned.
 */
final class Rsdp {
    static final String SIGNATURE_VALUE = "RSD PTR ";
    /** Table 5.3 offsets. */
    static final int SIGNATURE = 0, CHECKSUM = 8, OEM_ID = 9, REVISION = 15, RSDT_ADDRESS = 16,
            LENGTH = 20, XSDT_ADDRESS = 24, EXTENDED_CHECKSUM = 32;
    /** The ACPI 1.0 part that {@code CHECKSUM} covers, and the whole structure. */
    static final int V1_SIZE = 20, SIZE = 36;
    /** ACPI 2.0 and later. */
    static final int REVISION_VALUE = 2;
    static final int ALIGNMENT = 16;

    private Rsdp() {
    }

    static byte[] build(long rsdtAddress, long xsdtAddress) {
        if (rsdtAddress >>> 32 != 0) {
            throw new IllegalArgumentException("the RSDT must lie below 4 GiB");
        }
        TableBuilder t = TableBuilder.raw()
                .ascii(SIGNATURE_VALUE, 8)
                .u8(0) // checksum over the first 20 bytes
                .ascii(TableBuilder.OEM_ID_VALUE, 6)
                .u8(REVISION_VALUE)
                .u32(rsdtAddress)
                .u32(SIZE)
                .u64(xsdtAddress)
                .u8(0) // extended checksum over all 36 bytes
                .zeros(3);
        byte[] b = t.finish();
        b[CHECKSUM] = TableBuilder.checksum(b, 0, V1_SIZE);
        // Computed after the first so that it covers the final v1 checksum byte too.
        b[EXTENDED_CHECKSUM] = TableBuilder.checksum(b, 0, SIZE);
        return b;
    }
}
