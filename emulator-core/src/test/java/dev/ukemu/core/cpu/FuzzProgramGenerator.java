package dev.ukemu.core.cpu;

import dev.ukemu.core.cpu.FuzzCode.Label;
import dev.ukemu.core.cpu.FuzzCode.Seq;
import dev.ukemu.core.cpu.oracle.Encoder;
import dev.ukemu.core.cpu.oracle.Encoder.Mem;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Random but valid 64-bit guest programs for {@link JitDifferentialTest}: integer instructions
 * of every operand size and memory form, bounded loops (nested, counted in reserved registers
 * or in memory), forward branches, calls, stack pairs, string operations, self-modifying stores,
 * a few instructions only the interpreter knows, and deliberate faults (#PF, #GP, #DE, #UD),
 * some only after a loop has run many times.
 *
 * <p>Register discipline: RSP is the stack; a base register (pointing into the data area) and
 * one loop counter per nesting depth are picked per program from RBP and R8-R15 and are never
 * written by the random instructions, which write the others freely (RAX-RDI are never
 * reserved, so instructions with implicit operands always have them). Memory operands reach the
 * data area through every addressing form; their index and pointer registers are set up by the
 * instructions just before, some masked so the address depends on computed values.
 */
final class FuzzProgramGenerator {
    static final long CODE = CpuTestRig.CODE;
    /** Two read-write pages of data, a page that is not mapped, a read-only page, the control page. */
    static final long DATA = CpuTestRig.DATA, DATA_END = DATA + 0x2000, HOLE = DATA + 0x2000, RO = DATA + 0x3000,
            CTL = DATA + 0x4000;
    /** Loop counters in memory by depth, then the function-pointer table. */
    static final long CTL_COUNTERS = CTL, CTL_TABLE = CTL + 0x100;
    static final int MAX_DEPTH = 3, MAX_MAIN = 2600, MAX_FUNCTIONS = 6;
    static final int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;
    static final int AH = Encoder.AH;

    static final String[] R64 = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};
    static final String[] R32 = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
        "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"};
    static final String[] R16 = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
        "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"};
    static final String[] R8 = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
        "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b", "ah", "ch", "dh", "bh"};
    static final String[] CC = {"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"};
    static final String[] ALU = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
    static final String[] SHIFT = {"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"};

    /** A generated program: its code, where the function-pointer slots point, its listing. */
    record Program(byte[] code, Seq seq, List<Long> tableSlots, List<Label> tableTargets, long baseAddr, int base,
            String summary) {
        /** The item that starts at guest address {@code rip}, or -1. */
        int itemAt(long rip) {
            long off = rip - CODE;
            for (int k = 0; k < seq.items.size(); k++) {
                FuzzCode.Item i = seq.items.get(k);
                if (i.bytes.length > 0 && i.offset == off) {
                    return k;
                }
            }
            return -1;
        }

        String listing() {
            StringBuilder sb = new StringBuilder();
            for (FuzzCode.Item i : seq.items) {
                if (i.bytes.length == 0) {
                    sb.append(String.format("%29s %s%n", "", i.text));
                } else {
                    sb.append(String.format("  %08x  %-44s %s%n", CODE + i.offset, FuzzCode.hex(i.bytes), i.text));
                }
            }
            return sb.toString();
        }
    }

    /** A register or memory operand; {@code rip} marks a RIP-relative memory operand reaching {@code target}. */
    record Rm(int reg, Mem mem, boolean rip, long target, String text, boolean byteReg) {
        boolean isMem() {
            return mem != null;
        }
    }

    /** An enclosing loop's counter: a reserved register, or a control-page slot. */
    record Counter(int reg, long slot) {
    }

    private final Random r;
    private final boolean[] reserved = new boolean[16];
    private final int base;
    private final long baseAddr;
    private final int[] counterReg = new int[MAX_DEPTH];
    private final List<Counter> loops = new ArrayList<>();
    private final List<Seq> functions = new ArrayList<>();
    private final List<Label> functionLabels = new ArrayList<>();
    private final List<Long> functionDyn = new ArrayList<>();
    private final List<Integer> functionArgs = new ArrayList<>();
    private final List<Long> tableSlots = new ArrayList<>();
    private final List<Label> tableTargets = new ArrayList<>();
    private final boolean faults;
    /**
     * Stores into the code: every one drops the decoded (and compiled) code of its page, so
     * loops that do it run few times, and only a quarter of the programs have them.
     */
    private final boolean smcAllowed;
    private int labels;
    private boolean inFunction;
    private long budget;

    FuzzProgramGenerator(Random r) {
        this.r = r;
        reserved[RSP] = true;
        List<Integer> pool = new ArrayList<>(List.of(RBP, 8, 9, 10, 11, 12, 13, 14, 15));
        java.util.Collections.shuffle(pool, r);
        base = pool.get(0);
        reserved[base] = true;
        for (int d = 0; d < MAX_DEPTH; d++) {
            counterReg[d] = r.nextInt(3) == 0 ? -1 : pool.get(1 + d);
            if (counterReg[d] >= 0) {
                reserved[counterReg[d]] = true;
            }
        }
        baseAddr = DATA + 0x800 + r.nextInt(0x1000);
        faults = r.nextInt(3) != 0;
        smcAllowed = r.nextInt(4) == 0;
    }

    Program generate() {
        budget = 1000 + r.nextInt(r.nextInt(4) == 0 ? 60_000 : 20_000);
        Seq main = new Seq();
        while (main.dyn < budget && main.length < MAX_MAIN) {
            Seq s = segment(0);
            if (main.length + s.length > MAX_MAIN + 400) {
                break;
            }
            main.append(s);
        }
        main.add(new byte[] {(byte) 0xF4}, "hlt");
        if (!functions.isEmpty()) {
            int fl = 0;
            for (Seq f : functions) {
                fl += f.length;
            }
            if (main.length < 0xF00 && fl < 0xE00 && r.nextInt(3) == 0) {
                // Put the functions on the next page (or across the page boundary).
                int pad = 0x1000 - main.length - (r.nextBoolean() ? 0 : r.nextInt(24));
                byte[] hlts = new byte[pad];
                java.util.Arrays.fill(hlts, (byte) 0xF4);
                main.add(new FuzzCode.Item(hlts, "(padding: hlt x " + pad + ")"));
            }
            for (Seq f : functions) {
                main.append(f);
            }
        }
        byte[] code = main.layout(CODE);
        if (code.length > 0x2000) {
            throw new IllegalStateException("program too long: " + code.length);
        }
        String summary = String.format("base %s=0x%x, counters %s/%s/%s, %d bytes, %d functions, ~%d instructions%s",
                R64[base], baseAddr, counterName(0), counterName(1), counterName(2), code.length, functions.size(),
                main.dyn, faults ? ", faults" : "");
        return new Program(code, main, tableSlots, tableTargets, baseAddr, base, summary);
    }

    private String counterName(int d) {
        return counterReg[d] < 0 ? "mem" : R64[counterReg[d]];
    }

    // ------------------------------------------------------------------ segments

    /** One piece of program at loop depth {@code depth}. */
    private Seq segment(int depth) {
        while (true) {
            int k = r.nextInt(100);
            Seq s;
            if (k < 30) {
                s = straight(1 + r.nextInt(6));
            } else if (k < 48) {
                s = depth < MAX_DEPTH && !inFunction ? loop(depth) : null;
            } else if (k < 58) {
                s = ifSkip(depth);
            } else if (k < 63) {
                s = ifElse(depth);
            } else if (k < 71) {
                s = inFunction ? null : call(depth);
            } else if (k < 76) {
                s = stackPair();
            } else if (k < 80) {
                s = stringOp();
            } else if (k < 83) {
                s = smcAllowed ? smc() : null;
            } else if (k < 86) {
                s = indirectJump();
            } else if (k < 89) {
                s = loops.size() == 1 && depth == 1 && faults ? guardedFault() : null;
            } else if (k < 91) {
                s = depth == 0 && faults && !inFunction ? walkLoop(depth) : null;
            } else if (k < 94) {
                s = loopInsn(depth);
            } else if (k < 97) {
                s = interpreterOnly();
            } else {
                s = depth == 0 && faults && !inFunction ? faulting() : null;
            }
            if (s != null) {
                return s;
            }
        }
    }

    private Seq body(int depth, int segments) {
        Seq s = new Seq();
        for (int k = 0; k < segments; k++) {
            s.append(segment(depth));
        }
        return s;
    }

    private Seq straight(int n) {
        Seq s = new Seq();
        for (int k = 0; k < n; k++) {
            s.append(insn(this::randomInsn));
        }
        return s;
    }

    /** A counted loop; its body may nest loops, calls, branches. */
    private Seq loop(int depth) {
        Counter c = counterReg[depth] >= 0 ? new Counter(counterReg[depth], -1) : new Counter(-1, CTL_COUNTERS + 8L * depth);
        loops.add(c);
        Seq b = body(depth + 1, 1 + r.nextInt(depth == 0 ? 5 : 3));
        loops.remove(loops.size() - 1);
        long per = Math.max(1, b.dyn + 2);
        long room = Math.max(1, (budget / 2) / per);
        int max = (int) Math.min(b.smc ? (depth == 0 ? 12 : 4) : depth == 0 ? 300 : 40, room);
        int n = 1 + r.nextInt(Math.max(1, max));
        if (r.nextInt(5) == 0) {
            n = Math.max(1, max);
        }
        Seq s = new Seq();
        Label top = label("loop");
        if (c.reg >= 0) {
            s.add(Encoder.op(0xC7).ext(0).rm(c.reg, false).osize(r.nextBoolean() ? 8 : 4).imm(n, 4).build(),
                    "mov " + R64[c.reg] + ", " + n);
        } else {
            s.add(Encoder.op(0xC7).ext(0).mem(Mem.of(-1, c.slot)).osize(8).imm(n, 4).build(),
                    "mov qword [0x" + Long.toHexString(c.slot) + "], " + n);
        }
        s.bind(top);
        s.append(b);
        Seq tail = new Seq();
        if (c.reg >= 0) {
            String cn = R64[c.reg];
            switch (r.nextInt(5)) {
                case 0 -> tail.add(Encoder.op(0xFF).ext(1).rm(c.reg, false).osize(8).build(), "dec " + cn);
                case 1 -> tail.add(Encoder.op(0x83).ext(5).rm(c.reg, false).osize(8).imm(1, 1).build(), "sub " + cn + ", 1");
                case 2 -> tail.add(Encoder.op(0x83).ext(0).rm(c.reg, false).osize(8).imm(-1, 1).build(), "add " + cn + ", -1");
                case 3 -> {
                    tail.add(Encoder.op(0x8D).reg(c.reg, false).mem(Mem.of(c.reg, -1)).osize(8).build(), "lea " + cn + ", [" + cn + "-1]");
                    tail.add(Encoder.op(0x85).reg(c.reg, false).rm(c.reg, false).osize(8).build(), "test " + cn + ", " + cn);
                }
                default -> tail.add(Encoder.op(0xFF).ext(1).rm(c.reg, false).build(), "dec " + R32[c.reg]);
            }
        } else {
            String sl = "[0x" + Long.toHexString(c.slot) + "]";
            if (r.nextBoolean()) {
                tail.add(Encoder.op(0xFF).ext(1).mem(Mem.of(-1, c.slot)).osize(8).build(), "dec qword " + sl);
            } else {
                tail.ripTo(Encoder.op(0x83).ext(5).mem(new Mem(Encoder.RIP, -1, 0, 0, 4)).imm(1, 1).build(), 2, c.slot,
                        "sub dword [rip -> " + sl + "], 1");
            }
        }
        s.append(tail);
        int back = s.length - lengthBefore(s, top);
        s.append(jccBack(5, back, top)); // jnz top
        s.dyn = 1 + (long) n * (b.dyn + tail.dyn + 1);
        return s;
    }

    /** LOOP/LOOPE/LOOPNE around a short body that keeps RCX. */
    private Seq loopInsn(int depth) {
        if (reserved[RCX] || inFunction) {
            return null;
        }
        reserved[RCX] = true;
        Seq b = straight(1 + r.nextInt(4));
        reserved[RCX] = false;
        if (b.length > 100) {
            return null;
        }
        int n = 1 + r.nextInt(depth == 0 ? 60 : 8);
        Seq s = new Seq();
        s.add(Encoder.op(0xB8).opReg(RCX, false).imm(n, 4).build(), "mov ecx, " + n);
        Label top = label("loop");
        s.bind(top);
        s.append(b);
        int kind = r.nextInt(4);
        int op = kind == 0 ? 0xE1 : kind == 1 ? 0xE0 : 0xE2;
        String name = kind == 0 ? "loope" : kind == 1 ? "loopne" : "loop";
        int rel = -(b.length + 2);
        if (r.nextInt(6) == 0) {
            s.add(new byte[] {0x67, (byte) op, (byte) (rel - 1)}, "addr32 " + name + " " + top.name);
        } else {
            s.add(new byte[] {(byte) op, (byte) rel}, name + " " + top.name);
        }
        s.dyn = 1 + (long) n * (b.dyn + 1);
        return s;
    }

    /** jcc over a body; sometimes JRCXZ or an unconditional jump over dead code. */
    private Seq ifSkip(int depth) {
        Seq b = body(depth, 1 + r.nextInt(2));
        Seq s = new Seq();
        int k = r.nextInt(10);
        if (k == 0 && b.length < 120) {
            s.add(new byte[] {(byte) 0xE3, (byte) b.length}, "jrcxz +" + b.length);
        } else if (k == 1 && b.length < 120) {
            s.add(new byte[] {0x67, (byte) 0xE3, (byte) b.length}, "jecxz +" + b.length);
        } else if (k == 2) {
            s.append(jmpFwd(b.length));
            s.dyn = 1;
            s.append(b);
            s.dyn = 1;
            return s;
        } else {
            s.append(jccFwd(r.nextInt(16), b.length));
        }
        s.append(b);
        return s;
    }

    private Seq ifElse(int depth) {
        Seq a = body(depth, 1 + r.nextInt(2));
        Seq b = body(depth, 1 + r.nextInt(2));
        Seq jEnd = jmpFwd(b.length);
        a.append(jEnd);
        Seq s = new Seq();
        s.append(jccFwd(r.nextInt(16), a.length));
        long dyn = 1 + Math.max(a.dyn, b.dyn);
        s.append(a).append(b);
        s.dyn = dyn;
        return s;
    }

    /** A call (direct, through a register, through the table) to a new or an existing function. */
    private Seq call(int depth) {
        int f;
        int args = r.nextInt(4) == 0 ? 1 + r.nextInt(2) : 0;
        if (functions.size() < MAX_FUNCTIONS && (functions.isEmpty() || r.nextInt(3) == 0)) {
            f = newFunction(args);
        } else {
            f = r.nextInt(functions.size());
            args = functionArgs.get(f);
        }
        Label target = functionLabels.get(f);
        Seq s = new Seq();
        for (int k = 0; k < args; k++) {
            s.add(Encoder.op(0x6A).imm(r.nextInt(256), 1).build(), "push imm8 (argument)");
        }
        switch (r.nextInt(6)) {
            case 0 -> {
                int reg = freeReg();
                s.absOf(Encoder.op(0xB8).opReg(reg, false).imm(0, 4).build(), reg >= 8 ? 2 : 1, target,
                        "mov " + R32[reg] + ", " + target.name);
                s.add(Encoder.op(0xFF).ext(2).rm(reg, false).build(), "call " + R64[reg]);
            }
            case 1 -> {
                int reg = freeReg();
                s.rel(Encoder.op(0x8D).reg(reg, false).mem(new Mem(Encoder.RIP, -1, 0, 0, 4)).osize(8).build(), 3, target,
                        "lea " + R64[reg] + ", [rip -> " + target.name + "]");
                s.add(Encoder.op(0xFF).ext(2).rm(reg, false).build(), "call " + R64[reg]);
            }
            case 2 -> {
                long slot = tableSlot(target);
                s.add(Encoder.op(0xFF).ext(2).mem(Mem.of(-1, slot)).build(), "call [0x" + Long.toHexString(slot) + "]");
            }
            default -> s.rel(new byte[] {(byte) 0xE8, 0, 0, 0, 0}, 1, target, "call " + target.name);
        }
        s.dyn += functionDyn.get(f);
        s.smc |= functions.get(f).smc;
        return s;
    }

    private int newFunction(int args) {
        Label l = label("f" + functions.size());
        boolean was = inFunction;
        List<Counter> outer = new ArrayList<>(loops);
        loops.clear();
        inFunction = true;
        Seq b = body(0, 1 + r.nextInt(4));
        inFunction = was;
        loops.addAll(outer);
        Seq f = new Seq();
        f.bind(l);
        if (r.nextInt(4) == 0) {
            // Read the return address and an argument through RSP.
            int reg = freeReg();
            f.add(Encoder.op(0x8B).reg(reg, false).mem(Mem.of(RSP, args > 0 ? 8 : 0)).osize(8).build(),
                    "mov " + R64[reg] + ", [rsp" + (args > 0 ? "+8" : "") + "]");
        }
        f.append(b);
        if (args > 0) {
            f.add(new byte[] {(byte) 0xC2, (byte) (8 * args), 0}, "ret " + 8 * args);
        } else {
            f.add(new byte[] {(byte) 0xC3}, "ret");
        }
        functions.add(f);
        functionLabels.add(l);
        functionDyn.add(f.dyn);
        functionArgs.add(args);
        return functions.size() - 1;
    }

    private long tableSlot(Label target) {
        long slot = CTL_TABLE + 8L * tableSlots.size();
        tableSlots.add(slot);
        tableTargets.add(target);
        return slot;
    }

    /** PUSH something, run a body, POP it (the body keeps RSP balanced). */
    private Seq stackPair() {
        Seq s = new Seq();
        boolean w16 = r.nextInt(6) == 0;
        switch (r.nextInt(w16 ? 1 : 5)) {
            case 0 -> {
                int reg = anyReg(8);
                Encoder e = Encoder.op(0x50).opReg(reg, false);
                if (w16) {
                    e.osize(2);
                }
                s.add(e.build(), "push " + (w16 ? R16[reg] : R64[reg]));
            }
            case 1 -> s.add(Encoder.op(0x6A).imm(r.nextInt(256), 1).build(), "push imm8");
            case 2 -> s.add(Encoder.op(0x68).imm(r.nextInt(), 4).build(), "push imm32");
            case 3 -> {
                Seq t = new Seq();
                Rm m = mem(t, 8, false, false);
                s.append(t);
                emit(s, Encoder.op(0xFF).ext(6), m, 0, "push " + m.text);
            }
            default -> s.add(Encoder.op(0x9C).build(), "pushfq");
        }
        Seq b = straight(r.nextInt(4));
        s.append(b);
        if (r.nextInt(3) == 0 && !w16) {
            int reg = freeReg();
            s.add(Encoder.op(0x8B).reg(reg, false).mem(Mem.of(RSP, 0)).osize(8).build(), "mov " + R64[reg] + ", [rsp]");
        }
        if (w16) {
            int reg = freeReg();
            s.add(Encoder.op(0x58).opReg(reg, false).osize(2).build(), "pop " + R16[reg]);
        } else if (r.nextInt(4) == 0) {
            Seq t = new Seq();
            Rm m = mem(t, 8, true, false);
            s.append(t);
            emit(s, Encoder.op(0x8F).ext(0), m, 0, "pop " + m.text);
        } else {
            int reg = freeReg();
            s.add(Encoder.op(0x58).opReg(reg, false).build(), "pop " + R64[reg]);
        }
        return s;
    }

    /** A string instruction with its pointers and count set up inside the data area. */
    private Seq stringOp() {
        if (reserved[RSI] || reserved[RDI] || reserved[RCX]) {
            return null;
        }
        int[] ops = {0xA4, 0xAA, 0xAC, 0xA6, 0xAE};
        String[] names = {"movs", "stos", "lods", "cmps", "scas"};
        int k = r.nextInt(ops.length);
        int size = 1 << r.nextInt(4);
        int count = r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(r.nextBoolean() ? 8 : 64);
        boolean down = r.nextInt(3) == 0;
        boolean a32 = r.nextInt(8) == 0;
        int rep = r.nextInt(5); // 0 none, 1-3 F3 (REP/REPE), 4 F2 (REPNE)
        Seq s = new Seq();
        s.add(new byte[] {(byte) (down ? 0xFD : 0xFC)}, down ? "std" : "cld");
        long span = (long) size * Math.max(1, count);
        long src = DATA + 0x40 + span + r.nextInt((int) (0x2000 - 0x80 - 2 * span));
        long dst = DATA + 0x40 + span + r.nextInt((int) (0x2000 - 0x80 - 2 * span));
        if (r.nextInt(4) == 0) {
            dst = src + (r.nextInt(33) - 16); // overlapping copies
        }
        s.add(Encoder.op(0xB8).opReg(RSI, false).imm(src, 4).build(), "mov esi, 0x" + Long.toHexString(src));
        s.add(Encoder.op(0xB8).opReg(RDI, false).imm(dst, 4).build(), "mov edi, 0x" + Long.toHexString(dst));
        s.add(Encoder.op(0xB8).opReg(RCX, false).imm(count, 4).build(), "mov ecx, " + count);
        if (ops[k] == 0xAA || ops[k] == 0xAE) {
            s.append(insn(() -> {
                Seq t = new Seq();
                t.add(Encoder.op(0xB8).opReg(RAX, false).imm(r.nextInt(256) * 0x01010101L, 4).build(), "mov eax, pattern");
                return t;
            }));
        }
        Encoder e = Encoder.op(ops[k] | (size == 1 ? 0 : 1)).osize(size);
        if (a32) {
            e.prefix(0x67);
        }
        String p = "";
        if (rep >= 1 && rep <= 3) {
            e.prefix(0xF3);
            p = ops[k] == 0xA6 || ops[k] == 0xAE ? "repe " : "rep ";
        } else if (rep == 4) {
            e.prefix(0xF2);
            p = "repne ";
        }
        s.add(e.build(), (a32 ? "addr32 " : "") + p + names[k] + "bwdq".charAt(Integer.numberOfTrailingZeros(size)));
        s.dyn += count;
        return s;
    }

    /**
     * A store into the code: the immediate of a {@code mov r32, imm32} before or after the store
     * (in a loop, so the running code changes under the JIT), by a RIP-relative store of a
     * constant or of a loop counter.
     */
    private Seq smc() {
        int reg = freeReg();
        Label insn = label("patched");
        Seq target = new Seq();
        target.bind(insn);
        byte[] mov = Encoder.op(0xB8).opReg(reg, false).imm(r.nextInt(1000), 4).build();
        target.add(mov, "mov " + R32[reg] + ", imm32 (patched)");
        int immOff = mov.length - 4;
        Seq store = new Seq();
        int k = r.nextInt(3);
        if (k == 0 || loops.isEmpty() || loops.get(loops.size() - 1).reg < 0) {
            byte[] b = Encoder.op(0xC7).ext(0).mem(new Mem(Encoder.RIP, -1, 0, 0, 4)).imm(r.nextInt(1 << 20), 4).build();
            store.rel(b, 2, insn, "mov dword [rip -> " + insn.name + "+" + immOff + "], imm32");
        } else {
            int c = loops.get(loops.size() - 1).reg;
            byte[] b = Encoder.op(0x89).reg(c, false).mem(new Mem(Encoder.RIP, -1, 0, 0, 4)).build();
            store.rel(b, b.length - 4, insn, "mov [rip -> " + insn.name + "+" + immOff + "], " + R32[c]);
        }
        store.last().targetDelta = immOff;
        if (k == 2) {
            // A byte of the immediate, through the base-free absolute form.
            store = new Seq();
            byte[] b = Encoder.op(0xC6).ext(0).mem(new Mem(-1, -1, 0, 0, 4)).imm(r.nextInt(256), 1).build();
            store.absOf(b, b.length - 5, insn, "mov byte [" + insn.name + "+" + (immOff + 1) + "], imm8");
            store.last().targetDelta = immOff + 1;
        }
        Seq s = new Seq();
        s.smc = true;
        Seq mid = straight(r.nextInt(3));
        if (r.nextBoolean()) {
            s.append(store).append(mid).append(target);
        } else {
            s.append(target).append(mid).append(store);
        }
        return s;
    }

    /** A forward jump through a register or the table. */
    private Seq indirectJump() {
        Seq skipped = straight(1 + r.nextInt(3));
        Label l = label("ijmp");
        Seq s = new Seq();
        switch (r.nextInt(3)) {
            case 0 -> {
                int reg = freeReg();
                s.absOf(Encoder.op(0xB8).opReg(reg, false).imm(0, 4).build(), reg >= 8 ? 2 : 1, l, "mov " + R32[reg] + ", " + l.name);
                s.add(Encoder.op(0xFF).ext(4).rm(reg, false).build(), "jmp " + R64[reg]);
            }
            case 1 -> {
                int reg = freeReg();
                s.rel(Encoder.op(0x8D).reg(reg, false).mem(new Mem(Encoder.RIP, -1, 0, 0, 4)).osize(8).build(), 3, l,
                        "lea " + R64[reg] + ", [rip -> " + l.name + "]");
                s.add(Encoder.op(0xFF).ext(4).rm(reg, false).build(), "jmp " + R64[reg]);
            }
            default -> {
                long slot = tableSlot(l);
                s.ripTo(Encoder.op(0xFF).ext(4).mem(new Mem(Encoder.RIP, -1, 0, 0, 4)).build(), 2, slot,
                        "jmp [rip -> 0x" + Long.toHexString(slot) + "]");
            }
        }
        long dyn = s.dyn;
        s.append(skipped).bind(l);
        s.dyn = dyn;
        return s;
    }

    /** A fault on one iteration only of the innermost loop (after it has run hot). */
    private Seq guardedFault() {
        Counter c = loops.get(loops.size() - 1);
        Seq f = insn(this::faultInsn);
        int when = 1 + r.nextInt(3);
        Seq s = new Seq();
        if (c.reg >= 0) {
            s.add(Encoder.op(0x83).ext(7).rm(c.reg, false).osize(8).imm(when, 1).build(), "cmp " + R64[c.reg] + ", " + when);
        } else {
            s.add(Encoder.op(0x83).ext(7).mem(Mem.of(-1, c.slot)).osize(8).imm(when, 1).build(),
                    "cmp qword [0x" + Long.toHexString(c.slot) + "], " + when);
        }
        s.append(jccFwd(5, f.length)); // jne
        long dyn = s.dyn;
        s.append(f);
        s.dyn = dyn;
        return s;
    }

    /** A loop walking a pointer that runs into the unmapped page after {@code k} iterations. */
    private Seq walkLoop(int depth) {
        int p = -1;
        for (int t = 0; t < 20 && p < 0; t++) {
            int x = new int[] {RBP, 8, 9, 10, 11, 12, 13, 14, 15}[r.nextInt(9)];
            if (!reserved[x]) {
                p = x;
            }
        }
        if (p < 0) {
            return null;
        }
        int size = 1 << r.nextInt(4);
        int stride = size * (1 + r.nextInt(4));
        int k = 20 + r.nextInt(depth == 0 ? 200 : 20);
        boolean store = r.nextBoolean();
        // Iteration k (from 0) is the first to touch the hole; it may straddle into it.
        long first = HOLE - (long) k * stride - r.nextInt(size);
        if (first < DATA) {
            return null;
        }
        if (counterReg[depth] < 0) {
            return null;
        }
        Counter c = new Counter(counterReg[depth], -1);
        reserved[p] = true;
        Seq b = straight(r.nextInt(3));
        int reg = store ? freeReg() : dstOfSize(size);
        reserved[p] = false;
        int n = k + 1 + r.nextInt(3);
        Seq s = new Seq();
        s.add(Encoder.op(0xB8).opReg(p, false).imm(first, 4).build(), "mov " + R32[p] + ", 0x" + Long.toHexString(first));
        s.add(Encoder.op(0xC7).ext(0).rm(c.reg, false).osize(8).imm(n, 4).build(), "mov " + R64[c.reg] + ", " + n);
        Label top = label("walk");
        s.bind(top);
        Mem m = new Mem(p, -1, 0, 0, r.nextBoolean() ? 0 : 4);
        String mt = "[" + R64[p] + "]";
        if ((p >= 8 || p == RBP) && reg >= AH) {
            reg -= AH; // AH..BH cannot go with a REX prefix
        }
        if (store) {
            s.add(Encoder.op(size == 1 ? 0x88 : 0x89).osize(size).reg(reg, size == 1).mem(m).build(),
                    "mov " + sizeName(size) + mt + ", " + name(reg, size));
        } else {
            s.add(Encoder.op(size == 1 ? 0x8A : 0x8B).osize(size).reg(reg, size == 1).mem(m).build(),
                    "mov " + name(reg, size) + ", " + sizeName(size) + mt);
        }
        s.last().mayFault = true;
        s.append(b);
        s.add(Encoder.op(0x83).ext(0).rm(p, false).osize(8).imm(stride, 1).build(), "add " + R64[p] + ", " + stride);
        s.add(Encoder.op(0xFF).ext(1).rm(c.reg, false).osize(8).build(), "dec " + R64[c.reg]);
        int back = s.length - lengthBefore(s, top);
        s.append(jccBack(5, back, top));
        s.dyn = 2 + (long) n * (b.dyn + 4);
        return s;
    }

    /** Instructions the interpreter alone may handle: CPUID, PUSHF/POPF, SSE, XLAT, fences. */
    private Seq interpreterOnly() {
        return insn(() -> {
            Seq s = new Seq();
            switch (r.nextInt(7)) {
                case 0 -> {
                    int[] leaves = {0, 1, 4, 6, 7, 0xB, 0xD, 0x80000000, 0x80000001, 0x80000008};
                    int leaf = leaves[r.nextInt(leaves.length)];
                    s.add(Encoder.op(0xB8).opReg(RAX, false).imm(leaf, 4).build(), "mov eax, 0x" + Integer.toHexString(leaf));
                    s.add(Encoder.op(0xB8).opReg(RCX, false).imm(r.nextInt(2), 4).build(), "mov ecx, subleaf");
                    s.add(new byte[] {0x0F, (byte) 0xA2}, "cpuid");
                }
                case 1 -> {
                    int reg = freeReg();
                    s.add(new byte[] {(byte) 0x9C}, "pushfq");
                    s.add(Encoder.op(0x58).opReg(reg, false).build(), "pop " + R64[reg]);
                    if (r.nextBoolean()) {
                        int mask = (0x8D5 | 0x400) & r.nextInt(0x1000);
                        s.add(Encoder.op(0x81).ext(6).rm(reg, false).osize(8).imm(mask, 4).build(),
                                "xor " + R64[reg] + ", 0x" + Integer.toHexString(mask));
                    }
                    s.add(Encoder.op(0x50).opReg(reg, false).build(), "push " + R64[reg]);
                    s.add(new byte[] {(byte) 0x9D}, "popfq");
                }
                case 2 -> {
                    int x = r.nextInt(16), y = r.nextInt(16);
                    s.add(Encoder.op(0x0F, 0x6E).prefix(0x66).osize(8).reg(x, false).rm(anyReg(8), false).build(), "movq xmm" + x + ", r64");
                    // packed-integer ops, unpacks, packs, moves (66 0f op xmm, xmm)
                    int[] ops = {0xD4, 0xEF, 0xFE, 0x74, 0xDB, 0xF4, 0xFA, 0xEB, 0xDF, 0x66, 0xD5, 0x60, 0x61, 0x62,
                        0x68, 0x69, 0x6A, 0x6C, 0x6D, 0x63, 0x67, 0x6B, 0x6F, 0x7F, 0xD6};
                    int op = ops[r.nextInt(ops.length)];
                    switch (r.nextInt(4)) {
                        case 0 -> {
                            int imm = r.nextInt(256);
                            s.add(Encoder.op(0x0F, 0x70).prefix(0x66).reg(y, false).rm(x, false).imm(imm, 1).build(),
                                    String.format("pshufd xmm%d, xmm%d, 0x%x", y, x, imm));
                        }
                        case 1 -> {
                            // immediate shifts of words, dwords, qwords: 71/72/73 with /2 /4 /6
                            int grp = 0x71 + r.nextInt(3), ext = 2 + 2 * r.nextInt(3);
                            if (grp == 0x73 && ext == 4) {
                                ext = 6;
                            }
                            int cnt = r.nextInt(4) == 0 ? r.nextInt(256) : r.nextInt(33);
                            s.add(Encoder.op(0x0F, grp).prefix(0x66).ext(ext).rm(y, false).imm(cnt, 1).build(),
                                    String.format("pshift 66 0f %02x /%d xmm%d, %d", grp, ext, y, cnt));
                        }
                        case 2 -> s.add(Encoder.op(0x0F, 0x7E).prefix(0xF3).reg(y, false).rm(x, false).build(),
                                String.format("movq xmm%d, xmm%d", y, x));
                        default -> s.add(Encoder.op(0x0F, op).prefix(0x66).reg(y, false).rm(x, false).build(),
                                String.format("sse 66 0f %02x xmm%d, xmm%d", op, y, x));
                    }
                    int dst = freeReg();
                    if (r.nextBoolean()) {
                        s.add(Encoder.op(0x0F, 0x7E).prefix(0x66).osize(8).reg(y, false).rm(dst, false).build(), "movq " + R64[dst] + ", xmm" + y);
                    } else {
                        s.add(Encoder.op(0x0F, 0xD7).prefix(0x66).reg(dst, false).rm(y, false).build(), "pmovmskb " + R32[dst] + ", xmm" + y);
                    }
                }
                case 3 -> {
                    Seq t = new Seq();
                    boolean st = r.nextBoolean();
                    Rm m = mem(t, 16, st, false);
                    s.append(t);
                    int x = r.nextInt(16);
                    switch (r.nextInt(4)) {
                        case 0 -> emit(s, Encoder.op(0x0F, st ? 0x7F : 0x6F).prefix(0x66).reg(x, false), m, 0,
                                st ? "movdqa " + m.text + ", xmm" + x : "movdqa xmm" + x + ", " + m.text);
                        case 1 -> {
                            // a packed op or shuffle from memory (aligned forms: #GP when misaligned)
                            int[] ops = {0xFE, 0xEF, 0x62, 0x6C, 0x67, 0x70};
                            int op = ops[r.nextInt(ops.length)];
                            Encoder e = Encoder.op(0x0F, op).prefix(0x66).reg(x, false);
                            if (op == 0x70) {
                                e.imm(r.nextInt(256), 1);
                            }
                            emit(s, e, m, op == 0x70 ? 1 : 0, String.format("sse 66 0f %02x xmm%d, %s", op, x, m.text));
                        }
                        case 2 -> emit(s, Encoder.op(0x0F, st ? 0xD6 : 0x7E).prefix(st ? 0x66 : 0xF3).reg(x, false), m, 0,
                                st ? "movq " + m.text + ", xmm" + x : "movq xmm" + x + ", " + m.text);
                        default -> emit(s, Encoder.op(0x0F, st ? 0x7F : 0x6F).prefix(0xF3).reg(x, false), m, 0,
                                st ? "movdqu " + m.text + ", xmm" + x : "movdqu xmm" + x + ", " + m.text);
                    }
                    s.last().mayFault = true; // the aligned forms raise #GP on a misaligned address
                }
                case 4 -> {
                    long t = DATA + r.nextInt(0x2000 - 256);
                    s.add(Encoder.op(0xB8).opReg(RBX, false).imm(t, 4).build(), "mov ebx, 0x" + Long.toHexString(t));
                    s.add(new byte[] {(byte) 0xD7}, "xlat");
                }
                case 5 -> {
                    int f = r.nextInt(3);
                    s.add(new byte[] {0x0F, (byte) 0xAE, (byte) (0xE8 + 8 * f)}, new String[] {"lfence", "mfence", "sfence"}[f]);
                }
                default -> {
                    int reg = freeReg();
                    s.add(Encoder.op(0x0F, 0xC8).opReg(reg, false).osize(r.nextBoolean() ? 8 : 4).build(), "bswap " + R64[reg]);
                }
            }
            return s;
        });
    }

    /** An unconditional fault (at depth 0 only, so it happens once). */
    private Seq faulting() {
        return insn(this::faultInsn);
    }

    private Seq faultInsn() {
        Seq s = faultInsn0();
        s.last().mayFault = true;
        return s;
    }

    /** One instruction that faults: #PF (hole, read-only, split, beyond RAM), #GP (non-canonical, CMPXCHG16B alignment), #DE, #UD. */
    private Seq faultInsn0() {
        Seq s = new Seq();
        switch (r.nextInt(6)) {
            case 0, 1 -> {
                boolean write = r.nextBoolean();
                int size = 1 << r.nextInt(4);
                Rm m = mem(s, size, write, true, true);
                int reg = regOfSize(size);
                if (write) {
                    emit(s, Encoder.op(size == 1 ? 0x00 : 0x01).osize(size).reg(reg, size == 1), m, 0,
                            "add " + m.text + ", " + name(reg, size));
                } else {
                    int dst = dstOfSize(size);
                    emit(s, Encoder.op(size == 1 ? 0x8A : 0x8B).osize(size).reg(dst, size == 1), m, 0,
                            "mov " + name(dst, size) + ", " + m.text);
                }
            }
            case 2 -> {
                int size = 1 << r.nextInt(4);
                int d = divisorReg(size);
                s.add(Encoder.op(size == 1 ? 0x30 : 0x31).osize(size).reg(d, size == 1).rm(d, size == 1).build(),
                        "xor " + name(d, size) + ", " + name(d, size));
                boolean signed = r.nextBoolean();
                s.add(Encoder.op(size == 1 ? 0xF6 : 0xF7).ext(signed ? 7 : 6).osize(size).rm(d, size == 1).build(),
                        (signed ? "idiv " : "div ") + name(d, size) + " (zero)");
            }
            case 3 -> s.add(new byte[] {0x0F, 0x0B}, "ud2");
            case 4 -> {
                // CMPXCHG16B on an address that is not 16-byte aligned: #GP(0).
                long t = DATA + 8 + 16L * r.nextInt(0x1F0);
                int p = freeReg();
                s.add(Encoder.op(0xB8).opReg(p, false).imm(t, 4).build(), "mov " + R32[p] + ", 0x" + Long.toHexString(t));
                s.add(Encoder.op(0x0F, 0xC7).ext(1).osize(8).mem(Mem.of(p, 0)).build(), "cmpxchg16b [" + R64[p] + "] (misaligned)");
            }
            default -> {
                // Unguarded division: #DE when the divisor is 0 or the quotient overflows.
                int size = 1 << r.nextInt(4);
                Rm d = rmOrMem(s, size, false, r.nextBoolean(), true);
                int fam = d.reg >= AH ? d.reg - AH : d.reg;
                if (!d.isMem() && (fam == RAX || fam == RDX && size > 1)) {
                    throw new IllegalArgumentException("divisor in the dividend");
                }
                boolean signed = r.nextBoolean();
                emit(s, Encoder.op(size == 1 ? 0xF6 : 0xF7).ext(signed ? 7 : 6).osize(size), d, 0,
                        (signed ? "idiv " : "div ") + d.text + " (unguarded)");
            }
        }
        return s;
    }

    // ------------------------------------------------------------------ instructions

    /** Retries a random pick the encoder refuses (AH..BH with a REX prefix, a missing free register). */
    private Seq insn(Supplier<Seq> pick) {
        for (int tries = 0; ; tries++) {
            try {
                Seq s = pick.get();
                if (s != null) {
                    return s;
                }
            } catch (IllegalArgumentException e) {
                if (tries > 1000) {
                    throw new IllegalStateException("the generator keeps failing: " + e.getMessage(), e);
                }
            }
        }
    }

    private Seq randomInsn() {
        Seq s = new Seq();
        int k = r.nextInt(100);
        int size = size();
        boolean b = size == 1;
        if (k < 12) {
            // MOV r/m, r and r, r/m
            boolean toMem = r.nextBoolean();
            Rm rm = rmOrMem(s, size, toMem, r.nextInt(3) == 0, false);
            if (toMem) {
                int src = regOfSize(size);
                emit(s, Encoder.op(b ? 0x88 : 0x89).osize(size).reg(src, b), rm, 0, "mov " + rm.text + ", " + name(src, size));
            } else {
                int dst = dstOfSize(size);
                emit(s, Encoder.op(b ? 0x8A : 0x8B).osize(size).reg(dst, b), rm, 0, "mov " + name(dst, size) + ", " + rm.text);
            }
        } else if (k < 16) {
            // MOV r/m, imm and MOV r, imm (including imm64)
            if (r.nextBoolean()) {
                Rm rm = rmOrMem(s, size, true, r.nextBoolean(), false);
                int ib = Math.min(size, 4);
                long v = imm(ib);
                emit(s, Encoder.op(b ? 0xC6 : 0xC7).ext(0).osize(size).imm(v, ib), rm, ib, "mov " + rm.text + ", " + v);
            } else {
                int dst = dstOfSize(size);
                int ib = size;
                long v = imm(ib);
                s.add(Encoder.op(b ? 0xB0 : 0xB8).opReg(dst, b).osize(size).imm(v, ib).build(),
                        "mov " + name(dst, size) + ", 0x" + Long.toHexString(size == 8 ? v : v & ((1L << 8 * size) - 1)));
            }
        } else if (k < 20) {
            // MOVZX / MOVSX / MOVSXD
            int from = r.nextInt(3);
            if (from == 2) {
                Rm rm = rmOrMem(s, 4, false, r.nextInt(3) == 0, false);
                int dsz = r.nextInt(5) == 0 ? 4 : 8;
                int dst = dstOfSize(dsz);
                emit(s, Encoder.op(0x63).osize(dsz).reg(dst, false), rm, 0, "movsxd " + name(dst, dsz) + ", " + rm.text);
            } else {
                int fs = from == 0 ? 1 : 2;
                int dsz = fs == 1 ? pick(2, 4, 8) : pick(4, 8);
                boolean sx = r.nextBoolean();
                Rm rm = rmOrMem(s, fs, false, r.nextInt(3) == 0, false);
                int dst = dstOfSize(dsz);
                emit(s, Encoder.op(0x0F, (sx ? 0xBE : 0xB6) + (fs == 2 ? 1 : 0)).osize(dsz).reg(dst, false), rm, 0,
                        (sx ? "movsx " : "movzx ") + name(dst, dsz) + ", " + rm.text);
            }
        } else if (k < 24) {
            // LEA with any registers: no memory is touched.
            int dsz = pick(2, 4, 8, 8);
            int dst = dstOfSize(dsz);
            Mem m = randomAddress();
            s.add(Encoder.op(0x8D).osize(dsz).reg(dst, false).mem(m).build(), "lea " + name(dst, dsz) + ", " + memText(m));
        } else if (k < 38) {
            // ALU ops in all forms
            int op = r.nextInt(8);
            int form = r.nextInt(5);
            if (form == 0 || form == 1) {
                boolean toMem = form == 0;
                Rm rm = rmOrMem(s, size, toMem && op != 7, r.nextInt(3) == 0, false);
                int reg = toMem ? regOfSize(size) : (op == 7 ? regOfSize(size) : dstOfSize(size));
                Encoder e = Encoder.op(op * 8 + (form == 0 ? 0 : 2) + (b ? 0 : 1)).osize(size).reg(reg, b);
                boolean lock = toMem && rm.isMem() && op != 7 && r.nextInt(3) == 0;
                if (lock) {
                    e.lock();
                }
                emit(s, e, rm, 0, (lock ? "lock " : "") + ALU[op] + " "
                        + (form == 0 ? rm.text + ", " + name(reg, size) : name(reg, size) + ", " + rm.text));
            } else if (form == 2) {
                if (op != 7 && reserved[RAX]) {
                    return null;
                }
                int ib = Math.min(size, 4);
                long v = imm(ib);
                s.add(Encoder.op(op * 8 + (b ? 4 : 5)).osize(size).imm(v, ib).build(), ALU[op] + " " + name(RAX, size) + ", " + v);
            } else {
                Rm rm = rmOrMem(s, size, op != 7, r.nextInt(3) == 0, false);
                boolean i8 = !b && form == 4;
                int ib = b || i8 ? 1 : Math.min(size, 4);
                long v = imm(ib);
                Encoder e = Encoder.op(b ? 0x80 : i8 ? 0x83 : 0x81).ext(op).osize(size).imm(v, ib);
                boolean lock = rm.isMem() && op != 7 && r.nextInt(3) == 0;
                if (lock) {
                    e.lock();
                }
                emit(s, e, rm, ib, (lock ? "lock " : "") + ALU[op] + " " + rm.text + ", " + v);
            }
        } else if (k < 41) {
            // TEST
            int form = r.nextInt(3);
            if (form == 0) {
                Rm rm = rmOrMem(s, size, false, r.nextInt(3) == 0, false);
                int reg = regOfSize(size);
                emit(s, Encoder.op(b ? 0x84 : 0x85).osize(size).reg(reg, b), rm, 0, "test " + rm.text + ", " + name(reg, size));
            } else if (form == 1) {
                int ib = Math.min(size, 4);
                long v = imm(ib);
                s.add(Encoder.op(b ? 0xA8 : 0xA9).osize(size).imm(v, ib).build(), "test " + name(RAX, size) + ", " + v);
            } else {
                Rm rm = rmOrMem(s, size, false, r.nextInt(3) == 0, false);
                int ib = Math.min(size, 4);
                long v = imm(ib);
                emit(s, Encoder.op(b ? 0xF6 : 0xF7).ext(0).osize(size).imm(v, ib), rm, ib, "test " + rm.text + ", " + v);
            }
        } else if (k < 46) {
            // INC / DEC / NOT / NEG
            int which = r.nextInt(4);
            Rm rm = rmOrMem(s, size, true, r.nextInt(3) == 0, false);
            Encoder e = which < 2 ? Encoder.op(b ? 0xFE : 0xFF).ext(which) : Encoder.op(b ? 0xF6 : 0xF7).ext(which);
            e.osize(size);
            boolean lock = rm.isMem() && r.nextInt(3) == 0;
            if (lock) {
                e.lock();
            }
            emit(s, e, rm, 0, (lock ? "lock " : "") + new String[] {"inc", "dec", "not", "neg"}[which] + " " + rm.text);
        } else if (k < 54) {
            // Shifts and rotates by imm8, 1, CL
            int op = r.nextInt(20) == 0 ? 6 : pick(0, 1, 2, 3, 4, 5, 7);
            int by = r.nextInt(3);
            Rm rm = rmOrMem(s, size, true, r.nextInt(4) == 0, false);
            if (by == 0) {
                int cnt = r.nextInt(4) == 0 ? r.nextInt(256) : r.nextInt(size * 8 + 2);
                emit(s, Encoder.op(b ? 0xC0 : 0xC1).ext(op).osize(size).imm(cnt, 1), rm, 1, SHIFT[op] + " " + rm.text + ", " + cnt);
            } else if (by == 1) {
                emit(s, Encoder.op(b ? 0xD0 : 0xD1).ext(op).osize(size), rm, 0, SHIFT[op] + " " + rm.text + ", 1");
            } else {
                emit(s, Encoder.op(b ? 0xD2 : 0xD3).ext(op).osize(size), rm, 0, SHIFT[op] + " " + rm.text + ", cl");
            }
        } else if (k < 57) {
            // SHLD / SHRD
            int sz = pick(2, 4, 8);
            boolean right = r.nextBoolean();
            boolean cl = r.nextBoolean();
            Rm rm = rmOrMem(s, sz, true, r.nextInt(4) == 0, false);
            int reg = regOfSize(sz);
            int cnt = r.nextInt(4) == 0 ? r.nextInt(256) : r.nextInt(sz * 8 + 1);
            Encoder e = Encoder.op(0x0F, (right ? 0xAC : 0xA4) + (cl ? 1 : 0)).osize(sz).reg(reg, false);
            if (!cl) {
                e.imm(cnt, 1);
            }
            emit(s, e, rm, cl ? 0 : 1, (right ? "shrd " : "shld ") + rm.text + ", " + name(reg, sz) + ", " + (cl ? "cl" : cnt));
        } else if (k < 62) {
            // IMUL 2- and 3-operand, MUL / IMUL one-operand
            int form = r.nextInt(4);
            if (form < 3) {
                int sz = pick(2, 4, 8);
                Rm rm = rmOrMem(s, sz, false, r.nextInt(3) == 0, false);
                int dst = dstOfSize(sz);
                if (form == 0) {
                    emit(s, Encoder.op(0x0F, 0xAF).osize(sz).reg(dst, false), rm, 0, "imul " + name(dst, sz) + ", " + rm.text);
                } else {
                    int ib = form == 1 ? 1 : Math.min(sz, 4);
                    long v = imm(ib);
                    emit(s, Encoder.op(form == 1 ? 0x6B : 0x69).osize(sz).reg(dst, false).imm(v, ib), rm, ib,
                            "imul " + name(dst, sz) + ", " + rm.text + ", " + v);
                }
            } else {
                Rm rm = rmOrMem(s, size, false, r.nextInt(3) == 0, false);
                boolean signed = r.nextBoolean();
                emit(s, Encoder.op(b ? 0xF6 : 0xF7).ext(signed ? 5 : 4).osize(size), rm, 0, (signed ? "imul " : "mul ") + rm.text);
            }
        } else if (k < 65) {
            return guardedDivide(size);
        } else if (k < 70) {
            // BT / BTS / BTR / BTC by register or immediate
            int sz = pick(2, 4, 8);
            int op = r.nextInt(4);
            boolean byImm = r.nextBoolean();
            if (byImm) {
                Rm rm = rmOrMem(s, sz, op != 0, r.nextInt(3) == 0, false);
                int bit = r.nextInt(4) == 0 ? r.nextInt(256) : r.nextInt(sz * 8);
                Encoder e = Encoder.op(0x0F, 0xBA).ext(4 + op).osize(sz).imm(bit, 1);
                boolean lock = rm.isMem() && op != 0 && r.nextInt(3) == 0;
                if (lock) {
                    e.lock();
                }
                emit(s, e, rm, 1, (lock ? "lock " : "") + new String[] {"bt", "bts", "btr", "btc"}[op] + " " + rm.text + ", " + bit);
            } else {
                boolean mem = r.nextInt(3) == 0;
                int off = -1;
                Rm rm;
                if (mem) {
                    // The bit offset register reaches up to 128 bytes beyond the operand.
                    off = freeReg();
                    s.add(Encoder.op(0x81).ext(4).rm(off, false).imm(0x3FF, 4).build(), "and " + R32[off] + ", 0x3ff");
                    rm = memBelow(sz, 0x2000 - 0x90);
                } else {
                    rm = rmOrMem(s, sz, op != 0, false, false);
                    off = anyReg(sz);
                }
                Encoder e = Encoder.op(0x0F, 0xA3 + 8 * op).osize(sz).reg(off, false);
                boolean lock = rm.isMem() && op != 0 && r.nextInt(3) == 0;
                if (lock) {
                    e.lock();
                }
                emit(s, e, rm, 0, (lock ? "lock " : "") + new String[] {"bt", "bts", "btr", "btc"}[op] + " " + rm.text + ", " + name(off, sz));
            }
        } else if (k < 73) {
            // BSF / BSR, and their F3 forms TZCNT / LZCNT, POPCNT
            int sz = pick(2, 4, 8);
            int which = r.nextInt(5);
            Rm rm = rmOrMem(s, sz, false, r.nextInt(3) == 0, false);
            int dst = dstOfSize(sz);
            int op = new int[] {0xBC, 0xBD, 0xBC, 0xBD, 0xB8}[which];
            Encoder e = Encoder.op(0x0F, op).osize(sz).reg(dst, false);
            if (which >= 2) {
                e.prefix(0xF3);
            }
            emit(s, e, rm, 0, new String[] {"bsf", "bsr", "tzcnt", "lzcnt", "popcnt"}[which] + " " + name(dst, sz) + ", " + rm.text);
        } else if (k < 77) {
            // SETcc / CMOVcc
            int cc = r.nextInt(16);
            if (r.nextBoolean()) {
                Rm rm = rmOrMem(s, 1, true, r.nextInt(4) == 0, false);
                emit(s, Encoder.op(0x0F, 0x90 + cc), rm, 0, "set" + CC[cc] + " " + rm.text);
            } else {
                int sz = pick(2, 4, 8);
                Rm rm = rmOrMem(s, sz, false, r.nextInt(3) == 0, false);
                int dst = dstOfSize(sz);
                emit(s, Encoder.op(0x0F, 0x40 + cc).osize(sz).reg(dst, false), rm, 0, "cmov" + CC[cc] + " " + name(dst, sz) + ", " + rm.text);
            }
        } else if (k < 83) {
            // XCHG, CMPXCHG, XADD (LOCK forms on memory), CMPXCHG8B/16B
            int which = r.nextInt(5);
            if (which == 4) {
                boolean wide = r.nextBoolean();
                int sz = wide ? 16 : 8;
                Rm m = alignedMem(sz);
                Encoder e = Encoder.op(0x0F, 0xC7).ext(1);
                if (wide) {
                    e.osize(8);
                }
                boolean lock = r.nextBoolean();
                if (lock) {
                    e.lock();
                }
                emit(s, e, m, 0, (lock ? "lock " : "") + (wide ? "cmpxchg16b " : "cmpxchg8b ") + m.text);
            } else if (which == 3 && r.nextBoolean()) {
                int reg = dstOfSize(size == 1 ? 2 : size);
                int sz = size == 1 ? 2 : size;
                s.add(Encoder.op(0x90).opReg(reg, false).osize(sz).build(), "xchg " + name(RAX, sz) + ", " + name(reg, sz));
            } else {
                Rm rm = rmOrMem(s, size, true, r.nextInt(2) == 0, false);
                int reg = dstOfSize(size);
                int[] ops = {0x86, 0xB0, 0xC0, 0x86};
                String[] names = {"xchg", "cmpxchg", "xadd", "xchg"};
                Encoder e = which == 0 || which == 3 ? Encoder.op(0x86 + (b ? 0 : 1)) : Encoder.op(0x0F, ops[which] + (b ? 0 : 1));
                e.osize(size).reg(reg, b);
                boolean lock = rm.isMem() && r.nextInt(2) == 0;
                if (lock) {
                    e.lock();
                }
                emit(s, e, rm, 0, (lock ? "lock " : "") + names[which] + " " + rm.text + ", " + name(reg, size));
            }
        } else if (k < 90) {
            // Operand-less: CBW family, CWD family, LAHF/SAHF, CLC/STC/CMC, NOPs
            switch (r.nextInt(9)) {
                case 0, 1 -> {
                    int sz = pick(2, 4, 8);
                    s.add(Encoder.op(0x98).osize(sz).build(), sz == 2 ? "cbw" : sz == 4 ? "cwde" : "cdqe");
                }
                case 2 -> {
                    int sz = pick(2, 4, 8);
                    s.add(Encoder.op(0x99).osize(sz).build(), sz == 2 ? "cwd" : sz == 4 ? "cdq" : "cqo");
                }
                case 3 -> s.add(new byte[] {(byte) 0x9F}, "lahf");
                case 4 -> s.add(new byte[] {(byte) 0x9E}, "sahf");
                case 5 -> {
                    int w = r.nextInt(3);
                    s.add(new byte[] {(byte) new int[] {0xF5, 0xF8, 0xF9}[w]}, new String[] {"cmc", "clc", "stc"}[w]);
                }
                case 6 -> s.add(Encoder.op(0x0F, 0x1F).ext(0).mem(randomAddress()).build(), "nop r/m (multi-byte)");
                case 7 -> s.add(new byte[] {(byte) 0xF3, (byte) 0x90}, "pause");
                default -> {
                    boolean set = r.nextBoolean();
                    s.add(new byte[] {(byte) (set ? 0xF9 : 0xF8)}, set ? "stc" : "clc");
                }
            }
        } else if (k < 93) {
            // MOV with a 64-bit absolute address (moffs)
            boolean store = r.nextBoolean();
            if (reserved[RAX] && !store) {
                return null;
            }
            long t = DATA + r.nextInt(0x2000 - size);
            byte[] ins = new byte[(size == 2 ? 1 : 0) + (size == 8 ? 1 : 0) + 1 + 8];
            int p = 0;
            if (size == 2) {
                ins[p++] = 0x66;
            }
            if (size == 8) {
                ins[p++] = 0x48;
            }
            ins[p++] = (byte) ((store ? 0xA2 : 0xA0) + (b ? 0 : 1));
            for (int j = 0; j < 8; j++) {
                ins[p++] = (byte) (t >>> (8 * j));
            }
            s.add(ins, store ? "mov [moffs 0x" + Long.toHexString(t) + "], " + name(RAX, size)
                    : "mov " + name(RAX, size) + ", [moffs 0x" + Long.toHexString(t) + "]");
        } else {
            // Flag-heavy ADC/SBB chains after a flag set
            int op = r.nextBoolean() ? 2 : 3;
            int dst = dstOfSize(size);
            int src = regOfSize(size);
            boolean set = r.nextBoolean();
            s.add(new byte[] {(byte) (set ? 0xF9 : 0xF8)}, set ? "stc" : "clc");
            s.add(Encoder.op(op * 8 + (b ? 0 : 1)).osize(size).reg(src, b).rm(dst, b).build(),
                    ALU[op] + " " + name(dst, size) + ", " + name(src, size));
        }
        return s;
    }

    /** DIV / IDIV with the dividend and divisor prepared so the quotient fits (mostly). */
    private Seq guardedDivide(int size) {
        Seq s = new Seq();
        boolean b = size == 1;
        boolean signed = r.nextBoolean();
        int d = divisorReg(size);
        // The divisor: nonzero; for IDIV also not -1 (and even, so |q| <= |dividend| / 2).
        s.add(Encoder.op(b ? 0x80 : 0x83).ext(1).osize(size).rm(d, b).imm(2, 1).build(), "or " + name(d, size) + ", 2");
        if (signed) {
            s.add(Encoder.op(b ? 0x80 : 0x83).ext(4).osize(size).rm(d, b).imm(-2, 1).build(), "and " + name(d, size) + ", -2");
        }
        // The dividend's high half: zero, or the sign of the low half.
        if (b) {
            if (signed) {
                s.add(Encoder.op(0x98).osize(2).build(), "cbw");
            } else {
                s.add(Encoder.op(0x0F, 0xB6).osize(4).reg(RAX, false).rm(RAX, true).build(), "movzx eax, al");
            }
        } else if (signed) {
            s.add(Encoder.op(0x99).osize(size).build(), size == 2 ? "cwd" : size == 4 ? "cdq" : "cqo");
        } else {
            s.add(Encoder.op(0x31).reg(RDX, false).rm(RDX, false).build(), "xor edx, edx");
        }
        Rm rm;
        if (r.nextInt(3) == 0) {
            // Through memory: store the prepared divisor, divide by the memory copy. The address
            // registers are set up without touching the dividend or the divisor.
            Seq t = new Seq();
            boolean[] was = reserved.clone();
            reserved[RAX] = reserved[RDX] = reserved[d >= AH ? d - AH : d] = true;
            try {
                rm = mem(t, size, true, false);
            } finally {
                System.arraycopy(was, 0, reserved, 0, 16);
            }
            s.append(t);
            emit(s, Encoder.op(b ? 0x88 : 0x89).osize(size).reg(d, b), rm, 0, "mov " + rm.text + ", " + name(d, size));
        } else {
            rm = new Rm(d, null, false, 0, name(d, size), b);
        }
        emit(s, Encoder.op(b ? 0xF6 : 0xF7).ext(signed ? 7 : 6).osize(size), rm, 0, (signed ? "idiv " : "div ") + rm.text);
        return s;
    }

    // ------------------------------------------------------------------ operands

    private int size() {
        int k = r.nextInt(10);
        return k < 2 ? 1 : k < 3 ? 2 : k < 6 ? 4 : 8;
    }

    private int pick(int... choices) {
        return choices[r.nextInt(choices.length)];
    }

    private long imm(int bytes) {
        long v = switch (r.nextInt(6)) {
            case 0 -> 0;
            case 1 -> -1;
            case 2 -> r.nextInt(16);
            case 3 -> 1L << r.nextInt(64);
            default -> r.nextLong();
        };
        if (bytes == 8) {
            return v;
        }
        long m = (1L << (8 * bytes)) - 1;
        long t = v & m;
        // Sign-extend, as the immediate will be read.
        long sign = 1L << (8 * bytes - 1);
        return (t ^ sign) - sign;
    }

    /** A register the random instructions may write (never RSP or a reserved one). */
    private int freeReg() {
        while (true) {
            int x = r.nextInt(16);
            if (!reserved[x]) {
                return x;
            }
        }
    }

    /** A register to write with a {@code size}-byte result; AH..BH sometimes for bytes. */
    private int dstOfSize(int size) {
        if (size == 1 && r.nextInt(5) == 0) {
            int x = AH + r.nextInt(4);
            if (!reserved[x - AH]) {
                return x;
            }
        }
        return freeReg();
    }

    /** A register to read; any but RSP (RSP now and then for full-size reads). */
    private int regOfSize(int size) {
        if (size == 1 && r.nextInt(5) == 0) {
            return AH + r.nextInt(4);
        }
        return anyReg(size);
    }

    private int anyReg(int size) {
        if (size >= 4 && r.nextInt(40) == 0) {
            return RSP;
        }
        int x;
        do {
            x = r.nextInt(16);
        } while (x == RSP);
        return x;
    }

    /** A free register not in the dividend (RAX, RDX). */
    private int divisorReg(int size) {
        for (int t = 0; t < 100; t++) {
            int x = dstOfSize(size);
            int f = x >= AH ? x - AH : x;
            if (f != RAX && (f != RDX || size == 1)) {
                return x;
            }
        }
        throw new IllegalArgumentException("no divisor register");
    }

    /** A register (write: a free one) or, with {@code mem}, a memory operand in the data area. */
    private Rm rmOrMem(Seq setup, int size, boolean write, boolean mem, boolean fault) {
        if (mem) {
            return mem(setup, size, write, fault, false);
        }
        int reg = write ? dstOfSize(size) : regOfSize(size);
        return new Rm(reg, null, false, 0, name(reg, size), size == 1);
    }

    private Rm mem(Seq setup, int size, boolean write, boolean fault) {
        return mem(setup, size, write, fault, false);
    }

    /**
     * A memory operand of {@code size} bytes: in the two data pages (now and then across their
     * boundary, or a read of the read-only page), or, with {@code forceFault} (or now and then
     * when {@code fault}), somewhere that faults. Address registers are set up in {@code setup}.
     */
    private Rm mem(Seq setup, int size, boolean write, boolean fault, boolean forceFault) {
        long t;
        boolean bad = forceFault || (fault && r.nextInt(10) == 0);
        boolean nonCanonical = false;
        boolean dynamic = false;
        if (bad) {
            switch (r.nextInt(write ? 5 : 4)) {
                case 0 -> t = HOLE + r.nextInt(0x1000 - size);
                case 1 -> t = size > 1 ? HOLE - 1 - r.nextInt(size - 1) : HOLE;
                case 2 -> {
                    t = (r.nextBoolean() ? 0x0000_8000_0000_0000L : 0xFFFF_7FFF_F000_0000L) + r.nextInt(1 << 20);
                    nonCanonical = true;
                }
                case 3 -> t = 0x0100_0000L + r.nextInt(1 << 24); // beyond the mapped 16 MiB
                default -> t = RO + r.nextInt(0x1000 - size);
            }
        } else {
            int k = r.nextInt(12);
            if (k == 0 && size > 1) {
                t = DATA + 0x1000 - 1 - r.nextInt(size - 1); // across the two data pages
            } else if (k == 1 && !write) {
                t = RO + r.nextInt(0x1000 - size);
            } else {
                t = DATA + r.nextInt(0x2000 - size + 1);
                dynamic = k >= 9;
            }
        }
        int form = nonCanonical ? 1 : r.nextInt(9);
        String ptr = sizeName(size);
        switch (form) {
            case 0, 8 -> {
                long d = t - baseAddr;
                Mem m = new Mem(base, -1, 0, d, r.nextInt(4) == 0 ? 4 : 0);
                return new Rm(-1, m, false, 0, ptr + memText(m), false);
            }
            case 1 -> {
                int p = freeReg();
                long d = r.nextInt(3) == 0 ? 0 : r.nextBoolean() ? r.nextInt(256) - 128 : r.nextInt(0x20000) - 0x10000;
                long pv = t - d;
                if (pv == (pv & 0xFFFFFFFFL)) {
                    setup.add(Encoder.op(0xB8).opReg(p, false).imm(pv, 4).build(), "mov " + R32[p] + ", 0x" + Long.toHexString(pv));
                } else {
                    setup.add(Encoder.op(0xB8).opReg(p, false).osize(8).imm(pv, 8).build(), "mov " + R64[p] + ", 0x" + Long.toHexString(pv));
                }
                Mem m = new Mem(p, -1, 0, d, 0);
                return new Rm(-1, m, false, 0, ptr + memText(m), false);
            }
            case 2 -> {
                // base + index*scale + disp, the index set just before
                int x = indexReg();
                int sc = r.nextInt(4);
                if (dynamic && !bad) {
                    int mask = r.nextBoolean() ? 0x3F : 0xFF;
                    long lo = DATA - baseAddr, hi = DATA + 0x2000 - size - ((long) mask << sc) - baseAddr;
                    if (hi < lo) {
                        throw new IllegalArgumentException("no room");
                    }
                    long d = lo + (long) (r.nextDouble() * (hi - lo + 1));
                    setup.add(Encoder.op(0x81).ext(4).rm(x, false).imm(mask, 4).build(), "and " + R32[x] + ", 0x" + Integer.toHexString(mask));
                    Mem m = new Mem(base, x, sc, d, 0);
                    return new Rm(-1, m, false, 0, ptr + memText(m), false);
                }
                long xv = r.nextInt(512) - 256;
                long d = t - baseAddr - (xv << sc);
                setup.add(Encoder.op(0xC7).ext(0).rm(x, false).osize(8).imm(xv, 4).build(), "mov " + R64[x] + ", " + xv);
                Mem m = new Mem(base, x, sc, d, 0);
                return new Rm(-1, m, false, 0, ptr + memText(m), false);
            }
            case 3 -> {
                // no base: index*scale + disp32
                int x = indexReg();
                int sc = r.nextInt(4);
                long xv = r.nextInt(256);
                setup.add(Encoder.op(0xB8).opReg(x, false).imm(xv, 4).build(), "mov " + R32[x] + ", " + xv);
                Mem m = new Mem(-1, x, sc, t - (xv << sc), 4);
                return new Rm(-1, m, false, 0, ptr + memText(m), false);
            }
            case 4 -> {
                Mem m = new Mem(-1, -1, 0, t, 4);
                return new Rm(-1, m, false, 0, ptr + memText(m), false);
            }
            case 5, 6 -> {
                boolean a32 = form == 6 && r.nextInt(3) == 0;
                Mem m = new Mem(Encoder.RIP, -1, 0, 0, 4, a32);
                return new Rm(-1, m, true, t, ptr + (a32 ? "addr32 " : "") + "[rip -> 0x" + Long.toHexString(t) + "]", false);
            }
            default -> {
                // 32-bit address size: the upper halves of the registers do not count
                int p = freeReg();
                long d = r.nextInt(256) - 128;
                long pv = (r.nextLong() & 0xFFFFFFFF_00000000L) | ((t - d) & 0xFFFFFFFFL);
                setup.add(Encoder.op(0xB8).opReg(p, false).osize(8).imm(pv, 8).build(), "mov " + R64[p] + ", 0x" + Long.toHexString(pv));
                Mem m = new Mem(p, -1, 0, d, 0, true);
                return new Rm(-1, m, false, 0, ptr + "addr32 " + memText(m), false);
            }
        }
    }

    /** A memory operand at least {@code room} bytes below the end of the data pages. */
    private Rm memBelow(int size, int room) {
        long t = DATA + r.nextInt(room - size);
        Mem m;
        if (r.nextBoolean()) {
            m = new Mem(base, -1, 0, t - baseAddr, 0);
        } else {
            m = new Mem(-1, -1, 0, t, 4);
        }
        return new Rm(-1, m, false, 0, sizeName(size) + memText(m), false);
    }

    /** A 16-byte aligned (or for 8 bytes, any) memory operand for CMPXCHG8B/16B. */
    private Rm alignedMem(int size) {
        long t = DATA + (long) size * r.nextInt(0x2000 / size);
        Mem m = new Mem(base, -1, 0, t - baseAddr, 0);
        return new Rm(-1, m, false, 0, sizeName(size) + memText(m), false);
    }

    private int indexReg() {
        for (int t = 0; t < 100; t++) {
            int x = freeReg();
            if (x != RSP) {
                return x;
            }
        }
        throw new IllegalArgumentException("no index register");
    }

    /** Any address form with any registers (for LEA and NOP r/m). */
    private Mem randomAddress() {
        int k = r.nextInt(5);
        boolean a32 = r.nextInt(5) == 0;
        long disp = switch (r.nextInt(3)) {
            case 0 -> 0;
            case 1 -> r.nextInt(256) - 128;
            default -> r.nextInt();
        };
        int bs = r.nextInt(16);
        int ix = r.nextInt(16);
        if (ix == RSP) {
            ix = -1;
        }
        return switch (k) {
            case 0 -> new Mem(bs, -1, 0, disp, 0, a32);
            case 1 -> new Mem(bs, ix, r.nextInt(4), disp, 0, a32);
            case 2 -> new Mem(-1, ix < 0 ? 0 : ix, r.nextInt(4), (int) disp, 4, a32);
            case 3 -> new Mem(Encoder.RIP, -1, 0, (int) disp, 4, a32);
            default -> new Mem(-1, -1, 0, (int) disp, 4, a32);
        };
    }

    /** Emits an instruction with its r/m operand (a RIP-relative one gets its field filled at layout). */
    private static void emit(Seq s, Encoder e, Rm rm, int immBytes, String text) {
        if (rm.isMem()) {
            e.mem(rm.mem);
        } else {
            e.rm(rm.reg, rm.byteReg);
        }
        byte[] bytes = e.build();
        if (rm.rip) {
            s.ripTo(bytes, bytes.length - immBytes - 4, rm.target, text);
        } else {
            s.add(bytes, text);
        }
    }

    private Label label(String what) {
        return new Label(what + "_" + labels++);
    }

    /** Bytes of {@code s} before {@code l}'s marker. */
    private static int lengthBefore(Seq s, Label l) {
        int n = 0;
        for (FuzzCode.Item i : s.items) {
            if (i.binds == l) {
                return n;
            }
            n += i.bytes.length;
        }
        throw new IllegalStateException("label not in sequence");
    }

    private Seq jccFwd(int cc, int distance) {
        Seq s = new Seq();
        if (distance < 128 && r.nextInt(4) != 0) {
            s.add(new byte[] {(byte) (0x70 + cc), (byte) distance}, "j" + CC[cc] + " +" + distance);
        } else {
            s.add(new byte[] {0x0F, (byte) (0x80 + cc), (byte) distance, (byte) (distance >> 8), (byte) (distance >> 16),
                (byte) (distance >> 24)}, "j" + CC[cc] + " near +" + distance);
        }
        return s;
    }

    private Seq jmpFwd(int distance) {
        Seq s = new Seq();
        if (distance < 128 && r.nextBoolean()) {
            s.add(new byte[] {(byte) 0xEB, (byte) distance}, "jmp +" + distance);
        } else {
            s.add(new byte[] {(byte) 0xE9, (byte) distance, (byte) (distance >> 8), (byte) (distance >> 16), (byte) (distance >> 24)},
                    "jmp near +" + distance);
        }
        return s;
    }

    /** A jcc back to {@code top}, {@code back} bytes before the jump instruction. */
    private Seq jccBack(int cc, int back, Label top) {
        Seq s = new Seq();
        if (back + 2 <= 128 && r.nextInt(4) != 0) {
            s.add(new byte[] {(byte) (0x70 + cc), (byte) -(back + 2)}, "j" + CC[cc] + " " + top.name);
        } else {
            int d = -(back + 6);
            s.add(new byte[] {0x0F, (byte) (0x80 + cc), (byte) d, (byte) (d >> 8), (byte) (d >> 16), (byte) (d >> 24)},
                    "j" + CC[cc] + " near " + top.name);
        }
        return s;
    }

    static String name(int reg, int size) {
        return switch (size) {
            case 1 -> R8[reg];
            case 2 -> R16[reg];
            case 4 -> R32[reg];
            default -> R64[reg];
        };
    }

    private static String sizeName(int size) {
        return switch (size) {
            case 1 -> "byte ";
            case 2 -> "word ";
            case 4 -> "dword ";
            case 8 -> "qword ";
            default -> "xmmword ";
        };
    }

    static String memText(Mem m) {
        StringBuilder sb = new StringBuilder(m.a32() ? "[(a32) " : "[");
        boolean any = false;
        if (m.base() == Encoder.RIP) {
            sb.append("rip");
            any = true;
        } else if (m.base() >= 0) {
            sb.append(R64[m.base()]);
            any = true;
        }
        if (m.index() >= 0) {
            sb.append(any ? "+" : "").append(R64[m.index()]).append('*').append(1 << m.scale());
            any = true;
        }
        if (m.disp() != 0 || !any) {
            sb.append(m.disp() < 0 ? "-0x" + Long.toHexString(-m.disp()) : (any ? "+" : "") + "0x" + Long.toHexString(m.disp()));
        }
        return sb.append(']').toString();
    }
}
