package dev.ukemu.loader.acpi;

/**
 * A Generic Address Structure (ACPI 6.5 section 5.2.3.2): where a register lives. 12 bytes.
 *
 * @param accessSize 0 (undefined, legacy) as the FADT revision 3 layout (ACPI 2.0) requires;
 *                   the field was reserved before ACPI 3.0
 */
record Gas(int spaceId, int bitWidth, int bitOffset, int accessSize, long address) {
    static final int SIZE = 12;
    /** Table 5.1: address space IDs. */
    static final int SYSTEM_MEMORY = 0, SYSTEM_IO = 1;
    /** An absent register (all zero). */
    static final Gas NONE = new Gas(SYSTEM_MEMORY, 0, 0, 0, 0);

    /** A {@code bits}-wide register at I/O port {@code port}. */
    static Gas io(int port, int bits) {
        return new Gas(SYSTEM_IO, bits, 0, 0, port);
    }
}
