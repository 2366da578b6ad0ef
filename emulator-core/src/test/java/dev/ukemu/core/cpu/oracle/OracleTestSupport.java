package dev.ukemu.core.cpu.oracle;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Shared plumbing of the differential tests. The case count of the whole suite is
 * {@code -Dukemu.oracle.cases} (default 10^6, split between the tests by their share); the seed
 * is {@code -Dukemu.oracle.seed} (each test mixes in its own name).
 */
abstract class OracleTestSupport {
    static final int[] SIZES = {1, 2, 4, 8};
    static final int ALL = Values.ARITH;
    static final int CF = Values.CF, PF = Values.PF, AF = Values.AF, ZF = Values.ZF, SF = Values.SF, OF = Values.OF;

    /** Runs {@code share} of the suite's cases over the factories and fails on any mismatch. */
    static void differential(String name, double share, List<Function<Random, Form>> factories) {
        assumeTrue(HostCpu.supported(), "the host oracle needs an x86-64 Linux host");
        long budget = Math.max(Oracle.BATCH * (long) factories.size(), (long) (Oracle.totalCases() * share));
        try (Oracle o = new Oracle(name, Oracle.mix(Oracle.baseSeed(), name.hashCode()))) {
            o.runAll(factories, budget);
            o.assertNoFailures();
        }
    }

    static int pick(Random r, int... choices) {
        return choices[r.nextInt(choices.length)];
    }

    /** Bits of a register written with a {@code size}-byte result: 32-bit writes clear the top. */
    static long regWriteMask(int reg, int size) {
        return switch (size) {
            case 1 -> reg >= 16 ? 0xFF00L : 0xFFL;
            case 2 -> 0xFFFFL;
            default -> -1L;
        };
    }

    /** Reads a register operand the way the CPU sees it (AH..BH for 16..19). */
    static long readReg(long[] r, int reg, int size) {
        if (reg >= 16) {
            return (r[reg - 16] >>> 8) & 0xFF;
        }
        return r[reg] & Values.mask(size * 8);
    }

    /** Writes a register operand (AH..BH merge, 32-bit zero-extends, 8/16-bit merge). */
    static void writeReg(long[] r, int reg, int size, long v) {
        if (reg >= 16) {
            r[reg - 16] = (r[reg - 16] & ~0xFF00L) | ((v & 0xFF) << 8);
        } else if (size == 4) {
            r[reg] = v & 0xFFFFFFFFL;
        } else if (size == 8) {
            r[reg] = v;
        } else {
            long m = Values.mask(size * 8);
            r[reg] = (r[reg] & ~m) | (v & m);
        }
    }

    /** An immediate: edge-biased, truncated to {@code bytes}. */
    static long imm(Random r, int bytes) {
        return Values.any(r) & Values.mask(bytes * 8);
    }

    /** The r/m operand's value: the register, or the scratch bytes of the memory operand. */
    static long operand(Form.State s, Form f, int rmReg, int size) {
        return f.mem != null ? s.scratch(f.memOffset, size) : readReg(s.r, rmReg, size);
    }

    static void setOperand(Form.State s, Form f, int rmReg, int size, long v) {
        if (f.mem != null) {
            s.scratch(f.memOffset, size, v);
        } else {
            writeReg(s.r, rmReg, size, v);
        }
    }
}
