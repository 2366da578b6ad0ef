package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ukemu.core.cpu.oracle.NativeX87;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every x87 arithmetic, load/store, compare, control and transcendental form, run on random
 * edge-biased states (all four rounding modes, all precision controls, mostly masked and
 * sometimes unmasked exceptions) both natively on the host CPU and in the emulator; the FXSAVE
 * images after the instruction (FCW, FSW, abridged FTW, FOP, ST0-7), the memory operand, RAX and
 * the arithmetic flags must agree bit for bit. Transcendental results may differ by at most one
 * ulp (their FSW then may differ in C1, PE and UE); the report lists each form's ulp histogram.
 *
 * <p>{@code -Dukemu.oracle.cases=N} sets the number of cases (default 100000),
 * {@code -Dukemu.oracle.seed=S} the random seed.
 */
class X87DifferentialTest {
    static final int CASES = Integer.getInteger("ukemu.oracle.cases", 100_000);
    static final long SEED = Long.getLong("ukemu.oracle.seed", 0x8087L);
    static final int MAX_REPORTED = 40;

    enum Operand { NONE, F32, F64, F80, I16, I32, I64, BCD, CW }

    /** domain: 0 any, 1 |ST0| <= 1 (F2XM1), 2 |ST0| < 1 - sqrt(2)/2 (FYL2XP1), 3 trigonometric. */
    record Form(String name, byte[] bytes, Operand operand, int domain, boolean transcendental) {
    }

    static final String[] ARITH = {"fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr"};

    static List<Form> forms() {
        List<Form> f = new ArrayList<>();
        Operand[] memKinds = {Operand.F32, Operand.I32, Operand.F64, Operand.I16};
        int[] memOps = {0xD8, 0xDA, 0xDC, 0xDE};
        for (int k = 0; k < 4; k++) {
            for (int r = 0; r < 8; r++) {
                f.add(mem(ARITH[r] + " " + memKinds[k], memOps[k], r, memKinds[k]));
            }
        }
        for (int r = 0; r < 8; r++) {
            for (int i : new int[] {0, 1, 3}) {
                f.add(reg(ARITH[r] + " st0,st" + i, 0xD8, 0xC0 | r << 3 | i));
                f.add(reg("dc/" + r + " st" + i, 0xDC, 0xC0 | r << 3 | i));
                if (r != 3 || i == 1) {
                    f.add(reg("de/" + r + " st" + i, 0xDE, 0xC0 | r << 3 | i));
                }
            }
        }
        f.add(mem("fld m32", 0xD9, 0, Operand.F32));
        f.add(mem("fld m64", 0xDD, 0, Operand.F64));
        f.add(mem("fld m80", 0xDB, 5, Operand.F80));
        f.add(mem("fild m16", 0xDF, 0, Operand.I16));
        f.add(mem("fild m32", 0xDB, 0, Operand.I32));
        f.add(mem("fild m64", 0xDF, 5, Operand.I64));
        f.add(mem("fbld", 0xDF, 4, Operand.BCD));
        f.add(mem("fst m32", 0xD9, 2, Operand.NONE));
        f.add(mem("fstp m32", 0xD9, 3, Operand.NONE));
        f.add(mem("fst m64", 0xDD, 2, Operand.NONE));
        f.add(mem("fstp m64", 0xDD, 3, Operand.NONE));
        f.add(mem("fstp m80", 0xDB, 7, Operand.NONE));
        f.add(mem("fist m16", 0xDF, 2, Operand.NONE));
        f.add(mem("fistp m16", 0xDF, 3, Operand.NONE));
        f.add(mem("fist m32", 0xDB, 2, Operand.NONE));
        f.add(mem("fistp m32", 0xDB, 3, Operand.NONE));
        f.add(mem("fistp m64", 0xDF, 7, Operand.NONE));
        f.add(mem("fisttp m16", 0xDF, 1, Operand.NONE));
        f.add(mem("fisttp m32", 0xDB, 1, Operand.NONE));
        f.add(mem("fisttp m64", 0xDD, 1, Operand.NONE));
        f.add(mem("fbstp", 0xDF, 6, Operand.NONE));
        f.add(mem("fldcw", 0xD9, 5, Operand.CW));
        f.add(mem("fnstcw", 0xD9, 7, Operand.NONE));
        f.add(mem("fnstsw m16", 0xDD, 7, Operand.NONE));
        for (int i : new int[] {0, 1, 5}) {
            f.add(reg("fld st" + i, 0xD9, 0xC0 | i));
            f.add(reg("fxch st" + i, 0xD9, 0xC8 | i));
            f.add(reg("fst st" + i, 0xDD, 0xD0 | i));
            f.add(reg("fstp st" + i, 0xDD, 0xD8 | i));
            f.add(reg("ffree st" + i, 0xDD, 0xC0 | i));
            f.add(reg("ffreep st" + i, 0xDF, 0xC0 | i));
            f.add(reg("fucom st" + i, 0xDD, 0xE0 | i));
            f.add(reg("fucomp st" + i, 0xDD, 0xE8 | i));
            f.add(reg("fcomi st" + i, 0xDB, 0xF0 | i));
            f.add(reg("fucomi st" + i, 0xDB, 0xE8 | i));
            f.add(reg("fcomip st" + i, 0xDF, 0xF0 | i));
            f.add(reg("fucomip st" + i, 0xDF, 0xE8 | i));
            for (int cc = 0; cc < 4; cc++) {
                f.add(reg("fcmov" + cc + " st" + i, 0xDA, 0xC0 | cc << 3 | i));
                f.add(reg("fcmovn" + cc + " st" + i, 0xDB, 0xC0 | cc << 3 | i));
            }
        }
        f.add(reg("fstp1 st2", 0xD9, 0xDA));
        f.add(reg("fxch4 st2", 0xDD, 0xCA));
        f.add(reg("fxch7 st2", 0xDF, 0xCA));
        f.add(reg("fstp8 st2", 0xDF, 0xD2));
        f.add(reg("fstp9 st2", 0xDF, 0xDA));
        f.add(reg("fcompp", 0xDE, 0xD9));
        f.add(reg("fucompp", 0xDA, 0xE9));
        f.add(reg("fnop", 0xD9, 0xD0));
        f.add(reg("fchs", 0xD9, 0xE0));
        f.add(reg("fabs", 0xD9, 0xE1));
        f.add(reg("ftst", 0xD9, 0xE4));
        f.add(reg("fxam", 0xD9, 0xE5));
        String[] consts = {"fld1", "fldl2t", "fldl2e", "fldpi", "fldlg2", "fldln2", "fldz"};
        for (int k = 0; k < 7; k++) {
            f.add(reg(consts[k], 0xD9, 0xE8 + k));
        }
        f.add(reg("fxtract", 0xD9, 0xF4));
        f.add(reg("fprem1", 0xD9, 0xF5));
        f.add(reg("fdecstp", 0xD9, 0xF6));
        f.add(reg("fincstp", 0xD9, 0xF7));
        f.add(reg("fprem", 0xD9, 0xF8));
        f.add(reg("fsqrt", 0xD9, 0xFA));
        f.add(reg("frndint", 0xD9, 0xFC));
        f.add(reg("fscale", 0xD9, 0xFD));
        f.add(reg("fnclex", 0xDB, 0xE2));
        f.add(reg("fninit", 0xDB, 0xE3));
        f.add(reg("fnstsw ax", 0xDF, 0xE0));
        f.add(trans("f2xm1", 0xF0, 1));
        f.add(trans("fyl2x", 0xF1, 0));
        f.add(trans("fptan", 0xF2, 3));
        f.add(trans("fpatan", 0xF3, 0));
        f.add(trans("fyl2xp1", 0xF9, 2));
        f.add(trans("fsincos", 0xFB, 3));
        f.add(trans("fsin", 0xFE, 3));
        f.add(trans("fcos", 0xFF, 3));
        return f;
    }

    static Form mem(String name, int op, int r, Operand kind) {
        return new Form(name, new byte[] {(byte) op, (byte) (r << 3 | 6)}, kind, 0, false);
    }

    static Form reg(String name, int op, int modrm) {
        return new Form(name, new byte[] {(byte) op, (byte) modrm}, Operand.NONE, 0, false);
    }

    static Form trans(String name, int modrm, int domain) {
        return new Form(name, new byte[] {(byte) 0xD9, (byte) modrm}, Operand.NONE, domain, true);
    }

    // ------------------------------------------------------------------ random states

    static final class Case {
        final byte[] state = new byte[512];
        final byte[] operand = new byte[64];
        long flags, rax;
    }

    static Case randomCase(Random rnd, X87Values v, Form form) {
        Case k = new Case();
        ByteBuffer b = ByteBuffer.wrap(k.state).order(ByteOrder.LITTLE_ENDIAN);
        int masks = rnd.nextInt(8) == 0 ? rnd.nextInt(64) : 0x3F;
        int pc = new int[] {0, 1, 2, 3, 3}[rnd.nextInt(5)];
        int rc = rnd.nextInt(4);
        int cw = masks | 0x40 | pc << 8 | rc << 10;
        int top = rnd.nextInt(8);
        int flagsSticky = rnd.nextInt(4) == 0 ? rnd.nextInt(64) & masks : 0;
        int sw = (rnd.nextInt() & 0x4700) | top << 11 | flagsSticky;
        int ftw = 0;
        for (int st = 0; st < 8; st++) {
            int p = (top + st) & 7;
            boolean full = st < 2 ? rnd.nextInt(30) != 0 : st == 7 ? rnd.nextInt(3) == 0 : rnd.nextInt(4) != 0;
            if (full) {
                ftw |= 1 << p;
            }
            long[] x = v.f80();
            if (st == 0) {
                x = domain(rnd, v, form.domain(), x);
            }
            b.putLong(32 + 16 * st, x[1]);
            b.putShort(40 + 16 * st, (short) x[0]);
        }
        b.putShort(0, (short) cw);
        b.putShort(2, (short) sw);
        b.put(4, (byte) ftw);
        b.putInt(24, 0x1F80);
        b.putInt(28, 0xFFFF);
        ByteBuffer o = ByteBuffer.wrap(k.operand).order(ByteOrder.LITTLE_ENDIAN);
        for (int n = 0; n < 64; n += 8) {
            o.putLong(n, rnd.nextLong());
        }
        switch (form.operand()) {
            case F32 -> o.putInt(0, v.f32());
            case F64 -> o.putLong(0, v.f64());
            case F80 -> {
                long[] x = v.f80();
                o.putLong(0, x[1]);
                o.putShort(8, (short) x[0]);
            }
            case I16 -> o.putShort(0, (short) v.integer(16));
            case I32 -> o.putInt(0, (int) v.integer(32));
            case I64 -> o.putLong(0, v.integer(64));
            case BCD -> {
                long[] x = v.bcd();
                o.putLong(0, x[0]);
                o.putShort(8, (short) x[1]);
            }
            case CW -> o.putShort(0, (short) rnd.nextInt(0x10000));
            default -> {
            }
        }
        k.flags = 0x202 | (rnd.nextInt() & 0x8D5);
        k.rax = rnd.nextLong();
        return k;
    }

    /**
     * F2XM1 and FYL2XP1 are undefined outside |x| <= 1 and |x| < 1 - sqrt(2)/2: their ST0 is
     * drawn inside (NaNs, zeros, denormals and, for F2XM1, infinities stay as drawn). The
     * trigonometric forms get moderate arguments, and any operand one time in ten.
     */
    private static long[] domain(Random rnd, X87Values v, int domain, long[] x) {
        if (domain == 0 || (domain == 3 && rnd.nextInt(10) == 0)) {
            return x;
        }
        int e = (int) x[0] & 0x7FFF;
        boolean special = e == 0 || (e == 0x7FFF && (domain == 1 || x[1] != Float80.INT_BIT))
                || Float80.isUnsupported((int) x[0], x[1]);
        if (special && rnd.nextBoolean()) {
            return x;
        }
        int s = rnd.nextBoolean() ? 0x8000 : 0;
        long sig = v.significand() | Float80.INT_BIT;
        return switch (domain) {
            case 1 -> new long[] {s | (0x3FFF - 1 - rnd.nextInt(rnd.nextBoolean() ? 70 : 20)), sig};
            case 2 -> new long[] {s | (0x3FFF - 3 - rnd.nextInt(rnd.nextBoolean() ? 70 : 20)), sig};
            default -> new long[] {s | (0x3FFF - 20 + rnd.nextInt(rnd.nextInt(8) == 0 ? 86 : 26)), sig};
        };
    }

    // ------------------------------------------------------------------ the test

    static final class Stats {
        int cases, exact, mismatches;
        int[] ulps = new int[4]; // 0, 1, 2, >2
    }

    @Test
    void x87InstructionsMatchTheHostCpu() {
        assumeTrue(NativeX87.available(), "needs an x86-64 Linux host");
        List<Form> forms = forms();
        Map<String, Stats> stats = new LinkedHashMap<>();
        List<String> report = new ArrayList<>();
        int failures = 0;
        long t0 = System.nanoTime();
        long slowest = 0;
        String slowestCase = "";
        try (NativeX87 nat = new NativeX87(); CpuTestRig rig = new CpuTestRig()) {
            Cpu cpu = rig.cpu;
            cpu.cr4 |= Cpu.CR4_OSFXSR | Cpu.CR4_OSXMMEXCPT;
            for (int k = 0; k < forms.size(); k++) {
                rig.mem.load(CpuTestRig.CODE + 64L * k, guestCode(forms.get(k).bytes()));
            }
            cpu.invalidateDecodedCode();
            Random rnd = new Random(SEED);
            X87Values values = new X87Values(rnd);
            for (int n = 0; n < CASES; n++) {
                int fi = rnd.nextInt(forms.size());
                Form form = forms.get(fi);
                Case k = randomCase(rnd, values, form);
                runNative(nat, form, k);
                long g0 = System.nanoTime();
                runGuest(rig, fi, k);
                long dt = System.nanoTime() - g0;
                if (dt > slowest) {
                    slowest = dt;
                    slowestCase = form.name() + " " + describe(k.state);
                }
                Stats st = stats.computeIfAbsent(form.name(), x -> new Stats());
                st.cases++;
                String diff = compare(nat, rig, form, k, st);
                if (diff != null) {
                    st.mismatches++;
                    failures++;
                    if (report.size() < MAX_REPORTED) {
                        report.add("case " + n + " " + form.name() + ": " + diff + "\n  in: " + describe(k.state)
                                + " op=" + hex(k.operand, 0, 10));
                    }
                }
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("x87 differential: %d cases, %d forms, %d mismatches, %d ms (slowest guest case %d us: %s)%n",
                CASES, stats.size(), failures, ms, slowest / 1000, slowestCase));
        for (var e : stats.entrySet()) {
            Stats st = e.getValue();
            if (st.mismatches > 0 || forms.stream().anyMatch(f -> f.name().equals(e.getKey()) && f.transcendental())) {
                sb.append(String.format("  %-16s cases %6d exact %6d ulp0 %d ulp1 %d ulp2 %d ulp>2 %d mismatches %d%n",
                        e.getKey(), st.cases, st.exact, st.ulps[0], st.ulps[1], st.ulps[2], st.ulps[3], st.mismatches));
            }
        }
        for (String r : report) {
            sb.append(r).append('\n');
        }
        System.out.println(sb);
        assertTrue(failures == 0, sb.toString());
    }

    static byte[] guestCode(byte[] insn) {
        byte[] pre = {0x48, 0x0F, (byte) 0xAE, 0x0F};
        byte[] post = {0x48, 0x0F, (byte) 0xAE, (byte) 0x87, 0x00, 0x02, 0x00, 0x00, (byte) 0xF4};
        byte[] out = new byte[pre.length + insn.length + post.length];
        System.arraycopy(pre, 0, out, 0, pre.length);
        System.arraycopy(insn, 0, out, pre.length, insn.length);
        System.arraycopy(post, 0, out, pre.length + insn.length, post.length);
        return out;
    }

    static void runNative(NativeX87 nat, Form form, Case k) {
        MemorySegment.copy(k.state, 0, nat.block, ValueLayout.JAVA_BYTE, NativeX87.IN, 512);
        MemorySegment.copy(k.operand, 0, nat.operand, ValueLayout.JAVA_BYTE, 0, 64);
        nat.block.set(ValueLayout.JAVA_LONG, NativeX87.FLAGS_IN, k.flags);
        nat.block.set(ValueLayout.JAVA_LONG, NativeX87.RAX_IN, k.rax);
        nat.run(form.bytes());
    }

    static final long DATA = CpuTestRig.DATA;

    static void runGuest(CpuTestRig rig, int fi, Case k) {
        Cpu cpu = rig.cpu;
        rig.mem.load(DATA, k.state);
        rig.mem.load(DATA + NativeX87.OPERAND, k.operand);
        cpu.r[Cpu.RDI] = DATA;
        cpu.r[Cpu.RSI] = DATA + NativeX87.OPERAND;
        cpu.r[Cpu.RAX] = k.rax;
        cpu.setRflags(k.flags);
        cpu.rip = CpuTestRig.CODE + 64L * fi;
        cpu.halted = false;
        rig.vectors.clear();
        rig.run(10);
    }

    // ------------------------------------------------------------------ comparison

    static String compare(NativeX87 nat, CpuTestRig rig, Form form, Case k, Stats stats) {
        if (!rig.vectors.isEmpty()) {
            return "guest exception vector " + rig.vectors;
        }
        byte[] host = new byte[512];
        MemorySegment.copy(nat.block, ValueLayout.JAVA_BYTE, NativeX87.OUT, host, 0, 512);
        byte[] guest = rig.mem.read(DATA + 512, 512);
        StringBuilder d = new StringBuilder();
        ByteBuffer h = ByteBuffer.wrap(host).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer g = ByteBuffer.wrap(guest).order(ByteOrder.LITTLE_ENDIAN);
        int hsw = h.getShort(2) & 0xFFFF, gsw = g.getShort(2) & 0xFFFF;
        int worstUlp = 0;
        boolean regsDiffer = false;
        for (int st = 0; st < 8; st++) {
            long hm = h.getLong(32 + 16 * st), gm = g.getLong(32 + 16 * st);
            int he = h.getShort(40 + 16 * st) & 0xFFFF, ge = g.getShort(40 + 16 * st) & 0xFFFF;
            if (hm != gm || he != ge) {
                regsDiffer = true;
                int u = ulps(he, hm, ge, gm);
                worstUlp = Math.max(worstUlp, u);
                d.append(String.format(" st%d host %04x:%016x guest %04x:%016x (%s ulp)", st, he, hm, ge, gm,
                        u == Integer.MAX_VALUE ? "inf" : Integer.toString(u)));
            }
            for (int b = 10; b < 16; b++) {
                if (host[32 + 16 * st + b] != guest[32 + 16 * st + b]) {
                    d.append(" st").append(st).append(" reserved bytes differ");
                    break;
                }
            }
        }
        int swMask = 0xFFFF;
        if (form.transcendental() && worstUlp <= 1) {
            swMask &= ~(Float80.PE | Float80.UE | X87.SW_C1);
        }
        if (((hsw ^ gsw) & swMask) != 0) {
            d.append(String.format(" fsw host %04x guest %04x", hsw, gsw));
        }
        for (int[] field : new int[][] {{0, 2, 'c'}, {4, 1, 't'}, {6, 2, 'o'}, {24, 4, 'm'}}) {
            long hv = field(h, field[0], field[1]), gv = field(g, field[0], field[1]);
            if (field[2] == 'o' && (hsw & X87.SW_ES) == 0) {
                continue; // AMD hosts save FOP only while an exception is pending
            }
            if (hv != gv) {
                d.append(String.format(" %s host %x guest %x", field[2] == 'c' ? "fcw" : field[2] == 't' ? "ftw"
                        : field[2] == 'o' ? "fop" : "mxcsr", hv, gv));
            }
        }
        byte[] hop = new byte[64];
        MemorySegment.copy(nat.operand, ValueLayout.JAVA_BYTE, 0, hop, 0, 64);
        byte[] gop = rig.mem.read(DATA + NativeX87.OPERAND, 64);
        if (!java.util.Arrays.equals(hop, gop)) {
            d.append(" memory host ").append(hex(hop, 0, 10)).append(" guest ").append(hex(gop, 0, 10));
        }
        long hflags = nat.block.get(ValueLayout.JAVA_LONG, NativeX87.FLAGS_OUT) & 0x8D5;
        long gflags = rig.cpu.rflags() & 0x8D5;
        if (hflags != gflags) {
            d.append(String.format(" eflags host %x guest %x", hflags, gflags));
        }
        long hrax = nat.block.get(ValueLayout.JAVA_LONG, NativeX87.RAX_OUT);
        if (hrax != rig.cpu.r[Cpu.RAX]) {
            d.append(String.format(" rax host %x guest %x", hrax, rig.cpu.r[Cpu.RAX]));
        }
        boolean otherDiff = d.length() > 0 && !(regsDiffer && d.indexOf(" fsw") < 0 && d.indexOf(" ftw") < 0
                && d.indexOf(" memory") < 0 && d.indexOf(" eflags") < 0 && d.indexOf(" rax") < 0
                && d.indexOf(" fcw") < 0 && d.indexOf(" fop") < 0 && d.indexOf("reserved") < 0);
        if (!regsDiffer && d.length() == 0) {
            stats.exact++;
        }
        stats.ulps[Math.min(worstUlp, 3)]++;
        boolean ok = d.length() == 0 || (form.transcendental() && worstUlp <= 1 && !otherDiff);
        return ok ? null : d.toString().trim();
    }

    static long field(ByteBuffer b, int off, int size) {
        return switch (size) {
            case 1 -> b.get(off) & 0xFF;
            case 2 -> b.getShort(off) & 0xFFFF;
            default -> b.getInt(off) & 0xFFFFFFFFL;
        };
    }

    /** Distance in units in the last place between two finite values of one sign; MAX_VALUE otherwise. */
    static int ulps(int ae, long am, int be, long bm) {
        if ((ae & 0x8000) != (be & 0x8000) || (ae & 0x7FFF) == 0x7FFF || (be & 0x7FFF) == 0x7FFF) {
            return Integer.MAX_VALUE;
        }
        BigInteger a = BigInteger.valueOf(ae & 0x7FFF).shiftLeft(63).add(BigInteger.valueOf(am & Long.MAX_VALUE));
        BigInteger b = BigInteger.valueOf(be & 0x7FFF).shiftLeft(63).add(BigInteger.valueOf(bm & Long.MAX_VALUE));
        BigInteger dist = a.subtract(b).abs();
        return dist.bitLength() > 30 ? Integer.MAX_VALUE : dist.intValue();
    }

    static String hex(byte[] b, int off, int len) {
        StringBuilder sb = new StringBuilder();
        for (int k = len - 1; k >= 0; k--) {
            sb.append(String.format("%02x", b[off + k]));
        }
        return sb.toString();
    }

    static String describe(byte[] state) {
        ByteBuffer b = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);
        StringBuilder sb = new StringBuilder(String.format("fcw %04x fsw %04x ftw %02x", b.getShort(0) & 0xFFFF,
                b.getShort(2) & 0xFFFF, b.get(4) & 0xFF));
        int top = (b.getShort(2) >> 11) & 7;
        int ftw = b.get(4) & 0xFF;
        for (int st = 0; st < 3; st++) {
            boolean full = (ftw >> ((top + st) & 7) & 1) != 0;
            sb.append(String.format(" st%d=%s%04x:%016x", st, full ? "" : "(empty)", b.getShort(40 + 16 * st) & 0xFFFF,
                    b.getLong(32 + 16 * st)));
        }
        return sb.toString();
    }
}
