package dev.ukemu.core.cpu.oracle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * Runs one instruction on the host CPU: the oracle for SSE and MMX semantics. An RWX page
 * mapped through libc's {@code mmap} holds a stub that loads XMM0-15 (MOVDQU), optionally
 * MM0-7, MXCSR (LDMXCSR), the general registers and RFLAGS from a state block passed in RDI,
 * executes the instruction under test, and stores everything back (MOVDQU, STMXCSR, PUSHFQ),
 * restoring the host's MXCSR and callee-saved registers before it returns.
 *
 * <p>The instruction must not touch RSP, must not transfer control and must not fault: memory
 * operands address {@link #buffer()} through a general register the caller points at it.
 */
public final class NativeSse implements AutoCloseable {
    // State block layout.
    public static final int OFF_XMM = 0, OFF_MXCSR = 256, OFF_RFLAGS = 264, OFF_GPR = 272, OFF_MM = 400,
            STATE_SIZE = 464;
    private static final int PAGE = 4096, CODE_PAGES = 1;
    /** Save slots at the end of the code page. */
    private static final int SAVE_PTR = 0xF00, SAVE_MXCSR = 0xF08, SAVE_TMP = 0xF10;
    public static final int BUFFER_SIZE = 256;

    /** Register state exchanged with the stub. */
    public static final class State {
        public final long[] xmm = new long[32];
        public int mxcsr = 0x1F80;
        public long rflags = 2;
        public final long[] gpr = new long[16];
        public final long[] mm = new long[8];
    }

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment code;
    private final MemorySegment buffer;
    private final MemorySegment state;
    private final MethodHandle stub;
    private final MethodHandle munmap;
    private final MemorySegment mapping;

    public NativeSse() {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        MethodHandle mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(), FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        long size = (long) PAGE * (CODE_PAGES + 1);
        try {
            // PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS
            MemorySegment p = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, size, 7, 0x22, -1, 0L);
            if (p.address() == -1L || p.address() == 0) {
                throw new IllegalStateException("mmap failed");
            }
            mapping = p.reinterpret(size);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot map an executable page", t);
        }
        code = mapping.asSlice(0, PAGE);
        buffer = mapping.asSlice(PAGE, BUFFER_SIZE);
        state = arena.allocate(STATE_SIZE, 64);
        stub = linker.downcallHandle(code, FunctionDescriptor.ofVoid(ValueLayout.ADDRESS), Linker.Option.critical(false));
    }

    /** True on an x86-64 Linux host, where the stub can run. */
    public static boolean supported() {
        String arch = System.getProperty("os.arch", "");
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        return (arch.equals("amd64") || arch.equals("x86_64")) && os.contains("linux");
    }

    /** The host's CPU feature flags from /proc/cpuinfo (sse, sse2, pni, ssse3, sse4_1, sse4_2, ...). */
    public static Set<String> hostFlags() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    return Set.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
                }
            }
        } catch (IOException e) {
            // no flags: nothing runs
        }
        return Set.of();
    }

    /** The host address of the memory-operand buffer ({@link #BUFFER_SIZE} bytes, 16-byte aligned). */
    public long bufferAddress() {
        return buffer.address();
    }

    public MemorySegment buffer() {
        return buffer;
    }

    /** Assembles the stub around {@code insn}; {@code mmx} also moves MM0-7 (and ends with EMMS). */
    public void load(byte[] insn, boolean mmx) {
        Asm a = new Asm();
        a.b(0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57); // push rbx rbp r12-r15
        a.b(0x48, 0x89, 0x3D).rip(SAVE_PTR); // mov [rip+ptr], rdi
        a.b(0x0F, 0xAE, 0x1D).rip(SAVE_MXCSR); // stmxcsr [rip+mxcsr]
        for (int n = 0; n < 16; n++) {
            a.movdqu(n, OFF_XMM + 16 * n, true);
        }
        if (mmx) {
            for (int n = 0; n < 8; n++) {
                a.b(0x0F, 0x6F, 0x87 | n << 3).d32(OFF_MM + 8 * n);
            }
        }
        a.b(0x0F, 0xAE, 0x97).d32(OFF_MXCSR); // ldmxcsr [rdi+mxcsr]
        a.b(0xFF, 0xB7).d32(OFF_RFLAGS); // push qword [rdi+rflags]
        a.b(0x9D); // popfq
        for (int r = 0; r < 16; r++) {
            if (r != 4 && r != 7) {
                a.movGpr(r, true);
            }
        }
        a.movGpr(7, true);
        a.bytes(insn);
        a.b(0x48, 0x89, 0x3D).rip(SAVE_TMP); // mov [rip+tmp], rdi
        a.b(0x48, 0x8B, 0x3D).rip(SAVE_PTR); // mov rdi, [rip+ptr]
        a.b(0x9C); // pushfq
        a.b(0x8F, 0x87).d32(OFF_RFLAGS); // pop qword [rdi+rflags]
        for (int r = 0; r < 16; r++) {
            if (r != 4 && r != 7) {
                a.movGpr(r, false);
            }
        }
        a.b(0x48, 0x8B, 0x05).rip(SAVE_TMP); // mov rax, [rip+tmp]
        a.b(0x48, 0x89, 0x87).d32(OFF_GPR + 8 * 7); // mov [rdi+gpr7], rax
        for (int n = 0; n < 16; n++) {
            a.movdqu(n, OFF_XMM + 16 * n, false);
        }
        if (mmx) {
            for (int n = 0; n < 8; n++) {
                a.b(0x0F, 0x7F, 0x87 | n << 3).d32(OFF_MM + 8 * n);
            }
            a.b(0x0F, 0x77); // emms
        }
        a.b(0x0F, 0xAE, 0x9F).d32(OFF_MXCSR); // stmxcsr [rdi+mxcsr]
        a.b(0x0F, 0xAE, 0x15).rip(SAVE_MXCSR); // ldmxcsr [rip+mxcsr]: the host's own
        a.b(0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B, 0xC3);
        byte[] b = a.out.toByteArray();
        if (b.length > SAVE_PTR) {
            throw new IllegalArgumentException("stub too long");
        }
        MemorySegment.copy(b, 0, code, ValueLayout.JAVA_BYTE, 0, b.length);
    }

    /** Runs the loaded stub on {@code s}, in place. */
    public void run(State s) {
        for (int k = 0; k < 32; k++) {
            state.set(ValueLayout.JAVA_LONG_UNALIGNED, OFF_XMM + 8L * k, s.xmm[k]);
        }
        state.set(ValueLayout.JAVA_INT_UNALIGNED, OFF_MXCSR, s.mxcsr);
        state.set(ValueLayout.JAVA_LONG_UNALIGNED, OFF_RFLAGS, s.rflags);
        for (int k = 0; k < 16; k++) {
            state.set(ValueLayout.JAVA_LONG_UNALIGNED, OFF_GPR + 8L * k, s.gpr[k]);
        }
        for (int k = 0; k < 8; k++) {
            state.set(ValueLayout.JAVA_LONG_UNALIGNED, OFF_MM + 8L * k, s.mm[k]);
        }
        try {
            stub.invokeExact(state);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        for (int k = 0; k < 32; k++) {
            s.xmm[k] = state.get(ValueLayout.JAVA_LONG_UNALIGNED, OFF_XMM + 8L * k);
        }
        s.mxcsr = state.get(ValueLayout.JAVA_INT_UNALIGNED, OFF_MXCSR);
        s.rflags = state.get(ValueLayout.JAVA_LONG_UNALIGNED, OFF_RFLAGS);
        for (int k = 0; k < 16; k++) {
            s.gpr[k] = state.get(ValueLayout.JAVA_LONG_UNALIGNED, OFF_GPR + 8L * k);
        }
        for (int k = 0; k < 8; k++) {
            s.mm[k] = state.get(ValueLayout.JAVA_LONG_UNALIGNED, OFF_MM + 8L * k);
        }
    }

    @Override
    public void close() {
        try {
            int r = (int) munmap.invokeExact(mapping, mapping.byteSize());
            if (r != 0) {
                throw new IllegalStateException("munmap failed");
            }
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            arena.close();
        }
    }

    /** A tiny x86-64 emitter for the stub. */
    private static final class Asm {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Asm b(int... bytes) {
            for (int x : bytes) {
                out.write(x);
            }
            return this;
        }

        void bytes(byte[] x) {
            out.write(x, 0, x.length);
        }

        Asm d32(int v) {
            return b(v & 0xFF, v >>> 8 & 0xFF, v >>> 16 & 0xFF, v >>> 24 & 0xFF);
        }

        /** A RIP-relative displacement to {@code target} (page offset); the operand ends the instruction. */
        void rip(int target) {
            int end = out.size() + 4;
            d32(target - end);
        }

        /** MOVDQU xmm, [rdi+disp32] (load) or [rdi+disp32], xmm (store). */
        void movdqu(int n, int disp, boolean load) {
            b(0xF3);
            if (n >= 8) {
                b(0x44);
            }
            b(0x0F, load ? 0x6F : 0x7F, 0x87 | (n & 7) << 3).d32(disp);
        }

        /** MOV r64, [rdi+gpr] (load) or [rdi+gpr], r64 (store). */
        void movGpr(int r, boolean load) {
            b(r >= 8 ? 0x4C : 0x48, load ? 0x8B : 0x89, 0x87 | (r & 7) << 3).d32(OFF_GPR + 8 * r);
        }
    }
}
