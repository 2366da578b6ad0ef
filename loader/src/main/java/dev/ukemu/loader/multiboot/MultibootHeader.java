package dev.ukemu.loader.multiboot;

import dev.ukemu.loader.LoadException;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The multiboot v1 header of an OS image (Multiboot Specification 0.6.96, section 3.1). Address
 * and video fields are unsigned 32-bit values, zero when the flags say they are absent.
 *
 * @param offset file offset of the header's magic
 */
public record MultibootHeader(
        int offset,
        int flags,
        long headerAddr,
        long loadAddr,
        long loadEndAddr,
        long bssEndAddr,
        long entryAddr,
        int modeType,
        int width,
        int height,
        int depth) {

    /** 3.1.2 {@code magic}. */
    public static final int MAGIC = 0x1BADB002;
    /** 3.1.1: the header lies entirely within the first 8192 bytes, 32-bit aligned. */
    public static final int SEARCH_LIMIT = 8192, ALIGNMENT = 4;
    /** 3.1.2: magic, flags, checksum. */
    public static final int BASE_SIZE = 12;
    /** Header size with the address fields (flag 16), and with the video fields (flag 2) too. */
    public static final int ADDRESS_SIZE = 32, VIDEO_SIZE = 48;

    /** 3.1.2 {@code flags} bit 0: align modules on 4 KiB pages. */
    public static final int FLAG_PAGE_ALIGN = 1 << 0;
    /** Bit 1: provide mem_* (and mmap_*) in the multiboot info. */
    public static final int FLAG_MEMORY_INFO = 1 << 1;
    /** Bit 2: the kernel wants a video mode (the video fields are valid). */
    public static final int FLAG_VIDEO_MODE = 1 << 2;
    /** Bit 16: the address fields are valid; load by them instead of by the ELF headers. */
    public static final int FLAG_ADDRESS_FIELDS = 1 << 16;
    /** Bits 0-15 are requirements: a boot loader that does not know one must refuse the image. */
    public static final int REQUIRED_MASK = 0xFFFF;
    /** The requirements ukemu meets (video mode is accepted and ignored, as QEMU does). */
    public static final int KNOWN_REQUIRED = FLAG_PAGE_ALIGN | FLAG_MEMORY_INFO | FLAG_VIDEO_MODE;

    public boolean hasAddressFields() {
        return (flags & FLAG_ADDRESS_FIELDS) != 0;
    }

    public boolean wantsVideoMode() {
        return (flags & FLAG_VIDEO_MODE) != 0;
    }

    /** Required flag bits (0-15) that ukemu does not know. */
    public int unsupportedRequiredFlags() {
        return flags & REQUIRED_MASK & ~KNOWN_REQUIRED;
    }

    /**
     * The first valid header in the first 8 KiB of {@code image}: magic at a 4-byte aligned offset
     * and {@code magic + flags + checksum == 0}. {@code label} names the file in the error raised
     * when the header's address fields (flag 16) run past the end of the file.
     */
    public static Optional<MultibootHeader> find(byte[] image, String label) throws LoadException {
        int limit = Math.min(image.length, SEARCH_LIMIT);
        for (int off = 0; off + BASE_SIZE <= limit; off += ALIGNMENT) {
            if (u32(image, off) != MAGIC) {
                continue;
            }
            int flags = u32(image, off + 4);
            if (MAGIC + flags + u32(image, off + 8) != 0) {
                continue;
            }
            return Optional.of(parse(image, off, flags, label));
        }
        return Optional.empty();
    }

    /** The offset of a header magic whose checksum is wrong, to explain why no header was found. */
    public static OptionalInt badChecksumOffset(byte[] image) {
        int limit = Math.min(image.length, SEARCH_LIMIT);
        for (int off = 0; off + BASE_SIZE <= limit; off += ALIGNMENT) {
            if (u32(image, off) == MAGIC && MAGIC + u32(image, off + 4) + u32(image, off + 8) != 0) {
                return OptionalInt.of(off);
            }
        }
        return OptionalInt.empty();
    }

    private static MultibootHeader parse(byte[] image, int off, int flags, String label) throws LoadException {
        long[] address = new long[5];
        if ((flags & FLAG_ADDRESS_FIELDS) != 0) {
            if (off + ADDRESS_SIZE > image.length) {
                throw new LoadException(label + ": the multiboot header at 0x" + Integer.toHexString(off)
                        + " is cut off by the end of the file (its address fields, flag bit 16, are missing)");
            }
            for (int i = 0; i < address.length; i++) {
                address[i] = u32(image, off + 12 + 4 * i) & 0xFFFF_FFFFL;
            }
        }
        int[] video = new int[4];
        if ((flags & FLAG_VIDEO_MODE) != 0 && off + VIDEO_SIZE <= image.length) {
            for (int i = 0; i < video.length; i++) {
                video[i] = u32(image, off + 32 + 4 * i);
            }
        }
        return new MultibootHeader(off, flags, address[0], address[1], address[2], address[3], address[4],
                video[0], video[1], video[2], video[3]);
    }

    private static int u32(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
    }
}
