package dev.ukemu.core.cpu.oracle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/**
 * Runs x87 instruction bytes on the host CPU, the oracle for the emulator's x87 and state-save
 * instructions. Each instruction gets a small stub in an RWX page from {@code mmap}:
 *
 * <pre>
 *   fxsave64  [rdi+HOST]     ; keep the JVM's x87/SSE state
 *   fxrstor64 [rdi+IN]       ; the prepared state
 *   mov rax, [rdi+RAX_IN] ; rflags from [rdi+FLAGS_IN]
 *   &lt;instruction&gt;          ; a memory operand addresses [rsi]
 *   rflags -> [rdi+FLAGS_OUT] ; rax -> [rdi+RAX_OUT]
 *   fxsave64  [rdi+OUT]
 *   fxrstor64 [rdi+HOST]
 *   ret
 * </pre>
 *
 * Unmasked exceptions are safe to run: they only set FSW.ES, and no waiting x87 instruction
 * runs before the host state comes back.
 */
public final class NativeX87 implements AutoCloseable {
    public static final int IN = 0, OUT = 512, HOST = 1024, FLAGS_OUT = 1536, RAX_OUT = 1544, FLAGS_IN = 1552,
            RAX_IN = 1560, OPERAND = 2048, XAREA = 4096, BLOCK_SIZE = 8192;
    private static final long CODE_SIZE = 1 << 20;

    private final Linker linker = Linker.nativeLinker();
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment code;
    private long codeUsed;
    private final Map<String, MethodHandle> stubs = new HashMap<>();
    private final MethodHandle munmap;
    /** The state block: the stub's RDI. */
    public final MemorySegment block;
    /** The memory operand: the stub's RSI (inside {@link #block} at {@link #OPERAND}). */
    public final MemorySegment operand;

    /** True on an x86-64 Linux host, where the stubs can run. */
    public static boolean available() {
        String arch = System.getProperty("os.arch", "");
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        return (arch.equals("amd64") || arch.equals("x86_64")) && os.contains("linux");
    }

    public NativeX87() {
        try {
            MethodHandle mmap = linker.downcallHandle(linker.defaultLookup().find("mmap").orElseThrow(),
                    FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
            munmap = linker.downcallHandle(linker.defaultLookup().find("munmap").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
            // PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS
            MemorySegment p = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, CODE_SIZE, 7, 0x22, -1, 0L);
            if (p.address() == -1L || p.address() == 0) {
                throw new IllegalStateException("mmap of an executable page failed");
            }
            code = p.reinterpret(CODE_SIZE);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        block = arena.allocate(BLOCK_SIZE, 64);
        operand = block.asSlice(OPERAND, 64);
    }

    /** Runs one instruction (bytes in 64-bit code) between the prepared state and the saved one. */
    public void run(byte[] insn) {
        String key = "i" + HexFormat.of().formatHex(insn);
        MethodHandle h = stubs.computeIfAbsent(key, k -> install(wrapInsn(insn)));
        invoke(h);
    }

    /**
     * Runs a code body (no ret) with RDI = {@link #block} and RSI = {@link #operand}, keeping
     * the host x87/SSE state around it.
     */
    public void runRaw(byte[] body) {
        String key = "r" + HexFormat.of().formatHex(body);
        MethodHandle h = stubs.computeIfAbsent(key, k -> install(wrapRaw(body)));
        invoke(h);
    }

    private void invoke(MethodHandle h) {
        try {
            h.invokeExact(block, operand);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static final class Asm {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

        Asm b(int... bytes) {
            for (int v : bytes) {
                out.write(v);
            }
            return this;
        }

        Asm d32(int v) {
            return b(v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF, (v >>> 24));
        }

        Asm bytes(byte[] v) {
            out.writeBytes(v);
            return this;
        }

        /** REX.W op modrm(mod=10, reg, rm=rdi) disp32. */
        Asm rdi(int op2, int op, int reg, int disp) {
            if (op2 >= 0) {
                b(0x48, op2, op, 0x80 | (reg << 3) | 7);
            } else {
                b(0x48, op, 0x80 | (reg << 3) | 7);
            }
            return d32(disp);
        }
    }

    private static Asm saveHost() {
        return new Asm().rdi(0x0F, 0xAE, 0, HOST); // fxsave64 [rdi+HOST]
    }

    private static byte[] wrapInsn(byte[] insn) {
        Asm a = saveHost();
        a.rdi(0x0F, 0xAE, 1, IN);            // fxrstor64 [rdi+IN]
        a.rdi(-1, 0x8B, 0, RAX_IN);          // mov rax, [rdi+RAX_IN]
        a.rdi(-1, 0x8B, 1, FLAGS_IN);        // mov rcx, [rdi+FLAGS_IN]
        a.b(0x51, 0x9D);                     // push rcx; popfq
        a.bytes(insn);
        a.b(0x9C, 0x59);                     // pushfq; pop rcx
        a.rdi(-1, 0x89, 1, FLAGS_OUT);       // mov [rdi+FLAGS_OUT], rcx
        a.rdi(-1, 0x89, 0, RAX_OUT);         // mov [rdi+RAX_OUT], rax
        a.rdi(0x0F, 0xAE, 0, OUT);           // fxsave64 [rdi+OUT]
        a.rdi(0x0F, 0xAE, 1, HOST);          // fxrstor64 [rdi+HOST]
        a.b(0xC3);
        return a.out.toByteArray();
    }

    private static byte[] wrapRaw(byte[] body) {
        Asm a = saveHost();
        a.bytes(body);
        a.rdi(0x0F, 0xAE, 1, HOST);
        a.b(0xC3);
        return a.out.toByteArray();
    }

    private MethodHandle install(byte[] stub) {
        long at = (codeUsed + 15) & ~15L;
        if (at + stub.length > CODE_SIZE) {
            throw new IllegalStateException("stub page full");
        }
        MemorySegment.copy(MemorySegment.ofArray(stub), 0, code, at, stub.length);
        codeUsed = at + stub.length;
        return linker.downcallHandle(code.asSlice(at, stub.length),
                FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
    }

    @Override
    public void close() {
        try {
            int r = (int) munmap.invokeExact(code, CODE_SIZE);
            if (r != 0) {
                throw new IllegalStateException("munmap failed");
            }
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            arena.close();
        }
    }
}
