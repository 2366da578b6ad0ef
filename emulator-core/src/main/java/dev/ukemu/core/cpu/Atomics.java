package dev.ukemu.core.cpu;

import dev.ukemu.core.memory.GuestMemory;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * LOCK-prefixed read-modify-writes and XCHG. Accesses to RAM that fit in one aligned qword are
 * compare-and-set loops on the guest RAM segment (bytes and words through their containing
 * aligned dword, or qword when they cross a dword boundary), so they are atomic against every
 * other vCPU's loads and stores; ones that cross a qword boundary or a page, and MMIO ones,
 * serialise on one machine-wide lock. That makes them atomic against each other but not
 * against a CAS or plain store by another vCPU to the bytes they cover: their write-back can
 * undo such an update.
 */
final class Atomics {
    private Atomics() {
    }

    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    // Update kinds beyond the ALU kinds 0..7 of Alu.
    static final int K_XCHG = 16, K_NOT = 17, K_NEG = 18, K_INC = 19, K_DEC = 20, K_BTS = 21, K_BTR = 22,
            K_BTC = 23, K_CMPXCHG = 24;

    /** Carry-in for ADC/SBB, captured before the update loop. */
    private static long apply(int kind, long old, long operand, long expected, boolean carry) {
        return switch (kind) {
            case Alu.ADD -> old + operand;
            case Alu.OR -> old | operand;
            case Alu.ADC -> old + operand + (carry ? 1 : 0);
            case Alu.SBB -> old - operand - (carry ? 1 : 0);
            case Alu.AND -> old & operand;
            case Alu.SUB -> old - operand;
            case Alu.XOR -> old ^ operand;
            case K_XCHG -> operand;
            case K_NOT -> ~old;
            case K_NEG -> -old;
            case K_INC -> old + 1;
            case K_DEC -> old - 1;
            case K_BTS -> old | operand;
            case K_BTR -> old & ~operand;
            case K_BTC -> old ^ operand;
            case K_CMPXCHG -> old == expected ? operand : old;
            default -> old;
        };
    }

    /** Atomically updates {@code size} bytes at linear {@code la}; returns the old value (masked). */
    static long update(Cpu c, long la, int size, int kind, long operand, long expected) {
        long m = LazyFlags.MASK[LazyFlags.log2(size)];
        operand &= m;
        expected &= m;
        boolean carry = (kind == Alu.ADC || kind == Alu.SBB) && c.cf();
        long pa = -1;
        if ((la & 0xFFF) + size <= 0x1000) {
            pa = c.translate(la, Cpu.ACC_WRITE);
            if (!c.memory.isRam(pa)) {
                pa = -1;
            }
        }
        if (pa >= 0) {
            c.noteCodeWrite(pa);
            var seg = c.ram;
            if (size == 8 && (pa & 7) == 0) {
                while (true) {
                    long old = (long) LONG.getVolatile(seg, pa);
                    long nv = apply(kind, old, operand, expected, carry);
                    if (nv == old || LONG.compareAndSet(seg, pa, old, nv)) {
                        return old;
                    }
                }
            }
            long word = pa & ~3L;
            int shift = (int) (pa & 3) * 8;
            if (size <= 4 && (pa & 3) + size <= 4) {
                long wm = m << shift;
                while (true) {
                    int w = (int) INT.getVolatile(seg, word);
                    long old = ((w & 0xFFFFFFFFL) >>> shift) & m;
                    long nv = apply(kind, old, operand, expected, carry) & m;
                    int nw = (int) ((w & ~wm) | (nv << shift));
                    if (nw == w || INT.compareAndSet(seg, word, w, nw)) {
                        return old;
                    }
                }
            }
            // Across a dword boundary but inside one aligned qword: CAS the qword, so the update
            // is atomic against the aligned CASes on the bytes it shares with them.
            long qword = pa & ~7L;
            int qshift = (int) (pa & 7) * 8;
            if (size < 8 && (pa & 7) + size <= 8) {
                long qm = m << qshift;
                while (true) {
                    long w = (long) LONG.getVolatile(seg, qword);
                    long old = (w >>> qshift) & m;
                    long nv = apply(kind, old, operand, expected, carry) & m;
                    long nw = (w & ~qm) | (nv << qshift);
                    if (nw == w || LONG.compareAndSet(seg, qword, w, nw)) {
                        return old;
                    }
                }
            }
        }
        // Split across 8-byte words, pages or MMIO: no host CAS covers it, so it runs while
        // every other vCPU is parked at an instruction boundary (QEMU's exclusive section).
        long[] result = new long[1];
        long op = operand, exp = expected;
        c.hooks.exclusive(c, () -> {
            long old = c.read(la, size) & m;
            long nv = apply(kind, old, op, exp, carry);
            c.write(la, size, nv);
            result[0] = old;
        });
        VarHandle.fullFence();
        return result[0];
    }

    static long exchange(Cpu c, long la, int size, long v) {
        return update(c, la, size, K_XCHG, v, 0);
    }

    static long fetchAdd(Cpu c, long la, int size, long v) {
        return update(c, la, size, Alu.ADD, v, 0);
    }

    static long compareExchange(Cpu c, long la, int size, long expected, long desired) {
        return update(c, la, size, K_CMPXCHG, desired, expected);
    }

    /** CMPXCHG16B: null when it stored, else the old {low, high}. */
    static long[] compareExchange128(Cpu c, long la, long expLo, long expHi, long newLo, long newHi) {
        long[][] result = new long[1][];
        c.hooks.exclusive(c, () -> result[0] = compareExchange128Now(c, la, expLo, expHi, newLo, newHi));
        return result[0];
    }

    private static long[] compareExchange128Now(Cpu c, long la, long expLo, long expHi, long newLo, long newHi) {
        {
            // Check writability of the whole 16 bytes before touching memory.
            c.translate(la, Cpu.ACC_WRITE);
            long lo = c.read64(la);
            long hi = c.read64(la + 8);
            if (lo == expLo && hi == expHi) {
                c.write64(la, newLo);
                c.write64(la + 8, newHi);
                VarHandle.fullFence();
                return null;
            }
            c.write64(la, lo);
            c.write64(la + 8, hi);
            VarHandle.fullFence();
            return new long[] {lo, hi};
        }
    }

    static void aluLocked(Cpu c, Insn i, long la, long src) {
        long old = update(c, la, i.size, i.sub, src, 0);
        Alu.alu(c, i.sub, i.size, old, src);
    }

    static void incDecLocked(Cpu c, Insn i, long la, boolean inc) {
        long old = update(c, la, i.size, inc ? K_INC : K_DEC, 0, 0);
        int sz = LazyFlags.log2(i.size);
        Alu.recordIncDec(c, inc, sz, old, inc ? old + 1 : old - 1);
    }

    static void notLocked(Cpu c, Insn i, long la) {
        update(c, la, i.size, K_NOT, 0, 0);
    }

    static void negLocked(Cpu c, Insn i, long la) {
        long old = update(c, la, i.size, K_NEG, 0, 0);
        int sz = LazyFlags.log2(i.size);
        c.setCc(LazyFlags.NEG << 2 | sz, 0, old, -old);
    }
}
