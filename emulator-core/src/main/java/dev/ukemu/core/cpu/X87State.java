package dev.ukemu.core.cpu;

/**
 * x87 FPU state (SDM vol. 1, 8.1): eight 80-bit registers kept as a 64-bit significand and a
 * 16-bit sign-and-exponent, the control, status and tag words, and the last instruction and
 * operand pointers that FXSAVE reports.
 */
public final class X87State {
    /** Physical registers R0-R7: significand (explicit integer bit at 63). */
    public final long[] mantissa = new long[8];
    /** Physical registers R0-R7: sign (bit 15) and biased exponent (bits 0-14). */
    public final int[] signExp = new int[8];
    /** FCW; reset by FNINIT to 0x037F. */
    public int control = 0x037F;
    /** FSW without TOP (bits 11-13), which is {@link #top}. */
    public int status;
    public int top;
    /** Full tag word, two bits per physical register (11 = empty). */
    public int tag = 0xFFFF;
    public int lastOpcode;
    public long lastIp, lastDp;
    public int lastCs, lastDs;

    /** The arithmetic unit; its control word mirrors {@link #control} while an instruction runs. */
    final Float80 alu = new Float80();

    /** FSW with TOP. */
    public int statusWord() {
        return (status & ~0x3800) | (top << 11);
    }

    /** Tag of a value: 0 valid, 1 zero, 2 special (NaN, infinity, denormal, unsupported). */
    static int tagOf(int se, long sig) {
        int e = se & 0x7FFF;
        if (e == 0) {
            return sig == 0 ? 1 : 2;
        }
        return e == 0x7FFF || sig >= 0 ? 2 : 0;
    }

    /** Abridged tag (FXSAVE): bit i set when physical register i is not empty. */
    public int abridgedTag() {
        int t = 0;
        for (int r = 0; r < 8; r++) {
            if (((tag >> (2 * r)) & 3) != 3) {
                t |= 1 << r;
            }
        }
        return t;
    }

    /** The full tag word with the tags of non-empty registers recomputed from their contents. */
    public int fullTag() {
        int t = 0;
        for (int r = 0; r < 8; r++) {
            int old = (tag >> (2 * r)) & 3;
            t |= (old == 3 ? 3 : tagOf(signExp[r], mantissa[r])) << (2 * r);
        }
        return t;
    }

    /** Loads an abridged tag: registers marked valid get the tag of their contents. */
    public void setAbridgedTag(int t) {
        tag = 0;
        for (int r = 0; r < 8; r++) {
            tag |= ((t >> r & 1) != 0 ? tagOf(signExp[r], mantissa[r]) : 3) << (2 * r);
        }
    }

    public void reset() {
        control = 0x037F;
        status = 0;
        top = 0;
        tag = 0xFFFF;
        lastOpcode = 0;
        lastIp = lastDp = 0;
        lastCs = lastDs = 0;
        java.util.Arrays.fill(mantissa, 0);
        java.util.Arrays.fill(signExp, 0);
    }
}
