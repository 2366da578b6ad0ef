package dev.ukemu.core.cpu.oracle;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * The Capstone disassembler (4.0), an x86 decoder nobody here wrote, as the oracle for ukemu's
 * instruction decoder. It decodes one instruction at a time and reports its length, mnemonic and
 * operand string (Intel syntax), whether Capstone accepts the bytes at all, and the operands it
 * sees (registers, memory base/index/scale/displacement/segment, immediates).
 *
 * <p>No artifact on Maven Central carries an x86-capable Capstone library (the bindings there
 * either ship none or ship ARM-only builds), so this calls the system's {@code libcapstone}
 * through the FFM API: Debian's {@code libcapstone4} ({@code apt-get install libcapstone4}).
 * {@link #available()} is false when it is absent, so tests can skip. Only the 4.x ABI is
 * supported: the structure offsets below are those of Capstone 4.0's {@code capstone.h} and
 * {@code x86.h}.
 *
 * <p>An instance is one Capstone handle for one code size; it is not thread-safe.
 */
@SuppressWarnings("restricted") // calls into libcapstone through the FFM API
public final class CapstoneOracle implements AutoCloseable {
    // capstone.h / x86.h (4.0) constants.
    private static final int CS_ARCH_X86 = 3, CS_MODE_16 = 2, CS_MODE_32 = 4, CS_MODE_64 = 8;
    private static final int CS_OPT_DETAIL = 2, CS_OPT_ON = 3;
    public static final int OP_REG = 1, OP_IMM = 2, OP_MEM = 3;
    // cs_insn layout (4.0): id@0 address@8 size@16 bytes[16]@18 mnemonic[32]@34 op_str[160]@66 detail@232.
    private static final long INSN_ID = 0, INSN_SIZE = 16, INSN_MNEMONIC = 34, INSN_OP_STR = 66, INSN_DETAIL = 232;
    // cs_detail: the cs_x86 union member at 80; in cs_x86: prefix[4]@0, opcode[4]@4, rex@8,
    // addr_size@9, modrm@10, sib@11, disp@16, op_count@64, operands[8]@72 (48 bytes each).
    private static final long DETAIL_X86 = 80, X86_PREFIX = 0, X86_OPCODE = 4, X86_REX = 8, X86_ADDR_SIZE = 9,
            X86_OP_COUNT = 64, X86_OPERANDS = 72, OP_SIZE = 48;
    // cs_x86_op: type@0, union {reg, imm, mem {segment@0 base@4 index@8 scale@12 disp@16}}@8, size@32, access@33.
    private static final long OPND_TYPE = 0, OPND_VALUE = 8, OPND_SIZE = 32, OPND_ACCESS = 33;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final String PROBLEM;
    private static final String SOURCE;
    /** The sonames tried, in order: Debian 12's libcapstone4, then the unversioned name (libcapstone-dev). */
    private static final String[] LIBRARIES = {"libcapstone.so.4", "libcapstone.so"};
    private static final MethodHandle CS_OPEN, CS_CLOSE, CS_OPTION, CS_MALLOC, CS_FREE, CS_DISASM_ITER, CS_REG_NAME,
            CS_VERSION;

    static {
        SymbolLookup lib = null;
        String problem = null;
        String source = null;
        for (String name : LIBRARIES) {
            try {
                lib = SymbolLookup.libraryLookup(name, Arena.global());
                source = name;
                break;
            } catch (IllegalArgumentException e) {
                problem = "no Capstone library (" + String.join(", ", LIBRARIES)
                        + "): install Debian's libcapstone4";
            }
        }
        MethodHandle open = null, close = null, option = null, malloc = null, free = null, iter = null,
                regName = null, version = null;
        if (lib != null) {
            problem = null;
            try {
                ValueLayout.OfLong sizeT = ValueLayout.JAVA_LONG;
                open = handle(lib, "cs_open", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
                close = handle(lib, "cs_close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
                option = handle(lib, "cs_option", FunctionDescriptor.of(ValueLayout.JAVA_INT, sizeT,
                        ValueLayout.JAVA_INT, sizeT));
                malloc = handle(lib, "cs_malloc", FunctionDescriptor.of(ValueLayout.ADDRESS, sizeT));
                free = handle(lib, "cs_free", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, sizeT));
                iter = handle(lib, "cs_disasm_iter", FunctionDescriptor.of(ValueLayout.JAVA_BOOLEAN, sizeT,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
                regName = handle(lib, "cs_reg_name", FunctionDescriptor.of(ValueLayout.ADDRESS, sizeT,
                        ValueLayout.JAVA_INT));
                version = handle(lib, "cs_version", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS));
                int v = (int) version.invokeExact(MemorySegment.NULL, MemorySegment.NULL);
                if (v >> 8 != 4) {
                    problem = "Capstone " + (v >> 8) + "." + (v & 0xFF) + " from " + source
                            + ": only the 4.x ABI is supported";
                }
            } catch (Throwable e) {
                problem = "cannot bind Capstone from " + source + ": " + e;
            }
        }
        PROBLEM = problem;
        SOURCE = source;
        CS_OPEN = open;
        CS_CLOSE = close;
        CS_OPTION = option;
        CS_MALLOC = malloc;
        CS_FREE = free;
        CS_DISASM_ITER = iter;
        CS_REG_NAME = regName;
        CS_VERSION = version;
    }

    private static MethodHandle handle(SymbolLookup lib, String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(lib.find(name).orElseThrow(() -> new IllegalStateException("no " + name)), fd);
    }

    /** True when a Capstone 4 library could be loaded. */
    public static boolean available() {
        return PROBLEM == null;
    }

    /** Why {@link #available()} is false, or where the library came from. */
    public static String describe() {
        if (PROBLEM != null) {
            return PROBLEM;
        }
        try {
            int v = (int) CS_VERSION.invokeExact(MemorySegment.NULL, MemorySegment.NULL);
            return "Capstone " + (v >> 8) + "." + (v & 0xFF) + " (" + SOURCE + ")";
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** One operand as Capstone sees it; register names are Capstone's (lower case), null if none. */
    public record Operand(int type, String reg, long imm, String segment, String base, String index, int scale,
            long disp, int size, int access) {
        @Override
        public String toString() {
            return switch (type) {
                case OP_REG -> reg;
                case OP_IMM -> "imm 0x" + Long.toHexString(imm);
                case OP_MEM -> "mem" + size + "[" + (segment == null ? "" : segment + ":") + base + "+" + index + "*"
                        + scale + "+0x" + Long.toHexString(disp) + "]";
                default -> "op" + type;
            };
        }
    }

    /**
     * One decoded instruction. {@code valid} is false when Capstone rejects the bytes; then the
     * other fields are meaningless. {@code prefixes} holds the four prefix-group bytes Capstone
     * recorded (0 for none) and {@code opcode} the opcode bytes.
     */
    public record Result(boolean valid, int length, String mnemonic, String operands, int id, Operand[] ops,
            byte[] prefixes, byte[] opcode, int rex, int addressSize) {
        @Override
        public String toString() {
            return valid ? (mnemonic + " " + operands).trim() + " (" + length + " bytes)" : "(invalid)";
        }
    }

    private static final Result INVALID = new Result(false, 0, null, null, 0, new Operand[0], new byte[4],
            new byte[4], 0, 0);

    private final Arena arena = Arena.ofConfined();
    private final long handle;
    private final MemorySegment insn;
    private final MemorySegment code;
    private final MemorySegment codePtr;
    private final MemorySegment sizePtr;
    private final MemorySegment addrPtr;
    private final String[] regNames = new String[512];
    private final int bits;

    /** Opens a Capstone handle for 16-, 32- or 64-bit code with operand details on. */
    public CapstoneOracle(int bits) {
        if (!available()) {
            throw new IllegalStateException(PROBLEM);
        }
        this.bits = bits;
        int mode = switch (bits) {
            case 16 -> CS_MODE_16;
            case 32 -> CS_MODE_32;
            case 64 -> CS_MODE_64;
            default -> throw new IllegalArgumentException("bits " + bits);
        };
        try {
            MemorySegment h = arena.allocate(ValueLayout.JAVA_LONG);
            int err = (int) CS_OPEN.invokeExact(CS_ARCH_X86, mode, h);
            if (err != 0) {
                throw new IllegalStateException("cs_open: error " + err);
            }
            handle = h.get(ValueLayout.JAVA_LONG, 0);
            err = (int) CS_OPTION.invokeExact(handle, CS_OPT_DETAIL, (long) CS_OPT_ON);
            if (err != 0) {
                throw new IllegalStateException("cs_option(DETAIL): error " + err);
            }
            insn = ((MemorySegment) CS_MALLOC.invokeExact(handle)).reinterpret(240);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        code = arena.allocate(64);
        codePtr = arena.allocate(ValueLayout.ADDRESS);
        sizePtr = arena.allocate(ValueLayout.JAVA_LONG);
        addrPtr = arena.allocate(ValueLayout.JAVA_LONG);
    }

    public int bits() {
        return bits;
    }

    /** Decodes the first instruction of {@code bytes[0..len)} at {@code address}. */
    public Result decode(byte[] bytes, int len, long address) {
        if (len > 64) {
            throw new IllegalArgumentException("at most 64 bytes");
        }
        MemorySegment.copy(bytes, 0, code, ValueLayout.JAVA_BYTE, 0, len);
        codePtr.set(ValueLayout.ADDRESS, 0, code);
        sizePtr.set(ValueLayout.JAVA_LONG, 0, len);
        addrPtr.set(ValueLayout.JAVA_LONG, 0, address);
        boolean ok;
        try {
            ok = (boolean) CS_DISASM_ITER.invokeExact(handle, codePtr, sizePtr, addrPtr, insn);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        if (!ok) {
            return INVALID;
        }
        int length = insn.get(ValueLayout.JAVA_SHORT_UNALIGNED, INSN_SIZE) & 0xFFFF;
        String mnemonic = cString(insn, INSN_MNEMONIC, 32);
        String opStr = cString(insn, INSN_OP_STR, 160);
        int id = insn.get(ValueLayout.JAVA_INT, INSN_ID);
        MemorySegment detail = insn.get(ValueLayout.ADDRESS, INSN_DETAIL).reinterpret(DETAIL_X86 + 512);
        long x86 = DETAIL_X86;
        byte[] prefixes = new byte[4];
        byte[] opcode = new byte[4];
        MemorySegment.copy(detail, ValueLayout.JAVA_BYTE, x86 + X86_PREFIX, prefixes, 0, 4);
        MemorySegment.copy(detail, ValueLayout.JAVA_BYTE, x86 + X86_OPCODE, opcode, 0, 4);
        int rex = detail.get(ValueLayout.JAVA_BYTE, x86 + X86_REX) & 0xFF;
        int addrSize = detail.get(ValueLayout.JAVA_BYTE, x86 + X86_ADDR_SIZE) & 0xFF;
        int n = detail.get(ValueLayout.JAVA_BYTE, x86 + X86_OP_COUNT) & 0xFF;
        Operand[] ops = new Operand[Math.min(n, 8)];
        for (int k = 0; k < ops.length; k++) {
            long o = x86 + X86_OPERANDS + k * OP_SIZE;
            int type = detail.get(ValueLayout.JAVA_INT, o + OPND_TYPE);
            int size = detail.get(ValueLayout.JAVA_BYTE, o + OPND_SIZE) & 0xFF;
            int access = detail.get(ValueLayout.JAVA_BYTE, o + OPND_ACCESS) & 0xFF;
            long v = o + OPND_VALUE;
            ops[k] = switch (type) {
                case OP_REG -> new Operand(type, regName(detail.get(ValueLayout.JAVA_INT, v)), 0, null, null, null, 0,
                        0, size, access);
                case OP_IMM -> new Operand(type, null, detail.get(ValueLayout.JAVA_LONG, v), null, null, null, 0, 0,
                        size, access);
                case OP_MEM -> new Operand(type, null, 0, regName(detail.get(ValueLayout.JAVA_INT, v)),
                        regName(detail.get(ValueLayout.JAVA_INT, v + 4)), regName(detail.get(ValueLayout.JAVA_INT, v + 8)),
                        detail.get(ValueLayout.JAVA_INT, v + 12), detail.get(ValueLayout.JAVA_LONG, v + 16), size, access);
                default -> new Operand(type, null, 0, null, null, null, 0, 0, size, access);
            };
        }
        return new Result(true, length, mnemonic, opStr, id, ops, prefixes, opcode, rex, addrSize);
    }

    /** Capstone's name of register id {@code r}, or null for X86_REG_INVALID (0). */
    public String regName(int r) {
        if (r <= 0) {
            return null;
        }
        if (r < regNames.length && regNames[r] != null) {
            return regNames[r];
        }
        String s;
        try {
            MemorySegment p = (MemorySegment) CS_REG_NAME.invokeExact(handle, r);
            s = p.equals(MemorySegment.NULL) ? "reg" + r : p.reinterpret(64).getString(0, StandardCharsets.US_ASCII);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        if (r < regNames.length) {
            regNames[r] = s;
        }
        return s;
    }

    private static String cString(MemorySegment s, long offset, int max) {
        int n = 0;
        while (n < max && s.get(ValueLayout.JAVA_BYTE, offset + n) != 0) {
            n++;
        }
        byte[] b = new byte[n];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, offset, b, 0, n);
        return new String(b, StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        try {
            CS_FREE.invokeExact(insn, 1L);
            MemorySegment h = arena.allocate(ValueLayout.JAVA_LONG);
            h.set(ValueLayout.JAVA_LONG, 0, handle);
            int err = (int) CS_CLOSE.invokeExact(h);
            if (err != 0) {
                throw new IllegalStateException("cs_close: error " + err);
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        } finally {
            arena.close();
        }
    }
}
