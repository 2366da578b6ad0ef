package dev.ukemu.core.cpu.oracle;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ukemu.core.cpu.Cpu;
import dev.ukemu.core.cpu.CpuTestRig;
import dev.ukemu.core.cpu.GuestStop;
import dev.ukemu.core.cpu.Interpreter;
import dev.ukemu.core.cpu.oracle.SseForms.Form;
import dev.ukemu.core.cpu.oracle.SseForms.Lane;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Runs every SSE/MMX form ukemu implements on the host CPU and on the emulator with the same
 * random state (operands biased to the edges: zeros, denormals, infinities, NaNs, extremes,
 * integer boundaries, values that round differently in each mode), in all four rounding modes
 * with DAZ and FTZ on and off and all exceptions masked, and compares every XMM and MMX
 * register, the general registers, MXCSR, the arithmetic flags and the memory operand.
 * {@code -Dukemu.oracle.cases=N} sets the number of cases; {@code -Dukemu.oracle.filter=text}
 * runs only forms whose name contains the text.
 */
class SseDifferentialTest {
    static final int CASES = Integer.getInteger("ukemu.oracle.cases", 200_000);
    static final String FILTER = System.getProperty("ukemu.oracle.filter", "");
    static final long SEED = Long.getLong("ukemu.oracle.seed", 0x55E0_2024L);
    static final int MAX_REPORTS = 40;
    static final long ARITH_FLAGS = 0x8D5; // CF PF AF ZF SF OF

    @Test
    void emulatorMatchesTheHostCpu() {
        assumeTrue(NativeSse.supported(), "needs an x86-64 Linux host");
        Set<String> host = NativeSse.hostFlags();
        List<Form> forms = new ArrayList<>();
        int skipped = 0;
        for (Form f : SseForms.all()) {
            if (!f.name().contains(FILTER)) {
                continue;
            }
            if (host.contains(f.feature()) && (!f.mmx() || host.contains("mmx"))) {
                forms.add(f);
            } else {
                skipped++;
            }
        }
        assumeTrue(!forms.isEmpty(), "the host has none of the instructions");
        int totalWeight = forms.stream().mapToInt(Form::weight).sum();
        SplittableRandom rnd = new SplittableRandom(SEED);
        Map<String, Integer> failures = new LinkedHashMap<>();
        List<String> reports = new ArrayList<>();
        Map<String, Integer> reported = new LinkedHashMap<>();
        long cases = 0;
        long t0 = System.nanoTime();
        try (NativeSse nat = new NativeSse(); CpuTestRig rig = new CpuTestRig()) {
            Cpu cpu = rig.cpu;
            cpu.cr4 |= Cpu.CR4_OSFXSR | Cpu.CR4_OSXMMEXCPT;
            NativeSse.State in = new NativeSse.State();
            NativeSse.State hw = new NativeSse.State();
            byte[] mem = new byte[NativeSse.BUFFER_SIZE];
            byte[] emuMem = new byte[NativeSse.BUFFER_SIZE];
            for (Form f : forms) {
                nat.load(f.code(), f.mmx());
                byte[] withHlt = java.util.Arrays.copyOf(f.code(), f.code().length + 1);
                withHlt[withHlt.length - 1] = (byte) 0xF4;
                rig.code(withHlt);
                int n = Math.max(16, (int) ((long) CASES * f.weight() / totalWeight));
                for (int k = 0; k < n; k++) {
                    randomState(rnd, f, k, in, mem);
                    copy(in, hw);
                    hw.gpr[3] = nat.bufferAddress();
                    hw.gpr[7] = nat.bufferAddress();
                    MemorySegment.copy(mem, 0, nat.buffer(), ValueLayout.JAVA_BYTE, 0, mem.length);
                    nat.run(hw);
                    byte[] hwMem = nat.buffer().toArray(ValueLayout.JAVA_BYTE);
                    String emu = runEmulator(rig, in, mem, emuMem);
                    String diff = emu != null ? emu : compare(f, in, hw, hwMem, cpu, emuMem);
                    cases++;
                    if (diff != null) {
                        failures.merge(f.name(), 1, Integer::sum);
                        String base = f.name().replaceAll(" (rr|rr-rex|m|m\\+1)$", "");
                        if (reports.size() < MAX_REPORTS && reported.merge(base, 1, Integer::sum) <= 2) {
                            reports.add(f.name() + " [" + hex(f.code()) + "]: " + diff + "\n    input " + describe(in));
                        }
                    }
                }
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("SSE oracle: %d cases over %d forms in %.1f s (%d forms skipped: host lacks them)%n",
                cases, forms.size(), secs, skipped);
        if (!failures.isEmpty()) {
            StringBuilder sb = new StringBuilder("mismatches against the host CPU:\n");
            failures.forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v).append('\n'));
            reports.forEach(r -> sb.append(r).append('\n'));
            System.out.println(sb);
            assertTrue(false, failures.size() + " forms differ from the host CPU; details on standard output");
        }
    }

    // ------------------------------------------------------------------ emulator side

    private static String runEmulator(CpuTestRig rig, NativeSse.State s, byte[] mem, byte[] out) {
        Cpu cpu = rig.cpu;
        System.arraycopy(s.xmm, 0, cpu.xmm, 0, 32);
        cpu.mxcsr = s.mxcsr;
        for (int r = 0; r < 16; r++) {
            if (r != Cpu.RSP) {
                cpu.r[r] = s.gpr[r];
            }
        }
        cpu.r[Cpu.RBX] = CpuTestRig.DATA;
        cpu.r[Cpu.RDI] = CpuTestRig.DATA;
        cpu.setRflags(s.rflags);
        System.arraycopy(s.mm, 0, cpu.fpu.mantissa, 0, 8);
        rig.mem.load(CpuTestRig.DATA, mem);
        rig.vectors.clear();
        cpu.rip = CpuTestRig.CODE;
        cpu.halted = false;
        try {
            rig.run(4);
        } catch (GuestStop e) {
            return "emulator stopped: " + e.getMessage();
        }
        if (!rig.vectors.isEmpty()) {
            return "emulator raised vector " + rig.vectors;
        }
        for (int k = 0; k < out.length; k++) {
            out[k] = (byte) rig.mem.readByte(CpuTestRig.DATA + k);
        }
        return null;
    }

    private static String compare(Form f, NativeSse.State in, NativeSse.State hw, byte[] hwMem, Cpu cpu, byte[] emuMem) {
        StringBuilder sb = new StringBuilder();
        for (int x = 0; x < 16; x++) {
            long hl = hw.xmm[2 * x], hh = hw.xmm[2 * x + 1], el = cpu.xmm[2 * x], eh = cpu.xmm[2 * x + 1];
            if (hl == el && hh == eh) {
                continue;
            }
            if ((f.flags() & SseForms.APPROX) != 0 && approxEqual(hl, el, in.xmm, f) && approxEqual(hh, eh, in.xmm, f)) {
                continue;
            }
            sb.append(String.format("%n    xmm%d host %016x_%016x emu %016x_%016x", x, hh, hl, eh, el));
        }
        if ((hw.mxcsr & 0xFFFF) != (cpu.mxcsr & 0xFFFF)) {
            sb.append(String.format("%n    mxcsr host %04x emu %04x (in %04x)", hw.mxcsr, cpu.mxcsr, in.mxcsr));
        }
        long ef = cpu.rflags();
        if ((hw.rflags & ARITH_FLAGS) != (ef & ARITH_FLAGS)) {
            sb.append(String.format("%n    rflags host %03x emu %03x (in %03x)", hw.rflags & ARITH_FLAGS,
                    ef & ARITH_FLAGS, in.rflags & ARITH_FLAGS));
        }
        for (int r = 0; r < 16; r++) {
            if (r == Cpu.RSP || r == Cpu.RBX || r == Cpu.RDI) {
                continue;
            }
            if (hw.gpr[r] != cpu.r[r]) {
                sb.append(String.format("%n    r%d host %016x emu %016x", r, hw.gpr[r], cpu.r[r]));
            }
        }
        if (f.mmx()) {
            for (int m = 0; m < 8; m++) {
                if (hw.mm[m] != cpu.fpu.mantissa[m]) {
                    sb.append(String.format("%n    mm%d host %016x emu %016x", m, hw.mm[m], cpu.fpu.mantissa[m]));
                }
            }
        }
        for (int k = 0; k < hwMem.length; k++) {
            if (hwMem[k] != emuMem[k]) {
                sb.append(String.format("%n    memory+%d host %02x emu %02x", k, hwMem[k] & 0xFF, emuMem[k] & 0xFF));
                break;
            }
        }
        return sb.isEmpty() ? null : sb.toString();
    }

    /**
     * RCP/RSQRT promise 1.5 * 2^-12 relative error: two implementations may differ by twice that.
     * Inputs near the ends of the range, where a result may or may not be flushed, are left out.
     */
    private static boolean approxEqual(long h, long e, long[] inputs, Form f) {
        for (int k = 0; k < 2; k++) {
            float a = Float.intBitsToFloat((int) (h >>> (32 * k))), b = Float.intBitsToFloat((int) (e >>> (32 * k)));
            if (Float.floatToRawIntBits(a) == Float.floatToRawIntBits(b)) {
                continue;
            }
            boolean nearEdge = Math.abs(b) > 0x1p125f || Math.abs(a) > 0x1p125f || (Math.abs(a) < 0x1p-125f && a != 0)
                    || (Math.abs(b) < 0x1p-125f && b != 0) || (a == 0) != (b == 0) || Float.isInfinite(a) != Float.isInfinite(b);
            if (Float.isNaN(a) || Float.isNaN(b)) {
                return false;
            }
            if (nearEdge) {
                continue;
            }
            if (Math.abs(a - b) > Math.abs(a) * 0x1p-10f) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ random state

    private static void copy(NativeSse.State a, NativeSse.State b) {
        System.arraycopy(a.xmm, 0, b.xmm, 0, 32);
        System.arraycopy(a.gpr, 0, b.gpr, 0, 16);
        System.arraycopy(a.mm, 0, b.mm, 0, 8);
        b.mxcsr = a.mxcsr;
        b.rflags = a.rflags;
    }

    private static void randomState(SplittableRandom r, Form f, int k, NativeSse.State s, byte[] mem) {
        // Cycle through the 16 combinations of rounding mode, DAZ and FTZ; all exceptions masked.
        int combo = k & 15;
        s.mxcsr = 0x1F80 | (combo & 3) << 13 | ((combo & 4) != 0 ? 0x40 : 0) | ((combo & 8) != 0 ? 0x8000 : 0);
        if (r.nextInt(4) == 0) {
            s.mxcsr |= r.nextInt(0x40); // sticky flags from earlier instructions stay set
        }
        s.rflags = 2 | (r.nextLong() & ARITH_FLAGS);
        for (int x = 0; x < 32; x++) {
            s.xmm[x] = word(r, f.lane());
        }
        if (r.nextInt(4) == 0) {
            // Same operands in both registers: equal compares, x - x, and the like.
            s.xmm[4] = s.xmm[2];
            s.xmm[5] = s.xmm[3];
        }
        if (r.nextInt(4) == 0) {
            // Near neighbours: cancellation, near-ties, compares of almost equal values.
            for (int[] p : new int[][] {{2, 4}, {20, 26}}) {
                s.xmm[p[1]] = perturb(r, s.xmm[p[0]], f.lane());
                s.xmm[p[1] + 1] = perturb(r, s.xmm[p[0] + 1], f.lane());
            }
        }
        for (int g = 0; g < 16; g++) {
            s.gpr[g] = gpr(r);
        }
        for (int m = 0; m < 8; m++) {
            s.mm[m] = word(r, f.lane());
        }
        boolean near = r.nextInt(4) == 0;
        for (int b = 0; b < mem.length; b += 8) {
            long w = near && b < 16 ? perturb(r, s.xmm[2 + b / 8], f.lane()) : word(r, f.lane());
            for (int j = 0; j < 8; j++) {
                mem[b + j] = (byte) (w >>> (8 * j));
            }
        }
    }

    private static long perturb(SplittableRandom r, long w, Lane lane) {
        return switch (lane) {
            case F64, I64 -> r.nextBoolean() ? w + r.nextInt(7) - 3 : w ^ Long.MIN_VALUE;
            case F32, I32 -> {
                long lo = (w + r.nextInt(7) - 3) & 0xFFFFFFFFL, hi = (w >>> 32) + r.nextInt(7) - 3;
                yield r.nextBoolean() ? lo | hi << 32 : w ^ 0x8000000080000000L;
            }
            default -> w;
        };
    }

    private static long gpr(SplittableRandom r) {
        return switch (r.nextInt(8)) {
            case 0, 1, 2 -> r.nextInt(41) - 20;
            case 3 -> edgeInt(r);
            case 4 -> (long) edgeInt(r) << 32 | (edgeInt(r) & 0xFFFFFFFFL);
            case 5 -> r.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE;
            default -> r.nextLong();
        };
    }

    private static int edgeInt(SplittableRandom r) {
        return switch (r.nextInt(8)) {
            case 0 -> 0;
            case 1 -> -1;
            case 2 -> Integer.MIN_VALUE;
            case 3 -> Integer.MAX_VALUE;
            case 4 -> r.nextInt(201) - 100;
            case 5 -> (1 << r.nextInt(31)) + r.nextInt(3) - 1;
            default -> r.nextInt();
        };
    }

    static long word(SplittableRandom r, Lane lane) {
        return switch (lane) {
            case F32 -> (f32(r) & 0xFFFFFFFFL) | (long) f32(r) << 32;
            case F64 -> f64(r);
            case I32 -> (edgeInt(r) & 0xFFFFFFFFL) | (long) edgeInt(r) << 32;
            case I64 -> r.nextInt(4) == 0 ? (long) edgeInt(r) : r.nextInt(3) == 0 ? Long.MIN_VALUE + r.nextInt(2) - 1 : r.nextLong();
            case I8, STR8, I16, STR16 -> small(r, lane);
        };
    }

    private static long small(SplittableRandom r, Lane lane) {
        long w = 0;
        boolean str = lane == Lane.STR8 || lane == Lane.STR16;
        int bits = lane == Lane.I16 || lane == Lane.STR16 ? 16 : 8;
        for (int s = 0; s < 64; s += bits) {
            long v;
            if (str) {
                // A small alphabet with terminators, so string compares find matches and ends.
                int c = r.nextInt(12);
                v = c == 0 && r.nextInt(3) == 0 ? 0 : "abcdAZaz09\u0080\u00ff".charAt(c);
                if (bits == 16 && r.nextInt(4) == 0) {
                    v |= 0x8000;
                }
            } else {
                v = switch (r.nextInt(6)) {
                    case 0 -> 0;
                    case 1 -> -1;
                    case 2 -> 1L << (bits - 1);
                    case 3 -> (1L << (bits - 1)) - 1;
                    default -> r.nextLong();
                };
            }
            w |= (v & ((1L << bits) - 1)) << s;
        }
        return w;
    }

    static int f32(SplittableRandom r) {
        int sign = r.nextBoolean() ? 0x80000000 : 0;
        return sign | switch (r.nextInt(22)) {
            case 0 -> 0;
            case 1 -> r.nextInt(0x7FFFFF) + 1; // denormal
            case 2 -> r.nextInt(4) + 1;
            case 3 -> 0x7F800000; // infinity
            case 4 -> 0x7FC00000 | r.nextInt(0x400000); // QNaN
            case 5 -> 0x7F800000 | (r.nextInt(0x3FFFFF) + 1); // SNaN
            case 6 -> 0x7F7FFFFF - r.nextInt(3); // near max
            case 7 -> 0x00800000 + r.nextInt(3) - 1; // around min normal
            case 8 -> Float.floatToRawIntBits(r.nextInt(21) - 10 + 0.5f * r.nextInt(2)) & 0x7FFFFFFF; // ties
            case 9 -> Float.floatToRawIntBits(r.nextBoolean() ? 0x1p31f : 0x1p63f) + r.nextInt(5) - 2; // integer edges
            case 10 -> 0x3F800000 | r.nextInt(0x800000); // [1, 2)
            case 11 -> (1 + r.nextInt(26)) << 23 | r.nextInt(0x800000); // tiny normal
            case 12 -> (0xF0 + r.nextInt(15)) << 23 | r.nextInt(0x800000); // huge
            case 13 -> Float.floatToRawIntBits(r.nextInt(1 << 24)) & 0x7FFFFFFF;
            default -> (127 - 20 + r.nextInt(41)) << 23 | r.nextInt(0x800000); // moderate
        };
    }

    static long f64(SplittableRandom r) {
        long sign = r.nextBoolean() ? Long.MIN_VALUE : 0;
        long frac = r.nextLong() & 0xFFFFFFFFFFFFFL;
        return sign | switch (r.nextInt(22)) {
            case 0 -> 0L;
            case 1 -> frac == 0 ? 1 : frac; // denormal
            case 2 -> r.nextInt(4) + 1;
            case 3 -> 0x7FF0000000000000L;
            case 4 -> 0x7FF8000000000000L | (frac & 0x7FFFFFFFFFFFFL);
            case 5 -> 0x7FF0000000000000L | ((frac & 0x7FFFFFFFFFFFFL) | 1);
            case 6 -> 0x7FEFFFFFFFFFFFFFL - r.nextInt(3);
            case 7 -> 0x0010000000000000L + r.nextInt(3) - 1;
            case 8 -> Double.doubleToRawLongBits(r.nextInt(21) - 10 + 0.5 * r.nextInt(2)) & Long.MAX_VALUE;
            case 9 -> Double.doubleToRawLongBits(r.nextBoolean() ? 0x1p31 : 0x1p63) + r.nextInt(5) - 2;
            case 10 -> 0x3FF0000000000000L | frac;
            case 11 -> (long) (1 + r.nextInt(55)) << 52 | frac;
            case 12 -> (long) (0x7F0 + r.nextInt(15)) << 52 | frac;
            case 13 -> Double.doubleToRawLongBits(r.nextLong() >> r.nextInt(64)) & Long.MAX_VALUE;
            case 14 -> Double.doubleToRawLongBits(r.nextInt()) & Long.MAX_VALUE;
            case 15 -> (long) (0x380 - 30 + r.nextInt(60)) << 52 | frac; // float-range edges for CVTSD2SS
            default -> (long) (1023 - 30 + r.nextInt(61)) << 52 | frac;
        };
    }

    private static String describe(NativeSse.State s) {
        return String.format("mxcsr=%04x rflags=%03x xmm1=%016x_%016x xmm2=%016x_%016x xmm10=%016x_%016x "
                        + "xmm13=%016x_%016x rax=%x rcx=%x rdx=%x r10=%x r13=%x mm1=%016x mm2=%016x",
                s.mxcsr, s.rflags, s.xmm[3], s.xmm[2], s.xmm[5], s.xmm[4], s.xmm[21], s.xmm[20], s.xmm[27], s.xmm[26],
                s.gpr[0], s.gpr[1], s.gpr[2], s.gpr[10], s.gpr[13], s.mm[1], s.mm[2]);
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(sb.isEmpty() ? "" : " ").append(String.format("%02x", x & 0xFF));
        }
        return sb.toString();
    }
}
