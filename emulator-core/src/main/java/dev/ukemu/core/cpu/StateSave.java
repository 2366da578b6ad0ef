package dev.ukemu.core.cpu;

/** Group 15 state instructions: FXSAVE, FXRSTOR, LDMXCSR, STMXCSR, XSAVE, XRSTOR, XSAVEOPT. */
final class StateSave {
    private StateSave() {
    }

    static final int FIRST = 3000, END = 3100;

    static void decodeGroup15(Decoder d, Insn i) {
        i.op = Op.UNIMPL;
    }

    static void exec(Cpu c, Insn i) {
        Sys.unimplemented(c, i);
    }
}
