package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.cpu.FuzzCode.Label;
import dev.ukemu.core.cpu.FuzzCode.Seq;
import dev.ukemu.core.cpu.oracle.Encoder;
import dev.ukemu.core.cpu.oracle.Encoder.Mem;
import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hand-written guest programs that hot compiled code must get right: loops over arrays, nested
 * loops, calls on the same page, code that rewrites an immediate of the loop it runs in, code
 * another vCPU rewrites, faults after many iterations. Each runs under the interpreter, with
 * every block compiled on its first run, and compiled only after some interpreted runs; the
 * expected results are computed here in Java from the same inputs.
 */
class JitDirectedTest {
    static final long CODE = CpuTestRig.CODE, DATA = CpuTestRig.DATA;
    static final int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;
    static final int CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800, ARITH = CF | PF | AF | ZF | SF | OF;

    static Stream<Arguments> engines() {
        return Stream.of(
                Arguments.of("interpreter", JitConfig.OFF),
                Arguments.of("jit, compiled on the first run", new JitConfig(true, 0, true, 8192)),
                Arguments.of("jit, compiled after 10 runs", new JitConfig(true, 10, true, 8192)));
    }

    // ------------------------------------------------------------------ a small assembler

    static Seq seq() {
        return new Seq();
    }

    static byte[] b(Encoder e) {
        return e.build();
    }

    /** jcc rel32 to {@code l} (cc as in 0F 80+cc). */
    static void jcc(Seq s, int cc, Label l) {
        s.rel(new byte[] {0x0F, (byte) (0x80 + cc), 0, 0, 0, 0}, 2, l, "jcc " + l.name);
    }

    static void call(Seq s, Label l) {
        s.rel(new byte[] {(byte) 0xE8, 0, 0, 0, 0}, 1, l, "call " + l.name);
    }

    static void hlt(Seq s) {
        s.add(new byte[] {(byte) 0xF4}, "hlt");
    }

    static final int JB = 2, JE = 4, JNE = 5;

    static byte[] load(CpuTestRig rig, Seq s) {
        byte[] code = s.layout(CODE);
        rig.code(code);
        return code;
    }

    // ------------------------------------------------------------------ tests

    /**
     * A loop that calls a function on another page, 2000 times, then rewrites the function's
     * immediate and runs the same loop again, all by the vCPU's own dispatch loop
     * ({@link Interpreter#run}), where regions go straight on to the next. The loop's region
     * must not go on to the function's old region the second time.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void regionsGoingStraightOnSeeRewrittenCode(String engine, JitConfig jit) {
        int n = 2000;
        try (CpuTestRig rig = new CpuTestRig(jit)) {
            long f = CODE + 0x10000;
            Seq s = seq();
            Label pass = new Label("pass"), loop = new Label("loop");
            s.add(b(Encoder.op(0xBE).imm(2, 4)), "mov esi, 2");
            s.bind(pass);
            s.add(b(Encoder.op(0xB9).imm(n, 4)), "mov ecx, n");
            s.bind(loop);
            s.ripTo(new byte[] {(byte) 0xE8, 0, 0, 0, 0}, 1, f, "call f");
            s.add(b(Encoder.op(0x01).osize(8).reg(RAX, false).rm(RBX, false)), "add rbx, rax");
            s.add(b(Encoder.op(0xFF).ext(1).rm(RCX, false)), "dec ecx");
            jcc(s, JNE, loop);
            s.add(b(Encoder.op(0xC7).ext(0).mem(new Mem(-1, -1, 0, f + 1, 4)).imm(7, 4)), "mov dword [f+1], 7");
            s.add(b(Encoder.op(0xFF).ext(1).rm(RSI, false)), "dec esi");
            jcc(s, JNE, pass);
            hlt(s);
            load(rig, s);
            rig.mem.load(f, new byte[] {(byte) 0xB8, 1, 0, 0, 0, (byte) 0xC3}); // f: mov eax, 1; ret
            rig.cpu.invalidateDecodedCode();
            rig.cpu.hooks = new CpuHooks() {
                @Override
                public void idle(Cpu c) {
                    c.raiseEvent(Interpreter.EV_STOP); // the HLT at the end
                }
            };
            Interpreter.run(rig.cpu);
            assertEquals(n * 1L + n * 7L, rig.cpu.r[RBX], engine + ": the second loop calls the rewritten function");
            if (jit.enabled()) {
                assertTrue(rig.cpu.regionLinks > n, engine + ": regions went straight on to the next ("
                        + rig.cpu.regionLinks + " times)");
            }
        }
    }

    /**
     * A loop whose body is one straight-line block too large for one region's method: the
     * region holds as much of it as fits and leaves for the rest, rather than leaving the whole
     * block to the interpreter.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void blockTooLargeForARegionIsCut(String engine, JitConfig jit) {
        int n = 300, adds = 60;
        try (CpuTestRig rig = new CpuTestRig(jit)) {
            Seq s = seq();
            Label loop = new Label("loop");
            s.add(b(Encoder.op(0xBF).imm(DATA, 4)), "mov edi, DATA");
            s.add(b(Encoder.op(0xB9).imm(n, 4)), "mov ecx, n");
            s.bind(loop);
            for (int k = 0; k < adds; k++) {
                s.add(b(Encoder.op(0x81).ext(0).osize(8).mem(new Mem(RDI, -1, 0, 8L * k, 4)).imm(k + 1, 4)),
                        "add qword [rdi+8k], k+1");
            }
            s.add(b(Encoder.op(0xFF).ext(1).rm(RCX, false)), "dec ecx");
            jcc(s, JNE, loop);
            hlt(s);
            load(rig, s);
            rig.run();
            for (int k = 0; k < adds; k++) {
                assertEquals((long) n * (k + 1), rig.mem.readLong(DATA + 8L * k), engine + ": word " + k);
            }
            if (jit.enabled()) {
                long head = CODE + loop.offset;
                List<Region> regions = rig.cpu.code.jit().regions();
                Region r = regions.stream().filter(x -> x.entry.linear == head).findFirst().orElse(null);
                assertTrue(r != null, engine + ": a region for the loop's block, among " + regions.size());
                assertTrue(r.guestInsns < adds + 2, engine + ": cut after " + r.guestInsns + " instructions");
            }
        }
    }

    /**
     * A loop dispatching through a jump table to eight cases, after a long function earlier on
     * the same page has run once. The region that holds the indirect jump must hold the cases the
     * jump went to, rather than whatever else ran on the page, so that the loop stays inside it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void jumpTableCasesJoinTheJumpsRegion(String engine, JitConfig jit) {
        int n = 4000, fillers = 60;
        long table = DATA + 0x800;
        try (CpuTestRig rig = new CpuTestRig(jit)) {
            Seq s = seq();
            Label start = new Label("start"), f = new Label("f"), loop = new Label("loop"), back = new Label("back");
            s.rel(new byte[] {(byte) 0xE9, 0, 0, 0, 0}, 1, start, "jmp start");
            // f: a chain of small blocks, each ending in a jump to the next; adds 1 to EAX per block.
            s.bind(f);
            for (int k = 0; k < fillers; k++) {
                Label next = new Label("f" + k);
                s.add(b(Encoder.op(0xFF).ext(0).rm(RAX, false)), "inc eax");
                s.rel(new byte[] {(byte) 0xE9, 0, 0, 0, 0}, 1, next, "jmp next");
                s.bind(next);
            }
            s.add(new byte[] {(byte) 0xC3}, "ret");
            s.bind(start);
            call(s, f);
            s.add(b(Encoder.op(0x31).reg(RBX, false).rm(RBX, false)), "xor ebx, ebx");
            s.add(b(Encoder.op(0xB9).imm(n, 4)), "mov ecx, n");
            s.bind(loop);
            s.add(b(Encoder.op(0x89).reg(RCX, false).rm(RDX, false)), "mov edx, ecx");
            s.add(b(Encoder.op(0x83).ext(4).rm(RDX, false).imm(7, 1)), "and edx, 7");
            s.add(b(Encoder.op(0xFF).ext(4).mem(new Mem(-1, RDX, 3, table, 4))), "jmp [table + rdx*8]");
            Label[] cases = new Label[8];
            for (int k = 0; k < 8; k++) {
                cases[k] = new Label("case" + k);
                s.bind(cases[k]);
                s.add(b(Encoder.op(0x81).ext(0).osize(8).rm(RBX, false).imm(k * k + 1, 4)), "add rbx, k*k+1");
                s.rel(new byte[] {(byte) 0xE9, 0, 0, 0, 0}, 1, back, "jmp back");
            }
            s.bind(back);
            s.add(b(Encoder.op(0xFF).ext(1).rm(RCX, false)), "dec ecx");
            jcc(s, JNE, loop);
            hlt(s);
            byte[] code = load(rig, s);
            assertTrue(code.length < 0x1000 - (CODE & 0xFFF), "one page");
            for (int k = 0; k < 8; k++) {
                rig.mem.writeLong(table + 8L * k, CODE + cases[k].offset);
            }
            rig.run();
            long sum = 0;
            for (int v = n; v > 0; v--) {
                sum += (v & 7) * (v & 7) + 1;
            }
            assertEquals(sum, rig.cpu.r[RBX], engine + ": the cases' sum");
            assertEquals(fillers, rig.cpu.r[RAX] & 0xFFFFFFFFL, engine + ": f ran once");
            if (jit.enabled() && jit.threshold() > 0) {
                long out = rig.cpu.regionExits[Cpu.EXIT_INDIRECT];
                assertTrue(out < n / 10, engine + ": the jump left its region " + out + " times in " + n);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void loopSummingAnArray(String engine, JitConfig jit) {
        int n = 1000;
        SplittableRandom rnd = new SplittableRandom(1);
        long[] values = new long[n];
        byte[] bytes = new byte[n];
        long expected = 0;
        int expectedBytes = 0;
        try (CpuTestRig rig = new CpuTestRig(jit)) {
            for (int k = 0; k < n; k++) {
                values[k] = rnd.nextLong();
                rig.mem.writeLong(DATA + 8L * k, values[k]);
                expected += values[k];
            }
            rnd.nextBytes(bytes);
            rig.mem.load(DATA + 0x4000, bytes);
            for (byte x : bytes) {
                expectedBytes += x; // movsx: signed bytes, 32-bit wrap
            }
            Seq s = seq();
            s.add(b(Encoder.op(0x31).reg(RAX, false).rm(RAX, false)), "xor eax, eax");
            s.add(b(Encoder.op(0x31).reg(RCX, false).rm(RCX, false)), "xor ecx, ecx");
            s.add(b(Encoder.op(0xB8).opReg(RDI, false).imm(DATA, 4)), "mov edi, DATA");
            Label l1 = new Label("sum");
            s.bind(l1);
            s.add(b(Encoder.op(0x03).osize(8).reg(RAX, false).mem(new Mem(RDI, RCX, 3, 0, 0))), "add rax, [rdi+rcx*8]");
            s.add(b(Encoder.op(0xFF).ext(0).osize(8).rm(RCX, false)), "inc rcx");
            s.add(b(Encoder.op(0x81).ext(7).osize(8).rm(RCX, false).imm(n, 4)), "cmp rcx, n");
            jcc(s, JB, l1);
            // The bytes, sign-extended, into a 32-bit sum.
            s.add(b(Encoder.op(0x31).reg(RBX, false).rm(RBX, false)), "xor ebx, ebx");
            s.add(b(Encoder.op(0xBE).imm(DATA + 0x4000, 4)), "mov esi, DATA+0x4000");
            s.add(b(Encoder.op(0xB9).imm(n, 4)), "mov ecx, n");
            Label l2 = new Label("bytes");
            s.bind(l2);
            s.add(b(Encoder.op(0x0F, 0xBE).reg(RDX, false).mem(Mem.of(RSI, 0))), "movsx edx, byte [rsi]");
            s.add(b(Encoder.op(0x01).reg(RDX, false).rm(RBX, false)), "add ebx, edx");
            s.add(b(Encoder.op(0xFF).ext(0).osize(8).rm(RSI, false)), "inc rsi");
            s.add(b(Encoder.op(0xFF).ext(1).rm(RCX, false)), "dec ecx");
            jcc(s, JNE, l2);
            hlt(s);
            load(rig, s);
            rig.cpu.r[RBX] = -1;
            rig.run();
            assertEquals(expected, rig.cpu.r[RAX], engine);
            assertEquals(expectedBytes & 0xFFFFFFFFL, rig.cpu.r[RBX], "32-bit sum, upper half cleared");
            assertEquals(0, rig.cpu.r[RCX]);
            assertEquals(DATA + 0x4000 + n, rig.cpu.r[RSI]);
            // The last flag writer is "dec ecx" from 1 to 0; the CF it keeps is the last "cmp rcx, n" (no borrow).
            assertEquals(decFlags(1, 0), rig.flags() & ARITH);
            assertTrue(rig.vectors.isEmpty());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void nestedLoopsFillAMatrix(String engine, JitConfig jit) {
        int rows = 37, cols = 29;
        int mul = 0x9E3779B1;
        try (CpuTestRig rig = new CpuTestRig(jit)) {
            Seq s = seq();
            s.add(b(Encoder.op(0xB8).opReg(RDI, false).imm(DATA, 4)), "mov edi, DATA");
            s.add(b(Encoder.op(0x31).reg(RBX, false).rm(RBX, false)), "xor ebx, ebx");
            s.add(b(Encoder.op(0x31).reg(8, false).rm(8, false)), "xor r8d, r8d");
            Label outer = new Label("outer"), inner = new Label("inner");
            s.bind(outer);
            s.add(b(Encoder.op(0x31).reg(9, false).rm(9, false)), "xor r9d, r9d");
            s.bind(inner);
            s.add(b(Encoder.op(0x69).reg(RAX, false).rm(8, false).imm(cols, 4)), "imul eax, r8d, cols");
            s.add(b(Encoder.op(0x01).reg(9, false).rm(RAX, false)), "add eax, r9d");
            s.add(b(Encoder.op(0x69).reg(RDX, false).rm(RAX, false).imm(mul, 4)), "imul edx, eax, mul");
            s.add(b(Encoder.op(0x31).reg(RAX, false).rm(RDX, false)), "xor edx, eax");
            s.add(b(Encoder.op(0xC1).ext(0).rm(RDX, false).imm(5, 1)), "rol edx, 5");
            s.add(b(Encoder.op(0x89).reg(RDX, false).mem(new Mem(RDI, RAX, 2, 0, 0))), "mov [rdi+rax*4], edx");
            s.add(b(Encoder.op(0x01).osize(8).reg(RDX, false).rm(RBX, false)), "add rbx, rdx");
            s.add(b(Encoder.op(0xFF).ext(0).rm(9, false)), "inc r9d");
            s.add(b(Encoder.op(0x83).ext(7).rm(9, false).imm(cols, 1)), "cmp r9d, cols");
            jcc(s, JB, inner);
            s.add(b(Encoder.op(0xFF).ext(0).rm(8, false)), "inc r8d");
            s.add(b(Encoder.op(0x83).ext(7).rm(8, false).imm(rows, 1)), "cmp r8d, rows");
            jcc(s, JB, outer);
            hlt(s);
            load(rig, s);
            rig.run();
            long sum = 0;
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    int idx = i * cols + j;
                    int v = Integer.rotateLeft(idx * mul ^ idx, 5);
                    assertEquals(v, rig.mem.readInt(DATA + 4L * idx), engine + ": element " + i + "," + j);
                    sum += v & 0xFFFFFFFFL;
                }
            }
            assertEquals(sum, rig.cpu.r[RBX]);
            assertEquals(rows, rig.cpu.r[8]);
            assertEquals(cols, rig.cpu.r[9]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void callsIntoAFunctionOnTheSamePage(String engine, JitConfig jit) {
        int n = 500;
        try (CpuTestRig rig = new CpuTestRig(jit)) {
            Seq s = seq();
            Label f = new Label("f"), top = new Label("top"), odd = new Label("odd");
            s.add(b(Encoder.op(0xB8).opReg(RSI, false).imm(DATA, 4)), "mov esi, DATA");
            s.add(b(Encoder.op(0x31).reg(RCX, false).rm(RCX, false)), "xor ecx, ecx");
            s.bind(top);
            s.add(b(Encoder.op(0x8B).osize(8).reg(RDI, false).rm(RCX, false)), "mov rdi, rcx");
            call(s, f);
            s.add(b(Encoder.op(0x89).osize(8).reg(RAX, false).mem(new Mem(RSI, RCX, 3, 0, 0))), "mov [rsi+rcx*8], rax");
            s.add(b(Encoder.op(0xFF).ext(0).osize(8).rm(RCX, false)), "inc rcx");
            s.add(b(Encoder.op(0x81).ext(7).osize(8).rm(RCX, false).imm(n, 4)), "cmp rcx, n");
            jcc(s, JB, top);
            hlt(s);
            // f(rdi) = 3*rdi*rdi + 7, xor 0x55 for odd rdi; keeps RCX, RSI.
            s.bind(f);
            s.add(b(Encoder.op(0x0F, 0xAF).osize(8).reg(RDI, false).rm(RDI, false)), "imul rdi, rdi");
            s.add(b(Encoder.op(0x8D).osize(8).reg(RAX, false).mem(new Mem(RDI, RDI, 1, 7, 0))), "lea rax, [rdi+rdi*2+7]");
            s.add(b(Encoder.op(0xF6).ext(0).rm(RCX, true).imm(1, 1)), "test cl, 1");
            Seq skip = seq();
            skip.add(b(Encoder.op(0x83).ext(6).osize(8).rm(RAX, false).imm(0x55, 1)), "xor rax, 0x55");
            s.add(new byte[] {0x74, (byte) skip.length}, "je +");
            s.append(skip);
            s.bind(odd);
            s.add(new byte[] {(byte) 0xC3}, "ret");
            byte[] code = load(rig, s);
            assertTrue(code.length < 0x1000 - (CODE & 0xFFF), "one page");
            rig.run();
            for (int k = 0; k < n; k++) {
                long v = 3L * k * k + 7;
                if ((k & 1) != 0) {
                    v ^= 0x55;
                }
                assertEquals(v, rig.mem.readLong(DATA + 8L * k), engine + ": f(" + k + ")");
            }
            assertEquals(CpuTestRig.STACK, rig.cpu.r[RSP], "calls and returns balance");
        }
    }

    /** The loop rewrites the immediate of its own first instruction; every iteration must see the last store. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void loopRewritingAnImmediateInItself(String engine, JitConfig jit) {
        int n = 200, initial = 12345;
        try (CpuTestRig rig = new CpuTestRig(jit)) {
            Seq s = seq();
            Label top = new Label("top"), ahead = new Label("ahead");
            s.add(b(Encoder.op(0x31).reg(RBX, false).rm(RBX, false)), "xor ebx, ebx");
            s.add(b(Encoder.op(0x31).reg(RSI, false).rm(RSI, false)), "xor esi, esi");
            s.add(b(Encoder.op(0xB8).opReg(8, false).imm(n, 4)), "mov r8d, n");
            s.bind(top);
            s.add(b(Encoder.op(0xB8).imm(initial, 4)), "mov eax, imm32 (rewritten)");
            s.add(b(Encoder.op(0x01).osize(8).reg(RAX, false).rm(RBX, false)), "add rbx, rax");
            s.add(b(Encoder.op(0x69).reg(RDX, false).rm(RAX, false).imm(3, 4)), "imul edx, eax, 3");
            s.add(b(Encoder.op(0x01).reg(8, false).rm(RDX, false)), "add edx, r8d");
            s.rel(b(Encoder.op(0x89).reg(RDX, false).mem(new Mem(Encoder.RIP, -1, 0, 0, 4))), 2, top, "mov [rip -> top+1], edx");
            s.last().targetDelta = 1;
            // A store patching the very next instruction of the same block.
            byte[] st = b(Encoder.op(0x88).reg(8, true).mem(new Mem(Encoder.RIP, -1, 0, 0, 4)));
            s.rel(st, st.length - 4, ahead, "mov byte [rip -> ahead+1], r8b");
            s.last().targetDelta = 1;
            s.bind(ahead);
            s.add(b(Encoder.op(0xB1).imm(0, 1)), "mov cl, imm8 (rewritten just before)");
            s.add(b(Encoder.op(0x0F, 0xB6).reg(RCX, false).rm(RCX, true)), "movzx ecx, cl");
            s.add(b(Encoder.op(0x01).osize(8).reg(RCX, false).rm(RSI, false)), "add rsi, rcx");
            s.add(b(Encoder.op(0xFF).ext(1).osize(8).rm(8, false)), "dec r8");
            jcc(s, JNE, top);
            hlt(s);
            load(rig, s);
            rig.run();
            long sum = 0, bytes = 0;
            int imm = initial;
            for (int it = n; it >= 1; it--) {
                sum += imm & 0xFFFFFFFFL;
                imm = imm * 3 + it;
                bytes += it & 0xFF;
            }
            assertEquals(sum, rig.cpu.r[RBX], engine + ": the immediate stored by each iteration is used by the next");
            assertEquals(bytes, rig.cpu.r[RSI], engine + ": a store to the next instruction is seen by it");
        }
    }

    /**
     * Another vCPU stores into the page of a hot loop between two runs of it, through its own
     * guest store (its soft-TLB had a write entry for that page from before).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void storeFromAnotherVcpuIntoTheRegionsPage(String engine, JitConfig jit) {
        int n = 300;
        try (GuestMemory mem = new GuestMemory(MemoryLayout.of(16 * MemoryLayout.MIB))) {
            CodeCache shared = new CodeCache(jit);
            CpuidModel model = CpuidModel.max(2_500_000, 2);
            Cpu runner = new Cpu(0, mem, new PortBus(), new Bus("MMIO"), model, shared, true);
            Cpu writer = new Cpu(1, mem, new PortBus(), new Bus("MMIO"), model, shared, true);
            FlatLongMode.enter(runner, mem, 0, 1);
            FlatLongMode.enter(writer, mem, 0, 1);
            Seq s = seq();
            Label top = new Label("top"), f = new Label("f");
            s.add(b(Encoder.op(0x31).reg(RBX, false).rm(RBX, false)), "xor ebx, ebx");
            s.add(b(Encoder.op(0xB9).imm(n, 4)), "mov ecx, n");
            s.bind(top);
            call(s, f);
            s.add(b(Encoder.op(0x01).osize(8).reg(RAX, false).rm(RBX, false)), "add rbx, rax");
            s.add(new byte[] {(byte) 0xE2, 0}, "loop top");
            int loopAt = s.length - 2;
            hlt(s);
            s.bind(f);
            s.add(b(Encoder.op(0xB8).imm(7, 4)), "mov eax, 7");
            s.add(new byte[] {(byte) 0xC3}, "ret");
            byte[] code = s.layout(CODE);
            code[loopAt + 1] = (byte) -(loopAt + 2 - top.offset);
            // The writer touches the code page as data first: it holds a write entry for it.
            writer.write8(CODE + 0x800, 0);
            mem.load(CODE, code);
            runner.r[RSP] = 0x200000;
            runAlone(runner, CODE);
            assertEquals(7L * n, runner.r[RBX]);
            // The writer's guest store: mov dword [f+1], 11 ; hlt (its code on another page).
            long patch = 0x180000;
            mem.load(patch, Encoder.op(0xC7).ext(0).mem(new Mem(-1, -1, 0, CODE + f.offset + 1, 4)).imm(11, 4).build());
            mem.writeByte(patch + 11, 0xF4);
            writer.r[RSP] = 0x300000;
            runAlone(writer, patch);
            runAlone(runner, CODE);
            assertEquals(11L * n, runner.r[RBX], engine + ": the runner runs the rewritten function");
        }
    }

    /**
     * The SDM's cross-modifying protocol (vol. 3, 9.1.3) between two vCPU threads: the writer
     * rewrites a function on the page of the runner's spinning loop, then sets a flag; the
     * runner sees the flag, serializes (CPUID) and calls the function, which must be the new one.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void crossModifyingCodeWhileTheRunnerSpins(String engine, JitConfig jit) throws Exception {
        try (GuestMemory mem = new GuestMemory(MemoryLayout.of(16 * MemoryLayout.MIB))) {
            CodeCache shared = new CodeCache(jit);
            CpuidModel model = CpuidModel.max(2_500_000, 2);
            Cpu runner = new Cpu(0, mem, new PortBus(), new Bus("MMIO"), model, shared, true);
            Cpu writer = new Cpu(1, mem, new PortBus(), new Bus("MMIO"), model, shared, true);
            FlatLongMode.enter(runner, mem, 0, 1);
            FlatLongMode.enter(writer, mem, 0, 1);
            long flag = DATA, writerCode = 0x180000;
            Seq s = seq();
            Label f = new Label("f"), spin = new Label("spin"), warm = new Label("warm");
            // Warm up: call f many times so it and the loop below are hot.
            s.add(b(Encoder.op(0xB9).imm(1000, 4)), "mov ecx, 1000");
            s.bind(warm);
            call(s, f);
            s.add(new byte[] {(byte) 0xE2, 0}, "loop warm");
            int loopAt = s.length - 2;
            s.bind(spin);
            s.add(new byte[] {(byte) 0xF3, (byte) 0x90}, "pause");
            s.add(b(Encoder.op(0x83).ext(7).mem(new Mem(-1, -1, 0, flag, 4)).imm(0, 1)), "cmp dword [flag], 0");
            jcc(s, JE, spin);
            s.add(b(Encoder.op(0x31).reg(RAX, false).rm(RAX, false)), "xor eax, eax");
            s.add(new byte[] {0x0F, (byte) 0xA2}, "cpuid");
            call(s, f);
            hlt(s);
            s.bind(f);
            s.add(b(Encoder.op(0xB8).opReg(RDX, false).imm(1, 4)), "mov edx, 1");
            s.add(new byte[] {(byte) 0xC3}, "ret");
            byte[] code = s.layout(CODE);
            code[loopAt + 1] = (byte) -(loopAt + 2 - warm.offset);
            mem.load(CODE, code);
            // Writer: mov dword [f+1], 2 ; mov dword [flag], 1 ; hlt
            Seq w = seq();
            w.add(b(Encoder.op(0xC7).ext(0).mem(new Mem(-1, -1, 0, CODE + f.offset + 1, 4)).imm(2, 4)), "mov dword [f+1], 2");
            w.add(b(Encoder.op(0xC7).ext(0).mem(new Mem(-1, -1, 0, flag, 4)).imm(1, 4)), "mov dword [flag], 1");
            hlt(w);
            mem.load(writerCode, w.layout(writerCode));
            runner.r[RSP] = 0x200000;
            writer.r[RSP] = 0x300000;
            runner.rip = CODE;
            writer.rip = writerCode;
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread rt = Thread.ofPlatform().name("runner").start(() -> runGuarded(runner, failure));
            // Let the runner get hot and spin before the writer starts (any order is correct).
            Thread.sleep(100);
            Thread wt = Thread.ofPlatform().name("writer").start(() -> runGuarded(writer, failure));
            wt.join(30_000);
            rt.join(30_000);
            boolean stuck = rt.isAlive() || wt.isAlive();
            if (stuck) {
                runner.raiseEvent(Interpreter.EV_STOP);
                writer.raiseEvent(Interpreter.EV_STOP);
            }
            assertFalse(stuck, engine + ": a vCPU did not reach its HLT");
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(2, runner.r[RDX], engine + ": after the flag and a serializing instruction the new code runs");
        }
    }

    private static void runGuarded(Cpu c, AtomicReference<Throwable> failure) {
        try {
            while (!c.halted) {
                if (c.events != 0 && !Interpreter.handleEvents(c)) {
                    return;
                }
                Interpreter.step(c);
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }

    private static void runAlone(Cpu c, long rip) {
        c.rip = rip;
        c.halted = false;
        long limit = c.instructions + 10_000_000;
        while (!c.halted && c.instructions < limit) {
            if (c.events != 0) {
                Interpreter.handleEvents(c);
            }
            Interpreter.step(c);
        }
        assertTrue(c.halted, "reached HLT");
    }

    /** A load walks into an unmapped page after many iterations: #PF with the state of that iteration. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void pageFaultInAHotLoop(String engine, JitConfig jit) {
        int good = 700, extra = 10;
        long end = 0x1000000; // the rig maps the first 16 MiB only
        long start = end - 8L * good;
        SplittableRandom rnd = new SplittableRandom(2);
        try (CpuTestRig rig = new CpuTestRig(jit)) {
            long sum = 0;
            for (int k = 0; k < good; k++) {
                long v = rnd.nextLong();
                rig.mem.writeLong(start + 8L * k, v);
                sum += v;
            }
            Seq s = seq();
            Label top = new Label("top");
            s.add(b(Encoder.op(0xB8).opReg(RSI, false).imm(start, 4)), "mov esi, start");
            s.add(b(Encoder.op(0xB9).imm(good + extra, 4)), "mov ecx, good+extra");
            s.add(b(Encoder.op(0x31).reg(RBX, false).rm(RBX, false)), "xor ebx, ebx");
            s.bind(top);
            s.add(b(Encoder.op(0x8B).osize(8).reg(RAX, false).mem(Mem.of(RSI, 0))), "mov rax, [rsi]");
            int loadAt = s.length - s.last().bytes.length;
            s.add(b(Encoder.op(0x01).osize(8).reg(RAX, false).rm(RBX, false)), "add rbx, rax");
            s.add(b(Encoder.op(0x83).ext(0).osize(8).rm(RSI, false).imm(8, 1)), "add rsi, 8");
            s.add(b(Encoder.op(0xFF).ext(1).rm(RCX, false)), "dec ecx");
            jcc(s, JNE, top);
            hlt(s);
            load(rig, s);
            rig.run();
            assertEquals(List.of(14), rig.vectors, engine);
            assertEquals(List.of(0), rig.errorCodes, "not present, read, supervisor");
            assertEquals(end, rig.cpu.cr2);
            assertEquals(sum, rig.cpu.r[RBX], "the loads before the faulting one were summed");
            assertEquals(end, rig.cpu.r[RSI]);
            assertEquals(extra, rig.cpu.r[RCX]);
            Frame fr = frame(rig, true);
            assertEquals(CODE + loadAt, fr.rip, "RIP of the faulting load");
            // Flags as the last "dec ecx" (extra+1 -> extra) left them; DEC keeps CF from "add rsi, 8" (no carry).
            assertEquals(decFlags(extra + 1, 0), fr.rflags & ARITH);
        }
    }

    /** A divisor computed from the loop counter reaches 0 on a late iteration: #DE with that iteration's state. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void divideErrorInAHotLoop(String engine, JitConfig jit) {
        int n = 600, zeroAt = 5;
        try (CpuTestRig rig = new CpuTestRig(jit)) {
            Seq s = seq();
            Label top = new Label("top");
            s.add(b(Encoder.op(0xB9).imm(n, 4)), "mov ecx, n");
            s.add(b(Encoder.op(0x31).reg(11, false).rm(11, false)), "xor r11d, r11d");
            s.bind(top);
            s.add(b(Encoder.op(0xB8).imm(1_000_000, 4)), "mov eax, 1000000");
            s.add(b(Encoder.op(0x31).reg(RDX, false).rm(RDX, false)), "xor edx, edx");
            s.add(b(Encoder.op(0x89).reg(RCX, false).rm(10, false)), "mov r10d, ecx");
            s.add(b(Encoder.op(0x83).ext(5).rm(10, false).imm(zeroAt, 1)), "sub r10d, zeroAt");
            s.add(b(Encoder.op(0xF7).ext(6).rm(10, false)), "div r10d");
            int divAt = s.length - s.last().bytes.length;
            s.add(b(Encoder.op(0x01).osize(8).reg(RAX, false).rm(11, false)), "add r11, rax");
            s.add(b(Encoder.op(0xFF).ext(1).rm(RCX, false)), "dec ecx");
            jcc(s, JNE, top);
            hlt(s);
            load(rig, s);
            rig.run();
            long sum = 0;
            for (int c = n; c > zeroAt; c--) {
                sum += 1_000_000 / (c - zeroAt);
            }
            assertEquals(List.of(0), rig.vectors, engine);
            assertEquals(sum, rig.cpu.r[11], "the quotients before the faulting division");
            assertEquals(zeroAt, rig.cpu.r[RCX]);
            assertEquals(1_000_000, rig.cpu.r[RAX], "the dividend is left alone");
            Frame fr = frame(rig, false);
            assertEquals(CODE + divAt, fr.rip, "RIP of the faulting DIV");
            assertEquals(ZF | PF, fr.rflags & ARITH, "flags of sub r10d, zeroAt giving 0");
        }
    }

    record Frame(long rip, long rflags) {
    }

    static Frame frame(CpuTestRig rig, boolean errorCode) {
        long sp = rig.cpu.r[RSP] + (errorCode ? 8 : 0);
        return new Frame(rig.mem.readLong(sp), rig.mem.readLong(sp + 16));
    }

    /** The arithmetic flags of a 32-bit DEC of {@code v}, with the CF it keeps. */
    static long decFlags(long v, long cf) {
        int res = (int) v - 1;
        long f = cf;
        if (res == 0) {
            f |= ZF;
        }
        if (res < 0) {
            f |= SF;
        }
        if ((Integer.bitCount(res & 0xFF) & 1) == 0) {
            f |= PF;
        }
        if (((v ^ 1 ^ res) & 0x10) != 0) {
            f |= AF;
        }
        if ((int) v == Integer.MIN_VALUE) {
            f |= OF;
        }
        return f;
    }
}
