package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two vCPUs on two threads run LOCK-prefixed updates (within one qword; the qword-crossing case
 * needs the machine's exclusive section and is tested with real vCPU threads in the smp module) of different alignment over the same bytes:
 * a locked op is atomic against every other access (SDM vol. 3, 9.1.2.2), so one that adds 0
 * must never undo the other's increments.
 */
class LockedOverlapTest {
    static final long CODE_A = 0x100000, CODE_B = 0x101000;
    static final int N = 1_000_000;

    /** mov ecx, N; L: LOCKED_OP; dec ecx; jnz L; hlt */
    static byte[] loop(int... lockedOp) {
        byte[] b = new byte[5 + lockedOp.length + 5];
        int k = 0;
        b[k++] = (byte) 0xB9;
        for (int s = 0; s < 32; s += 8) {
            b[k++] = (byte) (N >>> s);
        }
        for (int x : lockedOp) {
            b[k++] = (byte) x;
        }
        b[k++] = (byte) 0xFF; // dec ecx
        b[k++] = (byte) 0xC9;
        b[k++] = 0x75; // jnz L
        b[k++] = (byte) -(lockedOp.length + 4);
        b[k] = (byte) 0xF4;
        return b;
    }

    static int[] withDisp32(long addr, int... prefix) {
        int[] r = new int[prefix.length + 4];
        System.arraycopy(prefix, 0, r, 0, prefix.length);
        for (int s = 0; s < 4; s++) {
            r[prefix.length + s] = (int) (addr >>> (s * 8)) & 0xFF;
        }
        return r;
    }

    static int[] concat(int[] a, int... b) {
        int[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** Runs both vCPUs to their HLT at the same time, each on its own platform thread. */
    static void runBoth(Cpu a, Cpu b) throws Exception {
        CyclicBarrier start = new CyclicBarrier(2);
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (Cpu c : List.of(a, b)) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    start.await();
                    runToHlt(c);
                    f.complete(null);
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
            done.add(f);
        }
        for (CompletableFuture<Void> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
    }

    static void runToHlt(Cpu c) {
        while (!c.halted) {
            Interpreter.step(c);
        }
    }

    /** A: lock inc dword [inc]; B: lock add dword [over], 0; both N times at once; returns the dword at inc. */
    static int race(long inc, long over) throws Exception {
        try (GuestMemory mem = new GuestMemory(MemoryLayout.of(16 * MemoryLayout.MIB))) {
            CodeCache code = new CodeCache();
            CpuidModel model = CpuidModel.max(2_500_000, 2);
            Cpu a = new Cpu(0, mem, new PortBus(), new Bus("MMIO"), model, code, true);
            Cpu b = new Cpu(1, mem, new PortBus(), new Bus("MMIO"), model, code, true);
            FlatLongMode.enter(a, mem, 0, 1);
            FlatLongMode.enter(b, mem, 0, 1);
            mem.load(CODE_A, loop(withDisp32(inc, 0xF0, 0xFF, 0x04, 0x25)));
            mem.load(CODE_B, loop(concat(withDisp32(over, 0xF0, 0x83, 0x04, 0x25), 0x00)));
            a.rip = CODE_A;
            b.rip = CODE_B;
            runBoth(a, b);
            assertEquals(0, mem.readByte(over), "byte below the counter");
            return mem.readInt(inc);
        }
    }

    @Test
    void lockAddZeroAcrossADwordBoundaryDoesNotUndoLockIncInTheSameQword() throws Exception {
        // B covers bytes 0x400042..0x400045, inside the qword at 0x400040, half of A's dword.
        assertEquals(N, race(0x400044, 0x400042), "increments lost to the overlapping locked add of 0");
    }
}
