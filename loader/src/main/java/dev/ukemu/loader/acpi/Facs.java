package dev.ukemu.loader.acpi;

/**
 * The Firmware ACPI Control Structure (ACPI 6.5 section 5.2.10): the waking vector and global lock,
 * read and written by the OS at run time. No checksum. Must be 64-byte aligned. Everything but the
 * signature, length and version stays zero: no S3 resume, no global lock owner, no S4BIOS.
 */
final class Facs {
    static final String SIGNATURE_VALUE = "FACS";
    /** Table 5.14 offsets. */
    static final int SIGNATURE = 0, LENGTH = 4, HARDWARE_SIGNATURE = 8, WAKING_VECTOR = 12,
            GLOBAL_LOCK = 16, FLAGS = 20, X_WAKING_VECTOR = 24, VERSION = 32;
    static final int SIZE = 64;
    static final int ALIGNMENT = 64;
    /** Version 1: the ACPI 2.0 layout, with the 64-bit waking vector, as the FADT revision 3. */
    static final int VERSION_VALUE = 1;

    private Facs() {
    }

    static byte[] build() {
        TableBuilder t = TableBuilder.raw()
                .ascii(SIGNATURE_VALUE, 4)
                .u32(SIZE)
                .zeros(VERSION - HARDWARE_SIGNATURE)
                .u8(VERSION_VALUE);
        t.zeros(SIZE - t.size());
        return t.finish();
    }
}
