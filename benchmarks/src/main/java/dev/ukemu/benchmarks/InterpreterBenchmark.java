package dev.ukemu.benchmarks;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.cpu.CodeCache;
import dev.ukemu.core.cpu.Cpu;
import dev.ukemu.core.cpu.CpuidModel;
import dev.ukemu.core.cpu.FlatLongMode;
import dev.ukemu.core.cpu.Interpreter;
import dev.ukemu.core.cpu.Jit;
import dev.ukemu.core.cpu.JitConfig;
import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU engines on fixed 64-bit guest loops: ALU only, ALU with loads and stores, data-dependent
 * branches, calls. {@code engine} is {@code interpreter} (the interpreter alone) or {@code jit}
 * (the region compiler; blocks are compiled synchronously once they have run
 * {@link JitConfig#DEFAULT_THRESHOLD} times, which the warm-up iterations do). Each benchmark
 * call runs a loop of {@link #ITERATIONS} iterations to its HLT; the {@code instructions} counter
 * is the guest instructions retired, so JMH reports guest instructions per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class InterpreterBenchmark {
    static final long CODE = 0x100000, DATA = 0x200000;
    /** Loop iterations per benchmark call. */
    static final int ITERATIONS = 20_000;

    /**
     * Guest loops, as machine code: {@code mov r8d, ITERATIONS}, the body, {@code dec r8d; jnz},
     * {@code hlt} (the body must keep R8). {@link #iterations} patches the count.
     */
    public enum Loop {
        /** Register arithmetic: add, xor, rotate, multiply, subtract, shift. */
        ALU(new int[] {
            0x41, 0xB8, 0, 0, 0, 0,             // mov r8d, ITERATIONS
            0x48, 0x01, 0xD8,                   // top: add rax, rbx
            0x48, 0x31, 0xC2,                   // xor rdx, rax
            0x48, 0xC1, 0xC2, 0x0D,             // rol rdx, 13
            0x48, 0x0F, 0xAF, 0xDA,             // imul rbx, rdx
            0x48, 0x29, 0xD1,                   // sub rcx, rdx
            0x48, 0xD1, 0xE9,                   // shr rcx, 1
            0x48, 0x83, 0xC3, 0x07,             // add rbx, 7
            0x41, 0xFF, 0xC8,                   // dec r8d
            0x75, 0xE3,                         // jnz top
            0xF4,                               // hlt
        }),
        /** ALU, loads and stores through an index. */
        ALU_MEMORY(new int[] {
            0x41, 0xB8, 0, 0, 0, 0,             // mov r8d, ITERATIONS
            0x48, 0x01, 0xD8,                   // top: add rax, rbx
            0x48, 0x31, 0xC2,                   // xor rdx, rax
            0x48, 0x89, 0x14, 0xCF,             // mov [rdi+rcx*8], rdx
            0x48, 0x8B, 0x34, 0xCF,             // mov rsi, [rdi+rcx*8]
            0x48, 0xFF, 0xC1,                   // inc rcx
            0x48, 0x81, 0xE1, 0xFF, 0, 0, 0,    // and rcx, 0xff
            0x48, 0x01, 0xF3,                   // add rbx, rsi
            0x41, 0xFF, 0xC8,                   // dec r8d
            0x75, 0xE0,                         // jnz top
            0xF4,                               // hlt
        }),
        /** Branches on pseudo-random bits (a linear congruential generator in RBX). */
        BRANCHES(new int[] {
            0x41, 0xB8, 0, 0, 0, 0,             // mov r8d, ITERATIONS
            0x48, 0x89, 0xD8,                   // top: mov rax, rbx
            0x48, 0xC1, 0xE8, 0x03,             // shr rax, 3
            0x48, 0x69, 0xDB, 0x6D, 0x4E, 0xC6, 0x41, // imul rbx, rbx, 0x41c64e6d
            0x48, 0x83, 0xC3, 0x39,             // add rbx, 0x39
            0xA8, 0x01,                         // test al, 1
            0x74, 0x03,                         // jz +3
            0x48, 0xFF, 0xC2,                   // inc rdx
            0xA8, 0x02,                         // test al, 2
            0x75, 0x03,                         // jnz +3
            0x48, 0xFF, 0xCE,                   // dec rsi
            0x48, 0x39, 0xF2,                   // cmp rdx, rsi
            0x7C, 0x03,                         // jl +3
            0x48, 0xFF, 0xC7,                   // inc rdi
            0x41, 0xFF, 0xC8,                   // dec r8d
            0x75, 0xD3,                         // jnz top
            0xF4,                               // hlt
        }),
        /** Calls and returns with a compare-and-branch in the callee. */
        CALLS(new int[] {
            0x41, 0xB8, 0, 0, 0, 0,             // mov r8d, ITERATIONS
            0xE8, 0x06, 0, 0, 0,                // top: call f
            0x41, 0xFF, 0xC8,                   // dec r8d
            0x75, 0xF6,                         // jnz top
            0xF4,                               // hlt
            0x48, 0xFF, 0xC0,                   // f: inc rax
            0x48, 0x3D, 0x00, 0x10, 0, 0,       // cmp rax, 0x1000
            0x72, 0x03,                         // jb done
            0x48, 0x31, 0xC0,                   // xor rax, rax
            0xC3,                               // done: ret
        });

        public final byte[] bytes;

        Loop(int[] code) {
            bytes = new byte[code.length];
            for (int k = 0; k < code.length; k++) {
                bytes[k] = (byte) code[k];
            }
        }

        /** The code with the loop count set to {@code n}. */
        public byte[] iterations(int n) {
            byte[] b = bytes.clone();
            for (int k = 0; k < 4; k++) {
                b[2 + k] = (byte) (n >>> (8 * k));
            }
            return b;
        }
    }

    /** The engine: the interpreter alone, or with hot blocks compiled. */
    @Param({"interpreter", "jit"})
    public String engine;

    @Param
    public Loop loop;

    private GuestMemory mem;
    private CodeCache code;
    private Cpu cpu;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        /** Guest instructions retired. */
        public long instructions;

        @Setup(Level.Iteration)
        public void clean() {
            instructions = 0;
        }
    }

    @Setup
    public void setUp() {
        mem = new GuestMemory(MemoryLayout.of(16 * MemoryLayout.MIB));
        JitConfig jit = switch (engine) {
            case "interpreter" -> JitConfig.OFF;
            case "jit" -> new JitConfig(true, JitConfig.DEFAULT_THRESHOLD, true, JitConfig.DEFAULT_MAX_REGIONS);
            default -> throw new IllegalArgumentException("engine " + engine);
        };
        code = new CodeCache(jit);
        cpu = new Cpu(0, mem, new PortBus(), new Bus("MMIO"), CpuidModel.max(2_500_000, 1), code, false);
        FlatLongMode.enter(cpu, mem, 0x10000, 1);
        mem.load(CODE, loop.iterations(ITERATIONS));
        cpu.r[Cpu.RDI] = DATA;
        cpu.r[Cpu.RSP] = 0x800000;
        cpu.r[Cpu.RBX] = 0x12345;
    }

    @TearDown
    public void tearDown() {
        Jit jit = code.jit();
        if (jit != null) {
            // Shows that the JIT variant did run compiled code.
            System.out.printf("%n[%s/%s] regions compiled %d (%d guest instructions), left to the interpreter %d,"
                    + " region runs %d%n", loop, engine, jit.regionsCompiled(), jit.guestInstructionsCompiled(),
                    jit.regionsRejected(), cpu.regionRuns);
        }
        mem.close();
    }

    @Benchmark
    public long run(Counters counters) {
        long before = cpu.instructions;
        cpu.rip = CODE;
        cpu.halted = false;
        while (!cpu.halted) {
            Interpreter.step(cpu);
        }
        counters.instructions += cpu.instructions - before;
        return cpu.r[Cpu.RAX];
    }
}
