package dev.ukemu.core.cpu;

/**
 * A straight run of decoded instructions starting at one linear address, ending at a control
 * transfer, a mode-changing instruction or the end of its page. Cached by the physical page(s)
 * it was decoded from, and invalidated when any of them is written.
 */
final class Block {
    final long linear;
    final int bits;
    final long paddr;
    final long page0;
    long page1 = -1;
    Insn[] insns;
    /** Cleared (by any vCPU) when a store hits one of the block's pages. */
    volatile boolean valid = true;
    /** The region compiled from this entry block, once there is one. */
    volatile Region region;
    /** Runs through the interpreter, counted towards the JIT's hotness threshold. */
    int hits;
    /**
     * The physical pages the linear pages before and after this block's mapped to (by the vCPU's
     * instruction TLB) when it was queued for compilation, or -1: where a region may look for
     * the rest of a function that crosses a page boundary.
     */
    long prevPhys = -1, nextPhys = -1;
    /** Set once the block has been queued for compilation, or found not worth it. */
    volatile boolean compileRequested;

    Block(long linear, long paddr, int bits) {
        this.linear = linear;
        this.paddr = paddr;
        this.bits = bits;
        this.page0 = paddr & ~0xFFFL;
    }
}
