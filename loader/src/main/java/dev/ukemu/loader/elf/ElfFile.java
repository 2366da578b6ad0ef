package dev.ukemu.loader.elf;

import dev.ukemu.loader.LoadException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A parsed little-endian x86 ELF file (ELF32 or ELF64, {@code EM_386} or {@code EM_X86_64}): its
 * header, program headers, section headers and symbols. Parsing checks every offset and count
 * against the file, so a malformed file is a {@link LoadException}, never an index error. The file
 * bytes themselves are not kept: segment contents are {@code bytes[offset, offset+fileSize)} of
 * the array that was parsed.
 *
 * <p>References: System V ABI, "Object Files" (gABI 4.1), and the x86-64 psABI.
 */
public record ElfFile(
        int elfClass,
        int machine,
        int type,
        long entry,
        List<ProgramHeader> programHeaders,
        List<Section> sections,
        List<Symbol> symbols) {

    /** e_ident[EI_MAG0..3]. */
    public static final byte[] MAGIC = {0x7F, 'E', 'L', 'F'};
    /** e_ident indices. */
    static final int EI_CLASS = 4, EI_DATA = 5, EI_VERSION = 6, EI_NIDENT = 16;
    public static final int ELFCLASS32 = 1, ELFCLASS64 = 2;
    /** e_ident[EI_DATA]: two's complement, little-endian. */
    static final int ELFDATA2LSB = 1, ELFDATA2MSB = 2;
    static final int EV_CURRENT = 1;
    /** e_type. */
    public static final int ET_EXEC = 2, ET_DYN = 3;
    /** e_machine. */
    public static final int EM_386 = 3, EM_X86_64 = 62;
    /** p_type. */
    public static final int PT_NULL = 0, PT_LOAD = 1, PT_NOTE = 4;
    /** p_flags. */
    public static final int PF_X = 1, PF_W = 2, PF_R = 4;
    /** sh_type. */
    public static final int SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_NOBITS = 8, SHT_DYNSYM = 11;
    /** Special section indices; PN_XNUM/SHN_XINDEX move counts into section header 0 (gABI). */
    static final int SHN_UNDEF = 0, SHN_XINDEX = 0xFFFF, PN_XNUM = 0xFFFF;
    /** st_info type. */
    public static final int STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2, STT_SECTION = 3, STT_FILE = 4;

    /** Sizes of the on-disk structures, [ELF32, ELF64]. */
    private static final int[] EHDR_SIZE = {52, 64}, PHDR_SIZE = {32, 56}, SHDR_SIZE = {40, 64}, SYM_SIZE = {16, 24};

    private static final Map<Integer, String> OTHER_MACHINES = Map.of(
            8, "MIPS", 20, "PowerPC", 21, "PowerPC64", 22, "S/390", 40, "ARM", 183, "AArch64", 243, "RISC-V");

    public ElfFile {
        programHeaders = List.copyOf(programHeaders);
        sections = List.copyOf(sections);
        symbols = List.copyOf(symbols);
    }

    /** One program header (segment). Addresses and sizes are unsigned. */
    public record ProgramHeader(int type, int flags, long offset, long vaddr, long paddr, long fileSize, long memSize,
                                long align) {
        public boolean isLoad() {
            return type == PT_LOAD;
        }

        public boolean isExecutable() {
            return (flags & PF_X) != 0;
        }
    }

    /** One section header, with its name resolved from the section name table. */
    public record Section(String name, int type, long flags, long addr, long offset, long size, int link, int info,
                          long entrySize) {
    }

    /** A named symbol: {@code type} is STT_*, {@code binding} STB_*, {@code sectionIndex} st_shndx. */
    public record Symbol(String name, long value, long size, int type, int binding, int sectionIndex) {
        public boolean isFunction() {
            return type == STT_FUNC;
        }
    }

    public boolean is64() {
        return elfClass == ELFCLASS64;
    }

    /** The PT_LOAD headers that occupy memory, in file order. */
    public List<ProgramHeader> loadSegments() {
        return programHeaders.stream().filter(p -> p.isLoad() && p.memSize() != 0).toList();
    }

    /** True if {@code data} starts with the ELF magic. */
    public static boolean isElf(byte[] data) {
        return data.length >= MAGIC.length && data[0] == MAGIC[0] && data[1] == MAGIC[1] && data[2] == MAGIC[2]
                && data[3] == MAGIC[3];
    }

    /**
     * Parses {@code data}. {@code label} names the file in messages, e.g. {@code kernel 'foo'}.
     */
    public static ElfFile parse(String label, byte[] data) throws LoadException {
        return new Parser(label, data).parse();
    }

    /** Bounds-checked little-endian reads over the file, with messages that name it. */
    private static final class Parser {
        private final String label;
        private final byte[] b;
        private int cls; // 0 = ELF32, 1 = ELF64

        Parser(String label, byte[] data) {
            this.label = label;
            this.b = data;
        }

        ElfFile parse() throws LoadException {
            if (!isElf(b)) {
                throw new LoadException(label + " is not an ELF file");
            }
            if (b.length < EI_NIDENT) {
                throw fail("truncated ELF header (" + b.length + " bytes)");
            }
            int elfClass = b[EI_CLASS];
            if (elfClass != ELFCLASS32 && elfClass != ELFCLASS64) {
                throw fail("unknown ELF class " + elfClass + " (expected 1 for ELF32 or 2 for ELF64)");
            }
            cls = elfClass - 1;
            if (b[EI_DATA] == ELFDATA2MSB) {
                throw fail("big-endian ELF file (ukemu loads little-endian x86 files)");
            }
            if (b[EI_DATA] != ELFDATA2LSB) {
                throw fail("unknown ELF data encoding " + b[EI_DATA]);
            }
            if (b[EI_VERSION] != EV_CURRENT) {
                throw fail("unknown ELF version " + b[EI_VERSION]);
            }
            if (b.length < EHDR_SIZE[cls]) {
                throw fail("truncated ELF header (" + b.length + " bytes, an ELF" + (cls == 0 ? "32" : "64")
                        + " header has " + EHDR_SIZE[cls] + ")");
            }
            int type = u16(16);
            int machine = u16(18);
            if (u32(20) != EV_CURRENT) {
                throw fail("unknown ELF version " + u32(20));
            }
            if (machine != EM_386 && machine != EM_X86_64) {
                String name = OTHER_MACHINES.getOrDefault(machine, "machine " + machine);
                throw new LoadException(label + " is an ELF file for " + name + ", not x86");
            }
            long entry = word(24);
            long phoff = word(cls == 0 ? 28 : 32);
            long shoff = word(cls == 0 ? 32 : 40);
            int at = cls == 0 ? 42 : 54; // e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx
            int phentsize = u16(at), phnum = u16(at + 2), shentsize = u16(at + 4), shnum = u16(at + 6);
            int shstrndx = u16(at + 8);

            // Extended numbering: the real counts live in section header 0 (gABI "Sections").
            boolean extended = phnum == PN_XNUM || shnum == 0 || shstrndx == SHN_XINDEX;
            long[] section0 = shoff != 0 && extended ? sectionZero(shoff, shentsize) : null;
            if (section0 != null) {
                if (shnum == 0) {
                    shnum = (int) Math.min(section0[0], Integer.MAX_VALUE);
                }
                if (shstrndx == SHN_XINDEX) {
                    shstrndx = (int) section0[1];
                }
                if (phnum == PN_XNUM) {
                    phnum = (int) section0[2];
                }
            }
            List<ProgramHeader> phdrs = programHeaders(phoff, phentsize, phnum);
            List<Section> sections = shoff != 0 && shnum > 0 ? sections(shoff, shentsize, shnum, shstrndx) : List.of();
            List<Symbol> symbols = symbols(sections);
            return new ElfFile(elfClass, machine, type, entry, phdrs, sections, symbols);
        }

        /** {sh_size, sh_link, sh_info} of section 0, or null if there is no readable one. */
        private long[] sectionZero(long shoff, int shentsize) throws LoadException {
            if (shentsize < SHDR_SIZE[cls]) {
                return null;
            }
            requireInFile(shoff, SHDR_SIZE[cls], "section header 0");
            int o = (int) shoff;
            return new long[] {word(o + (cls == 0 ? 20 : 32)), u32(o + (cls == 0 ? 24 : 40)),
                u32(o + (cls == 0 ? 28 : 44))};
        }

        private List<ProgramHeader> programHeaders(long phoff, int phentsize, int phnum) throws LoadException {
            if (phnum == 0) {
                return List.of();
            }
            if (phentsize < PHDR_SIZE[cls]) {
                throw fail("program header entry size " + phentsize + " is smaller than " + PHDR_SIZE[cls]);
            }
            requireInFile(phoff, (long) phentsize * phnum, "program header table (" + entries(phnum) + ")");
            List<ProgramHeader> list = new ArrayList<>(phnum);
            for (int i = 0; i < phnum; i++) {
                int o = (int) (phoff + (long) i * phentsize);
                ProgramHeader ph = cls == 0
                        ? new ProgramHeader((int) u32(o), (int) u32(o + 24), u32(o + 4), u32(o + 8), u32(o + 12), u32(o + 16),
                                u32(o + 20), u32(o + 28))
                        : new ProgramHeader((int) u32(o), (int) u32(o + 4), u64(o + 8), u64(o + 16), u64(o + 24), u64(o + 32),
                                u64(o + 40), u64(o + 48));
                if (ph.isLoad()) {
                    if (Long.compareUnsigned(ph.fileSize(), ph.memSize()) > 0) {
                        throw fail("segment " + i + " has a file size (0x" + Long.toHexString(ph.fileSize())
                                + ") larger than its memory size (0x" + Long.toHexString(ph.memSize()) + ")");
                    }
                    requireInFile(ph.offset(), ph.fileSize(), "segment " + i);
                }
                list.add(ph);
            }
            return list;
        }

        private List<Section> sections(long shoff, int shentsize, int shnum, int shstrndx) throws LoadException {
            if (shentsize < SHDR_SIZE[cls]) {
                throw fail("section header entry size " + shentsize + " is smaller than " + SHDR_SIZE[cls]);
            }
            requireInFile(shoff, (long) shentsize * shnum, "section header table (" + entries(shnum) + ")");
            List<long[]> raw = new ArrayList<>(shnum);
            for (int i = 0; i < shnum; i++) {
                int o = (int) (shoff + (long) i * shentsize);
                raw.add(cls == 0
                        ? new long[] {u32(o), u32(o + 4), u32(o + 8), u32(o + 12), u32(o + 16), u32(o + 20),
                            u32(o + 24), u32(o + 28), u32(o + 36)}
                        : new long[] {u32(o), u32(o + 4), u64(o + 8), u64(o + 16), u64(o + 24), u64(o + 32),
                            u32(o + 40), u32(o + 44), u64(o + 56)});
            }
            long[] names = null;
            if (shstrndx != SHN_UNDEF) {
                if (shstrndx >= shnum) {
                    throw fail("section name table index " + shstrndx + " is out of range (" + shnum + " sections)");
                }
                names = raw.get(shstrndx);
                requireInFile(names[4], names[5], "section name table");
            }
            List<Section> list = new ArrayList<>(shnum);
            for (long[] s : raw) {
                String name = names == null ? "" : string(names[4], names[5], s[0], "section name");
                list.add(new Section(name, (int) s[1], s[2], s[3], s[4], s[5], (int) s[6], (int) s[7], s[8]));
            }
            return list;
        }

        /** The named symbols of .symtab (or .dynsym when stripped), sorted by value. */
        private List<Symbol> symbols(List<Section> sections) throws LoadException {
            Section table = sections.stream().filter(s -> s.type() == SHT_SYMTAB).findFirst()
                    .or(() -> sections.stream().filter(s -> s.type() == SHT_DYNSYM).findFirst()).orElse(null);
            if (table == null) {
                return List.of();
            }
            if (table.link() <= 0 || table.link() >= sections.size()) {
                throw fail("symbol table links to string table " + table.link() + ", which does not exist");
            }
            Section strings = sections.get(table.link());
            requireInFile(table.offset(), table.size(), "symbol table");
            requireInFile(strings.offset(), strings.size(), "symbol string table");
            int stride = table.entrySize() >= SYM_SIZE[cls] ? (int) Math.min(table.entrySize(), 1 << 16) : SYM_SIZE[cls];
            long count = table.size() / stride;
            List<Symbol> list = new ArrayList<>();
            for (long i = 1; i < count; i++) { // entry 0 is the reserved null symbol
                int o = (int) (table.offset() + i * stride);
                long nameOff = u32(o);
                int info = cls == 0 ? u8(o + 12) : u8(o + 4);
                int shndx = cls == 0 ? u16(o + 14) : u16(o + 6);
                long value = cls == 0 ? u32(o + 4) : u64(o + 8);
                long size = cls == 0 ? u32(o + 8) : u64(o + 16);
                int symType = info & 0xF;
                if (nameOff == 0 || shndx == SHN_UNDEF || symType == STT_SECTION || symType == STT_FILE) {
                    continue;
                }
                String name = string(strings.offset(), strings.size(), nameOff, "symbol name");
                list.add(new Symbol(name, value, size, symType, info >>> 4, shndx));
            }
            list.sort((a, b) -> {
                int byValue = Long.compareUnsigned(a.value(), b.value());
                return byValue != 0 ? byValue : a.name().compareTo(b.name());
            });
            return list;
        }

        /** A NUL-terminated string at {@code tableOff + index}, inside a table of {@code tableSize}. */
        private String string(long tableOff, long tableSize, long index, String what) throws LoadException {
            if (index >= tableSize) {
                throw fail(what + " offset 0x" + Long.toHexString(index) + " is outside its string table");
            }
            int start = (int) (tableOff + index);
            int limit = (int) (tableOff + tableSize);
            int end = start;
            while (end < limit && b[end] != 0) {
                end++;
            }
            if (end == limit) {
                throw fail(what + " at 0x" + Long.toHexString(index) + " is not NUL-terminated");
            }
            return new String(b, start, end - start, StandardCharsets.UTF_8);
        }

        private void requireInFile(long offset, long len, String what) throws LoadException {
            if (offset < 0 || len < 0 || offset > b.length || len > b.length - offset) {
                throw fail(what + " (offset 0x" + Long.toHexString(offset) + ", 0x" + Long.toHexString(len)
                        + " bytes) extends past the end of the file (0x" + Integer.toHexString(b.length) + " bytes)");
            }
        }

        private static String entries(int n) {
            return n + (n == 1 ? " entry" : " entries");
        }

        private LoadException fail(String problem) {
            return new LoadException(label + ": " + problem);
        }

        private int u8(int o) {
            return b[o] & 0xFF;
        }

        private int u16(int o) {
            return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8;
        }

        private long u32(int o) {
            return (u16(o) | (long) u16(o + 2) << 16) & 0xFFFF_FFFFL;
        }

        private long u64(int o) {
            return u32(o) | u32(o + 4) << 32;
        }

        /** An address or offset: 4 bytes in ELF32, 8 in ELF64. */
        private long word(int o) {
            return cls == 0 ? u32(o) : u64(o);
        }
    }
}
