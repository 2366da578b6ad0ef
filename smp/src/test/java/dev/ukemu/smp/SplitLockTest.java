package dev.ukemu.smp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.cpu.CodeCache;
import dev.ukemu.core.cpu.Cpu;
import dev.ukemu.core.cpu.CpuHooks;
import dev.ukemu.core.cpu.CpuidModel;
import dev.ukemu.core.cpu.FlatLongMode;
import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A LOCK op that crosses a qword boundary has no host CAS; it runs while the other vCPUs are
 * parked, so it can never undo another vCPU's aligned locked increment of the same bytes.
 */
class SplitLockTest {
    static final long CODE_A = 0x100000, CODE_B = 0x101000, COUNTER = 0x400040, OVER = 0x40003E;
    static final int N = 20_000;

    /** mov ecx, N; L: OP; dec ecx; jnz L; cli; hlt */
    static byte[] loop(int... op) {
        byte[] b = new byte[5 + op.length + 6];
        int k = 0;
        b[k++] = (byte) 0xB9;
        for (int s = 0; s < 32; s += 8) {
            b[k++] = (byte) (N >>> s);
        }
        for (int x : op) {
            b[k++] = (byte) x;
        }
        b[k++] = (byte) 0xFF;
        b[k++] = (byte) 0xC9;
        b[k++] = 0x75;
        b[k++] = (byte) -(op.length + 4);
        b[k++] = (byte) 0xFA;
        b[k] = (byte) 0xF4;
        return b;
    }

    @Test
    void lockAddZeroAcrossAQwordBoundaryNeverUndoesAnAlignedLockInc() throws Exception {
        try (GuestMemory mem = new GuestMemory(MemoryLayout.of(16 * MemoryLayout.MIB))) {
            CodeCache code = new CodeCache();
            CpuidModel model = CpuidModel.max(2_500_000, 2);
            Cpu a = new Cpu(0, mem, new PortBus(), new Bus("MMIO"), model, code, true);
            Cpu b = new Cpu(1, mem, new PortBus(), new Bus("MMIO"), model, code, true);
            FlatLongMode.enter(a, mem, 0, 1);
            FlatLongMode.enter(b, mem, 0, 1);
            // A: lock inc dword [COUNTER]; B: lock add dword [OVER], 0 (bytes 0x40003E..41, across the qword at 0x400040)
            mem.load(CODE_A, loop(0xF0, 0xFF, 0x04, 0x25, 0x40, 0x00, 0x40, 0x00));
            mem.load(CODE_B, loop(0xF0, 0x83, 0x04, 0x25, 0x3E, 0x00, 0x40, 0x00, 0x00));
            a.rip = CODE_A;
            b.rip = CODE_B;
            VcpuThreads threads = new VcpuThreads(List.of(a, b), (c, stop) -> false, (c, t) -> { });
            CpuHooks hooks = new CpuHooks() {
                @Override
                public void exclusive(Cpu cpu, Runnable action) {
                    threads.runExclusive(cpu, action);
                }

                @Override
                public void handleEvents(Cpu cpu) {
                    threads.parkForPause(cpu);
                }

                @Override
                public void idle(Cpu cpu) {
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
            };
            a.hooks = hooks;
            b.hooks = hooks;
            threads.start("split-lock-test");
            long deadline = System.nanoTime() + 120_000_000_000L;
            while ((mem.readInt(COUNTER) != N || !bothHalted(a, b)) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            threads.stopAll();
            threads.join(5000);
            assertEquals(N, mem.readInt(COUNTER), "increments lost to the overlapping locked add of 0");
            assertEquals(0, mem.readShort(OVER), "the bytes below the counter");
        }
    }

    private static boolean bothHalted(Cpu a, Cpu b) {
        return a.halted && b.halted;
    }
}
