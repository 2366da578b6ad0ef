package dev.ukemu.devices.virtio;

import static dev.ukemu.devices.virtio.TestRing.in;
import static dev.ukemu.devices.virtio.TestRing.out;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.devices.pci.PciDevice;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** virtio-pci probing as real drivers do it, and virtio-net's queues driven through guest memory. */
class VirtioNetTest {
    static final long MAC = 1L << VirtioNet.F_MAC, STATUS = 1L << VirtioNet.F_STATUS,
            MRG = 1L << VirtioNet.F_MRG_RXBUF, INDIRECT = 1L << VirtioPci.F_INDIRECT_DESC,
            EVENT_IDX = 1L << VirtioPci.F_EVENT_IDX, VERSION_1 = 1L << VirtioPci.F_VERSION_1,
            ANY_LAYOUT = 1L << VirtioPci.F_ANY_LAYOUT;

    private final NetRig rig = new NetRig();

    @AfterEach
    void close() {
        rig.close();
    }

    // ---- probing ------------------------------------------------------------------------------

    @Test
    void pciIdentityIsQemusTransitionalNic() {
        assertEquals(0x10001AF4L, rig.cfgRead(0, 4));
        assertEquals(0, rig.cfgRead(PciDevice.REVISION_ID, 1), "revision 0: transitional");
        assertEquals(0x0200, rig.cfgRead(PciDevice.CLASS_DEVICE, 2));
        assertEquals(0x00011AF4L, rig.cfgRead(PciDevice.SUBSYSTEM_VENDOR_ID, 4), "subsystem 1 = network");
        assertEquals(NetRig.IO | 1, rig.cfgRead(PciDevice.BAR0, 4), "BAR0 at 0xC000 as under SeaBIOS");
        assertEquals(11, rig.cfgRead(PciDevice.INTERRUPT_LINE, 1));
        assertEquals(1, rig.cfgRead(PciDevice.INTERRUPT_PIN, 1));
        rig.cfgWrite(PciDevice.BAR0, 4, 0xFFFFFFFFL);
        assertEquals(0xFFFFFFE1L, rig.cfgRead(PciDevice.BAR0, 4), "32 bytes of legacy registers");
        rig.cfgWrite(PciDevice.BAR0, 4, NetRig.IO);
        assertEquals(0xFEBFC00CL, rig.cfgRead(PciDevice.BAR0 + 16, 4), "BAR4: 16 KiB, 64-bit, prefetchable");
        assertEquals(0xFEBFC000L, rig.modernBase);
    }

    @Test
    void unikraftLegacyProbeSequence() {
        rig.out(VirtioPci.DEVICE_STATUS, 1, 0);
        assertEquals(0, rig.in(VirtioPci.DEVICE_STATUS, 1), "reset reads back as 0");
        rig.cfgWrite(PciDevice.COMMAND, 2, PciDevice.COMMAND_IO); // a driver that never sets bus master
        rig.out(VirtioPci.DEVICE_STATUS, 1, 1);
        rig.out(VirtioPci.DEVICE_STATUS, 1, 1 | 2);
        assertTrue((rig.cfgRead(PciDevice.COMMAND, 2) & PciDevice.COMMAND_MASTER) != 0,
                "ACK|DRIVER turns bus mastering on, as QEMU does for old drivers");
        long host = rig.in(VirtioPci.HOST_FEATURES, 4);
        assertEquals(MAC | STATUS | MRG | INDIRECT | EVENT_IDX | ANY_LAYOUT, host, "no VERSION_1 on the legacy interface");
        rig.out(VirtioPci.GUEST_FEATURES, 4, MAC | STATUS);
        assertEquals(MAC | STATUS, rig.in(VirtioPci.GUEST_FEATURES, 4));
        rig.out(VirtioPci.DEVICE_STATUS, 1, 0xB);
        for (int q = 0; q < 2; q++) {
            rig.out(VirtioPci.QUEUE_SEL, 2, q);
            assertEquals(256, rig.in(VirtioPci.QUEUE_NUM, 2));
            rig.out(VirtioPci.QUEUE_PFN, 4, (q == 0 ? NetRig.RX_RING : NetRig.TX_RING) >>> 12);
            assertEquals((q == 0 ? NetRig.RX_RING : NetRig.TX_RING) >>> 12, rig.in(VirtioPci.QUEUE_PFN, 4));
        }
        rig.out(VirtioPci.QUEUE_SEL, 2, 2);
        assertEquals(0, rig.in(VirtioPci.QUEUE_NUM, 2), "no third queue (no control queue)");
        rig.out(VirtioPci.DEVICE_STATUS, 1, 0xF);
        assertEquals(0xF, rig.in(VirtioPci.DEVICE_STATUS, 1));
        byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++) {
            mac[i] = (byte) rig.in(VirtioPci.LEGACY_CONFIG + i, 1);
        }
        assertArrayEquals(VirtioNet.parseMac("52:54:00:12:34:56"), mac);
        assertEquals(VirtioNet.S_LINK_UP, rig.in(VirtioPci.LEGACY_CONFIG + 6, 2));
        assertEquals(1, rig.in(VirtioPci.LEGACY_CONFIG + 8, 2), "max_virtqueue_pairs");
        assertEquals(0xFFFF, rig.in(VirtioPci.LEGACY_CONFIG + 10, 2), "past the configuration space");
        assertEquals(0, rig.in(VirtioPci.ISR_STATUS, 1));
        rig.out(VirtioPci.QUEUE_SEL, 2, 0);
        rig.out(VirtioPci.QUEUE_PFN, 4, 0);
        assertEquals(0, rig.in(VirtioPci.DEVICE_STATUS, 1), "a zero PFN resets the device, as in QEMU");
    }

    @Test
    void modernProbeFindsEveryCapabilityAndNegotiates() {
        // Walk the capability list as Linux's virtio_pci_find_capability does.
        assertTrue((rig.cfgRead(PciDevice.STATUS, 2) & PciDevice.STATUS_CAP_LIST) != 0);
        List<Integer> types = new ArrayList<>();
        int p = (int) rig.cfgRead(PciDevice.CAPABILITY_LIST, 1);
        int notifyCap = 0;
        while (p != 0) {
            assertEquals(VirtioPci.CAP_ID_VENDOR, rig.cfgRead(p, 1));
            int type = (int) rig.cfgRead(p + 3, 1);
            types.add(type);
            if (type != VirtioPci.CAP_PCI_CFG) {
                assertEquals(VirtioPci.MODERN_BAR, rig.cfgRead(p + 4, 1));
                assertEquals(0x1000, rig.cfgRead(p + 12, 4));
            }
            if (type == VirtioPci.CAP_NOTIFY) {
                notifyCap = p;
            }
            p = (int) rig.cfgRead(p + 1, 1);
        }
        assertEquals(List.of(5, 2, 4, 3, 1), types, "PCI access, notify, device, ISR, common: QEMU's order");
        assertEquals(VirtioPci.NOTIFY_OFF_MULTIPLIER, rig.cfgRead(notifyCap + 16, 4));
        assertEquals(0x3000, rig.cfgRead(notifyCap + 8, 4));

        rig.common(VirtioPci.COMMON_STATUS, 1, 0);
        rig.common(VirtioPci.COMMON_STATUS, 1, 1);
        rig.common(VirtioPci.COMMON_STATUS, 1, 3);
        rig.common(VirtioPci.DEVICE_FEATURE_SELECT, 4, 0);
        long low = rig.common(VirtioPci.DEVICE_FEATURE, 4);
        rig.common(VirtioPci.DEVICE_FEATURE_SELECT, 4, 1);
        long high = rig.common(VirtioPci.DEVICE_FEATURE, 4);
        assertEquals(MAC | STATUS | MRG | INDIRECT | EVENT_IDX | VERSION_1, low | high << 32,
                "VERSION_1, and no legacy-only ANY_LAYOUT");
        assertEquals(2, rig.common(VirtioPci.NUM_QUEUES, 2));
        assertEquals(VirtioPci.NO_VECTOR, rig.common(VirtioPci.CONFIG_MSIX_VECTOR, 2));
        rig.common(VirtioPci.CONFIG_MSIX_VECTOR, 2, 0);
        assertEquals(VirtioPci.NO_VECTOR, rig.common(VirtioPci.CONFIG_MSIX_VECTOR, 2), "no MSI-X: vector refused");
        rig.common(VirtioPci.DRIVER_FEATURE_SELECT, 4, 0);
        rig.common(VirtioPci.DRIVER_FEATURE, 4, MAC | 1L << 3); // bit 3 (GUEST_TSO4) was never offered
        rig.common(VirtioPci.DRIVER_FEATURE_SELECT, 4, 1);
        rig.common(VirtioPci.DRIVER_FEATURE, 4, 1);
        rig.common(VirtioPci.COMMON_STATUS, 1, 0xB);
        assertEquals(3, rig.common(VirtioPci.COMMON_STATUS, 1), "FEATURES_OK refused for an unoffered feature");
        rig.common(VirtioPci.COMMON_STATUS, 1, 0);
        rig.common(VirtioPci.COMMON_STATUS, 1, 3);
        rig.common(VirtioPci.DRIVER_FEATURE_SELECT, 4, 0);
        rig.common(VirtioPci.DRIVER_FEATURE, 4, MAC | STATUS);
        rig.common(VirtioPci.DRIVER_FEATURE_SELECT, 4, 1);
        rig.common(VirtioPci.DRIVER_FEATURE, 4, 1);
        rig.common(VirtioPci.COMMON_STATUS, 1, 0xB);
        assertEquals(0xB, rig.common(VirtioPci.COMMON_STATUS, 1));

        rig.common(VirtioPci.COMMON_QUEUE_SELECT, 2, 1);
        assertEquals(256, rig.common(VirtioPci.QUEUE_SIZE, 2));
        rig.common(VirtioPci.QUEUE_SIZE, 2, 100);
        assertEquals(256, rig.common(VirtioPci.QUEUE_SIZE, 2), "not a power of two: ignored");
        rig.common(VirtioPci.QUEUE_SIZE, 2, 64);
        assertEquals(64, rig.common(VirtioPci.QUEUE_SIZE, 2));
        assertEquals(1, rig.common(VirtioPci.QUEUE_NOTIFY_OFF, 2));
        rig.common(VirtioPci.QUEUE_DESC, 8, 0x1_2345_6000L);
        assertEquals(0x2345_6000L, rig.common(VirtioPci.QUEUE_DESC, 4));
        assertEquals(1, rig.common(VirtioPci.QUEUE_DESC + 4, 4));
        assertEquals(0, rig.common(VirtioPci.QUEUE_ENABLE, 2));
        rig.common(VirtioPci.QUEUE_ENABLE, 2, 1);
        assertEquals(1, rig.common(VirtioPci.QUEUE_ENABLE, 2));
        // Device configuration through BAR4 and through the PCI configuration access capability.
        assertEquals(0x56, rig.mmio.read(rig.modernBase + VirtioPci.DEVICE_CFG + 5, 1));
        int cfg = VirtioPci.CAP_PCI_CFG_AT;
        rig.cfgWrite(cfg + 4, 1, VirtioPci.MODERN_BAR);
        rig.cfgWrite(cfg + 8, 4, VirtioPci.DEVICE_CFG + 4);
        rig.cfgWrite(cfg + 12, 4, 2);
        assertEquals(0x5634, rig.cfgRead(cfg + 16, 4), "MAC bytes 4-5 read through configuration space");
        rig.cfgWrite(cfg + 8, 4, VirtioPci.COMMON_CFG + VirtioPci.COMMON_STATUS);
        rig.cfgWrite(cfg + 12, 4, 1);
        rig.cfgWrite(cfg + 16, 1, 0xF);
        assertEquals(0xF, rig.common(VirtioPci.COMMON_STATUS, 1), "status written through configuration space");
    }

    // ---- transmit -----------------------------------------------------------------------------

    @Test
    void legacyTransmitReachesTheBackendAndInterrupts() {
        TestRing[] r = rig.legacyUp(MAC | STATUS);
        byte[] f = NetRig.frame(60, 1);
        rig.mem.load(NetRig.BUFFERS, new byte[10]);
        rig.mem.load(NetRig.BUFFERS + 0x1000, f);
        int head = r[1].add(out(NetRig.BUFFERS, 10), out(NetRig.BUFFERS + 0x1000, 60)); // Unikraft's two descriptors
        rig.notifyLegacy(1);
        assertEquals(1, rig.backend.frames.size());
        assertArrayEquals(f, rig.backend.frames.get(0), "the 10-byte legacy header is not part of the frame");
        assertEquals(1, r[1].usedIdx());
        assertEquals(head, r[1].usedId(0));
        assertEquals(0, r[1].usedLen(0));
        assertTrue(rig.irq11.level(), "INTx asserted");
        assertTrue((rig.cfgRead(PciDevice.STATUS, 2) & PciDevice.STATUS_INTERRUPT) != 0);
        assertEquals(VirtioPci.ISR_QUEUE, rig.in(VirtioPci.ISR_STATUS, 1));
        assertFalse(rig.irq11.level(), "reading the ISR lowers INTx");
        assertEquals(0, rig.in(VirtioPci.ISR_STATUS, 1), "and clears it");
    }

    @Test
    void modernTransmitSkipsTheTwelveByteHeaderAnywhereInTheChain() {
        TestRing[] r = rig.modernUp(MAC | VERSION_1, 256);
        byte[] f = NetRig.frame(100, 3);
        byte[] all = new byte[112];
        System.arraycopy(f, 0, all, 12, 100);
        rig.mem.load(NetRig.BUFFERS, all);
        // The header split across descriptors, and frame bytes sharing a descriptor with it.
        r[1].add(out(NetRig.BUFFERS, 5), out(NetRig.BUFFERS + 5, 20), out(NetRig.BUFFERS + 25, 87));
        rig.notifyModern(1);
        assertArrayEquals(f, rig.backend.frames.get(0));
        assertEquals(VirtioPci.ISR_QUEUE, rig.mmio.read(rig.modernBase + VirtioPci.ISR_CFG, 1));
        assertFalse(rig.irq11.level());
    }

    @Test
    void indirectDescriptorsCarryAWholeChain() {
        TestRing[] r = rig.legacyUp(MAC | INDIRECT);
        byte[] f = NetRig.frame(300, 9);
        rig.mem.load(NetRig.BUFFERS + 0x2000, f);
        r[1].addIndirect(NetRig.TABLES, out(NetRig.BUFFERS, 10), out(NetRig.BUFFERS + 0x2000, 100),
                out(NetRig.BUFFERS + 0x2000 + 100, 200));
        rig.notifyLegacy(1);
        assertArrayEquals(f, rig.backend.frames.get(0));
        assertEquals(1, r[1].usedIdx());
    }

    @Test
    void transmitRefusalStopsTheQueueAndResumesWhenWritable() {
        TestRing[] r = rig.legacyUp(MAC);
        rig.backend.refuse = true;
        for (int i = 0; i < 3; i++) {
            rig.mem.load(NetRig.BUFFERS + 0x1000L * i, NetRig.frame(70, i));
            r[1].add(out(NetRig.BUFFERS + 0x1000L * i, 70));
        }
        rig.notifyLegacy(1);
        assertEquals(0, r[1].usedIdx(), "nothing completes while the backend is full");
        assertEquals(1, rig.backend.waiting.size(), "transmission waits for the backend");
        rig.notifyLegacy(1);
        assertEquals(0, rig.backend.frames.size());
        rig.backend.release();
        assertEquals(3, rig.backend.frames.size(), "every frame, once and in order");
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(Arrays.copyOfRange(NetRig.frame(70, i), 10, 70), rig.backend.frames.get(i));
        }
        assertEquals(3, r[1].usedIdx());
    }

    // ---- receive ------------------------------------------------------------------------------

    private boolean deliver(byte[] frame) {
        return rig.net.toGuest().offer(ByteBuffer.wrap(frame));
    }

    @Test
    void legacyReceiveWritesATenByteHeader() {
        TestRing[] r = rig.legacyUp(MAC | STATUS);
        r[0].add(in(NetRig.BUFFERS, 10), in(NetRig.BUFFERS + 0x1000, 1514));
        rig.notifyLegacy(0);
        rig.mem.load(NetRig.BUFFERS, NetRig.frame(16, 0x55)); // garbage the header must overwrite
        byte[] f = NetRig.frame(98, 5);
        assertTrue(deliver(f));
        assertArrayEquals(new byte[10], rig.read(NetRig.BUFFERS, 10), "all-zero legacy header");
        assertArrayEquals(f, rig.read(NetRig.BUFFERS + 0x1000, 98));
        assertEquals(1, r[0].usedIdx());
        assertEquals(108, r[0].usedLen(0));
        assertTrue(rig.irq11.level());
        assertTrue(rig.dmaWrites.stream().anyMatch(w -> w[0] == NetRig.BUFFERS + 0x1000 && w[1] == 98),
                "DMA stores are reported (for the code cache)");
    }

    @Test
    void modernReceiveWithoutMergeableBuffersSaysOneBuffer() {
        TestRing[] r = rig.modernUp(MAC | VERSION_1, 128);
        r[0].add(in(NetRig.BUFFERS, 2048));
        byte[] f = NetRig.frame(200, 7);
        assertTrue(deliver(f));
        byte[] got = rig.read(NetRig.BUFFERS, 212);
        assertEquals(1, got[10] & 0xFF | (got[11] & 0xFF) << 8, "num_buffers = 1");
        assertArrayEquals(f, Arrays.copyOfRange(got, 12, 212));
        assertEquals(212, r[0].usedLen(0));
    }

    @Test
    void mergeableReceiveSpreadsAFrameOverSeveralBuffers() {
        TestRing[] r = rig.legacyUp(MAC | MRG);
        for (int i = 0; i < 4; i++) {
            r[0].add(in(NetRig.BUFFERS + 0x1000L * i, 100));
        }
        byte[] f = NetRig.frame(250, 11);
        assertTrue(deliver(f));
        assertEquals(3, r[0].usedIdx(), "12 + 250 bytes need three 100-byte buffers");
        assertEquals(100, r[0].usedLen(0));
        assertEquals(100, r[0].usedLen(1));
        assertEquals(62, r[0].usedLen(2));
        byte[] first = rig.read(NetRig.BUFFERS, 100);
        assertEquals(3, first[10] & 0xFF | (first[11] & 0xFF) << 8, "num_buffers");
        byte[] joined = new byte[250];
        System.arraycopy(first, 12, joined, 0, 88);
        System.arraycopy(rig.read(NetRig.BUFFERS + 0x1000, 100), 0, joined, 88, 100);
        System.arraycopy(rig.read(NetRig.BUFFERS + 0x2000, 62), 0, joined, 188, 62);
        assertArrayEquals(f, joined);
        assertFalse(deliver(NetRig.frame(200, 1)), "one 100-byte buffer left: refused whole");
        assertEquals(3, r[0].usedIdx(), "and the buffer is not used up");
        assertTrue(deliver(NetRig.frame(80, 1)), "a frame that fits still goes in");
        assertEquals(4, r[0].usedIdx());
    }

    @Test
    void tooLargeFrameForOneNonMergeableBufferIsDropped() {
        TestRing[] r = rig.legacyUp(MAC);
        r[0].add(in(NetRig.BUFFERS, 100));
        assertTrue(deliver(NetRig.frame(200, 1)), "taken, and dropped as QEMU drops it");
        assertEquals(0, r[0].usedIdx());
        assertTrue(deliver(NetRig.frame(50, 1)), "the buffer is still there for the next frame");
        assertEquals(1, r[0].usedIdx());
        assertEquals(1, rig.net.counters()[3]);
    }

    @Test
    void receiveRefusesWithoutBuffersAndWakesTheBackendOnNotify() {
        TestRing[] r = rig.legacyUp(MAC | EVENT_IDX);
        byte[] f = NetRig.frame(64, 2);
        assertFalse(deliver(f));
        List<String> woken = new ArrayList<>();
        rig.net.toGuest().whenWritable(() -> woken.add("rx"));
        assertEquals(List.of(), woken, "no buffers: the action waits");
        assertEquals(0, r[0].availEvent(), "the driver is asked to notify for the next buffer");
        r[0].add(in(NetRig.BUFFERS, 2048));
        rig.notifyLegacy(0);
        assertEquals(List.of("rx"), woken);
        assertTrue(deliver(f));
        rig.net.toGuest().whenWritable(() -> woken.add("again"));
        assertEquals(List.of("rx"), woken, "the ring is empty again");
    }

    @Test
    void receiveBeforeDriverOkIsRefused() {
        assertFalse(deliver(NetRig.frame(64, 1)));
        List<String> woken = new ArrayList<>();
        rig.net.toGuest().whenWritable(() -> woken.add("up"));
        TestRing[] r = rig.legacyUp(MAC);
        assertEquals(List.of(), woken, "DRIVER_OK without buffers");
        r[0].add(in(NetRig.BUFFERS, 2048));
        rig.notifyLegacy(0);
        assertEquals(List.of("up"), woken);
    }

    // ---- notification suppression -------------------------------------------------------------

    @Test
    void noInterruptFlagSuppressesTheInterrupt() {
        TestRing[] r = rig.legacyUp(MAC);
        r[0].setAvailFlags(Virtqueue.AVAIL_F_NO_INTERRUPT);
        r[0].add(in(NetRig.BUFFERS, 2048));
        assertTrue(deliver(NetRig.frame(60, 1)));
        assertEquals(1, r[0].usedIdx());
        assertFalse(rig.irq11.level());
        assertEquals(0, rig.in(VirtioPci.ISR_STATUS, 1));
        r[0].setAvailFlags(0);
        r[0].add(in(NetRig.BUFFERS + 0x1000, 2048));
        assertTrue(deliver(NetRig.frame(60, 1)));
        assertTrue(rig.irq11.level());
    }

    @Test
    void eventIdxInterruptsOnlyWhenTheUsedIndexCrossesUsedEvent() {
        TestRing[] r = rig.modernUp(MAC | VERSION_1 | EVENT_IDX, 256);
        for (int i = 0; i < 8; i++) {
            r[0].add(in(NetRig.BUFFERS + 0x1000L * i, 2048));
        }
        rig.notifyModern(0);
        r[0].setUsedEvent(4); // interrupt when the 5th buffer (used index 4 -> 5) is used
        int interrupts = 0;
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            rig.irq11.clearHistory();
            assertTrue(deliver(NetRig.frame(60, i)));
            if (rig.irq11.level()) {
                interrupts++;
                at.add(r[0].usedIdx());
                rig.mmio.read(rig.modernBase + VirtioPci.ISR_CFG, 1);
            }
        }
        assertEquals(List.of(1, 5), at, "the first use is always signalled, then only the crossing of used_event");
        assertEquals(2, interrupts);
        // avail_event tells the driver where the device wants its next notification.
        TestRing tx = r[1];
        tx.add(out(NetRig.BUFFERS, 80));
        rig.notifyModern(1);
        assertEquals(1, tx.availEvent());
    }

    @Test
    void eventIdxNeedEventMatchesTheSpec() {
        assertTrue(Virtqueue.needEvent(0, 1, 0));
        assertFalse(Virtqueue.needEvent(1, 1, 0));
        assertTrue(Virtqueue.needEvent(4, 5, 4));
        assertTrue(Virtqueue.needEvent(0xFFFF, 0, 0xFFFF), "wraps at 16 bits");
        assertFalse(Virtqueue.needEvent(10, 5, 0));
    }

    // ---- broken drivers -----------------------------------------------------------------------

    private void assertNeedsReset(int status) {
        assertTrue((status & VirtioPci.STATUS_NEEDS_RESET) != 0, "DEVICE_NEEDS_RESET: " + status);
        assertTrue((rig.in(VirtioPci.ISR_STATUS, 1) & VirtioPci.ISR_CONFIG) != 0, "configuration interrupt");
        assertEquals(1, rig.errors.size(), rig.errors.toString());
    }

    @Test
    void descriptorOutsideRamBreaksTheDeviceNotTheHost() {
        TestRing[] r = rig.legacyUp(MAC);
        r[1].add(out(0xFEC00000L, 64)); // the I/O APIC
        rig.notifyLegacy(1);
        assertNeedsReset((int) rig.in(VirtioPci.DEVICE_STATUS, 1));
        assertEquals(0, rig.backend.frames.size());
        r[1].add(out(NetRig.BUFFERS, 64));
        rig.notifyLegacy(1);
        assertEquals(0, rig.backend.frames.size(), "a broken device does nothing until reset");
        // After a reset the driver can start over.
        TestRing[] again = rig.legacyUp(MAC);
        assertEquals(0xF, rig.in(VirtioPci.DEVICE_STATUS, 1));
        again[1].add(out(NetRig.BUFFERS, 64));
        rig.notifyLegacy(1);
        assertEquals(1, rig.backend.frames.size());
    }

    @Test
    void loopingChainIsCaught() {
        TestRing[] r = rig.legacyUp(MAC);
        TestRing tx = r[1];
        tx.writeDesc(0, NetRig.BUFFERS, 64, Virtqueue.DESC_F_NEXT, 1);
        tx.writeDesc(1, NetRig.BUFFERS, 64, Virtqueue.DESC_F_NEXT, 0);
        tx.publishHead(0);
        rig.notifyLegacy(1);
        assertNeedsReset((int) rig.in(VirtioPci.DEVICE_STATUS, 1));
    }

    @Test
    void availableIndexRunningAheadIsCaught() {
        TestRing[] r = rig.legacyUp(MAC);
        rig.mem.writeShort(r[1].avail + 2, 300);
        rig.notifyLegacy(1);
        assertNeedsReset((int) rig.in(VirtioPci.DEVICE_STATUS, 1));
    }

    @Test
    void receiveIntoAReadOnlyBufferIsCaught() {
        TestRing[] r = rig.modernUp(MAC | VERSION_1, 256);
        r[0].add(out(NetRig.BUFFERS, 2048));
        assertFalse(deliver(NetRig.frame(60, 1)));
        int status = (int) rig.common(VirtioPci.COMMON_STATUS, 1);
        assertTrue((status & VirtioPci.STATUS_NEEDS_RESET) != 0);
        assertTrue((rig.mmio.read(rig.modernBase + VirtioPci.ISR_CFG, 1) & VirtioPci.ISR_CONFIG) != 0);
    }

    @Test
    void ringsWithoutBusMasteringAreLeftAlone() {
        TestRing[] r = rig.legacyUp(MAC);
        rig.cfgWrite(PciDevice.COMMAND, 2, PciDevice.COMMAND_IO);
        rig.mem.load(NetRig.BUFFERS, NetRig.frame(64, 1));
        r[1].add(out(NetRig.BUFFERS, 64));
        rig.notifyLegacy(1);
        assertEquals(0, rig.backend.frames.size(), "no DMA while bus mastering is off");
        rig.cfgWrite(PciDevice.COMMAND, 2, PciDevice.COMMAND_IO | PciDevice.COMMAND_MASTER);
        assertEquals(1, rig.backend.frames.size(), "work resumes when it comes back on");
    }

    @Test
    void legacyDriverMaySetTheMacAddress() {
        rig.legacyUp(MAC);
        rig.out(VirtioPci.LEGACY_CONFIG + 5, 1, 0x99);
        assertEquals(0x99, rig.in(VirtioPci.LEGACY_CONFIG + 5, 1));
        rig.modernUp(MAC | VERSION_1, 256);
        rig.mmio.write(rig.modernBase + VirtioPci.DEVICE_CFG + 5, 1, 0x11);
        assertEquals(0x99, rig.mmio.read(rig.modernBase + VirtioPci.DEVICE_CFG + 5, 1), "read-only for 1.x drivers");
    }

    @Test
    void macAddressesAreParsedStrictly() {
        assertArrayEquals(new byte[] {2, (byte) 0xB0, (byte) 0xB0, (byte) 0xD3, (byte) 0xD2, 1},
                VirtioNet.parseMac("02:b0:b0:d3:d2:01"));
        for (String bad : List.of("", "02:b0:b0:d3:d2", "02:b0:b0:d3:d2:01:00", "02:b0:b0:d3:d2:1", "zz:b0:b0:d3:d2:01",
                "01:00:5e:00:00:01")) {
            try {
                VirtioNet.parseMac(bad);
                throw new AssertionError("accepted " + bad);
            } catch (IllegalArgumentException expected) {
                assertTrue(expected.getMessage().contains(bad.isEmpty() ? "''" : bad), expected.getMessage());
            }
        }
    }
}
