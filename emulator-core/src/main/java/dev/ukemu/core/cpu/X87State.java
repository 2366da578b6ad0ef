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

    public void reset() {
        control = 0x037F;
        status = 0;
        top = 0;
        tag = 0xFFFF;
        lastOpcode = 0;
        lastIp = lastDp = 0;
        lastCs = lastDs = 0;
    }
}
