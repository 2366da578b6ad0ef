package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ukemu.core.cpu.oracle.CapstoneOracle;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves ukemu's instruction decoder against Capstone (see {@link CapstoneOracle}) on random
 * byte sequences in 64-, 32- and 16-bit code: the instruction length of every encoding both
 * accept and ukemu implements, the verdict on invalid encodings, and the operands of a
 * representative subset (integer ALU, MOV, LEA, shifts, branches and their targets, SSE moves).
 *
 * <p>{@code -Dukemu.capstone.cases=N} sets the number of cases (default 10^6, shared out over
 * the three code sizes), {@code -Dukemu.capstone.seed=S} the seed. Every disagreement that is not
 * one of the documented Capstone quirks in {@link CapstoneDecodeTest#excuse} fails the test with
 * the bytes that show it. Skipped when Debian's libcapstone4 is not installed.
 *
 * <p>What is not compared: encodings ukemu decodes to {@code UNIMPL} (VEX/AVX, AES, SHA,
 * PCLMULQDQ), and the length of UD0/UD1/UD2, which raise #UD by definition. The excused
 * disagreements fall in three kinds, each counted in the report: instructions that raise #UD on
 * the CPU ukemu models (extensions its CPUID does not announce, AMD/VIA-only instructions,
 * SYSCALL/SYSRET/SWAPGS outside 64-bit mode, RSM outside SMM, MOV CS); prefixes the SDM forbids
 * and Capstone 4 ignores (LOCK on a non-lockable instruction, 66/F2/F3 on an NP or
 * blank-cell 0F-map opcode); and Capstone 4 decoding bugs (mandatory prefixes only honoured
 * right before the opcode and not at all in 16-bit code, 67+REX taken for 66, F2/F3 cancelling
 * 66, 66 making 64-bit near branches rel16, 16-bit truncation of branch targets, RET imm16 with
 * REX.W over-read, REX.R rejected on MOV Sreg, hint-NOP and fence forms it has no name for).
 */
class CapstoneDecodeTest {
    static final int CASES = Integer.getInteger("ukemu.capstone.cases", 1_000_000);
    static final long SEED = Long.getLong("ukemu.capstone.seed", 0xCAB5_70E5L);
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    private static CpuTestRig rig;

    @BeforeAll
    static void setUp() {
        rig = new CpuTestRig();
    }

    @AfterAll
    static void tearDown() {
        if (rig != null) {
            rig.close();
        }
    }

    // ------------------------------------------------------------------ generator

    private static final int[] LEGACY = {0x66, 0x66, 0x66, 0x67, 0xF2, 0xF2, 0xF3, 0xF3, 0xF0, 0x2E, 0x36, 0x3E, 0x26,
        0x64, 0x65};

    /** Fills {@code b} with one case: mostly prefixes from the legal set and a real opcode, some pure noise. */
    static void generate(SplittableRandom rnd, int bits, byte[] b) {
        rnd.nextBytes(b);
        int kind = rnd.nextInt(100);
        if (kind < 20) {
            return; // pure random bytes
        }
        int p = 0;
        int n = rnd.nextInt(100);
        int prefixes = n < 45 ? 0 : n < 75 ? 1 : n < 92 ? 2 : 3 + rnd.nextInt(3);
        for (int k = 0; k < prefixes; k++) {
            b[p++] = (byte) LEGACY[rnd.nextInt(LEGACY.length)];
        }
        if (bits == 64 && rnd.nextInt(100) < 55) {
            int rex = 0x40 | rnd.nextInt(16);
            if (p > 0 && rnd.nextInt(10) == 0) {
                // A REX followed by a legacy prefix is ignored.
                b[p] = b[p - 1];
                b[p - 1] = (byte) rex;
                p++;
            } else {
                b[p++] = (byte) rex;
            }
        }
        int map = rnd.nextInt(100);
        if (map < 45) {
            b[p++] = (byte) rnd.nextInt(256);
        } else if (map < 72) {
            b[p++] = 0x0F;
            b[p++] = (byte) rnd.nextInt(256);
        } else if (map < 82) {
            b[p++] = 0x0F;
            b[p++] = 0x38;
            b[p++] = (byte) rnd.nextInt(256);
        } else if (map < 90) {
            b[p++] = 0x0F;
            b[p++] = 0x3A;
            b[p++] = (byte) rnd.nextInt(256);
        } else {
            b[p++] = (byte) (0xD8 + rnd.nextInt(8));
        }
        // ModRM: register forms and each memory form about equally often, then SIB, displacement
        // and immediate bytes stay random.
        int mod = rnd.nextInt(4);
        b[p] = (byte) (mod << 6 | (b[p] & 0x3F));
    }

    // ------------------------------------------------------------------ decoding

    /** ukemu's decode of {@code b} (15 bytes at CpuTestRig.CODE), or null when it exceeds 15 bytes (#GP). */
    static Insn ukemu(byte[] b, int bits) {
        rig.mem.load(CpuTestRig.CODE, b);
        try {
            return rig.cpu.decoder.decode(CpuTestRig.CODE, bits);
        } catch (CpuException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ bookkeeping

    static final class Tally {
        long cases, bothValid, lengthChecked, operandsChecked, bothInvalid, unimpl, excused;
        final Map<String, Long> excuses = new TreeMap<>();
        final Map<String, Long> failures = new TreeMap<>();
        final Map<String, String> failureExample = new HashMap<>();

        void excuse(String why) {
            excused++;
            excuses.merge(why, 1L, Long::sum);
        }

        void fail(String key, String example) {
            failures.merge(key, 1L, Long::sum);
            failureExample.putIfAbsent(key, example);
        }
    }

    static String opName(int op) {
        return OP_NAMES.getOrDefault(op, "op" + op);
    }

    private static final Map<Integer, String> OP_NAMES = new HashMap<>();

    static {
        for (Class<?> k : new Class<?>[] {Op.class, SseOp.class, X87Op.class, StateSave.class}) {
            for (Field f : k.getDeclaredFields()) {
                if (f.getType() == int.class && Modifier.isStatic(f.getModifiers()) && !f.getName().equals("COUNT")
                        && !f.getName().equals("FIRST") && !f.getName().equals("END")) {
                    try {
                        f.setAccessible(true);
                        OP_NAMES.putIfAbsent(f.getInt(null), k.getSimpleName() + "." + f.getName());
                    } catch (IllegalAccessException e) {
                        throw new AssertionError(e);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ the test

    @Test
    void decoderAgreesWithCapstone() {
        assumeTrue(CapstoneOracle.available(), CapstoneOracle.describe());
        SplittableRandom rnd = new SplittableRandom(SEED);
        Tally t = new Tally();
        long t0 = System.nanoTime();
        byte[] b = new byte[15];
        try (CapstoneOracle cs64 = new CapstoneOracle(64); CapstoneOracle cs32 = new CapstoneOracle(32);
                CapstoneOracle cs16 = new CapstoneOracle(16)) {
            for (int n = 0; n < CASES; n++) {
                int sel = n % 8;
                CapstoneOracle cs = sel < 4 ? cs64 : sel < 6 ? cs32 : cs16;
                int bits = cs.bits();
                generate(rnd, bits, b);
                long ip = bits == 64 ? rnd.nextLong() >> 16 : bits == 32 ? rnd.nextInt() & 0xFFFFFFFFL : rnd.nextInt(0x10000);
                check(t, cs, b, ip);
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("Capstone decode check: %s; %d cases in %.1f s: both valid %d (length checked %d,"
                + " operands checked %d), both invalid %d, ukemu UNIMPL %d, excused %d, failures %d%n",
                CapstoneOracle.describe(), t.cases, secs, t.bothValid, t.lengthChecked, t.operandsChecked, t.bothInvalid,
                t.unimpl, t.excused, t.failures.values().stream().mapToLong(Long::longValue).sum()));
        t.excuses.forEach((k, v) -> sb.append(String.format("  excused %8d  %s%n", v, k)));
        t.failures.forEach((k, v) -> sb.append(String.format("  FAILED  %8d  %s%n      e.g. %s%n", v, k,
                t.failureExample.get(k))));
        System.out.print(sb);
        assertTrue(t.failures.isEmpty(), sb.toString());
    }

    static void check(Tally t, CapstoneOracle cs, byte[] b, long ip) {
        t.cases++;
        int bits = cs.bits();
        Insn u = ukemu(b, bits);
        CapstoneOracle.Result c = cs.decode(b, b.length, ip);
        if (u != null && u.op == Op.UNIMPL) {
            t.unimpl++;
            return;
        }
        // UD0/UD1/UD2 raise #UD by definition: ukemu decodes UD1/UD2 to UD and UD0 to UD0, and
        // their length is unobservable (Capstone 4 uses the pre-ModRM lengths of UD0/UD1).
        if ((u == null || u.op == Op.UD || u.op == Op.UD0) && (alwaysUd(c) || !c.valid())) {
            t.bothInvalid++;
            return;
        }
        boolean uValid = u != null && u.op != Op.UD;
        String example = bits + "-bit " + HEX.formatHex(b) + ": capstone " + c + ", ukemu "
                + (u == null ? "#GP (over 15 bytes)" : opName(u.op) + " len " + u.len);
        if (!uValid && !c.valid()) {
            t.bothInvalid++;
            return;
        }
        if (uValid != c.valid()) {
            String why = excuse(cs, b, u, c, ip);
            if (why != null) {
                t.excuse(why);
            } else {
                t.fail(uValid ? "ukemu accepts what Capstone rejects: " + opName(u.op)
                        : "Capstone accepts what ukemu rejects: " + c.mnemonic(), example);
            }
            return;
        }
        t.bothValid++;
        if (u.len != c.length()) {
            String why = excuse(cs, b, u, c, ip);
            if (why != null) {
                t.excuse(why);
                return;
            }
            t.fail("length: " + opName(u.op) + " / " + c.mnemonic(), example);
            return;
        }
        t.lengthChecked++;
        String bad = operands(u, c, bits, ip);
        if (bad == null) {
            return;
        }
        int np = prefixBytes(b, bits);
        if (!bad.isEmpty() && (has(b, np, 0xF2) || has(b, np, 0xF3)) && u.op < Op.COUNT && !stringOp(u.op)) {
            // Capstone 4 lets F2/F3 cancel an earlier 66 (see excuse); compare with Capstone's view
            // of the instruction without them, placed so that it ends where ukemu's does.
            byte[] s = strip(b, bits, 0xF2, 0xF3);
            if (bits == 64) {
                s = strip(s, bits, ignoredRex(b, bits));
            }
            int gone = removed(b, s);
            CapstoneOracle.Result c2 = cs.decode(s, s.length, ip + gone);
            if (c2.valid() && c2.length() + gone == u.len && "".equals(operands(u, c2, bits, ip))) {
                t.excuse("F2/F3 on a non-string integer instruction: Capstone 4 drops 66 (operands)");
                return;
            }
        }
        if (bad.isEmpty()) {
            t.operandsChecked++;
            return;
        }
        if (sseLike(u.op) && (has(b, np, 0x66) || has(b, np, 0xF2) || has(b, np, 0xF3))) {
            // The mandatory-prefix quirks of the validity check: out of order, or 16-bit code.
            if (bits == 16) {
                t.excuse("prefixed SSE encoding in 16-bit code: Capstone 4 ignores mandatory prefixes there (operands)");
                return;
            }
            CapstoneOracle.Result c2 = cs.decode(mandatoryLast(b, bits), b.length, ip);
            if (c2.valid() && c2.length() == u.len && "".equals(operands(u, c2, bits, ip))) {
                t.excuse("66/F2/F3 not right before the opcode: Capstone 4 then ignores it as a mandatory prefix (operands)");
                return;
            }
        }
        if ((u.op == Op.JCC || u.op == Op.JMP || u.op == Op.CALL) && (has(b, np, 0x67) || bits == 16 && u.size == 4
                || bits == 64 && has(b, np, 0x66))
                && c.ops().length == 1 && ((c.ops()[0].imm() ^ (ip + u.len + u.imm)) & 0xFFFF) == 0) {
            // SDM vol. 2 Jcc/JMP/CALL: only a 16-bit operand size truncates the target to 16 bits;
            // 67 changes the address size, not the branch. Capstone 4 truncates with 67 present
            // in 16-bit code even when 66 makes the operand size 32, and in 64-bit code with 66
            // (which Intel CPUs ignore there, REX.W or not).
            t.excuse("near-branch target truncated to 16 bits by Capstone 4 (67; 66 in 16- or 64-bit code)");
            return;
        }
        t.fail("operands: " + opName(u.op) + " / " + c.mnemonic() + ": " + bad, example);
    }

    // ------------------------------------------------------------------ operands

    private static final String[] ALU = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
    private static final String[] SHIFT = {"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"};
    private static final String[] CC = {"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge",
        "le", "g"};
    private static final String[] R64 = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10",
        "r11", "r12", "r13", "r14", "r15"};
    private static final String[] R32 = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d",
        "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"};
    private static final String[] R16 = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w",
        "r11w", "r12w", "r13w", "r14w", "r15w"};
    private static final String[] R8 = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b",
        "r11b", "r12b", "r13b", "r14b", "r15b", "ah", "ch", "dh", "bh"};
    private static final String[] SEG = {"es", "cs", "ss", "ds", "fs", "gs"};

    static String gpr(int r, int size) {
        return switch (size) {
            case 1 -> R8[r];
            case 2 -> R16[r];
            case 4 -> R32[r];
            default -> R64[r];
        };
    }

    static long mask(int size) {
        return size >= 8 ? -1L : (1L << (8 * size)) - 1;
    }

    /** The r/m operand as Capstone prints it: a register named by {@code regs}, or the memory operand. */
    static String rm(Insn u, int bits, java.util.function.IntFunction<String> regs, boolean withSeg) {
        if (!u.mem) {
            return regs.apply(u.rm);
        }
        String base = u.base == Insn.RIP ? (u.asize == 8 ? "rip" : "eip") : u.base < 0 ? null : gpr(u.base, u.asize);
        String index = u.index < 0 ? null : gpr(u.index, u.asize);
        String seg = !withSeg ? "" : u.seg == Cpu.SEG_NONE ? "-" : SEG[u.seg];
        return "[" + seg + ":" + base + "+" + index + "*" + (u.index < 0 ? "" : 1 << u.scale) + "+0x"
                + Long.toHexString(u.disp & mask(u.asize)) + "]";
    }

    /** Capstone's operand in the same notation; memory segments resolved to what the CPU uses. */
    static String cs(CapstoneOracle.Operand o, int bits, int asize, boolean withSeg, long immMask) {
        return switch (o.type()) {
            case CapstoneOracle.OP_REG -> o.reg();
            case CapstoneOracle.OP_IMM -> "0x" + Long.toHexString(o.imm() & immMask);
            case CapstoneOracle.OP_MEM -> {
                String seg = "";
                if (withSeg) {
                    String s = o.segment();
                    if (bits == 64) {
                        seg = "fs".equals(s) || "gs".equals(s) ? s : "-";
                    } else if (s != null) {
                        seg = s;
                    } else {
                        seg = o.base() != null && o.base().matches("[er]?[sb]p") ? "ss" : "ds";
                    }
                }
                yield "[" + seg + ":" + o.base() + "+" + o.index() + "*" + (o.index() == null ? "" : o.scale())
                        + "+0x" + Long.toHexString(o.disp() & mask(asize)) + "]";
            }
            default -> "?";
        };
    }

    /**
     * Compares the operands of the mapped subset; null if {@code u} is not in it, "" if they
     * agree, else what differs.
     */
    static String operands(Insn u, CapstoneOracle.Result c, int bits, long ip) {
        java.util.function.IntFunction<String> g = r -> gpr(r, u.size);
        java.util.function.IntFunction<String> xmm = r -> "xmm" + r;
        String e = rm(u, bits, g, true);
        long im = mask(u.size);
        String imm = "0x" + Long.toHexString(u.imm & im);
        String[] want;
        String[] mnemonics;
        boolean seg = true;
        switch (u.op) {
            case Op.ALU_EG -> { want = new String[] {e, g.apply(u.reg)}; mnemonics = new String[] {ALU[u.sub]}; }
            case Op.ALU_GE -> { want = new String[] {g.apply(u.reg), e}; mnemonics = new String[] {ALU[u.sub]}; }
            case Op.ALU_EI -> { want = new String[] {e, imm}; mnemonics = new String[] {ALU[u.sub]}; }
            case Op.TEST_EG -> { want = new String[] {e, g.apply(u.reg)}; mnemonics = new String[] {"test"}; }
            case Op.TEST_EI -> { want = new String[] {e, imm}; mnemonics = new String[] {"test"}; }
            case Op.MOV_EG -> { want = new String[] {e, g.apply(u.reg)}; mnemonics = new String[] {"mov", "movabs"}; }
            case Op.MOV_GE -> { want = new String[] {g.apply(u.reg), e}; mnemonics = new String[] {"mov", "movabs"}; }
            case Op.MOV_EI -> { want = new String[] {e, imm}; mnemonics = new String[] {"mov"}; }
            case Op.MOV_RI -> { want = new String[] {g.apply(u.reg), imm}; mnemonics = new String[] {"mov", "movabs"}; }
            case Op.LEA -> {
                want = new String[] {g.apply(u.reg), rm(u, bits, g, false)};
                mnemonics = new String[] {"lea"};
                seg = false;
            }
            case Op.SHIFT_I -> {
                want = new String[] {e, "0x" + Long.toHexString(u.imm & 0xFF)};
                mnemonics = u.sub == 4 || u.sub == 6 ? new String[] {"shl", "sal"} : new String[] {SHIFT[u.sub]};
                im = 0xFF;
            }
            case Op.SHIFT_CL -> {
                want = new String[] {e, "cl"};
                mnemonics = u.sub == 4 || u.sub == 6 ? new String[] {"shl", "sal"} : new String[] {SHIFT[u.sub]};
            }
            case Op.JCC, Op.JMP, Op.CALL -> {
                long tmask = bits == 64 ? -1L : mask(u.size);
                im = tmask;
                want = new String[] {"0x" + Long.toHexString((ip + u.len + u.imm) & tmask)};
                mnemonics = u.op == Op.JCC ? new String[] {"j" + CC[u.sub]} : u.op == Op.JMP ? new String[] {"jmp"}
                        : new String[] {"call"};
            }
            case Op.JMP_E, Op.CALL_E -> {
                want = new String[] {e};
                mnemonics = u.op == Op.JMP_E ? new String[] {"jmp"} : new String[] {"call"};
            }
            case SseOp.MOV_LOAD, SseOp.MOVS_LOAD -> {
                want = new String[] {xmm.apply(u.reg), rm(u, bits, xmm, true)};
                mnemonics = null;
            }
            case SseOp.MOV_STORE, SseOp.MOVS_STORE -> {
                want = new String[] {rm(u, bits, xmm, true), xmm.apply(u.reg)};
                mnemonics = null;
            }
            default -> {
                return null;
            }
        }
        String mn = c.mnemonic().replaceFirst("^((lock|rep|repne|repe|xacquire|xrelease|bnd|notrack) )+", "");
        if (mnemonics != null && !java.util.Arrays.asList(mnemonics).contains(mn)) {
            return "mnemonic " + mn + ", expected " + String.join("/", mnemonics);
        }
        CapstoneOracle.Operand[] ops = c.ops();
        if (u.op == Op.SHIFT_I && ops.length == 1 && u.imm == 1) {
            want = new String[] {want[0]}; // D0/D1: Capstone 4 lists no immediate operand
        }
        String[] got = new String[ops.length];
        for (int k = 0; k < ops.length; k++) {
            got[k] = cs(ops[k], bits, u.asize, seg, im);
        }
        if (!java.util.Arrays.equals(want, got)) {
            return "expected " + String.join(", ", want) + " got " + String.join(", ", got);
        }
        return "";
    }

    /** Number of legacy-prefix and REX bytes before the opcode. */
    static int prefixBytes(byte[] b, int bits) {
        int p = 0;
        while (p < b.length) {
            int x = b[p] & 0xFF;
            boolean legacy = x == 0x66 || x == 0x67 || x == 0xF0 || x == 0xF2 || x == 0xF3 || x == 0x2E || x == 0x36
                    || x == 0x3E || x == 0x26 || x == 0x64 || x == 0x65;
            if (!legacy && !(bits == 64 && (x & 0xF0) == 0x40)) {
                break;
            }
            p++;
        }
        return p;
    }

    /** {@code b} without the prefix bytes (before the opcode) equal to any of {@code drop}, zero-padded. */
    static byte[] strip(byte[] b, int bits, int... drop) {
        int np = prefixBytes(b, bits);
        byte[] out = new byte[b.length];
        int o = 0;
        for (int k = 0; k < b.length; k++) {
            int x = b[k] & 0xFF;
            boolean gone = false;
            if (k < np) {
                for (int d : drop) {
                    gone |= x == d;
                }
            }
            if (!gone) {
                out[o++] = b[k];
            }
        }
        return out;
    }

    static int removed(byte[] a, byte[] b) {
        int n = 0;
        for (int k = b.length - 1; k >= 0 && b[k] == 0; k--) {
            n++;
        }
        // Trailing zeros of the original are not prefix removals.
        for (int k = a.length - 1; k >= 0 && a[k] == 0; k--) {
            n--;
        }
        return n;
    }

    /** Instructions that raise #UD by definition (UD0, UD1, UD2): Capstone names them, ukemu decodes them to UD. */
    static boolean alwaysUd(CapstoneOracle.Result c) {
        return c.valid() && (c.mnemonic().equals("ud2") || c.mnemonic().equals("ud2b") || c.mnemonic().equals("ud0"));
    }

    /**
     * Capstone mnemonics of instructions that raise #UD on the CPU ukemu models: extensions its
     * CPUID does not announce ({@link CpuidModel}), AMD- and VIA-only instructions (ukemu is a
     * GenuineIntel), and instructions valid only in an operating mode ukemu lacks. Each instruction's
     * SDM vol. 2 page lists the #UD condition named here.
     */
    static final Map<String, String> NOT_ON_THIS_CPU = new HashMap<>();

    private static void notOnThisCpu(String why, String... mnemonics) {
        for (String m : mnemonics) {
            NOT_ON_THIS_CPU.put(m, why);
        }
    }

    static {
        notOnThisCpu("ADX not announced (ADCX/ADOX: #UD if CPUID.07H:EBX.ADX = 0)", "adcx", "adox");
        notOnThisCpu("SMX not announced (GETSEC: #UD if CR4.SMXE = 0)", "getsec");
        notOnThisCpu("VMX not announced (VMX instructions: #UD outside VMX operation)", "vmread", "vmwrite",
                "vmcall", "vmlaunch", "vmresume", "vmxoff", "vmxon", "vmclear", "vmptrld", "vmptrst", "invept",
                "invvpid", "vmfunc");
        notOnThisCpu("AMD SVM, not on a GenuineIntel CPU (#UD)", "clgi", "stgi", "vmrun", "vmload", "vmsave",
                "vmmcall", "skinit", "invlpga");
        notOnThisCpu("AMD 3DNow!/MONITORX/CLZERO, not on a GenuineIntel CPU (#UD)", "femms", "monitorx", "mwaitx",
                "clzero", "prefetch");
        notOnThisCpu("RTM not announced (XBEGIN/XABORT/XEND/XTEST: #UD if CPUID.07H:EBX.RTM = 0)", "xbegin",
                "xabort", "xend", "xtest");
        notOnThisCpu("SGX not announced (ENCLS/ENCLU: #UD if CPUID.07H:EBX.SGX = 0)", "encls", "enclu", "enclv");
        notOnThisCpu("VIA PadLock, not on a GenuineIntel CPU (#UD)", "xstorerng", "xcryptecb", "xcryptcbc",
                "xcryptctr", "xcryptcfb", "xcryptofb", "xsha1", "xsha256", "montmul");
        notOnThisCpu("PKU not announced (RDPKRU/WRPKRU: #UD if CR4.PKE = 0)", "rdpkru", "wrpkru");
        notOnThisCpu("SMAP not announced (CLAC/STAC: #UD if CPUID.07H:EBX.SMAP = 0)", "clac", "stac");
        notOnThisCpu("INVPCID not announced (INVPCID: #UD if CPUID.07H:EBX.INVPCID = 0)", "invpcid");
        notOnThisCpu("XSAVES/XSAVEC not announced (#UD if CPUID.(EAX=0DH,ECX=1):EAX.XSAVES/XSAVEC = 0)", "xsaves",
                "xsaves64", "xrstors", "xrstors64", "xsavec", "xsavec64");
        notOnThisCpu("AMD SSE4a, not on a GenuineIntel CPU (#UD)", "extrq", "insertq", "movntss", "movntsd");
        notOnThisCpu("PCOMMIT was withdrawn from the architecture and is not announced (#UD)", "pcommit");
        notOnThisCpu("RSM: #UD outside SMM, which ukemu does not model", "rsm");
    }

    static boolean sseLike(int op) {
        return op >= SseOp.FIRST && op < SseOp.END || op >= StateSave.FIRST && op < StateSave.END
                || op == Op.MOVBE_GE || op == Op.MOVBE_EG || op == Op.UNIMPL;
    }

    static boolean has(byte[] b, int np, int prefix) {
        for (int k = 0; k < np; k++) {
            if ((b[k] & 0xFF) == prefix) {
                return true;
            }
        }
        return false;
    }

    /**
     * The same instruction with its prefixes reordered: the other legacy prefixes first, then 66,
     * then F2/F3 (in their order), then a REX that stood last. Only the prefix order changes.
     */
    static byte[] mandatoryLast(byte[] b, int bits) {
        int np = prefixBytes(b, bits);
        byte[] out = b.clone();
        int o = 0;
        int last = np > 0 ? b[np - 1] & 0xFF : 0;
        boolean rexLast = bits == 64 && (last & 0xF0) == 0x40;
        for (int pass = 0; pass < 3; pass++) {
            for (int k = 0; k < np; k++) {
                int x = b[k] & 0xFF;
                if (rexLast && k == np - 1) {
                    continue;
                }
                int cls = x == 0x66 ? 1 : x == 0xF2 || x == 0xF3 ? 2 : 0;
                if (cls == pass) {
                    out[o++] = b[k];
                }
            }
        }
        if (rexLast) {
            out[o++] = (byte) last;
        }
        return out;
    }

    /**
     * Why a disagreement is Capstone's, not ukemu's; null when it is not a known Capstone quirk.
     * Every excuse names the Capstone behaviour and, where the architecture is at stake, the SDM
     * rule ukemu follows; where it can, it also shows that the rest of the instruction agrees
     * (decoding again without the disputed byte, with the same length).
     */
    static String excuse(CapstoneOracle cs, byte[] b, Insn u, CapstoneOracle.Result c, long ip) {
        int bits = cs.bits();
        boolean uValid = u != null && u.op != Op.UD;
        int np = prefixBytes(b, bits);
        int opc = b[np] & 0xFF;
        int opc2 = b[np + 1] & 0xFF;
        boolean has66 = has(b, np, 0x66), rep = has(b, np, 0xF2) || has(b, np, 0xF3);
        if (!uValid && c.valid()) {
            String why = NOT_ON_THIS_CPU.get(c.mnemonic());
            if (why != null) {
                return why;
            }
            if (bits != 64 && (c.mnemonic().equals("syscall") || c.mnemonic().equals("sysret"))) {
                return "SYSCALL/SYSRET outside 64-bit mode: #UD on Intel (SDM vol. 2 SYSCALL, SYSRET)";
            }
            if (bits != 64 && c.mnemonic().equals("swapgs")) {
                return "SWAPGS outside 64-bit mode: #UD (SDM vol. 2 SWAPGS)";
            }
            if (c.mnemonic().startsWith("v") && (opc == 0xC4 || opc == 0xC5 || opc == 0x62 || opc == 0x8F)) {
                // ukemu decodes VEX to UNIMPL (AVX is not announced); with a LOCK/66/F2/F3/REX
                // before it VEX is #UD (SDM vol. 2A 2.3.2), and EVEX (AVX-512) and AMD's XOP are
                // not on the modelled CPU, so 62 and 8F /1-/7 stay BOUND/POP and #UD.
                return "AVX/AVX-512/XOP encoding: #UD on the modelled CPU (no AVX/AVX-512, GenuineIntel)";
            }
            if (opc == 0x0F && opc2 == 0x0F) {
                return "AMD 3DNow! (0F 0F), not on a GenuineIntel CPU (#UD)";
            }
            // Capstone 4 takes a 67 followed by REX for a 66 mandatory prefix. With 66 in its
            // place ukemu must decode an SSE instruction of Capstone's length (67 changes no
            // length in 64-bit code).
            if (bits == 64 && has(b, np, 0x67) && (b[np - 1] & 0xF0) == 0x40 && !has66) {
                byte[] s = b.clone();
                for (int k = 0; k < np; k++) {
                    if ((s[k] & 0xFF) == 0x67) {
                        s[k] = 0x66;
                    }
                }
                s = strip(s, bits, 0xF2, 0xF3);
                Insn u2 = ukemu(s, bits);
                if (u2 != null && sseLike(u2.op) && u2.len + removed(b, s) == c.length()) {
                    return "67 before REX: Capstone 4 takes it for a 66 mandatory prefix";
                }
            }
            if (opc == 0x8E && ((b[np + 1] >> 3) & 7) == Cpu.CS) {
                return "MOV CS, r/m: #UD (SDM vol. 2 MOV, 'attempt is made to load the CS register')";
            }
            // SDM vol. 2 LOCK: the prefix is only allowed on the listed read-modify-write
            // instructions with a memory destination, #UD otherwise. Capstone 4 accepts it on
            // anything. Without the prefix ukemu must accept the rest, with the same length.
            int gone = 0;
            if (has(b, np, 0xF0)) {
                byte[] s = strip(b, bits, 0xF0);
                gone = removed(b, s);
                Insn u2 = ukemu(s, bits);
                boolean rest = u2 != null && u2.op != Op.UD && u2.len + gone == c.length();
                if (rest || excuse(cs, s, u2, cs.decode(s, s.length, ip), ip) != null) {
                    return "LOCK on an instruction that is not lockable (SDM vol. 2 LOCK: #UD); Capstone 4 accepts it";
                }
                b = s;
            }
            // SDM vol. 2A 3.1.1.1: an "NP" instruction (MOVAPS, the MMX forms, FXSAVE, MOVNTI, ...)
            // does not allow 66/F2/F3, and a prefix that is not one of an opcode's mandatory
            // prefixes selects a blank cell of the opcode map (vol. 2 appendix A, tables ):
            // #UD or another instruction. Capstone ignores such prefixes. Without them ukemu must
            // accept the instruction with the same length.
            if (opc == 0x0F && (has66 || rep)) {
                for (int[] drop : new int[][] {{0xF2, 0xF3}, {0x66}, {0x66, 0xF2, 0xF3}}) {
                    byte[] s = strip(b, bits, drop);
                    Insn u2 = ukemu(s, bits);
                    if (u2 != null && u2.op != Op.UD && u2.len + gone + removed(b, s) == c.length()
                            && (sseLike(u2.op) || u2.op == Op.FENCE || drop.length == 2)) {
                        return "66/F2/F3 that selects no form of an 0F-map opcode (SDM vol. 2A 3.1.1.1 NP,"
                                + " appendix A blank cells: #UD); Capstone 4 ignores it";
                    }
                }
            }
            return null;
        }
        if (uValid && !c.valid()) {
            // Capstone 4 honours 66/F2/F3 as a mandatory prefix only right before the opcode (or
            // REX); the SDM (vol. 2A 2.1.1) lets prefixes come in any order. The same prefixes in
            // Capstone's order must decode with the same length.
            if (has66 || rep) {
                CapstoneOracle.Result c2 = cs.decode(mandatoryLast(b, bits), b.length, ip);
                if (c2.valid() && c2.length() == u.len) {
                    return "66/F2/F3 not right before the opcode: Capstone 4 then ignores it as a mandatory prefix";
                }
            }
            // Capstone 4 in 16-bit code ignores mandatory prefixes altogether (66 0F 5F decodes as
            // MAXPS, 66 0F 7C is rejected): it cannot judge any prefixed SSE encoding there.
            if (bits == 16 && (has66 || rep) && (sseLike(u.op) || u.op == Op.POPCNT || u.op == Op.TZCNT
                    || u.op == Op.LZCNT)) {
                return "prefixed SSE encoding in 16-bit code: Capstone 4 ignores mandatory prefixes there";
            }
            // 0F 0D and 0F 18-0F 1F are the hint/reserved-NOP space (SDM vol. 2 appendix A table
            // PREFETCHh, NOP Ev; the MPX BND* encodings are NOPs on a CPU without MPX).
            // Capstone 4 decodes only the forms it has names for.
            if (u.op == Op.NOP && opc == 0x0F && (opc2 == 0x0D || opc2 >= 0x18 && opc2 <= 0x1F)) {
                return "hint-NOP space 0F 0D/0F 18-1F (SDM vol. 2 table A-3): Capstone 4 rejects forms it has no name for";
            }
            // SDM vol. 2 LFENCE/MFENCE/SFENCE: the processor ignores ModRM.rm, so 0F AE E8-EF,
            // F0-F7 and F8-FF are all fences. Capstone 4 knows only rm = 0.
            if (u.op == Op.FENCE && (b[np + 2] & 7) != 0) {
                return "fence with ModRM.rm != 0 (SDM vol. 2 LFENCE: r/m is ignored); Capstone 4 decodes only rm = 0";
            }
            // MOV to/from Sreg: the segment register is ModRM.reg alone, REX.R does not extend it.
            // Capstone 4 rejects the encoding when REX.R is set; without it the length must agree.
            if (bits == 64 && (u.op == Op.MOV_FROM_SEG || u.op == Op.MOV_TO_SEG) && np > 0
                    && (b[np - 1] & 0xF4) == 0x44) {
                byte[] s = b.clone();
                s[np - 1] &= ~4;
                CapstoneOracle.Result c2 = cs.decode(s, s.length, ip);
                if (c2.valid() && c2.length() == u.len) {
                    return "MOV Sreg with REX.R: the Sreg field is ModRM.reg (3 bits); Capstone 4 rejects it";
                }
            }
        }
        if (uValid && (!c.valid() || c.length() != u.len) && rep && !sseLike(u.op) && u.rep == 0
                || uValid && (!c.valid() || c.length() != u.len) && rep && u.op >= 0 && u.op < Op.COUNT
                && !stringOp(u.op) && opc != 0x0F) {
            // Capstone 4 lets an F2/F3 prefix cancel an earlier 66 and rejects F2/F3 on some
            // instructions (MOV moffs) that simply ignore them (SDM vol. 2A 2.1.1: F2/F3 apply to
            // string instructions only). Without the F2/F3 bytes Capstone must agree on the length.
            byte[] s = strip(b, bits, 0xF2, 0xF3);
            if (bits == 64) {
                s = strip(s, bits, ignoredRex(b, bits));
            }
            CapstoneOracle.Result c2 = cs.decode(s, s.length, ip);
            if (c2.valid() && c2.length() + removed(b, s) == u.len) {
                return "F2/F3 on a non-string integer instruction: Capstone 4 drops 66 or rejects it; the CPU ignores it";
            }
        }
        if (uValid && c.valid() && c.length() != u.len && bits == 64 && has66
                && (u.op == Op.JCC || u.op == Op.JMP || u.op == Op.CALL)) {
            // SDM vol. 2 JMP/Jcc/CALL: in 64-bit mode Intel CPUs ignore 66 on near relative branches
            // (the displacement stays rel32 for E8/E9/0F 8x); Capstone follows AMD (rel16).
            byte[] s = strip(b, bits, 0x66);
            CapstoneOracle.Result c2 = cs.decode(s, s.length, ip);
            if (c2.valid() && c2.length() + removed(b, s) == u.len) {
                return "66 on a near branch in 64-bit mode: ignored by Intel CPUs (SDM vol. 2 JMP/Jcc/CALL), rel16 in Capstone 4";
            }
        }
        if (uValid && c.valid() && bits == 64 && u.op == Op.RET && opc == 0xC2 && (b[np - 1] & 0xF8) == 0x48
                && c.length() == u.len + 2) {
            return "RET imm16 with REX.W: Capstone 4 reads two bytes too many";
        }
        if (uValid && c.valid() && c.length() != u.len && bits == 64 && has(b, np, 0x67)
                && (b[np - 1] & 0xF0) == 0x40 && (u.op == Op.JCC || u.op == Op.JMP || u.op == Op.CALL)) {
            byte[] s = strip(b, bits, 0x67);
            CapstoneOracle.Result c2 = cs.decode(s, s.length, ip);
            if (c2.valid() && c2.length() + removed(b, s) == u.len) {
                return "67 before REX on a near branch: Capstone 4 takes it for 66 (rel16)";
            }
        }
        return null;
    }

    /** REX bytes that a later legacy prefix makes void (SDM vol. 2A 2.2.1); Capstone 4 still applies them. */
    static int[] ignoredRex(byte[] b, int bits) {
        int np = prefixBytes(b, bits);
        int last = 0;
        for (int k = np - 1; k >= 0 && (b[k] & 0xF0) == 0x40; k--) {
            last++;
        }
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (int k = 0; k < np - last; k++) {
            if ((b[k] & 0xF0) == 0x40) {
                out.add(b[k] & 0xFF);
            }
        }
        // Stripping removes every copy of a value: keep a REX that also stands last.
        for (int k = np - last; k < np; k++) {
            out.remove(Integer.valueOf(b[k] & 0xFF));
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    static boolean stringOp(int op) {
        return op == Op.MOVS || op == Op.CMPS || op == Op.STOS || op == Op.LODS || op == Op.SCAS || op == Op.INS
                || op == Op.OUTS;
    }
}
