package dev.ukemu.core.cpu;

/** Handler ids of x87 instructions ({@link X87#exec} dispatches on them). */
final class X87Op {
    private X87Op() {
    }

    static final int FIRST = 2000, END = 3000;
}
