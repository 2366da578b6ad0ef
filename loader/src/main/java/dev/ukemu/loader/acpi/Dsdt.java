package dev.ukemu.loader.acpi;

/**
 * The Differentiated System Description Table (ACPI 6.5 section 5.2.11.1): the AML definition block
 * the OS loads into its namespace. Linux insists on having one; Unikraft never reads it. This one
 * only names the sleep states the PM block implements. No devices yet: the PCI root bridge
 * ({@code \_SB.PCI0}) and its interrupt routing come with the first PCI device.
 */
final class Dsdt {
    static final String SIGNATURE_VALUE = "DSDT";
    /** Revision 2: AML integers are 64 bits wide (revision 1 would make them 32). */
    static final int REVISION_VALUE = 2;

    /** AML opcodes (ACPI 6.5 section 20.3). */
    static final int NAME_OP = 0x08, PACKAGE_OP = 0x12, ZERO_OP = 0x00;

    /**
     * The sleep objects, hand-assembled. Each package is {PM1a SLP_TYP, PM1b SLP_TYP, reserved,
     * reserved} (section 7.4.2). SLP_TYP 0 is soft-off on the PIIX4, as in QEMU's {@code _S5}; the
     * {@code _S0} values are written without SLP_EN on wake-up, so 0 there is harmless. No S3 or
     * S4: the PM block ignores those sleep types, so they are not offered.
     * <pre>
     *   DefinitionBlock ("", "DSDT", 2, "UKEMU ", "UKEMUPC ", 1)
     *   {
     *       Name (_S0_, Package (0x04) { Zero, Zero, Zero, Zero })
     *       Name (_S5_, Package (0x04) { Zero, Zero, Zero, Zero })
     *   }
     * </pre>
     * A package is PackageOp, PkgLength (one byte: itself, NumElements and the elements = 6),
     * NumElements, then the elements.
     */
    static final byte[] SLEEP_STATES = {
        NAME_OP, '_', 'S', '0', '_', PACKAGE_OP, 0x06, 0x04, ZERO_OP, ZERO_OP, ZERO_OP, ZERO_OP,
        NAME_OP, '_', 'S', '5', '_', PACKAGE_OP, 0x06, 0x04, ZERO_OP, ZERO_OP, ZERO_OP, ZERO_OP,
    };

    private Dsdt() {
    }

    static byte[] build() {
        return build(new byte[0]);
    }

    /** The sleep states followed by {@code moreAml}, further top-level AML terms. */
    static byte[] build(byte[] moreAml) {
        return TableBuilder.sdt(SIGNATURE_VALUE, REVISION_VALUE).bytes(SLEEP_STATES).bytes(moreAml).finish();
    }

}
