package dev.ukemu.core.cpu.oracle;

import dev.ukemu.core.cpu.oracle.Encoder.Mem;
import java.util.Random;

/**
 * One instruction instance under test: its bytes, where its memory operand is, how to make its
 * inputs, and which parts of the result the SDM defines.
 */
final class Form {
    /** Register and flag state before or after one case. */
    static final class State {
        final long[] r = new long[16];
        int flags;
        final byte[] scratch = new byte[HostCpu.SCRATCH_SIZE];

        long scratch(int off, int size) {
            long v = 0;
            for (int k = size - 1; k >= 0; k--) {
                v = v << 8 | (scratch[off + k] & 0xFF);
            }
            return v;
        }

        void scratch(int off, int size, long v) {
            for (int k = 0; k < size; k++) {
                scratch[off + k] = (byte) (v >>> (8 * k));
            }
        }
    }

    /** Fills in operands the random defaults do not cover; false rejects the case (e.g. #DE). */
    interface Inputs {
        boolean fill(Random r, State s);
    }

    /** The arithmetic flags the SDM defines after this instruction with these inputs. */
    interface FlagRule {
        int defined(State in);
    }

    /** The bits of register {@code reg} defined after this instruction (-1: all). */
    interface RegRule {
        long defined(State in, int reg);
    }

    /** Adjusts host results that depend on where the code runs (RIP-relative LEA). */
    interface Fixup {
        void apply(State in, long[] expected, long hostInsnEnd, long emuInsnEnd);
    }

    /** Grouping key for failure reports, e.g. "SHL r/m32, CL". */
    final String family;
    /** The instance, e.g. "shl dword [r9+0x10], cl". */
    String text;
    byte[] code;
    Mem mem;
    int memOffset = -1;
    int memSize;
    /** RIP-relative operand: where its disp32 sits in {@link #code}, and where its instruction ends. */
    int ripDispPos = -1;
    int ripEnd = -1;
    Inputs inputs = (r, s) -> true;
    FlagRule flags = s -> Values.ARITH;
    RegRule regs;
    Fixup fixup;

    /** Length of the first instruction in {@link #code} (a prefix may only be added to it below 15). */
    int firstLength;

    Form(String family, String text, byte[] code) {
        this.family = family;
        this.text = text;
        this.code = code;
        this.firstLength = code.length;
    }

    Form inputs(Inputs in) {
        this.inputs = in;
        return this;
    }

    Form flags(FlagRule f) {
        this.flags = f;
        return this;
    }

    Form flags(int definedMask) {
        this.flags = s -> definedMask;
        return this;
    }

    Form regs(RegRule rule) {
        this.regs = rule;
        return this;
    }

    Form fixup(Fixup f) {
        this.fixup = f;
        return this;
    }

    Form mem(Mem m, int offset, int size) {
        this.mem = m;
        this.memOffset = offset;
        this.memSize = size;
        return this;
    }
}
