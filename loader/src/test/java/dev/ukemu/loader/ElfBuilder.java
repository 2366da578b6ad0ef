package dev.ukemu.loader;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes small ELF32/ELF64 files for tests, following the gABI layouts independently of the parser:
 * ELF header at 0, program headers at {@link #PHOFF}, segment data from 0x1000 (each on its own
 * page), then .strtab, .symtab, .shstrtab and the section headers when symbols are given.
 * {@link #patch} overwrites bytes afterwards (multiboot headers, corruption).
 */
public final class ElfBuilder {
    public static final int PHOFF = 0x100;
    public static final int PF_X = 1, PF_W = 2, PF_R = 4;

    private final boolean is64;
    private int machine;
    private long entry;
    private final List<long[]> segments = new ArrayList<>(); // type, flags, vaddr, paddr, memsz
    private final List<byte[]> segmentData = new ArrayList<>();
    private final List<Object[]> symbols = new ArrayList<>(); // name, value, size, type
    private final Map<Integer, byte[]> patches = new LinkedHashMap<>();

    private ElfBuilder(boolean is64) {
        this.is64 = is64;
        this.machine = is64 ? 62 : 3;
    }

    public static ElfBuilder elf32() {
        return new ElfBuilder(false);
    }

    public static ElfBuilder elf64() {
        return new ElfBuilder(true);
    }

    public ElfBuilder machine(int m) {
        machine = m;
        return this;
    }

    public ElfBuilder entry(long e) {
        entry = e;
        return this;
    }

    /** A PT_LOAD, R+X, identity-mapped. */
    public ElfBuilder load(long paddr, byte[] data, long memsz) {
        return segment(1, PF_R | PF_X, paddr, paddr, data, memsz);
    }

    public ElfBuilder segment(int type, int flags, long vaddr, long paddr, byte[] data, long memsz) {
        segments.add(new long[] {type, flags, vaddr, paddr, memsz});
        segmentData.add(data);
        return this;
    }

    public ElfBuilder symbol(String name, long value, long size, int type) {
        symbols.add(new Object[] {name, value, size, type});
        return this;
    }

    /** A valid multiboot header (magic, flags, checksum, then {@code fields}) at {@code offset}. */
    public ElfBuilder multiboot(int offset, int flags, long... fields) {
        return patch(offset, multibootHeader(flags, fields));
    }

    public ElfBuilder patch(int offset, byte[] bytes) {
        patches.put(offset, bytes);
        return this;
    }

    public static byte[] multibootHeader(int flags, long... fields) {
        ByteBuffer b = ByteBuffer.allocate(12 + 4 * fields.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x1BADB002).putInt(flags).putInt(-(0x1BADB002 + flags));
        for (long f : fields) {
            b.putInt((int) f);
        }
        return b.array();
    }

    public byte[] build() {
        int ehsize = is64 ? 64 : 52, phentsize = is64 ? 56 : 32, shentsize = is64 ? 64 : 40;
        int symsize = is64 ? 24 : 16;
        ByteBuffer f = ByteBuffer.allocate(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
        long[] offsets = new long[segments.size()];
        int pos = 0x1000;
        for (int i = 0; i < segments.size(); i++) {
            offsets[i] = pos;
            f.put(pos, segmentData.get(i));
            pos = (pos + segmentData.get(i).length + 0xFFF) & ~0xFFF;
        }
        int shoff = 0, shnum = 0, shstrndx = 0;
        if (!symbols.isEmpty()) {
            ByteArrayOutputStream strtab = new ByteArrayOutputStream();
            strtab.write(0);
            ByteBuffer symtab = ByteBuffer.allocate(symsize * (symbols.size() + 1)).order(ByteOrder.LITTLE_ENDIAN);
            symtab.position(symsize); // null symbol
            for (Object[] s : symbols) {
                int name = strtab.size();
                strtab.writeBytes(((String) s[0]).getBytes(StandardCharsets.UTF_8));
                strtab.write(0);
                int info = (1 << 4) | (Integer) s[3]; // STB_GLOBAL
                if (is64) {
                    symtab.putInt(name).put((byte) info).put((byte) 0).putShort((short) 1)
                            .putLong((Long) s[1]).putLong((Long) s[2]);
                } else {
                    symtab.putInt(name).putInt((int) (long) (Long) s[1]).putInt((int) (long) (Long) s[2])
                            .put((byte) info).put((byte) 0).putShort((short) 1);
                }
            }
            byte[] shstrtab = "\0.symtab\0.strtab\0.shstrtab\0".getBytes(StandardCharsets.US_ASCII);
            int strOff = pos;
            f.put(strOff, strtab.toByteArray());
            int symOff = (strOff + strtab.size() + 7) & ~7;
            f.put(symOff, symtab.array());
            int shstrOff = symOff + symtab.capacity();
            f.put(shstrOff, shstrtab);
            shoff = (shstrOff + shstrtab.length + 7) & ~7;
            shnum = 4;
            shstrndx = 3;
            // null, .symtab (link 2), .strtab, .shstrtab
            section(f, shoff + shentsize, 1, 2, symOff, symtab.capacity(), 2, 1, symsize);
            section(f, shoff + 2 * shentsize, 9, 3, strOff, strtab.size(), 0, 0, 0);
            section(f, shoff + 3 * shentsize, 17, 3, shstrOff, shstrtab.length, 0, 0, 0);
            pos = shoff + shnum * shentsize;
        }
        // ELF header
        f.put(0, new byte[] {0x7F, 'E', 'L', 'F', (byte) (is64 ? 2 : 1), 1, 1});
        f.putShort(16, (short) 2).putShort(18, (short) machine).putInt(20, 1);
        if (is64) {
            f.putLong(24, entry).putLong(32, PHOFF).putLong(40, shoff);
            f.putShort(52, (short) ehsize).putShort(54, (short) phentsize).putShort(56, (short) segments.size())
                    .putShort(58, (short) shentsize).putShort(60, (short) shnum).putShort(62, (short) shstrndx);
        } else {
            f.putInt(24, (int) entry).putInt(28, PHOFF).putInt(32, shoff);
            f.putShort(40, (short) ehsize).putShort(42, (short) phentsize).putShort(44, (short) segments.size())
                    .putShort(46, (short) shentsize).putShort(48, (short) shnum).putShort(50, (short) shstrndx);
        }
        for (int i = 0; i < segments.size(); i++) {
            long[] s = segments.get(i);
            int o = PHOFF + i * phentsize;
            long filesz = segmentData.get(i).length;
            if (is64) {
                f.putInt(o, (int) s[0]).putInt(o + 4, (int) s[1]).putLong(o + 8, offsets[i]).putLong(o + 16, s[2])
                        .putLong(o + 24, s[3]).putLong(o + 32, filesz).putLong(o + 40, s[4]).putLong(o + 48, 0x1000);
            } else {
                f.putInt(o, (int) s[0]).putInt(o + 4, (int) offsets[i]).putInt(o + 8, (int) s[2])
                        .putInt(o + 12, (int) s[3]).putInt(o + 16, (int) filesz).putInt(o + 20, (int) s[4])
                        .putInt(o + 24, (int) s[1]).putInt(o + 28, 0x1000);
            }
        }
        int length = Math.max(pos, PHOFF + segments.size() * phentsize);
        for (Map.Entry<Integer, byte[]> p : patches.entrySet()) {
            f.put(p.getKey(), p.getValue());
            length = Math.max(length, p.getKey() + p.getValue().length);
        }
        return Arrays.copyOf(f.array(), length);
    }

    private void section(ByteBuffer f, int o, int name, int type, long offset, long size, int link, int info,
                         long entsize) {
        if (is64) {
            f.putInt(o, name).putInt(o + 4, type).putLong(o + 24, offset).putLong(o + 32, size).putInt(o + 40, link)
                    .putInt(o + 44, info).putLong(o + 56, entsize);
        } else {
            f.putInt(o, name).putInt(o + 4, type).putInt(o + 16, (int) offset).putInt(o + 20, (int) size)
                    .putInt(o + 24, link).putInt(o + 28, info).putInt(o + 36, (int) entsize);
        }
    }
}
