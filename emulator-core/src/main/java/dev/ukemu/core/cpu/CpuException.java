package dev.ukemu.core.cpu;

/**
 * A guest exception raised while executing an instruction: the interpreter unwinds to the
 * instruction boundary and delivers it through the guest's IDT. Carries no host stack trace.
 */
public final class CpuException extends RuntimeException {
    public static final int DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
            TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19;

    public final int vector;
    public final int errorCode;
    public final boolean hasErrorCode;
    /** True for INT n / INT3 / INTO: the saved RIP is after the instruction. */
    public final boolean software;
    /**
     * A #GP(0) for a non-canonical linear address: the interpreter turns it into #SS(0) when the
     * access went through SS (SDM vol. 3, 6.15, interrupt 12).
     */
    final boolean nonCanonical;

    CpuException(int vector, int errorCode, boolean hasErrorCode, boolean software) {
        this(vector, errorCode, hasErrorCode, software, false);
    }

    private CpuException(int vector, int errorCode, boolean hasErrorCode, boolean software, boolean nonCanonical) {
        super(null, null, false, false);
        this.vector = vector;
        this.errorCode = errorCode;
        this.hasErrorCode = hasErrorCode;
        this.software = software;
        this.nonCanonical = nonCanonical;
    }

    /** #GP(0) for a non-canonical address in 64-bit mode (see {@link #nonCanonical}). */
    static CpuException nonCanonical() {
        return new CpuException(GP, 0, true, false, true);
    }

    public static CpuException fault(int vector) {
        return new CpuException(vector, 0, hasErrorCode(vector), false);
    }

    public static CpuException fault(int vector, int errorCode) {
        return new CpuException(vector, errorCode, true, false);
    }

    public static CpuException softwareInterrupt(int vector) {
        return new CpuException(vector, 0, false, true);
    }

    public static CpuException gp(int code) {
        return fault(GP, code);
    }

    public static CpuException ud() {
        return fault(UD);
    }

    static boolean hasErrorCode(int v) {
        return v == DF || v == TS || v == NP || v == SS || v == GP || v == PF || v == AC;
    }

    @Override
    public String getMessage() {
        return mnemonic(vector) + (hasErrorCode ? String.format(" (error code 0x%x)", errorCode) : "");
    }

    public static String mnemonic(int vector) {
        return switch (vector) {
            case DE -> "#DE"; case DB -> "#DB"; case NMI -> "NMI"; case BP -> "#BP"; case OF -> "#OF";
            case BR -> "#BR"; case UD -> "#UD"; case NM -> "#NM"; case DF -> "#DF"; case TS -> "#TS";
            case NP -> "#NP"; case SS -> "#SS"; case GP -> "#GP"; case PF -> "#PF"; case MF -> "#MF";
            case AC -> "#AC"; case MC -> "#MC"; case XM -> "#XM";
            default -> "vector " + vector;
        };
    }
}
