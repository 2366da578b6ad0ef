package dev.ukemu.loader.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.ukemu.loader.ElfBuilder;
import dev.ukemu.loader.LoadException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ElfFileTest {
    private static final String LABEL = "kernel 'k'";

    private static ElfBuilder sample(ElfBuilder b) {
        return b.entry(0x100020)
                .load(0x100000, new byte[] {1, 2, 3, 4}, 0x2000)
                .segment(ElfFile.PT_LOAD, ElfBuilder.PF_R | ElfBuilder.PF_W, 0x200000, 0x200000, new byte[16], 16)
                .symbol("_start", 0x100020, 0x10, ElfFile.STT_FUNC)
                .symbol("data_blob", 0x200000, 16, ElfFile.STT_OBJECT)
                .symbol("early", 0x100000, 0, ElfFile.STT_NOTYPE);
    }

    @Test
    void parsesElf32Headers() throws LoadException {
        ElfFile elf = ElfFile.parse(LABEL, sample(ElfBuilder.elf32()).build());
        assertEquals(ElfFile.ELFCLASS32, elf.elfClass());
        assertFalse(elf.is64());
        assertEquals(ElfFile.EM_386, elf.machine());
        assertEquals(ElfFile.ET_EXEC, elf.type());
        assertEquals(0x100020, elf.entry());
        assertEquals(2, elf.programHeaders().size());
        ElfFile.ProgramHeader text = elf.programHeaders().get(0);
        assertEquals(new ElfFile.ProgramHeader(ElfFile.PT_LOAD, ElfFile.PF_R | ElfFile.PF_X, 0x1000, 0x100000,
                0x100000, 4, 0x2000, 0x1000), text);
        assertEquals(0x2000, elf.programHeaders().get(1).offset());
        assertEquals(List.of("", ".symtab", ".strtab", ".shstrtab"),
                elf.sections().stream().map(ElfFile.Section::name).toList());
    }

    @Test
    void parsesElf64HeadersAndHighAddresses() throws LoadException {
        byte[] file = ElfBuilder.elf64().entry(0xFFFF_FFFF_8010_0000L)
                .segment(ElfFile.PT_LOAD, ElfBuilder.PF_R | ElfBuilder.PF_X, 0xFFFF_FFFF_8010_0000L, 0x1_0000_0000L,
                        new byte[] {9}, 0x10)
                .build();
        ElfFile elf = ElfFile.parse(LABEL, file);
        assertTrue(elf.is64());
        assertEquals(ElfFile.EM_X86_64, elf.machine());
        assertEquals(0xFFFF_FFFF_8010_0000L, elf.entry());
        ElfFile.ProgramHeader ph = elf.programHeaders().getFirst();
        assertEquals(0xFFFF_FFFF_8010_0000L, ph.vaddr());
        assertEquals(0x1_0000_0000L, ph.paddr());
        assertEquals(1, ph.fileSize());
        assertEquals(0x10, ph.memSize());
        assertTrue(ph.isExecutable());
        assertEquals(List.of(), elf.sections());
        assertEquals(List.of(), elf.symbols());
    }

    @Test
    void readsSymbolsSortedByValue() throws LoadException {
        for (ElfBuilder b : List.of(ElfBuilder.elf32(), ElfBuilder.elf64())) {
            ElfFile elf = ElfFile.parse(LABEL, sample(b).build());
            assertEquals(List.of(
                    new ElfFile.Symbol("early", 0x100000, 0, ElfFile.STT_NOTYPE, 1, 1),
                    new ElfFile.Symbol("_start", 0x100020, 0x10, ElfFile.STT_FUNC, 1, 1),
                    new ElfFile.Symbol("data_blob", 0x200000, 16, ElfFile.STT_OBJECT, 1, 1)), elf.symbols());
            SymbolTable table = SymbolTable.of(elf);
            assertEquals("_start+0x4", table.describe(0x100024));
            assertEquals("_start", table.describe(0x100020));
            assertEquals("early+0x10", table.describe(0x100010)); // a sizeless label reaches the next symbol
            assertEquals("0x100030", table.describe(0x100030)); // past _start's end
            assertEquals("data_blob+0xf", table.describe(0x20000F));
            assertEquals("0xfffff", table.describe(0xFFFFF));
            assertEquals(0x200000, table.named("data_blob").orElseThrow().value());
        }
    }

    @Test
    void loadSegmentsSkipEmptyAndNonLoad() throws LoadException {
        byte[] file = ElfBuilder.elf32().load(0x100000, new byte[4], 4)
                .segment(ElfFile.PT_NOTE, ElfBuilder.PF_R, 0, 0, new byte[8], 8)
                .segment(ElfFile.PT_LOAD, ElfBuilder.PF_R, 0x300000, 0x300000, new byte[0], 0)
                .build();
        ElfFile elf = ElfFile.parse(LABEL, file);
        assertEquals(3, elf.programHeaders().size());
        assertEquals(List.of(0x100000L), elf.loadSegments().stream().map(ElfFile.ProgramHeader::paddr).toList());
    }

    @Test
    void rejectsWhatIsNotAnElfFile() {
        assertEquals("kernel 'k' is not an ELF file", message(new byte[] {'#', '!', '/', 'b'}));
        assertEquals("kernel 'k' is not an ELF file", message(new byte[] {0x7F, 'E'}));
        assertEquals("kernel 'k': truncated ELF header (10 bytes)",
                message(new byte[] {0x7F, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0}));
    }

    @Test
    void rejectsBadIdentification() {
        byte[] good = sample(ElfBuilder.elf32()).build();
        assertEquals("kernel 'k': unknown ELF class 3 (expected 1 for ELF32 or 2 for ELF64)",
                message(with(good, 4, 3)));
        assertEquals("kernel 'k': big-endian ELF file (ukemu loads little-endian x86 files)",
                message(with(good, 5, 2)));
        assertEquals("kernel 'k': unknown ELF version 7", message(with(good, 6, 7)));
        assertEquals("kernel 'k' is an ELF file for ARM, not x86", message(with(good, 18, 40)));
        assertEquals("kernel 'k' is an ELF file for machine 99, not x86", message(with(good, 18, 99)));
        assertEquals("kernel 'k': truncated ELF header (40 bytes, an ELF32 header has 52)",
                message(Arrays.copyOf(good, 40)));
        byte[] elf64 = sample(ElfBuilder.elf64()).build();
        assertEquals("kernel 'k': truncated ELF header (60 bytes, an ELF64 header has 64)",
                message(Arrays.copyOf(elf64, 60)));
    }

    @Test
    void rejectsProgramHeadersOutsideTheFile() {
        byte[] good = sample(ElfBuilder.elf32()).build();
        byte[] many = le16(good, 44, 2000); // e_phnum
        assertEquals("kernel 'k': program header table (2000 entries) (offset 0x100, 0xfa00 bytes) extends past"
                + " the end of the file (0x" + Integer.toHexString(good.length) + " bytes)", message(many));
        assertEquals("kernel 'k': program header entry size 16 is smaller than 32", message(le16(good, 42, 16)));
        byte[] cut = Arrays.copyOf(good, ElfBuilder.PHOFF + 40); // cuts the second program header
        assertTrue(message(cut).startsWith("kernel 'k': program header table (2 entries) (offset 0x100, 0x40 bytes)"
                + " extends past the end of the file"), message(cut));
    }

    @Test
    void rejectsSegmentsOutsideTheFile() {
        byte[] good = ElfBuilder.elf64().load(0x100000, new byte[32], 64).build();
        ByteBuffer b = ByteBuffer.wrap(good.clone()).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(ElfBuilder.PHOFF + 32, 0x10_0000); // p_filesz far beyond the file ...
        b.putLong(ElfBuilder.PHOFF + 40, 0x10_0000); // ... and memsz to match
        assertEquals("kernel 'k': segment 0 (offset 0x1000, 0x100000 bytes) extends past the end of the file (0x"
                + Integer.toHexString(good.length) + " bytes)", message(b.array()));
        b.putLong(ElfBuilder.PHOFF + 32, 128).putLong(ElfBuilder.PHOFF + 40, 64);
        assertEquals("kernel 'k': segment 0 has a file size (0x80) larger than its memory size (0x40)",
                message(b.array()));
        b.putLong(ElfBuilder.PHOFF + 32, 16).putLong(ElfBuilder.PHOFF + 8, -8L); // offset 2^64-8
        assertTrue(message(b.array()).contains("segment 0 (offset 0xfffffffffffffff8"), message(b.array()));
    }

    @Test
    void rejectsBrokenSectionTables() {
        byte[] good = sample(ElfBuilder.elf32()).build();
        int shoff = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getInt(32);
        assertTrue(message(Arrays.copyOf(good, shoff + 50)).startsWith(
                "kernel 'k': section header table (4 entries)"), message(Arrays.copyOf(good, shoff + 50)));
        assertEquals("kernel 'k': section name table index 9 is out of range (4 sections)",
                message(le16(good, 50, 9)));
    }

    /** Truncated or corrupted files fail with a LoadException, never with an index error. */
    @Test
    void corruptFilesOnlyEverFailWithLoadException() {
        Random random = new Random(42);
        for (byte[] good : List.of(sample(ElfBuilder.elf32()).build(), sample(ElfBuilder.elf64()).build())) {
            int parsed = 0;
            for (int len = 0; len <= good.length; len += 7) {
                parsed += tryParse(Arrays.copyOf(good, len));
            }
            for (int i = 0; i < 3000; i++) {
                byte[] bad = good.clone();
                for (int k = 0; k < 1 + random.nextInt(4); k++) {
                    int at = random.nextInt(random.nextBoolean() ? 128 : bad.length);
                    bad[at] = (byte) random.nextInt();
                }
                parsed += tryParse(bad);
            }
            assertTrue(parsed > 0, "some mutations leave a parseable file");
        }
    }

    private static int tryParse(byte[] data) {
        try {
            ElfFile.parse(LABEL, data);
            return 1;
        } catch (LoadException e) {
            assertFalse(e.getMessage().contains("\n"));
            assertTrue(e.getMessage().startsWith("kernel 'k'"), e.getMessage());
            return 0;
        } catch (RuntimeException e) {
            fail("parse threw " + e, e);
            return 0;
        }
    }

    private static String message(byte[] data) {
        return assertThrows(LoadException.class, () -> ElfFile.parse(LABEL, data)).getMessage();
    }

    private static byte[] with(byte[] data, int offset, int value) {
        byte[] copy = data.clone();
        copy[offset] = (byte) value;
        return copy;
    }

    private static byte[] le16(byte[] data, int offset, int value) {
        byte[] copy = data.clone();
        copy[offset] = (byte) value;
        copy[offset + 1] = (byte) (value >> 8);
        return copy;
    }
}
