package dev.ukemu.devices.misc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.bus.PortBus;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class PostPortTest {
    @Test
    void readsReturnAllOnesWhateverWasWritten() {
        PortBus ports = new PortBus();
        ports.register(PostPort.PORT, PostPort.SIZE, new PostPort(), "post");
        ports.write(0x80, 1, 0x12);
        assertEquals(0xFF, ports.read(0x80, 1));
        assertEquals(0xFFFF, new PostPort().read(0, 2));
    }

    @Test
    void delayLoopWritesDoNotAllocate() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        PortBus ports = new PortBus();
        ports.register(PostPort.PORT, PostPort.SIZE, new PostPort(), "post");
        for (int i = 0; i < 100_000; i++) {
            ports.write(0x80, 1, i);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 1_000_000; i++) {
            ports.write(0x80, 1, i);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 64 * 1024, "1M POST writes allocated " + allocated + " bytes");
    }
}
