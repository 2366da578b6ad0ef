package dev.ukemu.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.devices.net.FrameSink;
import dev.ukemu.devices.net.NetBackend;
import dev.ukemu.devices.net.PcapWriter;
import dev.ukemu.devices.net.UserNetOptions;
import dev.ukemu.devices.pci.PciBus;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A machine with a network card: PCI as SeaBIOS leaves it, and the backend plugged in. */
class NetworkMachineTest {
    /** A backend that records how it was made and what it was connected to. */
    static final class FakeBackend implements NetBackend {
        final UserNetOptions options;
        FrameSink toGuest;
        boolean closed;

        FakeBackend(UserNetOptions options) {
            this.options = options;
        }

        @Override
        public FrameSink connect(FrameSink toGuest) {
            this.toGuest = toGuest;
            return new FrameSink() {
                @Override
                public boolean offer(ByteBuffer frame) {
                    frame.position(frame.limit());
                    return true;
                }

                @Override
                public void whenWritable(Runnable action) {
                    action.run();
                }
            };
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static MachineConfig config() {
        UserNetOptions net = UserNetOptions.defaults("n0");
        return MachineConfig.of(TestImages.image("hello.elf")).withSerialOutput(new SerialCapture())
                .withNics(List.of(new NicConfig(3, NicConfig.defaultMac(0), net)));
    }

    @Test
    void nicAppearsAt0003WithSeaBiosResourcesAndTheGuestStillBoots() throws Exception {
        List<FakeBackend> made = new ArrayList<>();
        FakeBackend backend;
        try (Machine m = Machine.create(config(), o -> {
            FakeBackend b = new FakeBackend(o);
            made.add(b);
            return b;
        })) {
            backend = made.get(0);
            assertEquals("n0", backend.options.id());
            assertTrue(backend.toGuest != null, "connected");
            PciBus pci = m.pcDevices().pci;
            int devfn = PciBus.devfn(3, 0);
            assertEquals(0x10001AF4L, pci.configRead(0, devfn, 0, 4));
            assertEquals(0xC001, pci.configRead(0, devfn, 0x10, 4));
            assertEquals(11, pci.configRead(0, devfn, 0x3C, 1));
            assertEquals(0x12378086L, pci.configRead(0, 0, 0, 4));
            assertEquals(0x70008086L, pci.configRead(0, PciBus.devfn(1, 0), 0, 4));
            assertEquals(0x71138086L, pci.configRead(0, PciBus.devfn(1, 3), 0, 4));
            assertEquals(0x600, m.pcDevices().piix4Pm.pmBase());
            assertTrue(!backend.toGuest.offer(ByteBuffer.allocate(60)), "no driver yet: the NIC refuses frames");
            m.start();
            assertEquals(0, m.waitForExit(BootTest.TIMEOUT).code(), "ACPI power-off through the PIIX4 PM block");
        }
        assertTrue(backend.closed, "closing the machine closes its backends");
    }

    @Test
    void withoutTheBackendTheMachineRefusesUserNetworks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Machine.create(config(), null));
        assertEquals("-netdev user: the user-mode network backend is not part of this build of ukemu", e.getMessage());
    }

    @Test
    void netDumpWritesAPcapFile(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("net.pcap");
        try (Machine m = Machine.create(config().withNetDump(pcap), FakeBackend::new)) {
            assertTrue(m.nics().size() == 1);
        }
        byte[] b = Files.readAllBytes(pcap);
        assertEquals(PcapWriter.FILE_HEADER_SIZE, b.length);
        assertEquals((byte) 0xD4, b[0]);
    }
}
