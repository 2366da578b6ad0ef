package dev.ukemu.devices.uart;

import static dev.ukemu.devices.uart.Uart16550.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.devices.testing.RecordingIrqLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Drives the UART through its registers the way a guest driver does. */
class Uart16550Test {
    /** Counts flushes so the "each byte is flushed" promise is observable. */
    static final class FlushCountingStream extends ByteArrayOutputStream {
        int flushes;

        @Override
        public void flush() {
            flushes++;
        }
    }

    private final RecordingIrqLine irq = new RecordingIrqLine();
    private final FlushCountingStream out = new FlushCountingStream();
    private final Uart16550 uart = new Uart16550(irq, out);

    private int inb(int reg) {
        return (int) uart.read(reg, 1);
    }

    private void outb(int reg, int value) {
        uart.write(reg, 1, value);
    }

    /** The Unikraft / Linux early-console sequence: 115200 8N1, interrupts off. */
    private void initConsole() {
        outb(IER, 0x00);
        outb(LCR, LCR_DLAB);
        outb(DLL, 0x01);
        outb(DLM, 0x00);
        outb(LCR, 0x03);
    }

    private void putc(int c) {
        int spins = 0;
        while ((inb(LSR) & LSR_THRE) == 0) {
            if (++spins > 1000) {
                throw new AssertionError("THRE never set");
            }
        }
        outb(THR, c);
    }

    @Test
    void initSequenceProgramsDivisorThroughDlabAndReadsItBack() {
        outb(IER, 0x00);
        outb(LCR, LCR_DLAB);
        outb(DLL, 0x03);
        outb(DLM, 0x01);
        assertEquals(0x03, inb(DLL));
        assertEquals(0x01, inb(DLM));
        outb(LCR, 0x03);

        assertEquals(0x03, inb(LCR));
        assertEquals(0x00, inb(IER), "with DLAB clear offset 1 is IER again");
        assertEquals(0x0103, uart.divisor());
        assertEquals(115_200 / 0x0103, uart.baudRate());
        assertEquals(0, out.size(), "divisor writes must not transmit");

        initConsole();
        assertEquals(1, uart.divisor());
        assertEquals(115_200, uart.baudRate());
    }

    @Test
    void wideWriteUnderDlabFillsBothDivisorLatches() {
        outb(LCR, LCR_DLAB);
        uart.write(DLL, 2, 0x0201);
        assertEquals(0x0201, uart.read(DLL, 2));
        assertEquals(0x0201, uart.divisor());
    }

    @Test
    void transmittedBytesReachTheOutputEachFollowedByFlush() {
        initConsole();
        byte[] text = "Hello, ukemu\r\n".getBytes(StandardCharsets.US_ASCII);
        for (byte b : text) {
            putc(b & 0xFF);
        }
        assertArrayEquals(text, out.toByteArray());
        assertEquals(text.length, out.flushes);
    }

    @Test
    void lineStatusShowsTransmitterEmptyAtResetAndAfterEveryByte() {
        assertEquals(LSR_THRE | LSR_TEMT, inb(LSR));
        initConsole();
        outb(THR, 'x');
        assertEquals(LSR_THRE | LSR_TEMT, inb(LSR));
    }

    @Test
    void outputErrorsLoseTheByteButKeepTheTransmitterReady() {
        Uart16550 broken = new Uart16550(irq, new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("closed");
            }
        });
        broken.write(THR, 1, 'x');
        assertEquals(1, broken.txErrors());
        assertEquals(LSR_THRE | LSR_TEMT, broken.read(LSR, 1));
    }

    @Test
    void loopbackSendsTransmittedBytesToTheReceiverNotTheOutput() {
        initConsole();
        outb(MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS | MCR_DTR);
        outb(THR, 0xAE);

        assertEquals(0, out.size());
        assertEquals(LSR_DR | LSR_THRE | LSR_TEMT, inb(LSR));
        assertEquals(0xAE, inb(RBR));
        assertEquals(LSR_THRE | LSR_TEMT, inb(LSR));

        uart.receive('z'); // the external line is disconnected in loopback
        assertEquals(0, inb(LSR) & LSR_DR);
        assertEquals(0, uart.rxSpace());

        outb(MCR, MCR_OUT2);
        outb(THR, 'k');
        assertEquals("k", out.toString(StandardCharsets.US_ASCII));
        assertEquals(1, uart.rxSpace(), "input accepted again; no FIFO: one holding register");
    }

    @Test
    void modemStatusMirrorsModemControlInLoopback() {
        assertEquals(MSR_CTS | MSR_DSR | MSR_DCD, inb(MSR), "outside loopback: QEMU's ready lines");

        outb(MCR, MCR_LOOP);
        assertEquals(MSR_DCTS | MSR_DDSR | MSR_DDCD, inb(MSR), "all inputs dropped");
        assertEquals(0x00, inb(MSR), "reading MSR clears the deltas");

        outb(MCR, MCR_LOOP | MCR_RTS);
        assertEquals(MSR_CTS | MSR_DCTS, inb(MSR));
        outb(MCR, MCR_LOOP | MCR_RTS | MCR_DTR);
        assertEquals(MSR_CTS | MSR_DSR | MSR_DDSR, inb(MSR));
        outb(MCR, MCR_LOOP | MCR_RTS | MCR_DTR | MCR_OUT1);
        assertEquals(MSR_CTS | MSR_DSR | MSR_RI, inb(MSR), "RI rising is not a TERI");
        outb(MCR, MCR_LOOP | MCR_RTS | MCR_DTR | MCR_OUT2);
        assertEquals(MSR_CTS | MSR_DSR | MSR_DCD | MSR_TERI | MSR_DDCD, inb(MSR));

        // Linux's autoconfig check: LOOP | OUT2 | RTS reads back 0x90 in the high nibble.
        outb(MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS);
        assertEquals(0x90, inb(MSR) & 0xF0);
    }

    @Test
    void fifoHoldsSixteenBytesAndOverrunSetsOeUntilLsrIsRead() {
        outb(FCR, FCR_FE | FCR_RFR | FCR_XFR);
        byte[] input = new byte[17];
        for (int i = 0; i < input.length; i++) {
            input[i] = (byte) ('a' + i);
        }
        uart.receive(input);

        assertEquals(LSR_DR | LSR_OE | LSR_THRE | LSR_TEMT, inb(LSR));
        assertEquals(LSR_DR | LSR_THRE | LSR_TEMT, inb(LSR), "reading LSR clears OE");

        StringBuilder got = new StringBuilder();
        while ((inb(LSR) & LSR_DR) != 0) {
            got.append((char) inb(RBR));
        }
        assertEquals("abcdefghijklmnop", got.toString(), "the 17th byte is lost, the FIFO kept");
        assertEquals(0, inb(LSR) & (LSR_DR | LSR_OE));
    }

    @Test
    void withoutFifoTheHoldingRegisterIsOverwrittenOnOverrun() {
        uart.receive('1');
        uart.receive('2');
        assertEquals(LSR_DR | LSR_OE, inb(LSR) & (LSR_DR | LSR_OE));
        assertEquals('2', inb(RBR));
        assertEquals(0, inb(LSR) & (LSR_DR | LSR_OE));
        assertEquals('2', inb(RBR), "an empty holding register still shows the last byte");
    }

    @Test
    void offerTakesOnlyWhatFitsAndNeverOverruns() {
        outb(FCR, FCR_FE);
        byte[] input = new byte[20];
        for (int i = 0; i < input.length; i++) {
            input[i] = (byte) i;
        }
        assertEquals(16, uart.offer(input, 0, input.length));
        assertFalse(uart.canReceive());
        assertEquals(0, uart.offer(input, 16, 4));
        assertEquals(0, inb(LSR) & LSR_OE);

        assertEquals(0, inb(RBR));
        assertEquals(1, uart.rxSpace());
        assertEquals(1, uart.offer(input, 16, 4));
    }

    @Test
    void feederWaitingForSpaceLosesNothingWhileTheGuestDrains() throws Exception {
        outb(FCR, FCR_FE);
        byte[] input = new byte[300];
        for (int i = 0; i < input.length; i++) {
            input[i] = (byte) (i * 7);
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread feeder = new Thread(() -> {
            try {
                int sent = 0;
                while (sent < input.length) {
                    sent += uart.offer(input, sent, input.length - sent);
                    if (sent < input.length && !uart.awaitRxSpace(10, TimeUnit.SECONDS)) {
                        throw new AssertionError("guest never drained");
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        feeder.start();

        byte[] got = new byte[input.length];
        int n = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (n < got.length && System.nanoTime() < deadline) {
            if ((inb(LSR) & LSR_DR) != 0) {
                got[n++] = (byte) inb(RBR);
            } else {
                Thread.onSpinWait();
            }
        }
        feeder.join(10_000);
        assertEquals(null, failure.get());
        assertArrayEquals(input, got);
        assertEquals(0, inb(LSR) & LSR_OE);
    }

    @Test
    void spaceListenerRunsWhenTheGuestReads() {
        AtomicInteger calls = new AtomicInteger();
        uart.setRxSpaceListener(calls::incrementAndGet);
        uart.receive('q');
        inb(RBR);
        assertEquals(1, calls.get());
    }

    @Test
    void interruptIdentificationFollowsThePriorityOrder() {
        outb(FCR, FCR_FE); // trigger level 1
        byte[] input = new byte[17];
        uart.receive(input);                       // data available + overrun
        uart.setModemLines(MSR_CTS | MSR_DSR);     // DCD dropped: modem status delta
        outb(IER, IER_ERBFI | IER_ETBEI | IER_ELSI | IER_EDSSI); // THR empty too

        assertTrue(irq.level());
        assertEquals(IIR_FIFO_ENABLED | IIR_RLSI, inb(IIR));
        inb(LSR);
        assertEquals(IIR_FIFO_ENABLED | IIR_RDI, inb(IIR));
        for (int i = 0; i < 16; i++) {
            inb(RBR);
        }
        assertEquals(IIR_FIFO_ENABLED | IIR_THRI, inb(IIR));
        assertEquals(IIR_FIFO_ENABLED | IIR_MSI, inb(IIR), "reading IIR acknowledged THRE");
        assertTrue(irq.level());
        assertEquals(MSR_CTS | MSR_DSR | MSR_DDCD, inb(MSR));
        assertEquals(IIR_FIFO_ENABLED | IIR_NO_INT, inb(IIR));
        assertFalse(irq.level());
    }

    @Test
    void characterTimeoutReportsDataBelowTheTriggerLevel() {
        outb(FCR, FCR_FE | 0x80); // trigger level 8
        outb(IER, IER_ERBFI);
        uart.receive("abc".getBytes(StandardCharsets.US_ASCII));
        assertEquals(IIR_FIFO_ENABLED | IIR_CTI, inb(IIR));
        assertTrue(irq.level());

        irq.clearHistory();
        assertEquals('a', inb(RBR));
        assertEquals(List.of(false, true), irq.history(), "each read gives a fresh edge");
        assertEquals(IIR_FIFO_ENABLED | IIR_CTI, inb(IIR));
        inb(RBR);
        inb(RBR);
        assertEquals(IIR_FIFO_ENABLED | IIR_NO_INT, inb(IIR));
        assertFalse(irq.level());

        uart.receive("12345678".getBytes(StandardCharsets.US_ASCII));
        assertEquals(IIR_FIFO_ENABLED | IIR_RDI, inb(IIR), "at the trigger level: data available");
    }

    @Test
    void thrEmptyInterruptIsRaisedByEnablingAndClearedByIirReadOrThrWrite() {
        initConsole();
        assertEquals(IIR_NO_INT, inb(IIR));
        assertFalse(irq.level());

        outb(IER, IER_ETBEI);                 // THR is already empty
        assertEquals(IIR_THRI, inb(IIR));
        assertFalse(irq.level(), "the IIR read acknowledged it");
        assertEquals(IIR_NO_INT, inb(IIR));

        outb(IER, IER_ETBEI);                 // no rising edge of ETBEI: nothing new
        assertEquals(IIR_NO_INT, inb(IIR));
        outb(IER, 0);
        outb(IER, IER_ETBEI);
        assertTrue(irq.level());

        irq.clearHistory();
        outb(THR, 'x');                       // write clears it, the sent byte raises it again
        assertEquals(List.of(false, true), irq.history());
        assertEquals(IIR_THRI, inb(IIR));
        assertEquals("x", out.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void thrEmptyIsNotReportedWhenIerDisablesIt() {
        outb(IER, IER_ETBEI);
        outb(IER, 0);
        assertEquals(IIR_NO_INT, inb(IIR));
        assertFalse(irq.level());
        assertEquals(1, irq.risingEdges(), "only the one edge from enabling");
    }

    @Test
    void out2GatesTheInterruptLineAsOnAPc() {
        outb(MCR, 0);
        outb(IER, IER_ETBEI);
        assertFalse(irq.level(), "OUT2 clear: the IRQ buffer is off");
        outb(MCR, MCR_OUT2 | MCR_RTS | MCR_DTR);
        assertTrue(irq.level());
        outb(MCR, MCR_RTS | MCR_DTR);
        assertFalse(irq.level());
        outb(MCR, MCR_OUT2 | MCR_LOOP);
        assertFalse(irq.level(), "loopback forces OUT2 inactive on the pin");
        assertEquals(IIR_THRI, inb(IIR) & IIR_ID_MASK, "the source is still identified");
    }

    @Test
    void fifoControlClearsTheReceiverAndReportsFifoMode() {
        outb(FCR, FCR_FE | 0xC0);
        assertEquals(IIR_FIFO_ENABLED, inb(IIR) & IIR_FIFO_ENABLED);
        uart.receive("hello".getBytes(StandardCharsets.US_ASCII));
        assertEquals(LSR_DR, inb(LSR) & LSR_DR);

        outb(FCR, FCR_FE | FCR_RFR | 0xC0);
        assertEquals(0, inb(LSR) & LSR_DR);
        assertEquals(16, uart.rxSpace());
        assertEquals(0, inb(RBR), "empty FIFO reads 0");

        uart.receive("again".getBytes(StandardCharsets.US_ASCII));
        outb(FCR, 0); // leaving FIFO mode flushes as well
        assertEquals(0, inb(LSR) & LSR_DR);
        assertEquals(0, inb(IIR) & IIR_FIFO_ENABLED);
        assertEquals(1, uart.rxSpace());
    }

    @Test
    void clearingTheTransmitFifoRaisesThrEmptyWhenEnabled() {
        outb(IER, IER_ETBEI);
        inb(IIR); // acknowledge
        assertFalse(irq.level());
        outb(FCR, FCR_FE | FCR_XFR);
        assertEquals(IIR_FIFO_ENABLED | IIR_THRI, inb(IIR));
    }

    @Test
    void registersKeepOnlyTheirImplementedBits() {
        outb(IER, 0xFF);
        assertEquals(0x0F, inb(IER));
        outb(MCR, 0xFF);
        assertEquals(0x1F, inb(MCR));
        outb(SCR, 0x5A);
        assertEquals(0x5A, inb(SCR));
        outb(LSR, 0x00);
        assertEquals(LSR_THRE | LSR_TEMT, inb(LSR), "LSR is read-only");
    }

    @Test
    void resetRestoresPowerOnState() {
        outb(LCR, LCR_DLAB);
        outb(DLL, 1);
        outb(LCR, 3);
        outb(IER, 0x0F);
        uart.receive('x');
        uart.reset();
        assertEquals(0x0C, uart.divisor());
        assertEquals(0, inb(IER));
        assertEquals(0, inb(LCR));
        assertEquals(MCR_OUT2, inb(MCR));
        assertEquals(LSR_THRE | LSR_TEMT, inb(LSR));
        assertEquals(IIR_NO_INT, inb(IIR));
        assertFalse(irq.level());
    }

    @Test
    void lsrPollingDoesNotAllocate() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        initConsole();
        int sink = 0;
        for (int i = 0; i < 200_000; i++) {
            sink += inb(LSR);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 1_000_000; i++) {
            sink += inb(LSR);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(sink != 0);
        assertTrue(allocated < 64 * 1024, "1M LSR reads allocated " + allocated + " bytes");
    }

    @Test
    void concurrentTransmitAndReceiveKeepEveryByte() throws Exception {
        initConsole();
        outb(FCR, FCR_FE);
        List<Thread> threads = new ArrayList<>();
        byte[] input = new byte[1000];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        threads.add(new Thread(() -> {
            try {
                int sent = 0;
                while (sent < input.length) {
                    sent += uart.offer(input, sent, input.length - sent);
                    uart.awaitRxSpace(1, TimeUnit.SECONDS);
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }));
        threads.forEach(Thread::start);
        int received = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (received < input.length && System.nanoTime() < deadline) {
            if ((inb(LSR) & LSR_DR) != 0) {
                inb(RBR);
                received++;
                putc('.');
            } else {
                Thread.onSpinWait();
            }
        }
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertEquals(null, failure.get());
        assertEquals(input.length, received);
        assertEquals(input.length, out.size());
        assertEquals(input.length, out.flushes);
    }
}
