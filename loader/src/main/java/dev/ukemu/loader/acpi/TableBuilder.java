package dev.ukemu.loader.acpi;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Assembles one ACPI structure byte by byte, little-endian, as the specification lays it out.
 * {@link #sdt} starts a System Description Table with the common 36-byte header (ACPI 6.5 section
 * 5.2.6) whose length and checksum {@link #finish} fills in; {@link #raw} starts a structure with no
 * header (RSDP, FACS).
 */
final class TableBuilder {
    /** ACPI 6.5 table 5.4: the System Description Table header. */
    static final int SIGNATURE = 0, LENGTH = 4, REVISION = 8, CHECKSUM = 9, OEM_ID = 10,
            OEM_TABLE_ID = 16, OEM_REVISION = 24, CREATOR_ID = 28, CREATOR_REVISION = 32,
            HEADER_SIZE = 36;

    /** Who made the tables: the same in every header, as QEMU's {@code BOCHS }/{@code BXPC}. */
    static final String OEM_ID_VALUE = "UKEMU ";
    static final String OEM_TABLE_ID_VALUE = "UKEMUPC ";
    static final int OEM_REVISION_VALUE = 1;
    static final String CREATOR_ID_VALUE = "UKMU";
    static final int CREATOR_REVISION_VALUE = 1;

    private final boolean sdt;
    private byte[] buf = new byte[128];
    private int size;

    private TableBuilder(boolean sdt) {
        this.sdt = sdt;
    }

    /** A structure without the common header. */
    static TableBuilder raw() {
        return new TableBuilder(false);
    }

    /** A System Description Table: the header now, its length and checksum at {@link #finish}. */
    static TableBuilder sdt(String signature, int revision) {
        TableBuilder t = new TableBuilder(true);
        t.ascii(signature, 4)
                .u32(0) // length, patched by finish()
                .u8(revision)
                .u8(0) // checksum, patched by finish()
                .ascii(OEM_ID_VALUE, 6)
                .ascii(OEM_TABLE_ID_VALUE, 8)
                .u32(OEM_REVISION_VALUE)
                .ascii(CREATOR_ID_VALUE, 4)
                .u32(CREATOR_REVISION_VALUE);
        return t;
    }

    TableBuilder u8(int v) {
        ensure(1);
        buf[size++] = (byte) v;
        return this;
    }

    TableBuilder u16(int v) {
        return u8(v).u8(v >>> 8);
    }

    TableBuilder u32(long v) {
        return u16((int) v).u16((int) (v >>> 16));
    }

    TableBuilder u64(long v) {
        return u32(v).u32(v >>> 32);
    }

    TableBuilder zeros(int n) {
        ensure(n);
        size += n;
        return this;
    }

    TableBuilder bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, size, b.length);
        size += b.length;
        return this;
    }

    /** {@code text} in exactly {@code width} bytes; ACPI identifiers are space-padded ASCII. */
    TableBuilder ascii(String text, int width) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        if (b.length != width) {
            throw new IllegalArgumentException("'" + text + "' is not " + width + " characters");
        }
        return bytes(b);
    }

    TableBuilder gas(Gas g) {
        return u8(g.spaceId()).u8(g.bitWidth()).u8(g.bitOffset()).u8(g.accessSize()).u64(g.address());
    }

    int size() {
        return size;
    }

    /** The finished bytes; for a System Description Table, with its length and checksum set. */
    byte[] finish() {
        byte[] b = Arrays.copyOf(buf, size);
        if (sdt) {
            for (int i = 0; i < 4; i++) {
                b[LENGTH + i] = (byte) (size >>> (8 * i));
            }
            b[CHECKSUM] = checksum(b, 0, size);
        }
        return b;
    }

    /**
     * The byte that, stored in a zero checksum field inside {@code [off, off+len)}, makes the bytes
     * of that range sum to zero modulo 256 (ACPI 6.5 section 5.2.5.3 and 5.2.6).
     */
    static byte checksum(byte[] b, int off, int len) {
        return (byte) -sum(b, off, len);
    }

    /** The sum of {@code [off, off+len)} modulo 256. */
    static int sum(byte[] b, int off, int len) {
        int s = 0;
        for (int i = off; i < off + len; i++) {
            s += b[i];
        }
        return s & 0xFF;
    }

    private void ensure(int n) {
        if (size + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
        }
    }
}
