package dev.ukemu.core.cpu;

/** Executes x87 instructions. */
final class X87 {
    private X87() {
    }

    static void exec(Cpu c, Insn i) {
        Sys.unimplemented(c, i);
    }
}
