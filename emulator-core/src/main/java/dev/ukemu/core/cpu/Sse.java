package dev.ukemu.core.cpu;

/** Executes SSE instructions. */
final class Sse {
    private Sse() {
    }

    static void exec(Cpu c, Insn i) {
        Sys.unimplemented(c, i);
    }
}
