package dev.ukemu.core.cpu.oracle;

import dev.ukemu.core.cpu.oracle.Encoder.Mem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs one instruction natively on the host CPU, the oracle for the differential tests.
 *
 * <p>An RWX page from {@code mmap} holds a stub, called through the FFM linker as
 * {@code void stub(State *states, long count)}. For each of {@code count} consecutive state
 * blocks it loads RFLAGS (push/popfq) and the general registers (RDI last) from the block,
 * executes the instruction bytes under test, and stores the registers and RFLAGS (pushfq) back.
 * RSP is never loaded or stored: the instructions under test must not touch it. The callee-saved
 * registers are saved and restored around the whole batch, and DF is cleared before returning.
 *
 * <p>Code and states share one mapping below 2 GiB (MAP_32BIT). A state block is
 * {@link #STATE_SIZE} bytes: RAX..R15 at {@code 8*n} (the RSP slot is unused), RFLAGS at
 * {@link #FLAGS}, and a {@link #SCRATCH_SIZE}-byte scratch buffer at {@link #SCRATCH} that
 * memory operands point into. The scratch buffer is exactly one 64-byte
 * aligned cache line, so no access inside it, LOCKed or not, aligned or not, is a split lock.
 *
 * <p>The caller must never hand it an instruction that faults: division by zero or overflow,
 * a memory operand outside the scratch buffer, or an instruction the host lacks would kill the
 * JVM with a signal.
 */
public final class HostCpu implements AutoCloseable {
    public static final int STATE_SIZE = 256, FLAGS = 128, SCRATCH = 192, SCRATCH_SIZE = 64;
    private static final int PAGE = 4096;
    private static final int PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
    private static final int MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MAP_32BIT = 0x40;

    private static final int RAX = 0, RSP = 4, RDI = 7;

    private final MemorySegment region;
    private final MemorySegment code;
    private final MemorySegment states;
    private final int capacity;
    private final MethodHandle stub;
    private final MethodHandle munmap, mmap;
    private int insnOffset;
    private int insnLength;

    /** True on an x86-64 Linux host, the only place the oracle can run. */
    public static boolean supported() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        return (arch.equals("amd64") || arch.equals("x86_64")) && os.contains("linux");
    }

    private static Set<String> flags;

    /** The feature flags of the host CPU as /proc/cpuinfo lists them (empty if unreadable). */
    public static synchronized Set<String> cpuFlags() {
        if (flags == null) {
            Set<String> s = new TreeSet<>();
            try {
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                    if (line.startsWith("flags")) {
                        for (String f : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
                            s.add(f);
                        }
                        break;
                    }
                }
            } catch (IOException e) {
                // no flags: optional instructions are skipped
            }
            flags = s;
        }
        return flags;
    }

    /** The host's CPUID vendor string as /proc/cpuinfo reports it ("GenuineIntel", "AuthenticAMD"). */
    public static String vendor() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("vendor_id")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // unknown
        }
        return "";
    }

    public static boolean hasFeature(String flag) {
        return cpuFlags().contains(flag);
    }

    /** An RWX mapping of {@code size} bytes at a free address below 2 GiB, or null. */
    MemorySegment lowMapping(long size) {
        final int mapFixedNoReplace = 0x100000;
        for (long hint = 0x1000_0000L; hint + size <= 0x8000_0000L; hint += 0x100_0000L) {
            MemorySegment m;
            try {
                m = (MemorySegment) mmap.invokeExact(MemorySegment.ofAddress(hint), size,
                        PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | mapFixedNoReplace, -1, 0L);
            } catch (Throwable t) {
                throw new IllegalStateException("mmap failed", t);
            }
            if (m.address() == hint) {
                return m;
            }
            if (m.address() != -1L) {
                try {
                    int unused = (int) munmap.invokeExact(m, size); // a kernel that took the address as a hint
                } catch (Throwable t) {
                    throw new IllegalStateException("munmap failed", t);
                }
            }
        }
        return null;
    }

    /** @param capacity the most states one {@link #run} call handles */
    @SuppressWarnings("restricted") // the whole point: native code on a page of our own
    public HostCpu(int capacity) {
        if (!supported()) {
            throw new IllegalStateException("the host oracle needs x86-64 Linux");
        }
        this.capacity = capacity;
        Linker linker = Linker.nativeLinker();
        mmap = linker.downcallHandle(
                linker.defaultLookup().find("mmap").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        munmap = linker.downcallHandle(
                linker.defaultLookup().find("munmap").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        // One mapping in the low 2 GiB: the stub's page, then the state blocks. Low addresses let
        // 32-bit address-size (67) operands reach the scratch buffers; keeping the states next to
        // the code lets RIP-relative operands reach them with a disp32.
        // A spare page after the last state: some forms read more than their operand (AMD
        // reads 4 bytes for MOVSXD r16, m16), which must not run off the end of the mapping.
        long size = PAGE + ((long) capacity * STATE_SIZE + PAGE - 1) / PAGE * PAGE + PAGE;
        MemorySegment m;
        try {
            m = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, size,
                    PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("mmap failed", t);
        }
        if (m.address() == -1L || m.address() == 0) {
            // MAP_32BIT only searches 1-2 GiB, where the JVM may have put its heap or class
            // space: try fixed addresses anywhere below 2 GiB instead.
            m = lowMapping(size);
        }
        if (m == null) {
            throw new IllegalStateException("mmap of RWX memory below 2 GiB failed (W^X policy?)");
        }
        region = m.reinterpret(size);
        code = region.asSlice(0, PAGE);
        states = region.asSlice(PAGE, (long) capacity * STATE_SIZE);
        stub = linker.downcallHandle(code, FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
                Linker.Option.critical(false));
        load(new byte[] {(byte) 0x90});
    }

    public int capacity() {
        return capacity;
    }

    /** The state blocks; block {@code k} starts at {@code k * STATE_SIZE}. */
    public MemorySegment states() {
        return states;
    }

    /** Host address of state block {@code k}'s scratch buffer. */
    public long scratchAddress(int k) {
        return states.address() + (long) k * STATE_SIZE + SCRATCH;
    }

    /** Host address of the instruction under test (RIP-relative forms need it). */
    public long insnAddress() {
        return code.address() + insnOffset;
    }

    public int insnLength() {
        return insnLength;
    }

    /** Where the prologue puts the instruction: NOPs first bring it to a 64-byte boundary. */
    private static final int PROLOGUE_LENGTH = 84;

    /**
     * Writes the stub around {@code insn} into the code page. The instruction starts on a
     * 64-byte boundary, as the guest copy does, so RIP-relative operands that reach the
     * scratch buffer are just as aligned in the guest (CMPXCHG16B).
     */
    public void load(byte[] insn) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        for (int k = 0; k < (64 - PROLOGUE_LENGTH % 64) % 64; k++) {
            emit(out, 0x90);                  // nop, once per call
        }
        // Save the callee-saved registers, then keep the state pointer and count on the stack.
        emit(out, 0x53);                      // push rbx
        emit(out, 0x55);                      // push rbp
        emit(out, 0x41, 0x54);                // push r12
        emit(out, 0x41, 0x55);                // push r13
        emit(out, 0x41, 0x56);                // push r14
        emit(out, 0x41, 0x57);                // push r15
        emit(out, 0x57);                      // push rdi   -> [rsp+8]: current state
        emit(out, 0x56);                      // push rsi   -> [rsp]:   remaining count
        int loop = out.size();
        emit(out, Encoder.op(0x8B).osize(8).reg(RDI, false).mem(Mem.of(RSP, 8)).build()); // mov rdi,[rsp+8]
        emit(out, Encoder.op(0xFF).ext(6).mem(new Mem(RDI, -1, 0, FLAGS, 4)).build());     // push [rdi+FLAGS]
        emit(out, 0x9D);                      // popfq
        for (int r = 0; r < 16; r++) {
            if (r != RSP && r != RDI) {
                emit(out, Encoder.op(0x8B).osize(8).reg(r, false).mem(new Mem(RDI, -1, 0, 8 * r, 1)).build());
            }
        }
        emit(out, Encoder.op(0x8B).osize(8).reg(RDI, false).mem(new Mem(RDI, -1, 0, 8 * RDI, 1)).build());
        insnOffset = out.size();
        if (insnOffset % 64 != 0) {
            throw new IllegalStateException("prologue is not " + PROLOGUE_LENGTH + " bytes");
        }
        insnLength = insn.length;
        emit(out, insn);
        emit(out, 0x9C);                      // pushfq
        emit(out, 0x57);                      // push rdi
        emit(out, Encoder.op(0x8B).osize(8).reg(RDI, false).mem(Mem.of(RSP, 24)).build()); // mov rdi,[rsp+24]
        for (int r = 0; r < 16; r++) {
            if (r != RSP && r != RDI) {
                emit(out, Encoder.op(0x89).osize(8).reg(r, false).mem(new Mem(RDI, -1, 0, 8 * r, 1)).build());
            }
        }
        emit(out, Encoder.op(0x8F).ext(0).mem(new Mem(RDI, -1, 0, 8 * RDI, 1)).build()); // pop [rdi+56]
        emit(out, Encoder.op(0x8F).ext(0).mem(new Mem(RDI, -1, 0, FLAGS, 4)).build());   // pop [rdi+FLAGS]
        emit(out, Encoder.op(0x8D).osize(8).reg(RDI, false).mem(new Mem(RDI, -1, 0, STATE_SIZE, 4)).build());
        emit(out, Encoder.op(0x89).osize(8).reg(RDI, false).mem(Mem.of(RSP, 8)).build()); // mov [rsp+8],rdi
        emit(out, Encoder.op(0xFF).osize(8).ext(1).mem(Mem.of(RSP, 0)).build());          // dec qword [rsp]
        int rel = loop - (out.size() + 6);
        emit(out, 0x0F, 0x85, rel & 0xFF, (rel >> 8) & 0xFF, (rel >> 16) & 0xFF, (rel >>> 24) & 0xFF); // jnz loop
        emit(out, Encoder.op(0x83).osize(8).ext(0).rm(RSP, false).imm(16, 1).build());    // add rsp,16
        emit(out, 0x41, 0x5F);                // pop r15
        emit(out, 0x41, 0x5E);                // pop r14
        emit(out, 0x41, 0x5D);                // pop r13
        emit(out, 0x41, 0x5C);                // pop r12
        emit(out, 0x5D);                      // pop rbp
        emit(out, 0x5B);                      // pop rbx
        emit(out, 0xFC);                      // cld
        emit(out, 0xC3);                      // ret
        byte[] b = out.toByteArray();
        MemorySegment.copy(b, 0, code, ValueLayout.JAVA_BYTE, 0, b.length);
    }

    /** Runs the loaded instruction on state blocks {@code 0..count-1}. */
    public void run(int count) {
        if (count <= 0 || count > capacity) {
            throw new IllegalArgumentException("count " + count);
        }
        try {
            stub.invokeExact(states, (long) count);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The stub as loaded, for debugging. */
    byte[] stubBytes() {
        return code.asSlice(0, insnOffset + insnLength + 200).toArray(ValueLayout.JAVA_BYTE);
    }

    private static void emit(ByteArrayOutputStream out, int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
    }

    private static void emit(ByteArrayOutputStream out, byte[] bytes) {
        out.write(bytes, 0, bytes.length);
    }

    @Override
    public void close() {
        try {
            int rc = (int) munmap.invokeExact(region, region.byteSize());
            if (rc != 0) {
                throw new IllegalStateException("munmap failed");
            }
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
