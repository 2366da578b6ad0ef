package dev.ukemu.benchmarks;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.cpu.Cpu;
import dev.ukemu.core.cpu.CpuidModel;
import dev.ukemu.core.cpu.FlatLongMode;
import dev.ukemu.core.cpu.Interpreter;
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
 * The interpreter on fixed 64-bit guest loops. The {@code instructions} counter is the guest
 * instructions retired, so JMH reports guest instructions per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class InterpreterBenchmark {
    static final long CODE = 0x100000, DATA = 0x200000;

    /** Guest loops, as machine code. Each is an endless loop; a benchmark call runs 1000 blocks. */
    public enum Loop {
        /** ALU, loads and stores through an index, a counted inner branch. */
        ALU_MEMORY(new int[] {
            0x48, 0x01, 0xD8,                   // add rax, rbx
            0x48, 0x31, 0xC2,                   // xor rdx, rax
            0x48, 0x89, 0x14, 0xCF,             // mov [rdi+rcx*8], rdx
            0x48, 0x8B, 0x34, 0xCF,             // mov rsi, [rdi+rcx*8]
            0x48, 0xFF, 0xC1,                   // inc rcx
            0x48, 0x81, 0xE1, 0xFF, 0, 0, 0,    // and rcx, 0xff
            0x48, 0x01, 0xF3,                   // add rbx, rsi
            0x75, 0xE3,                         // jnz loop (to offset 0)
            0xEB, 0xE1,                         // jmp loop
        }),
        /** Calls and returns with a compare-and-branch in the callee. */
        CALLS(new int[] {
            0xE8, 0x04, 0, 0, 0,                // call f
            0xEB, 0xF9,                         // jmp loop
            0x90,                               // pad
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
    }

    @Param
    public Loop loop;

    private GuestMemory mem;
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
        cpu = new Cpu(0, mem, new PortBus(), new Bus("MMIO"), CpuidModel.max(2_500_000, 1));
        FlatLongMode.enter(cpu, mem, 0x10000, 1);
        mem.load(CODE, loop.bytes);
        cpu.rip = CODE;
        cpu.r[Cpu.RDI] = DATA;
        cpu.r[Cpu.RSP] = 0x800000;
        cpu.r[Cpu.RBX] = 0x12345;
    }

    @TearDown
    public void tearDown() {
        mem.close();
    }

    @Benchmark
    public long run(Counters counters) {
        long before = cpu.instructions;
        for (int k = 0; k < 1000; k++) {
            Interpreter.step(cpu);
        }
        counters.instructions += cpu.instructions - before;
        return cpu.r[Cpu.RAX];
    }
}
