package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.ukemu.core.cpu.FuzzProgramGenerator.Program;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JIT against the interpreter on random guest programs ({@link FuzzProgramGenerator}): each
 * program runs on a machine that interprets only and on one whose every block is compiled on
 * its first run (now and then after a few runs, or with room for few regions), from the same
 * registers, flags and memory. At every stop (the final HLT, or the HLT of the handler of an
 * exception the program raised) the 16 general registers, RIP, RFLAGS, the XMM registers, CR2,
 * the exceptions delivered so far and the data, stack and code memory must agree. After an
 * exception both machines go on with the instruction after the faulting one, as a signal
 * handler would, so one program checks several precise faults.
 *
 * <p>{@code -Dukemu.jitfuzz.instructions=N} sets how many guest instructions the programs
 * execute in all (10^6 by default; the acceptance run is 10^7 or more, e.g.
 * {@code ./mvnw -pl emulator-core -am test-compile surefire:test@jit -Dtest=JitDifferentialTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dukemu.jitfuzz.instructions=10000000}),
 * {@code -Dukemu.jitfuzz.seed=S} the seed; a divergence report names the program, and
 * {@code -Dukemu.jitfuzz.program=K} reruns only program K of that seed, printing its listing.
 */
class JitDifferentialTest {
    static final long INSTRUCTIONS = Long.getLong("ukemu.jitfuzz.instructions", 1_000_000);
    static final long SEED = Long.decode(System.getProperty("ukemu.jitfuzz.seed", "0x4A17F022"));
    static final int ONLY = Integer.getInteger("ukemu.jitfuzz.program", -1);
    /** Divergences reported in full before the test gives up. */
    static final int MAX_REPORTS = 3;
    /** Stops (exceptions resumed from) per program, and guest instructions per program. */
    static final int MAX_STOPS = 64;
    static final long MAX_PROGRAM_INSTRUCTIONS = 3_000_000;
    /** Wall-clock bound of one program on one engine: compiled code that never returns fails here. */
    static final long TIMEOUT_SECONDS = Long.getLong("ukemu.jitfuzz.timeout", 120);

    static final long CODE = CpuTestRig.CODE, STACK = CpuTestRig.STACK;
    static final long DATA = FuzzProgramGenerator.DATA, RO = FuzzProgramGenerator.RO, CTL = FuzzProgramGenerator.CTL,
            HOLE = FuzzProgramGenerator.HOLE;
    /** The page table that maps the data area with 4 KiB pages (the rest of RAM uses 2 MiB pages). */
    static final long DATA_PT = 0x20000;
    static final long INITIAL_RSP = STACK - 0x200;
    /** Memory compared at each stop: the data pages, the control page, the stack page, the code. */
    static final long[][] AREAS = {{DATA, 0x2000}, {CTL, 0x1000}, {STACK - 0x1000, 0x1000}, {CODE, 0x2000}};
    static final String[] AREA_NAMES = {"data", "control page", "stack", "code"};

    static ExecutorService worker;

    @BeforeAll
    static void startWorker() {
        worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(null, r, "jit-fuzz", 16L << 20);
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stopWorker() {
        worker.shutdownNow();
    }

    /** The JIT configuration program {@code k} runs with. */
    static JitConfig jitFor(long programSeed) {
        int k = Math.floorMod(programSeed >>> 40, 10);
        return switch (k) {
            case 0 -> new JitConfig(true, 2, true, 8192); // interpreted twice, then compiled mid-run
            case 1 -> new JitConfig(true, 0, true, 16); // constant eviction
            default -> new JitConfig(true, 0, true, 8192);
        };
    }

    @Test
    void compiledCodeAgreesWithTheInterpreter() throws Exception {
        long executed = 0;
        int programs = 0, reports = 0;
        long jitInstructions = 0, regions = 0, rejected = 0, regionRuns = 0;
        Map<String, Integer> outcomes = new TreeMap<>();
        StringBuilder failures = new StringBuilder();
        long start = System.nanoTime();
        for (int k = ONLY >= 0 ? ONLY : 0; ONLY >= 0 ? k == ONLY : executed < INSTRUCTIONS; k++) {
            long programSeed = mix(SEED, k);
            Program p = generate(programSeed);
            if (ONLY >= 0) {
                System.out.printf("program %d (seed 0x%x): %s%n%s", k, programSeed, p.summary(), p.listing());
            }
            JitConfig jit = jitFor(programSeed);
            Run interp = runOn(p, JitConfig.OFF, programSeed);
            Run compiled = runOn(p, jit, programSeed);
            programs++;
            executed += interp.instructions;
            jitInstructions += compiled.instructions;
            regions += compiled.regionsCompiled;
            rejected += compiled.regionsRejected;
            regionRuns += compiled.regionRuns;
            for (Snapshot s : interp.stops) {
                outcomes.merge(s.outcome(), 1, Integer::sum);
            }
            if (ONLY >= 0) {
                System.out.println("stops: " + interp.stops.stream().map(s -> s.outcome() + " at 0x"
                        + Long.toHexString(s.vector() < 0 ? s.rip : faultingRip(s))).toList());
            }
            String problem = interp.generatorProblem(p);
            String diff = problem != null ? null : compare(interp, compiled);
            if (problem != null || diff != null) {
                reports++;
                failures.append(report(k, programSeed, p, jit, interp, compiled, problem != null ? problem : diff));
                if (reports >= MAX_REPORTS) {
                    break;
                }
            }
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("jit fuzz: %d programs, %,d guest instructions (%,d on the JIT machine) in %.1f s, seed 0x%x;"
                + " regions compiled %,d, left to the interpreter %,d, region runs %,d; stops: %s%n",
                programs, executed, jitInstructions, secs, SEED, regions, rejected, regionRuns, outcomes);
        if (!failures.isEmpty()) {
            fail(failures.toString());
        }
        assertTrue(ONLY >= 0 || executed >= INSTRUCTIONS, "executed " + executed);
    }

    /** Two interpreter runs agree; a difference planted in one is reported with what a rerun needs. */
    @Test
    void aDifferenceIsReportedWithWhatItTakesToRerun() throws Exception {
        long programSeed = mix(SEED, 0);
        Program p = generate(programSeed);
        Run a = runOn(p, JitConfig.OFF, programSeed);
        Run b = runOn(p, JitConfig.OFF, programSeed);
        assertNull(compare(a, b), "the interpreter is deterministic");
        Snapshot last = b.stops.get(b.stops.size() - 1);
        last.r()[Cpu.RBX] ^= 0x100;
        last.memory()[0][5] ^= 1;
        String diff = compare(a, b);
        assertTrue(diff != null && diff.contains("first difference: RBX: interpreter 0x"), diff);
        assertTrue(diff.contains("data memory: 1 bytes differ, the first at 0x400005"), diff);
        String report = report(0, programSeed, p, jitFor(programSeed), a, b, diff);
        assertTrue(report.contains("-Dukemu.jitfuzz.program=0"), report);
        assertTrue(report.contains(p.listing()), report);
    }

    /** The program for {@code seed}; a pick that came out too long is drawn again. */
    static Program generate(long seed) {
        for (int attempt = 0; ; attempt++) {
            try {
                return new FuzzProgramGenerator(new Random(mix(seed, attempt))).generate();
            } catch (IllegalStateException e) {
                if (attempt > 20) {
                    throw e;
                }
            }
        }
    }

    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    // ------------------------------------------------------------------ running

    enum Kind { HALT, GUEST_STOP, HOST_EXCEPTION, BUDGET }

    /** The state at one stop. */
    record Snapshot(Kind kind, String detail, long[] r, long rip, long rflags, long[] xmm, long cr2, int mxcsr,
            List<Integer> vectors, List<Integer> errorCodes, byte[][] memory, long instructions) {
        int vector() {
            long off = rip - 1 - FlatLongMode.HANDLERS;
            return kind == Kind.HALT && off >= 0 && off < 256 * 16 && off % 16 == 0 ? (int) (off / 16) : -1;
        }

        String outcome() {
            if (kind != Kind.HALT) {
                return kind.toString();
            }
            int v = vector();
            return v < 0 ? "hlt" : "#" + vectorName(v);
        }
    }

    static String vectorName(int v) {
        return switch (v) {
            case 0 -> "DE";
            case 6 -> "UD";
            case 8 -> "DF";
            case 12 -> "SS";
            case 13 -> "GP";
            case 14 -> "PF";
            case 17 -> "AC";
            case 19 -> "XM";
            default -> "vector " + v;
        };
    }

    /** One engine's run of one program. */
    record Run(List<Snapshot> stops, long instructions, long regionsCompiled, long regionsRejected, long regionRuns,
            long[] initialRegs, long initialFlags) {
        /** A reason the program itself is unusable (the interpreter is the reference), or null. */
        String generatorProblem(Program p) {
            for (Snapshot s : stops) {
                if (s.kind != Kind.HALT) {
                    return "the interpreter did not end the program with a HLT: " + s.kind + " " + s.detail;
                }
                if (s.vector() >= 0) {
                    // Exceptions only where the program means them.
                    int item = p.itemAt(faultingRip(s));
                    if (item < 0 || !p.seq().items.get(item).mayFault) {
                        return String.format("unexpected %s at 0x%x%n", s.outcome(), faultingRip(s));
                    }
                }
            }
            return null;
        }
    }

    /** The RIP in the exception frame of a stop in a handler. */
    static long faultingRip(Snapshot s) {
        boolean err = !s.errorCodes.isEmpty() && s.errorCodes.get(s.errorCodes.size() - 1) != -1;
        long rsp = s.r[Cpu.RSP] + (err ? 8 : 0);
        long off = rsp - (STACK - 0x1000);
        if (off < 0 || off + 8 > 0x1000) {
            return -1;
        }
        byte[] st = s.memory[2];
        long v = 0;
        for (int k = 7; k >= 0; k--) {
            v = v << 8 | (st[(int) off + k] & 0xFF);
        }
        return v;
    }

    static Run runOn(Program p, JitConfig config, long programSeed) throws Exception {
        Machine[] current = new Machine[1];
        Future<Run> f = worker.submit(() -> {
            try (Machine m = new Machine(config, p, programSeed)) {
                current[0] = m;
                return m.runToEnd();
            }
        });
        try {
            return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            Machine m = current[0];
            if (m != null) {
                m.rig.cpu.raiseEvent(Interpreter.EV_STOP);
            }
            f.cancel(true);
            throw new AssertionError(String.format("program (seed 0x%x) did not end within %d s with %s: guest code that"
                    + " never returns to the interpreter?%n%s%n%s", programSeed, TIMEOUT_SECONDS, config, p.summary(), p.listing()));
        }
    }

    /** A CpuTestRig set up for the fuzz programs: 4 KiB pages over the data area, SSE on, random state. */
    static final class Machine implements AutoCloseable {
        final CpuTestRig rig;
        final Program p;
        final long[] initialRegs = new long[16];
        final long initialFlags;

        Machine(JitConfig config, Program p, long seed) {
            this.p = p;
            rig = new CpuTestRig(config);
            Cpu c = rig.cpu;
            c.cr4 |= Cpu.CR4_OSFXSR | Cpu.CR4_OSXMMEXCPT;
            rig.mem.writeLong(CpuTestRig.PD + 2 * 8, DATA_PT | 7);
            for (int k = 0; k < 512; k++) {
                long pa = DATA + k * 0x1000L;
                long flags = pa == HOLE ? 0 : pa == RO ? 0x1 : 0x3;
                rig.mem.writeLong(DATA_PT + 8L * k, flags == 0 ? 0 : pa | flags);
            }
            SplittableRandom rnd = new SplittableRandom(seed ^ 0x57A7E5EEDL);
            byte[] data = new byte[0x4000];
            rnd.nextBytes(data);
            rig.mem.load(DATA, data);
            rig.mem.zero(HOLE, 0x1000);
            rig.mem.zero(CTL, 0x1000);
            rig.mem.zero(STACK - 0x1000, 0x1000);
            rig.mem.load(CODE, p.code());
            for (int k = 0; k < p.tableSlots().size(); k++) {
                rig.mem.writeLong(p.tableSlots().get(k), CODE + p.tableTargets().get(k).offset);
            }
            for (int k = 0; k < 16; k++) {
                c.r[k] = value(rnd);
                initialRegs[k] = c.r[k];
            }
            c.r[Cpu.RSP] = INITIAL_RSP;
            c.r[p.base()] = p.baseAddr();
            for (int k = 0; k < 32; k++) {
                c.xmm[k] = value(rnd);
            }
            initialFlags = (rnd.nextInt() & 0x8D5) | (rnd.nextInt(4) == 0 ? Cpu.RF_DF : 0);
            c.setRflags(initialFlags | Cpu.RF_FIXED);
            System.arraycopy(c.r, 0, initialRegs, 0, 16);
            c.invalidateDecodedCode();
            c.rip = CODE;
            c.halted = false;
        }

        static long value(SplittableRandom r) {
            return switch (r.nextInt(8)) {
                case 0 -> 0;
                case 1 -> -1;
                case 2 -> r.nextInt(256);
                case 3 -> 1L << r.nextInt(64);
                case 4 -> DATA + r.nextInt(0x2000);
                case 5 -> Long.MIN_VALUE + r.nextInt(3) - 1;
                default -> r.nextLong();
            };
        }

        Run runToEnd() {
            List<Snapshot> stops = new ArrayList<>();
            while (true) {
                Snapshot s = runToStop();
                stops.add(s);
                if (s.kind != Kind.HALT || stops.size() >= MAX_STOPS || !resume(s)) {
                    break;
                }
            }
            Jit jit = rig.cpu.code.jit();
            return new Run(stops, rig.cpu.instructions, jit == null ? 0 : jit.regionsCompiled(),
                    jit == null ? 0 : jit.regionsRejected(), rig.cpu.regionRuns, initialRegs, initialFlags);
        }

        Snapshot runToStop() {
            Cpu c = rig.cpu;
            Kind kind = Kind.HALT;
            String detail = "";
            try {
                while (!c.halted) {
                    if (c.instructions >= MAX_PROGRAM_INSTRUCTIONS) {
                        kind = Kind.BUDGET;
                        break;
                    }
                    if ((c.events & Interpreter.EV_STOP) != 0) {
                        kind = Kind.BUDGET;
                        detail = "stopped by the watchdog";
                        break;
                    }
                    Interpreter.step(c);
                }
            } catch (GuestStop e) {
                kind = Kind.GUEST_STOP;
                detail = e.kind + ": " + e.getMessage();
            } catch (RuntimeException | LinkageError | StackOverflowError e) {
                kind = Kind.HOST_EXCEPTION;
                java.io.StringWriter w = new java.io.StringWriter();
                e.printStackTrace(new java.io.PrintWriter(w));
                detail = w.toString();
            }
            byte[][] memory = new byte[AREAS.length][];
            for (int k = 0; k < AREAS.length; k++) {
                memory[k] = rig.mem.read(AREAS[k][0], (int) AREAS[k][1]);
            }
            return new Snapshot(kind, detail, c.r.clone(), c.rip, c.rflags(), c.xmm.clone(), c.cr2, c.mxcsr,
                    List.copyOf(rig.vectors), List.copyOf(rig.errorCodes), memory, c.instructions);
        }

        /** Leaves the handler of the exception {@code s} stopped in for the instruction after the faulting one. */
        boolean resume(Snapshot s) {
            if (s.vector() < 0) {
                return false;
            }
            Cpu c = rig.cpu;
            boolean err = !rig.errorCodes.isEmpty() && rig.errorCodes.get(rig.errorCodes.size() - 1) != -1;
            long frame = c.r[Cpu.RSP] + (err ? 8 : 0);
            long rip = rig.mem.readLong(frame);
            long rflags = rig.mem.readLong(frame + 16);
            long rsp = rig.mem.readLong(frame + 24);
            int item = p.itemAt(rip);
            if (item < 0) {
                return false;
            }
            c.rip = rip + p.seq().items.get(item).bytes.length;
            c.setRflags(rflags);
            c.r[Cpu.RSP] = rsp;
            c.halted = false;
            return true;
        }

        @Override
        public void close() {
            rig.close();
        }
    }

    // ------------------------------------------------------------------ comparing and reporting

    static final String[] REGS = FuzzProgramGenerator.R64;

    /** The differences between the two runs' stops, first difference first; null when they agree. */
    static String compare(Run a, Run b) {
        int n = Math.min(a.stops.size(), b.stops.size());
        for (int k = 0; k < n; k++) {
            List<String> d = diffs(a.stops.get(k), b.stops.get(k));
            if (!d.isEmpty()) {
                return String.format("at stop %d of %d (interpreter: %s after %,d instructions):%n  first difference: %s%n%s",
                        k + 1, a.stops.size(), a.stops.get(k).outcome(), a.stops.get(k).instructions, d.get(0),
                        d.size() > 1 ? "  also: " + String.join("\n        ", d.subList(1, d.size())) + "\n" : "");
            }
        }
        if (a.stops.size() != b.stops.size()) {
            return String.format("the interpreter stopped %d times, the JIT %d times%n", a.stops.size(), b.stops.size());
        }
        return null;
    }

    static List<String> diffs(Snapshot a, Snapshot b) {
        List<String> d = new ArrayList<>();
        if (a.kind != b.kind) {
            d.add("outcome: interpreter " + a.kind + ", JIT " + b.kind + " " + b.detail);
        }
        if (a.rip != b.rip) {
            d.add(String.format("RIP: interpreter 0x%x, JIT 0x%x", a.rip, b.rip));
        }
        for (int k = 0; k < 16; k++) {
            if (a.r[k] != b.r[k]) {
                d.add(String.format("%s: interpreter 0x%x, JIT 0x%x", REGS[k].toUpperCase(), a.r[k], b.r[k]));
            }
        }
        if (a.rflags != b.rflags) {
            d.add(String.format("RFLAGS: interpreter 0x%x, JIT 0x%x (differing bits 0x%x)", a.rflags, b.rflags, a.rflags ^ b.rflags));
        }
        if (!a.vectors.equals(b.vectors) || !a.errorCodes.equals(b.errorCodes)) {
            d.add("exceptions (vector/error code): interpreter " + exceptions(a) + ", JIT " + exceptions(b));
        }
        if (a.cr2 != b.cr2) {
            d.add(String.format("CR2: interpreter 0x%x, JIT 0x%x", a.cr2, b.cr2));
        }
        for (int k = 0; k < 16; k++) {
            if (a.xmm[2 * k] != b.xmm[2 * k] || a.xmm[2 * k + 1] != b.xmm[2 * k + 1]) {
                d.add(String.format("XMM%d: interpreter %016x%016x, JIT %016x%016x", k, a.xmm[2 * k + 1], a.xmm[2 * k],
                        b.xmm[2 * k + 1], b.xmm[2 * k]));
            }
        }
        if (a.mxcsr != b.mxcsr) {
            d.add(String.format("MXCSR: interpreter 0x%x, JIT 0x%x", a.mxcsr, b.mxcsr));
        }
        for (int k = 0; k < AREAS.length; k++) {
            int m = Arrays.mismatch(a.memory[k], b.memory[k]);
            if (m >= 0) {
                int count = 0;
                for (int j = m; j < a.memory[k].length; j++) {
                    if (a.memory[k][j] != b.memory[k][j]) {
                        count++;
                    }
                }
                d.add(String.format("%s memory: %d bytes differ, the first at 0x%x: interpreter %02x, JIT %02x", AREA_NAMES[k],
                        count, AREAS[k][0] + m, a.memory[k][m] & 0xFF, b.memory[k][m] & 0xFF));
            }
        }
        if (!a.detail.equals(b.detail) && a.kind == b.kind && a.kind != Kind.HALT) {
            d.add("detail: interpreter " + a.detail + ", JIT " + b.detail);
        }
        return d;
    }

    static String exceptions(Snapshot s) {
        StringBuilder sb = new StringBuilder("[");
        for (int k = 0; k < s.vectors.size(); k++) {
            sb.append(k == 0 ? "" : ", ").append(s.vectors.get(k));
            if (s.errorCodes.get(k) != -1) {
                sb.append('/').append(Integer.toHexString(s.errorCodes.get(k)));
            }
        }
        return sb.append(']').toString();
    }

    static String report(int k, long programSeed, Program p, JitConfig jit, Run interp, Run compiled, String what) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%nJIT and interpreter differ on program %d of seed 0x%x (program seed 0x%x), with %s%n", k, SEED,
                programSeed, jit));
        sb.append(String.format("rerun: ./mvnw -pl emulator-core -am test-compile surefire:test@jit -Dtest=JitDifferentialTest"
                + " -Dsurefire.failIfNoSpecifiedTests=false -Dukemu.jitfuzz.seed=0x%x -Dukemu.jitfuzz.program=%d%n", SEED, k));
        sb.append(what);
        Snapshot last = interp.stops.get(interp.stops.size() - 1);
        if (last.kind == Kind.HOST_EXCEPTION) {
            sb.append(last.detail);
        }
        for (Snapshot s : compiled.stops) {
            if (s.kind == Kind.HOST_EXCEPTION || s.kind == Kind.GUEST_STOP) {
                sb.append("JIT: ").append(s.kind).append(' ').append(s.detail).append('\n');
                break;
            }
        }
        sb.append("initial state:");
        for (int r = 0; r < 16; r++) {
            sb.append(r % 4 == 0 ? "\n  " : "  ").append(String.format("%-3s=%016x", REGS[r], interp.initialRegs[r]));
        }
        sb.append(String.format("%n  rflags=0x%x; data and xmm from the program seed%n", interp.initialFlags | Cpu.RF_FIXED));
        sb.append("program: ").append(p.summary()).append('\n').append(p.listing());
        return sb.toString();
    }
}
