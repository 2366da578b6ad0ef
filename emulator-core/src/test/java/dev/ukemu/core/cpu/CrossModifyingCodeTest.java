package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import org.junit.jupiter.api.Test;

/** Code one vCPU writes is decoded afresh by another vCPU that ran the old code. */
class CrossModifyingCodeTest {
    static final long CODE = 0x100000;

    @Test
    void storeByOneVcpuInvalidatesBlocksAnotherDecoded() {
        try (GuestMemory mem = new GuestMemory(MemoryLayout.of(16 * MemoryLayout.MIB))) {
            CodeCache shared = new CodeCache();
            CpuidModel model = CpuidModel.max(2_500_000, 2);
            Cpu writer = new Cpu(0, mem, new PortBus(), new Bus("MMIO"), model, shared, true);
            Cpu runner = new Cpu(1, mem, new PortBus(), new Bus("MMIO"), model, shared, true);
            FlatLongMode.enter(writer, mem, 0, 1);
            FlatLongMode.enter(runner, mem, 0, 1);
            // The writer first touches the page as data: its soft-TLB gets a write entry.
            writer.write8(CODE + 0x800, 0);
            mem.load(CODE, new byte[] {(byte) 0xB0, 0x01, (byte) 0xF4}); // mov al, 1; hlt
            runner.rip = CODE;
            Interpreter.step(runner);
            assertEquals(1, runner.r[Cpu.RAX] & 0xFF);
            assertTrue((writer.events & Interpreter.EV_CODE_PAGE) != 0, "the writer is told the page now holds code");
            Interpreter.handleEvents(writer); // what its run loop does at the next block boundary
            writer.write8(CODE + 1, 2); // patch the immediate through the guest's own store path
            runner.rip = CODE;
            runner.halted = false;
            Interpreter.step(runner);
            assertEquals(2, runner.r[Cpu.RAX] & 0xFF, "the runner decoded the patched code");
        }
    }

    @Test
    void deviceStoreReportedToTheCacheIsSeenByTheNextRun() {
        try (GuestMemory mem = new GuestMemory(MemoryLayout.of(16 * MemoryLayout.MIB))) {
            CodeCache shared = new CodeCache();
            Cpu runner = new Cpu(0, mem, new PortBus(), new Bus("MMIO"), CpuidModel.max(2_500_000, 1), shared, false);
            FlatLongMode.enter(runner, mem, 0, 1);
            mem.load(CODE, new byte[] {(byte) 0xB0, 0x01, (byte) 0xF4}); // mov al, 1; hlt
            runner.rip = CODE;
            Interpreter.step(runner);
            assertEquals(1, runner.r[Cpu.RAX] & 0xFF);
            mem.writeByte(CODE + 1, 3); // as DMA would: straight into RAM
            shared.noteExternalWrite(CODE + 1, 1);
            runner.rip = CODE;
            runner.halted = false;
            Interpreter.step(runner);
            assertEquals(3, runner.r[Cpu.RAX] & 0xFF, "the block was decoded again");
            shared.noteExternalWrite(CODE + 0x1000, 0x10000); // pages without code: nothing to drop
            assertEquals(1, shared.blockCount());
        }
    }
}
