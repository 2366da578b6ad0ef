package dev.ukemu.core.cpu.oracle;

import dev.ukemu.core.cpu.CpuTestRig;
import dev.ukemu.core.cpu.oracle.Form.State;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The differential harness: runs each {@link Form} on a batch of random inputs in the emulator
 * ({@link CpuTestRig}, one rig reused for every case) and natively ({@link HostCpu}, one call
 * per batch), and compares the 15 general registers other than RSP, the scratch memory, and
 * the arithmetic flags the SDM defines.
 *
 * <p>The emulator goes first: a case it faults on is reported and never run natively, so a
 * generator slip cannot kill the JVM with a signal. Registers that address memory hold the
 * guest scratch address in the emulator and the host one natively; the difference is added
 * before the native run and taken off after. RIP-relative forms get their displacement patched
 * per form and run one case per native call.
 */
final class Oracle implements AutoCloseable {
    /** Where the scratch buffer lives in guest memory: inside one page, or across a page boundary. */
    static final long EMU_SCRATCH = CpuTestRig.DATA + 0x100, EMU_SCRATCH_SPLIT = CpuTestRig.DATA + 0x2000 - 32;
    /** Null segment overrides (ignored in 64-bit mode) that may be put in front of any form. */
    private static final int[] NULL_SEGMENT_PREFIXES = {0x26, 0x2E, 0x36, 0x3E};
    static final int BATCH = 64;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

    final HostCpu host = new HostCpu(BATCH);
    final CpuTestRig rig = new CpuTestRig();
    final Failures failures = new Failures();
    final String testName;
    final long seed;
    long cases;
    /** Guest address of the scratch buffer for the current form. */
    private long emuScratch = EMU_SCRATCH;

    Oracle(String testName, long seed) {
        this.testName = testName;
        this.seed = seed;
    }

    /** Total cases for the whole oracle suite; each test takes its share. */
    static long totalCases() {
        return Long.getLong("ukemu.oracle.cases", 1_000_000L);
    }

    static long baseSeed() {
        String s = System.getProperty("ukemu.oracle.seed");
        return s == null ? 0x5EED_0DD5L : Long.decode(s);
    }

    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Runs instances from {@code factories} round-robin, a batch each, until {@code budget}
     * cases have run. A factory may throw IllegalArgumentException for an unencodable pick.
     */
    void runAll(List<Function<Random, Form>> factories, long budget) {
        long start = System.nanoTime();
        long done = cases;
        long instance = 0;
        while (cases - done < budget) {
            if (instance > 100 * budget) {
                throw new IllegalStateException(testName + ": the form factories produce no runnable cases");
            }
            Function<Random, Form> fac = factories.get((int) (instance % factories.size()));
            long instSeed = mix(seed, instance);
            instance++;
            Random rnd = new Random(instSeed);
            Form f = null;
            for (int tries = 0; tries < 50 && f == null; tries++) {
                try {
                    f = fac.apply(rnd);
                } catch (IllegalArgumentException e) {
                    f = null;
                }
            }
            if (f == null) {
                continue;
            }
            if (rnd.nextInt(8) == 0 && f.firstLength < 15) {
                int p = NULL_SEGMENT_PREFIXES[rnd.nextInt(NULL_SEGMENT_PREFIXES.length)];
                byte[] c = new byte[f.code.length + 1];
                c[0] = (byte) p;
                System.arraycopy(f.code, 0, c, 1, f.code.length);
                f.code = c;
                f.firstLength++;
                f.text = String.format("%s (with a %02x prefix)", f.text, p);
                if (f.ripDispPos >= 0) {
                    f.ripDispPos++;
                    f.ripEnd++;
                }
            }
            run(f, BATCH, instSeed);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("[oracle] %s: %d cases over %d instances in %d ms (seed 0x%x)%n",
                testName, cases - done, instance, ms, seed);
    }

    /** Runs {@code n} random cases of one form. */
    void run(Form f, int n, long instSeed) {
        Random rnd = new Random(instSeed ^ 0x5DEECE66DL);
        // Half the forms have their guest scratch buffer straddle a page boundary, so memory
        // operands also take the emulator's page-crossing paths.
        emuScratch = ((instSeed >>> 17) & 1) == 0 ? EMU_SCRATCH : EMU_SCRATCH_SPLIT;
        byte[] code = f.code;
        boolean rip = f.ripDispPos >= 0;
        if (rip) {
            // RIP-relative: the displacement reaches state block 0's scratch buffer from the
            // host copy of the code; the guest scratch sits at the same distance from the guest
            // copy. Cases then run one at a time, all on block 0.
            host.load(code);
            long disp = host.scratchAddress(0) + f.memOffset - (host.insnAddress() + f.ripEnd);
            code = code.clone();
            for (int k = 0; k < 4; k++) {
                code[f.ripDispPos + k] = (byte) (disp >>> (8 * k));
            }
            emuScratch = host.scratchAddress(0) - host.insnAddress() + CpuTestRig.CODE;
        }
        State[] in = new State[n];
        int cnt = 0;
        for (int attempt = 0; attempt < n * 8 && cnt < n; attempt++) {
            State s = randomState(rnd, f);
            if (f.inputs.fill(rnd, s)) {
                in[cnt++] = s;
            }
        }
        if (cnt == 0) {
            return;
        }
        // The emulator runs first. A case it faults on (or chokes on) is reported and never
        // reaches the host: a fault there would kill the JVM.
        loadEmu(code);
        EmuResult[] emu = new EmuResult[cnt];
        int[] ok = new int[cnt];
        int nok = 0;
        for (int k = 0; k < cnt; k++) {
            emu[k] = runEmu(in[k], code.length);
            if (emu[k].problem == null) {
                ok[nok++] = k;
            } else {
                report(f, code, instSeed, k, in[k], new StringBuilder(emu[k].problem));
                cases++;
            }
        }
        host.load(code);
        MemorySegment st = host.states();
        long hostEnd = host.insnAddress() + code.length;
        long emuEnd = CpuTestRig.CODE + code.length;
        long[] expected = new long[16];
        byte[] hostScratch = new byte[HostCpu.SCRATCH_SIZE];
        int per = rip ? 1 : nok;
        for (int first = 0; first < nok; first += per) {
            for (int k = 0; k < per; k++) {
                State s = in[ok[first + k]];
                long b = (long) k * HostCpu.STATE_SIZE;
                for (int reg = 0; reg < 16; reg++) {
                    st.set(LONG, b + 8L * reg, s.r[reg] + pointerDelta(f, reg, k));
                }
                st.set(LONG, b + HostCpu.FLAGS, (s.flags & Values.ARITH) | 0x202L);
                MemorySegment.copy(s.scratch, 0, st, ValueLayout.JAVA_BYTE, b + HostCpu.SCRATCH, HostCpu.SCRATCH_SIZE);
            }
            host.run(per);
            for (int k = 0; k < per; k++) {
                int c = ok[first + k];
                State s = in[c];
                long b = (long) k * HostCpu.STATE_SIZE;
                for (int reg = 0; reg < 16; reg++) {
                    expected[reg] = st.get(LONG, b + 8L * reg) - pointerDelta(f, reg, k);
                }
                int hostFlags = (int) st.get(LONG, b + HostCpu.FLAGS);
                MemorySegment.copy(st, ValueLayout.JAVA_BYTE, b + HostCpu.SCRATCH, hostScratch, 0, HostCpu.SCRATCH_SIZE);
                if (f.fixup != null) {
                    f.fixup.apply(s, expected, hostEnd, emuEnd);
                }
                compare(f, code, instSeed, c, s, emu[c], expected, hostFlags, hostScratch);
                cases++;
            }
        }
    }

    /**
     * What the host copy of register {@code reg} has added to point at state block {@code k}'s
     * scratch buffer instead of the guest's: the distance for a base register, the distance
     * scaled down for the index of a no-base operand, else 0.
     */
    private long pointerDelta(Form f, int reg, int k) {
        if (f.mem == null) {
            return 0;
        }
        long delta = host.scratchAddress(k) - emuScratch;
        if (f.mem.base() == reg) {
            return delta;
        }
        if (f.mem.base() == -1 && f.mem.index() == reg) {
            return delta >> f.mem.scale(); // both buffers are 16-byte aligned: exact
        }
        return 0;
    }

    private State randomState(Random rnd, Form f) {
        State s = new State();
        for (int reg = 0; reg < 16; reg++) {
            s.r[reg] = Values.any(rnd);
        }
        s.r[Ops.RSP] = 0;
        s.flags = Values.flags(rnd);
        for (int k = 0; k < s.scratch.length; k += 8) {
            s.scratch(k, 8, Values.any(rnd));
        }
        if (f.mem != null) {
            s.scratch(f.memOffset, Math.min(8, f.memSize), Values.any(rnd));
            var m = f.mem;
            long target = emuScratch + f.memOffset - m.disp();
            if (m.base() >= 0 && m.base() < 16) {
                long idx = 0;
                if (m.index() >= 0) {
                    idx = Values.any(rnd);
                    s.r[m.index()] = idx;
                }
                s.r[m.base()] = target - (idx << m.scale());
            } else if (m.base() == -1) {
                s.r[m.index()] = target >> m.scale(); // the operand picker made this exact
            }
            if (m.a32()) {
                // 32-bit address size: the upper halves of the address registers do not count.
                if (m.base() >= 0 && m.base() < 16) {
                    s.r[m.base()] = (s.r[m.base()] & 0xFFFFFFFFL) | (rnd.nextLong() << 32);
                }
                if (m.index() >= 0) {
                    s.r[m.index()] = (s.r[m.index()] & 0xFFFFFFFFL) | (rnd.nextLong() << 32);
                }
            }
        }
        return s;
    }

    // ------------------------------------------------------------------ emulator side

    private void loadEmu(byte[] code) {
        for (int k = 0; k < code.length; k++) {
            rig.cpu.writePhys(CpuTestRig.CODE + k, 1, code[k]);
        }
        rig.cpu.writePhys(CpuTestRig.CODE + code.length, 1, 0xF4);
    }

    /** The emulator's result of one case, or why there is none. */
    private record EmuResult(long[] r, int flags, byte[] scratch, String problem) {
    }

    private EmuResult runEmu(State in, int codeLength) {
        System.arraycopy(in.r, 0, rig.cpu.r, 0, 16);
        rig.cpu.r[Ops.RSP] = CpuTestRig.STACK;
        rig.cpu.setRflags((in.flags & Values.ARITH) | 0x202L);
        rig.mem.load(emuScratch, in.scratch);
        rig.vectors.clear();
        rig.cpu.rip = CpuTestRig.CODE;
        rig.cpu.halted = false;
        String problem = null;
        try {
            rig.run(16);
            if (!rig.vectors.isEmpty()) {
                problem = "\n    emulator raised vector " + rig.vectors + " (case not run on the host)";
            } else if (rig.cpu.rip != CpuTestRig.CODE + codeLength + 1) {
                problem = String.format("%n    emulator stopped at RIP=%x, expected %x (decoded length?)",
                        rig.cpu.rip, CpuTestRig.CODE + codeLength + 1);
            }
        } catch (RuntimeException | AssertionError e) {
            problem = "\n    emulator threw " + e;
        }
        if (problem != null) {
            return new EmuResult(null, 0, null, problem);
        }
        return new EmuResult(rig.cpu.r.clone(), (int) rig.cpu.rflags(), rig.mem.read(emuScratch, HostCpu.SCRATCH_SIZE), null);
    }

    private void compare(Form f, byte[] code, long instSeed, int k, State in, EmuResult emu, long[] expected,
            int hostFlags, byte[] hostScratch) {
        StringBuilder diff = new StringBuilder();
        for (int reg = 0; reg < 16; reg++) {
            if (reg == Ops.RSP) {
                continue;
            }
            long mask = f.regs == null ? -1L : f.regs.defined(in, reg);
            long got = emu.r[reg];
            if (((got ^ expected[reg]) & mask) != 0) {
                diff.append(String.format("%n    %-4s host %016x  emu %016x", Ops.name(reg, 8), expected[reg], got));
            }
        }
        int defined = f.flags.defined(in) & Values.ARITH;
        if (((emu.flags ^ hostFlags) & defined) != 0) {
            diff.append(String.format("%n    flags host %s  emu %s  (compared: %s)",
                    flagNames(hostFlags & defined), flagNames(emu.flags & defined), flagNames(defined)));
        }
        for (int b = 0; b < HostCpu.SCRATCH_SIZE; b++) {
            if (emu.scratch[b] != hostScratch[b]) {
                diff.append(String.format("%n    memory +%d host %02x emu %02x", b, hostScratch[b] & 0xFF, emu.scratch[b] & 0xFF));
            }
        }
        if (!diff.isEmpty()) {
            report(f, code, instSeed, k, in, diff);
        }
    }

    private void report(Form f, byte[] code, long instSeed, int k, State in, StringBuilder diff) {
        StringBuilder sb = new StringBuilder();
        sb.append(f.text).append("   [").append(Encoder.hex(code)).append("]  seed 0x")
                .append(Long.toHexString(instSeed)).append(" case ").append(k);
        sb.append("\n    in: flags ").append(flagNames(in.flags));
        for (int reg = 0; reg < 16; reg++) {
            if (reg != Ops.RSP) {
                sb.append(reg % 4 == 0 ? "\n        " : "  ").append(String.format("%s=%016x", Ops.name(reg, 8), in.r[reg]));
            }
        }
        if (f.mem != null) {
            sb.append(String.format("%n        mem+%d=%x (guest scratch at %x)", f.memOffset,
                    in.scratch(f.memOffset, Math.min(8, f.memSize)), emuScratch));
        }
        sb.append(diff);
        failures.add(f.family, sb.toString());
    }

    static String flagNames(int f) {
        StringBuilder sb = new StringBuilder();
        String[] names = {"CF", "PF", "AF", "ZF", "SF", "OF"};
        int[] bits = {Values.CF, Values.PF, Values.AF, Values.ZF, Values.SF, Values.OF};
        for (int k = 0; k < names.length; k++) {
            if ((f & bits[k]) != 0) {
                sb.append(sb.isEmpty() ? "" : " ").append(names[k]);
            }
        }
        return sb.isEmpty() ? "-" : sb.toString();
    }

    /** Throws an AssertionError listing every family with mismatches (first examples of each). */
    void assertNoFailures() {
        if (failures.total == 0) {
            return;
        }
        throw new AssertionError(failures.summary(testName, seed, cases));
    }

    @Override
    public void close() {
        host.close();
        rig.close();
    }

    /** Mismatches grouped by instruction family. */
    static final class Failures {
        final Map<String, Integer> counts = new TreeMap<>();
        final Map<String, List<String>> examples = new TreeMap<>();
        long total;

        void add(String family, String message) {
            total++;
            counts.merge(family, 1, Integer::sum);
            List<String> l = examples.computeIfAbsent(family, x -> new ArrayList<>());
            if (l.size() < 3) {
                l.add(message);
            }
        }

        String summary(String test, long seed, long cases) {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("%s: %d of %d cases differ from the host CPU (seed 0x%x; rerun with -Dukemu.oracle.seed=0x%x)%n",
                    test, total, cases, seed, baseSeed()));
            for (var e : counts.entrySet()) {
                sb.append(String.format("  %s: %d mismatches%n", e.getKey(), e.getValue()));
            }
            for (var e : examples.entrySet()) {
                sb.append("-- ").append(e.getKey()).append('\n');
                for (String m : e.getValue()) {
                    sb.append("  ").append(m).append('\n');
                }
            }
            return sb.toString();
        }
    }
}
