package dev.ukemu.loader.elf;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Symbols sorted by address, for turning a guest address into {@code name+0x12} (logging, gdb) and a
 * name into an address.
 */
public record SymbolTable(List<ElfFile.Symbol> symbols) {
    /** By address, then name (a plain lambda: the JVM's AOT cache can link it, not Comparator.comparing's). */
    private static final Comparator<ElfFile.Symbol> ORDER = (a, b) -> {
        int byValue = Long.compareUnsigned(a.value(), b.value());
        return byValue != 0 ? byValue : a.name().compareTo(b.name());
    };

    public static final SymbolTable EMPTY = new SymbolTable(List.of());

    public SymbolTable {
        List<ElfFile.Symbol> sorted = new ArrayList<>(symbols);
        sorted.sort(ORDER);
        symbols = List.copyOf(sorted);
    }

    public static SymbolTable of(ElfFile elf) {
        return new SymbolTable(elf.symbols());
    }

    public boolean isEmpty() {
        return symbols.isEmpty();
    }

    /**
     * The symbol that covers {@code address}: the last one at or below it whose size reaches it, or
     * which has no size (assembly labels). Functions win over other symbols at the same address.
     */
    public Optional<ElfFile.Symbol> containing(long address) {
        int lo = 0, hi = symbols.size() - 1, found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(symbols.get(mid).value(), address) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        ElfFile.Symbol best = null;
        for (int i = found; i >= 0 && symbols.get(i).value() == symbols.get(Math.max(found, 0)).value(); i--) {
            ElfFile.Symbol s = symbols.get(i);
            boolean covers = s.size() == 0 || Long.compareUnsigned(address - s.value(), s.size()) < 0;
            if (covers && (best == null || (s.isFunction() && !best.isFunction()))) {
                best = s;
            }
        }
        return Optional.ofNullable(best);
    }

    /** {@code name+0x12}, {@code name}, or the bare hex address when no symbol covers it. */
    public String describe(long address) {
        return containing(address)
                .map(s -> address == s.value() ? s.name() : s.name() + "+0x" + Long.toHexString(address - s.value()))
                .orElse("0x" + Long.toHexString(address));
    }

    /** The first symbol with this name. */
    public Optional<ElfFile.Symbol> named(String name) {
        return symbols.stream().filter(s -> s.name().equals(name)).findFirst();
    }
}
