package dev.ukemu.core.cpu;

/** Handler ids of SSE instructions ({@link Sse#exec} dispatches on them). */
final class SseOp {
    private SseOp() {
    }

    static final int FIRST = 1000, END = 2000;
}
