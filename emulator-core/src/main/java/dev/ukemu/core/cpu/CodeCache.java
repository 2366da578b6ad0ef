package dev.ukemu.core.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Decoded blocks by the physical pages they came from, shared by every vCPU of a machine. A page
 * that holds decoded code is a "code page": no vCPU's soft-TLB keeps a write entry for it (when a
 * page becomes code, every other vCPU drops its write entries at its next block boundary), so
 * every guest store to it takes the slow path, which invalidates the page's blocks for all vCPUs
 * before the store lands. Code written by one vCPU and run by another is therefore decoded again.
 */
public final class CodeCache {
    private final ConcurrentHashMap<Long, List<Block>> byPage = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Block> byKey = new ConcurrentHashMap<>();
    private final List<Cpu> cpus = new CopyOnWriteArrayList<>();
    /** Null when the machine runs the interpreter alone. */
    final Jit jit;

    /** A code cache with the JIT chosen by system properties ({@link JitConfig#fromSystemProperties}). */
    public CodeCache() {
        this(JitConfig.fromSystemProperties());
    }

    public CodeCache(JitConfig jit) {
        this.jit = jit.enabled() ? new Jit(jit, this) : null;
    }

    /** The JIT, or null when the interpreter runs alone. */
    public Jit jit() {
        return jit;
    }

    static long key(long paddr, int bits) {
        return paddr << 2 | (bits == 64 ? 2 : bits == 32 ? 1 : 0);
    }

    /** True when guest memory accesses must be ordered for several vCPUs (the machine is SMP). */
    boolean tso() {
        return !cpus.isEmpty() && cpus.get(0).tso;
    }

    /** Guest RAM as the vCPUs see it, or null before any vCPU is attached. */
    java.lang.foreign.MemorySegment ram() {
        return cpus.isEmpty() ? null : cpus.get(0).ram;
    }

    void attach(Cpu c) {
        cpus.add(c);
    }

    Block lookup(long paddr, int bits) {
        return byKey.get(key(paddr, bits));
    }

    boolean isCodePage(long ppage) {
        return byPage.containsKey(ppage);
    }

    /** A snapshot of the blocks decoded from physical page {@code ppage}. */
    synchronized List<Block> blocksOnPage(long ppage) {
        List<Block> l = byPage.get(ppage);
        return l == null ? List.of() : new ArrayList<>(l);
    }

    /** Publishes a freshly decoded block; its pages become code pages for every vCPU. */
    synchronized void add(Block b, Cpu decoder) {
        byKey.put(key(b.paddr, b.bits), b);
        addToPage(b.page0, b, decoder);
        if (b.page1 >= 0) {
            addToPage(b.page1, b, decoder);
        }
    }

    private void addToPage(long page, Block b, Cpu decoder) {
        List<Block> list = byPage.get(page);
        if (list == null) {
            list = new ArrayList<>();
            byPage.put(page, list);
            decoder.evictWriteEntries(page);
            for (Cpu other : cpus) {
                if (other != decoder) {
                    other.raiseEvent(Interpreter.EV_CODE_PAGE);
                }
            }
        }
        list.add(b);
    }

    /** Drops every block decoded from {@code ppage}; returns true if there were any. */
    synchronized boolean invalidatePage(long ppage) {
        List<Block> blocks = byPage.remove(ppage);
        if (blocks == null) {
            return false;
        }
        for (Block b : blocks) {
            b.valid = false;
            Region r = b.region;
            if (r != null) {
                // The region may span other pages, whose blocks must not enter it any more.
                for (Block x : r.blocks) {
                    x.region = null;
                    x.compileRequested = false; // those still valid may be compiled again
                    x.hits = 0;
                }
            }
            byKey.remove(key(b.paddr, b.bits), b);
            long other = b.page0 == ppage ? b.page1 : b.page0;
            if (other >= 0 && other != ppage) {
                List<Block> l = byPage.get(other);
                if (l != null) {
                    l.remove(b);
                    if (l.isEmpty()) {
                        byPage.remove(other);
                    }
                }
            }
        }
        return true;
    }

    /**
     * Drops the blocks decoded from every page that {@code [pa, pa+len)} touches: for stores that
     * do not come from a vCPU, such as a device's DMA into guest RAM. Costs a map probe per page
     * (nothing when no code has been decoded); vCPUs see the dropped blocks at their next block.
     */
    public void noteExternalWrite(long pa, long len) {
        if (len <= 0 || byPage.isEmpty()) {
            return;
        }
        long end = pa + len;
        for (long page = pa & ~0xFFFL; Long.compareUnsigned(page, end) < 0; page += 0x1000) {
            if (byPage.containsKey(page)) {
                invalidatePage(page);
            }
        }
    }

    synchronized void clear() {
        for (List<Block> l : byPage.values()) {
            for (Block b : l) {
                b.valid = false;
            }
        }
        byPage.clear();
        byKey.clear();
        if (jit != null) {
            jit.clear();
        }
    }

    public int blockCount() {
        return byKey.size();
    }
}
