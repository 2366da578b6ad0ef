package dev.ukemu.core.cpu;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * Decoded blocks by the physical pages they came from. A page that holds decoded code is a
 * "code page": the soft-TLB never holds a write entry for it, so every guest store to it takes
 * the slow path, which drops the page's blocks before the store lands.
 */
final class CodeCache {
    private final HashMap<Long, List<Block>> byPage = new HashMap<>();
    private final HashMap<Long, Block> byKey = new HashMap<>();

    static long key(long paddr, int bits) {
        return paddr << 2 | (bits == 64 ? 2 : bits == 32 ? 1 : 0);
    }

    Block lookup(long paddr, int bits) {
        return byKey.get(key(paddr, bits));
    }

    boolean isCodePage(long ppage) {
        return byPage.containsKey(ppage);
    }

    void add(Block b) {
        byKey.put(key(b.paddr, b.bits), b);
        byPage.computeIfAbsent(b.page0, p -> new ArrayList<>()).add(b);
        if (b.page1 >= 0) {
            byPage.computeIfAbsent(b.page1, p -> new ArrayList<>()).add(b);
        }
    }

    /** Drops every block decoded from {@code ppage}; returns true if there were any. */
    boolean invalidatePage(long ppage) {
        List<Block> blocks = byPage.remove(ppage);
        if (blocks == null) {
            return false;
        }
        for (Block b : blocks) {
            b.valid = false;
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

    void clear() {
        for (List<Block> l : byPage.values()) {
            for (Block b : l) {
                b.valid = false;
            }
        }
        byPage.clear();
        byKey.clear();
    }

    int blockCount() {
        return byKey.size();
    }
}
