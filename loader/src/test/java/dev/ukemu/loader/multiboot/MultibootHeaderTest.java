package dev.ukemu.loader.multiboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.loader.ElfBuilder;
import dev.ukemu.loader.LoadException;
import java.util.OptionalInt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MultibootHeaderTest {
    private static byte[] imageWithHeaderAt(int size, int offset, byte[] header) {
        byte[] image = new byte[size];
        System.arraycopy(header, 0, image, offset, header.length);
        return image;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 4, 0x34, 0x1000, 8192 - 48, 8192 - 12})
    void findsHeaderAtAnyAlignedOffsetInTheFirst8KiB(int offset) throws LoadException {
        byte[] image = imageWithHeaderAt(16384, offset, ElfBuilder.multibootHeader(0x3));
        MultibootHeader h = MultibootHeader.find(image, "k").orElseThrow();
        assertEquals(offset, h.offset());
        assertEquals(0x3, h.flags());
        assertFalse(h.hasAddressFields());
        assertEquals(0, h.loadAddr());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 8192 - 8, 8192, 8196, 12288})
    void ignoresMisalignedOrLateHeaders(int offset) throws LoadException {
        byte[] image = imageWithHeaderAt(16384, offset, ElfBuilder.multibootHeader(0x3));
        assertTrue(MultibootHeader.find(image, "k").isEmpty());
    }

    @Test
    void needsTheWholeBaseHeaderInsideTheFile() throws LoadException {
        byte[] header = ElfBuilder.multibootHeader(0);
        byte[] cut = new byte[20];
        System.arraycopy(header, 0, cut, 12, 8); // magic and flags, no checksum
        assertTrue(MultibootHeader.find(cut, "k").isEmpty());
        assertEquals(12, MultibootHeader.find(imageWithHeaderAt(24, 12, header), "k").orElseThrow().offset());
    }

    @Test
    void checksumMismatchIsNotAHeader() throws LoadException {
        byte[] header = ElfBuilder.multibootHeader(0x3);
        header[8]++; // checksum off by one
        byte[] image = imageWithHeaderAt(8192, 0x40, header);
        assertTrue(MultibootHeader.find(image, "k").isEmpty());
        assertEquals(OptionalInt.of(0x40), MultibootHeader.badChecksumOffset(image));
    }

    @Test
    void aValidHeaderAfterABadOneIsFound() throws LoadException {
        byte[] bad = ElfBuilder.multibootHeader(0x1);
        bad[4] = 0x7; // flags changed, checksum not
        byte[] image = imageWithHeaderAt(8192, 0x10, bad);
        System.arraycopy(ElfBuilder.multibootHeader(0x2), 0, image, 0x100, 12);
        MultibootHeader h = MultibootHeader.find(image, "k").orElseThrow();
        assertEquals(0x100, h.offset());
        assertEquals(0x2, h.flags());
    }

    @Test
    void readsAddressAndVideoFields() throws LoadException {
        int flags = MultibootHeader.FLAG_ADDRESS_FIELDS | MultibootHeader.FLAG_VIDEO_MODE;
        byte[] header = ElfBuilder.multibootHeader(flags, 0x100040, 0x100000, 0x101000, 0x104000, 0x100080,
                0, 1024, 768, 32);
        MultibootHeader h = MultibootHeader.find(imageWithHeaderAt(4096, 0x40, header), "k").orElseThrow();
        assertEquals(new MultibootHeader(0x40, flags, 0x100040, 0x100000, 0x101000, 0x104000, 0x100080,
                0, 1024, 768, 32), h);
        assertTrue(h.hasAddressFields());
        assertTrue(h.wantsVideoMode());
        assertEquals(0, h.unsupportedRequiredFlags());
    }

    @Test
    void addressFieldsCutOffByTheEndOfTheFileAreAnError() {
        byte[] header = ElfBuilder.multibootHeader(MultibootHeader.FLAG_ADDRESS_FIELDS, 0x100000, 0x100000);
        byte[] image = imageWithHeaderAt(20, 0, header);
        LoadException e = assertThrows(LoadException.class, () -> MultibootHeader.find(image, "kernel 'k'"));
        assertEquals("kernel 'k': the multiboot header at 0x0 is cut off by the end of the file"
                + " (its address fields, flag bit 16, are missing)", e.getMessage());
    }

    @Test
    void addressFieldsAreUnsigned() throws LoadException {
        byte[] header = ElfBuilder.multibootHeader(MultibootHeader.FLAG_ADDRESS_FIELDS, 0xFFFF_F000L, 0xFFFF_F000L,
                0, 0, 0xFFFF_F010L);
        MultibootHeader h = MultibootHeader.find(imageWithHeaderAt(64, 0, header), "k").orElseThrow();
        assertEquals(0xFFFF_F000L, h.loadAddr());
        assertEquals(0xFFFF_F010L, h.entryAddr());
    }

    @Test
    void unknownRequiredFlagsAreReported() throws LoadException {
        byte[] header = ElfBuilder.multibootHeader(0x0001_0008 | 0x3 | 0x8000_0000, 0, 0, 0, 0, 0);
        MultibootHeader h = MultibootHeader.find(imageWithHeaderAt(64, 0, header), "k").orElseThrow();
        assertEquals(0x8, h.unsupportedRequiredFlags()); // bit 31 is optional, bit 16 known
    }
}
